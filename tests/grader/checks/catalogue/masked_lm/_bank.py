"""Lesson 05's banks of correct alternatives, written as different students would;
each must pass, visible and hidden.

``mask_tokens`` is randomised: its alternatives draw their random numbers in very
different ways (sequential Bernoulli, exact counts, one uniform draw, multinomial,
rejection sampling, a Python loop), so they only pass if the harness judges the
properties of the outputs and not the reference's draws. The float alternatives of
``mlm_loss`` and ``MLMHead`` measure the tolerances (quoted beside each).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks.catalogue.masked_lm.MLMHead import MLMHeadReference
from reference.mlm import mask_tokens as reference_mask_tokens

LESSON = "05_masked_lm"
SEEDS = (1, 2, 3)


def exercise_id(name: str) -> str:
    """The lesson's exercise id of ``name``."""
    return f"{LESSON}/{name}"


def modes() -> list[tuple[bool, int | None]]:
    """Visible once, then hidden with each of ``SEEDS``."""
    return [(False, None)] + [(True, s) for s in SEEDS]


# --- a bank of correct mask_tokens --------------------------------------------------
def _special(input_ids, special_ids):
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for s in special_ids:
        special |= input_ids == s
    return special


def _words(vocab_size, special_ids):
    banned = set(int(s) for s in special_ids)
    return torch.tensor([i for i in range(vocab_size) if i not in banned], dtype=torch.long)


def mask_hf_sequential(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                       mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Hugging Face's collator: Bernoulli selection, then 80% of it, then half of the rest."""
    labels = input_ids.clone()
    prob = torch.full(input_ids.shape, mlm_probability)
    prob.masked_fill_(_special(input_ids, special_ids), 0.0)
    selected = torch.bernoulli(prob, generator=generator).bool()
    labels[~selected] = -100
    inputs = input_ids.clone()
    full = torch.full(input_ids.shape, mask_replace_prob)
    replaced = torch.bernoulli(full, generator=generator).bool() & selected
    inputs[replaced] = mask_token_id
    rest = torch.full(input_ids.shape, random_replace_prob / (1 - mask_replace_prob))
    randomised = torch.bernoulli(rest, generator=generator).bool() & selected & ~replaced
    words = _words(vocab_size, special_ids)
    inputs[randomised] = words[torch.randint(len(words), (int(randomised.sum()),), generator=generator)]
    return inputs, labels


def mask_exact_count_batch(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                           mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Exactly round(p * eligible) positions of the batch, then exact 80/10/10 counts."""
    flat = input_ids.reshape(-1)
    eligible = (~_special(flat, special_ids)).nonzero().squeeze(1)
    k = round(mlm_probability * len(eligible))
    chosen = eligible[torch.randperm(len(eligible), generator=generator)[:k]]
    n_mask, n_random = round(mask_replace_prob * k), round(random_replace_prob * k)
    inputs, labels = flat.clone(), torch.full_like(flat, -100)
    labels[chosen] = flat[chosen]
    inputs[chosen[:n_mask]] = mask_token_id
    words = _words(vocab_size, special_ids)
    rand_pos = chosen[n_mask:n_mask + n_random]
    inputs[rand_pos] = words[torch.randint(len(words), (len(rand_pos),), generator=generator)]
    return inputs.reshape(input_ids.shape), labels.reshape(input_ids.shape)


def mask_exact_count_rows(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                          mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Exactly round(p * eligible_in_row) positions per row (random scores, top ranks)."""
    special = _special(input_ids, special_ids)
    scores = torch.rand(input_ids.shape, generator=generator).masked_fill(special, 2.0)
    ranks = scores.argsort(dim=1).argsort(dim=1)  # (B, T) rank of each position in its row
    k = ((~special).sum(1).double() * mlm_probability).round().long()  # (B,)
    selected = ranks < k[:, None]
    u = torch.rand(input_ids.shape, generator=generator)
    to_mask = selected & (u < mask_replace_prob)
    to_random = selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)
    words = _words(vocab_size, special_ids)
    random_ids = words[torch.randint(len(words), input_ids.shape, generator=generator)]
    inputs = torch.where(to_random, random_ids, torch.where(to_mask, mask_token_id, input_ids))
    return inputs, torch.where(selected, input_ids, -100)


def mask_one_draw_bins(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                       mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """One uniform number per position split into bins [0, p*0.8), [p*0.8, p*0.9), [p*0.9, p)."""
    u = torch.rand(input_ids.shape, generator=generator)
    special = _special(input_ids, special_ids)
    a = mlm_probability * mask_replace_prob
    b = a + mlm_probability * random_replace_prob
    selected = (u < mlm_probability) & ~special
    words = _words(vocab_size, special_ids)
    random_ids = words[torch.randint(len(words), input_ids.shape, generator=generator)]
    inputs = input_ids.clone()
    inputs[selected & (u < a)] = mask_token_id
    pick = selected & (u >= a) & (u < b)
    inputs[pick] = random_ids[pick]
    labels = input_ids.clone()
    labels[~selected] = -100
    return inputs, labels


def mask_multinomial(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                     mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """torch.multinomial: per row round(p * eligible) positions, then one of three actions."""
    special = _special(input_ids, special_ids)
    selected = torch.zeros_like(special)
    for row in range(input_ids.shape[0]):
        weights = (~special[row]).double()
        k = round(mlm_probability * int(weights.sum()))
        if k > 0:
            selected[row, torch.multinomial(weights, k, replacement=False, generator=generator)] = True
    positions = selected.nonzero(as_tuple=True)
    actions = torch.multinomial(torch.tensor([mask_replace_prob, random_replace_prob,
                                              1 - mask_replace_prob - random_replace_prob]),
                                len(positions[0]), replacement=True, generator=generator)
    words = _words(vocab_size, special_ids)
    new = input_ids[positions].clone()
    new[actions == 0] = mask_token_id
    n_random = int((actions == 1).sum())
    new[actions == 1] = words[torch.randint(len(words), (n_random,), generator=generator)]
    inputs = input_ids.clone()
    inputs[positions] = new
    labels = torch.full_like(input_ids, -100)
    labels[positions] = input_ids[positions]
    return inputs, labels


def mask_python_loop(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                     mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Plain Python over lists, with every random number drawn up front from the generator."""
    rows = input_ids.tolist()
    b, t = input_ids.shape
    u1 = torch.rand(b, t, generator=generator).tolist()
    u2 = torch.rand(b, t, generator=generator).tolist()
    words = _words(vocab_size, special_ids).tolist()
    picks = torch.randint(len(words), (b, t), generator=generator).tolist()
    specials = set(special_ids)
    inputs, labels = [], []
    for i, row in enumerate(rows):
        new_row, label_row = [], []
        for j, tok in enumerate(row):
            if tok in specials or u1[i][j] >= mlm_probability:
                new_row.append(tok)
                label_row.append(-100)
                continue
            label_row.append(tok)
            if u2[i][j] < mask_replace_prob:
                new_row.append(mask_token_id)
            elif u2[i][j] < mask_replace_prob + random_replace_prob:
                new_row.append(words[picks[i][j]])
            else:
                new_row.append(tok)
        inputs.append(new_row)
        labels.append(label_row)
    return torch.tensor(inputs), torch.tensor(labels)


def mask_rejection(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                   mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Random ids drawn from the whole vocabulary and redrawn while they are special."""
    specials = torch.tensor(list(special_ids))
    special = torch.isin(input_ids, specials)
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    u = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    while True:
        bad = torch.isin(random_ids, specials)
        if not bad.any():
            break
        random_ids[bad] = torch.randint(vocab_size, (int(bad.sum()),), generator=generator)
    inputs = input_ids.masked_fill(selected & (u < mask_replace_prob), mask_token_id)
    rnd = selected & (u >= 1 - random_replace_prob)  # the top 10% of the draw: random
    inputs = torch.where(rnd, random_ids, inputs)
    return inputs, input_ids.masked_fill(~selected, -100)


def mask_randint_offset(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                        mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Random ids from randint(len(special_ids), vocab_size): the course's specials are 0..14."""
    special = torch.isin(input_ids, torch.tensor(list(special_ids)))
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(len(special_ids), vocab_size, input_ids.shape, generator=generator)
    inputs = input_ids.clone()
    inputs[selected & (action < mask_replace_prob)] = mask_token_id
    pick = selected & (action >= mask_replace_prob) & (action < mask_replace_prob + random_replace_prob)
    inputs[pick] = random_ids[pick]
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    return inputs, labels


MASK_ALTERNATIVES = [reference_mask_tokens, mask_hf_sequential, mask_exact_count_batch,
                     mask_exact_count_rows, mask_one_draw_bins, mask_multinomial, mask_python_loop,
                     mask_rejection, mask_randint_offset]


# --- a bank of correct mlm_loss ------------------------------------------------------------
def loss_flat_cross_entropy(logits, labels):
    """The one-liner: ignore_index=-100 is F.cross_entropy's default."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def loss_boolean_index(logits, labels):
    keep = labels != -100
    return F.cross_entropy(logits[keep], labels[keep])


def loss_log_softmax_gather(logits, labels):
    keep = labels != -100
    logp = F.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -(picked * keep).sum() / keep.sum()


def loss_log_of_softmax(logits, labels):
    keep = labels != -100
    probs = torch.softmax(logits[keep], dim=-1)
    return -torch.log(probs[torch.arange(len(probs)), labels[keep]]).mean()


def loss_nll_class_dim(logits, labels):
    return F.nll_loss(F.log_softmax(logits, dim=-1).transpose(1, 2), labels)


def loss_cross_entropy_class_dim(logits, labels):
    return F.cross_entropy(logits.permute(0, 2, 1), labels, ignore_index=-100)


def loss_logsumexp(logits, labels):
    keep = labels != -100
    sel, target = logits[keep], labels[keep]
    return (torch.logsumexp(sel, dim=-1) - sel[torch.arange(len(sel)), target]).mean()


def loss_sum_then_divide(logits, labels):
    total = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum")
    return total / (labels != -100).sum()


LOSS_ALTERNATIVES = [loss_flat_cross_entropy, loss_boolean_index, loss_log_softmax_gather,
                     loss_log_of_softmax, loss_nll_class_dim, loss_cross_entropy_class_dim,
                     loss_logsumexp, loss_sum_then_divide]


# --- a bank of correct MLMHead ---------------------------------------------------------
class HeadModules(nn.Module):
    """nn.GELU as a module (it has no parameters, so the state dict is unchanged)."""

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)

    def forward(self, hidden):
        return self.proj(self.norm(self.act(self.dense(hidden))))


class HeadErfFunctional(nn.Module):
    """GELU written with erf, LayerNorm through F.layer_norm."""

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model, eps=1e-5)
        self.proj = nn.Linear(d_model, vocab_size)

    def forward(self, hidden):
        x = self.dense(hidden)
        x = 0.5 * x * (1 + torch.erf(x / math.sqrt(2.0)))
        x = F.layer_norm(x, x.shape[-1:], self.norm.weight, self.norm.bias, 1e-5)
        return self.proj(x)


class HeadByHand(nn.Module):
    """Linear maps and LayerNorm written out (biased variance, eps 1e-5)."""

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)

    def forward(self, hidden):
        x = F.gelu(hidden @ self.dense.weight.T + self.dense.bias)
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, unbiased=False, keepdim=True)
        x = (x - mean) / torch.sqrt(var + 1e-5) * self.norm.weight + self.norm.bias
        return torch.einsum("bte,ve->btv", x, self.proj.weight) + self.proj.bias


HEAD_ALTERNATIVES = [MLMHeadReference, HeadModules, HeadErfFunctional, HeadByHand]
