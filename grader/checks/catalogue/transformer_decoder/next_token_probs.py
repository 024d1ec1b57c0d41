"""``next_token_probs``: the reference (``reference.models.decoding``) and its catalogued
mistakes."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.models.decoding import next_token_probs

from .. import Entry, Requirement, mistake
from ._common import ID


@mistake("softmax_over_positions", "the softmax normalises over the vocabulary (the last axis, "
         "V): each position's probabilities of the next token sum to 1. dim=1 normalises over "
         "positions instead.")
def probs_over_positions(decoder_states, weight, bias):
    return torch.softmax(F.linear(decoder_states, weight, bias), dim=1)


@mistake("softmax_over_batch", "the softmax normalises over the vocabulary (the last axis, V), "
         "not over the sentences of the batch (dim=0).")
def probs_over_batch(decoder_states, weight, bias):
    return torch.softmax(F.linear(decoder_states, weight, bias), dim=0)


@mistake("returns_logits", "these are the logits: apply a softmax over the vocabulary to turn "
         "them into probabilities (each row then sums to 1).")
def probs_logits(decoder_states, weight, bias):
    return F.linear(decoder_states, weight, bias)


@mistake("returns_log_probs", "log_softmax gives log-probabilities (what a loss wants); this "
         "function returns the probabilities themselves: softmax.")
def probs_log(decoder_states, weight, bias):
    return torch.log_softmax(F.linear(decoder_states, weight, bias), dim=-1)


@mistake("missing_bias", "the output projection is affine: states @ weight.T + bias (as "
         "nn.Linear computes it); the bias was left out.")
def probs_no_bias(decoder_states, weight, bias):
    return torch.softmax(decoder_states @ weight.T, dim=-1)


@mistake("last_position_only", "return the distribution at EVERY position, shape (B, T, V): "
         "position i predicts token i + 1, which teacher forcing needs for all i at once. "
         "Greedy decoding then picks the last position itself.")
def probs_last_only(decoder_states, weight, bias):
    return torch.softmax(F.linear(decoder_states[:, -1], weight, bias), dim=-1)


@mistake("sigmoid_instead_of_softmax", "a sigmoid squashes each logit on its own, so a "
         "position's values do not sum to 1: the next token is ONE of V choices, which is what "
         "a softmax over the vocabulary gives.")
def probs_sigmoid(decoder_states, weight, bias):
    return torch.sigmoid(F.linear(decoder_states, weight, bias))


PROBS_MISTAKES = (probs_over_positions, probs_over_batch, probs_logits, probs_log, probs_no_bias,
                  probs_last_only, probs_sigmoid)

REQUIREMENTS = (
    Requirement("the logits are the affine projection states W^T + b", ("missing_bias",)),
    Requirement("a softmax over the vocabulary (the last axis) turns them into probabilities "
                "that sum to 1 at each position",
                ("softmax_over_positions", "softmax_over_batch", "returns_logits",
                 "returns_log_probs", "sigmoid_instead_of_softmax")),
    Requirement("the output has shape (B, T, V): a distribution at every position",
                ("last_position_only",)),
)

ENTRY = Entry(f"{ID}/next_token_probs", next_token_probs, PROBS_MISTAKES, points=1,
              requirements=REQUIREMENTS)
