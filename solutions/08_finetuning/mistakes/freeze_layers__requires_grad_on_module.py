def freeze_layers(model, num_layers):
    """Freeze model.embedding and model.encoder.layers[:num_layers] (num_layers = 0: none)."""
    # The mistake: an attribute on the module objects, not on their parameters.
    model.embedding.requires_grad = num_layers == 0
    for i, layer in enumerate(model.encoder.layers):
        layer.requires_grad = i >= num_layers
