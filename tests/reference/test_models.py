"""Tests for reference.models: masking properties, decoding, fine-tuning helpers, bad input."""

import dataclasses

import pytest
import torch
from torch import nn

from reference.masks import causal_mask
from reference.models import (
    CausalLM,
    EncoderDecoder,
    MaskedLM,
    MaskedLMHead,
    SequenceClassifier,
    TransformerConfig,
    freeze_layers,
    greedy_decode,
    load_pretrained_encoder,
    masked_mean_pool,
    next_token_probs,
)
from reference.tokenizer import BOS_ID, CLS_ID, EOS_ID, PAD_ID

V = 40


def _config(**changes):
    base = TransformerConfig(vocab_size=V, d_model=32, num_heads=4, d_ff=64, num_encoder_layers=2,
                             num_decoder_layers=2, max_len=16, dropout=0.0)
    return dataclasses.replace(base, **changes)


def _ids(batch, length, low=15):
    """Random non-special ids, so no accidental padding."""
    return torch.randint(low, V, (batch, length))


def test_config_defaults_and_validation_errors():
    """Only vocab_size is required; inconsistent settings raise ValueError naming the field."""
    config = TransformerConfig(vocab_size=V)
    assert config.d_model % config.num_heads == 0 and config.pad_id == PAD_ID
    bad = [dict(d_model=30, num_heads=4), dict(num_heads=0), dict(dropout=1.0),
           dict(activation="tanh"), dict(positional="rope"), dict(pad_id=V),
           dict(layer_norm_eps=0.0), dict(num_labels=0), dict(max_len=2.5), dict(norm_first="yes")]
    for changes in bad:
        with pytest.raises(ValueError, match="expected"):
            _config(**changes)


@pytest.mark.parametrize("positional, norm_first", [("sinusoidal", False), ("learned", True)])
def test_masked_lm_shapes_and_padding_invariance(positional, norm_first):
    """MaskedLM gives (B, T, V) logits, and appended [PAD]s never change real positions' logits."""
    model = MaskedLM(_config(positional=positional, norm_first=norm_first)).eval()
    ids = _ids(2, 7)
    padded = torch.cat([ids, torch.full((2, 3), PAD_ID)], dim=1)
    logits = model(ids)
    assert logits.shape == (2, 7, V)
    torch.testing.assert_close(model(padded)[:, :7], logits)


def test_masked_lm_explicit_attention_mask_hides_tokens():
    """With attention_mask False at some positions, their ids do not affect the other positions."""
    model = MaskedLM(_config()).eval()
    ids = _ids(1, 7)
    keep = torch.tensor([[True] * 5 + [False] * 2])
    other = ids.clone()
    other[0, 5:] = _ids(1, 2)
    torch.testing.assert_close(model(ids, keep)[:, :5], model(other, keep)[:, :5])


def test_output_projection_is_tied_only_when_asked():
    """tie_embeddings shares the token matrix with the output projection; False keeps them apart."""
    tied = EncoderDecoder(_config())
    assert tied.lm_head.weight is tied.embedding.token.weight
    untied = CausalLM(_config(tie_embeddings=False))
    assert untied.lm_head.weight is not untied.embedding.token.weight
    mlm = MaskedLM(_config())
    assert mlm.mlm_head.proj.weight is mlm.embedding.token.weight


def test_masked_lm_head_alone_is_dense_gelu_norm_proj():
    """An untied MaskedLMHead works without an embedding: proj(LN(gelu(dense(h)))); tied needs one."""
    head = MaskedLMHead(_config(tie_embeddings=False))
    h = torch.randn(2, 5, 32)
    expected = head.proj(head.norm(torch.nn.functional.gelu(head.dense(h))))
    torch.testing.assert_close(head(h), expected)
    with pytest.raises(ValueError, match="expected an embedding"):
        MaskedLMHead(_config())


def test_encoder_decoder_is_causal_and_forward_equals_encode_decode():
    """Changing future target tokens never changes earlier logits; forward == decode(encode)."""
    model = EncoderDecoder(_config()).eval()
    src, tgt = _ids(2, 6), _ids(2, 7)
    logits = model(src, tgt)
    assert logits.shape == (2, 7, V)
    changed = tgt.clone()
    changed[:, 4:] = _ids(2, 3)
    torch.testing.assert_close(model(src, changed)[:, :4], logits[:, :4])
    memory = model.encode(src)
    torch.testing.assert_close(model.decode(tgt, memory), logits)


def test_encoder_decoder_ignores_source_and_target_padding():
    """Padding the source or the target with [PAD] never changes logits at real target positions."""
    model = EncoderDecoder(_config(norm_first=True)).eval()
    src, tgt = _ids(2, 5), _ids(2, 6)
    logits = model(src, tgt)
    src_padded = torch.cat([src, torch.full((2, 4), PAD_ID)], dim=1)
    tgt_padded = torch.cat([tgt, torch.full((2, 2), PAD_ID)], dim=1)
    torch.testing.assert_close(model(src_padded, tgt)[:, :6], logits)
    torch.testing.assert_close(model(src_padded, tgt_padded)[:, :6], logits)


def test_causal_lm_is_causal_and_has_no_cross_attention():
    """CausalLM logits at i depend only on tokens <= i; its blocks have no cross-attention."""
    model = CausalLM(_config()).eval()
    ids = _ids(2, 7)
    logits = model(ids)
    assert logits.shape == (2, 7, V)
    changed = ids.clone()
    changed[:, 3:] = _ids(2, 4)
    torch.testing.assert_close(model(changed)[:, :3], logits[:, :3])
    assert not any(hasattr(layer, "cross_attn") for layer in model.decoder.layers)


def test_models_use_dropout_only_in_training():
    """eval() is deterministic; train() with dropout > 0 changes the outputs."""
    model = EncoderDecoder(_config(dropout=0.3))
    src, tgt = _ids(2, 5), _ids(2, 6)
    model.eval()
    first = model(src, tgt)
    torch.testing.assert_close(model(src, tgt), first, rtol=0, atol=0)
    model.train()
    assert not torch.allclose(model(src, tgt), first)


def _force_token(model, token):
    """Make the output projection always prefer ``token`` (bias far above any logit)."""
    with torch.no_grad():
        model.lm_head.bias.zero_()
        model.lm_head.bias[token] = 1e4


def test_next_token_probs_is_softmax_of_the_output_projection():
    """next_token_probs(states, W, b) equals softmax(nn.Linear(E, V)(states)) over the
    vocabulary at every position, and each row sums to 1."""
    torch.manual_seed(0)
    head = nn.Linear(8, V).double()
    states = torch.randn(2, 5, 8, dtype=torch.float64)
    probs = next_token_probs(states, head.weight, head.bias)
    assert probs.shape == (2, 5, V)
    torch.testing.assert_close(probs, torch.softmax(head(states), dim=-1))
    torch.testing.assert_close(probs.sum(-1), torch.ones(2, 5, dtype=torch.float64))


def test_next_token_probs_reads_an_encoder_decoder_like_decode():
    """With the model's lm_head, the decoder's states give softmax(model.decode(...))."""
    model = EncoderDecoder(_config()).eval()
    src, tgt = _ids(2, 5), _ids(2, 4)
    memory = model.encode(src)
    states = model.decoder(model.embedding(tgt), memory, causal_mask(4))  # (B, T, E)
    probs = next_token_probs(states, model.lm_head.weight, model.lm_head.bias)
    torch.testing.assert_close(probs, torch.softmax(model.decode(tgt, memory), dim=-1))


def test_greedy_decode_stops_at_eos():
    """A model that always says </s> yields [<s>, </s>] per row and stops right there."""
    model = EncoderDecoder(_config())
    _force_token(model, EOS_ID)
    out = greedy_decode(model, _ids(3, 5), max_len=10)
    assert out.dtype == torch.long
    assert torch.equal(out, torch.tensor([[BOS_ID, EOS_ID]] * 3))


def test_greedy_decode_stops_at_max_len_and_restores_training_flag():
    """Without </s> the output has exactly max_len tokens; the model returns to train mode, no grad kept."""
    model = EncoderDecoder(_config(dropout=0.2)).train()
    _force_token(model, 20)
    out = greedy_decode(model, _ids(2, 5), max_len=6)
    assert out.shape == (2, 6) and torch.all(out[:, 0] == BOS_ID) and torch.all(out[:, 1:] == 20)
    assert model.training and not out.requires_grad


class _ScriptedModel(nn.Module):
    """Row b says </s> once the prefix holds b + 1 tokens, else token 20; records calls."""

    def __init__(self):
        super().__init__()
        self.calls, self.modes = [], []

    def encode(self, src_ids, src_mask):
        self.src_mask = src_mask
        return torch.zeros(src_ids.size(0), src_ids.size(1), 4)

    def decode(self, tgt_ids, memory, src_mask):
        self.modes.append((self.training, torch.is_grad_enabled()))
        logits = torch.zeros(tgt_ids.size(0), tgt_ids.size(1), V)
        for b in range(tgt_ids.size(0)):
            logits[b, -1, EOS_ID if tgt_ids.size(1) == b + 1 else 20] = 1.0
        return logits


def test_greedy_decode_pads_finished_rows_and_stops_when_all_done():
    """Each row stops at its own </s> and is padded after it; decoding ends when all rows are done."""
    model = _ScriptedModel()
    src = torch.tensor([[20, 21, PAD_ID], [22, 23, 24], [25, PAD_ID, PAD_ID]])
    out = greedy_decode(model, src, max_len=10)
    expected = torch.tensor([[BOS_ID, EOS_ID, PAD_ID, PAD_ID],
                             [BOS_ID, 20, EOS_ID, PAD_ID],
                             [BOS_ID, 20, 20, EOS_ID]])
    assert torch.equal(out, expected)
    assert torch.equal(model.src_mask, src != PAD_ID)
    assert all(mode == (False, False) for mode in model.modes) and model.training


def test_classifier_loads_pretrained_encoder_and_classifies_cls():
    """SequenceClassifier takes MaskedLM's embedding+encoder weights; logits are (B, num_labels)."""
    config = _config(num_labels=3)
    mlm, clf = MaskedLM(config).eval(), SequenceClassifier(config).eval()
    ids = torch.cat([torch.full((2, 1), CLS_ID), _ids(2, 6)], dim=1)
    assert not torch.allclose(clf.encode(ids), mlm.encode(ids))
    clf.load_pretrained_encoder(mlm)
    torch.testing.assert_close(clf.encode(ids), mlm.encode(ids), rtol=0, atol=0)
    logits = clf(ids)
    assert logits.shape == (2, 3)
    torch.testing.assert_close(logits, clf.classifier(clf.encode(ids)[:, 0]))
    with pytest.raises(ValueError, match="expected"):
        clf.load_pretrained_encoder(MaskedLM(_config(d_model=16)))


def test_freeze_layers_freezes_embedding_and_lower_layers():
    """freeze_layers(n) freezes embedding and layers < n; 0 unfreezes all; all layers leaves the head."""
    clf = SequenceClassifier(_config(norm_first=True))

    def trainable(module):
        return all(p.requires_grad for p in module.parameters())

    def frozen(module):
        return not any(p.requires_grad for p in module.parameters())

    clf.freeze_layers(1)
    assert frozen(clf.embedding) and frozen(clf.encoder.layers[0])
    assert trainable(clf.encoder.layers[1]) and trainable(clf.encoder.norm)
    clf.freeze_layers(2)
    assert [n for n, p in clf.named_parameters() if p.requires_grad] == ["classifier.weight", "classifier.bias"]
    clf.freeze_layers(0)
    assert trainable(clf)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        clf.freeze_layers(3)


def test_masked_mean_pool_worked_example():
    """The mean over the real tokens only: padded positions count for nothing, whatever they hold."""
    hidden = torch.tensor([[[1.0, 10.0], [3.0, 30.0], [100.0, 100.0]],
                           [[2.0, -2.0], [-50.0, 50.0], [4.0, 6.0]]])  # (B=2, T=3, E=2)
    mask = torch.tensor([[True, True, False], [True, False, True]])
    torch.testing.assert_close(masked_mean_pool(hidden, mask), torch.tensor([[2.0, 20.0], [3.0, 2.0]]))


def test_masked_mean_pool_matches_embedding_bag_mean():
    """Agrees with torch's peer, F.embedding_bag(mode="mean") over each row's real positions,
    for any pattern of real tokens; the gradient reaches real positions only."""
    gen = torch.Generator().manual_seed(0)
    b, t, e = 4, 7, 5
    hidden = torch.randn(b, t, e, generator=gen, dtype=torch.float64, requires_grad=True)
    mask = torch.rand(b, t, generator=gen) < 0.5
    mask[:, 0] = True  # [CLS] is always real
    flat = hidden.reshape(b * t, e)  # (B*T, E) one row per position
    positions = mask.reshape(-1).nonzero().squeeze(1)  # (N,) the real positions, row by row
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), mask.sum(1).cumsum(0)[:-1]])  # (B,)
    want = nn.functional.embedding_bag(positions, flat, offsets, mode="mean")  # (B, E)
    got = masked_mean_pool(hidden, mask)
    torch.testing.assert_close(got, want)
    got.sum().backward()
    assert torch.equal(hidden.grad.abs().sum(-1) > 0, mask)


def test_module_functions_do_what_the_classifier_methods_do():
    """load_pretrained_encoder and freeze_layers as functions give the methods' results,
    on the reference models and on any model with the same layout."""
    config = _config(num_labels=3, num_encoder_layers=3, norm_first=True)
    mlm = MaskedLM(config)
    by_method, by_function = SequenceClassifier(config), SequenceClassifier(config)
    by_function.load_state_dict(by_method.state_dict())
    by_method.load_pretrained_encoder(mlm)
    load_pretrained_encoder(by_function, mlm)
    for (k, a), b in zip(by_method.state_dict().items(), by_function.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert all(p.data_ptr() not in {q.data_ptr() for q in mlm.parameters()} for p in by_function.parameters())
    for calls in ([1], [3], [3, 0], [2, 1]):
        for n in calls:
            by_method.freeze_layers(n)
            freeze_layers(by_function, n)
        assert [p.requires_grad for p in by_function.parameters()] == \
            [p.requires_grad for p in by_method.parameters()], calls


def test_fine_tuning_functions_reject_bad_input():
    """Bad arguments raise ValueError naming what was expected and what was got."""
    clf = SequenceClassifier(_config(num_labels=2))
    hidden, mask = torch.randn(2, 3, 4), torch.ones(2, 3, dtype=torch.bool)
    for call, message in [
        (lambda: masked_mean_pool(hidden[0], mask), "(B, T, E)"),
        (lambda: masked_mean_pool(hidden, mask.float()), "bool"),
        (lambda: masked_mean_pool(hidden, mask[:, :2]), "(B, T) = (2, 3)"),
        (lambda: masked_mean_pool(hidden, torch.tensor([[True] * 3, [False] * 3])), "rows [1]"),
        (lambda: load_pretrained_encoder(clf, nn.Linear(2, 2)), "['embedding', 'encoder']"),
        (lambda: load_pretrained_encoder(clf, MaskedLM(_config(d_model=16))), "same embedding sizes"),
        (lambda: freeze_layers(clf, 3), "[0, 2]"),
        (lambda: freeze_layers(clf, True), "[0, 2]"),
    ]:
        with pytest.raises(ValueError, match="expected") as info:
            call()
        assert message in str(info.value)


def test_inputs_are_not_mutated():
    """Models and greedy_decode read ids and masks without changing them."""
    model = EncoderDecoder(_config()).eval()
    src, tgt = _ids(2, 5), _ids(2, 6)
    src[0, -1] = PAD_ID
    copies = src.clone(), tgt.clone()
    model(src, tgt)
    greedy_decode(model, src, max_len=4)
    assert torch.equal(src, copies[0]) and torch.equal(tgt, copies[1])


_mlm, _seq2seq = MaskedLM(_config()), EncoderDecoder(_config())


@pytest.mark.parametrize("call, message", [
    (lambda: MaskedLM(_config())(torch.tensor([[20.0, 21.0]])), "integer"),
    (lambda: _mlm(torch.tensor([[20, V]])), f"[0, {V})"),
    (lambda: _mlm(torch.tensor([[20, -1]])), f"[0, {V})"),
    (lambda: _mlm(torch.zeros(2, 0, dtype=torch.long)), "non-empty"),
    (lambda: _mlm(torch.full((1, 17), 20)), "max_len=16"),
    (lambda: _mlm(torch.tensor([20, 21])), "(B, T)"),
    (lambda: _mlm(_ids(2, 5), torch.ones(2, 5)), "bool"),
    (lambda: _mlm(_ids(2, 5), torch.ones(2, 4, dtype=torch.bool)), "(B, T)"),
    (lambda: _seq2seq(_ids(2, 5), _ids(3, 4)), "batch"),
    (lambda: _seq2seq.decode(_ids(2, 4), torch.randn(2, 5, 16)), "memory"),
    (lambda: _seq2seq.decode(_ids(2, 4), torch.randn(2, 5, 32), torch.ones(2, 4, dtype=torch.bool)),
     "src_mask"),
    (lambda: _seq2seq(_ids(2, 5), torch.tensor([[20.5]])), "tgt_ids"),
    (lambda: greedy_decode(_seq2seq, _ids(2, 5), max_len=0), "max_len"),
    (lambda: greedy_decode(_seq2seq, torch.tensor([[1.0]]), max_len=3), "integer"),
    (lambda: MaskedLM({"vocab_size": V}), "TransformerConfig"),
    (lambda: next_token_probs(torch.randn(2, 8), torch.randn(V, 8), torch.randn(V)), "(B, T, E)"),
    (lambda: next_token_probs(torch.randn(2, 3, 8), torch.randn(V, 6), torch.randn(V)), "E = 8"),
    (lambda: next_token_probs(torch.randn(2, 3, 8), torch.randn(V, 8), torch.randn(V - 1)), "bias"),
    (lambda: next_token_probs(torch.ones(2, 3, 8, dtype=torch.long), torch.randn(V, 8), torch.randn(V)),
     "floating-point"),
])
def test_bad_input_raises_value_error(call, message):
    """Each bad input raises ValueError whose message names what was expected."""
    with pytest.raises(ValueError, match="expected") as info:
        call()
    assert message in str(info.value)
