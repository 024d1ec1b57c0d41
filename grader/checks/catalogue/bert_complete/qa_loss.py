"""Lesson 10's ``qa_loss``: the catalogued mistakes and the entry (reference
``reference.bert.qa_loss``; peer ``BertForQuestionAnswering``'s loss)."""

from __future__ import annotations

import torch.nn.functional as F

from reference.bert import qa_loss

from .. import Entry, Requirement, mistake
from ._common import ID


@mistake("summed_not_averaged", "the QA loss is the MEAN of the two cross-entropies, "
         "(start_loss + end_loss) / 2, as in BERT's SQuAD code.")
def qa_summed(start_logits, end_logits, start_positions, end_positions):
    return F.cross_entropy(start_logits, start_positions) + F.cross_entropy(end_logits, end_positions)


@mistake("end_left_out", "the answer has two ends: add the cross-entropy of end_logits against "
         "end_positions to that of the start, and take their mean.")
def qa_start_only(start_logits, end_logits, start_positions, end_positions):
    return F.cross_entropy(start_logits, start_positions)


@mistake("positions_swapped", "start_logits are scored against start_positions and end_logits "
         "against end_positions; crossing them trains each head on the other end.")
def qa_swapped(start_logits, end_logits, start_positions, end_positions):
    return (F.cross_entropy(start_logits, end_positions) + F.cross_entropy(end_logits, start_positions)) / 2


@mistake("batch_summed", "each cross-entropy is a mean over the questions of the batch "
         "(F.cross_entropy's default), not a sum.")
def qa_batch_sum(start_logits, end_logits, start_positions, end_positions):
    s = F.cross_entropy(start_logits, start_positions, reduction="sum")
    e = F.cross_entropy(end_logits, end_positions, reduction="sum")
    return (s + e) / 2


@mistake("softmax_over_batch", "the softmax runs over the T positions of each row: logits (B, T) "
         "with positions (B,) go to F.cross_entropy as they are, without a transpose.")
def qa_transposed(start_logits, end_logits, start_positions, end_positions):
    s = F.cross_entropy(start_logits.T, start_positions)
    return (s + F.cross_entropy(end_logits.T, end_positions)) / 2


@mistake("double_softmax", "F.cross_entropy applies log-softmax itself: give it the raw start "
         "and end logits, not probabilities.")
def qa_double_softmax(start_logits, end_logits, start_positions, end_positions):
    s = F.cross_entropy(start_logits.softmax(-1), start_positions)
    return (s + F.cross_entropy(end_logits.softmax(-1), end_positions)) / 2


MISTAKES = (qa_summed, qa_start_only, qa_swapped, qa_batch_sum, qa_transposed, qa_double_softmax)

REQUIREMENTS = (
    Requirement("the loss is the mean of the start and end cross-entropies",
                broken_by=("summed_not_averaged", "end_left_out")),
    Requirement("start logits against start positions, end logits against end positions",
                broken_by=("positions_swapped",)),
    Requirement("each cross-entropy is a mean over the batch of raw logits over the positions",
                broken_by=("batch_summed", "softmax_over_batch", "double_softmax")),
)

ENTRY = Entry(f"{ID}/qa_loss", qa_loss, MISTAKES, points=1, requirements=REQUIREMENTS)
