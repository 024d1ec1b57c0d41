"""Lesson 11's ``whole_word_masking`` entry (reference ``reference.beyond_bert``).

Each mistake is a configurable whole-word masking with one switch turned; the harness names
it by what it measures, with the hints it ships (``WWM_HINTS``).
"""

from __future__ import annotations

import torch

from grader.labkit.exercises.beyond_bert.whole_word_masking import WWM_HINTS
from reference.beyond_bert import whole_word_masking

from .. import Entry, Requirement, mistake
from ._common import ID


def _wwm(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
         mask_replace_prob=0.8, random_replace_prob=0.1, generator=None, select="word", label="original"):
    """A configurable whole-word masking: each mistake below turns one switch."""
    ids = input_ids.clone()
    b, t = ids.shape
    w = int(word_ids.max()) + 1
    index = word_ids.clamp(min=0)
    if select == "word":
        chosen = torch.rand(b, w, generator=generator) < mlm_probability
        selected = chosen.gather(1, index)
    elif select == "token":
        selected = torch.rand(b, t, generator=generator) < mlm_probability
    elif select == "shared":
        chosen = torch.rand(w, generator=generator) < mlm_probability
        selected = chosen[index]
    elif select == "any_token":
        hit = (torch.rand(b, t, generator=generator) < mlm_probability) & (word_ids >= 0)
        chosen = torch.zeros(b, w, dtype=torch.long).scatter_add_(1, index, hit.long()) > 0
        selected = chosen.gather(1, index)
    selected = selected & (word_ids >= 0) & ~torch.isin(ids, torch.tensor(list(special_ids)))
    u = torch.rand(b, t, generator=generator)
    to_mask = selected & (u < mask_replace_prob)
    to_random = selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)
    pool = torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])
    random_ids = pool[torch.randint(len(pool), (b, t), generator=generator)]
    inputs = torch.where(to_random, random_ids, ids.masked_fill(to_mask, mask_token_id))
    labels = ids.masked_fill(~selected, -100) if label == "original" else inputs.masked_fill(~selected, -100)
    return inputs, labels


def _m(mid):
    return mistake(mid, WWM_HINTS[mid])


@_m("word_split")
def wwm_per_token(input_ids, word_ids, **kw):
    return _wwm(input_ids, word_ids, **kw, select="token")


@_m("same_draw_every_row")
def wwm_shared(input_ids, word_ids, **kw):
    return _wwm(input_ids, word_ids, **kw, select="shared")


@_m("any_token_selects_word")
def wwm_any_token(input_ids, word_ids, **kw):
    return _wwm(input_ids, word_ids, **kw, select="any_token")


@_m("hardcoded_probabilities")
def wwm_hardcoded(input_ids, word_ids, **kw):
    kw.update(mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1)
    return _wwm(input_ids, word_ids, **kw)


@_m("no_random_or_keep")
def wwm_all_mask(input_ids, word_ids, **kw):
    kw.update(mask_replace_prob=1.0, random_replace_prob=0.0)
    return _wwm(input_ids, word_ids, **kw)


@_m("labels_hold_corrupted")
def wwm_labels_corrupted(input_ids, word_ids, **kw):
    return _wwm(input_ids, word_ids, **kw, label="corrupted")


@_m("random_id_special")
def wwm_random_full_vocab(input_ids, word_ids, **kw):
    inputs, labels = _wwm(input_ids, word_ids, **kw)
    g = kw.get("generator")
    changed = (inputs != input_ids) & (inputs != kw["mask_token_id"])
    draws = torch.randint(kw["vocab_size"], inputs.shape, generator=g)
    return torch.where(changed, draws, inputs), labels


@_m("hardcoded_token_ids")
def wwm_course_ids(input_ids, word_ids, **kw):
    kw.update(mask_token_id=4, special_ids=list(range(15)), vocab_size=60)
    return _wwm(input_ids, word_ids, **kw)


@_m("ignores_generator")
def wwm_global(input_ids, word_ids, **kw):
    kw["generator"] = None
    return _wwm(input_ids, word_ids, **kw)


REQUIREMENTS = (
    Requirement("a word is selected whole: all its tokens or none", broken_by=("word_split",)),
    Requirement("each word of each row is selected with probability mlm_probability, one draw per word",
                broken_by=("same_draw_every_row", "any_token_selects_word", "hardcoded_probabilities")),
    Requirement("selected tokens become [MASK] / a random ordinary id / stay, 80/10/10",
                broken_by=("no_random_or_keep", "random_id_special")),
    Requirement("labels hold the original id at selected positions, -100 elsewhere",
                broken_by=("labels_hold_corrupted",)),
    Requirement("draws come from the generator passed in", broken_by=("ignores_generator",)),
    Requirement("the ids come from the arguments (mask_token_id, special_ids, vocab_size)",
                broken_by=("hardcoded_token_ids",)),
)

ENTRY = Entry(f"{ID}/whole_word_masking", whole_word_masking, (
    wwm_per_token, wwm_shared, wwm_any_token, wwm_hardcoded, wwm_all_mask, wwm_labels_corrupted,
    wwm_random_full_vocab, wwm_course_ids, wwm_global), points=2, requirements=REQUIREMENTS)
