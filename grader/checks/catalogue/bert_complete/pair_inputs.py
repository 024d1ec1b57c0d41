"""Lesson 10's ``pair_inputs``: the catalogued mistakes and the entry (reference
``reference.bert.pair_inputs``; Google's ``_truncate_seq_pair``, HF ``longest_first``)."""

from __future__ import annotations

import torch

from reference.bert import pair_inputs

from .. import Entry, Requirement, mistake
from ._common import ID

CLS, SEP = torch.tensor([2]), torch.tensor([3])


def _cut(a, b, max_tokens, rule="longest"):
    a, b = list(a.tolist()), list(b.tolist())
    while len(a) + len(b) > max_tokens:
        if rule == "only_b" and b or rule == "only_a" and not a:
            b.pop()
        elif rule == "only_a":
            a.pop()
        elif rule == "tie_a":
            (a if len(a) >= len(b) else b).pop()
        elif rule == "front":
            (a if len(a) > len(b) else b).pop(0)
        else:
            (a if len(a) > len(b) else b).pop()
    return torch.tensor(a, dtype=torch.long), torch.tensor(b, dtype=torch.long)


def _build(a, b, types="bert", cls=True, last_sep=True):
    ids = torch.cat([CLS if cls else CLS[:0], a, SEP, b] + ([SEP] if last_sep else []))
    first = len(a) + 1 + int(cls)
    n_second = len(ids) - first
    if types == "all_zero":
        tt = torch.zeros(len(ids), dtype=torch.long)
    elif types == "last_sep_0":
        tt = torch.cat([torch.zeros(first), torch.ones(n_second - 1), torch.zeros(1)]).long()
    elif types == "sep_1":
        tt = torch.cat([torch.zeros(first - 1), torch.ones(n_second + 1)]).long()
    else:
        tt = torch.cat([torch.zeros(first), torch.ones(n_second)]).long()
    return ids.long(), tt


def _pair(rule="longest", reserve=3, **kw):
    def fn(tokens_a, tokens_b, max_len):
        a, b = _cut(tokens_a, tokens_b, max_len - reserve, rule)
        return _build(a, b, **kw)
    return fn


no_room_for_specials = mistake(
    "no_room_for_specials", "max_len counts every token of the input, [CLS] and both [SEP] "
    "included: cut A and B down to max_len - 3 tokens, so that the finished pair fits.")(_pair(reserve=0))
only_b_truncated = mistake(
    "only_second_truncated", "truncate the LONGER segment, one token at a time (longest first): "
    "cutting only B empties a short second sentence while a long first one stays whole.")(_pair("only_b"))
only_a_truncated = mistake(
    "only_first_truncated", "truncate the LONGER segment, one token at a time (longest first): "
    "cutting only A empties a short first sentence while a long second one stays whole.")(_pair("only_a"))
tie_cuts_a = mistake(
    "tie_cuts_first", "when A and B are equally long the token comes off B (the rule of BERT's "
    "code and of longest_first truncation): remove from A only when it is strictly longer.")(_pair("tie_a"))
cut_from_front = mistake(
    "cut_from_the_front", "tokens are removed from the END of the longer segment (tokens.pop()); "
    "removing them from its start drops the beginning of the sentence.")(_pair("front"))


@mistake("joined_then_cut", "truncate the two segments BEFORE joining them: cutting the joined "
         "sequence at max_len drops the final [SEP] and all of B's end, and never touches a long A.")
def joined_then_cut(tokens_a, tokens_b, max_len):
    ids, tt = _build(tokens_a.long(), tokens_b.long())
    return ids[:max_len], tt[:max_len]


last_sep_type_0 = mistake(
    "last_sep_in_segment_a", "the [SEP] that closes B belongs to segment B: its token type is 1, "
    "like B's tokens. Only [CLS], A and the first [SEP] have type 0.")(_pair(types="last_sep_0"))
first_sep_type_1 = mistake(
    "first_sep_in_segment_b", "the first [SEP] closes segment A, so its token type is 0; type 1 "
    "starts with B's first token.")(_pair(types="sep_1"))
types_all_zero = mistake(
    "token_types_all_zero", "token_type_ids tell the model which segment a token is in: 0 for "
    "[CLS] A [SEP], 1 for B [SEP]. All zeros makes the two sentences indistinguishable "
    "(apart from the [SEP] between them).")(_pair(types="all_zero"))
MISSING_HINT = ("a pair is [CLS] A [SEP] B [SEP]: [CLS] first (its output classifies the pair) and "
                "a [SEP] after EACH segment.")
missing_cls = mistake("missing_special_token", MISSING_HINT)(_pair(reserve=2, cls=False))
missing_last_sep = mistake("missing_special_token", MISSING_HINT)(_pair(reserve=2, last_sep=False))

MISTAKES = (no_room_for_specials, only_b_truncated, only_a_truncated, tie_cuts_a, cut_from_front,
            joined_then_cut, last_sep_type_0, first_sep_type_1, types_all_zero, missing_cls,
            missing_last_sep)

REQUIREMENTS = (
    Requirement("the input is [CLS] A [SEP] B [SEP]", broken_by=("missing_special_token",)),
    Requirement("the finished pair has at most max_len tokens: A and B are cut to max_len - 3",
                broken_by=("no_room_for_specials", "joined_then_cut")),
    Requirement("truncation removes one token at a time from the longer segment",
                broken_by=("only_second_truncated", "only_first_truncated")),
    Requirement("at equal lengths the token comes off B", broken_by=("tie_cuts_first",)),
    Requirement("tokens are removed from the end of a segment", broken_by=("cut_from_the_front",)),
    Requirement("token type 0 for [CLS] A [SEP], 1 for B [SEP]",
                broken_by=("last_sep_in_segment_a", "first_sep_in_segment_b", "token_types_all_zero")),
)

ENTRY = Entry(f"{ID}/pair_inputs", pair_inputs, MISTAKES, points=2, requirements=REQUIREMENTS)
