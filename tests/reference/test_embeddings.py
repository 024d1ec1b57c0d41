"""Tests for reference.embeddings: the sinusoid table and TransformerEmbedding."""

import math

import pytest
import torch

from reference.embeddings import TransformerEmbedding, sinusoidal_positional_encoding


def test_sinusoid_matches_the_paper_formula():
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)) and PE[pos, 2i+1] = cos(same angle), element by element."""
    pe = sinusoidal_positional_encoding(9, 6, dtype=torch.float64)
    assert pe.shape == (9, 6) and pe.dtype == torch.float64
    for pos in range(9):
        for i in range(3):
            angle = pos / 10000 ** (2 * i / 6)
            assert pe[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-12)
            assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-12)


def test_sinusoid_odd_width_and_default_dtype():
    """An odd d_model ends with a sin column (its cos partner is dropped); dtype defaults to float32."""
    odd = sinusoidal_positional_encoding(4, 5)
    assert odd.dtype == torch.float32 and odd.shape == (4, 5)
    angle = 3 / 10000 ** (4 / 5)  # position 3, pair i = 2
    assert odd[3, 4].item() == pytest.approx(math.sin(angle), abs=1e-6)
    assert odd[3, 3].item() == pytest.approx(math.cos(3 / 10000 ** (2 / 5)), abs=1e-6)


def test_sinusoidal_embedding_is_scaled_token_plus_position():
    """Output = sqrt(d) * token row + PE row, and the pad token's vector is zero."""
    emb = TransformerEmbedding(20, 8, 10)
    ids = torch.tensor([[3, 0, 7]])
    expected = emb.token.weight[ids] * math.sqrt(8) + sinusoidal_positional_encoding(10, 8)[:3]
    torch.testing.assert_close(emb(ids), expected)
    assert torch.all(emb.token.weight[0] == 0)
    assert emb.position is None and "pe" not in emb.state_dict()


def test_learned_positions_are_a_trainable_table():
    """positional='learned' adds position.weight[:T] and trains it."""
    emb = TransformerEmbedding(20, 8, 10, positional="learned")
    ids = torch.tensor([[3, 4, 7, 9]])
    expected = emb.token.weight[ids] * math.sqrt(8) + emb.position.weight[:4]
    out = emb(ids)
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    assert emb.position.weight.grad[:4].abs().sum() > 0 and torch.all(emb.position.weight.grad[4:] == 0)


def test_token_and_position_parts_start_with_similar_size():
    """The sqrt(d) scaling with std 1/sqrt(d) init gives token parts of std ~1 (like the sinusoid)."""
    emb = TransformerEmbedding(2000, 64, 16)
    scaled = emb.token.weight[1:] * math.sqrt(64)
    assert 0.9 < scaled.std().item() < 1.1


def test_dropout_only_in_training_and_double_follows():
    """eval() is deterministic, train() with dropout changes outputs; .double() converts the sinusoid."""
    emb = TransformerEmbedding(20, 8, 10, dropout=0.5)
    ids = torch.tensor([[3, 4, 7]])
    emb.eval()
    torch.testing.assert_close(emb(ids), emb(ids), rtol=0, atol=0)
    reference = emb(ids)
    emb.train()
    assert not torch.allclose(emb(ids), reference)
    assert emb.double().eval()(ids).dtype == torch.float64


def test_input_ids_are_not_mutated():
    """The embedding reads ids without changing them."""
    ids = torch.tensor([[3, 4, 7]])
    before = ids.clone()
    TransformerEmbedding(20, 8, 10)(ids)
    assert torch.equal(ids, before)


_emb = TransformerEmbedding(20, 8, 10)


@pytest.mark.parametrize("call, message", [
    (lambda: sinusoidal_positional_encoding(0, 8), "max_len"),
    (lambda: sinusoidal_positional_encoding(4, -2), "d_model"),
    (lambda: TransformerEmbedding(20, 8, 10, positional="rotary"), "positional"),
    (lambda: TransformerEmbedding(20, 8, 10, pad_id=20), "pad_id"),
    (lambda: TransformerEmbedding(20, 8, 10, dropout=1.5), "dropout"),
    (lambda: _emb(torch.tensor([[1.0, 2.0]])), "integer"),
    (lambda: _emb(torch.tensor([1, 2])), "(B, T)"),
    (lambda: _emb(torch.tensor([[1, 20]])), "[0, 20)"),
    (lambda: _emb(torch.tensor([[-1, 2]])), "[0, 20)"),
    (lambda: _emb(torch.zeros(1, 0, dtype=torch.long)), "non-empty"),
    (lambda: _emb(torch.ones(1, 11, dtype=torch.long)), "max_len=10"),
])
def test_bad_input_raises_value_error(call, message):
    """Each bad input raises ValueError whose message names what was expected."""
    with pytest.raises(ValueError, match="expected") as info:
        call()
    assert message in str(info.value)
