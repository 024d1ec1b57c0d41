"""reference.generation: the KV cache equals recomputing the prefix step by step; the
sampling filters keep what they say (ties, the smallest nucleus) and agree with Hugging
Face's logits warpers; sampling is seeded and never draws a removed token; beam search
equals exhaustive search when nothing is pruned."""

from __future__ import annotations

import pytest
import torch

from reference.attention import MultiHeadAttention
from reference.generation import (
    apply_temperature,
    attend_with_cache,
    beam_search,
    cached_forward,
    exhaustive_search,
    generate_greedy,
    sample_next_token,
    top_k_filter,
    top_p_filter,
)
from reference.masks import causal_mask
from reference.models import CausalLM, TransformerConfig


def _model(norm_first: bool) -> CausalLM:
    torch.manual_seed(0)
    cfg = TransformerConfig(vocab_size=23, d_model=16, num_heads=4, d_ff=24, num_decoder_layers=2,
                            max_len=20, dropout=0.1, norm_first=norm_first)
    return CausalLM(cfg).double().eval()


# =========================================================================== KV cache


def test_attend_with_cache_equals_full_causal_attention_step_by_step():
    """A prompt of 3 positions then 4 single steps, each with the cache of the steps
    before, give the rows of causal self-attention over the whole sequence."""
    torch.manual_seed(1)
    attn = MultiHeadAttention(12, 3).double().eval()
    x = torch.randn(2, 7, 12, dtype=torch.float64)
    full, _ = attn(x, x, x, causal_mask(7))  # (B, T, E)
    out, cache = attend_with_cache(attn, x[:, :3])
    pieces = [out]
    for t in range(3, 7):
        out, cache = attend_with_cache(attn, x[:, t:t + 1], cache)
        pieces.append(out)
        torch.testing.assert_close(torch.cat(pieces, 1), full[:, :t + 1])
    assert cache[0].shape == (2, 3, 7, 4) and cache[1].shape == (2, 3, 7, 4)


def test_attend_with_cache_leaves_the_cache_passed_in_alone():
    """The returned cache is a new tensor; the one passed in keeps its length and values."""
    attn = MultiHeadAttention(8, 2).double()
    x = torch.randn(1, 4, 8, dtype=torch.float64)
    _, cache = attend_with_cache(attn, x[:, :2])
    before = [c.clone() for c in cache]
    attend_with_cache(attn, x[:, 2:], cache)
    assert all(torch.equal(a, b) for a, b in zip(cache, before, strict=True))


@pytest.mark.parametrize("norm_first", [False, True])
def test_cached_forward_equals_the_model_piece_by_piece(norm_first):
    """Logits of a prompt then single tokens through the cache equal model(ids) on the
    whole prefix, at every step (post-norm and pre-norm, with the final norm)."""
    model = _model(norm_first)
    ids = torch.randint(7, 23, (3, 9))
    with torch.no_grad():
        full = model(ids)  # (B, T, V)
        logits, cache = cached_forward(model, ids[:, :4])
        torch.testing.assert_close(logits, full[:, :4])
        for t in range(4, 9):
            logits, cache = cached_forward(model, ids[:, t:t + 1], cache)
            torch.testing.assert_close(logits[:, 0], full[:, t])


def test_generate_greedy_gives_the_same_tokens_with_and_without_cache():
    """The cache changes the cost, not the output; the training flag comes back."""
    model = _model(False).train()
    prompt = torch.randint(7, 23, (2, 3))
    with_cache = generate_greedy(model, prompt, 8)
    assert torch.equal(with_cache, generate_greedy(model, prompt, 8, use_cache=False))
    assert with_cache.shape == (2, 11) and model.training


def test_cached_forward_rejects_too_many_positions():
    """Past max_len, a ValueError names both lengths."""
    model = _model(False)
    with pytest.raises(ValueError, match="max_len=20"):
        cached_forward(model, torch.randint(7, 23, (1, 21)))


# =========================================================================== sampling filters


def test_top_k_keeps_ties_with_the_kth():
    """Every token tied with the k-th largest logit stays; k = 0 keeps all."""
    logits = torch.tensor([[3.0, 1.0, 2.0, 2.0, 0.0]])
    kept = top_k_filter(logits, 2) > float("-inf")
    assert kept.tolist() == [[True, False, True, True, False]]
    assert torch.equal(top_k_filter(logits, 0), logits)


def test_top_p_keeps_the_smallest_set_reaching_p():
    """Probabilities 0.5, 0.3, 0.2: p = 0.5 keeps one token (its mass reaches p), p = 0.6
    keeps two (0.79 too), p = 0.81 keeps three; the top token always stays."""
    logits = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64).log()
    for p, n in ((0.5, 1), (0.6, 2), (0.79, 2), (0.81, 3), (1e-9, 1), (1.0, 3)):
        assert int((top_p_filter(logits, p) > float("-inf")).sum()) == n, p


def test_top_p_keeps_ties_at_the_boundary():
    """Two tokens tied at the boundary are kept together."""
    logits = torch.tensor([0.4, 0.2, 0.2, 0.2], dtype=torch.float64).log()
    assert int((top_p_filter(logits, 0.5) > float("-inf")).sum()) == 4


@pytest.mark.parametrize("bad", [(0, "temperature"), (-1.0, "temperature")])
def test_bad_temperature_is_refused(bad):
    """temperature must be > 0: the error says what was expected and what came."""
    with pytest.raises(ValueError, match="temperature > 0"):
        apply_temperature(torch.zeros(2, 3), bad[0])


def test_filters_agree_with_hugging_face_warpers():
    """Temperature, top-k and top-p equal TemperatureLogitsWarper, TopKLogitsWarper and
    TopPLogitsWarper on random (untied) float64 logits, alone and chained."""
    lp = pytest.importorskip("transformers.generation.logits_process")
    gen = torch.Generator().manual_seed(0)
    for _ in range(30):
        logits = torch.randn(4, 17, generator=gen, dtype=torch.float64) * 2
        ids = torch.zeros(4, 1, dtype=torch.long)
        t = float(torch.rand(1, generator=gen)) * 2 + 0.2
        k = int(torch.randint(1, 17, (1,), generator=gen))
        p = float(torch.rand(1, generator=gen)) * 0.98 + 0.01
        torch.testing.assert_close(apply_temperature(logits, t), lp.TemperatureLogitsWarper(t)(ids, logits))
        torch.testing.assert_close(top_k_filter(logits, k), lp.TopKLogitsWarper(k)(ids, logits.clone()))
        torch.testing.assert_close(top_p_filter(logits, p), lp.TopPLogitsWarper(p)(ids, logits.clone()))
        hf = lp.TopPLogitsWarper(p)(ids, lp.TopKLogitsWarper(k)(ids, lp.TemperatureLogitsWarper(t)(ids, logits)))
        torch.testing.assert_close(top_p_filter(top_k_filter(apply_temperature(logits, t), k), p), hf)


def test_sampling_is_seeded_and_never_draws_a_removed_token():
    """The same generator seed gives the same draws; a token removed by top-k or top-p
    is never drawn; frequencies match the filtered distribution within 5 standard errors."""
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(1, 9, generator=gen, dtype=torch.float64).repeat(20000, 1)
    draw = lambda s: sample_next_token(logits, 0.8, 5, 0.9, generator=torch.Generator().manual_seed(s))  # noqa: E731
    first = draw(1)
    assert torch.equal(first, draw(1)) and not torch.equal(first, draw(2))
    probs = torch.softmax(top_p_filter(top_k_filter(logits[:1] / 0.8, 5), 0.9), -1)[0]
    freq = torch.bincount(first, minlength=9).double() / len(first)
    assert bool((freq[probs == 0] == 0).all())
    se = (probs * (1 - probs) / len(first)).sqrt()
    assert bool(((freq - probs).abs() <= 5 * se + 1e-12).all())


# =========================================================================== beam search


def _toy_lm(vocab: int, seed: int):
    """log-probabilities that depend on the whole prefix (a random table per prefix)."""
    table: dict[tuple[int, ...], torch.Tensor] = {}
    gen = torch.Generator().manual_seed(seed)

    def next_log_probs(prefixes: torch.Tensor) -> torch.Tensor:
        rows = []
        for row in prefixes.tolist():
            key = tuple(row)
            if key not in table:
                table[key] = torch.log_softmax(torch.randn(vocab, generator=gen, dtype=torch.float64) * 2, -1)
            rows.append(table[key])
        return torch.stack(rows)  # (N, V)

    return next_log_probs


@pytest.mark.parametrize("vocab, steps, alpha", [(3, 3, 1.0), (4, 3, 0.0), (3, 4, 0.7), (2, 5, 1.0)])
def test_beam_search_equals_exhaustive_search_when_nothing_is_pruned(vocab, steps, alpha):
    """With beam_width >= V**steps the beam keeps every hypothesis: the same sequence and
    score as trying every sequence (eos = id 1, bos = id 0)."""
    for seed in range(5):
        lm = _toy_lm(vocab, seed)
        tokens, score = beam_search(lm, 0, 1, vocab**steps, steps, alpha)
        best, best_score = exhaustive_search(lm, 0, 1, vocab, steps, alpha)
        assert torch.equal(tokens, best)
        torch.testing.assert_close(score, best_score)


def test_beam_of_one_is_greedy_and_wider_beams_never_score_lower_here():
    """Width 1 follows the argmax at every step until </s>; on these toy models a wider
    beam finds a score at least as good (not a theorem in general, true on these)."""
    for seed in range(5):
        lm = _toy_lm(4, 10 + seed)
        tokens, _ = beam_search(lm, 0, 1, 1, 6, 0.0)
        prefix = torch.tensor([0])
        for _ in range(6):
            nxt = int(lm(prefix[None])[0].argmax())
            prefix = torch.cat([prefix, torch.tensor([nxt])])
            if nxt == 1:
                break
        assert torch.equal(tokens, prefix)
        best = exhaustive_search(lm, 0, 1, 4, 4, 1.0)[1]
        assert float(beam_search(lm, 0, 1, 256, 4, 1.0)[1]) == pytest.approx(float(best))


def test_length_normalisation_is_score_over_length_to_the_alpha():
    """A two-token vocabulary where </s> first is likely: alpha = 0 keeps the short
    answer, a large alpha prefers the longer one; the score is log Pr / n**alpha."""
    def lm(prefixes):
        rows = []
        for row in prefixes.tolist():
            p = [0.45, 0.55] if len(row) == 1 else [0.05, 0.95]
            rows.append(torch.tensor(p, dtype=torch.float64).log())
        return torch.stack(rows)

    tokens, score = beam_search(lm, 0, 1, 4, 2, 0.0)
    assert tokens.tolist() == [0, 1] and float(score) == pytest.approx(torch.log(torch.tensor(0.55)).item())
    tokens, score = beam_search(lm, 0, 1, 4, 2, 1.0)
    assert tokens.tolist() == [0, 0, 1]
    assert float(score) == pytest.approx(float(torch.tensor(0.45 * 0.95).log() / 2))


def test_bad_beam_arguments_are_refused():
    """A beam width of 0 or a negative alpha is a ValueError."""
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(_toy_lm(3, 0), 0, 1, 0, 3)
    with pytest.raises(ValueError, match="alpha"):
        beam_search(_toy_lm(3, 0), 0, 1, 2, 3, -1.0)


def test_exhaustive_search_tries_every_sequence():
    """On V = 2 (bos 0, eos 1), 3 steps: the best of the 4 possible sequences, listed by hand."""
    lm = _toy_lm(2, 99)
    candidates = [[0, 1], [0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    scored = []
    for seq in candidates:
        lp = sum(float(lm(torch.tensor([seq[:i]]))[0, seq[i]]) for i in range(1, len(seq)))
        scored.append((lp / (len(seq) - 1), seq))
    best = max(scored)[1]
    assert exhaustive_search(lm, 0, 1, 2, 3)[0].tolist() == best
