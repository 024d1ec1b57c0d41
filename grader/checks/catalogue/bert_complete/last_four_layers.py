"""Lesson 10's ``last_four_layers``: the catalogued mistakes and the entry (reference
``reference.bert.last_four_layers``; HF ``hidden_states[-4:]``)."""

from __future__ import annotations

import torch

from reference.bert import last_four_layers

from .. import Entry, Requirement, mistake
from ._common import ID


def _states(encoder, x, mask, chained=True, use_mask=True):
    out, h = [], x
    for layer in encoder.layers:
        h = layer(h if chained else x, mask if use_mask else None)
        out.append(h)
    return out


def _combine(states, combine):
    if combine == "concat":
        return torch.cat(states, dim=-1)  # (B, T, 4E)
    return torch.stack(states).sum(0)  # (B, T, E)


@mistake("first_four_layers", "the paper's features are the LAST four layers (states[-4:]), the "
         "ones nearest the output; the first four hold more surface, less contextual information.")
def feats_first(encoder, x, mask, combine="concat"):
    return _combine(_states(encoder, x, mask)[:4], combine)


@mistake("input_counted_as_a_layer", "the four states are the OUTPUTS of the last four layers; "
         "with the input x at the front of the list, the window must still end at the last layer "
         "(states[-4:]), not one step earlier.")
def feats_shifted(encoder, x, mask, combine="concat"):
    return _combine(([x] + _states(encoder, x, mask))[-5:-1], combine)


@mistake("order_reversed", "concatenate in layer order, the fourth-to-last layer first and the "
         "last layer last, so that each feature block always comes from the same layer.")
def feats_reversed(encoder, x, mask, combine="concat"):
    return _combine(_states(encoder, x, mask)[-4:][::-1], combine)


@mistake("layers_not_chained", "each layer reads the output of the layer before it (x = layer(x, "
         "mask)); running every layer on the input x gives states that are one layer deep.")
def feats_unchained(encoder, x, mask, combine="concat"):
    return _combine(_states(encoder, x, mask, chained=False)[-4:], combine)


@mistake("mask_not_passed", "pass the padding mask to every layer (layer(x, mask)): without it "
         "the real tokens attend to the padding, and a padded sentence gets other features.")
def feats_no_mask(encoder, x, mask, combine="concat"):
    return _combine(_states(encoder, x, mask, use_mask=False)[-4:], combine)


@mistake("concatenated_over_positions", "concatenate along the LAST axis, the features: each token "
         "gets a vector of 4E numbers, (B, T, 4E). Along dimension 1 the tokens are repeated.")
def feats_dim1(encoder, x, mask, combine="concat"):
    last = _states(encoder, x, mask)[-4:]
    return torch.cat(last, dim=1) if combine == "concat" else torch.stack(last).sum(0)


@mistake("stacked_not_concatenated", "torch.stack adds a new axis, (B, T, 4, E); the features are "
         "the four vectors joined end to end, torch.cat(..., dim=-1), (B, T, 4E).")
def feats_stack(encoder, x, mask, combine="concat"):
    last = _states(encoder, x, mask)[-4:]
    return torch.stack(last, dim=-2) if combine == "concat" else torch.stack(last).sum(0)


@mistake("mean_not_sum", "combine='sum' adds the four states; a mean divides them by 4.")
def feats_mean(encoder, x, mask, combine="concat"):
    last = _states(encoder, x, mask)[-4:]
    return torch.cat(last, dim=-1) if combine == "concat" else torch.stack(last).mean(0)


@mistake("sum_of_all_layers", "combine='sum' adds the LAST FOUR layers' states, not every layer's.")
def feats_sum_all(encoder, x, mask, combine="concat"):
    states = _states(encoder, x, mask)
    return torch.cat(states[-4:], dim=-1) if combine == "concat" else torch.stack(states).sum(0)


MISTAKES = (feats_first, feats_shifted, feats_reversed, feats_unchained, feats_no_mask, feats_dim1,
            feats_stack, feats_mean, feats_sum_all)

REQUIREMENTS = (
    Requirement("the layers run in turn, each on the previous output, with the mask",
                broken_by=("layers_not_chained", "mask_not_passed")),
    Requirement("the four states are the outputs of the last four layers",
                broken_by=("first_four_layers", "input_counted_as_a_layer", "sum_of_all_layers")),
    Requirement("concat joins them along the features in layer order: (B, T, 4E)",
                broken_by=("order_reversed", "concatenated_over_positions", "stacked_not_concatenated")),
    Requirement("sum adds the four states: (B, T, E)", broken_by=("mean_not_sum",)),
)

ENTRY = Entry(f"{ID}/last_four_layers", last_four_layers, MISTAKES, points=2, requirements=REQUIREMENTS)
