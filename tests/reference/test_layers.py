"""Tests for reference.layers: formulas, masking properties, dropout modes, bad input.

Equivalence with nn.TransformerEncoderLayer / DecoderLayer lives in test_peers_torch.py.
"""

import pytest
import torch
import torch.nn.functional as F

from reference.layers import (
    Decoder,
    DecoderLayer,
    Encoder,
    EncoderLayer,
    FeedForward,
    sublayer_connection,
)
from reference.masks import causal_mask, causal_padding_mask, expand_padding_mask

E, H, FF = 16, 4, 32


@pytest.mark.parametrize("activation, fn", [("relu", F.relu), ("gelu", F.gelu)])
def test_feed_forward_formula(activation, fn):
    """FeedForward(x) = linear2(act(linear1(x))) at every position, shape kept."""
    ff = FeedForward(E, FF, activation=activation)
    x = torch.randn(2, 5, E)
    torch.testing.assert_close(ff(x), ff.linear2(fn(ff.linear1(x))))
    assert ff.linear1.out_features == FF and ff.linear2.out_features == E


def test_sublayer_connection_worked_example():
    """Post-norm is norm(x + sublayer(x)), pre-norm x + sublayer(norm(x)): with
    sublayer y -> 2y and norm y -> y - mean(y), x = [1, 2] gives [-1.5, 1.5] and [0, 3]."""
    x = torch.tensor([[1.0, 2.0]])

    def double(y):
        return 2 * y

    def centre(y):
        return y - y.mean(-1, keepdim=True)

    torch.testing.assert_close(sublayer_connection(x, double, centre), torch.tensor([[-1.5, 1.5]]))
    torch.testing.assert_close(sublayer_connection(x, double, centre, norm_first=True),
                               torch.tensor([[0.0, 3.0]]))


@pytest.mark.parametrize("norm_first", [False, True])
def test_layers_are_sublayer_connections(norm_first):
    """EncoderLayer is attention then FFN through sublayer_connection; DecoderLayer adds
    cross-attention between them (its norm2), in both orders."""
    x, memory = torch.randn(2, 5, E), torch.randn(2, 4, E)
    mask = expand_padding_mask(torch.tensor([[True] * 5, [True, True, False, False, False]]))
    enc = EncoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first)
    h = sublayer_connection(x, lambda y: enc.self_attn(y, y, y, mask)[0], enc.norm1, norm_first)
    torch.testing.assert_close(enc(x, mask), sublayer_connection(h, enc.ff, enc.norm2, norm_first))
    dec = DecoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first)
    h = sublayer_connection(x, lambda y: dec.self_attn(y, y, y, causal_mask(5))[0], dec.norm1, norm_first)
    h = sublayer_connection(h, lambda y: dec.cross_attn(y, memory, memory)[0], dec.norm2, norm_first)
    torch.testing.assert_close(dec(x, memory, causal_mask(5)),
                               sublayer_connection(h, dec.ff, dec.norm3, norm_first))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_residual_and_norm_placement(norm_first):
    """Post-norm is x = LN(x + F(x)); pre-norm is x = x + F(LN(x)), composed by hand."""
    layer = EncoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first)
    x = torch.randn(2, 5, E)

    def sa(h):
        return layer.self_attn(h, h, h)[0]

    if norm_first:
        h = x + sa(layer.norm1(x))
        expected = h + layer.ff(layer.norm2(h))
    else:
        h = layer.norm1(x + sa(x))
        expected = layer.norm2(h + layer.ff(h))
    torch.testing.assert_close(layer(x), expected)


def test_encoder_layer_ignores_padded_keys():
    """With a padding mask, changing the padded positions never changes real positions' outputs."""
    layer = EncoderLayer(E, H, FF, dropout=0.0).eval()
    keep = torch.tensor([[True] * 5, [True, True, True, False, False]])
    x = torch.randn(2, 5, E)
    y = x.clone()
    y[1, 3:] = torch.randn(2, E)
    mask = expand_padding_mask(keep)
    torch.testing.assert_close(layer(x, mask)[keep], layer(y, mask)[keep])


def test_decoder_layer_is_causal_and_uses_memory():
    """Future target positions never change earlier outputs; changing memory changes them."""
    layer = DecoderLayer(E, H, FF, dropout=0.0).eval()
    x, memory = torch.randn(2, 6, E), torch.randn(2, 4, E)
    mask = causal_mask(6)
    out = layer(x, memory, mask)
    changed = x.clone()
    changed[:, 4:] = torch.randn(2, 2, E)
    torch.testing.assert_close(layer(changed, memory, mask)[:, :4], out[:, :4])
    assert not torch.allclose(layer(x, memory + 1.0, mask), out)


def test_decoder_layer_ignores_padded_memory():
    """With a memory mask, padded source positions never reach the decoder output."""
    layer = DecoderLayer(E, H, FF, dropout=0.0).eval()
    src_keep = torch.tensor([[True, True, False, False]])
    x, memory = torch.randn(1, 3, E), torch.randn(1, 4, E)
    other = memory.clone()
    other[:, 2:] = torch.randn(1, 2, E)
    memory_mask = expand_padding_mask(src_keep)
    torch.testing.assert_close(layer(x, memory, causal_mask(3), memory_mask),
                               layer(x, other, causal_mask(3), memory_mask))


@pytest.mark.parametrize("norm_first", [False, True])
def test_stacks_have_independent_layers_and_final_norm_only_when_pre_norm(norm_first):
    """Encoder/Decoder hold num_layers distinct layers; final norm exists exactly when pre-norm."""
    enc = Encoder(3, E, H, FF, 0.1, "gelu", norm_first)
    dec = Decoder(2, E, H, FF, 0.1, "relu", norm_first)
    assert len(enc.layers) == 3 and len(dec.layers) == 2
    assert enc.layers[0].ff.linear1.weight is not enc.layers[1].ff.linear1.weight
    assert (enc.norm is not None) == norm_first and (dec.norm is not None) == norm_first
    x, memory = torch.randn(2, 5, E), torch.randn(2, 4, E)
    assert enc(x).shape == (2, 5, E)
    assert dec(x, memory, causal_padding_mask(torch.ones(2, 5, dtype=torch.bool))).shape == (2, 5, E)


def test_dropout_only_in_training():
    """eval() disables dropout (deterministic); train() with dropout > 0 changes outputs."""
    layer = DecoderLayer(E, H, FF, dropout=0.3)
    x, memory = torch.randn(2, 5, E), torch.randn(2, 4, E)
    layer.eval()
    first = layer(x, memory)
    torch.testing.assert_close(layer(x, memory), first, rtol=0, atol=0)
    layer.train()
    assert not torch.allclose(layer(x, memory), first)


def test_inputs_are_not_mutated():
    """Layers read x, memory and masks without changing them."""
    x, memory = torch.randn(2, 5, E), torch.randn(2, 4, E)
    mask = causal_mask(5)
    copies = [t.clone() for t in (x, memory, mask)]
    Decoder(2, E, H, FF, norm_first=True)(x, memory, mask)
    Encoder(2, E, H, FF)(x, mask)
    for before, after in zip(copies, (x, memory, mask), strict=True):
        assert torch.equal(before, after)


_enc, _dec = EncoderLayer(E, H, FF), DecoderLayer(E, H, FF)


@pytest.mark.parametrize("call, message", [
    (lambda: FeedForward(E, FF, activation="tanh"), "activation"),
    (lambda: sublayer_connection([1.0, 2.0], torch.tanh, torch.tanh), "torch.Tensor"),
    (lambda: sublayer_connection(torch.ones(2, 3, dtype=torch.long), torch.tanh, torch.tanh),
     "floating-point"),
    (lambda: sublayer_connection(torch.ones(2, 3), "ff", torch.tanh), "sublayer"),
    (lambda: sublayer_connection(torch.ones(2, 3), torch.tanh, None), "norm"),
    (lambda: FeedForward(E, 0), "d_ff"),
    (lambda: EncoderLayer(10, 3, FF), "divisible"),
    (lambda: EncoderLayer(E, H, FF, dropout=1.0), "dropout"),
    (lambda: Encoder(0, E, H, FF), "num_layers"),
    (lambda: Decoder(2, E, H, FF, activation="swish"), "activation"),
    (lambda: _enc(torch.randn(2, 5, 8)), "d_model=16"),
    (lambda: _enc(torch.randn(5, E)), "(B, T, E)"),
    (lambda: _enc(torch.randint(0, 3, (2, 5, E))), "floating-point"),
    (lambda: _enc(torch.randn(2, 0, E)), "non-empty"),
    (lambda: _enc(torch.randn(2, 5, E), torch.ones(5, 5)), "bool"),
    (lambda: _enc(torch.randn(2, 5, E), torch.ones(3, 5, 5, dtype=torch.bool)), "broadcastable"),
    (lambda: _dec(torch.randn(2, 5, E), torch.randn(2, 4, 8)), "memory"),
    (lambda: _dec(torch.randn(2, 5, E), torch.randn(3, 4, E)), "batch size"),
    (lambda: _dec(torch.randn(2, 5, E), torch.randn(2, 4, E), None,
                  torch.ones(2, 1, 1, 5, dtype=torch.bool)), "broadcastable"),
])
def test_bad_input_raises_value_error(call, message):
    """Each bad input raises ValueError whose message names what was expected."""
    with pytest.raises(ValueError, match="expected") as info:
        call()
    assert message in str(info.value)
