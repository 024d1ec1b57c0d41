"""Harnesses for lesson 02, attention (book ch. 1; Vaswani et al. 2017, sec. 3.2).

Exercises, in notebook order: ``padding_mask``, ``causal_mask``,
``scaled_dot_product_attention``, ``split_heads``, ``merge_heads``,
``MultiHeadAttention`` and three short questions.

Inputs are chosen so each catalogued mistake shows and differs from every
other one: T != S, several heads with T, H and Dh all different (so a wrong
permute gives a wrong shape), padding in the middle of a batch with different
lengths per sequence, a pad id other than 0 next to real tokens with id 0,
left padding, random per-head masks, a fully masked query row, and
cross-attention whose key and value are different tensors.

Tolerances were measured by ``tests/grader/test_attention.py``
(``python -m tests.grader.test_attention``): the largest error of a bank of
correct float32 implementations against the float64 reference over 200 seeds,
visible and hidden cases, outputs and gradients. Each harness's tolerance is
about ten times that figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ..answers import AnswerHarness
from ..compare import ERROR_KEY, GRAD_PREFIX, Mistake, Problem, Tolerance, Verdict
from ..harness import Case, Harness, ModuleHarness
from . import register

LESSON = "02_attention"


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def _lengths(gen: torch.Generator, b: int, s: int) -> torch.Tensor:
    """Distinct-enough lengths: the first sequence is full, the others padded."""
    lengths = torch.randint(2, s, (b,), generator=gen)
    lengths[0] = s
    return lengths


def _same_kind(g: Any, m: Any) -> bool:
    """Same failure at the type layer: both bool or both numbers, same shape, same values
    (a 0/1 mask as int64, int32 or float is one mistake)."""
    if type(g) is not torch.Tensor or type(m) is not torch.Tensor or g.shape != m.shape:
        return False
    if (g.dtype == torch.bool) != (m.dtype == torch.bool):
        return False
    return bool(torch.equal(g.double(), m.double()))


class _NamesFailures:
    """Mixin: name a catalogued mistake in the failures ``compare`` leaves unnamed.

    * an error matches a mistake that raised exactly the same message on the same case;
    * a wrong dtype matches a mistake with the same values (numbers for bools, say);
    * a missing gradient (a parameter or input the code never used) is reported as
      the values' mistake when the values match one: forgetting ``out_proj`` is
      better told as such than as "the graph is cut".

    Where the outputs are the inputs rearranged (``outputs_reveal_inputs``), a
    hidden case's feedback keeps the max error and its index but not the values.
    """

    outputs_reveal_inputs = False

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        verdict = self._named(got, expected, mistakes, case, hidden=hidden)
        if hidden and self.outputs_reveal_inputs and not verdict.passed:
            lines = [ln for ln in verdict.feedback.splitlines()
                     if not ln.startswith(("  expected ", "  got "))]
            verdict = Verdict(False, "\n".join(lines), verdict.mistake, verdict.layer)
        return verdict

    def _named(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
               mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        verdict = super().judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[misc]
        if verdict.passed or verdict.mistake is not None:
            return verdict
        values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
        found = None
        if verdict.layer == "error":
            found = next((m for m in mistakes if ERROR_KEY in m.outputs
                          and m.outputs[ERROR_KEY] == got.get(ERROR_KEY)), None)
        elif verdict.layer == "type" and all(type(got.get(k)) is torch.Tensor for k in values):
            found = next((m for m in mistakes if ERROR_KEY not in m.outputs and all(
                _same_kind(got.get(k), m.outputs.get(k)) for k in values)), None)
        elif verdict.layer in ("type", "gradients") and len(values) < len(expected):
            again = super().judge(got, values, mistakes, case, hidden=hidden)  # type: ignore[misc]
            if again.mistake is not None:
                return again
        if found is None:
            return verdict
        return Verdict(False, f"{verdict.feedback}\nHint: {found.hint}", found.id, verdict.layer)


# --------------------------------------------------------------------------- masks


@register
class PaddingMask(_NamesFailures, Harness):
    lesson = LESSON
    name = "padding_mask"
    title = "a (B, T) bool mask, True at real tokens"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t = (4, 9) if hidden else (3, 6)
        out = []
        # Right padding with the course's [PAD] = 0; the middle sequence is the shortest.
        pad_id = 0
        lengths = _lengths(gen, b, t)
        lengths[1] = 2
        ids = torch.randint(7, 50, (b, t), generator=gen)
        ids[torch.arange(t)[None, :] >= lengths[:, None]] = pad_id
        out.append(Case("right padding", f"input_ids {tuple(ids.shape)}, pad_id 0, padded on the "
                        "right", {"input_ids": ids}, {"pad_id": pad_id}))
        # Left padding, another pad id, and real tokens with id 0.
        pad_id = int(torch.randint(1, 6, (1,), generator=gen)) if hidden else 3
        lengths = _lengths(gen, b, t)
        real = torch.randint(7, 50, (b, t), generator=gen)
        real[:, -1] = 0  # a real token whose id is 0
        ids = torch.where(torch.arange(t)[None, :] >= (t - lengths)[:, None], real,
                          torch.full_like(real, pad_id))
        out.append(Case("left padding, pad_id != 0", f"input_ids {tuple(ids.shape)}, a pad_id "
                        "other than 0, padded on the left, real tokens with id 0",
                        {"input_ids": ids}, {"pad_id": pad_id}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mask": candidate(inputs["input_ids"], case.args["pad_id"])}


@register
class CausalMask(_NamesFailures, Harness):
    lesson = LESSON
    name = "causal_mask"
    title = "a (T, T) bool mask, True where query i may attend key j <= i"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        size = int(torch.randint(6, 10, (1,), generator=gen)) if hidden else 5
        return [Case("size T", f"size={size}" if not hidden else "a size T > 5", {}, {"size": size}),
                Case("size 1", "size=1", {}, {"size": 1})]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mask": candidate(case.args["size"])}


# --------------------------------------------------------------------------- attention


def _fully_masked_rows(mask: torch.Tensor | None, shape: torch.Size) -> torch.Tensor:
    """(B, H, T) bool: query rows where ``mask`` allows no key."""
    if mask is None:
        return torch.zeros(shape[:-1], dtype=torch.bool)
    return ~mask.expand(shape).any(-1)


@register
class ScaledDotProductAttention(_NamesFailures, Harness):
    lesson = LESSON
    name = "scaled_dot_product_attention"
    title = "scaled dot-product attention with a boolean mask"
    grad_inputs = ("q", "k", "v")
    # Measured over 200 seeds: max abs error 8.2e-07 (outputs), 1.6e-06 (gradients); the
    # worst element uses 7.7% of this tolerance (a 13x margin).
    tolerance = Tolerance(atol=1e-5, rtol=1e-4)
    hints = {
        "nan_on_fully_masked_row": "a query whose mask row is all False must get zero weights and "
        "a zero output; softmax over a row of -inf gives NaN, so zero those rows afterwards "
        "(e.g. torch.where on mask.any(-1, keepdim=True)).",
        "mask_polarity_flipped": "NaN appears on rows where the mask allows every key: in this "
        "course True means 'may attend', so fill the scores where the mask is False "
        "(masked_fill(~mask, ...)).",
        "nan_elsewhere": "NaN comes from a softmax over a row whose scores are all -inf (or from "
        "inf - inf): check which positions you fill, and that True in the mask means 'may attend'.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, h, t, s, d = (3, 2, 4, 6, 8) if hidden else (2, 2, 3, 5, 4)
        out = []
        for name, mask in self._masks(gen, b, h, t, s):
            q, k, v = _randn(gen, b, h, t, d), _randn(gen, b, h, s, d), _randn(gen, b, h, s, d)
            inputs = {"q": q, "k": k, "v": v}
            if mask is not None:
                inputs["mask"] = mask
            shape = f"q {tuple(q.shape)}, k/v {tuple(k.shape)}"
            mdesc = "no mask" if mask is None else f"mask {tuple(mask.shape)}"
            up = {"out": _randn(gen, b, h, t, d), "weights": _randn(gen, b, h, t, s)}
            out.append(Case(name, f"{name}: {shape}, {mdesc}", inputs, {}, up))
        return out

    @staticmethod
    def _masks(gen: torch.Generator, b: int, h: int, t: int, s: int):
        yield "no mask", None
        pad = torch.arange(s)[None, :] < _lengths(gen, b, s)[:, None]  # (B, S)
        yield "padding mask", pad[:, None, None, :]  # (B, 1, 1, S)
        causal = torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)  # (T, S)
        yield "causal mask", causal
        rand = torch.rand(b, h, t, s, generator=gen) < 0.6
        rand[..., 0] = True
        rand[0, 1, 1, :] = False  # a fully masked query row
        yield "random mask with a fully masked row", rand

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        result = candidate(inputs["q"], inputs["k"], inputs["v"], mask=inputs.get("mask"))
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected a tuple (out, weights), got {type(result).__name__}")
        return {"out": result[0], "weights": result[1]}

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        w, o = got["weights"], got["out"]
        nan_rows = torch.isnan(w).any(-1) | torch.isnan(o).any(-1)  # (B, H, T)
        if not nan_rows.any():
            return []
        mask = case.inputs.get("mask")
        if (nan_rows & ~_fully_masked_rows(mask, w.shape)).sum() == 0:
            return [Problem("the output holds NaN on a fully masked query row",
                            "nan_on_fully_masked_row")]
        if mask is not None and (nan_rows & ~_fully_masked_rows(~mask, w.shape)).sum() == 0:
            return [Problem("the output holds NaN on query rows whose mask is all True",
                            "mask_polarity_flipped")]
        return [Problem("the output holds NaN", "nan_elsewhere")]


@register
class SplitHeads(_NamesFailures, Harness):
    lesson = LESSON
    name = "split_heads"
    title = "(B, T, E) -> (B, H, T, Dh)"
    outputs_reveal_inputs = True
    grad_inputs = ("x",)
    # Pure data movement: float32 against float64 differs only by the float32 rounding of the
    # inputs. Measured over 200 seeds: max abs error 1.8e-07 (outputs), 1.6e-07 (gradients),
    # about a tenth of atol (the worst element uses 3.0% of atol + rtol * |expected|).
    tolerance = Tolerance(atol=2e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # T, H and Dh all differ, so every wrong axis order gives a wrong shape or wrong values.
        sizes = [(3, 7, 2, 5), (2, 4, 3, 6)] if hidden else [(2, 5, 3, 4), (1, 2, 4, 3)]
        out = []
        for i, (b, t, h, d) in enumerate(sizes):
            x = _randn(gen, b, t, h * d)
            out.append(Case(f"case {i + 1}", f"x {tuple(x.shape)}, num_heads={h}", {"x": x},
                            {"num_heads": h}, {"out": _randn(gen, b, h, t, d)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"out": candidate(inputs["x"], case.args["num_heads"])}


@register
class MergeHeads(_NamesFailures, Harness):
    lesson = LESSON
    name = "merge_heads"
    title = "(B, H, T, Dh) -> (B, T, H * Dh)"
    outputs_reveal_inputs = True
    grad_inputs = ("x",)
    # Measured over 200 seeds: max abs error 2.2e-07 (outputs), 2.3e-07 (gradients); the worst
    # element uses 3.7% of this tolerance.
    tolerance = Tolerance(atol=2e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(3, 2, 7, 5), (2, 3, 4, 6)] if hidden else [(2, 3, 5, 4), (1, 4, 2, 3)]
        out = []
        for i, (b, h, t, d) in enumerate(sizes):
            x = _randn(gen, b, h, t, d)
            out.append(Case(f"case {i + 1}", f"x {tuple(x.shape)}", {"x": x}, {},
                            {"out": _randn(gen, b, t, h * d)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"out": candidate(inputs["x"])}


@register
class MultiHeadAttentionHarness(_NamesFailures, ModuleHarness):
    lesson = LESSON
    name = "MultiHeadAttention"
    title = "multi-head attention with q_proj, k_proj, v_proj and out_proj"
    # Self-attention cases have one input x (passed as query, key and value); cross-attention
    # cases have a query and a memory (passed as key and value), or three inputs. The inputs
    # present become gradient leaves in forward (see extra_grad_leaves).
    grad_inputs = ()
    # Measured over 200 seeds: max abs error 1.2e-06 (outputs), 6.7e-06 (parameter gradients,
    # which sum over the batch and reach |g| ~ 10; the key bias's gradient is exactly 0 in exact
    # arithmetic and ~1e-6 in float32); the worst element uses 9.6% of this tolerance.
    tolerance = Tolerance(atol=4e-5, rtol=2e-4)
    _INPUTS = ("x", "query", "key", "value", "memory")

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, S, E, H): T, S, H and Dh = E / H all differ; B = H so a mask paired with the
        # wrong batch element when heads are folded into the batch shows.
        b, t, s, e, h = (3, 6, 4, 15, 3) if hidden else (3, 4, 6, 12, 3)
        out = []

        def add(name: str, describe: str, inputs: dict[str, torch.Tensor], heads: int, embed: int,
                bias: bool, tq: int, sk: int) -> None:
            inputs.update(self._params(gen, embed, bias))
            up = {"out": _randn(gen, b, tq, embed), "weights": _randn(gen, b, heads, tq, sk)}
            init = {"d_model": embed, "num_heads": heads} | ({} if bias else {"bias": False})
            out.append(Case(name, describe, inputs, {"init": init}, up))

        pad = torch.arange(t)[None, :] < _lengths(gen, b, t)[:, None]  # (B, T)
        add("self-attention, padding mask",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); x {(b, t, e)} as query, key and "
            f"value; mask {(b, 1, 1, t)}",
            {"x": _randn(gen, b, t, e), "mask": pad[:, None, None, :]}, h, e, True, t, t)
        # Cross-attention without a mask first: code that takes keys from the query then
        # fails on the weights' shape (T, T) instead of raising on a (B, 1, 1, S) mask.
        add("cross-attention, T != S",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); query {(b, t, e)}, key and value "
            f"{(b, s, e)} (two different tensors); no mask",
            {"query": _randn(gen, b, t, e), "key": _randn(gen, b, s, e), "value": _randn(gen, b, s, e)},
            h, e, True, t, s)
        pad = torch.arange(s)[None, :] < _lengths(gen, b, s)[:, None]  # (B, S)
        add("cross-attention with a padded memory",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); query {(b, t, e)}, key and value "
            f"{(b, s, e)} (one tensor, the encoder's output); mask {(b, 1, 1, s)}",
            {"query": _randn(gen, b, t, e), "memory": _randn(gen, b, s, e),
             "mask": pad[:, None, None, :]}, h, e, True, t, s)
        causal = torch.ones(t, t, dtype=torch.bool).tril()  # (T, T)
        rand = torch.rand(b, h, t, t, generator=gen) < 0.7
        rand[..., 0] = True
        add("self-attention, causal and per-head mask",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); x {(b, t, e)}; a (T, T) causal mask "
            f"AND a random (B, H, T, T) mask: mask {(b, h, t, t)}",
            {"x": _randn(gen, b, t, e), "mask": causal & rand}, h, e, True, t, t)
        e2, h2 = (10, 2) if hidden else (8, 2)
        add("bias=False, no mask",
            f"MultiHeadAttention(d_model={e2}, num_heads={h2}, bias=False); x {(b, t, e2)}; no mask",
            {"x": _randn(gen, b, t, e2)}, h2, e2, False, t, t)
        return out

    @staticmethod
    def _params(gen: torch.Generator, e: int, bias: bool) -> dict[str, torch.Tensor]:
        params = {}
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            params[f"param:{proj}.weight"] = _randn(gen, e, e, scale=e ** -0.5)
            if bias:
                params[f"param:{proj}.bias"] = _randn(gen, e, scale=0.1)
        return params

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        dtype = next(v.dtype for k, v in inputs.items() if k in self._INPUTS)
        self._leaves = {k: v.requires_grad_(True) for k, v in inputs.items() if k in self._INPUTS}
        module = self.build(candidate, case, inputs, dtype)
        if "x" in inputs:  # self-attention
            query = key = value = inputs["x"]
        elif "memory" in inputs:  # cross-attention, keys and values from the encoder's output
            query, key, value = inputs["query"], inputs["memory"], inputs["memory"]
        else:
            query, key, value = inputs["query"], inputs["key"], inputs["value"]
        result = module(query, key, value, mask=inputs.get("mask"))
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected forward to return a tuple (out, weights), got "
                            f"{type(result).__name__}")
        return {"out": result[0], "weights": result[1]}

    def extra_grad_leaves(self, outputs: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        return {**getattr(self, "_leaves", {}), **super().extra_grad_leaves(outputs)}

    def build(self, candidate: type, case: Case, inputs: dict[str, torch.Tensor],
              dtype: torch.dtype) -> torch.nn.Module:
        try:
            return super().build(candidate, case, inputs, dtype)
        except RuntimeError as exc:
            if "state_dict" not in str(exc):
                raise
            raise RuntimeError("the module's parameters must be exactly q_proj, k_proj, v_proj "
                               "and out_proj, each nn.Linear(d_model, d_model, bias=bias); "
                               f"loading them failed: {str(exc).splitlines()[-1].strip()}") from None


# --------------------------------------------------------------------------- questions


@register
class AttentionWeightsShape(AnswerHarness):
    lesson = LESSON
    name = "attention_weights_shape"
    kind = "shape"
    question = ("q has shape (2, 8, 10, 64) and k has shape (2, 8, 12, 64): what is the shape "
                "of the attention weights?")


@register
class WeightsMemoryGrowth(AnswerHarness):
    lesson = LESSON
    name = "weights_memory_growth"
    kind = "number"
    question = ("In self-attention, how many times more memory does the weights tensor take "
                "when the sequence length T doubles?")


@register
class DecoderSelfAttentionMask(AnswerHarness):
    lesson = LESSON
    name = "decoder_self_attention_mask"
    kind = "choice"
    question = ("Which mask does a decoder's self-attention need so that, trained on whole "
                "sentences at once, each position predicts the next token without seeing it? "
                "a) a padding mask only, b) a causal mask (lower triangle, diagonal included), "
                "c) an upper-triangular mask, d) no mask")
