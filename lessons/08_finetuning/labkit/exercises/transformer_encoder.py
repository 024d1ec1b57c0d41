"""Harnesses for lesson 03, the Transformer encoder (book ch. 1, the Transformer
block; Vaswani et al. 2017, sec. 3.1, 3.3, 3.4 and 3.5).

Exercises, in notebook order: ``sinusoidal_positional_encoding``,
``TransformerEmbedding`` (token embedding scaled by sqrt(d_model) plus learned or
sinusoidal positions), ``FeedForward``, ``sublayer_connection`` (residual and
LayerNorm, post-norm and pre-norm), ``EncoderLayer``, ``Encoder`` and three short
questions.

Inputs are chosen so each catalogued mistake shows and differs from every other
one: T < max_len (the position table must be sliced), a token vocabulary smaller
than max_len (so positions looked up by token id give wrong values rather than an
error), a pad id other than 0 next to real tokens with id 0, padding in the middle
of a batch, several heads, odd sizes (an odd d_model for the sinusoid), ReLU and
GELU cases, a layer_norm_eps other than the default, inputs whose mean and scale
are far from 0 and 1 (so every misplaced LayerNorm shows), and stacks of two or
three layers with different weights (so a shared or repeated layer shows).

Class exercises are built with the reference's constructor arguments and get the
case's parameters; their parameter names must be the reference's (the message
says which are missing or unexpected). Buffers the student registers (e.g. the
sinusoid table) are kept.

Tolerances were measured by ``tests/grader/test_transformer_encoder.py``
(``python -m tests.grader.test_transformer_encoder 100``): the largest error of a
bank of correct float32 implementations against the float64 reference over 100
seeds, visible and hidden cases, outputs and gradients. Each tolerance is about ten
times that figure (the figure is quoted beside it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from ..answers import AnswerHarness
from ..compare import ERROR_KEY, GRAD_PREFIX, Mistake, Tolerance, Verdict
from ..harness import Case, Harness, ModuleHarness
from . import register

LESSON = "03_transformer_encoder"


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def _pick(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def _padding(gen: torch.Generator, b: int, t: int) -> torch.Tensor:
    """``(B, T)`` bool, True at real tokens: row 0 is full, row 1 (in the middle of
    the batch) the shortest, the others random."""
    lengths = torch.randint(2, t + 1, (b,), generator=gen)
    lengths[0], lengths[1] = t, 2
    return torch.arange(t)[None, :] < lengths[:, None]


def _upstream(gen: torch.Generator, b: int, t: int, e: int) -> torch.Tensor:
    """A random upstream gradient scaled by 1/sqrt(B T): a parameter's gradient sums over
    the B T positions, so it stays O(1) like the outputs, and one tolerance fits both."""
    return _randn(gen, b, t, e, scale=(b * t) ** -0.5)


def _norm_params(gen: torch.Generator, prefix: str, e: int) -> dict[str, torch.Tensor]:
    return {f"param:{prefix}.weight": 1 + _randn(gen, e, scale=0.2),
            f"param:{prefix}.bias": _randn(gen, e, scale=0.2)}


def _linear_params(gen: torch.Generator, prefix: str, fan_in: int, fan_out: int
                   ) -> dict[str, torch.Tensor]:
    return {f"param:{prefix}.weight": _randn(gen, fan_out, fan_in, scale=fan_in ** -0.5),
            f"param:{prefix}.bias": _randn(gen, fan_out, scale=0.2)}


def _layer_params(gen: torch.Generator, prefix: str, e: int, f: int) -> dict[str, torch.Tensor]:
    """The parameters of an encoder layer, named as the reference names them."""
    params: dict[str, torch.Tensor] = {}
    for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
        params.update(_linear_params(gen, f"{prefix}self_attn.{proj}", e, e))
    params.update(_linear_params(gen, f"{prefix}ff.linear1", e, f))
    params.update(_linear_params(gen, f"{prefix}ff.linear2", f, e))
    params.update(_norm_params(gen, f"{prefix}norm1", e))
    params.update(_norm_params(gen, f"{prefix}norm2", e))
    return params


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


class _Diagnoses:
    """Mixin: name a catalogued mistake in the failures the plain comparison leaves unnamed.

    * an error matches a mistake that raised exactly the same message on the same case,
      or else one of the harness's ``error_patterns`` (regex on the message -> mistake id);
    * when a parameter or input got no gradient (a sub-module that forward never uses,
      or layers sharing one set of weights), the values are compared first: a norm used
      twice is better told as such than as "the graph is cut".
    """

    error_patterns: tuple[tuple[str, str], ...] = ()
    hints: dict[str, str] = {}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        base = super().judge  # type: ignore[misc]
        if ERROR_KEY in got:
            verdict = base(got, expected, mistakes, case, hidden=hidden)
            if verdict.mistake is not None:
                return verdict
            return self._name_error(verdict, str(got[ERROR_KEY]), mistakes, case)
        if any(k.startswith(GRAD_PREFIX) and got.get(k) is None for k in expected):
            values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
            verdict = base(got, values, mistakes, case, hidden=hidden)
            if not verdict.passed:
                return verdict
        return base(got, expected, mistakes, case, hidden=hidden)

    def _name_error(self, verdict: Verdict, error: str, mistakes: list[Mistake], case: Case
                    ) -> Verdict:
        found = next((m for m in mistakes if m.outputs.get(ERROR_KEY) == error), None)
        if found is not None:
            mid, hint = found.id, found.hint
        else:
            mid = self.error_mistake(error, case)
            if mid is None:
                return verdict
            hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid, "")
        return Verdict(False, f"{verdict.feedback}\nHint: {hint}", mid, verdict.layer)

    def error_mistake(self, error: str, case: Case) -> str | None:
        return next((mid for pattern, mid in self.error_patterns if re.search(pattern, error)), None)


class _Module(_Diagnoses, ModuleHarness):
    """A class exercise whose parameters must carry the reference's names.

    Trainable parameters are matched by name (the message lists the missing and
    unexpected ones) and get the case's values; buffers and frozen parameters the
    candidate makes itself are kept, cast to the case's dtype.
    """

    #: what the expected sub-modules are, in words (shown when the names do not match)
    structure: str = ""

    def build(self, candidate: type, case: Case, inputs: dict[str, torch.Tensor],
              dtype: torch.dtype) -> torch.nn.Module:
        module = candidate(**case.args.get("init", {}))
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"expected {self.name}(...) to build a torch.nn.Module, got "
                            f"{type(module).__name__}")
        params = {k[len("param:"):]: v.detach() for k, v in inputs.items() if k.startswith("param:")}
        module.to(dtype)
        # Frozen parameters (requires_grad=False, e.g. a fixed table kept in an nn.Embedding)
        # are constants like buffers: they are kept, not matched.
        own = {n for n, p in module.named_parameters(remove_duplicate=False) if p.requires_grad}
        missing, extra = sorted(set(params) - own), sorted(own - set(params))
        if missing or extra:
            parts = ([f"missing {_names(missing)}"] if missing else []) + \
                    ([f"unexpected {_names(extra)}"] if extra else [])
            raise RuntimeError(f"the module's parameters are not the expected ones "
                               f"({'; '.join(parts)}); {self.structure}")
        try:
            module.load_state_dict(params, strict=False)
        except RuntimeError as exc:
            raise RuntimeError(f"loading the parameters failed: {str(exc).splitlines()[-1].strip()}"
                               ) from None
        module.eval()
        self._module = module
        return module


# --------------------------------------------------------------------------- positions


@register
class SinusoidalPositionalEncoding(_Diagnoses, Harness):
    """``sinusoidal_positional_encoding(max_len, d_model) -> (max_len, d_model)``."""

    lesson = LESSON
    name = "sinusoidal_positional_encoding"
    title = "the fixed sinusoidal position table: sin on even dims, cos on odd dims"
    # Measured (100 seeds, visible and hidden): max abs error 3.3e-6 (float32 tables; the
    # angle of position 80 carries float32 rounding). About 10x margin.
    tolerance = Tolerance(atol=3e-5, rtol=0.0)
    hints = {
        "odd_d_model_fails": "d_model may be odd: there are ceil(d_model / 2) sine columns "
        "(0, 2, 4, ...) but only d_model // 2 cosine columns (1, 3, ...), so take the angles "
        "of the first d_model // 2 frequencies for the cosines.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        if hidden:
            sizes = [(_pick(gen, 8, 14), 2 * _pick(gen, 3, 6)), (_pick(gen, 4, 9), 2 * _pick(gen, 2, 5) + 1),
                     (_pick(gen, 48, 80), 2 * _pick(gen, 6, 12))]
        else:
            sizes = [(10, 8), (6, 7), (64, 16)]
        names = ("small table", "odd d_model", "long table")
        return [Case(n, f"max_len={L}, d_model={d}", {}, {"max_len": L, "d_model": d})
                for n, (L, d) in zip(names, sizes, strict=True)]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"pe": candidate(case.args["max_len"], case.args["d_model"])}

    def error_mistake(self, error: str, case: Case) -> str | None:
        # Any crash on the odd case (the even ones come first) is the missing cosine column.
        if case.args["d_model"] % 2 == 1 and not error.startswith("NotImplementedError"):
            return "odd_d_model_fails"
        return None


@register
class TransformerEmbeddingHarness(_Module):
    """``TransformerEmbedding(vocab_size, d_model, max_len, positional, dropout, pad_id)``:
    ``token`` (nn.Embedding, padding_idx=pad_id) and, when positional="learned",
    ``position`` (nn.Embedding(max_len, d_model)); forward(input_ids (B, T)) -> (B, T, E)."""

    lesson = LESSON
    name = "TransformerEmbedding"
    title = "token embedding * sqrt(d_model) + positions (learned or sinusoidal)"
    # Measured (100 seeds): max abs error 4.6e-7 (outputs), 2.0e-6 (gradients); the worst
    # element uses 1/11 of the tolerance.
    tolerance = Tolerance(atol=1e-5, rtol=1e-5)
    structure = ("expected exactly token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id) "
                 "and, only when positional='learned', position = nn.Embedding(max_len, d_model) "
                 "(the sinusoid is a fixed table, not a parameter)")
    grad_inputs = ()

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        out = []
        # Learned positions, [PAD] = 0. vocab_size < max_len: positions looked up by token
        # id give wrong values (not an index error); T < max_len: the table must be sliced.
        b, t, v, e, length = (4, 7, 13, 10, 15) if hidden else (3, 6, 11, 6, 12)
        real = torch.randint(1, v, (b, t), generator=gen)
        ids = torch.where(_padding(gen, b, t), real, torch.zeros_like(real))
        params = {"param:token.weight": _randn(gen, v, e, scale=e ** -0.5),
                  "param:position.weight": _randn(gen, length, e, scale=0.5)}
        params["param:token.weight"][0] = 0.0
        init = {"vocab_size": v, "d_model": e, "max_len": length, "positional": "learned",
                "dropout": 0.1, "pad_id": 0}
        out.append(Case("learned positions", f"TransformerEmbedding(vocab_size={v}, d_model={e}, "
                        f"max_len={length}, positional='learned', dropout=0.1, pad_id=0); input_ids "
                        f"{(b, t)} with padding", {"input_ids": ids, **params}, {"init": init},
                        {"out": _randn(gen, b, t, e)}))
        # Sinusoidal positions, pad_id 3, real tokens with id 0.
        b, t, v, e, length = (3, 9, 23, 12, 20) if hidden else (2, 7, 20, 8, 16)
        pad_id = 3
        real = torch.randint(0, v - 1, (b, t), generator=gen)
        real = real + (real >= pad_id).long()  # every id but the pad id
        real[:, 1] = 0
        ids = torch.where(_padding(gen, b, t), real, torch.full_like(real, pad_id))
        token = _randn(gen, v, e, scale=e ** -0.5)
        token[pad_id] = 0.0
        init = {"vocab_size": v, "d_model": e, "max_len": length, "positional": "sinusoidal",
                "dropout": 0.1, "pad_id": pad_id}
        out.append(Case("sinusoidal positions, pad_id 3", f"TransformerEmbedding(vocab_size={v}, "
                        f"d_model={e}, max_len={length}, positional='sinusoidal', dropout=0.1, "
                        f"pad_id={pad_id}); input_ids {(b, t)} with padding and real tokens of id 0",
                        {"input_ids": ids, "param:token.weight": token}, {"init": init},
                        {"out": _randn(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        dtype = inputs["param:token.weight"].dtype
        module = self.build(candidate, case, inputs, dtype)
        return {"out": module(inputs["input_ids"])}


# --------------------------------------------------------------------------- feed-forward


@register
class FeedForwardHarness(_Module):
    """``FeedForward(d_model, d_ff, dropout, activation)`` with ``linear1``, ``linear2``."""

    lesson = LESSON
    name = "FeedForward"
    title = "position-wise feed-forward: linear2(activation(linear1(x)))"
    grad_inputs = ("x",)
    # Measured (100 seeds): max abs error 7.4e-7 (outputs), 2.3e-6 (gradients); the worst
    # element uses 1/9 of the tolerance.
    tolerance = Tolerance(atol=1e-5, rtol=1e-5)
    structure = ("expected exactly linear1 = nn.Linear(d_model, d_ff) and "
                 "linear2 = nn.Linear(d_ff, d_model)")

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(3, 4, 8, 14, "relu"), (2, 6, 6, 9, "gelu")] if hidden else \
                [(2, 5, 6, 10, "relu"), (2, 3, 8, 12, "gelu")]
        out = []
        for b, t, e, f, act in sizes:
            inputs = {"x": _randn(gen, b, t, e), **_linear_params(gen, "linear1", e, f),
                      **_linear_params(gen, "linear2", f, e)}
            init = {"d_model": e, "d_ff": f, "dropout": 0.1, "activation": act}
            out.append(Case(act, f"FeedForward(d_model={e}, d_ff={f}, dropout=0.1, "
                            f"activation='{act}'); x {(b, t, e)}", inputs, {"init": init},
                            {"out": _randn(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"])}


# --------------------------------------------------------------------------- residual + norm


@register
class SublayerConnection(_Diagnoses, Harness):
    """``sublayer_connection(x, sublayer, norm, norm_first)``: post-norm
    norm(x + sublayer(x)) or pre-norm x + sublayer(norm(x))."""

    lesson = LESSON
    name = "sublayer_connection"
    title = "residual connection and LayerNorm, post-norm and pre-norm"
    grad_inputs = ("x", "w1", "w2", "ln_weight", "ln_bias")
    # Measured (100 seeds): max abs error 6.9e-7 (outputs), 3.3e-6 (gradients of the
    # LayerNorm and sub-layer weights); the worst element uses 1/10 of the tolerance.
    tolerance = Tolerance(atol=2e-5, rtol=2e-5)
    EPS = 1e-5

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, e, f = (3, 5, 10, 7) if hidden else (2, 4, 6, 5)
        out = []
        for norm_first in (False, True):
            # Mean and scale far from 0 and 1, so that what is normalised matters.
            inputs = {"x": 1.5 * _randn(gen, b, t, e) + 0.7, "w1": _randn(gen, e, f, scale=e ** -0.5),
                      "w2": _randn(gen, f, e, scale=f ** -0.5), "ln_weight": 1 + _randn(gen, e, scale=0.3),
                      "ln_bias": _randn(gen, e, scale=0.3)}
            kind = "pre-norm" if norm_first else "post-norm"
            out.append(Case(f"{kind} (norm_first={norm_first})",
                            f"{kind}: x {(b, t, e)}, sublayer y -> tanh(y W1) W2, norm a LayerNorm "
                            f"over the last axis, norm_first={norm_first}", inputs,
                            {"norm_first": norm_first}, {"out": _randn(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        w1, w2, weight, bias = inputs["w1"], inputs["w2"], inputs["ln_weight"], inputs["ln_bias"]

        def sublayer(y: torch.Tensor) -> torch.Tensor:
            return torch.tanh(y @ w1) @ w2

        def norm(y: torch.Tensor) -> torch.Tensor:
            return F.layer_norm(y, (y.shape[-1],), weight, bias, self.EPS)

        return {"out": candidate(inputs["x"], sublayer, norm, norm_first=case.args["norm_first"])}


# --------------------------------------------------------------------------- encoder layer


@register
class EncoderLayerHarness(_Module):
    """``EncoderLayer(d_model, num_heads, d_ff, dropout, activation, norm_first,
    layer_norm_eps)`` with ``self_attn``, ``ff``, ``norm1``, ``norm2``; forward(x, mask)."""

    lesson = LESSON
    name = "EncoderLayer"
    title = "self-attention and feed-forward sub-layers, each with residual and LayerNorm"
    grad_inputs = ("x",)
    # Measured (100 seeds): max abs error 1.4e-6 (outputs), 3.3e-6 (gradients); the worst
    # element uses 1/11 of the tolerance. layer_norm_eps_ignored differs by ~1e-2.
    tolerance = Tolerance(atol=2e-5, rtol=1e-4)
    structure = ("expected exactly self_attn = MultiHeadAttention(d_model, num_heads, dropout), "
                 "ff = FeedForward(d_model, d_ff, dropout, activation), norm1 and norm2 = "
                 "nn.LayerNorm(d_model, eps=layer_norm_eps)")
    error_patterns = ((r"^TypeError:.*\btuple\b", "attention_output_is_a_tuple"),)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        settings = [  # (B, T, E, H, F), norm_first, activation, eps, mask, x scale
            ((4, 6, 12, 3, 10) if hidden else (3, 5, 8, 2, 12), False, "relu", 1e-5, True, 1.0),
            ((3, 5, 8, 4, 16) if hidden else (2, 4, 12, 3, 10), True, "gelu", 1e-3, True, 0.5),
            ((2, 4, 6, 2, 9) if hidden else (2, 3, 6, 2, 8), False, "gelu", 1e-5, False, 1.0),
        ]
        out = []
        for (b, t, e, h, f), norm_first, act, eps, masked, scale in settings:
            kind = "pre-norm" if norm_first else "post-norm"
            inputs = {"x": _randn(gen, b, t, e, scale=scale), **_layer_params(gen, "", e, f)}
            if masked:
                inputs["mask"] = _padding(gen, b, t)[:, None, None, :]  # (B, 1, 1, T)
            init = {"d_model": e, "num_heads": h, "d_ff": f, "dropout": 0.1, "activation": act,
                    "norm_first": norm_first, "layer_norm_eps": eps}
            name = f"{kind}, {act}" + (", padding mask" if masked else ", no mask") + \
                (f", layer_norm_eps={eps:g}" if eps != 1e-5 else "")
            args = ", ".join(f"{k}={v!r}" for k, v in init.items())
            mdesc = f"mask {(b, 1, 1, t)} (padding)" if masked else "mask=None"
            out.append(Case(name, f"EncoderLayer({args}); x {(b, t, e)}; {mdesc}", inputs,
                            {"init": init}, {"out": _upstream(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"], mask=inputs.get("mask"))}


@register
class EncoderHarness(_Module):
    """``Encoder(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
    layer_norm_eps)`` with ``layers`` (nn.ModuleList) and ``norm`` (pre-norm only)."""

    lesson = LESSON
    name = "Encoder"
    title = "a stack of encoder layers, with a final LayerNorm when pre-norm"
    grad_inputs = ("x",)
    # Measured (100 seeds): max abs error 3.4e-6 (outputs), 1.9e-5 (gradients: a 3-layer
    # post-norm stack amplifies them to ~6); the worst element uses 1/10 of the tolerance.
    tolerance = Tolerance(atol=1e-4, rtol=1e-4)
    structure = ("expected exactly layers = nn.ModuleList of num_layers EncoderLayer, each with "
                 "its own weights, and norm = nn.LayerNorm(d_model, eps=layer_norm_eps) only "
                 "when norm_first (None otherwise)")

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        settings = [  # num_layers, (B, T, E, H, F), norm_first, activation
            (3, (3, 6, 6, 3, 10) if hidden else (3, 5, 8, 2, 12), False, "relu"),
            (2, (3, 5, 8, 2, 12) if hidden else (2, 4, 6, 3, 8), True, "gelu"),
        ]
        out = []
        for n, (b, t, e, h, f), norm_first, act in settings:
            kind = "pre-norm" if norm_first else "post-norm"
            inputs = {"x": _randn(gen, b, t, e), "mask": _padding(gen, b, t)[:, None, None, :]}
            for i in range(n):
                inputs.update(_layer_params(gen, f"layers.{i}.", e, f))
            if norm_first:
                inputs.update(_norm_params(gen, "norm", e))
            init = {"num_layers": n, "d_model": e, "num_heads": h, "d_ff": f, "dropout": 0.1,
                    "activation": act, "norm_first": norm_first, "layer_norm_eps": 1e-5}
            args = ", ".join(f"{k}={v!r}" for k, v in init.items())
            out.append(Case(f"{kind}, {n} layers", f"Encoder({args}); x {(b, t, e)}; mask "
                            f"{(b, 1, 1, t)} (padding)", inputs, {"init": init},
                            {"out": _upstream(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"], mask=inputs["mask"])}


# --------------------------------------------------------------------------- questions


@register
class EncoderOutputShape(AnswerHarness):
    lesson = LESSON
    name = "encoder_output_shape"
    kind = "shape"
    question = ("An encoder reads one sequence (batch size 1) of 15 tokens; its hidden size is "
                "768. What is the shape of its output?")


@register
class OrderWithoutPositions(AnswerHarness):
    lesson = LESSON
    name = "order_without_positions"
    kind = "choice"
    question = ("An encoder with no positional information (and no mask) reads the vectors of "
                "'dog bites man', then the same three vectors in the order 'man bites dog'. "
                "How do the two outputs compare? (one letter)")


@register
class SkipConnections(AnswerHarness):
    lesson = LESSON
    name = "skip_connections"
    kind = "choice"
    question = ("Why does the gradient still reach the first layers of a deep Transformer "
                "encoder (so that the whole network can be trained and fine-tuned)? (one letter)")
