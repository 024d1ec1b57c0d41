"""Lesson 08's ``freeze_layers`` harness (freeze the embedding and the first n encoder
layers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Tolerance, Verdict, error_verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _names, _pick, _randn
from ._toys import ToyClassifier, _groups, _load, _toy_params, _toy_sizes


@register
class FreezeLayersHarness(Harness):
    """``freeze_layers(model, num_layers)``: freeze the embedding and the first
    ``num_layers`` encoder layers (``num_layers = 0`` trains everything); the classifier
    head always trains."""

    lesson = LESSON
    name = "freeze_layers"
    title = "freeze the embedding and the first n encoder layers"
    # The gradients come from the stand-in model, not from the candidate: float32 against
    # float64 (a LayerNorm over 4 to 7 features amplifies rounding), measured over 100 seeds:
    # 1.1e-04 at most; the worst element uses 1/14 of this tolerance.
    tolerance = Tolerance(atol=5e-5, rtol=5e-4)
    hints = {
        "nothing_frozen": "nothing was frozen: set requires_grad to False on the PARAMETERS of "
        "the modules to freeze, in place on the model you are given "
        "(module.requires_grad_(False), or p.requires_grad = False for p in module.parameters()).",
        "changes_weights": "freezing must not change any weight: only switch requires_grad.",
        "parameters_renamed": "freezing must not add, remove or replace modules: switch "
        "requires_grad on the parameters the model has.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        out = []
        v, e, layers, labels = _toy_sizes(gen, hidden, 0)
        # At most L - 2 layers in the first case: freezing one layer too many must not
        # freeze the whole encoder there (two mistakes would look alike).
        first = _pick(gen, 1, layers - 2) if hidden else 2
        again = _pick(gen, 1, layers - 1) if hidden else 1
        plans = [("freeze some", [first]), ("freeze none", [0]), ("freeze all", [layers]),
                 ("freeze all, then fewer", [layers, again])]
        for name, calls in plans:
            model = ToyClassifier(v, e, layers, labels)
            inputs = {**_toy_params(gen, model, "w:"),
                      "ids": torch.randint(0, v, (3, 5), generator=gen),
                      "up": _randn(gen, 3, labels)}
            said = ", then ".join(f"freeze_layers(model, {n})" for n in calls)
            describe = (f"{name}: a model with an embedding, {layers} encoder layers and a "
                        f"classifier head, all trainable at first; {said}")
            out.append(Case(name, describe, inputs, {"sizes": [v, e, layers, labels], "calls": calls}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        v, e, layers, labels = case.args["sizes"]
        dtype = inputs["up"].dtype
        model = _load(ToyClassifier(v, e, layers, labels), inputs, "w:", dtype)
        for n in case.args["calls"]:
            candidate(model, n)
        params = dict(model.named_parameters())
        out: dict[str, Any] = {"names": ";".join(f"{n}{tuple(p.shape)}" for n, p in params.items())}
        if any(("w:" + n) not in inputs or inputs["w:" + n].shape != p.shape for n, p in params.items()):
            return out  # the judge reports the changed parameters
        out["requires_grad"] = torch.tensor([p.requires_grad for p in params.values()])
        out["changed"] = torch.tensor([not torch.equal(p.detach(), inputs["w:" + n])
                                       for n, p in params.items()])
        modules = list(model.named_modules())
        out["training"] = torch.tensor([m.training for _, m in modules])
        out["attribute"] = torch.tensor(["requires_grad" in vars(m) for _, m in modules])
        # A backward pass: which parameters get a gradient, and its values.
        model.eval()
        for p in params.values():
            p.grad = None
        logits = model(inputs["ids"])
        if logits.requires_grad:
            (logits * inputs["up"]).sum().backward()
        out["has_grad"] = torch.tensor([p.grad is not None and bool(p.grad.abs().sum() > 0)
                                        for p in params.values()])
        # (P,) every parameter's gradient flattened, zeros where none reached it
        out["grads"] = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                                  for p in params.values()]).detach()
        return out

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context, mistakes)

        def fail(layer: str, text: str, mid: str | None) -> Verdict:
            hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid or "")
            lines = [f"FAILED ({layer}) {context}", text] + ([f"Hint: {hint}"] if hint else [])
            return Verdict(False, "\n".join(lines), mid, layer)

        def flags(out: Mapping[str, Any], key: str) -> torch.Tensor | None:
            value = out.get(key)
            return value if type(value) is torch.Tensor and value.dtype == torch.bool else None

        if got.get("names") != expected["names"]:
            return fail("type", "the model's parameters changed names or shapes",
                        "parameters_renamed")
        names = [n.split("(")[0] for n in str(expected["names"]).split(";")]
        keys = ("requires_grad", "has_grad", "training", "attribute", "changed")
        mine = {k: flags(got, k) for k in keys}
        if any(v is None for v in mine.values()):
            return fail("type", "the record of the model's state is incomplete", None)
        if bool(mine["changed"].any()):
            return fail("property", f"the weights of {_names(_groups(names, mine['changed']))} "
                        "changed", "changes_weights")
        want = expected["requires_grad"]
        if not torch.equal(mine["requires_grad"], want):
            should_freeze = _groups(names, ~want & mine["requires_grad"])
            should_train = _groups(names, want & ~mine["requires_grad"])
            text = "; ".join(
                ([f"expected frozen but trainable: {', '.join(should_freeze)}"] if should_freeze else [])
                + ([f"expected trainable but frozen: {', '.join(should_train)}"] if should_train else []))
            return fail("values", text, self._diagnose(mine, mistakes))
        if not torch.equal(mine["has_grad"], expected["has_grad"]):
            missing = _groups(names, expected["has_grad"] & ~mine["has_grad"])
            extra = _groups(names, ~expected["has_grad"] & mine["has_grad"])
            text = "after a backward pass, " + "; ".join(
                ([f"no gradient reached {', '.join(missing)}"] if missing else [])
                + ([f"a frozen part got a gradient: {', '.join(extra)}"] if extra else []))
            return fail("gradients", text, None)
        grads = got.get("grads")
        exp = expected["grads"]
        if type(grads) is not torch.Tensor or grads.shape != exp.shape or not bool(torch.isclose(
                grads.double(), exp.double(), rtol=self.tolerance.rtol, atol=self.tolerance.atol).all()):
            return fail("gradients", "after a backward pass the gradients differ from the "
                        "expected ones (was the model changed in another way?)", None)
        return Verdict(True, f"passed: {context}")

    @staticmethod
    def _diagnose(mine: Mapping[str, torch.Tensor], mistakes: list[Mistake]) -> str:
        """The catalogued mistake this state shows: one that agrees on every flag, else a
        rule for the ways of freezing nothing, else one that agrees on requires_grad."""
        keys = ("requires_grad", "training", "attribute")

        def agrees(m: Mistake, ks: tuple[str, ...]) -> bool:
            return all(type(m.outputs.get(k)) is torch.Tensor and m.outputs[k].shape == mine[k].shape
                       and torch.equal(m.outputs[k], mine[k]) for k in ks)

        found = next((m.id for m in mistakes if agrees(m, keys)), None)
        if found is None and bool(mine["requires_grad"].all()):
            if bool(mine["attribute"].any()):
                found = "requires_grad_on_module"
            elif not bool(mine["training"].all()):
                found = "eval_instead_of_freezing"
            else:
                found = "nothing_frozen"
        return found or next((m.id for m in mistakes if agrees(m, ("requires_grad",))), None) or ""
