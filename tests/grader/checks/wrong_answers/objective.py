"""Lesson 07: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def slp_cross_entropy_btv(logits, targets, ignore_index=-100):
    return -F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="none").sum(-1)


def slp_softmax_probs(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    p = logits.softmax(-1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return torch.where(keep, p.log(), torch.zeros_like(p)).mean(-1)


def slp_nll_positive(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    lp = logits.log_softmax(-1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -(lp * keep).sum(-1)


def slp_no_normalisation(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    picked = logits.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (picked * keep).sum(-1)


def _per_sequence(logits, targets, ignore_index):
    keep = targets != ignore_index
    lp = logits.log_softmax(-1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -(lp * keep).sum(-1), keep.sum(-1)


def nll_mean_token_swapped(logits, targets, reduction="sum", ignore_index=-100):
    """'mean' and 'token_mean' swapped."""
    nll, n = _per_sequence(logits, targets, ignore_index)
    if reduction == "sum":
        return nll.sum()
    if reduction == "mean":
        return nll.sum() / n.sum()
    if reduction == "token_mean":
        return nll.mean()
    return (nll / n.clamp(min=1)).mean()


def nll_returns_log_likelihood(logits, targets, reduction="sum", ignore_index=-100):
    nll, n = _per_sequence(logits, targets, ignore_index)
    total = -nll
    return {"sum": total.sum(), "mean": total.mean(), "token_mean": total.sum() / n.sum(),
            "length_normalized": (total / n.clamp(min=1)).mean()}[reduction]


def nll_counts_padding(logits, targets, reduction="sum", ignore_index=-100):
    nll, _ = _per_sequence(logits, targets, ignore_index)
    n = torch.full_like(nll, targets.shape[1])
    return {"sum": nll.sum(), "mean": nll.mean(), "token_mean": nll.sum() / n.sum(),
            "length_normalized": (nll / n).mean()}[reduction]


def nll_cross_entropy_btv(logits, targets, reduction="sum", ignore_index=-100):
    return F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="sum")


def nll_flat_cross_entropy_fixed_ignore(logits, targets, reduction="sum", ignore_index=-100):
    """F.cross_entropy with its default ignore_index (-100), whatever the argument says."""
    b, t, v = logits.shape
    per_token = F.cross_entropy(logits.reshape(-1, v), targets.reshape(-1),
                                reduction="none").view(b, t)
    n = (targets != -100).sum(-1)
    nll = per_token.sum(-1)
    return {"sum": nll.sum(), "mean": nll.sum() / b, "token_mean": nll.sum() / n.sum(),
            "length_normalized": (nll / n).mean()}[reduction]


def clm_no_shift(logits, input_ids, pad_id=0):
    return F.cross_entropy(logits.flatten(0, 1), input_ids.flatten(), ignore_index=pad_id)


def clm_roll(logits, input_ids, pad_id=0):
    targets = torch.roll(input_ids, -1, dims=1)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=pad_id)


def clm_pad_counted(logits, input_ids, pad_id=0):
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), input_ids[:, 1:].flatten())


def clm_btv(logits, input_ids, pad_id=0):
    return F.cross_entropy(logits[:, :-1], input_ids[:, 1:], ignore_index=pad_id)


def ts_step_first(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    optimizer.step()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    return loss.item()


def ts_forgets_zero_grad(model, batch, loss_fn, optimizer, max_grad_norm):
    loss = loss_fn(model, batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def ts_clip_late(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    return loss.item()


def ts_returns_tensor(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss


WRONG = [
    ("sequence_log_prob", slp_cross_entropy_btv, "class_axis_not_last"),
    ("sequence_log_prob", slp_softmax_probs, "mean_instead_of_sum"),
    ("sequence_log_prob", slp_nll_positive, "returns_nll"),
    ("sequence_log_prob", slp_no_normalisation, "no_log_softmax"),
    ("dataset_nll", nll_mean_token_swapped, "mean_per_token_for_mean"),
    ("dataset_nll", nll_returns_log_likelihood, "returns_log_likelihood"),
    ("dataset_nll", nll_counts_padding, "token_count_includes_padding"),
    ("dataset_nll", nll_cross_entropy_btv, "class_axis_not_last"),
    ("dataset_nll", nll_flat_cross_entropy_fixed_ignore, "ignore_index_hardcoded"),
    ("causal_lm_loss", clm_no_shift, "no_shift"),
    ("causal_lm_loss", clm_roll, "roll_wraps_around"),
    ("causal_lm_loss", clm_pad_counted, "padding_counted"),
    ("causal_lm_loss", clm_btv, "class_axis_not_last"),
    ("train_step", ts_step_first, "step_before_backward"),
    ("train_step", ts_forgets_zero_grad, "no_zero_grad"),
    ("train_step", ts_clip_late, "clip_after_step"),
    ("train_step", ts_returns_tensor, "returns_tensor"),
]
