"""Lesson 07, the training objective: references and the catalogue of common mistakes.

The loss references are ``reference.objectives`` (with the students' signatures);
``train_step``'s is ``reference.training.train_step``, which returns the loss and the
gradient norm: the student's version returns the loss only. Each mistake below is a
complete wrong implementation with the student's signature that makes exactly one
mistake, so the tests can run it like a student's code.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

from reference import objectives, training

from ...labkit.exercises.objective import TRAIN_STEP_HINTS
from . import Entry, mistake

ID = "07_objective"


# --------------------------------------------------------------------------- references


def sequence_log_prob(logits, targets, ignore_index=-100):
    return objectives.sequence_log_prob(logits, targets, ignore_index)


def dataset_nll(logits, targets, reduction="sum", ignore_index=-100):
    return objectives.dataset_nll(logits, targets, reduction, ignore_index)


def causal_lm_loss(logits, input_ids, pad_id=0):
    return objectives.causal_lm_loss(logits, input_ids, pad_id)


def train_step(model, batch, loss_fn, optimizer, max_grad_norm):
    loss, _norm = training.train_step(model, batch, loss_fn, optimizer, max_grad_norm)
    return loss


# --------------------------------------------------------------------------- shared pieces


def _picked(log_probs, targets, ignore_index=-100):
    """(B, T) entries of ``log_probs`` (B, T, V) at the targets, 0 where ignored."""
    keep = targets != ignore_index
    picked = log_probs.gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)
    return torch.where(keep, picked, torch.zeros_like(picked))


def _token_log_probs(logits, targets, ignore_index=-100):
    return _picked(F.log_softmax(logits, dim=-1), targets, ignore_index)


def _one_hot_mean(logits, targets, ignore_index=-100):
    """The one-hot way with a mean over the vocabulary where a sum is needed: log p / V."""
    keep = targets != ignore_index
    one_hot = F.one_hot(targets.masked_fill(~keep, 0), logits.shape[-1]).to(logits.dtype)
    return (one_hot * F.log_softmax(logits, dim=-1)).mean(-1) * keep  # (B, T)


# --------------------------------------------------------------------------- sequence_log_prob

SUM_OVER_VOCAB = ("picking the target's entry with a one-hot vector means SUMMING over the "
                  "vocabulary (only one entry is non-zero); a mean divides log p by V. Or use "
                  ".gather(-1, targets.unsqueeze(-1)).")


@mistake("no_log_softmax", "the logits are unnormalised scores, not log-probabilities: take "
         "F.log_softmax(logits, dim=-1) first, then pick each target's entry.")
def slp_no_log_softmax(logits, targets, ignore_index=-100):
    return _picked(logits, targets, ignore_index).sum(-1)


@mistake("product_of_probabilities", "the chain rule multiplies probabilities, but the function "
         "returns LOG p(y): add up the log-probabilities (a product of many numbers below 1 "
         "underflows to 0 for long sequences).")
def slp_product(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    probs = torch.softmax(logits, dim=-1).gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)
    return torch.where(keep, probs, torch.ones_like(probs)).prod(-1)


@mistake("log_softmax_wrong_axis", "normalise over the vocabulary (the last axis, V): each "
         "position's scores become a distribution over the next token, dim=-1.")
def slp_wrong_axis(logits, targets, ignore_index=-100):
    return _picked(F.log_softmax(logits, dim=1), targets, ignore_index).sum(-1)


@mistake("ignore_index_hardcoded", "use the ignore_index argument: the positions to skip are "
         "those equal to ignore_index, which is not always -100.")
def slp_hardcoded(logits, targets, ignore_index=-100):
    return _token_log_probs(logits, targets, -100).sum(-1)


@mistake("ignored_positions_counted", "positions whose target is ignore_index must add nothing: "
         "replacing them by a real id (0) makes them count as predictions of that token. Zero "
         "their log-probabilities (torch.where(keep, lp, 0)) before the sum.")
def slp_counted(logits, targets, ignore_index=-100):
    safe = targets.masked_fill(targets == ignore_index, 0)
    return F.log_softmax(logits, dim=-1).gather(-1, safe.unsqueeze(-1)).squeeze(-1).sum(-1)


@mistake("ignore_index_not_handled", "targets equal to ignore_index (e.g. -100) are not ids: "
         "replace them by any valid id before gather (targets.masked_fill(~keep, 0)) and zero "
         "those positions afterwards.")
def slp_not_handled(logits, targets, ignore_index=-100):
    return F.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1).sum(-1)


@mistake("returns_nll", "return the log-probability log p(y), which is <= 0; the loss (its "
         "negative) comes later, in dataset_nll.")
def slp_returns_nll(logits, targets, ignore_index=-100):
    return -_token_log_probs(logits, targets, ignore_index).sum(-1)


@mistake("mean_instead_of_sum", "by the chain rule log p(y) is the SUM of the log-probabilities "
         "of its tokens, not their mean.")
def slp_mean(logits, targets, ignore_index=-100):
    lp = _token_log_probs(logits, targets, ignore_index)
    return lp.sum(-1) / (targets != ignore_index).sum(-1).clamp(min=1)


@mistake("mean_over_vocab", SUM_OVER_VOCAB)
def slp_mean_over_vocab(logits, targets, ignore_index=-100):
    return _one_hot_mean(logits, targets, ignore_index).sum(-1)


@mistake("summed_over_batch", "return one log-probability per sequence, shape (B,): sum over "
         "the time axis only (dim=-1), not over the whole batch.")
def slp_summed_over_batch(logits, targets, ignore_index=-100):
    return _token_log_probs(logits, targets, ignore_index).sum()


@mistake("shifted_again", "logits and targets arrive already aligned (logits[:, t] scores "
         "targets[:, t]): do not shift them here; the shift belongs to causal_lm_loss.")
def slp_shifted(logits, targets, ignore_index=-100):
    return _token_log_probs(logits[:, :-1], targets[:, 1:], ignore_index).sum(-1)


# --------------------------------------------------------------------------- dataset_nll


def _nll(logits, targets, reduction, *, per_token=None, count_padding=False, vocab_mean=False,
         swap=None, ignore_index=-100):
    """A configurable dataset NLL: each mistake below turns one switch."""
    if per_token is None:
        if vocab_mean:
            per_token = -_one_hot_mean(logits, targets, ignore_index)
        else:
            per_token = -_token_log_probs(logits, targets, ignore_index)
    keep = targets != ignore_index
    per_sequence = per_token.sum(-1)  # (B,)
    counts = keep.sum(-1)  # (B,)
    if count_padding:
        counts = torch.full_like(counts, targets.shape[1])
    b = targets.shape[0]
    if swap is not None:
        reduction = swap.get(reduction, reduction)
    if reduction == "sum":
        return per_sequence.sum()
    if reduction == "mean":
        return per_sequence.sum() / b
    if reduction == "token_mean":
        return per_sequence.sum() / counts.sum()
    if reduction == "length_normalized":
        return (per_sequence / counts).mean()
    raise ValueError(reduction)


@mistake("returns_log_likelihood", "the NLL is MINUS the log-likelihood: a loss to minimise, "
         "always >= 0.")
def nll_sign(logits, targets, reduction="sum", ignore_index=-100):
    return -_nll(logits, targets, reduction)


@mistake("no_log_softmax", "the logits are unnormalised scores: take F.log_softmax(logits, "
         "dim=-1) before picking each target's entry.")
def nll_no_log_softmax(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, per_token=-_picked(logits, targets))


@mistake("padding_counted", "positions labelled -100 are padding, not tokens: they must add "
         "nothing to the NLL (and not count as tokens).")
def nll_padding_counted(logits, targets, reduction="sum", ignore_index=-100):
    keep = targets != -100
    safe = targets.masked_fill(~keep, 0)
    per_token = -F.log_softmax(logits, dim=-1).gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    every = torch.zeros_like(targets)  # nothing ignored: padding counts as tokens of id 0
    return _nll(logits, every, reduction, per_token=per_token)


@mistake("sum_divided_by_batch", "reduction='sum' is the book's objective itself: the total "
         "NLL of all sequences, not divided by anything.")
def nll_sum_divided(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"sum": "mean"})


@mistake("mean_not_divided", "reduction='mean' is the total NLL divided by the number of "
         "sequences B.")
def nll_mean_not_divided(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"mean": "sum"})


@mistake("mean_per_token_for_mean", "reduction='mean' is per SEQUENCE: divide the total by the "
         "number of sequences B, not by the number of tokens ('token_mean' does that).")
def nll_mean_is_token_mean(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"mean": "token_mean"})


@mistake("token_mean_divided_by_batch", "reduction='token_mean' divides the total by the number "
         "of real tokens (targets != -100), not by the number of sequences.")
def nll_token_mean_by_batch(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"token_mean": "mean"})


@mistake("token_count_includes_padding", "count the real tokens only (targets != -100): with B * T "
         "the padding dilutes the per-token NLL.")
def nll_token_count_padding(logits, targets, reduction="sum", ignore_index=-100):
    if reduction == "token_mean":
        return _nll(logits, targets, reduction, count_padding=True)
    return _nll(logits, targets, reduction)


@mistake("length_normalized_is_token_mean", "'length_normalized' first divides EACH sequence's "
         "NLL by its own length, then averages over sequences, so that every sequence weighs "
         "the same; the total divided by all tokens is 'token_mean'.")
def nll_length_norm_token_mean(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"length_normalized": "token_mean"})


@mistake("length_normalized_by_padded_length", "divide each sequence's NLL by ITS number of real "
         "tokens (targets != -100 in that row), not by the padded length T.")
def nll_length_norm_padded(logits, targets, reduction="sum", ignore_index=-100):
    if reduction == "length_normalized":
        return _nll(logits, targets, reduction, count_padding=True)
    return _nll(logits, targets, reduction)


@mistake("mean_over_vocab", SUM_OVER_VOCAB)
def nll_mean_over_vocab(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, vocab_mean=True)


# --------------------------------------------------------------------------- causal_lm_loss


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


# --------------------------------------------------------------------------- train_step


def _clip(model, max_grad_norm):
    clip_grad_norm_(model.parameters(), max_grad_norm)


@mistake("step_before_backward", "optimizer.step() uses the gradients that are in .grad at that "
         "moment: call loss.backward() first, then clip, then step. Stepping before backward "
         "updates with nothing (or with the previous batch's gradients).")
def ts_step_before_backward(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    optimizer.step()
    loss.backward()
    _clip(model, max_grad_norm)
    return loss.item()


@mistake("no_zero_grad", "PyTorch ADDS new gradients to .grad: call optimizer.zero_grad() at the "
         "start of every step, or the second step updates with the sum of both batches' "
         "gradients.")
def ts_no_zero_grad(model, batch, loss_fn, optimizer, max_grad_norm):
    loss = loss_fn(model, batch)
    loss.backward()
    _clip(model, max_grad_norm)
    optimizer.step()
    return loss.item()


@mistake("clip_after_step", "clip the gradients BEFORE optimizer.step(): clipping afterwards "
         "changes gradients that have already been used, so the update is not clipped.")
def ts_clip_after_step(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    optimizer.step()
    _clip(model, max_grad_norm)
    return loss.item()


@mistake("clipping_not_applied", "the update was not clipped: call torch.nn.utils."
         "clip_grad_norm_(model.parameters(), max_grad_norm) after loss.backward() and before "
         "optimizer.step() (before backward there is nothing to clip yet).")
def ts_no_clip(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    optimizer.step()
    return loss.item()


@mistake("returns_before_update", "the parameters did not change: the function returns (or "
         "zeroes the gradients) before backward and step have done their work. Return "
         "loss.item() at the very end.")
def ts_returns_early(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    return loss.item()
    loss.backward()  # never reached
    _clip(model, max_grad_norm)
    optimizer.step()


@mistake("returns_tensor", TRAIN_STEP_HINTS["returns_tensor"])
def ts_returns_tensor(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    _clip(model, max_grad_norm)
    optimizer.step()
    return loss


@mistake("clip_by_value", "max_grad_norm bounds the NORM of all gradients together "
         "(clip_grad_norm_), which keeps their direction; clip_grad_value_ cuts each entry "
         "separately and changes the direction.")
def ts_clip_value(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_value_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


@mistake("clip_each_parameter", "clip the norm of ALL the gradients taken together (one call on "
         "model.parameters()), not each parameter's gradient on its own.")
def ts_clip_each(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    for p in model.parameters():
        clip_grad_norm_([p], max_grad_norm)
    optimizer.step()
    return loss.item()


@mistake("max_norm_hardcoded", "clip to the max_grad_norm argument, not to a fixed number.")
def ts_hardcoded(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


@mistake("always_rescaled", "clipping only shrinks gradients whose total norm EXCEEDS "
         "max_grad_norm; smaller ones stay as they are (scale by min(1, max_norm / norm)).")
def ts_always_rescaled(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(max_grad_norm / norm)
    optimizer.step()
    return loss.item()


# --------------------------------------------------------------------------- questions


def _answer(id: str, hint: str, value: object) -> object:
    return mistake(id, hint)(value)


QUESTIONS = [
    Entry(f"{ID}/long_sequences", "b", (
        _answer("thinks_harder_tokens", "a long sequence need not be harder per token: even at "
                "the same loss per token, it adds one log-probability per token to the sum.", "a"),
        _answer("thinks_compute_cost", "the cost of computing attention does not enter the "
                "objective; count the terms each sequence adds to the sum.", "c"),
        _answer("thinks_normalised", "the sum is not divided by anything; dividing by the "
                "number of sequences would not change which sequences weigh most either.", "d"),
    ), points=1),
    Entry(f"{ID}/objective_change", 2.5, (
        _answer("sign_of_the_loss", "the objective is the log-likelihood, which RISES by 2.5; the "
                "loss (its negative) would fall by 2.5.", -2.5),
        _answer("divided_by_dataset_size", "the objective is a sum over sequences, not a mean: "
                "one term changes by 2.5, so the sum changes by 2.5.", 0.0025),
        _answer("multiplied_probability", "log-probabilities add: the sequence's probability is "
                "multiplied by e^2.5, and the log-likelihood rises by 2.5.", math.exp(2.5)),
    ), points=1),
    Entry(f"{ID}/parallel_training", "b", (
        _answer("thinks_own_predictions", "in training the model reads the TRUE previous tokens "
                "(teacher forcing), not its own predictions; feeding back predictions forces one "
                "step at a time.", "a"),
        _answer("thinks_independent", "positions are not independent: each predicts its token "
                "from all the tokens before it. The causal mask lets this happen in one pass.", "c"),
        _answer("thinks_bidirectional", "if every position could see the whole sequence, it "
                "would see the very token it has to predict; the causal mask hides the future.",
                "d"),
    ), points=1),
]


ENTRIES = [
    Entry(f"{ID}/sequence_log_prob", sequence_log_prob, (
        slp_no_log_softmax, slp_product, slp_wrong_axis, slp_hardcoded, slp_counted,
        slp_not_handled, slp_returns_nll, slp_mean, slp_mean_over_vocab, slp_summed_over_batch,
        slp_shifted), points=2),
    Entry(f"{ID}/dataset_nll", dataset_nll, (
        nll_sign, nll_no_log_softmax, nll_padding_counted, nll_sum_divided, nll_mean_not_divided,
        nll_mean_is_token_mean, nll_token_mean_by_batch, nll_token_count_padding,
        nll_length_norm_token_mean, nll_length_norm_padded, nll_mean_over_vocab), points=3),
    Entry(f"{ID}/causal_lm_loss", causal_lm_loss, (
        clm_no_shift, clm_wrong_direction, clm_roll, clm_padding_counted, clm_pad_hardcoded,
        clm_mask_from_inputs, clm_sum, clm_all_positions, clm_per_sequence, clm_no_log_softmax,
        clm_wrong_axis, clm_mean_over_vocab), points=3),
    Entry(f"{ID}/train_step", train_step, (
        ts_step_before_backward, ts_no_zero_grad, ts_clip_after_step, ts_no_clip, ts_returns_early,
        ts_returns_tensor, ts_clip_value, ts_clip_each, ts_hardcoded, ts_always_rescaled),
        points=3),
    *QUESTIONS,
]
