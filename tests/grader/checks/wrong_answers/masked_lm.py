"""Lesson 05: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

COURSE_MASK, COURSE_SPECIALS = 4, list(range(15))  # the course tokenizer's ids, copied in


def _split(input_ids, special_ids, p, pm, pr, generator):
    """(selected, to_mask, to_random) drawn as the spec says."""
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for s in special_ids:
        special |= input_ids == s
    selected = ~special & (torch.rand(input_ids.shape, generator=generator) < p)
    u = torch.rand(input_ids.shape, generator=generator)
    return selected, selected & (u < pm), selected & (u >= pm) & (u < pm + pr)


def _words(vocab_size, special_ids):
    return torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])


def mt_mask_id_hardcoded(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                         mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    sel, m, r = _split(input_ids, special_ids, mlm_probability, mask_replace_prob,
                       random_replace_prob, generator)
    words = _words(vocab_size, special_ids)
    inputs = input_ids.clone()
    inputs[m] = COURSE_MASK
    inputs[r] = words[torch.randint(len(words), (int(r.sum()),), generator=generator)]
    return inputs, torch.where(sel, input_ids, torch.full_like(input_ids, -100))


def mt_specials_hardcoded(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                          mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    sel, m, r = _split(input_ids, COURSE_SPECIALS, mlm_probability, mask_replace_prob,
                       random_replace_prob, generator)
    words = torch.arange(15, vocab_size)
    inputs = input_ids.clone()
    inputs[m] = mask_token_id
    inputs[r] = words[torch.randint(len(words), (int(r.sum()),), generator=generator)]
    return inputs, torch.where(sel, input_ids, torch.full_like(input_ids, -100))


def mt_randint_whole_vocab(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                           mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    sel, m, r = _split(input_ids, special_ids, mlm_probability, mask_replace_prob,
                       random_replace_prob, generator)
    inputs = input_ids.clone()
    inputs[m] = mask_token_id
    inputs[r] = torch.randint(0, vocab_size, (int(r.sum()),), generator=generator)
    return inputs, torch.where(sel, input_ids, torch.full_like(input_ids, -100))


def mt_labels_after_corruption(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                               mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    sel, m, r = _split(input_ids, special_ids, mlm_probability, mask_replace_prob,
                       random_replace_prob, generator)
    words = _words(vocab_size, special_ids)
    inputs = input_ids.clone()
    inputs[m] = mask_token_id
    inputs[r] = words[torch.randint(len(words), (int(r.sum()),), generator=generator)]
    labels = inputs.clone()
    labels[~sel] = -100
    return inputs, labels


def mt_global_rng(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                  mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    sel, m, r = _split(input_ids, special_ids, mlm_probability, mask_replace_prob,
                       random_replace_prob, None)
    words = _words(vocab_size, special_ids)
    inputs = input_ids.clone()
    inputs[m] = mask_token_id
    inputs[r] = words[torch.randint(len(words), (int(r.sum()),))]
    return inputs, torch.where(sel, input_ids, torch.full_like(input_ids, -100))


def mt_two_independent_draws(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                             mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    special = torch.isin(input_ids, torch.tensor(special_ids))
    sel = ~special & (torch.rand(input_ids.shape, generator=generator) < mlm_probability)
    m = sel & (torch.rand(input_ids.shape, generator=generator) < mask_replace_prob)
    r = sel & ~m & (torch.rand(input_ids.shape, generator=generator) < random_replace_prob)
    words = _words(vocab_size, special_ids)
    inputs = input_ids.masked_fill(m, mask_token_id)
    inputs[r] = words[torch.randint(len(words), (int(r.sum()),), generator=generator)]
    return inputs, input_ids.masked_fill(~sel, -100)


def mt_labels_only_masked(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                          mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    sel, m, r = _split(input_ids, special_ids, mlm_probability, mask_replace_prob,
                       random_replace_prob, generator)
    words = _words(vocab_size, special_ids)
    inputs = input_ids.clone()
    inputs[m] = mask_token_id
    inputs[r] = words[torch.randint(len(words), (int(r.sum()),), generator=generator)]
    return inputs, input_ids.masked_fill(~m, -100)


def mt_in_place(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    sel, m, r = _split(input_ids, special_ids, mlm_probability, mask_replace_prob,
                       random_replace_prob, generator)
    labels = input_ids.masked_fill(~sel, -100)
    words = _words(vocab_size, special_ids)
    input_ids[m] = mask_token_id
    input_ids[r] = words[torch.randint(len(words), (int(r.sum()),), generator=generator)]
    return input_ids, labels


def loss_btv_direct(logits, labels):
    return F.cross_entropy(logits, labels, ignore_index=-100)


def loss_module_btv(logits, labels):
    return nn.CrossEntropyLoss()(logits, labels)


def loss_gather_over_all(logits, labels):
    keep = labels != -100
    lp = logits.log_softmax(-1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -(lp * keep).sum() / labels.numel()


def loss_row_means(logits, labels):
    rows = []
    for row_logits, row_labels in zip(logits, labels, strict=True):
        keep = row_labels != -100
        if keep.any():
            rows.append(F.cross_entropy(row_logits[keep], row_labels[keep]))
    return torch.stack(rows).mean()


def loss_softmax_first(logits, labels):
    probs = F.softmax(logits, dim=-1)
    return F.cross_entropy(probs.view(-1, probs.size(-1)), labels.view(-1))


def loss_pad_as_zero(logits, labels):
    targets = labels.masked_fill(labels == -100, 0)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


class _Head(nn.Module):
    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)


class HeadReluModule(_Head):
    def __init__(self, d_model, vocab_size):
        super().__init__(d_model, vocab_size)
        self.act = nn.ReLU()

    def forward(self, hidden):
        return self.proj(self.norm(self.act(self.dense(hidden))))


class HeadTanhGelu(_Head):
    def __init__(self, d_model, vocab_size):
        super().__init__(d_model, vocab_size)
        self.act = nn.GELU(approximate="tanh")

    def forward(self, hidden):
        return self.proj(self.norm(self.act(self.dense(hidden))))


class HeadNormThenGelu(_Head):
    def forward(self, hidden):
        x = self.dense(hidden)
        x = self.norm(x)
        x = nn.functional.gelu(x)
        return self.proj(x)


class HeadProbabilities(_Head):
    def forward(self, hidden):
        scores = self.proj(self.norm(F.gelu(self.dense(hidden))))
        return torch.softmax(scores, dim=-1)


class HeadNormForgotten(_Head):
    def forward(self, hidden):
        x = F.gelu(self.dense(hidden))
        return self.proj(x)


WRONG = [
    ("mask_tokens", mt_mask_id_hardcoded, "hardcoded_token_ids"),
    ("mask_tokens", mt_specials_hardcoded, "hardcoded_token_ids"),
    ("mask_tokens", mt_randint_whole_vocab, "random_from_full_vocab"),
    ("mask_tokens", mt_labels_after_corruption, "labels_hold_mask_id"),
    ("mask_tokens", mt_global_rng, "ignores_generator"),
    ("mask_tokens", mt_two_independent_draws, "mask_and_random_overlap"),
    ("mask_tokens", mt_labels_only_masked, "labels_only_at_mask"),
    ("mask_tokens", mt_in_place, "mutates_input"),
    ("mlm_loss", loss_btv_direct, "class_axis_not_last"),
    ("mlm_loss", loss_module_btv, "class_axis_not_last"),
    ("mlm_loss", loss_gather_over_all, "mean_over_all_positions"),
    ("mlm_loss", loss_row_means, "mean_per_sequence"),
    ("mlm_loss", loss_softmax_first, "double_softmax"),
    ("mlm_loss", loss_pad_as_zero, "ignored_as_class_0"),
    ("MLMHead", HeadReluModule, "relu_instead_of_gelu"),
    ("MLMHead", HeadTanhGelu, "gelu_tanh_approximation"),
    ("MLMHead", HeadNormThenGelu, "norm_before_activation"),
    ("MLMHead", HeadProbabilities, "softmax_applied"),
    ("MLMHead", HeadNormForgotten, "norm_not_applied"),
]
