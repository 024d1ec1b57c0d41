"""Lesson 09: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import math
from collections import Counter

import torch
import torch.nn.functional as F

from reference.attention import merge_heads, scaled_dot_product_attention, split_heads

NEG_INF = float("-inf")


# --------------------------------------------------------------------------- attend_with_cache


def _qkv(attn, x):
    return tuple(split_heads(p(x), attn.num_heads) for p in (attn.q_proj, attn.k_proj, attn.v_proj))


def awc_causal_mask_square(attn, x_new, cache=None):
    """Uses the lesson-02 causal mask of the new length, sliced wrongly to fit the keys."""
    q, k, v = _qkv(attn, x_new)
    if cache is not None:
        k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
    s = k.size(2)
    mask = torch.ones(s, s, dtype=torch.bool).tril()[:q.size(2)]  # the FIRST T rows
    out, _ = scaled_dot_product_attention(q, k, v, mask)
    return attn.out_proj(merge_heads(out)), (k, v)


def awc_no_mask_at_all(attn, x_new, cache=None):
    """"With a cache there is no future to hide", forgetting the prompt chunk."""
    q, k, v = _qkv(attn, x_new)
    if cache is not None:
        k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
    out, _ = scaled_dot_product_attention(q, k, v)
    return attn.out_proj(merge_heads(out)), (k, v)


def awc_returns_old_cache(attn, x_new, cache=None):
    """Attends correctly but hands back the cache it was given."""
    q, k, v = _qkv(attn, x_new)
    kk = k if cache is None else torch.cat([cache[0], k], 2)
    vv = v if cache is None else torch.cat([cache[1], v], 2)
    t, s = q.size(2), kk.size(2)
    out, _ = scaled_dot_product_attention(q, kk, vv, torch.ones(t, s, dtype=torch.bool).tril(s - t))
    return attn.out_proj(merge_heads(out)), (cache if cache is not None else (k, v))


def awc_cat_dim1(attn, x_new, cache=None):
    """Appends along dim=1, the axis of (B, T, E) tensors, out of habit."""
    q, k, v = _qkv(attn, x_new)
    if cache is not None:
        k, v = torch.cat([cache[0], k], 1), torch.cat([cache[1], v], 1)
    t, s = q.size(2), k.size(2)
    out, _ = scaled_dot_product_attention(q, k, v, torch.ones(t, s, dtype=torch.bool).tril(s - t))
    return attn.out_proj(merge_heads(out)), (k, v)


def awc_only_new_keys_attended(attn, x_new, cache=None):
    """Stores the cache but attends over the new positions only."""
    q, k, v = _qkv(attn, x_new)
    t = q.size(2)
    out, _ = scaled_dot_product_attention(q, k, v, torch.ones(t, t, dtype=torch.bool).tril())
    new = (k, v) if cache is None else (torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2))
    return attn.out_proj(merge_heads(out)), new


# --------------------------------------------------------------------------- top_k_filter


def tk_topk_scatter(logits, k):
    """Keeps exactly the k positions topk returns."""
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    out = torch.full_like(logits, NEG_INF)
    idx = logits.topk(k, dim=-1).indices
    return out.scatter(-1, idx, logits.gather(-1, idx))


def tk_less_equal(logits, k):
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    kth = logits.topk(k, dim=-1).values[..., -1:]
    return torch.where(logits <= kth, torch.full_like(logits, NEG_INF), logits)


def tk_minus_1e9(logits, k):
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    kth = logits.topk(k, dim=-1).values[..., -1:]
    return torch.where(logits < kth, torch.full_like(logits, -1e9), logits)


def tk_no_k_zero(logits, k):
    kth = logits.topk(min(k, logits.size(-1)), dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, NEG_INF)


# --------------------------------------------------------------------------- top_p_filter


def tp_cumsum_greater(logits, p):
    """The usual first attempt: remove where the running total passes p."""
    sorted_logits, idx = logits.sort(descending=True)
    remove = sorted_logits.softmax(-1).cumsum(-1) > p
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def tp_no_ties(logits, p):
    """Right boundary, but ties at the edge cut by the sort order."""
    sorted_logits, idx = logits.sort(descending=True)
    probs = sorted_logits.softmax(-1)
    remove = probs.cumsum(-1) - probs >= p
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def tp_cumsum_logits(logits, p):
    sorted_logits, idx = logits.sort(descending=True)
    remove = sorted_logits.cumsum(-1) - sorted_logits >= p
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


# --------------------------------------------------------------------------- sample_next_token


def _filters(logits, temperature, top_k, top_p):
    from reference.generation import top_k_filter, top_p_filter
    return top_p_filter(top_k_filter(logits / temperature, top_k), top_p)


def snt_no_generator(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    return torch.multinomial(F.softmax(_filters(logits, temperature, top_k, top_p), -1), 1)[:, 0]


def snt_greedy(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    return _filters(logits, temperature, top_k, top_p).argmax(dim=-1)


def snt_times_temperature(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    scores = _filters(logits * temperature, 1.0, top_k, top_p)
    return torch.multinomial(scores.softmax(-1), 1, generator=generator).squeeze(1)


def snt_temperature_last(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    """Filters the raw logits, then applies the temperature."""
    scores = _filters(logits, 1.0, top_k, top_p) / temperature
    return torch.multinomial(scores.softmax(-1), 1, generator=generator).squeeze(1)


def snt_unfiltered(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    return torch.multinomial((logits / temperature).softmax(-1), 1, generator=generator).squeeze(1)


# --------------------------------------------------------------------------- beam_search


def _beam(lm, bos, eos, width, n_max, alpha, *, normalise=True, plus_one=False):
    beams, scores, done = torch.tensor([[bos]]), None, []
    for n in range(1, n_max + 1):
        lp = lm(beams)
        scores = torch.zeros(1, dtype=lp.dtype) if scores is None else scores
        top = (scores[:, None] + lp).flatten().topk(min(width, lp.numel()))
        rows, toks = top.indices // lp.size(1), top.indices % lp.size(1)
        beams = torch.cat([beams[rows], toks[:, None]], 1)
        ends = (toks == eos) | (n == n_max)
        length = n + 1 if plus_one else n
        done += [(beams[i], top.values[i] / (length**alpha if normalise else 1))
                 for i in range(len(toks)) if ends[i]]
        beams, scores = beams[~ends], top.values[~ends]
        if len(beams) == 0:
            break
    return max(done, key=lambda d: float(d[1]))


def bs_raw_log_prob(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    return _beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha, normalise=False)


def bs_length_with_bos(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    return _beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha, plus_one=True)


def bs_eos_stays(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    """Never retires a hypothesis: everything runs to max_new_tokens."""
    beams, scores = torch.tensor([[bos_id]]), None
    for _ in range(max_new_tokens):
        lp = next_log_probs(beams)
        scores = torch.zeros(1, dtype=lp.dtype) if scores is None else scores
        top = (scores[:, None] + lp).flatten().topk(min(beam_width, lp.numel()))
        beams = torch.cat([beams[top.indices // lp.size(1)], (top.indices % lp.size(1))[:, None]], 1)
        scores = top.values
    best = int(scores.argmax())
    return beams[best], scores[best] / max_new_tokens**alpha


# --------------------------------------------------------------------------- perplexity


def ppl_all_positions(logits, targets, ignore_index=-100):
    safe = targets.masked_fill(targets == ignore_index, 0)
    return F.cross_entropy(logits.flatten(0, 1), safe.flatten()).exp()


def ppl_per_sentence(logits, targets, ignore_index=-100):
    nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=ignore_index, reduction="none")
    real = targets != ignore_index
    return ((nll.sum(1) / real.sum(1)).exp()).mean()


def ppl_loss_only(logits, targets, ignore_index=-100):
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=ignore_index)


def ppl_default_ignore(logits, targets, ignore_index=-100):
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten()).exp()


# --------------------------------------------------------------------------- corpus_bleu


def _counts(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu_no_clip(hypotheses, references, max_n=4):
    logs = []
    for n in range(1, max_n + 1):
        m = sum(sum(c for g, c in _counts(h, n).items() if g in _counts(r, n))
                for h, r in zip(hypotheses, references, strict=True))
        t = sum(sum(_counts(h, n).values()) for h in hypotheses)
        if m == 0:
            return 0.0
        logs.append(math.log(m / t))
    c, r = sum(map(len, hypotheses)), sum(map(len, references))
    return (1.0 if c > r else math.exp(1 - r / c)) * math.exp(sum(logs) / max_n)


def bleu_average_of_sentences(hypotheses, references, max_n=4):
    from reference.evaluation import corpus_bleu
    return sum(corpus_bleu([h], [r], max_n) for h, r in zip(hypotheses, references, strict=True)) \
        / len(hypotheses)


def bleu_penalty_always(hypotheses, references, max_n=4):
    from reference.evaluation import bleu_statistics
    s = bleu_statistics(hypotheses, references, max_n)
    if min(s["matched"]) == 0:
        return 0.0
    g = math.exp(sum(math.log(m / t) for m, t in zip(s["matched"], s["total"], strict=True)) / max_n)
    return math.exp(1 - s["ref_len"] / s["hyp_len"]) * g


def bleu_sacrebleu_scale(hypotheses, references, max_n=4):
    from reference.evaluation import corpus_bleu
    return 100 * corpus_bleu(hypotheses, references, max_n)


def bleu_four_always(hypotheses, references, max_n=4):
    from reference.evaluation import corpus_bleu
    return corpus_bleu(hypotheses, references)


WRONG = [
    ("attend_with_cache", awc_causal_mask_square, "mask_without_offset"),
    ("attend_with_cache", awc_no_mask_at_all, "no_mask_on_new_positions"),
    ("attend_with_cache", awc_returns_old_cache, "cache_not_extended"),
    ("attend_with_cache", awc_cat_dim1, "concat_on_wrong_axis"),
    ("attend_with_cache", awc_only_new_keys_attended, "cache_ignored_in_attention"),
    ("top_k_filter", tk_topk_scatter, "ties_dropped"),
    ("top_k_filter", tk_less_equal, "kth_removed"),
    ("top_k_filter", tk_minus_1e9, "finite_fill"),
    ("top_k_filter", tk_no_k_zero, "k_zero_not_handled"),
    ("top_p_filter", tp_cumsum_greater, "crossing_token_dropped"),
    ("top_p_filter", tp_no_ties, "ties_dropped"),
    ("top_p_filter", tp_cumsum_logits, "no_softmax"),
    ("sample_next_token", snt_no_generator, "ignores_generator"),
    ("sample_next_token", snt_greedy, "argmax_not_sampled"),
    ("sample_next_token", snt_times_temperature, "temperature_multiplied"),
    ("sample_next_token", snt_temperature_last, "top_p_before_temperature"),
    ("sample_next_token", snt_unfiltered, "filters_ignored"),
    ("beam_search", bs_raw_log_prob, "no_length_normalisation"),
    ("beam_search", bs_length_with_bos, "bos_counted_in_length"),
    ("beam_search", bs_eos_stays, "continues_after_eos"),
    ("perplexity", ppl_all_positions, "padding_counted"),
    ("perplexity", ppl_per_sentence, "mean_of_sequence_perplexities"),
    ("perplexity", ppl_loss_only, "no_exp"),
    ("perplexity", ppl_default_ignore, "ignore_index_hardcoded"),
    ("corpus_bleu", bleu_no_clip, "unclipped_counts"),
    ("corpus_bleu", bleu_average_of_sentences, "mean_of_sentence_bleu"),
    ("corpus_bleu", bleu_penalty_always, "brevity_penalty_when_longer"),
    ("corpus_bleu", bleu_sacrebleu_scale, "returns_percent"),
    ("corpus_bleu", bleu_four_always, "max_n_ignored"),
]
