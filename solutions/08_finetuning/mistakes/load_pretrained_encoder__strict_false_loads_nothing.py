def load_pretrained_encoder(classifier, masked_lm):
    """Copy masked_lm's embedding and encoder weights into classifier (in place); its head stays."""
    # The mistake: keys "embedding.*" / "encoder.*" do not match the sub-modules' own keys,
    # and strict=False skips them all without a word.
    state = masked_lm.state_dict()
    classifier.embedding.load_state_dict(state, strict=False)
    classifier.encoder.load_state_dict(state, strict=False)
