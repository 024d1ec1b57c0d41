"""Tests for reference.denoising: BART corruptions, T5 span corruption, shift_right, seq2seq_loss."""

import itertools
import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from reference.denoising import (
    document_rotation,
    sentence_permutation,
    seq2seq_loss,
    shift_right,
    span_corruption,
    text_infilling,
    token_deletion,
    token_masking,
)
from reference.denoising.span_corruption import random_composition
from reference.denoising.text_infilling import poisson_span_lengths
from reference.tokenizer import BOS_ID, CLS_ID, EOS_ID, MASK_ID, PAD_ID, SENTINEL_IDS, SEP_ID

DOT = 20  # the sentence-end id in these tests
BASE = 100  # ordinary ids start here, so distinct tokens are distinct ids


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _distinct(n: int) -> torch.Tensor:
    """n distinct ordinary ids: where each came from is known after corruption."""
    return torch.arange(BASE, BASE + n)


def _within(observed: float, p: float, n: int, k: float = 5.0) -> bool:
    """|observed - p| within k binomial standard errors; k = 5 -> a false failure ~6e-7 per check."""
    return abs(observed - p) <= k * math.sqrt(p * (1 - p) / n)


DOC = torch.tensor([BOS_ID, 101, 102, DOT, 103, 104, 105, DOT, 106, DOT, 107, 108, DOT, EOS_ID])

CORRUPTIONS = {
    "token_masking": lambda t, g: token_masking(t, mask_token_id=MASK_ID, mask_ratio=0.3, generator=g),
    "token_deletion": lambda t, g: token_deletion(t, deletion_ratio=0.3, generator=g),
    "text_infilling": lambda t, g: text_infilling(t, mask_token_id=MASK_ID, generator=g),
    "sentence_permutation": lambda t, g: sentence_permutation(t, sentence_end_ids=DOT, generator=g),
    "document_rotation": lambda t, g: document_rotation(t, generator=g),
    "span_corruption": lambda t, g: torch.cat(span_corruption(t, sentinel_ids=SENTINEL_IDS, generator=g)),
}


# --- shared behaviour of every corruption -------------------------------------

@pytest.mark.parametrize("name", CORRUPTIONS)
def test_seeded_determinism(name):
    """Same seed -> identical output; over ten seeds the outputs are not all the same."""
    corrupt = CORRUPTIONS[name]
    assert torch.equal(corrupt(DOC, _gen(0)), corrupt(DOC, _gen(0)))
    assert len({tuple(corrupt(DOC, _gen(s)).tolist()) for s in range(10)}) > 1


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_input_not_mutated_and_global_rng_untouched(name):
    """The input tensor is unchanged and, with a generator, torch's global state does not move."""
    before, state = DOC.clone(), torch.get_rng_state()
    CORRUPTIONS[name](DOC, _gen(1))
    assert torch.equal(DOC, before)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("name", [n for n in CORRUPTIONS if n != "span_corruption"])
def test_boundary_tokens_never_corrupted(name):
    """A leading [CLS]/<s> run and a trailing [SEP]/</s> run stay in place, over many seeds."""
    tokens = torch.tensor([CLS_ID, BOS_ID, 101, 102, DOT, 103, DOT, SEP_ID, EOS_ID])
    for seed in range(30):
        out = CORRUPTIONS[name](tokens, _gen(seed))
        assert out[:2].tolist() == [CLS_ID, BOS_ID] and out[-2:].tolist() == [SEP_ID, EOS_ID]


@pytest.mark.parametrize("name", [n for n in CORRUPTIONS if n != "span_corruption"])
def test_only_boundary_tokens_returns_a_copy(name):
    """Nothing to corrupt (only [CLS] ... </s>): an equal, new tensor."""
    tokens = torch.tensor([CLS_ID, EOS_ID])
    out = CORRUPTIONS[name](tokens, _gen(0))
    assert torch.equal(out, tokens) and out.data_ptr() != tokens.data_ptr()


# --- token masking and deletion ----------------------------------------------

def test_token_masking_exact_count_and_only_masks():
    """ceil(0.15 * 20) = 3 positions become [MASK]; the rest is unchanged; ratio 0 and 1."""
    tokens = _distinct(20)
    out = token_masking(tokens, mask_token_id=MASK_ID, generator=_gen(0))
    assert out.shape == tokens.shape and int((out == MASK_ID).sum()) == 3
    assert torch.equal(out[out != MASK_ID], tokens[out != MASK_ID])
    assert torch.equal(token_masking(tokens, mask_token_id=MASK_ID, mask_ratio=0.0), tokens)
    assert (token_masking(tokens, mask_token_id=MASK_ID, mask_ratio=1.0) == MASK_ID).all()


def test_token_masking_positions_uniform():
    """Each of 20 positions is masked in 3/20 of 2000 runs, within 5 SE."""
    tokens = _distinct(20)
    g = _gen(2)
    hits = sum((token_masking(tokens, mask_token_id=MASK_ID, generator=g) == MASK_ID).long() for _ in range(2000))
    assert all(_within(h / 2000, 3 / 20, 2000) for h in hits.tolist())


def test_token_deletion_is_a_subsequence_of_exact_length():
    """ceil(0.3 * 10) = 3 tokens removed; what remains keeps its order."""
    tokens = _distinct(10)
    out = token_deletion(tokens, deletion_ratio=0.3, generator=_gen(0))
    assert out.numel() == 7
    assert out.tolist() == sorted(out.tolist()) and set(out.tolist()) <= set(tokens.tolist())


def test_token_deletion_positions_uniform():
    """Each of 20 positions is deleted in 3/20 of 2000 runs (0.15 ratio), within 5 SE."""
    tokens = _distinct(20)
    g = _gen(3)
    kept = Counter()
    for _ in range(2000):
        kept.update(token_deletion(tokens, generator=g).tolist())
    assert all(_within(1 - kept[t] / 2000, 3 / 20, 2000) for t in tokens.tolist())


# --- text infilling ----------------------------------------------------------

def _infilling_spans(out: list[int], n: int) -> list[int]:
    """Span lengths of one infilled copy of _distinct(n), read off the kept ids around each mask.

    Assumes masks are never adjacent (asserted), true whenever spans <= gaps."""
    spans, prev = [], -1
    for i, v in enumerate(out):
        if v == MASK_ID:
            assert i == 0 or out[i - 1] != MASK_ID
            nxt = out[i + 1] - BASE if i + 1 < len(out) else n
            spans.append(nxt - prev - 1)
        else:
            prev = v - BASE
    return spans


def test_text_infilling_tiny_exact():
    """ceil(0.3 * 10) = 3 tokens go; kept tokens keep their order; one mask per span."""
    tokens = _distinct(10)
    for seed in range(20):
        out = text_infilling(tokens, mask_token_id=MASK_ID, generator=_gen(seed)).tolist()
        kept = [v for v in out if v != MASK_ID]
        assert len(kept) == 7 and kept == sorted(kept)
        assert sum(_infilling_spans(out, 10)) == 3


@pytest.fixture(scope="module")
def infilled_spans():
    """Span lengths from 100 infilled copies of 1000 distinct tokens (ratio 0.3, lambda 3)."""
    spans = []
    for seed in range(100):
        out = text_infilling(_distinct(1000), mask_token_id=MASK_ID, mask_ratio=0.3,
                             poisson_lambda=3.0, generator=_gen(seed))
        spans_here = _infilling_spans(out.tolist(), 1000)
        assert sum(spans_here) == 300  # exactly ceil(0.3 * 1000) tokens masked, every time
        spans += spans_here
    return spans


def test_text_infilling_mean_span_length(infilled_spans):
    """Mean span length ~ lambda = 3 (~10k spans). Bound: 5 SE (Poisson variance = lambda) plus
    0.05 for the one span per sequence cut to the budget (it removes ~2 tokens of ~300: ~0.02)."""
    n = len(infilled_spans)
    mean = sum(infilled_spans) / n
    assert abs(mean - 3.0) <= 5 * math.sqrt(3.0 / n) + 0.05


def test_text_infilling_zero_length_spans(infilled_spans):
    """Zero-length spans (inserted masks) occur at the Poisson rate exp(-3), within 5 SE."""
    n = len(infilled_spans)
    assert _within(sum(s == 0 for s in infilled_spans) / n, math.exp(-3.0), n)


def test_poisson_span_lengths_sum_to_budget():
    """Lengths add up to the budget exactly; all but the last are raw Poisson(2) draws, whose
    mean is within 5 SE of 2 and zero share within 5 SE of exp(-2)."""
    g = _gen(4)
    raw = []
    for _ in range(200):
        lengths = poisson_span_lengths(100, 2.0, g)
        assert sum(lengths) == 100 and lengths[-1] >= 1
        raw += lengths[:-1]
    n = len(raw)
    assert abs(sum(raw) / n - 2.0) <= 5 * math.sqrt(2.0 / n)
    assert _within(raw.count(0) / n, math.exp(-2.0), n)
    assert poisson_span_lengths(0, 3.0, g) == []


def test_text_infilling_ratio_edges():
    """Ratio 0 leaves the sequence alone; ratio 1 leaves only masks."""
    tokens = _distinct(12)
    assert torch.equal(text_infilling(tokens, mask_token_id=MASK_ID, mask_ratio=0.0), tokens)
    out = text_infilling(tokens, mask_token_id=MASK_ID, mask_ratio=1.0, generator=_gen(0))
    assert (out == MASK_ID).all() and out.numel() >= 1


# --- sentence permutation and document rotation -------------------------------

def test_sentence_permutation_is_a_permutation_of_sentences():
    """The output is the original sentences (split after each '.', a trailing fragment being a
    sentence too, as fairseq) concatenated in some order."""
    sentences = [[101, 102, DOT], [103, DOT], [104, 105, 106, DOT], [107, 108]]
    tokens = torch.tensor([t for s in sentences for t in s])
    orders = {tuple(t for i in p for t in sentences[i]) for p in itertools.permutations(range(4))}
    for seed in range(20):
        out = sentence_permutation(tokens, sentence_end_ids=[DOT], generator=_gen(seed))
        assert tuple(out.tolist()) in orders


def test_sentence_permutation_orders_uniform():
    """All 3! orders of three sentences occur, each in 1/6 of 1500 runs within 5 SE."""
    tokens = torch.tensor([101, DOT, 102, DOT, 103, DOT])
    g = _gen(5)
    counts = Counter(tuple(sentence_permutation(tokens, sentence_end_ids=DOT, generator=g).tolist())
                     for _ in range(1500))
    assert len(counts) == 6 and all(_within(c / 1500, 1 / 6, 1500) for c in counts.values())


def test_sentence_permutation_several_end_ids():
    """Any id in sentence_end_ids ends a sentence ('.' and '?' here)."""
    tokens = torch.tensor([101, DOT, 102, 21])
    outs = {tuple(sentence_permutation(tokens, sentence_end_ids=(DOT, 21), generator=_gen(s)).tolist())
            for s in range(20)}
    assert outs == {(101, DOT, 102, 21), (102, 21, 101, DOT)}


def test_document_rotation_is_a_rotation_with_uniform_start():
    """Output = body rolled; each of 8 start tokens in 1/8 of 2000 runs within 5 SE."""
    tokens = _distinct(8)
    g = _gen(6)
    starts = Counter()
    for _ in range(2000):
        out = document_rotation(tokens, generator=g)
        start = int(out[0]) - BASE
        assert torch.equal(out, tokens.roll(-start))
        starts[start] += 1
    assert len(starts) == 8 and all(_within(c / 2000, 1 / 8, 2000) for c in starts.values())


# --- T5 span corruption ------------------------------------------------------

def _reconstruct(inputs: list[int], targets: list[int], sentinels=SENTINEL_IDS) -> list[int]:
    """Put every sentinel's span from targets back where the sentinel stands in inputs."""
    spans, current = {}, None
    for v in targets:
        if v in sentinels:
            current = v
            spans[current] = []
        elif current is not None:
            spans[current].append(v)
    return [t for v in inputs for t in (spans[v] if v in sentinels else [v])]


def test_span_corruption_t5_format_and_reconstruction():
    """Inputs: spans replaced by successive sentinels; targets: sentinel + span ..., final sentinel.
    Together they rebuild the original; spans never touch (no two sentinels side by side)."""
    tokens = _distinct(30)
    for seed in range(30):
        inputs, targets = span_corruption(tokens, sentinel_ids=SENTINEL_IDS, generator=_gen(seed))
        used = [v for v in inputs.tolist() if v in SENTINEL_IDS]
        k = len(used)
        assert used == list(SENTINEL_IDS[:k])
        assert [v for v in targets.tolist() if v in SENTINEL_IDS] == list(SENTINEL_IDS[: k + 1])
        assert targets[0] == SENTINEL_IDS[0] and targets[-1] == SENTINEL_IDS[k]
        assert _reconstruct(inputs.tolist(), targets.tolist()) == tokens.tolist()
        pairs = zip(inputs.tolist(), inputs.tolist()[1:], strict=False)
        assert not any(a in SENTINEL_IDS and b in SENTINEL_IDS for a, b in pairs)


def test_span_corruption_noise_density_and_mean_span_length():
    """T5's counts: round(0.15 * 100) = 15 noise tokens in round(15 / 3) = 5 spans, every time
    (so density 0.15 and mean span length 3 exactly); 200 seeds, lengths vary."""
    tokens = _distinct(100)
    sentinels = tuple(range(1000, 1010))
    lengths = Counter()
    for seed in range(200):
        inputs, targets = span_corruption(tokens, sentinel_ids=sentinels, generator=_gen(seed))
        noise = [v for v in targets.tolist() if v not in sentinels]
        assert len(noise) == 15 and targets.numel() == 15 + 6 and inputs.numel() == 85 + 5
        spans = [len(s) for s in _split_on(targets.tolist(), sentinels)]
        assert len(spans) == 5 and sum(spans) / 5 == 3.0
        lengths.update(spans)
    assert len(lengths) > 3  # span lengths vary around the mean


def _split_on(targets: list[int], sentinels) -> list[list[int]]:
    parts = []
    for v in targets[:-1]:
        if v in sentinels:
            parts.append([])
        else:
            parts[-1].append(v)
    return parts


def test_span_corruption_layouts_uniform():
    """6 tokens, density 1/3, mean span 1: 2 single-token spans that do not touch. All
    C(5, 2) = 10 layouts occur, each in 1/10 of 2500 runs within 5 SE."""
    tokens = _distinct(6)
    g = _gen(8)
    counts = Counter()
    for _ in range(2500):
        _, targets = span_corruption(tokens, sentinel_ids=SENTINEL_IDS, noise_density=1 / 3,
                                     mean_span_length=1.0, generator=g)
        counts[tuple(v for v in targets.tolist() if v not in SENTINEL_IDS)] += 1
    assert len(counts) == 10 and all(_within(c / 2500, 0.1, 2500) for c in counts.values())


def test_span_corruption_clips_noise_to_one_and_n_minus_one():
    """Density 0 still corrupts one token, density 1 keeps one (T5's clipping)."""
    tokens = _distinct(5)
    _, low = span_corruption(tokens, sentinel_ids=SENTINEL_IDS, noise_density=0.0, generator=_gen(0))
    inputs, _ = span_corruption(tokens, sentinel_ids=SENTINEL_IDS, noise_density=1.0, generator=_gen(0))
    assert low.numel() == 1 + 2
    assert sum(v not in SENTINEL_IDS for v in inputs.tolist()) == 1


def test_span_corruption_boundary_tokens():
    """[CLS]/<s> stay first in inputs only; a trailing </s> ends both inputs and targets (as T5)."""
    tokens = torch.tensor([BOS_ID, *range(101, 111), EOS_ID])
    inputs, targets = span_corruption(tokens, sentinel_ids=SENTINEL_IDS, generator=_gen(0))
    assert inputs[0] == BOS_ID and inputs[-1] == EOS_ID and targets[-1] == EOS_ID
    assert BOS_ID not in targets.tolist()


def test_random_composition_uniform():
    """Compositions of 5 into 3 positive parts: all C(4, 2) = 6 occur, each 1/6 of 3000 within 5 SE."""
    g = _gen(9)
    counts = Counter(tuple(random_composition(5, 3, g)) for _ in range(3000))
    assert len(counts) == 6 and all(sum(c) == 5 for c in counts)
    assert all(_within(n / 3000, 1 / 6, 3000) for n in counts.values())
    with pytest.raises(ValueError, match="3 parts >= 1 to fit in 2"):
        random_composition(2, 3, g)


# --- shift_right and seq2seq_loss ---------------------------------------------

def test_shift_right_exact():
    """<s> first, labels shifted right by one, -100 replaced by [PAD]; labels untouched."""
    labels = torch.tensor([[11, 12, 13, EOS_ID], [21, EOS_ID, -100, -100]])
    before = labels.clone()
    out = shift_right(labels, BOS_ID, PAD_ID)
    assert out.tolist() == [[BOS_ID, 11, 12, 13], [BOS_ID, 21, EOS_ID, PAD_ID]]
    assert torch.equal(labels, before)


def _random_case(dtype=torch.float32):
    logits = torch.randn(3, 5, 7, dtype=dtype)
    labels = torch.randint(0, 7, (3, 5))
    labels[0, 3:] = -100
    labels[2, 1] = -100
    return logits, labels


def test_seq2seq_loss_matches_cross_entropy():
    """mean = F.cross_entropy(mean over non-ignored); sum = F.cross_entropy(reduction='sum')."""
    logits, labels = _random_case()
    flat = logits.reshape(-1, 7), labels.reshape(-1)
    assert torch.allclose(seq2seq_loss(logits, labels), F.cross_entropy(*flat), rtol=1e-5, atol=1e-6)
    assert torch.allclose(seq2seq_loss(logits, labels, reduction="sum"),
                          F.cross_entropy(*flat, reduction="sum"), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_seq2seq_loss_gradcheck(reduction):
    """Autograd gradient agrees with finite differences (float64), both reductions."""
    logits, labels = _random_case(torch.float64)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: seq2seq_loss(x, labels, reduction), (logits,))


def test_seq2seq_loss_all_ignored():
    """Every label -100: both reductions give 0 with a (zero) gradient, not NaN."""
    logits = torch.randn(2, 3, 5, requires_grad=True)
    labels = torch.full((2, 3), -100)
    for reduction in ("mean", "sum"):
        loss = seq2seq_loss(logits, labels, reduction)
        assert loss.item() == 0.0
        loss.backward()
    assert (logits.grad == 0).all()


# --- errors ------------------------------------------------------------------

ONE = torch.tensor([101, 102, 103])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: token_masking(ONE.float(), mask_token_id=MASK_ID), "torch.long tensor, got dtype torch.float32"),
    (lambda: token_masking([101], mask_token_id=MASK_ID), "torch.long tensor, got list"),
    (lambda: token_masking(ONE[None], mask_token_id=MASK_ID), r"shape \(T,\), one sequence without padding, got shape \(1, 3\)"),
    (lambda: token_deletion(ONE[:0]), r"non-empty sequence of tokens, got shape \(0,\)"),
    (lambda: document_rotation(ONE - 200), "token ids >= 0, got -99"),
    (lambda: token_masking(ONE, mask_token_id=-1), "mask_token_id to be an int id >= 0, got -1"),
    (lambda: token_masking(ONE, mask_token_id=MASK_ID, mask_ratio=1.2), r"mask_ratio to be a probability in \[0, 1\], got 1.2"),
    (lambda: token_deletion(ONE, deletion_ratio=-0.5), r"deletion_ratio to be a probability in \[0, 1\]"),
    (lambda: token_deletion(ONE, generator=1), "torch.Generator or None, got int"),
    (lambda: text_infilling(ONE, mask_token_id=MASK_ID, mask_ratio=True), r"mask_ratio to be a probability"),
    (lambda: text_infilling(ONE, mask_token_id=MASK_ID, poisson_lambda=0), "poisson_lambda to be a finite number > 0, got 0"),
    (lambda: text_infilling(ONE, mask_token_id=MASK_ID, poisson_lambda=float("inf")), "poisson_lambda"),
    (lambda: sentence_permutation(ONE, sentence_end_ids=[]), "sentence_end_ids to be a non-empty collection of distinct ids"),
    (lambda: sentence_permutation(ONE, sentence_end_ids="."), "sentence_end_ids to be an int or a collection of int ids, got str"),
    (lambda: sentence_permutation(ONE, sentence_end_ids=[-3]), "every id in sentence_end_ids to be an int id >= 0, got -3"),
    (lambda: span_corruption(ONE[:1], sentinel_ids=SENTINEL_IDS), "at least 2 tokens to corrupt"),
    (lambda: span_corruption(_distinct(100), sentinel_ids=SENTINEL_IDS[:3]), "at least 6 sentinel ids for 5 noise spans in 100 tokens, got 3"),
    (lambda: span_corruption(ONE, sentinel_ids=(7, 7)), "distinct ids"),
    (lambda: span_corruption(ONE, sentinel_ids=SENTINEL_IDS, noise_density=1.5), r"noise_density to be a probability in \[0, 1\]"),
    (lambda: span_corruption(ONE, sentinel_ids=SENTINEL_IDS, mean_span_length=0.5), "mean_span_length to be a finite number >= 1, got 0.5"),
    (lambda: shift_right(torch.zeros(2, 3), BOS_ID, PAD_ID), "labels to be a torch.long tensor, got dtype torch.float32"),
    (lambda: shift_right(ONE, BOS_ID, PAD_ID), r"non-empty shape \(B, T\), got shape \(3,\)"),
    (lambda: shift_right(ONE[None], -1, PAD_ID), "start_id to be an int id >= 0, got -1"),
    (lambda: shift_right(ONE[None], BOS_ID, None), "pad_id to be an int id >= 0, got None"),
    (lambda: shift_right(torch.tensor([[1, -5]]), BOS_ID, PAD_ID), "labels to be ids >= 0 or -100, got -5"),
    (lambda: seq2seq_loss(torch.zeros(1, 2, 3), torch.zeros(1, 2, dtype=torch.long), "none"), "reduction to be 'mean' or 'sum', got 'none'"),
    (lambda: seq2seq_loss(torch.zeros(1, 2, 3), torch.zeros(2, 2, dtype=torch.long)), r"labels of shape \(B, T\) = \(1, 2\)"),
    (lambda: seq2seq_loss(torch.zeros(1, 2, 3), torch.tensor([[0, 3]])), r"labels to be ids in \[0, 3\) or -100, got 3"),
    (lambda: seq2seq_loss(torch.zeros(2, 3), torch.zeros(1, 2, dtype=torch.long)), r"logits of shape \(B, T, V\)"),
])
def test_errors(call, message):
    """Each bad argument raises a ValueError naming expected and actual."""
    with pytest.raises(ValueError, match=message):
        call()
