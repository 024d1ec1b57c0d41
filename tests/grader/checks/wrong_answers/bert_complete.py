"""Lesson 10: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from torch import nn

from reference.mlm import mlm_loss

CLS_ID, SEP_ID = 2, 3


# --------------------------------------------------------------------------- pair_inputs


def pair_cut_b_first(tokens_a, tokens_b, max_len):
    a, b = list(tokens_a.tolist()), list(tokens_b.tolist())
    while len(a) + len(b) > max_len - 3:
        if b:
            b.pop()
        else:
            a.pop()
    ids = [CLS_ID, *a, SEP_ID, *b, SEP_ID]
    return torch.tensor(ids), torch.tensor([0] * (len(a) + 2) + [1] * (len(b) + 1))


def pair_types_by_sep(tokens_a, tokens_b, max_len):
    a, b = tokens_a.tolist(), tokens_b.tolist()
    while len(a) + len(b) > max_len - 3:
        (a if len(a) > len(b) else b).pop()
    ids = torch.tensor([CLS_ID, *a, SEP_ID, *b, SEP_ID])
    seen_sep = (ids == SEP_ID).long().cumsum(0)  # 1 from the first [SEP] on
    return ids, (seen_sep >= 1).long()


def pair_no_reserve(tokens_a, tokens_b, max_len):
    a, b = tokens_a.tolist(), tokens_b.tolist()
    while len(a) + len(b) > max_len:
        (a if len(a) > len(b) else b).pop()
    return torch.tensor([CLS_ID, *a, SEP_ID, *b, SEP_ID]), torch.tensor([0] * (len(a) + 2) + [1] * (len(b) + 1))


def pair_slice_joined(tokens_a, tokens_b, max_len):
    ids = torch.cat([torch.tensor([CLS_ID]), tokens_a, torch.tensor([SEP_ID]), tokens_b, torch.tensor([SEP_ID])])
    types = torch.cat([torch.zeros(len(tokens_a) + 2), torch.ones(len(tokens_b) + 1)]).long()
    return ids[:max_len], types[:max_len]


def pair_ge_tie(tokens_a, tokens_b, max_len):
    a, b = tokens_a.tolist(), tokens_b.tolist()
    while len(a) + len(b) > max_len - 3:
        if len(a) >= len(b):
            a.pop()
        else:
            b.pop()
    return torch.tensor([CLS_ID, *a, SEP_ID, *b, SEP_ID]), torch.tensor([0] * (len(a) + 2) + [1] * (len(b) + 1))


# --------------------------------------------------------------------------- make_nsp_pairs


def nsp_random_module(documents, *, generator=None):
    pairs = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - 1):
            if random.random() < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                other = random.choice([k for k in range(len(documents)) if k != d])
                pairs.append((doc[i], random.choice(documents[other]), 1))
    return pairs


def nsp_forgets_generator(documents, *, generator=None):
    pairs = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - 1):
            if torch.rand(1) < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                o = (d + 1 + int(torch.randint(len(documents) - 1, (1,)))) % len(documents)
                pairs.append((doc[i], documents[o][int(torch.randint(len(documents[o]), (1,)))], 1))
    return pairs


def nsp_is_next_label_1(documents, *, generator=None):
    pairs = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - 1):
            is_next = bool(torch.rand((), generator=generator) < 0.5)
            if is_next:
                pairs.append((doc[i], doc[i + 1], 1))
            else:
                o = (d + 1 + int(torch.randint(len(documents) - 1, (), generator=generator))) % len(documents)
                j = int(torch.randint(len(documents[o]), (), generator=generator))
                pairs.append((doc[i], documents[o][j], 0))
    return pairs


def nsp_whole_corpus(documents, *, generator=None):
    flat = [s for doc in documents for s in doc]
    pairs = []
    for doc in documents:
        for i in range(len(doc) - 1):
            if torch.rand((), generator=generator) < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                pairs.append((doc[i], flat[int(torch.randint(len(flat), (), generator=generator))], 1))
    return pairs


def nsp_every_sentence(documents, *, generator=None):
    pairs = []
    for d, doc in enumerate(documents):
        for i in range(len(doc)):
            if i + 1 < len(doc) and torch.rand((), generator=generator) < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                o = (d + 1 + int(torch.randint(len(documents) - 1, (), generator=generator))) % len(documents)
                j = int(torch.randint(len(documents[o]), (), generator=generator))
                pairs.append((doc[i], documents[o][j], 1))
    return pairs


def nsp_own_generator(documents, *, generator=None):
    gen = torch.Generator().manual_seed(42)
    pairs = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - 1):
            if torch.rand((), generator=gen) < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                o = (d + 1 + int(torch.randint(len(documents) - 1, (), generator=gen))) % len(documents)
                pairs.append((doc[i], documents[o][int(torch.randint(len(documents[o]), (), generator=gen))], 1))
    return pairs


# --------------------------------------------------------------------------- NSPHead


class _Head(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.pooler = nn.Linear(d_model, d_model)
        self.classifier = nn.Linear(d_model, 2)


class HeadSigmoid(_Head):
    def forward(self, hidden):
        return self.classifier(torch.relu(self.pooler(hidden[:, 0, :])))


class HeadLastToken(_Head):
    def forward(self, hidden):
        return self.classifier(torch.tanh(self.pooler(hidden[:, hidden.shape[1] - 1])))


class HeadLinearOnly(_Head):
    def forward(self, hidden):
        return self.classifier(self.pooler(hidden[:, 0]))


# --------------------------------------------------------------------------- losses


def pretrain_mean_of_two(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return torch.stack([mlm_loss(mlm_logits, mlm_labels), F.cross_entropy(nsp_logits, nsp_labels)]).mean()


def pretrain_raw_ce(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return F.cross_entropy(mlm_logits, mlm_labels) + F.cross_entropy(nsp_logits, nsp_labels)


def tag_no_ignore(logits, labels):
    c = logits.shape[-1]
    return F.cross_entropy(logits.view(-1, c), labels.view(-1).masked_fill(labels.view(-1) == -100, 0))


def tag_per_row(logits, labels):
    losses = [F.cross_entropy(logits[b], labels[b]) for b in range(logits.shape[0])]
    return sum(losses) / len(losses)


def qa_sum(start_logits, end_logits, start_positions, end_positions):
    return F.cross_entropy(start_logits, start_positions) + F.cross_entropy(end_logits, end_positions)


def qa_crossed(start_logits, end_logits, start_positions, end_positions):
    return 0.5 * (F.cross_entropy(start_logits, end_positions) + F.cross_entropy(end_logits, start_positions))


# --------------------------------------------------------------------------- best_span


def span_two_argmax_context(start_logits, end_logits, context_mask, max_answer_len):
    starts = start_logits.masked_fill(~context_mask, -1e9).argmax(-1)
    ends = end_logits.masked_fill(~context_mask, -1e9).argmax(-1)
    return starts, ends


def span_le_limit(start_logits, end_logits, context_mask, max_answer_len):
    t = start_logits.shape[1]
    best_s, best_e = [], []
    for b in range(start_logits.shape[0]):
        best = (-float("inf"), 0, 0)
        for i in range(t):
            for j in range(i, t):
                if j - i <= max_answer_len and context_mask[b, i] and context_mask[b, j]:
                    best = max(best, (float(start_logits[b, i] + end_logits[b, j]), i, j))
        best_s.append(best[1])
        best_e.append(best[2])
    return torch.tensor(best_s), torch.tensor(best_e)


def span_no_context(start_logits, end_logits, context_mask, max_answer_len):
    t = start_logits.shape[1]
    scores = start_logits.unsqueeze(2) + end_logits.unsqueeze(1)
    ok = torch.ones(t, t, dtype=torch.bool).triu() & ~torch.ones(t, t, dtype=torch.bool).triu(max_answer_len)
    flat = scores.masked_fill(~ok, -1e9).reshape(scores.shape[0], -1).argmax(-1)
    return flat // t, flat % t


# --------------------------------------------------------------------------- last_four_layers


def feats_from_start(encoder, x, mask=None, combine="concat"):
    states = []
    for layer in encoder.layers:
        x = layer(x, mask)
        states.append(x)
    chosen = states[:4]
    return torch.cat(chosen, -1) if combine == "concat" else sum(chosen)


def feats_no_mask(encoder, x, mask=None, combine="concat"):
    states = []
    for layer in encoder.layers:
        x = layer(x)
        states.append(x)
    return torch.cat(states[-4:], -1) if combine == "concat" else sum(states[-4:])


def feats_average(encoder, x, mask=None, combine="concat"):
    states = []
    for layer in encoder.layers:
        x = layer(x, mask)
        states.append(x)
    return torch.cat(states[-4:], -1) if combine == "concat" else torch.mean(torch.stack(states[-4:]), 0)


def feats_newest_first(encoder, x, mask=None, combine="concat"):
    states = []
    for layer in encoder.layers:
        x = layer(x, mask)
        states.insert(0, x)
    return torch.cat(states[:4], -1) if combine == "concat" else sum(states[:4])


WRONG = [
    ("pair_inputs", pair_cut_b_first, "only_second_truncated"),
    ("pair_inputs", pair_types_by_sep, "first_sep_in_segment_b"),
    ("pair_inputs", pair_no_reserve, "no_room_for_specials"),
    ("pair_inputs", pair_slice_joined, "joined_then_cut"),
    ("pair_inputs", pair_ge_tie, "tie_cuts_first"),
    ("make_nsp_pairs", nsp_random_module, "ignores_generator"),
    ("make_nsp_pairs", nsp_forgets_generator, "ignores_generator"),
    ("make_nsp_pairs", nsp_is_next_label_1, "labels_flipped"),
    ("make_nsp_pairs", nsp_whole_corpus, "random_from_same_document"),
    ("make_nsp_pairs", nsp_every_sentence, "wrong_pair_count"),
    ("make_nsp_pairs", nsp_own_generator, "fixed_internal_seed"),
    ("NSPHead", HeadSigmoid, "wrong_activation"),
    ("NSPHead", HeadLastToken, "last_position"),
    ("NSPHead", HeadLinearOnly, "no_tanh"),
    ("pretraining_loss", pretrain_mean_of_two, "averaged_not_summed"),
    ("pretraining_loss", pretrain_raw_ce, "class_axis_not_last"),
    ("token_tagging_loss", tag_no_ignore, "ignored_as_class_0"),
    ("token_tagging_loss", tag_per_row, "mean_per_sentence"),
    ("qa_loss", qa_sum, "summed_not_averaged"),
    ("qa_loss", qa_crossed, "positions_swapped"),
    ("best_span", span_two_argmax_context, "independent_argmax"),
    ("best_span", span_le_limit, "length_off_by_one"),
    ("best_span", span_no_context, "context_ignored"),
    ("last_four_layers", feats_from_start, "first_four_layers"),
    ("last_four_layers", feats_no_mask, "mask_not_passed"),
    ("last_four_layers", feats_average, "mean_not_sum"),
    ("last_four_layers", feats_newest_first, "order_reversed"),
]
