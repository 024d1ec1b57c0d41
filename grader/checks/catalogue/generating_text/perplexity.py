"""Lesson 09's ``perplexity`` entry: the reference (``reference.evaluation``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.labkit.exercises.generating_text.perplexity import EXP_OF_SUM_HINT
from reference.evaluation import perplexity

from .. import Entry, Requirement, mistake
from ._common import ID


def _nll(logits, targets, ignore_index):
    """(B, T) per-token NLL, 0 where ignored, and the (B, T) mask of real tokens."""
    keep = targets != ignore_index
    lp = F.log_softmax(logits, -1).gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)
    return -(lp * keep), keep


PADDING_HINT = ("padded positions (targets equal to ignore_index) are not tokens of the text: "
                "leave them out of the sum AND out of the count N.")


@mistake("padding_counted", PADDING_HINT)
def ppl_padding_counted(logits, targets, ignore_index=-100):
    nll, _ = _nll(logits, targets, ignore_index)
    return torch.exp(nll.sum() / targets.numel())


@mistake("padding_counted", PADDING_HINT)
def ppl_padding_as_token(logits, targets, ignore_index=-100):
    safe = targets.masked_fill(targets == ignore_index, 0)
    return torch.exp(F.cross_entropy(logits.flatten(0, 1), safe.flatten()))


@mistake("mean_of_sequence_perplexities", "perplexity is exp of the mean NLL over ALL the real "
         "tokens of the set at once; averaging one perplexity per sequence weighs a short "
         "sequence as much as a long one and is a different (larger) number.")
def ppl_mean_of_rows(logits, targets, ignore_index=-100):
    nll, keep = _nll(logits, targets, ignore_index)
    return torch.exp(nll.sum(-1) / keep.sum(-1).clamp(min=1)).mean()


@mistake("no_exp", "perplexity is the EXPONENTIAL of the mean negative log-likelihood; the mean "
         "NLL itself is the cross-entropy loss.")
def ppl_no_exp(logits, targets, ignore_index=-100):
    nll, keep = _nll(logits, targets, ignore_index)
    return nll.sum() / keep.sum()


@mistake("exp_of_sum", EXP_OF_SUM_HINT)
def ppl_exp_of_sum(logits, targets, ignore_index=-100):
    nll, _ = _nll(logits, targets, ignore_index)
    return torch.exp(nll.sum())


@mistake("wrong_base", "the NLL from log_softmax is in nats (natural log), so its perplexity is "
         "e ** NLL; 2 ** NLL would need the NLL in bits (log base 2).")
def ppl_base_two(logits, targets, ignore_index=-100):
    nll, keep = _nll(logits, targets, ignore_index)
    return 2 ** (nll.sum() / keep.sum())


@mistake("ignore_index_hardcoded", "use the ignore_index argument: the positions to leave out "
         "are those equal to ignore_index, which is not always -100.")
def ppl_hardcoded(logits, targets, ignore_index=-100):
    return perplexity(logits, targets, -100)


@mistake("probability_not_log", "average the negative LOG-probabilities of the targets, then "
         "take exp; the mean probability is a different quantity.")
def ppl_mean_prob(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    p = torch.softmax(logits, -1).gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)
    return 1 / ((p * keep).sum() / keep.sum())


REQUIREMENTS = (
    Requirement("PPL = exp(mean over the real target tokens of -log Pr(target))",
                broken_by=("no_exp", "exp_of_sum", "wrong_base", "probability_not_log")),
    Requirement("the mean runs over all real tokens of the batch at once, not per sequence",
                broken_by=("mean_of_sequence_perplexities",)),
    Requirement("targets equal to ignore_index count neither in the sum nor in N; "
                "ignore_index is the argument",
                broken_by=("padding_counted", "ignore_index_hardcoded")),
)

ENTRY = Entry(f"{ID}/perplexity", perplexity, (
    ppl_padding_counted, ppl_hardcoded, ppl_padding_as_token, ppl_mean_of_rows, ppl_no_exp,
    ppl_exp_of_sum, ppl_base_two, ppl_mean_prob), points=2, requirements=REQUIREMENTS)
# ppl_hardcoded comes before ppl_padding_as_token: with ignore_index=0 (a real id) the two give
# the same numbers, and an answer that ignores the argument is named for that.
