"""Lesson 11's banks of correct alternatives, written as different students would (each must
pass, visible and hidden), and the measurement of the tolerances.

Run as a script (``python -m tests.grader.checks.catalogue.beyond_bert._bank [seeds]
[exercise ...]``) it measures the tolerances: the largest error of the bank of correct
float32 implementations against the float64 reference, over many seeds.
"""

from __future__ import annotations

import math
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reference.masks import causal_mask, padding_mask

from .. import _shared as shared

LESSON = "11_beyond_bert"
HIDDEN_SEEDS = (3, 11)


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


# =========================================================================== span_lengths


def _probs(p, max_len):
    w = torch.tensor([p * (1 - p) ** (k - 1) for k in range(1, max_len + 1)], dtype=torch.float64)
    return w / w.sum()


def lengths_multinomial(n, *, p=0.2, max_len=10, generator=None):
    return torch.multinomial(_probs(p, max_len), n, replacement=True, generator=generator) + 1


def lengths_rejection(n, *, p=0.2, max_len=10, generator=None):
    """Geometric lengths by inversion, any above max_len drawn again."""
    out = torch.zeros(n, dtype=torch.long)
    todo = torch.ones(n, dtype=torch.bool)
    while todo.any():
        u = torch.rand(int(todo.sum()), generator=generator, dtype=torch.float64)
        draw = torch.floor(torch.log1p(-u) / math.log(1 - p)).long() + 1
        out[todo] = draw
        todo = out > max_len
    return out


def lengths_truncated_inverse_cdf(n, *, p=0.2, max_len=10, generator=None):
    u = torch.rand(n, generator=generator, dtype=torch.float64) * (1 - (1 - p) ** max_len)
    return torch.ceil(torch.log1p(-u) / math.log(1 - p)).long().clamp(1, max_len)


def lengths_searchsorted(n, *, p=0.2, max_len=10, generator=None):
    cdf = torch.cumsum(_probs(p, max_len), 0)
    return torch.searchsorted(cdf, torch.rand(n, generator=generator, dtype=torch.float64)).clamp(max=max_len - 1) + 1


def lengths_loop(n, *, p=0.2, max_len=10, generator=None):
    probs = [p * (1 - p) ** k for k in range(max_len)]
    return torch.tensor([int(torch.multinomial(torch.tensor(probs), 1, generator=generator)) + 1
                         for _ in range(n)], dtype=torch.long)


# =========================================================================== span_masking


def _words(vocab_size, special_ids):
    return torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])


def spans_redraw_taken(input_ids, *, mask_token_id, vocab_size, special_ids, mask_ratio=0.15, p=0.2,
                       max_len=10, mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """As the notebook: draw a start, draw again when it is taken; replace after selecting."""
    words = _words(vocab_size, special_ids)
    special = torch.isin(input_ids, torch.tensor(list(special_ids)))
    inputs, labels = input_ids.clone(), torch.full_like(input_ids, -100)
    for row in range(len(input_ids)):
        eligible = (~special[row]).nonzero().squeeze(1).tolist()
        budget = math.ceil(mask_ratio * len(eligible))
        taken, spans = set(), []
        while len(taken) < budget:
            length = int(lengths_multinomial(1, p=p, max_len=max_len, generator=generator))
            start = eligible[int(torch.randint(len(eligible), (1,), generator=generator))]
            if start in taken:
                continue
            pos, span = start, []
            while len(span) < length and pos < input_ids.shape[1] and not special[row, pos] \
                    and pos not in taken and len(taken) < budget:
                taken.add(pos)
                span.append(pos)
                pos += 1
            spans.append(span)
        for span in spans:
            labels[row, span] = input_ids[row, span]
            u = float(torch.rand(1, generator=generator))
            if u < mask_replace_prob:
                inputs[row, span] = mask_token_id
            elif u < mask_replace_prob + random_replace_prob:
                inputs[row, span] = words[torch.randint(len(words), (len(span),), generator=generator)]
    return inputs, labels


def spans_free_starts(input_ids, *, mask_token_id, vocab_size, special_ids, mask_ratio=0.15, p=0.2,
                      max_len=10, mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Starts drawn among the free positions only; each span replaced as soon as it is made,
    with a two-step choice (mask with 0.8, else random with 0.1 / 0.2)."""
    words = _words(vocab_size, special_ids)
    ids = input_ids
    special = torch.isin(ids, torch.tensor(list(special_ids)))
    inputs, labels = ids.clone(), torch.full_like(ids, -100)
    t = ids.shape[1]
    for row in range(ids.shape[0]):
        free = ~special[row]
        budget = math.ceil(mask_ratio * int(free.sum()))
        count = 0
        while count < budget:
            length = int(lengths_searchsorted(1, p=p, max_len=max_len, generator=generator))
            candidates = free.nonzero().squeeze(1)
            start = int(candidates[torch.randint(len(candidates), (1,), generator=generator)])
            end = start
            while end < t and end - start < length and bool(free[end]) and count < budget:
                free[end] = False
                end += 1
                count += 1
            labels[row, start:end] = ids[row, start:end]
            if float(torch.rand(1, generator=generator)) < mask_replace_prob:
                inputs[row, start:end] = mask_token_id
            elif float(torch.rand(1, generator=generator)) < random_replace_prob / (1 - mask_replace_prob):
                inputs[row, start:end] = words[torch.randint(len(words), (end - start,), generator=generator)]
    return inputs, labels


# =========================================================================== whole_word_masking


def wwm_gather(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
               mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    b, t = input_ids.shape
    chosen = torch.rand(b, int(word_ids.max()) + 1, generator=generator) < mlm_probability
    selected = torch.gather(chosen, 1, word_ids.clamp(min=0)) & (word_ids >= 0)
    u = torch.rand(b, t, generator=generator)
    words = _words(vocab_size, special_ids)
    random_ids = words[torch.randint(len(words), (b, t), generator=generator)]
    inputs = input_ids.clone()
    inputs[selected & (u < mask_replace_prob)] = mask_token_id
    rnd = selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)
    inputs[rnd] = random_ids[rnd]
    return inputs, torch.where(selected, input_ids, torch.full_like(input_ids, -100))


def wwm_loops(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
              mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """A dict of words per row, HF's two-step replacement (mask, then random among the rest)."""
    words = _words(vocab_size, special_ids)
    inputs, labels = input_ids.clone(), torch.full_like(input_ids, -100)
    for row in range(input_ids.shape[0]):
        positions = {}
        for t, w in enumerate(word_ids[row].tolist()):
            if w >= 0:
                positions.setdefault(w, []).append(t)
        for w in sorted(positions):
            if float(torch.rand(1, generator=generator)) >= mlm_probability:
                continue
            for t in positions[w]:
                labels[row, t] = input_ids[row, t]
                if float(torch.rand(1, generator=generator)) < mask_replace_prob:
                    inputs[row, t] = mask_token_id
                elif float(torch.rand(1, generator=generator)) < random_replace_prob / (1 - mask_replace_prob):
                    inputs[row, t] = words[int(torch.randint(len(words), (1,), generator=generator))]
    return inputs, labels


def wwm_flat_ids(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                 mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Words numbered across the batch (row * W + word), one draw per global word."""
    b, t = input_ids.shape
    w = int(word_ids.max()) + 1
    flat = torch.arange(b)[:, None] * w + word_ids.clamp(min=0)  # (B, T)
    draws = torch.rand(b * w, generator=generator)
    selected = (draws[flat] < mlm_probability) & (word_ids != -1)
    action = torch.rand(b, t, generator=generator)
    words = _words(vocab_size, special_ids)
    inputs = torch.where(selected & (action < mask_replace_prob), torch.full_like(input_ids, mask_token_id),
                         input_ids)
    swap = selected & (action >= mask_replace_prob) & (action < mask_replace_prob + random_replace_prob)
    inputs = torch.where(swap, words[torch.randint(len(words), (b, t), generator=generator)], inputs)
    return inputs, input_ids.masked_fill(~selected, -100)


# =========================================================================== discriminator_inputs


def disc_multinomial(input_ids, labels, generator_logits, *, generator=None):
    masked = labels != -100
    x = input_ids.clone()
    x[masked] = torch.multinomial(generator_logits[masked].softmax(-1), 1, generator=generator)[:, 0]
    return x, x.ne(input_ids).long()


def disc_gumbel(input_ids, labels, generator_logits, *, generator=None):
    """The Gumbel-max trick: argmax of logits plus Gumbel noise is a softmax sample."""
    u = torch.rand(generator_logits.shape, generator=generator, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    sample = (generator_logits.detach().double() - torch.log(-torch.log(u))).argmax(-1)
    x = torch.where(labels != -100, sample, input_ids)
    return x, (x != input_ids).to(torch.long)


def disc_loop(input_ids, labels, generator_logits, *, generator=None):
    x = input_ids.clone()
    for b, t in (labels != -100).nonzero().tolist():
        probs = F.softmax(generator_logits[b, t].detach(), dim=0)
        x[b, t] = int(torch.multinomial(probs, 1, generator=generator))
    return x, torch.where(x == input_ids, 0, 1)


def disc_searchsorted(input_ids, labels, generator_logits, *, generator=None):
    masked = labels != -100
    cdf = F.softmax(generator_logits[masked].detach().double(), -1).cumsum(-1)  # (M, V)
    u = torch.rand(len(cdf), 1, generator=generator, dtype=torch.float64)
    picks = torch.searchsorted(cdf, u).squeeze(1).clamp(max=cdf.shape[-1] - 1)
    x = input_ids.clone()
    x[masked] = picks
    return x, (x != input_ids).long()


# =========================================================================== electra_loss


def electra_reference_style(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    v = gl.shape[-1]
    mlm = F.cross_entropy(gl.reshape(-1, v), mlm_labels.reshape(-1), ignore_index=-100)
    bce = F.binary_cross_entropy_with_logits(dl[attention_mask], disc_labels[attention_mask].float().to(dl.dtype))
    return mlm + disc_weight * bce


def electra_logsigmoid(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    lp = F.log_softmax(gl, -1)
    keep = mlm_labels != -100
    mlm = -lp[keep].gather(1, mlm_labels[keep][:, None]).mean()
    y = disc_labels.to(dl.dtype)
    per = -(y * F.logsigmoid(dl) + (1 - y) * F.logsigmoid(-dl))
    m = attention_mask.to(dl.dtype)
    return mlm + disc_weight * (per * m).sum() / m.sum()


def electra_module(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    mlm = nn.CrossEntropyLoss()(gl.transpose(1, 2), mlm_labels)
    per = nn.BCEWithLogitsLoss(reduction="none")(dl, disc_labels.to(dl.dtype))
    return mlm + disc_weight * per.masked_select(attention_mask).mean()


def electra_weighted(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    m = attention_mask.to(dl.dtype)
    bce = F.binary_cross_entropy_with_logits(dl, disc_labels.to(dl.dtype), weight=m, reduction="sum") / m.sum()
    nll = F.cross_entropy(gl.permute(0, 2, 1), mlm_labels, reduction="sum")
    return nll / (mlm_labels != -100).sum() + disc_weight * bce


# =========================================================================== prefix_lm_mask


def prefix_mask_reference_style(input_ids, prefix_lengths, pad_id=0):
    t = input_ids.shape[1]
    keys_prefix = torch.arange(t)[None, :] < prefix_lengths[:, None]
    allowed = causal_mask(t)[None] | keys_prefix[:, None, :]
    return (allowed & padding_mask(input_ids, pad_id)[:, None, :]).unsqueeze(1)


def prefix_mask_loops(input_ids, prefix_lengths, pad_id=0):
    b, t = input_ids.shape
    mask = torch.zeros(b, 1, t, t, dtype=torch.bool)
    for r in range(b):
        for i in range(t):
            for j in range(t):
                mask[r, 0, i, j] = bool(input_ids[r, j] != pad_id) and (j <= i or j < int(prefix_lengths[r]))
    return mask


def prefix_mask_block(input_ids, prefix_lengths, pad_id=0):
    """Causal, plus the prefix-by-prefix block (the same mask: a prefix key before i is causal)."""
    t = input_ids.shape[1]
    pos = torch.arange(t)
    inside = pos[None, :] < prefix_lengths[:, None]  # (B, T)
    block = inside[:, :, None] & inside[:, None, :]
    allowed = block | torch.tril(torch.ones(t, t, dtype=torch.bool))
    return (allowed & (input_ids != pad_id)[:, None, :])[:, None]


def prefix_mask_where(input_ids, prefix_lengths, pad_id=0):
    t = input_ids.shape[1]
    pos = torch.arange(t)
    causal = pos.view(1, t, 1) >= pos.view(1, 1, t)
    prefix = pos.view(1, 1, t) < prefix_lengths.view(-1, 1, 1)
    real = padding_mask(input_ids, pad_id).view(-1, 1, t)
    return torch.where(real, causal | prefix, False).view(-1, 1, t, t)


# =========================================================================== prefix_lm_loss


def prefix_loss_reference_style(logits, input_ids, prefix_lengths, pad_id=0):
    targets = input_ids[:, 1:].clone()
    pos = torch.arange(1, input_ids.shape[1])
    targets[(pos[None, :] < prefix_lengths[:, None]) | (targets == pad_id)] = -100
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1))


def prefix_loss_gather(logits, input_ids, prefix_lengths, pad_id=0):
    lp = logits.log_softmax(-1)[:, :-1]
    targets = input_ids[:, 1:]
    nll = -lp.gather(2, targets.unsqueeze(2)).squeeze(2)
    keep = (torch.arange(1, input_ids.shape[1]) >= prefix_lengths[:, None]) & (targets != pad_id)
    return (nll * keep).sum() / keep.sum()


def prefix_loss_rows(logits, input_ids, prefix_lengths, pad_id=0):
    terms = []
    for b in range(len(input_ids)):
        for j in range(int(prefix_lengths[b]), input_ids.shape[1]):
            if int(input_ids[b, j]) != pad_id:
                terms.append(-F.log_softmax(logits[b, j - 1], -1)[input_ids[b, j]])
    return torch.stack(terms).mean()


def prefix_loss_shifted_prefix(logits, input_ids, prefix_lengths, pad_id=0):
    """Compares the LOGITS' positions t with prefix_length - 1 (the same targets)."""
    t = torch.arange(input_ids.shape[1] - 1)
    keep = (t[None, :] >= prefix_lengths[:, None] - 1) & (input_ids[:, 1:] != pad_id)
    nll = F.cross_entropy(logits[:, :-1].transpose(1, 2), input_ids[:, 1:], reduction="none")
    return nll[keep].mean()


# =========================================================================== distillation_loss


def distil_reference_style(s, t, labels, temperature=2.0, alpha=0.5):
    soft = F.kl_div(F.log_softmax(s / temperature, -1), F.softmax(t.detach() / temperature, -1),
                    reduction="batchmean")
    return alpha * soft * temperature**2 + (1 - alpha) * F.cross_entropy(s, labels)


def distil_manual(s, t, labels, temperature=2.0, alpha=0.5):
    log_ps = F.log_softmax(s / temperature, dim=1)
    log_pt = F.log_softmax(t / temperature, dim=1).detach()
    kl = (log_pt.exp() * (log_pt - log_ps)).sum(1).mean()
    hard = -F.log_softmax(s, 1).gather(1, labels[:, None]).mean()
    return alpha * temperature * temperature * kl + (1 - alpha) * hard


def distil_module(s, t, labels, temperature=2.0, alpha=0.5):
    kl = nn.KLDivLoss(reduction="batchmean", log_target=True)
    soft = kl(F.log_softmax(s / temperature, -1), F.log_softmax(t.detach() / temperature, -1))
    return alpha * temperature**2 * soft + (1 - alpha) * nn.CrossEntropyLoss()(s, labels)


def distil_cross_entropy_minus_entropy(s, t, labels, temperature=2.0, alpha=0.5):
    """KL = soft cross-entropy minus the teacher's entropy."""
    pt = F.softmax(t.detach() / temperature, -1)
    soft_ce = -(pt * F.log_softmax(s / temperature, -1)).sum(-1).mean()
    entropy = -(pt * pt.clamp_min(1e-30).log()).sum(-1).mean()
    return alpha * (soft_ce - entropy) * temperature**2 + (1 - alpha) * F.cross_entropy(s, labels)


BANK = {
    "span_lengths": [lengths_multinomial, lengths_rejection, lengths_truncated_inverse_cdf,
                     lengths_searchsorted, lengths_loop],
    "span_masking": [spans_redraw_taken, spans_free_starts],
    "whole_word_masking": [wwm_gather, wwm_loops, wwm_flat_ids],
    "discriminator_inputs": [disc_multinomial, disc_gumbel, disc_loop, disc_searchsorted],
    "electra_loss": [electra_reference_style, electra_logsigmoid, electra_module, electra_weighted],
    "prefix_lm_mask": [prefix_mask_reference_style, prefix_mask_loops, prefix_mask_block, prefix_mask_where],
    "prefix_lm_loss": [prefix_loss_reference_style, prefix_loss_gather, prefix_loss_rows,
                       prefix_loss_shifted_prefix],
    "distillation_loss": [distil_reference_style, distil_manual, distil_module, distil_cross_entropy_minus_entropy],
    "electra_every_position": ["c", "C", " c "],
    "prefix_sees": ["b", "B"],
    "why_t_squared": ["a", "A", " a"],
    "cheaper_bert": ["d", "D"],
}
QUESTIONS = ("electra_every_position", "prefix_sees", "why_t_squared", "cheaper_bert")
FLOAT_EXERCISES = ("electra_loss", "prefix_lm_loss", "distillation_loss")
RANDOMISED = ("span_lengths", "span_masking", "whole_word_masking", "discriminator_inputs")


def measure_errors(name: str, candidates, seeds) -> dict[str, float]:
    """Max abs error (outputs, gradients) and the worst fraction of the tolerance used, of
    ``candidates`` run in float32 against the float64 reference."""
    return shared.measure_errors(xid(name), candidates, seeds)


if __name__ == "__main__":
    # python -m tests.grader.checks.catalogue.beyond_bert._bank [seeds] [exercise ...]
    from grader.checks.registry import get

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    torch.set_num_threads(1)
    for exercise in sys.argv[2:] or FLOAT_EXERCISES:
        print(exercise, get(xid(exercise)).harness.tolerance, measure_errors(exercise, BANK[exercise], range(n)),
              flush=True)
