"""Lesson 05's ``mask_tokens``: the catalogued mistakes and the entry (reference
``reference.mlm.mask_tokens``).

Each mistake is a configurable BERT masking with one switch turned; the harness names
it by what it measures, with the hint it ships (``MASK_TOKENS_HINTS``), so every
mistake here uses exactly that text.
"""

from __future__ import annotations

import torch

from grader.labkit.exercises.masked_lm.mask_tokens import MASK_TOKENS_HINTS
from reference.mlm import mask_tokens

from .. import Entry, Requirement, mistake
from ._common import ID


def _words(vocab_size: int, special_ids) -> torch.Tensor:
    keep = torch.ones(vocab_size, dtype=torch.bool)
    keep[list(special_ids)] = False
    return keep.nonzero().squeeze(1)  # (N,) the non-special ids


def _masking(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
             mask_replace_prob=0.8, random_replace_prob=0.1, generator=None,
             skip_specials=True, random_pool=None, global_rng=False, label_what="original",
             split="one_draw", selection=None):
    """A configurable BERT masking; each mistake below turns one switch.

    ``selection``: a (B, T) bool tensor chosen by the caller instead of a Bernoulli draw.
    """
    gen = None if global_rng else generator
    ids = input_ids.clone()
    special = torch.isin(ids, torch.tensor(list(special_ids)))
    if selection is None:
        selection = torch.rand(ids.shape, generator=gen) < mlm_probability
    selected = selection & ~special if skip_specials else selection
    if split == "one_draw":
        u = torch.rand(ids.shape, generator=gen)
        to_mask = selected & (u < mask_replace_prob)
        to_random = selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)
    elif split == "all_mask":
        to_mask, to_random = selected, torch.zeros_like(selected)
    elif split == "no_keep":
        u = torch.rand(ids.shape, generator=gen)
        to_mask = selected & (u < mask_replace_prob)
        to_random = selected & ~to_mask
    elif split == "overlap":  # HF-style, but 10% of the rest instead of 10 / 20
        to_mask = selected & (torch.rand(ids.shape, generator=gen) < mask_replace_prob)
        to_random = selected & ~to_mask & (torch.rand(ids.shape, generator=gen) < random_replace_prob)
    else:
        raise ValueError(split)
    pool = _words(vocab_size, special_ids) if random_pool is None else random_pool
    random_ids = pool[torch.randint(len(pool), ids.shape, generator=gen)]
    inputs = torch.where(to_random, random_ids, ids.masked_fill(to_mask, mask_token_id))
    if label_what == "original":
        labels = ids.masked_fill(~selected, -100)
    elif label_what == "everywhere":
        labels = ids.clone()
    elif label_what == "corrupted":
        labels = inputs.masked_fill(~selected, -100)
    elif label_what == "inverted":
        labels = ids.masked_fill(selected, -100)
    elif label_what == "mask_only":
        labels = ids.masked_fill(~to_mask, -100)
    else:
        raise ValueError(label_what)
    return inputs, labels


def _hint(mid: str) -> str:
    return MASK_TOKENS_HINTS[mid]


@mistake("outputs_swapped", _hint("outputs_swapped"))
def mask_swapped(input_ids, **kw):
    inputs, labels = _masking(input_ids, **kw)
    return labels, inputs


@mistake("selects_special_tokens", _hint("selects_special_tokens"))
def mask_selects_specials(input_ids, **kw):
    return _masking(input_ids, **kw, skip_specials=False)


@mistake("random_from_full_vocab", _hint("random_from_full_vocab"))
def mask_random_full_vocab(input_ids, **kw):
    return _masking(input_ids, **kw, random_pool=torch.arange(kw["vocab_size"]))


@mistake("labels_not_ignored", _hint("labels_not_ignored"))
def mask_labels_everywhere(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="everywhere")


@mistake("labels_hold_mask_id", _hint("labels_hold_mask_id"))
def mask_labels_corrupted(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="corrupted")


@mistake("labels_inverted", _hint("labels_inverted"))
def mask_labels_inverted(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="inverted")


@mistake("labels_only_at_mask", _hint("labels_only_at_mask"))
def mask_labels_only_at_mask(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="mask_only")


@mistake("mutates_input", _hint("mutates_input"))
def mask_in_place(input_ids, **kw):
    inputs, labels = _masking(input_ids, **kw)
    input_ids.copy_(inputs)  # writes the corruption into the caller's tensor
    return input_ids, labels


@mistake("ignores_generator", _hint("ignores_generator"))
def mask_global_rng(input_ids, **kw):
    return _masking(input_ids, **kw, global_rng=True)


@mistake("fixed_internal_seed", _hint("fixed_internal_seed"))
def mask_fixed_seed(input_ids, **kw):
    kw["generator"] = torch.Generator().manual_seed(1234)
    return _masking(input_ids, **kw)


@mistake("no_random_or_keep", _hint("no_random_or_keep"))
def mask_all_selected(input_ids, **kw):
    return _masking(input_ids, **kw, split="all_mask")


@mistake("no_kept_tokens", _hint("no_kept_tokens"))
def mask_no_keep(input_ids, **kw):
    return _masking(input_ids, **kw, split="no_keep")


@mistake("mask_and_random_overlap", _hint("mask_and_random_overlap"))
def mask_overlap(input_ids, **kw):
    return _masking(input_ids, **kw, split="overlap")


@mistake("selection_count_over_all_positions", _hint("selection_count_over_all_positions"))
def mask_count_over_all(input_ids, **kw):
    # k = round(p * B * T) tokens chosen among the eligible ones only.
    special = torch.isin(input_ids, torch.tensor(list(kw["special_ids"])))
    eligible = (~special).reshape(-1).nonzero().squeeze(1)  # (E,) flat eligible positions
    k = min(len(eligible), round(kw["mlm_probability"] * input_ids.numel()))
    chosen = eligible[torch.randperm(len(eligible), generator=kw["generator"])[:k]]
    selection = torch.zeros(input_ids.numel(), dtype=torch.bool)  # (B*T,)
    selection[chosen] = True
    return _masking(input_ids, **kw, selection=selection.reshape(input_ids.shape))  # (B, T)


@mistake("masks_15_percent_instead_of_selecting", _hint("masks_15_percent_instead_of_selecting"))
def mask_rate_as_mask_share(input_ids, **kw):
    # Bins [0, p) -> [MASK], then random and kept bins on top: 15% become [MASK].
    p, pm = kw["mlm_probability"], kw["mask_replace_prob"]
    selection = torch.rand(input_ids.shape, generator=kw["generator"]) < p / pm
    return _masking(input_ids, **kw, selection=selection)


@mistake("selection_inverted", _hint("selection_inverted"))
def mask_selection_inverted(input_ids, **kw):
    selection = torch.rand(input_ids.shape, generator=kw["generator"]) > kw["mlm_probability"]
    return _masking(input_ids, **kw, selection=selection)


@mistake("hardcoded_probabilities", _hint("hardcoded_probabilities"))
def mask_hardcoded(input_ids, **kw):
    kw.update(mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1)
    return _masking(input_ids, **kw)


@mistake("hardcoded_token_ids", _hint("hardcoded_token_ids"))
def mask_hardcoded_ids(input_ids, **kw):
    # The course tokenizer's [MASK] (4) and special ids (0..14), whatever was passed in.
    kw.update(mask_token_id=4, special_ids=list(range(15)))
    return _masking(input_ids, **kw)


MASK_TOKENS_MISTAKES = (
    mask_swapped, mask_selects_specials, mask_random_full_vocab, mask_labels_everywhere, mask_labels_corrupted,
    mask_labels_inverted, mask_labels_only_at_mask, mask_in_place, mask_global_rng, mask_fixed_seed,
    mask_all_selected, mask_no_keep, mask_overlap, mask_count_over_all, mask_rate_as_mask_share,
    mask_selection_inverted, mask_hardcoded, mask_hardcoded_ids,
)

REQUIREMENTS = (
    Requirement("returns (inputs, labels) in this order, both (B, T) torch.long",
                broken_by=("outputs_swapped",)),
    Requirement("a token whose id is in special_ids is never selected, never changed, and "
                "labelled -100", broken_by=("selects_special_tokens", "hardcoded_token_ids")),
    Requirement("the [MASK] id and the special ids are the arguments mask_token_id and "
                "special_ids, not fixed numbers", broken_by=("hardcoded_token_ids",)),
    Requirement("each eligible token is selected independently with probability mlm_probability "
                "(a share of the eligible tokens, not of all positions)",
                broken_by=("selection_count_over_all_positions", "selection_inverted",
                           "masks_15_percent_instead_of_selecting")),
    Requirement("of the selected tokens, mask_replace_prob become mask_token_id, "
                "random_replace_prob a random id, the rest stay as they are (disjoint shares)",
                broken_by=("no_random_or_keep", "no_kept_tokens", "mask_and_random_overlap")),
    Requirement("the probabilities are the arguments, not fixed numbers",
                broken_by=("hardcoded_probabilities",)),
    Requirement("random replacements are drawn uniformly from the ids in [0, vocab_size) that "
                "are not special (the course's spec)", broken_by=("random_from_full_vocab",)),
    Requirement("labels hold the original id at every selected position (masked, random or "
                "kept) and -100 everywhere else",
                broken_by=("labels_not_ignored", "labels_hold_mask_id", "labels_inverted",
                           "labels_only_at_mask")),
    Requirement("input_ids itself is not changed", broken_by=("mutates_input",)),
    Requirement("every random number comes from the given generator: the same seed gives the "
                "same result, another seed another one",
                broken_by=("ignores_generator", "fixed_internal_seed")),
)


ENTRY = Entry(f"{ID}/mask_tokens", mask_tokens, MASK_TOKENS_MISTAKES, points=4,
              requirements=REQUIREMENTS)
