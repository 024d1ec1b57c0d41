"""The reference against PyTorch's own modules, weights copied, float64.

Forward outputs, input gradients (random upstream gradient) and parameter
gradients must agree to ~1e-9. torch.nn takes masks with the opposite polarity
(True = blocked) as ``attn_mask`` / ``*_key_padding_mask``: we pass ``~mask``.
Only F.scaled_dot_product_attention is given a fully masked query row:
nn.MultiheadAttention gives NaN there whenever it computes weights (need_weights=True).
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reference.attention import MultiHeadAttention, scaled_dot_product_attention
from reference.layers import Decoder, DecoderLayer, Encoder, EncoderLayer, sublayer_connection
from reference.masks import causal_mask, causal_padding_mask, expand_padding_mask

TOL = {"rtol": 1e-9, "atol": 1e-9}
B, T, S, E, H, FF = 3, 7, 5, 16, 4, 32


def _mha_pairs(ours, theirs):
    """(our parameter, torch parameter, rows) for attention: torch packs q, k, v in in_proj."""
    for i, name in enumerate(("q_proj", "k_proj", "v_proj")):
        rows = slice(i * ours.d_model, (i + 1) * ours.d_model)
        yield getattr(ours, name).weight, theirs.in_proj_weight, rows
        yield getattr(ours, name).bias, theirs.in_proj_bias, rows
    yield from _same_pairs(ours.out_proj, theirs.out_proj)


def _same_pairs(ours, theirs):
    """Pairs for modules with identical parameter names (Linear, LayerNorm)."""
    mine = dict(ours.named_parameters())
    for name, param in theirs.named_parameters():
        yield mine[name], param, slice(None)


def _encoder_layer_pairs(ours, theirs):
    yield from _mha_pairs(ours.self_attn, theirs.self_attn)
    for a, b in ((ours.ff.linear1, theirs.linear1), (ours.ff.linear2, theirs.linear2),
                 (ours.norm1, theirs.norm1), (ours.norm2, theirs.norm2)):
        yield from _same_pairs(a, b)


def _decoder_layer_pairs(ours, theirs):
    yield from _mha_pairs(ours.self_attn, theirs.self_attn)
    yield from _mha_pairs(ours.cross_attn, theirs.multihead_attn)
    for a, b in ((ours.ff.linear1, theirs.linear1), (ours.ff.linear2, theirs.linear2),
                 (ours.norm1, theirs.norm1), (ours.norm2, theirs.norm2), (ours.norm3, theirs.norm3)):
        yield from _same_pairs(a, b)


def _stack_pairs(ours, theirs, layer_pairs):
    for a, b in zip(ours.layers, theirs.layers, strict=True):
        yield from layer_pairs(a, b)
    if ours.norm is not None:
        yield from _same_pairs(ours.norm, theirs.norm)


def _copy(pairs):
    """Copy our (randomly initialised) weights into torch's; returns the pairs as a list."""
    pairs = list(pairs)
    with torch.no_grad():
        for ours, theirs, rows in pairs:
            theirs[rows].copy_(ours)
    return pairs


def _compare(run_ours, run_theirs, inputs, pairs=()):
    """Same forward, same input and parameter gradients for a random upstream gradient."""
    ours_in = [x.clone().requires_grad_() for x in inputs]
    theirs_in = [x.clone().requires_grad_() for x in inputs]
    out_ours, out_theirs = run_ours(*ours_in), run_theirs(*theirs_in)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    upstream = torch.randn_like(out_ours)
    out_ours.backward(upstream)
    out_theirs.backward(upstream)
    for a, b in zip(ours_in, theirs_in, strict=True):
        torch.testing.assert_close(a.grad, b.grad, **TOL)
    for ours, theirs, rows in pairs:
        torch.testing.assert_close(ours.grad, theirs.grad[rows], **TOL)


def _x(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def _keep(batch, length):
    """A (B, L) padding mask with real tokens first and a different length per row (>= 2)."""
    lengths = torch.randint(2, length + 1, (batch,))
    lengths[0] = length
    return torch.arange(length)[None, :] < lengths[:, None]


@pytest.mark.parametrize("mask_kind", ["none", "causal", "padding", "per_head", "fully_masked"])
def test_sdpa_matches_torch_functional(mask_kind):
    """Our attention output and q/k/v gradients equal F.scaled_dot_product_attention (T != S, H > 1).

    F.scaled_dot_product_attention also returns zeros for a fully masked row (torch 2.13).
    """
    length = S if mask_kind == "causal" else T
    masks = {
        "none": None,
        "causal": causal_mask(S),
        "padding": expand_padding_mask(_keep(B, S)),
        "per_head": (torch.rand(B, H, length, S) > 0.4) | (torch.arange(S) == 0),
        "fully_masked": (torch.rand(B, H, length, S) > 0.4) & (torch.arange(length) != 3)[:, None],
    }
    mask = masks[mask_kind]
    inputs = [_x(B, H, length, 8), _x(B, H, S, 8), _x(B, H, S, 8)]
    _compare(lambda q, k, v: scaled_dot_product_attention(q, k, v, mask)[0],
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), inputs)


@pytest.mark.parametrize("self_attention", [True, False])
def test_multi_head_attention_matches_nn_multihead_attention(self_attention):
    """MHA output, per-head weights and all gradients equal nn.MultiheadAttention (batch_first).

    Self-attention uses a causal + padding mask; cross-attention (T != S) a
    padding mask and an arbitrary (T, S) band, as attn_mask plus key_padding_mask in torch.
    """
    ours = MultiHeadAttention(E, H).double()
    theirs = nn.MultiheadAttention(E, H, batch_first=True).double()
    pairs = _copy(_mha_pairs(ours, theirs))
    length = T if self_attention else S
    keep = _keep(B, length)
    allowed = causal_mask(max(T, S))[:T, :length]  # (T, length), True = may attend
    mask = expand_padding_mask(keep) & allowed  # (B, 1, T, length)
    inputs = [_x(B, T, E)] if self_attention else [_x(B, T, E), _x(B, S, E)]

    def run_ours(x, m=None):
        m = x if m is None else m
        return ours(x, m, m, mask)

    def run_theirs(x, m=None):
        m = x if m is None else m
        return theirs(x, m, m, key_padding_mask=~keep, attn_mask=~allowed, average_attn_weights=False)

    torch.testing.assert_close(run_ours(*inputs)[1], run_theirs(*inputs)[1], **TOL)
    _compare(lambda *a: run_ours(*a)[0], lambda *a: run_theirs(*a)[0], inputs, pairs)


def test_multi_head_attention_per_head_mask_matches_3d_attn_mask():
    """A (B, H, T, S) mask equals nn.MultiheadAttention's (B*H, T, S) attn_mask, head by head."""
    ours = MultiHeadAttention(E, H).double()
    theirs = nn.MultiheadAttention(E, H, batch_first=True).double()
    pairs = _copy(_mha_pairs(ours, theirs))
    mask = (torch.rand(B, H, T, S) > 0.5) | (torch.arange(S) == 2)
    blocked = ~mask.reshape(B * H, T, S)  # (B*H, T, S): torch's head-major layout
    _compare(lambda a, m: ours(a, m, m, mask)[0],
             lambda a, m: theirs(a, m, m, attn_mask=blocked)[0], [_x(B, T, E), _x(B, S, E)], pairs)


LAYER_CASES = [(nf, act) for nf in (False, True) for act in ("relu", "gelu")]


@pytest.mark.parametrize("norm_first, activation", LAYER_CASES)
def test_encoder_layer_matches_nn_transformer_encoder_layer(norm_first, activation):
    """EncoderLayer equals nn.TransformerEncoderLayer (outputs, input and weight gradients)."""
    ours = EncoderLayer(E, H, FF, 0.0, activation, norm_first).double().eval()
    theirs = nn.TransformerEncoderLayer(E, H, FF, 0.0, activation, batch_first=True,
                                        norm_first=norm_first).double().eval()
    pairs = _copy(_encoder_layer_pairs(ours, theirs))
    keep = _keep(B, T)
    _compare(lambda x: ours(x, causal_padding_mask(keep)),
             lambda x: theirs(x, src_mask=~causal_mask(T), src_key_padding_mask=~keep),
             [_x(B, T, E)], pairs)


@pytest.mark.parametrize("norm_first, activation", LAYER_CASES)
def test_decoder_layer_matches_nn_transformer_decoder_layer(norm_first, activation):
    """DecoderLayer equals nn.TransformerDecoderLayer with causal + padding and memory masks."""
    ours = DecoderLayer(E, H, FF, 0.0, activation, norm_first).double().eval()
    theirs = nn.TransformerDecoderLayer(E, H, FF, 0.0, activation, batch_first=True,
                                        norm_first=norm_first).double().eval()
    pairs = _copy(_decoder_layer_pairs(ours, theirs))
    tgt_keep, src_keep = _keep(B, T), _keep(B, S)
    _compare(lambda x, m: ours(x, m, causal_padding_mask(tgt_keep), expand_padding_mask(src_keep)),
             lambda x, m: theirs(x, m, tgt_mask=~causal_mask(T), tgt_key_padding_mask=~tgt_keep,
                                 memory_key_padding_mask=~src_keep),
             [_x(B, T, E), _x(B, S, E)], pairs)


@pytest.mark.parametrize("norm_first", [False, True])
def test_sublayer_connection_wires_nn_transformer_encoder_layer(norm_first):
    """Two sublayer_connection calls around torch's own sub-modules (self_attn, then
    linear2(relu(linear1(x)))) reproduce nn.TransformerEncoderLayer, post- and pre-norm."""
    theirs = nn.TransformerEncoderLayer(E, H, FF, 0.0, batch_first=True,
                                        norm_first=norm_first).double().eval()

    def attention(y):
        return theirs.self_attn(y, y, y, need_weights=False)[0]

    def feed_forward(y):
        return theirs.linear2(F.relu(theirs.linear1(y)))

    def ours(x):
        h = sublayer_connection(x, attention, theirs.norm1, norm_first)  # (B, T, E)
        return sublayer_connection(h, feed_forward, theirs.norm2, norm_first)  # (B, T, E)

    _compare(ours, theirs, [_x(B, T, E)])


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_matches_nn_transformer_encoder(norm_first):
    """Encoder (2 layers, final norm when pre-norm) equals nn.TransformerEncoder."""
    ours = Encoder(2, E, H, FF, 0.0, "gelu", norm_first).double().eval()
    final = nn.LayerNorm(E) if norm_first else None
    layer = nn.TransformerEncoderLayer(E, H, FF, 0.0, "gelu", batch_first=True, norm_first=norm_first)
    theirs = nn.TransformerEncoder(layer, 2, norm=final, enable_nested_tensor=False).double().eval()
    assert (ours.norm is None) == (not norm_first)
    pairs = _copy(_stack_pairs(ours, theirs, _encoder_layer_pairs))
    keep = _keep(B, T)
    _compare(lambda x: ours(x, expand_padding_mask(keep)),
             lambda x: theirs(x, src_key_padding_mask=~keep), [_x(B, T, E)], pairs)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_stack_matches_nn_transformer_decoder(norm_first):
    """Decoder (2 layers, final norm when pre-norm) equals nn.TransformerDecoder."""
    ours = Decoder(2, E, H, FF, 0.0, "relu", norm_first).double().eval()
    final = nn.LayerNorm(E) if norm_first else None
    layer = nn.TransformerDecoderLayer(E, H, FF, 0.0, "relu", batch_first=True, norm_first=norm_first)
    theirs = nn.TransformerDecoder(layer, 2, norm=final).double().eval()
    pairs = _copy(_stack_pairs(ours, theirs, _decoder_layer_pairs))
    tgt_keep, src_keep = _keep(B, T), _keep(B, S)
    _compare(lambda x, m: ours(x, m, causal_padding_mask(tgt_keep), expand_padding_mask(src_keep)),
             lambda x, m: theirs(x, m, tgt_mask=~causal_mask(T), tgt_key_padding_mask=~tgt_keep,
                                 memory_key_padding_mask=~src_keep),
             [_x(B, T, E), _x(B, S, E)], pairs)


class _Scale(nn.Module):
    """A deterministic stand-in for a Dropout module: multiplies by a fixed factor."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


@pytest.mark.parametrize("norm_first", [False, True])
def test_layer_dropout_sites_match_torch(norm_first):
    """Each Dropout sits where torch's does: swapping every one for a distinct fixed scale
    in both layers (ours dropout1/ff.dropout/dropout2/dropout3 against torch's
    dropout1/dropout/dropout2/dropout3) still gives identical outputs.

    (Exact RNG parity is not possible: torch's attention output is a transposed
    view, so its dropout masks are drawn in a different memory order.)
    """
    ours = DecoderLayer(E, H, FF, 0.0, "relu", norm_first).double().eval()
    theirs = nn.TransformerDecoderLayer(E, H, FF, 0.0, batch_first=True,
                                        norm_first=norm_first).double().eval()
    _copy(_decoder_layer_pairs(ours, theirs))
    sites = {"dropout1": 0.5, "dropout2": 0.7, "dropout3": 1.3}
    for name, factor in sites.items():
        setattr(ours, name, _Scale(factor))
        setattr(theirs, name, _Scale(factor))
    ours.ff.dropout, theirs.dropout = _Scale(1.9), _Scale(1.9)
    x, mem = _x(B, T, E), _x(B, S, E)
    torch.testing.assert_close(ours(x, mem), theirs(x, mem), **TOL)
    enc = EncoderLayer(E, H, FF, 0.0, "relu", norm_first).double().eval()
    enc_torch = nn.TransformerEncoderLayer(E, H, FF, 0.0, batch_first=True,
                                           norm_first=norm_first).double().eval()
    _copy(_encoder_layer_pairs(enc, enc_torch))
    enc.dropout1, enc.ff.dropout, enc.dropout2 = _Scale(0.5), _Scale(1.9), _Scale(0.7)
    enc_torch.dropout1, enc_torch.dropout, enc_torch.dropout2 = _Scale(0.5), _Scale(1.9), _Scale(0.7)
    torch.testing.assert_close(enc(x), enc_torch(x), **TOL)


@pytest.mark.parametrize("need_weights", [False, True])
def test_attention_dropout_draws_like_torch(need_weights):
    """In train mode, the same seed drops the same attention weights as nn.MultiheadAttention."""
    ours = MultiHeadAttention(E, H, dropout=0.4).double().train()
    theirs = nn.MultiheadAttention(E, H, dropout=0.4, batch_first=True).double().train()
    _copy(_mha_pairs(ours, theirs))
    x, mem = _x(B, T, E), _x(B, S, E)
    torch.manual_seed(1)
    out_ours, w_ours = ours(x, mem, mem)
    torch.manual_seed(1)
    out_theirs, w_theirs = theirs(x, mem, mem, need_weights=need_weights, average_attn_weights=False)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    assert (w_ours == 0).any()  # dropout did drop something
