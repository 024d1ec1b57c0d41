"""Tests for reference.training: the shared training loop and evaluate helper."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import reference.training as training
from reference.training import History, evaluate, train, train_step, train_step_loss


def _regression_problem():
    """y = x @ w_true: a linear model can fit it exactly."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    return nn.Linear(3, 1), [(x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]


def _mse(model, batch):
    x, y = batch
    return F.mse_loss(model(x), y)


def test_loss_goes_down():
    """Training a linear model on a linear problem cuts the loss by far."""
    model, batches = _regression_problem()
    history = train(model, batches, _mse, steps=200, lr=0.05, progress=False)
    assert history.steps == 200
    assert history.losses[-1] < 0.05 * history.losses[0]


def test_history_length_for_epochs_and_steps():
    """epochs=E over N batches gives E*N steps; steps=S cycles the batches S times."""
    model, batches = _regression_problem()
    assert train(model, batches, _mse, epochs=3, progress=False).steps == 12
    assert len(train(model, batches, _mse, steps=7, progress=False).grad_norms) == 7


def test_order_of_operations(monkeypatch):
    """One iteration runs zero_grad -> forward -> loss -> backward -> clip -> step."""
    calls: list[str] = []
    model = nn.Linear(2, 1)
    model.register_forward_hook(lambda *args: calls.append("forward"))
    model.weight.register_hook(lambda grad: calls.append("backward"))

    class Recording(torch.optim.SGD):
        def zero_grad(self, set_to_none=True):
            calls.append("zero_grad")
            super().zero_grad(set_to_none)

        def step(self, closure=None):
            calls.append("step")
            return super().step(closure)

    real_clip = training.clip_grad_norm_
    monkeypatch.setattr(training, "clip_grad_norm_",
                        lambda params, max_norm: calls.append("clip") or real_clip(params, max_norm))

    def loss_fn(m, batch):
        out = m(batch).sum()
        calls.append("loss")
        return out

    train_step(model, torch.ones(1, 2), loss_fn, Recording(model.parameters(), lr=0.1))
    assert calls == ["zero_grad", "forward", "loss", "backward", "clip", "step"]


def test_grad_clip_bounds_the_update():
    """With grad_clip=c the gradient applied has norm <= c; the recorded norm is before clipping."""
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = lambda m, b: 100.0 * m(b).sum()  # noqa: E731 - gradient (100, 100)
    _, norm = train_step(model, torch.ones(1, 2), loss_fn, opt, grad_clip=1.0)
    assert norm == pytest.approx(100 * 2 ** 0.5)
    assert model.weight.norm().item() == pytest.approx(1.0)


def test_callable_batches_get_the_seeded_generator():
    """A callable batch source receives the loop's generator: same seed, same run."""
    def run():
        torch.manual_seed(123)  # the model's init; the data comes from the seed below
        model = nn.Linear(3, 1)
        draw = lambda g: torch.randn(4, 3, generator=g)  # noqa: E731
        return train(model, draw, lambda m, x: m(x).pow(2).mean(), steps=5, seed=7,
                     progress=False).losses
    assert run() == run()


def test_callable_without_arguments_is_called_plainly():
    """A zero-argument callable is simply called once per step."""
    model, batches = _regression_problem()
    it = iter(batches * 2)
    history = train(model, lambda: next(it), _mse, steps=6, progress=False)
    assert history.steps == 6


def test_eval_every_and_final_eval():
    """eval_fn runs every eval_every steps, after the last step, in eval mode without grad."""
    model, batches = _regression_problem()
    seen = []

    def eval_fn(m):
        seen.append((m.training, torch.is_grad_enabled()))
        return 1.0

    history = train(model, batches, _mse, steps=10, eval_fn=eval_fn, eval_every=4, progress=False)
    assert [step for step, _ in history.evals] == [4, 8, 10]
    assert seen == [(False, False)] * 3 and model.training


def test_progress_false_prints_nothing(capsys):
    """progress=False writes nothing to stdout or stderr."""
    model, batches = _regression_problem()
    train(model, batches, _mse, steps=3, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_bar_shows_loss(capsys):
    """progress=True draws a tqdm bar whose postfix shows the loss."""
    model, batches = _regression_problem()
    train(model, batches, _mse, steps=3, progress=True, desc="fit")
    err = capsys.readouterr().err
    assert "fit" in err and "loss=" in err


def test_evaluate_mean_and_mode_restored():
    """evaluate averages the metric over batches and leaves the model's mode as it was."""
    model, batches = _regression_problem()
    expected = sum(_mse(model, b).item() for b in batches) / len(batches)
    assert evaluate(model, batches, _mse) == pytest.approx(expected)
    assert model.training
    model.eval()
    evaluate(model, batches, _mse)
    assert not model.training


def test_evaluate_dict_metrics():
    """A metric_fn returning a dict gives the mean of each key."""
    model, batches = _regression_problem()
    result = evaluate(model, batches[:2], lambda m, b: {"loss": _mse(m, b), "one": 1.0})
    assert set(result) == {"loss", "one"} and result["one"] == 1.0
    assert result["loss"] == pytest.approx(evaluate(model, batches[:2], _mse))


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one of steps or epochs"),
    ({"steps": 2, "epochs": 2}, "exactly one of steps or epochs"),
    ({"steps": 0}, "steps"),
    ({"steps": 2, "grad_clip": 0.0}, "grad_clip"),
])
def test_invalid_arguments(kwargs, message):
    """Bad settings raise ValueError with what was expected."""
    model, batches = _regression_problem()
    with pytest.raises(ValueError, match=message):
        train(model, batches, _mse, progress=False, **kwargs)


def test_non_scalar_loss_is_rejected():
    """A loss_fn returning a vector gets a clear error rather than a silent sum."""
    model, batches = _regression_problem()
    with pytest.raises(ValueError, match="scalar"):
        train(model, batches, lambda m, b: m(b[0]), steps=1, progress=False)


def test_epochs_rejects_one_shot_iterator():
    """epochs over a generator would silently train one epoch; it is refused."""
    model, batches = _regression_problem()
    with pytest.raises(ValueError, match="re-iterable"):
        train(model, iter(batches), _mse, epochs=2, progress=False)


def test_history_final_loss():
    """final_loss is the last recorded loss; an empty history says so."""
    assert History(losses=[3.0, 1.0]).final_loss == 1.0
    with pytest.raises(ValueError):
        _ = History().final_loss


@pytest.mark.parametrize("max_grad_norm", [0.3, 50.0, None])
def test_train_step_loss_matches_a_plain_torch_iteration(max_grad_norm):
    """train_step_loss (lesson 07's signature) returns the loss as a float and updates the
    parameters exactly as zero_grad -> loss -> backward -> clip_grad_norm_ -> step in torch."""
    def make():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    loss_fn = lambda m, b: F.mse_loss(m(b[0]), b[1])  # noqa: E731
    gen = torch.Generator().manual_seed(1)
    batches = [(torch.randn(5, 3, generator=gen), 4 * torch.randn(5, 2, generator=gen)) for _ in range(2)]
    model, opt = make()
    peer, peer_opt = make()
    for batch in batches:
        got = train_step_loss(model, batch, loss_fn, opt, max_grad_norm)
        peer_opt.zero_grad()
        loss = loss_fn(peer, batch)
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(peer.parameters(), max_grad_norm)
        peer_opt.step()
        assert type(got) is float and got == pytest.approx(loss.item())
        for p, q in zip(model.parameters(), peer.parameters(), strict=True):
            torch.testing.assert_close(p, q)
