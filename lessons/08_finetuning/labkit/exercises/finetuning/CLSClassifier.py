"""Lesson 08's ``CLSClassifier`` harness and the parameters its cases load.

``CLSClassifier`` is a class exercise: it is built with the reference's constructor
arguments and gets the case's weights by name, in eval mode (dropout off). Its cases
have padding in the middle of the batch (row 1 is the shortest sentence), B != T
(so indexing the batch instead of the position shows as a shape), several heads and
a number of labels different from every other size.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ...compare import ERROR_KEY, GRAD_PREFIX, Mistake, Tolerance, Verdict, compare, error_verdict
from ...harness import Case, ModuleHarness
from .. import register
from ._common import LESSON, _names, _pick, _randn, _sentences


def _linear(gen: torch.Generator, prefix: str, fan_in: int, fan_out: int) -> dict[str, torch.Tensor]:
    return {f"param:{prefix}.weight": _randn(gen, fan_out, fan_in, scale=fan_in ** -0.5),
            f"param:{prefix}.bias": _randn(gen, fan_out, scale=0.2)}


def _norm(gen: torch.Generator, prefix: str, e: int) -> dict[str, torch.Tensor]:
    return {f"param:{prefix}.weight": 1 + _randn(gen, e, scale=0.2),
            f"param:{prefix}.bias": _randn(gen, e, scale=0.2)}


def classifier_params(gen: torch.Generator, v: int, e: int, f: int, layers: int, labels: int
                      ) -> dict[str, torch.Tensor]:
    """The parameters of a [CLS] classifier, named as the reference (and MaskedLM's body)
    names them: ``embedding.token``, ``encoder.layers.<i>.{self_attn, ff, norm1, norm2}``,
    ``classifier``."""
    params = {"param:embedding.token.weight": _randn(gen, v, e, scale=e ** -0.5)}
    for i in range(layers):
        p = f"encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            params.update(_linear(gen, f"{p}self_attn.{proj}", e, e))
        params.update(_linear(gen, f"{p}ff.linear1", e, f))
        params.update(_linear(gen, f"{p}ff.linear2", f, e))
        params.update(_norm(gen, f"{p}norm1", e))
        params.update(_norm(gen, f"{p}norm2", e))
    params.update(_linear(gen, "classifier", e, labels))
    return params


#: Marks a build error whose parameters read vocabulary-sized features (names the mistake).
VOCAB_MARK = "features of vocabulary size"


@register
class CLSClassifierHarness(ModuleHarness):
    """``CLSClassifier(vocab_size, num_labels, d_model, num_heads, d_ff, num_layers, max_len,
    dropout)``; ``forward(input_ids (B, T)) -> logits (B, num_labels)`` from position 0."""

    lesson = LESSON
    name = "CLSClassifier"
    title = "a [CLS] sentence classifier on the encoder body"
    # Measured (100 seeds, visible and hidden): max abs error 2.2e-06 (logits) and 1.9e-05
    # (parameter gradients, which sum over the batch); the worst element uses 1/11 of
    # this tolerance.
    tolerance = Tolerance(atol=5e-5, rtol=2.5e-4)
    structure = ("expected the provided body (embedding, encoder) plus exactly "
                 "classifier = nn.Linear(d_model, num_labels); dropout has no weights")

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        if hidden:
            sizes = []
            for layers in (2, _pick(gen, 1, 3)):
                b, heads, dh = _pick(gen, 3, 5), _pick(gen, 2, 3), _pick(gen, 3, 5)
                sizes.append({"b": b, "t": b + _pick(gen, 2, 4), "v": _pick(gen, 22, 40),
                              "e": heads * dh, "h": heads, "f": _pick(gen, 14, 24), "l": layers,
                              "c": _pick(gen, 2, 5)})
        else:
            sizes = [{"b": 3, "t": 7, "v": 32, "e": 12, "h": 3, "f": 20, "l": 2, "c": 3},
                     {"b": 4, "t": 6, "v": 24, "e": 8, "h": 2, "f": 16, "l": 1, "c": 2}]
        out = []
        for i, s in enumerate(sizes):
            ids = _sentences(gen, s["b"], s["t"], s["v"])
            max_len = s["t"] + (_pick(gen, 0, 4) if hidden else 3 * (1 - i))
            init = {"vocab_size": s["v"], "num_labels": s["c"], "d_model": s["e"],
                    "num_heads": s["h"], "d_ff": s["f"], "num_layers": s["l"], "max_len": max_len,
                    "dropout": 0.1}
            inputs = {"input_ids": ids, **classifier_params(gen, s["v"], s["e"], s["f"], s["l"], s["c"])}
            # Case names are unique keys of the evidence: numbered, as hidden sizes may repeat.
            name = f"{i + 1}: {s['l']} layer{'s' if s['l'] > 1 else ''}, {s['c']} labels, padded batch"
            describe = (f"{name}: input_ids {tuple(ids.shape)} with [CLS] first and [PAD] = 0 "
                        f"after [SEP]; " + ", ".join(f"{k}={v}" for k, v in init.items()))
            out.append(Case(name, describe, inputs, {"init": init},
                            {"logits": _randn(gen, s["b"], s["c"])}))
        return out

    def build(self, candidate: type, case: Case, inputs: dict[str, torch.Tensor],
              dtype: torch.dtype) -> nn.Module:
        module = candidate(**case.args["init"])
        if not isinstance(module, nn.Module):
            raise TypeError(f"expected {self.name}(...) to build a torch.nn.Module, got "
                            f"{type(module).__name__}")
        params = {k[len("param:"):]: v.detach() for k, v in inputs.items() if k.startswith("param:")}
        module.to(dtype)
        own = dict(module.named_parameters())
        missing, extra = sorted(set(params) - set(own)), sorted(set(own) - set(params))
        wrong = sorted(n for n in set(own) & set(params) if own[n].shape != params[n].shape)
        if missing or extra or wrong:
            parts = ([f"missing {_names(missing)}"] if missing else []) + \
                    ([f"unexpected {_names(extra)}"] if extra else []) + \
                    [f"{n} has shape {tuple(own[n].shape)}, expected {tuple(params[n].shape)}"
                     for n in wrong[:2]]
            vocab = case.args["init"]["vocab_size"]
            odd = [n for n in extra + wrong if n != "embedding.token.weight" and vocab in own[n].shape]
            mark = f" ({_names(odd, 1)} reads {VOCAB_MARK})" if odd else ""
            raise RuntimeError(f"the module's parameters are not the expected ones "
                               f"({'; '.join(parts)}){mark}; {self.structure}")
        with torch.no_grad():
            for n, value in params.items():
                own[n].copy_(value)
        module.eval()
        self._module = module
        return module

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["param:classifier.weight"].dtype)
        return {"logits": module(inputs["input_ids"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context, mistakes, ((re.escape(VOCAB_MARK),
                                                            "classifier_on_vocab_logits"),))
        # A parameter without a gradient (one forward never uses) is told by the values
        # first: reading the wrong position is better said as such than "the graph is cut".
        if any(k.startswith(GRAD_PREFIX) and got.get(k) is None for k in expected):
            values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
            verdict = compare(got, values, context=context, mistakes=mistakes, tol=self.tolerance)
            if not verdict.passed:
                return verdict
        return compare(got, expected, context=context, mistakes=mistakes, tol=self.tolerance)
