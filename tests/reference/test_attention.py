"""Tests for reference.attention: values, masks, gradients and bad input.

Equivalence with torch's own attention lives in test_peers_torch.py.
"""

import math

import pytest
import torch

from reference.attention import (
    MultiHeadAttention,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)
from reference.masks import causal_mask


def _qkv(batch=2, heads=3, length=5, source=7, dim=4, dtype=torch.float64, grad=False):
    q = torch.randn(batch, heads, length, dim, dtype=dtype, requires_grad=grad)
    k = torch.randn(batch, heads, source, dim, dtype=dtype, requires_grad=grad)
    v = torch.randn(batch, heads, source, dim, dtype=dtype, requires_grad=grad)
    return q, k, v


def test_matches_the_formula_by_hand():
    """out = softmax(q k^T / sqrt(Dh)) v, weights sum to one over keys, shapes (B,H,T,Dv)/(B,H,T,S)."""
    q, k, v = _qkv()
    out, weights = scaled_dot_product_attention(q, k, v)
    expected = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(4), dim=-1)
    assert out.shape == (2, 3, 5, 4) and weights.shape == (2, 3, 5, 7)
    torch.testing.assert_close(weights, expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(out, expected @ v, rtol=0, atol=1e-12)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5, dtype=torch.float64))


def test_masked_keys_get_exactly_zero_weight():
    """Where the mask is False the weight is exactly 0, and the rest renormalises to 1."""
    q, k, v = _qkv(length=6, source=6)
    mask = causal_mask(6)
    _, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.all(weights[..., ~mask] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 6, dtype=torch.float64))


def test_fully_masked_row_gives_zeros_and_finite_gradients():
    """A query with no key to attend to outputs zeros (not NaN) and all gradients stay finite."""
    q, k, v = _qkv(grad=True)
    mask = torch.ones(2, 1, 5, 7, dtype=torch.bool)
    mask[0, 0, 2] = False  # batch 0, query 2 sees nothing
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.all(out[0, :, 2] == 0) and torch.all(weights[0, :, 2] == 0)
    out.backward(torch.randn_like(out))
    for t in (q, k, v):
        assert torch.isfinite(t.grad).all()
    assert torch.all(q.grad[0, :, 2] == 0)  # nothing flows through the empty row


def test_gradcheck_with_mask_and_fully_masked_row():
    """torch.autograd.gradcheck passes in float64 with a mask that fully masks one row."""
    q, k, v = _qkv(batch=1, heads=2, length=3, source=4, dim=2, grad=True)
    mask = torch.tensor([[True, True, False, False], [False] * 4, [True, False, True, True]])

    def f(q, k, v):
        return scaled_dot_product_attention(q, k, v, mask)

    assert torch.autograd.gradcheck(f, (q, k, v))


def test_three_d_inputs_are_one_head():
    """(B, T, D) inputs give the same result as the 4-D call with H = 1, and keep 3-D shapes."""
    q, k, v = (t[:, 0] for t in _qkv())
    mask = torch.rand(2, 5, 7) > 0.3
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    out4, weights4 = scaled_dot_product_attention(q[:, None], k[:, None], v[:, None], mask[:, None])
    assert out.shape == (2, 5, 4) and weights.shape == (2, 5, 7)
    torch.testing.assert_close(out, out4[:, 0], rtol=0, atol=0)
    torch.testing.assert_close(weights, weights4[:, 0], rtol=0, atol=0)


def test_dropout_with_generator_is_reproducible_and_unbiased_in_shape():
    """With a generator the dropped weights repeat exactly; kept ones are scaled by 1/(1-p)."""
    q, k, v = _qkv()
    plain, w0 = scaled_dot_product_attention(q, k, v)
    outs = [scaled_dot_product_attention(q, k, v, dropout_p=0.5,
                                         generator=torch.Generator().manual_seed(3)) for _ in range(2)]
    torch.testing.assert_close(outs[0][1], outs[1][1], rtol=0, atol=0)
    w = outs[0][1]
    assert torch.all((w == 0) | torch.isclose(w, 2 * w0))
    assert not torch.equal(outs[0][0], plain)


def test_split_then_merge_is_identity_and_split_groups_features():
    """merge_heads(split_heads(x)) == x and head h holds features h*Dh .. (h+1)*Dh - 1."""
    x = torch.randn(2, 5, 12)
    heads = split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    torch.testing.assert_close(heads[:, 1], x[..., 4:8], rtol=0, atol=0)
    torch.testing.assert_close(merge_heads(heads), x, rtol=0, atol=0)


def test_multi_head_attention_shapes_and_per_head_weights():
    """MHA returns (B, T, E) and per-head weights (B, H, T, S) for cross-attention with T != S."""
    mha = MultiHeadAttention(16, 4)
    out, weights = mha(torch.randn(2, 5, 16), torch.randn(2, 7, 16), torch.randn(2, 7, 16))
    assert out.shape == (2, 5, 16) and weights.shape == (2, 4, 5, 7)
    assert {"q_proj", "k_proj", "v_proj", "out_proj"} <= dict(mha.named_children()).keys()


def test_multi_head_attention_dropout_only_in_training():
    """eval() gives deterministic outputs; train() with dropout > 0 changes them."""
    mha = MultiHeadAttention(16, 4, dropout=0.5)
    x = torch.randn(2, 5, 16)
    mha.eval()
    torch.testing.assert_close(mha(x, x, x)[0], mha(x, x, x)[0], rtol=0, atol=0)
    evaluated = mha(x, x, x)[0]
    mha.train()
    assert not torch.allclose(mha(x, x, x)[0], evaluated)


def test_nothing_mutates_inputs():
    """Attention and head reshapes leave q, k, v, x and the mask unchanged."""
    q, k, v = _qkv()
    mask = torch.rand(2, 3, 5, 7) > 0.5
    copies = [t.clone() for t in (q, k, v, mask)]
    scaled_dot_product_attention(q, k, v, mask, dropout_p=0.1)
    x = torch.randn(2, 5, 16)
    x_copy = x.clone()
    MultiHeadAttention(16, 4)(x, x, x, causal_mask(5))
    merge_heads(split_heads(x, 4))
    for before, after in zip(copies + [x_copy], [q, k, v, mask, x], strict=True):
        assert torch.equal(before, after)


_q, _k, _v = (torch.randn(2, 3, 5, 4), torch.randn(2, 3, 7, 4), torch.randn(2, 3, 7, 4))


@pytest.mark.parametrize("call, message", [
    (lambda: scaled_dot_product_attention(_q[0, 0], _k[0, 0], _v[0, 0]), "(B, H, T, Dh)"),
    (lambda: scaled_dot_product_attention(_q, _k[:, :, :, :3], _v), "Dh"),
    (lambda: scaled_dot_product_attention(_q, _k, _v[:, :, :6]), "same length S"),
    (lambda: scaled_dot_product_attention(_q, _k[:1], _v[:1]), "leading"),
    (lambda: scaled_dot_product_attention(_q, _k.double(), _v), "dtype"),
    (lambda: scaled_dot_product_attention(_q.long(), _k.long(), _v.long()), "floating-point"),
    (lambda: scaled_dot_product_attention(_q[:, :, :0], _k, _v), "non-empty"),
    (lambda: scaled_dot_product_attention(_q, _k, _v, torch.ones(5, 7)), "bool"),
    (lambda: scaled_dot_product_attention(_q, _k, _v, torch.ones(5, 5, dtype=torch.bool)),
     "broadcastable"),
    (lambda: scaled_dot_product_attention(_q, _k, _v, torch.ones(1, 2, 3, 5, 7, dtype=torch.bool)),
     "broadcastable"),
    (lambda: scaled_dot_product_attention(_q, _k, _v, dropout_p=1.0), "dropout_p"),
    (lambda: split_heads(torch.randn(2, 5, 10), 3), "divisible"),
    (lambda: split_heads(torch.randn(2, 5), 1), "(B, T, E)"),
    (lambda: merge_heads(torch.randn(2, 5, 4)), "(B, H, T, Dh)"),
    (lambda: MultiHeadAttention(10, 3), "divisible"),
    (lambda: MultiHeadAttention(0, 1), "positive int"),
    (lambda: MultiHeadAttention(8, 2, dropout=-0.1), "dropout"),
    (lambda: MultiHeadAttention(8, 2)(torch.randn(2, 5, 6), torch.randn(2, 5, 6), torch.randn(2, 5, 6)),
     "d_model=8"),
    (lambda: MultiHeadAttention(8, 2)(torch.randn(2, 5, 8), torch.randn(2, 6, 8), torch.randn(2, 7, 8)),
     "key and value"),
    (lambda: MultiHeadAttention(8, 2)(torch.randn(2, 5, 8), torch.randn(3, 6, 8), torch.randn(3, 6, 8)),
     "batch size"),
])
def test_bad_input_raises_value_error(call, message):
    """Each bad input raises ValueError whose message names what was expected."""
    with pytest.raises(ValueError, match="expected") as info:
        call()
    assert message in str(info.value)
