"""Lesson 09's banks of correct alternatives, written as different students would (each
must pass, visible and hidden), and the measurement of the tolerances.

Run as a script (``python -m tests.grader.checks.catalogue.generating_text._bank [seeds]``)
it measures the tolerances: the largest error of the banks of correct float32
implementations against the float64 reference, over many seeds.
"""

from __future__ import annotations

import math
import sys
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference.attention import merge_heads, scaled_dot_product_attention, split_heads
from reference.evaluation import corpus_bleu
from reference.generation import beam_search, top_k_filter, top_p_filter

from .. import _shared as shared

LESSON = "09_generating_text"
HIDDEN_SEEDS = (3, 11)
NEG_INF = float("-inf")


def xid(name: str) -> str:
    """The lesson's exercise id of ``name``."""
    return f"{LESSON}/{name}"


def modes() -> list:
    """Visible once, then hidden with each of ``HIDDEN_SEEDS``."""
    return [pytest.param(False, None, id="visible")] + [
        pytest.param(True, s, id=f"hidden-{s}") for s in HIDDEN_SEEDS]


def bank_params(name: str) -> list:
    """``BANK[name]`` as pytest parameters named by each alternative."""
    return [pytest.param(c, id=shared.name_of(c)) for c in BANK[name]]


# =========================================================================== attend_with_cache


def awc_manual(attn, x_new, cache=None):
    b, t, e = x_new.shape
    h = attn.num_heads
    q = attn.q_proj(x_new).view(b, t, h, e // h).transpose(1, 2)
    k = attn.k_proj(x_new).view(b, t, h, e // h).transpose(1, 2)
    v = attn.v_proj(x_new).view(b, t, h, e // h).transpose(1, 2)
    past = 0
    if cache:
        past = cache[0].shape[2]
        k, v = torch.cat((cache[0], k), 2), torch.cat((cache[1], v), 2)
    scores = torch.einsum("bhtd,bhsd->bhts", q, k) / math.sqrt(e // h)
    allowed = torch.arange(past + t)[None, :] <= (past + torch.arange(t))[:, None]
    weights = scores.masked_fill(~allowed, NEG_INF).softmax(-1)
    out = torch.einsum("bhts,bhsd->bhtd", weights, v).transpose(1, 2).reshape(b, t, e)
    return attn.out_proj(out), (k, v)


def awc_torch_sdpa(attn, x_new, cache=None):
    h = attn.num_heads
    q, k, v = (split_heads(proj(x_new), h) for proj in (attn.q_proj, attn.k_proj, attn.v_proj))
    if cache is not None:
        k = torch.cat([cache[0], k], dim=-2)
        v = torch.cat([cache[1], v], dim=-2)
    t, s = q.shape[-2], k.shape[-2]
    mask = torch.ones(t, s, dtype=torch.bool).tril(s - t)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return attn.out_proj(merge_heads(out)), (k, v)


def awc_one_at_a_time(attn, x_new, cache=None):
    """Each new position in turn, with a cache that grows: no mask needed at all."""
    outs = []
    for i in range(x_new.size(1)):
        x = x_new[:, i:i + 1]
        q = split_heads(attn.q_proj(x), attn.num_heads)
        k = split_heads(attn.k_proj(x), attn.num_heads)
        v = split_heads(attn.v_proj(x), attn.num_heads)
        cache = (k, v) if cache is None else (torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2))
        out, _ = scaled_dot_product_attention(q, cache[0], cache[1])
        outs.append(attn.out_proj(merge_heads(out)))
    return torch.cat(outs, dim=1), cache


def awc_list_cache(attn, x_new, cache=None):
    """The cache as a list, a new one returned; the mask built from the causal triangle."""
    h = attn.num_heads
    q = split_heads(attn.q_proj(x_new), h)
    new_k, new_v = split_heads(attn.k_proj(x_new), h), split_heads(attn.v_proj(x_new), h)
    keys = new_k if cache is None else torch.cat([cache[0], new_k], 2)
    values = new_v if cache is None else torch.cat([cache[1], new_v], 2)
    t, s = q.size(2), keys.size(2)
    mask = torch.ones(s, s, dtype=torch.bool).tril()[s - t:]  # the last T rows of the triangle
    out, _ = scaled_dot_product_attention(q, keys, values, mask[None, None])
    return attn.out_proj(merge_heads(out)), [keys, values]


# =========================================================================== the filters


def tk_sorted(logits, k):
    if k <= 0 or k >= logits.shape[-1]:
        return logits.clone()
    threshold = logits.sort(dim=-1, descending=True).values[..., k - 1].unsqueeze(-1)
    return torch.where(logits >= threshold, logits, torch.full_like(logits, NEG_INF))


def tk_kthvalue(logits, k):
    v = logits.size(-1)
    if k == 0 or k >= v:
        return logits.clone()
    kth = torch.kthvalue(logits, v - k + 1, dim=-1, keepdim=True).values
    out = logits.clone()
    out[out < kth] = NEG_INF
    return out


def tp_pairwise(logits, p):
    if p == 1:
        return logits.clone()
    probs = logits.softmax(-1)
    above = (probs.unsqueeze(-2) * (logits.unsqueeze(-2) > logits.unsqueeze(-1))).sum(-1)
    return logits.masked_fill(above >= p, NEG_INF)


def tp_rows_loop(logits, p):
    """Row by row in plain Python: walk down the sorted tokens, then keep ties of the last one."""
    flat = logits.reshape(-1, logits.size(-1))
    out = torch.full_like(flat, NEG_INF)
    for r in range(flat.size(0)):
        probs = flat[r].softmax(-1)
        order = probs.argsort(descending=True).tolist()
        total, last = 0.0, None
        for j in order:
            if total >= p:
                break
            last = j
            total += float(probs[j])
        keep = flat[r] >= flat[r, last]
        out[r] = torch.where(keep, flat[r], out[r])
    return out.reshape(logits.shape)


def tp_ascending(logits, p):
    """Hugging Face's way (ascending sort, remove while the mass below is at most 1 - p),
    then the tied tokens of the nucleus's edge put back."""
    if p >= 1:
        return logits.clone()
    sorted_logits, order = logits.sort(-1)
    below = sorted_logits.softmax(-1).cumsum(-1)
    remove_sorted = below <= 1 - p
    remove_sorted[..., -1] = False
    remove = remove_sorted.scatter(-1, order, remove_sorted)
    edge = logits.masked_fill(remove, float("inf")).amin(-1, keepdim=True)
    return logits.masked_fill(logits < edge, NEG_INF)


# =========================================================================== sampling


def snt_multinomial(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    scores = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    return torch.multinomial(F.softmax(scores, -1), num_samples=1, generator=generator)[:, 0]


def snt_inverse_cdf(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    """One uniform number per row, then the first token whose running total passes it."""
    scores = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    totals = scores.softmax(-1).cumsum(-1)
    u = torch.rand(logits.size(0), 1, generator=generator, dtype=totals.dtype) * totals[:, -1:]
    return torch.searchsorted(totals, u, right=True).squeeze(-1).clamp(max=logits.size(-1) - 1)


def snt_gumbel(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    """The Gumbel-max trick: argmax of the log-probabilities plus Gumbel noise is a draw."""
    scores = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    u = torch.rand(scores.shape, generator=generator, dtype=scores.dtype).clamp(1e-12, 1 - 1e-7)
    return (scores.log_softmax(-1) - torch.log(-torch.log(u))).argmax(-1)


# =========================================================================== beam search


def bs_topk(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    beams, scores, finished = torch.tensor([[bos_id]]), None, []
    for n in range(1, max_new_tokens + 1):
        lp = next_log_probs(beams)
        scores = torch.zeros(1, dtype=lp.dtype) if scores is None else scores
        cand = (scores[:, None] + lp).flatten()
        top = cand.topk(min(beam_width, cand.numel()))
        rows, toks = top.indices // lp.size(-1), top.indices % lp.size(-1)
        beams = torch.cat([beams[rows], toks[:, None]], 1)
        done = (toks == eos_id) | (n == max_new_tokens)
        finished += [(beams[i], top.values[i] / n**alpha) for i in range(len(toks)) if done[i]]
        beams, scores = beams[~done], top.values[~done]
        if not len(beams):
            break
    return max(finished, key=lambda f: f[1].item())


def bs_lists(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    """Hypotheses as Python lists with float scores; sorted() ranks the candidates."""
    alive, done = [([bos_id], 0.0)], []
    for n in range(1, max_new_tokens + 1):
        lp = next_log_probs(torch.tensor([seq for seq, _ in alive])).tolist()
        cands = [(seq + [tok], score + row[tok]) for (seq, score), row in zip(alive, lp, strict=True)
                 for tok in range(len(row))]
        cands = sorted(cands, key=lambda c: -c[1])[:beam_width]
        alive = []
        for seq, score in cands:
            if seq[-1] == eos_id or n == max_new_tokens:
                done.append((seq, score / n**alpha))
            else:
                alive.append((seq, score))
        if not alive:
            break
    seq, score = max(done, key=lambda d: d[1])
    return torch.tensor(seq), score


# =========================================================================== evaluation


def ppl_cross_entropy(logits, targets, ignore_index=-100):
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                          ignore_index=ignore_index)
    return nll.exp()


def ppl_where(logits, targets, ignore_index=-100):
    real = targets.ne(ignore_index)
    lp = torch.log_softmax(logits, -1)
    picked = torch.where(real, lp.gather(2, torch.where(real, targets, 0)[..., None])[..., 0], 0.0)
    return torch.exp(-picked.sum() / real.sum())


def ppl_one_hot(logits, targets, ignore_index=-100):
    real = targets != ignore_index
    one_hot = F.one_hot(targets.clamp(min=0) * real, logits.size(-1)).to(logits.dtype)
    nll = -(F.log_softmax(logits, -1) * one_hot).sum(-1)[real]
    return torch.exp(nll.mean())


def bleu_dicts(hypotheses, references, max_n=4):
    """Plain dicts instead of Counters; precisions multiplied, then the root."""
    product, hyp_len, ref_len = 1.0, 0, 0
    for n in range(1, max_n + 1):
        matched = total = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            ref_counts: dict = {}
            for i in range(len(ref) - n + 1):
                ref_counts[tuple(ref[i:i + n])] = ref_counts.get(tuple(ref[i:i + n]), 0) + 1
            hyp_counts: dict = {}
            for i in range(len(hyp) - n + 1):
                hyp_counts[tuple(hyp[i:i + n])] = hyp_counts.get(tuple(hyp[i:i + n]), 0) + 1
            matched += sum(min(c, ref_counts.get(g, 0)) for g, c in hyp_counts.items())
            total += max(len(hyp) - n + 1, 0)
        if matched == 0:
            return 0.0
        product *= matched / total
    hyp_len = sum(len(h) for h in hypotheses)
    ref_len = sum(len(r) for r in references)
    bp = math.exp(min(0.0, 1 - ref_len / hyp_len))
    return bp * product ** (1 / max_n)


def bleu_torch(hypotheses, references, max_n=4):
    """Counts in Counters, the combination in float32 torch (a tensor comes back)."""
    matched, total = torch.zeros(max_n), torch.zeros(max_n)
    for hyp, ref in zip(hypotheses, references, strict=True):
        for n in range(1, max_n + 1):
            h = Counter(zip(*[hyp[i:] for i in range(n)], strict=False))
            r = Counter(zip(*[ref[i:] for i in range(n)], strict=False))
            matched[n - 1] += sum(min(c, r[g]) for g, c in h.items())
            total[n - 1] += sum(h.values())
    if bool((matched == 0).any()):
        return torch.tensor(0.0)
    c = torch.tensor(float(sum(map(len, hypotheses))))
    r = torch.tensor(float(sum(map(len, references))))
    bp = torch.where(c > r, torch.tensor(1.0), torch.exp(1 - r / c))
    return bp * torch.exp(torch.log(matched / total).mean())


# =========================================================================== the banks

BANK: dict[str, list] = {
    "attend_with_cache": [awc_manual, awc_torch_sdpa, awc_one_at_a_time, awc_list_cache],
    "top_k_filter": [top_k_filter, tk_sorted, tk_kthvalue],
    "top_p_filter": [top_p_filter, tp_pairwise, tp_rows_loop, tp_ascending],
    "sample_next_token": [snt_multinomial, snt_inverse_cdf, snt_gumbel],
    "beam_search": [beam_search, bs_topk, bs_lists],
    "perplexity": [ppl_cross_entropy, ppl_where, ppl_one_hot],
    "corpus_bleu": [corpus_bleu, bleu_dicts, bleu_torch],
    "uncached_token_passes": [5050, 5050.0, np.int64(5050), torch.tensor(5050)],
    "uniform_perplexity": [500, 500.0, np.float32(500.0), torch.tensor(500.0, dtype=torch.float64)],
    "what_bleu_measures": ["b", "B", " b "],
}
QUESTIONS = ("uncached_token_passes", "uniform_perplexity", "what_bleu_measures")
FLOAT_EXERCISES = ("attend_with_cache", "beam_search", "perplexity", "corpus_bleu")


def measure_errors(name: str, candidates, seeds) -> dict[str, float]:
    """Max abs error and the worst fraction of the tolerance (see ``_shared``)."""
    return shared.measure_errors(xid(name), candidates, seeds)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    for name in FLOAT_EXERCISES:
        print(name, measure_errors(name, BANK[name], range(n)))
