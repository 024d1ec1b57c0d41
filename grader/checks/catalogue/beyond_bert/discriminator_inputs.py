"""Lesson 11's ``discriminator_inputs`` entry (reference ``reference.beyond_bert``).

Each mistake is a configurable ELECTRA input builder with one switch turned; the harness
names it by what it measures, with the hints it ships (``DISC_HINTS``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.labkit.exercises.beyond_bert.discriminator_inputs import DISC_HINTS
from reference.beyond_bert import discriminator_inputs

from .. import Entry, Requirement, mistake
from ._common import ID


def _disc(input_ids, labels, generator_logits, *, generator=None, draw="sample", label="differs"):
    """A configurable builder of the discriminator's inputs: each mistake turns one switch."""
    masked = labels != -100
    scores = generator_logits.detach()[masked]  # (M, V)
    if draw == "sample":
        sampled = torch.multinomial(F.softmax(scores, -1), 1, generator=generator).squeeze(1)
    elif draw == "argmax":
        sampled = scores.argmax(-1)
    elif draw == "uniform":
        sampled = torch.randint(scores.shape[-1], (len(scores),), generator=generator)
    elif draw == "raw":
        sampled = torch.multinomial(scores.clamp(min=0), 1, generator=generator).squeeze(1)
    x = input_ids.clone()
    x[masked] = sampled
    if label == "differs":
        y = (x != input_ids).long()
    elif label == "masked":
        y = masked.long()
    else:
        y = (x == input_ids).long()
    return x, y


def _m(mid):
    return mistake(mid, DISC_HINTS[mid])


@_m("sampled_original_counts_as_replaced")
def disc_masked_labels(input_ids, labels, generator_logits, *, generator=None):
    return _disc(input_ids, labels, generator_logits, generator=generator, label="masked")


@_m("labels_inverted")
def disc_inverted(input_ids, labels, generator_logits, *, generator=None):
    return _disc(input_ids, labels, generator_logits, generator=generator, label="same")


@_m("argmax_not_sampled")
def disc_argmax(input_ids, labels, generator_logits, *, generator=None):
    return _disc(input_ids, labels, generator_logits, generator=generator, draw="argmax")


@_m("sampled_uniformly")
def disc_uniform(input_ids, labels, generator_logits, *, generator=None):
    return _disc(input_ids, labels, generator_logits, generator=generator, draw="uniform")


@_m("sampled_from_raw_logits")
def disc_raw(input_ids, labels, generator_logits, *, generator=None):
    return _disc(input_ids, labels, generator_logits, generator=generator, draw="raw")


@_m("changes_unmasked")
def disc_everywhere(input_ids, labels, generator_logits, *, generator=None):
    everywhere = torch.zeros_like(labels)
    return _disc(input_ids, everywhere, generator_logits, generator=generator)


@_m("not_sampled")
def disc_no_sample(input_ids, labels, generator_logits, *, generator=None):
    return input_ids.clone(), torch.zeros_like(input_ids)


@_m("ignores_generator")
def disc_global(input_ids, labels, generator_logits, *, generator=None):
    return _disc(input_ids, labels, generator_logits, generator=None)


@_m("wrong_dtype")
def disc_bool_labels(input_ids, labels, generator_logits, *, generator=None):
    x, y = _disc(input_ids, labels, generator_logits, generator=generator)
    return x, y.bool()


REQUIREMENTS = (
    Requirement("each masked position gets a token sampled from softmax(generator_logits[b, t]); "
                "the others keep the original",
                broken_by=("argmax_not_sampled", "sampled_uniformly", "sampled_from_raw_logits",
                           "changes_unmasked", "not_sampled")),
    Requirement("disc_labels is 1 where the token differs from the original (a sampled original is 0)",
                broken_by=("sampled_original_counts_as_replaced", "labels_inverted")),
    Requirement("the samples come from the generator passed in", broken_by=("ignores_generator",)),
    Requirement("both outputs are (B, T) torch.long", broken_by=("wrong_dtype",)),
)

ENTRY = Entry(f"{ID}/discriminator_inputs", discriminator_inputs, (
    disc_masked_labels, disc_inverted, disc_argmax, disc_uniform, disc_raw, disc_everywhere, disc_no_sample,
    disc_global, disc_bool_labels), points=2, requirements=REQUIREMENTS)
