"""Tests for reference.objectives: chain-rule log-probabilities and dataset NLL reductions."""

import math

import pytest
import torch
import torch.nn.functional as F

from reference.objectives import (
    causal_lm_loss,
    dataset_nll,
    masked_token_mean_nll,
    sequence_log_prob,
    token_log_probs,
)


def _close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-5) -> None:
    """float32 agreement; torch.allclose, since torch.testing.assert_close costs ~1 s on first use."""
    assert torch.allclose(a, b, rtol=tol, atol=tol), (a, b)


def _case(dtype=torch.float32):
    """(logits (3, 5, 7), targets (3, 5)) with some ignored positions; row 2 is short."""
    logits = torch.randn(3, 5, 7, dtype=dtype)
    targets = torch.randint(0, 7, (3, 5))
    targets[1, 4] = -100
    targets[2, 2:] = -100
    return logits, targets


# --- sequence_log_prob ---------------------------------------------------------

def test_sequence_log_prob_chain_rule_exact():
    """With logits = log of known probabilities, log p(y) = sum_t log p(y_t | y_<t) exactly."""
    probs = torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]], dtype=torch.float64)
    targets = torch.tensor([[0, 1, 2]])
    got = sequence_log_prob(probs.log(), targets)
    assert got.shape == (1,)
    assert torch.allclose(got, torch.tensor([math.log(0.5 * 0.8 * 0.6)], dtype=torch.float64))


def test_sequence_log_prob_matches_cross_entropy_and_ignores():
    """Equals -F.cross_entropy(reduction='none') summed per sequence, -100 contributing nothing."""
    logits, targets = _case()
    expected = -F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").sum(-1)
    _close(sequence_log_prob(logits, targets), expected)
    assert (token_log_probs(logits, targets)[2, 2:] == 0).all()


def test_custom_ignore_index():
    """Another ignore_index (e.g. the pad id 0) is honoured, and -100 is then an error."""
    logits = torch.randn(1, 3, 4)
    targets = torch.tensor([[2, 3, 0]])
    expected = sequence_log_prob(logits, torch.tensor([[2, 3, -100]]))
    _close(sequence_log_prob(logits, targets, ignore_index=0), expected)
    with pytest.raises(ValueError, match=r"ids in \[0, 4\) or 0, got -100"):
        sequence_log_prob(logits, torch.tensor([[2, 3, -100]]), ignore_index=0)


def test_ignored_minus_inf_logits_do_not_make_nan():
    """A -inf logit at an ignored position (here on id 0, where the ignored target is looked up)
    neither changes the result nor makes a NaN gradient (masking by multiplication would: 0 * -inf)."""
    logits = torch.randn(1, 2, 3)
    logits[0, 1, 0] = -math.inf
    logits.requires_grad_(True)
    out = sequence_log_prob(logits, torch.tensor([[1, -100]]))
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(logits.grad).all()


# --- causal_lm_loss ------------------------------------------------------------

def test_causal_lm_loss_matches_shifted_cross_entropy():
    """logits[:, t] predicts input_ids[:, t+1]; padding targets ignored; per-token mean."""
    logits = torch.randn(2, 6, 9)
    ids = torch.tensor([[5, 6, 7, 8, 2, 3], [5, 4, 3, 0, 0, 0]])
    targets = ids[:, 1:].masked_fill(ids[:, 1:] == 0, -100)
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, 9), targets.reshape(-1))
    _close(causal_lm_loss(logits, ids, pad_id=0), expected)


def test_causal_lm_loss_uniform_is_log_vocab():
    """Uniform predictions cost exactly log V per token."""
    ids = torch.tensor([[1, 2, 3, 4]])
    _close(causal_lm_loss(torch.zeros(1, 4, 10), ids), torch.tensor(math.log(10)))


def test_causal_lm_loss_padding_and_last_position_do_not_matter():
    """Logits that only predict padding, and the last position's logits, get no gradient."""
    ids = torch.tensor([[5, 6, 0, 0]])
    logits = torch.randn(1, 4, 8, requires_grad=True)
    causal_lm_loss(logits, ids).backward()
    assert (logits.grad[0, 1:] == 0).all() and (logits.grad[0, 0] != 0).any()


def test_causal_lm_loss_pad_none_and_nothing_to_predict():
    """pad_id=None counts every target; T == 1 or all-padding targets give 0 with a gradient."""
    ids = torch.tensor([[5, 0, 0]])
    logits = torch.randn(1, 3, 8)
    expected = F.cross_entropy(logits[0, :-1], ids[0, 1:])
    _close(causal_lm_loss(logits, ids, pad_id=None), expected)
    for x, y in ((torch.randn(2, 1, 8, requires_grad=True), torch.tensor([[3], [4]])),
                 (torch.randn(1, 3, 8, requires_grad=True), ids)):
        loss = causal_lm_loss(x, y)
        assert loss.item() == 0.0
        loss.backward()
        assert (x.grad == 0).all()


# --- dataset_nll ---------------------------------------------------------------

def test_dataset_nll_reductions():
    """sum = sum of sequence NLLs; mean = sum / B; token_mean = sum / tokens (= F.cross_entropy);
    length_normalized = mean over sequences of NLL / length."""
    logits, targets = _case()
    per_seq = -sequence_log_prob(logits, targets)
    lengths = (targets != -100).sum(-1)
    _close(dataset_nll(logits, targets, "sum"), per_seq.sum())
    _close(dataset_nll(logits, targets, "mean"), per_seq.sum() / 3)
    _close(dataset_nll(logits, targets, "token_mean"),
           F.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1)))
    _close(dataset_nll(logits, targets, "length_normalized"), (per_seq / lengths).mean())
    _close(masked_token_mean_nll(logits, targets), dataset_nll(logits, targets, "token_mean"))


def test_long_sequences_dominate_a_sum():
    """Two sequences with the same per-token loss, 10 and 2 tokens long: the long one makes
    10/12 of the sum (and of the mean and token_mean); length_normalized weighs them equally."""
    logits = torch.zeros(2, 10, 4)  # uniform: every token costs log 4
    targets = torch.zeros(2, 10, dtype=torch.long)
    targets[1, 2:] = -100
    per_seq = -sequence_log_prob(logits, targets)
    _close(per_seq[0] / dataset_nll(logits, targets, "sum"), torch.tensor(10 / 12))
    _close(dataset_nll(logits, targets, "length_normalized"), torch.tensor(math.log(4)))


def test_dataset_nll_empty_sequences():
    """All targets ignored: sum/mean 0; token_mean and length_normalized 0 (not NaN) with a gradient.
    One empty row is skipped by length_normalized and still counts in mean's B."""
    logits = torch.randn(2, 3, 5, requires_grad=True)
    none = torch.full((2, 3), -100)
    for reduction in ("sum", "mean", "token_mean", "length_normalized"):
        loss = dataset_nll(logits, none, reduction)
        assert loss.item() == 0.0
        loss.backward()
    one = torch.tensor([[1, 2, -100], [-100, -100, -100]])
    per_seq = -sequence_log_prob(logits, one)
    _close(dataset_nll(logits, one, "length_normalized"), per_seq[0] / 2)
    _close(dataset_nll(logits, one, "mean"), per_seq[0] / 2)


# --- gradients -----------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["sum", "mean", "token_mean", "length_normalized"])
def test_dataset_nll_gradcheck(reduction):
    """Autograd gradient agrees with finite differences (float64)."""
    logits, targets = _case(torch.float64)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: dataset_nll(x, targets, reduction), (logits,))


def test_sequence_log_prob_and_causal_lm_loss_gradcheck():
    """Autograd gradient agrees with finite differences (float64), with ignored and padded positions."""
    logits, targets = _case(torch.float64)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: sequence_log_prob(x, targets), (logits,))
    ids = torch.tensor([[3, 4, 5, 6, 1], [2, 5, 0, 0, 0], [6, 6, 6, 0, 0]])
    assert torch.autograd.gradcheck(lambda x: causal_lm_loss(x, ids), (logits,))


# --- errors --------------------------------------------------------------------

L = torch.zeros(1, 2, 5)
T = torch.zeros(1, 2, dtype=torch.long)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: sequence_log_prob(L.long(), T), "logits to be a floating-point tensor, got dtype torch.int64"),
    (lambda: sequence_log_prob("logits", T), "logits to be a floating-point tensor, got str"),
    (lambda: sequence_log_prob(L[0], T), r"logits of shape \(B, T, V\), got shape \(2, 5\)"),
    (lambda: sequence_log_prob(L, T.int()), "targets to be a torch.long tensor, got dtype torch.int32"),
    (lambda: sequence_log_prob(L, T[0]), r"targets of shape \(B, T\) = \(1, 2\) to match logits"),
    (lambda: sequence_log_prob(L, torch.tensor([[0, 5]])), r"targets to be ids in \[0, 5\) or -100, got 5"),
    (lambda: sequence_log_prob(L, torch.tensor([[-2, 0]])), r"targets to be ids in \[0, 5\) or -100, got -2"),
    (lambda: sequence_log_prob(torch.zeros(1, 0, 5), torch.zeros(1, 0, dtype=torch.long)), "non-empty logits"),
    (lambda: sequence_log_prob(torch.zeros(1, 2, 0), T), "non-empty logits"),
    (lambda: causal_lm_loss(L, torch.tensor([[0, 7]])), r"input_ids to be ids in \[0, 5\) or -100, got 7"),
    (lambda: causal_lm_loss(L, torch.tensor([[-100, 1]])), r"input_ids to be ids in \[0, 5\), got -100"),
    (lambda: causal_lm_loss(L, T, pad_id="0"), "pad_id to be an int or None, got '0'"),
    (lambda: causal_lm_loss(L, T.float()), "input_ids to be a torch.long tensor"),
    (lambda: dataset_nll(L, T, "max"), "reduction to be one of .*'token_mean'.*, got 'max'"),
])
def test_errors(call, message):
    """Each bad argument raises a ValueError naming expected and actual."""
    with pytest.raises(ValueError, match=message):
        call()
