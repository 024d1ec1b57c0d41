"""Lesson 08's ``load_pretrained_encoder`` harness (copy a masked LM's embedding and
encoder into the classifier).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Tolerance, Verdict, error_verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _names
from ._toys import ToyClassifier, ToyMaskedLM, _load, _toy_params, _toy_sizes

#: A failed check: (layer, what was found, the mistake id or None).
Problem = tuple[str, str, str | None]


@register
class LoadPretrainedEncoderHarness(Harness):
    """``load_pretrained_encoder(classifier, masked_lm)``: copy ``embedding`` and ``encoder``."""

    lesson = LESSON
    name = "load_pretrained_encoder"
    title = "copy a masked LM's embedding and encoder into the classifier"
    # Copies only: float32 against float64 differs by the float32 rounding of the weights
    # (measured over 100 seeds: 8.1e-08 at most); the worst element uses 1/10 of this.
    tolerance = Tolerance(atol=3e-7, rtol=3e-7)
    hints = {
        "copied_wrong_direction": "the masked LM's weights changed: copy FROM masked_lm INTO "
        "classifier, never the other way round: each module of the classifier's body loads "
        "the state dict of the masked LM's module of the same name.",
        "shares_modules": "the classifier now shares parameters with the masked LM (e.g. "
        "classifier.encoder = masked_lm.encoder): fine-tuning it would also change the "
        "pre-trained model, and every other classifier loaded from it. Copy the weights "
        "(load_state_dict, or copy.deepcopy of the modules) instead.",
        "parameters_renamed": "after loading, the classifier must have exactly the parameters "
        "it had (embedding, encoder, classifier): copy weights into its modules, do not add, "
        "remove or replace modules.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        out = []
        for i in range(2):
            v, e, layers, labels = _toy_sizes(gen, hidden, i)
            inputs = {**_toy_params(gen, ToyClassifier(v, e, layers, labels), "c:"),
                      **_toy_params(gen, ToyMaskedLM(v, e, layers), "m:")}
            name = f"{i + 1}: {layers} encoder layers, {labels} labels"  # unique, numbered
            describe = (f"{name}: a classifier (embedding, encoder, dropout, classifier) and a "
                        f"masked LM (embedding, encoder, mlm_head tied to the token embedding), "
                        f"vocab_size={v}, d_model={e}, different random weights")
            out.append(Case(name, describe, inputs, {"sizes": [v, e, layers, labels]}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        v, e, layers, labels = case.args["sizes"]
        dtype = inputs["c:classifier.weight"].dtype
        clf = _load(ToyClassifier(v, e, layers, labels), inputs, "c:", dtype)
        mlm = _load(ToyMaskedLM(v, e, layers), inputs, "m:", dtype)
        candidate(clf, mlm)
        params = dict(clf.named_parameters())
        out: dict[str, Any] = {"names": ";".join(f"{n}{tuple(p.shape)}" for n, p in params.items())}
        out.update({f"c:{n}": p.detach().clone() for n, p in params.items()})
        out.update({f"m:{n}": p.detach().clone() for n, p in mlm.named_parameters()})
        theirs = {p.data_ptr() for p in mlm.parameters()}
        out["shared"] = torch.tensor([p.data_ptr() in theirs for p in params.values()])
        return out

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context, mistakes, (
                (r"Unexpected key\(s\).*mlm_head|Missing key\(s\).*classifier\.", "mlm_head_loaded"),))
        found = self._names_problem(got, expected, mistakes) \
            or self._source_problem(got, expected, mistakes, case) \
            or self._values_problem(got, expected, mistakes, case)
        if found is None:
            return Verdict(True, f"passed: {context}")
        layer, text, mid = found
        hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid or "")
        lines = [f"FAILED ({layer}) {context}", text] + ([f"Hint: {hint}"] if hint else [])
        return Verdict(False, "\n".join(lines), mid, layer)

    def _same(self, a: Any, b: Any) -> bool:
        """Two tensors of one shape, equal within the tolerance."""
        return type(a) is torch.Tensor and type(b) is torch.Tensor and a.shape == b.shape and \
            bool(torch.isclose(a.double(), b.double(), rtol=self.tolerance.rtol,
                               atol=self.tolerance.atol).all())

    def _matching(self, got: Mapping[str, Any], mistakes: list[Mistake], keys: list[str]) -> str | None:
        """The first catalogued mistake (that did not raise) whose outputs agree on ``keys``."""
        for m in mistakes:
            if ERROR_KEY not in m.outputs and all(
                    (got.get(k) == m.outputs.get(k)) if isinstance(m.outputs.get(k), str)
                    else self._same(got.get(k), m.outputs.get(k)) for k in keys):
                return m.id
        return None

    def _names_problem(self, got: Mapping[str, Any], expected: Mapping[str, Any],
                       mistakes: list[Mistake]) -> Problem | None:
        """The classifier's parameters must keep their names and shapes."""
        if got.get("names") == expected["names"]:
            return None
        exp_names = [n.split("(")[0] for n in str(expected["names"]).split(";")]
        got_names = [n.split("(")[0] for n in str(got.get("names", "")).split(";") if n]
        missing = [n for n in exp_names if n not in got_names]
        extra = [n for n in got_names if n not in exp_names]
        text = (f"the classifier's parameters changed: missing {_names(missing) or 'none'}; "
                f"unexpected {_names(extra) or 'none'} (shapes may differ too)")
        return ("type", text, self._matching(got, mistakes, ["names"]) or "parameters_renamed")

    def _source_problem(self, got: Mapping[str, Any], expected: Mapping[str, Any],
                        mistakes: list[Mistake], case: Case) -> Problem | None:
        """The masked LM must stay as it was, and share no tensor with the classifier."""
        m_keys = sorted(k for k in expected if k.startswith("m:"))
        c_keys = sorted(k for k in expected if k.startswith("c:"))
        changed = [k[2:] for k in m_keys if not self._same(got.get(k), case.inputs[k])]
        if changed:
            return ("property", f"the masked LM changed: {_names(changed)} no longer hold "
                    "their pre-trained values",
                    self._matching(got, mistakes, c_keys + m_keys) or "copied_wrong_direction")
        shared = got.get("shared")
        if type(shared) is not torch.Tensor or shared.dtype != torch.bool:
            return ("type", "no record of which parameters are shared", None)
        order = [n.split("(")[0] for n in str(expected["names"]).split(";")]
        if shared.shape != (len(order),):
            return ("type", "no record of which parameters are shared", None)
        if bool(shared.any()):
            names = [n for n, s in zip(order, shared.tolist(), strict=True) if s]
            return ("property", f"the classifier's {_names(names)} are the masked LM's own "
                    "tensors, not copies", "shares_modules")
        return None

    def _values_problem(self, got: Mapping[str, Any], expected: Mapping[str, Any],
                        mistakes: list[Mistake], case: Case) -> Problem | None:
        """The classifier's body must hold the masked LM's weights, its head its own."""
        c_keys = sorted(k for k in expected if k.startswith("c:"))
        problems = []
        for k in c_keys:
            n = k[2:]
            if self._same(got[k], expected[k]):
                continue
            source = case.inputs.get(f"m:{n}")
            if self._same(got[k], case.inputs[k]):
                problems.append(f"{n} still holds the classifier's own initial weights; expected "
                                "the masked LM's")
            elif source is not None and self._same(got[k], source):
                problems.append(f"{n} was overwritten with the masked LM's weights; expected it "
                                "to stay as it was (the head is new)")
            else:
                problems.append(f"{n} holds values that are neither its own nor the masked LM's")
        if not problems:
            return None
        shown = problems[:3] + ([f"... and {len(problems) - 3} more"] if len(problems) > 3 else [])
        return ("values", "\n".join(shown), self._matching(got, mistakes, c_keys))
