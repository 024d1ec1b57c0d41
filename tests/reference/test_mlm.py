"""Tests for reference.mlm: BERT masking (exact seeded and large-sample) and the MLM loss."""

import math

import pytest
import torch
import torch.nn.functional as F

from reference.mlm import mask_tokens, mlm_loss
from reference.tokenizer import CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_IDS

VOCAB = 40  # ids 0..14 special, 15..39 ordinary (25 of them)
NON_SPECIAL = VOCAB - len(SPECIAL_IDS)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(rows: int, length: int, seed: int = 0) -> torch.Tensor:
    """[CLS] words [SEP] [PAD]...: every row has specials, padding of varying length."""
    ids = torch.randint(len(SPECIAL_IDS), VOCAB, (rows, length), generator=_gen(seed))
    ids[:, 0] = CLS_ID
    ends = torch.randint(length // 2, length, (rows,), generator=_gen(seed + 1))
    for row, end in enumerate(ends.tolist()):
        ids[row, end] = SEP_ID
        ids[row, end + 1:] = PAD_ID
    return ids


def _mask(ids, seed=0, **kwargs):
    kwargs = {"mask_token_id": MASK_ID, "vocab_size": VOCAB, "special_ids": SPECIAL_IDS, **kwargs}
    return mask_tokens(ids, generator=_gen(seed), **kwargs)


def _close(a: torch.Tensor, b: torch.Tensor) -> None:
    """float32 agreement; torch.allclose, since torch.testing.assert_close costs ~1 s on first use."""
    assert torch.allclose(a, b, rtol=1e-5, atol=1e-6), (a, b)


def _within(observed: float, p: float, n: int, k: float = 5.0) -> bool:
    """|observed - p| within k binomial standard errors sqrt(p(1-p)/n).

    k = 5 makes a false failure of a correct implementation about 6e-7 per check."""
    return abs(observed - p) <= k * math.sqrt(p * (1 - p) / n)


# --- exact, seeded -----------------------------------------------------------

def test_seeded_determinism_and_no_mutation():
    """Same seed -> identical (inputs, labels); another seed -> different; input untouched."""
    ids = _batch(8, 20)
    before = ids.clone()
    a, b = _mask(ids, seed=3), _mask(ids, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    c = _mask(ids, seed=4)
    assert not (torch.equal(a[0], c[0]) and torch.equal(a[1], c[1]))
    assert torch.equal(ids, before)


def test_generator_only_global_rng_untouched():
    """With a generator, torch's global random state does not move."""
    state = torch.get_rng_state()
    _mask(_batch(4, 10))
    assert torch.equal(state, torch.get_rng_state())


def test_documented_draw_order():
    """The documented draws reproduce the output exactly: rand (selection), rand (80/10/10),
    randint over the non-special ids (fixtures depend on this order)."""
    ids = _batch(3, 12)
    g = _gen(7)
    select = torch.rand(ids.shape, generator=g) < 0.15
    action = torch.rand(ids.shape, generator=g)
    random_ids = torch.arange(len(SPECIAL_IDS), VOCAB)[torch.randint(NON_SPECIAL, ids.shape, generator=g)]
    selected = select & (ids >= len(SPECIAL_IDS))
    expected = torch.where(selected & (action < 0.8), MASK_ID, ids)
    expected = torch.where(selected & (action >= 0.8) & (action < 0.9), random_ids, expected)
    inputs, labels = _mask(ids, seed=7)
    assert torch.equal(inputs, expected)
    assert torch.equal(labels, torch.where(selected, ids, -100))


def test_select_all_mask_all():
    """mlm_probability=1, mask_replace_prob=1: every non-special token becomes [MASK], specials stay."""
    ids = torch.tensor([[CLS_ID, 20, 21, 22, SEP_ID, PAD_ID]])
    inputs, labels = _mask(ids, mlm_probability=1.0, mask_replace_prob=1.0, random_replace_prob=0.0)
    assert inputs.tolist() == [[CLS_ID, MASK_ID, MASK_ID, MASK_ID, SEP_ID, PAD_ID]]
    assert labels.tolist() == [[-100, 20, 21, 22, -100, -100]]


def test_select_none():
    """mlm_probability=0: inputs unchanged, every label -100."""
    ids = _batch(2, 8)
    inputs, labels = _mask(ids, mlm_probability=0.0)
    assert torch.equal(inputs, ids) and (labels == -100).all()


def test_select_all_keep_all():
    """mask 0, random 0: selected tokens are kept but still labelled (BERT's 10% "keep")."""
    ids = torch.tensor([[CLS_ID, 20, 21, SEP_ID]])
    inputs, labels = _mask(ids, mlm_probability=1.0, mask_replace_prob=0.0, random_replace_prob=0.0)
    assert torch.equal(inputs, ids)
    assert labels.tolist() == [[-100, 20, 21, -100]]


def test_random_only_never_special():
    """random_replace_prob=1 replaces every selected token with a non-special id."""
    ids = _batch(50, 30)
    inputs, labels = _mask(ids, mlm_probability=1.0, mask_replace_prob=0.0, random_replace_prob=1.0)
    selected = labels != -100
    assert (inputs[selected] >= len(SPECIAL_IDS)).all()
    assert torch.equal(inputs[~selected], ids[~selected])


def test_accepts_tensor_and_set_special_ids():
    """special_ids may be any collection of ints (tuple, set, tensor): same result."""
    ids = _batch(4, 10)
    a = _mask(ids, special_ids=set(SPECIAL_IDS))
    b = _mask(ids, special_ids=torch.tensor(SPECIAL_IDS))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


# --- large-sample statistics ------------------------------------------------

@pytest.fixture(scope="module")
def big():
    """128k positions of [CLS] words [SEP] [PAD]..., masked once with seed 11."""
    ids = _batch(2000, 64, seed=5)
    inputs, labels = _mask(ids, seed=11)
    return ids, inputs, labels


def test_selection_rate_is_15_percent_of_non_special(big):
    """Selected fraction among non-special tokens within 5 standard errors of 0.15."""
    ids, _, labels = big
    ordinary = ids >= len(SPECIAL_IDS)
    n = int(ordinary.sum())
    assert _within(float((labels[ordinary] != -100).float().mean()), 0.15, n)


def test_specials_never_selected_and_unchanged(big):
    """[CLS], [SEP], [PAD] (all specials) are never selected and never changed."""
    ids, inputs, labels = big
    special = ids < len(SPECIAL_IDS)
    assert (labels[special] == -100).all()
    assert torch.equal(inputs[special], ids[special])


def test_labels_exactly_where_selected(big):
    """Labels hold the original id where selected and -100 elsewhere; unselected inputs unchanged."""
    ids, inputs, labels = big
    selected = labels != -100
    assert torch.equal(labels[selected], ids[selected])
    assert torch.equal(inputs[~selected], ids[~selected])


def test_80_10_10_split(big):
    """Among selected: [MASK] ~ 0.8; a different ordinary id ~ 0.1 * (1 - 1/25) (a random draw
    equals the original with probability 1/25); unchanged ~ 0.1 + 0.1/25. Each within 5 SE."""
    ids, inputs, labels = big
    selected = labels != -100
    n = int(selected.sum())
    got, orig = inputs[selected], ids[selected]
    assert _within(float((got == MASK_ID).float().mean()), 0.8, n)
    assert _within(float(((got != MASK_ID) & (got != orig)).float().mean()), 0.1 * (1 - 1 / NON_SPECIAL), n)
    assert _within(float((got == orig).float().mean()), 0.1 + 0.1 / NON_SPECIAL, n)


def test_random_replacements_uniform_over_non_special():
    """With random_replace_prob=1 the replacement ids are uniform over the 25 ordinary ids:
    each id's share within 5 SE of 1/25, and no special id ever appears."""
    ids = _batch(1000, 40, seed=2)
    inputs, labels = _mask(ids, mlm_probability=1.0, mask_replace_prob=0.0, random_replace_prob=1.0)
    drawn = inputs[labels != -100]
    counts = torch.bincount(drawn, minlength=VOCAB)
    assert counts[: len(SPECIAL_IDS)].sum() == 0
    n = drawn.numel()
    assert all(_within(c / n, 1 / NON_SPECIAL, n) for c in counts[len(SPECIAL_IDS):].tolist())


# --- mlm_loss ----------------------------------------------------------------

def test_mlm_loss_matches_cross_entropy():
    """Equal to F.cross_entropy with ignore_index=-100 (mean over selected positions)."""
    logits = torch.randn(3, 7, VOCAB)
    _, labels = _mask(_batch(3, 7), mlm_probability=0.5)
    expected = F.cross_entropy(logits.reshape(-1, VOCAB), labels.reshape(-1))
    _close(mlm_loss(logits, labels), expected)


def test_mlm_loss_only_selected_positions():
    """Logits at unselected positions change neither the loss nor receive gradient."""
    labels = torch.tensor([[-100, 17, -100, 20]])
    logits = torch.randn(1, 4, VOCAB, requires_grad=True)
    loss = mlm_loss(logits, labels)
    loss.backward()
    assert (logits.grad[0, [0, 2]] == 0).all()
    other = logits.detach().clone()
    other[0, [0, 2]] = 100.0
    _close(mlm_loss(other, labels), loss.detach())
    manual = -(F.log_softmax(logits[0, 1], -1)[17] + F.log_softmax(logits[0, 3], -1)[20]) / 2
    _close(loss, manual)


def test_mlm_loss_nothing_selected_is_zero_with_grad():
    """No selected position: loss 0 (not NaN), backward works and gives zero gradients."""
    logits = torch.randn(2, 3, VOCAB, requires_grad=True)
    loss = mlm_loss(logits, torch.full((2, 3), -100))
    assert loss.item() == 0.0
    loss.backward()
    assert (logits.grad == 0).all()


def test_mlm_loss_gradcheck():
    """Autograd gradient agrees with finite differences (float64)."""
    logits = torch.randn(2, 4, 6, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([[1, -100, 5, 0], [-100, -100, 2, 3]])
    assert torch.autograd.gradcheck(lambda x: mlm_loss(x, labels), (logits,))


# --- errors ------------------------------------------------------------------

GOOD = torch.tensor([[CLS_ID, 20, 21, SEP_ID]])


@pytest.mark.parametrize(("ids", "kwargs", "message"), [
    (GOOD.float(), {}, "torch.long tensor, got dtype torch.float32"),
    ([[2, 20]], {}, "torch.long tensor, got list"),
    (GOOD[0], {}, r"shape \(B, T\), got shape \(4,\)"),
    (torch.zeros(1, 0, dtype=torch.long), {}, "non-empty batch"),
    (GOOD + 100, {}, r"input_ids in \[0, 40\), got values in \[102, 121\]"),
    (GOOD - 3, {}, r"input_ids in \[0, 40\)"),
    (GOOD, {"vocab_size": 0}, "vocab_size to be a positive int, got 0"),
    (GOOD, {"mask_token_id": 40}, r"mask_token_id to be an int id in \[0, 40\), got 40"),
    (GOOD, {"special_ids": [0, 99]}, r"every special id to be an int id in \[0, 40\), got 99"),
    (GOOD, {"special_ids": 0}, "special_ids to be a collection of int ids, got int"),
    (GOOD, {"mlm_probability": 1.5}, r"mlm_probability to be a probability in \[0, 1\], got 1.5"),
    (GOOD, {"mask_replace_prob": -0.1}, r"mask_replace_prob to be a probability in \[0, 1\]"),
    (GOOD, {"random_replace_prob": 2}, r"random_replace_prob to be a probability in \[0, 1\]"),
    (GOOD, {"mask_replace_prob": 0.8, "random_replace_prob": 0.3},
     r"mask_replace_prob \+ random_replace_prob <= 1, got 0.8 \+ 0.3"),
    (GOOD, {"special_ids": range(40)}, "at least one non-special id"),
])
def test_mask_tokens_errors(ids, kwargs, message):
    """Each bad argument raises a ValueError naming expected and actual."""
    with pytest.raises(ValueError, match=message):
        _mask(ids, **kwargs)


def test_mask_tokens_bad_generator():
    """A generator that is not a torch.Generator is rejected."""
    with pytest.raises(ValueError, match="torch.Generator or None, got int"):
        mask_tokens(GOOD, mask_token_id=MASK_ID, vocab_size=VOCAB, special_ids=SPECIAL_IDS, generator=0)


@pytest.mark.parametrize(("logits", "labels", "message"), [
    (torch.zeros(1, 2, 5, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long), "floating-point tensor"),
    (torch.zeros(2, 5), torch.zeros(1, 2, dtype=torch.long), r"logits of shape \(B, T, V\), got shape \(2, 5\)"),
    (torch.zeros(1, 2, 5), torch.zeros(1, 2), "labels to be a torch.long tensor, got dtype torch.float32"),
    (torch.zeros(1, 2, 5), torch.zeros(1, 3, dtype=torch.long), r"labels of shape \(B, T\) = \(1, 2\)"),
    (torch.zeros(1, 2, 5), torch.tensor([[0, 5]]), r"labels to be ids in \[0, 5\) or -100, got 5"),
    (torch.zeros(1, 2, 5), torch.tensor([[0, -1]]), r"labels to be ids in \[0, 5\) or -100, got -1"),
    (torch.zeros(0, 2, 5), torch.zeros(0, 2, dtype=torch.long), "non-empty logits"),
])
def test_mlm_loss_errors(logits, labels, message):
    """Wrong dtype, rank, shape or label range raise a ValueError naming expected and actual."""
    with pytest.raises(ValueError, match=message):
        mlm_loss(logits, labels)
