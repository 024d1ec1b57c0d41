"""Lesson 07's ``causal_lm_loss`` entry: the reference (``reference.objectives``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.objectives import causal_lm_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID, SUM_OVER_VOCAB, _picked


def _clm(logits, input_ids, pad_id, *, shift="next", ignore="targets", reduce="token_mean",
         log_probs=None):
    """A configurable causal LM loss: each mistake below turns one switch."""
    lp = F.log_softmax(logits, dim=-1) if log_probs is None else log_probs
    if shift == "next":
        lp, targets, inputs = lp[:, :-1], input_ids[:, 1:], input_ids[:, :-1]
    elif shift == "none":
        targets, inputs = input_ids, input_ids
    elif shift == "previous":
        lp, targets, inputs = lp[:, 1:], input_ids[:, :-1], input_ids[:, 1:]
    elif shift == "roll":
        targets, inputs = input_ids.roll(-1, dims=1), input_ids
    else:
        raise ValueError(shift)
    if ignore == "targets":
        keep = targets != pad_id
    elif ignore == "inputs":
        keep = inputs != pad_id
    elif ignore == "zero":
        keep = targets != 0
    else:
        keep = torch.ones_like(targets, dtype=torch.bool)
    nll = -_picked(lp, targets.masked_fill(~keep, -100))  # (B, T')
    if reduce == "token_mean":
        return nll.sum() / keep.sum()
    if reduce == "sum":
        return nll.sum()
    if reduce == "all_positions":
        return nll.sum() / targets.numel()
    if reduce == "per_sequence":
        return (nll.sum(-1) / keep.sum(-1)).mean()
    if reduce == "vocab_mean":
        return nll.sum() / keep.sum() / logits.shape[-1]
    raise ValueError(reduce)


@mistake("no_shift", "position t must predict the NEXT token: compare logits[:, :-1] with "
         "input_ids[:, 1:]. Without the shift each position is scored on the token it reads, "
         "which a model can copy.")
def clm_no_shift(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, shift="none")


@mistake("shift_wrong_direction", "the logits at position t score the token at t + 1: pair "
         "logits[:, :-1] with input_ids[:, 1:], not logits[:, 1:] with input_ids[:, :-1] (that "
         "predicts the previous token).")
def clm_wrong_direction(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, shift="previous")


@mistake("roll_wraps_around", "torch.roll wraps around: the last position is then asked to "
         "predict the FIRST token. Slice instead: logits[:, :-1] against input_ids[:, 1:].")
def clm_roll(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, shift="roll")


@mistake("padding_counted", "targets equal to pad_id are padding: leave them out of the loss "
         "(set them to -100, or select the other positions).")
def clm_padding_counted(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, ignore="nothing")


@mistake("pad_id_hardcoded", "use the pad_id argument: here padding is another id, and real "
         "tokens with id 0 must count.")
def clm_pad_hardcoded(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, ignore="zero")


@mistake("padding_mask_from_inputs", "ignore the positions whose TARGET (the next token) is "
         "padding; masking by the input token keeps the step from a sequence's last token to the "
         "first [PAD].")
def clm_mask_from_inputs(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, ignore="inputs")


@mistake("sum_instead_of_mean", "the causal LM loss is the MEAN over the predicted (non-padding) "
         "tokens, so that it does not grow with the batch size or the sequence length.")
def clm_sum(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, reduce="sum")


@mistake("mean_over_all_positions", "divide by the number of real targets, not by B * (T - 1): "
         "padding positions are not tokens.")
def clm_all_positions(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, reduce="all_positions")


@mistake("mean_per_sequence", "average over all predicted tokens of the batch at once (each "
         "token counts once); a mean per sequence and then over sequences makes a token of a "
         "short sequence weigh more.")
def clm_per_sequence(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, reduce="per_sequence")


@mistake("no_log_softmax", "the logits are unnormalised scores: use F.log_softmax(logits, dim=-1) "
         "(or F.cross_entropy on the logits) before picking the targets' entries.")
def clm_no_log_softmax(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, log_probs=logits)


@mistake("softmax_wrong_axis", "normalise over the vocabulary (the last axis): "
         "F.log_softmax(logits, dim=-1).")
def clm_wrong_axis(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, log_probs=F.log_softmax(logits, dim=1))


@mistake("mean_over_vocab", SUM_OVER_VOCAB)
def clm_mean_over_vocab(logits, input_ids, pad_id=0):
    return _clm(logits, input_ids, pad_id, reduce="vocab_mean")

@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def clm_class_axis(logits, input_ids, pad_id=0):
    return F.cross_entropy(logits[:, :-1], input_ids[:, 1:], ignore_index=pad_id)


REQUIREMENTS = (
    Requirement('logits at position t predict token t+1: drop the last logits and the first token',
                broken_by=('no_shift', 'shift_wrong_direction', 'roll_wraps_around')),
    Requirement('targets that are padding (pad_id, the argument) are not predicted',
                broken_by=('padding_counted', 'pad_id_hardcoded', 'padding_mask_from_inputs')),
    Requirement('the loss is the mean NLL over the predicted tokens of the batch',
                broken_by=('sum_instead_of_mean', 'mean_over_all_positions', 'mean_per_sequence')),
    Requirement('log-probabilities come from a log-softmax over the vocabulary axis',
                broken_by=('no_log_softmax', 'softmax_wrong_axis', 'mean_over_vocab', 'class_axis_not_last')),
)


ENTRY = Entry(f"{ID}/causal_lm_loss", causal_lm_loss, (
    clm_no_shift, clm_wrong_direction, clm_roll, clm_padding_counted, clm_pad_hardcoded,
    clm_mask_from_inputs, clm_sum, clm_all_positions, clm_per_sequence, clm_no_log_softmax,
    clm_wrong_axis, clm_mean_over_vocab, clm_class_axis), points=3, requirements=REQUIREMENTS)
