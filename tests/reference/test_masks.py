"""Tests for reference.masks: polarity (True = may attend), shapes and bad input."""

import pytest
import torch

from reference.masks import (
    causal_mask,
    causal_padding_mask,
    combine_masks,
    decoder_self_mask,
    expand_padding_mask,
    padding_mask,
)
from reference.tokenizer import PAD_ID


def test_causal_mask_is_lower_triangle():
    """causal_mask(T)[i, j] is True exactly when j <= i, as a (T, T) bool tensor."""
    mask = causal_mask(4)
    assert mask.dtype == torch.bool and mask.shape == (4, 4)
    for i in range(4):
        for j in range(4):
            assert bool(mask[i, j]) == (j <= i)


def test_causal_mask_matches_torch_polarity_flipped():
    """Our causal mask is the negation of nn.Transformer's "True = blocked" causal mask."""
    torch_mask = torch.nn.Transformer.generate_square_subsequent_mask(5)  # float, -inf above
    assert torch.equal(causal_mask(5), torch_mask == 0)


def test_padding_mask_marks_real_tokens():
    """padding_mask is True at real tokens and False at pad_id, shape (B, T)."""
    ids = torch.tensor([[5, 9, 6, PAD_ID], [5, 6, PAD_ID, PAD_ID]])
    expected = torch.tensor([[True, True, True, False], [True, True, False, False]])
    assert torch.equal(padding_mask(ids), expected)
    assert torch.equal(padding_mask(ids, pad_id=6), ids != 6)


def test_expand_and_causal_padding_masks():
    """The (B, S) mask becomes (B, 1, 1, S); the decoder mask is causal AND real key."""
    keep = torch.tensor([[True, True, False], [True, False, False]])
    assert expand_padding_mask(keep).shape == (2, 1, 1, 3)
    dec = causal_padding_mask(keep)
    assert dec.shape == (2, 1, 3, 3)
    for b in range(2):
        for i in range(3):
            for j in range(3):
                assert bool(dec[b, 0, i, j]) == (j <= i and bool(keep[b, j]))


def test_decoder_self_mask_worked_example():
    """decoder_self_mask(ids, pad_id) is (B, 1, T, T): key j visible from query i when
    j <= i and ids[:, j] is not pad_id; a real token with id 0 stays visible."""
    ids = torch.tensor([[5, 9, 6, 3], [5, 0, 3, 3]])
    expected = torch.tensor([[[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0]],
                             [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]]],
                            dtype=torch.bool)[:, None]
    mask = decoder_self_mask(ids, pad_id=3)
    assert mask.dtype == torch.bool and mask.shape == (2, 1, 4, 4)
    assert torch.equal(mask, expected)
    assert torch.equal(decoder_self_mask(ids), causal_padding_mask(ids != PAD_ID))


def test_decoder_self_mask_matches_torch_masks_polarity_flipped():
    """The mask is the negation of what nn.Transformer's decoder is given: the square
    subsequent mask (-inf above the diagonal) OR the target key padding mask."""
    ids = torch.tensor([[5, 20, 21, 6, PAD_ID], [5, 22, 6, PAD_ID, PAD_ID]])
    future = torch.nn.Transformer.generate_square_subsequent_mask(5) != 0  # (T, T) True = blocked
    key_padding = ids == PAD_ID  # (B, T) True = blocked
    blocked = future[None, None] | key_padding[:, None, None, :]  # (B, 1, T, T)
    assert torch.equal(decoder_self_mask(ids, PAD_ID), ~blocked)


def test_combine_masks_ands_and_skips_none():
    """combine_masks is a broadcasting AND that ignores None and returns None for no masks."""
    a = torch.tensor([[True, False]])
    b = torch.tensor([[True], [False]])
    assert torch.equal(combine_masks(a, None, b), a & b)
    assert combine_masks(None, None) is None


def test_masks_do_not_mutate_inputs():
    """Building masks leaves the ids and masks they read unchanged."""
    ids = torch.tensor([[5, 0, 7]])
    before = ids.clone()
    keep = padding_mask(ids)
    keep_before = keep.clone()
    causal_padding_mask(keep)
    assert torch.equal(ids, before) and torch.equal(keep, keep_before)


@pytest.mark.parametrize("call, message", [
    (lambda: causal_mask(0), "positive int"),
    (lambda: causal_mask(2.0), "positive int"),
    (lambda: padding_mask(torch.tensor([[1.0, 0.0]])), "integer"),
    (lambda: padding_mask(torch.tensor([1, 0])), "(B, T)"),
    (lambda: padding_mask(torch.zeros(2, 0, dtype=torch.long)), "non-empty"),
    (lambda: padding_mask(torch.tensor([[1, 0]]), pad_id=0.5), "pad_id"),
    (lambda: expand_padding_mask(torch.ones(2, 3)), "bool"),
    (lambda: expand_padding_mask(torch.ones(2, 3, 4, dtype=torch.bool)), "(B, S)"),
    (lambda: combine_masks(torch.ones(2)), "bool"),
    (lambda: decoder_self_mask(torch.tensor([[5.0, 0.0]])), "integer"),
    (lambda: decoder_self_mask(torch.tensor([5, 0])), "(B, T)"),
    (lambda: decoder_self_mask(torch.tensor([[5, 0]]), pad_id=None), "pad_id"),
])
def test_bad_input_raises_value_error(call, message):
    """Each bad input raises ValueError and the message names what was expected."""
    with pytest.raises(ValueError, match="expected") as info:
        call()
    assert message in str(info.value)
