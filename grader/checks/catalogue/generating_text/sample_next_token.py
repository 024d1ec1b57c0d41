"""Lesson 09's ``sample_next_token`` entry: the reference (``reference.generation``) and the
catalogued mistakes (trusted; never shipped). The harness judges by invariants and
statistics and names a mistake whose own draws the candidate's agree with; the hints of
the mistakes its properties find are the harness's own (``SAMPLE_HINTS``)."""

from __future__ import annotations

import torch

from grader.labkit.exercises.generating_text.sample_next_token import SAMPLE_HINTS
from reference.generation import sample_next_token, top_k_filter, top_p_filter

from .. import Entry, Requirement, mistake
from ._common import ID


def _draw(scores, generator):
    return torch.multinomial(torch.softmax(scores, -1), 1, generator=generator).squeeze(-1)


@mistake("temperature_multiplied", "the temperature DIVIDES the logits: a temperature below 1 "
         "makes the distribution sharper, above 1 flatter.")
def snt_times(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    return _draw(top_p_filter(top_k_filter(logits * temperature, top_k), top_p), generator)


@mistake("argmax_not_sampled", "sampling draws a token at random from the filtered "
         "distribution (torch.multinomial); taking the argmax is greedy decoding, the same "
         "token every time.")
def snt_argmax(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    return top_p_filter(top_k_filter(logits / temperature, top_k), top_p).argmax(-1)


@mistake("filters_ignored", "apply top_k and top_p before drawing: a token they remove must "
         "never be drawn.")
def snt_no_filters(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    return _draw(logits / temperature, generator)


@mistake("top_p_before_temperature", "the order is temperature, then top-k, then top-p: the "
         "nucleus is taken from the distribution AFTER the temperature has sharpened or "
         "flattened it.")
def snt_p_first(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    return _draw(top_k_filter(top_p_filter(logits, top_p), top_k) / temperature, generator)


@mistake("ignores_generator", SAMPLE_HINTS["ignores_generator"])
def snt_global(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    scores = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    return torch.multinomial(torch.softmax(scores, -1), 1).squeeze(-1)


@mistake("fixed_seed", SAMPLE_HINTS["fixed_seed"])
def snt_fixed(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    scores = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    return _draw(scores, torch.Generator().manual_seed(0))


@mistake("multinomial_on_logits", "torch.multinomial takes probabilities (non-negative "
         "weights): apply a softmax to the filtered logits first; the -inf of removed tokens "
         "becomes probability 0.")
def snt_on_logits(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    scores = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    return torch.multinomial(scores, 1, generator=generator).squeeze(-1)


REQUIREMENTS = (
    Requirement("the logits are divided by the temperature, then top-k, then top-p, in that "
                "order", broken_by=("temperature_multiplied", "top_p_before_temperature")),
    Requirement("a token the filters remove is never drawn", broken_by=("filters_ignored",)),
    Requirement("one random draw per row from the softmax of the filtered logits",
                broken_by=("argmax_not_sampled", "multinomial_on_logits")),
    Requirement("draws come from the generator given: the same seed gives the same tokens, "
                "another seed others", broken_by=("ignores_generator", "fixed_seed")),
)

ENTRY = Entry(f"{ID}/sample_next_token", sample_next_token, (
    snt_times, snt_argmax, snt_no_filters, snt_p_first, snt_global, snt_fixed, snt_on_logits),
    points=3, requirements=REQUIREMENTS)
