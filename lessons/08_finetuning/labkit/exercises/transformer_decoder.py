"""Harnesses for lesson 04, the Transformer decoder (book ch. 1, the encoder-decoder
Transformer; ch. 2, generating text one token at a time; Vaswani et al. 2017, sec. 3.1
and 3.2.3).

Exercises, in notebook order: ``decoder_self_mask``, ``DecoderLayer``,
``cross_attention_shape``, ``next_token_probs``, ``teacher_forcing_passes``,
``greedy_decode`` and ``greedy_decoder_calls``.

Inputs are chosen so each catalogued mistake shows and differs from every other
one: target padding in the middle of a batch (rows of different lengths), a pad
id other than 0 next to a real token with id 0, a prefix of one token, T != S,
several heads, post-norm and pre-norm layers, source padding, vocabulary size
!= d_model, and for greedy decoding rows that end with ``</s>`` at different
steps, a row longer than ``max_len``, special ids given as arguments and
``max_len=1``.

``greedy_decode`` is called on :class:`ScriptedTranslator`, a stand-in for a
trained encoder-decoder whose next token depends on the position, on the current
target token and on the source words the padding mask lets through; so greedy
decoding has exactly one right output, and each wrong way of feeding the model
leads somewhere else.

Tolerances were measured by ``tests/grader/test_transformer_decoder.py``
(``python -m tests.grader.test_transformer_decoder``): the largest error of a
bank of correct float32 implementations against the float64 reference over 200
seeds, visible and hidden cases, outputs and gradients. Each harness's tolerance
is about ten times that figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ..answers import AnswerHarness
from ..compare import ERROR_KEY, GRAD_PREFIX, Mistake, Tolerance, Verdict, matching_mistake
from ..harness import Case, Harness, ModuleHarness
from . import register

LESSON = "04_transformer_decoder"
#: The course tokenizer's ids: [PAD] 0, <s> 5, </s> 6; ids 0..14 are special.
PAD_ID, BOS_ID, EOS_ID = 0, 5, 6
NUM_SPECIAL = 15


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def _randint(gen: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high, (1,), generator=gen))


def _lengths(gen: torch.Generator, b: int, t: int) -> torch.Tensor:
    """Row lengths: row 0 is full, row 1 the shortest (>= 2) so padding sits in the
    middle of the batch, the others in between."""
    lengths = torch.randint(2, t, (b,), generator=gen)
    lengths[0], lengths[1] = t, 2
    return lengths


def _key_mask(lengths: torch.Tensor, t: int) -> torch.Tensor:
    return torch.arange(t)[None, :] < lengths[:, None]  # (B, T), True = real token


def _same_values(g: Any, m: Any) -> bool:
    """Same failure at the type layer: same shape, same kind of dtype, same values."""
    if type(g) is not torch.Tensor or type(m) is not torch.Tensor or g.shape != m.shape:
        return False
    if g.is_floating_point() != m.is_floating_point() or (g.dtype == torch.bool) != (m.dtype == torch.bool):
        return False
    return bool(torch.equal(g.double(), m.double()))


class _Diagnoses:
    """Mixin: name a catalogued mistake in the failures the layered comparison leaves unnamed.

    * an error matches a mistake that raised exactly the same error on the same case
      (keys and values taken from the decoder make the memory mask fail to broadcast);
    * a wrong dtype matches a mistake with the same values in another dtype;
    * a missing gradient (a sub-module forward never used, e.g. norm2 when one norm is
      shared) is judged on the values first, which name the mistake.
    """

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
        unused = [k for k in expected if k.startswith(GRAD_PREFIX) and got.get(k) is None]
        if unused and ERROR_KEY not in got and len(values) < len(expected):
            verdict = super().judge(got, values, mistakes, case, hidden=hidden)  # type: ignore[misc]
            if not verdict.passed:
                return verdict
        verdict = super().judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[misc]
        if verdict.passed:
            return verdict
        if verdict.layer == "shape":
            # Several mistakes can give the same wrong shape (greedy decoding that never stops,
            # or stops on another condition, runs to max_len): prefer one that matches exactly.
            exact = matching_mistake(got, mistakes, list(values), self.tolerance)  # type: ignore[attr-defined]
            if exact is not None and exact.id != verdict.mistake:
                lines = [ln for ln in verdict.feedback.splitlines() if not ln.startswith("Hint: ")]
                return Verdict(False, "\n".join([*lines, f"Hint: {exact.hint}"]), exact.id, "shape")
        if verdict.mistake is not None:
            return verdict
        found = None
        if verdict.layer == "error":
            found = next((m for m in mistakes if ERROR_KEY in m.outputs
                          and m.outputs[ERROR_KEY] == got.get(ERROR_KEY)), None)
        elif verdict.layer == "type":
            found = next((m for m in mistakes if ERROR_KEY not in m.outputs and values and all(
                _same_values(got.get(k), m.outputs.get(k)) for k in values)), None)
        if found is None:
            return verdict
        return Verdict(False, f"{verdict.feedback}\nHint: {found.hint}", found.id, verdict.layer)


# --------------------------------------------------------------------------- decoder_self_mask


@register
class DecoderSelfMask(_Diagnoses, Harness):
    """``decoder_self_mask(tgt_ids (B, T), pad_id) -> (B, 1, T, T)`` bool: query i may
    attend key j when j <= i and token j is not padding."""

    lesson = LESSON
    name = "decoder_self_mask"
    title = "causal AND target-padding mask for decoder self-attention"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t = (4, 7) if hidden else (3, 6)
        out = []
        lengths = _lengths(gen, b, t)
        ids = torch.randint(NUM_SPECIAL, 40, (b, t), generator=gen)
        ids[:, 0] = BOS_ID
        ids[~_key_mask(lengths, t)] = PAD_ID
        out.append(Case("padded batch", f"tgt_ids {(b, t)}, pad_id=0, rows of lengths "
                        f"{lengths.tolist()} (padded on the right)" if not hidden else
                        f"tgt_ids {(b, t)}, pad_id=0, rows of different lengths",
                        {"tgt_ids": ids}, {"pad_id": PAD_ID}))
        # Another pad id, and a real token whose id is 0.
        pad_id = _randint(gen, 1, 5) if hidden else 3
        b2, t2 = (3, 5) if hidden else (2, 5)
        lengths = _lengths(gen, b2, t2)
        ids = torch.randint(NUM_SPECIAL, 40, (b2, t2), generator=gen)
        ids[:, 0] = BOS_ID
        ids[0, 1] = 0  # a real token with id 0
        ids[~_key_mask(lengths, t2)] = pad_id
        out.append(Case("pad_id != 0", f"tgt_ids {(b2, t2)}, a pad_id other than 0, a real token "
                        "with id 0", {"tgt_ids": ids}, {"pad_id": pad_id}))
        ids = torch.full((2, 1), BOS_ID, dtype=torch.long)
        out.append(Case("one-token prefix", "tgt_ids (2, 1) holding only <s>, pad_id=0",
                        {"tgt_ids": ids}, {"pad_id": PAD_ID}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mask": candidate(inputs["tgt_ids"], case.args["pad_id"])}


# --------------------------------------------------------------------------- DecoderLayer


def _layer_params(gen: torch.Generator, e: int, d_ff: int) -> dict[str, torch.Tensor]:
    """Random parameters in the shapes of the reference's state dict."""
    params: dict[str, torch.Tensor] = {}
    for attn in ("self_attn", "cross_attn"):
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            params[f"{attn}.{proj}.weight"] = _randn(gen, e, e, scale=e ** -0.5)
            params[f"{attn}.{proj}.bias"] = _randn(gen, e, scale=0.1)
    params["ff.linear1.weight"] = _randn(gen, d_ff, e, scale=e ** -0.5)
    params["ff.linear1.bias"] = _randn(gen, d_ff, scale=0.1)
    params["ff.linear2.weight"] = _randn(gen, e, d_ff, scale=d_ff ** -0.5)
    params["ff.linear2.bias"] = _randn(gen, e, scale=0.1)
    for norm in ("norm1", "norm2", "norm3"):
        params[f"{norm}.weight"] = 1.0 + _randn(gen, e, scale=0.2)
        params[f"{norm}.bias"] = _randn(gen, e, scale=0.2)
    return params


@register
class DecoderLayerHarness(_Diagnoses, ModuleHarness):
    """``DecoderLayer(d_model, num_heads, d_ff, dropout, activation, norm_first,
    layer_norm_eps)`` with ``self_attn``, ``cross_attn``, ``ff``, ``norm1``..``norm3``;
    ``forward(x, memory, self_mask=None, memory_mask=None)``."""

    lesson = LESSON
    name = "DecoderLayer"
    title = "masked self-attention, cross-attention to the memory, feed-forward"
    grad_inputs = ("x", "memory")
    # Measured (python -m tests.grader.test_transformer_decoder 200): float32 bank vs float64
    # reference, outputs and all gradients, max abs error 1.4e-05 (on parameter gradients up
    # to ~20 in size); with rtol=1e-4 the largest atol needed is 3.8e-06. About 10x margin:
    tolerance = Tolerance(atol=4e-5, rtol=1e-4)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, S, E, H, d_ff): T != S, several heads, d_ff != E; small visible sizes keep the
        # fixtures (every mistake's outputs and gradients) small.
        b, t, s, e, h, d_ff = (4, 6, 4, 16, 4, 24) if hidden else (3, 5, 7, 8, 2, 12)
        out = []
        for name, norm_first, activation, masked in (
                ("post-norm, masks", False, "relu", True), ("pre-norm, masks", True, "gelu", True),
                ("post-norm, no masks", False, "relu", False)):
            x, memory = _randn(gen, b, t, e), _randn(gen, b, s, e)
            inputs = {"x": x, "memory": memory}
            what = f"x {(b, t, e)}, memory {(b, s, e)}"
            if masked:
                tgt = _key_mask(_lengths(gen, b, t), t)  # (B, T)
                causal = torch.ones(t, t, dtype=torch.bool).tril()  # (T, T)
                inputs["self_mask"] = tgt[:, None, None, :] & causal  # (B, 1, T, T)
                inputs["memory_mask"] = _key_mask(_lengths(gen, b, s), s)[:, None, None, :]  # (B, 1, 1, S)
                what += (f", self_mask {(b, 1, t, t)} (causal and target padding), memory_mask "
                         f"{(b, 1, 1, s)} (source padding)")
            else:
                what += ", no masks (self_mask and memory_mask left to their default None)"
            eps = 1e-6 if norm_first else 1e-5
            init = {"d_model": e, "num_heads": h, "d_ff": d_ff, "dropout": 0.1,
                    "activation": activation, "norm_first": norm_first, "layer_norm_eps": eps}
            inputs.update({f"param:{k}": v for k, v in _layer_params(gen, e, d_ff).items()})
            shown = ", ".join(f"{k}={v!r}" for k, v in init.items())
            out.append(Case(name, f"DecoderLayer({shown}); {what}", inputs, {"init": init},
                            {"out": _randn(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"], inputs["memory"], inputs.get("self_mask"),
                              inputs.get("memory_mask"))}

    def build(self, candidate: type, case: Case, inputs: dict[str, torch.Tensor],
              dtype: torch.dtype) -> torch.nn.Module:
        try:
            return super().build(candidate, case, inputs, dtype)
        except RuntimeError as exc:
            if "state_dict" not in str(exc):
                raise
            raise RuntimeError("the layer's parameters must be exactly those of self_attn and "
                               "cross_attn (MultiHeadAttention), ff (FeedForward: linear1, linear2) "
                               "and norm1, norm2, norm3 (nn.LayerNorm); loading them failed: "
                               f"{str(exc).splitlines()[-1].strip()[:200]}") from None


# --------------------------------------------------------------------------- next_token_probs


@register
class NextTokenProbs(_Diagnoses, Harness):
    """``next_token_probs(decoder_states (B, T, E), weight (V, E), bias (V,)) -> (B, T, V)``:
    softmax(states W^T + b) over the vocabulary."""

    lesson = LESSON
    name = "next_token_probs"
    title = "output projection and softmax over the vocabulary"
    grad_inputs = ("decoder_states", "weight", "bias")
    # Measured as for DecoderLayer: max abs error 8.7e-07 (probabilities and gradients);
    # with rtol=1e-4 the largest atol needed is 2.1e-07. About 10x margin:
    tolerance = Tolerance(atol=2e-6, rtol=1e-4)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # V != E and B != T, so a softmax over the wrong axis or a missing transpose shows.
        sizes = [(3, 5, 8, 13), (2, 1, 6, 9)] if hidden else [(2, 4, 6, 11), (3, 1, 5, 7)]
        out = []
        for b, t, e, v in sizes:
            states = _randn(gen, b, t, e)
            weight, bias = _randn(gen, v, e, scale=1.5 * e ** -0.5), _randn(gen, v, scale=0.5)
            out.append(Case(f"T={t}", f"decoder_states {(b, t, e)}, weight {(v, e)}, bias {(v,)}",
                            {"decoder_states": states, "weight": weight, "bias": bias}, {},
                            {"probs": _randn(gen, b, t, v)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"probs": candidate(inputs["decoder_states"], inputs["weight"], inputs["bias"])}


# --------------------------------------------------------------------------- greedy_decode


def _check_ids(ids: object, name: str, vocab_size: int) -> torch.Tensor:
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.is_floating_point() \
            or ids.dtype == torch.bool:
        shown = f"shape {tuple(ids.shape)}, dtype {ids.dtype}" if isinstance(ids, torch.Tensor) \
            else type(ids).__name__
        raise ValueError(f"expected {name} to be a 2-D tensor of integer ids (B, L), got {shown}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"expected {name} to hold ids in [0, {vocab_size}), got values from "
                         f"{int(ids.min())} to {int(ids.max())}")
    return ids.long()


class ScriptedTranslator(torch.nn.Module):
    """A stand-in for a trained encoder-decoder, with the interface of the course's models.

    ``encode(src_ids, src_mask=None)`` returns the memory ``(B, S, V)``;
    ``decode(tgt_ids, memory, src_mask=None)`` returns logits ``(B, L, V)`` where
    position i predicts ``table[w_i, tgt_ids[:, i]]``, ``w_i`` being the i-th source word
    that ``src_mask`` lets through (every position when it is None), and ``</s>`` once
    the source words run out. Like a real decoder, position i sees only the target
    tokens up to i. In training mode it reads ``train_table`` instead, as dropout
    changes what a trained model predicts.
    """

    def __init__(self, table: torch.Tensor, train_table: torch.Tensor, eos_id: int, pad_id: int) -> None:
        super().__init__()
        self.table, self.train_table = table.long(), train_table.long()
        self.vocab_size = int(table.shape[0])
        self.eos_id, self.pad_id = eos_id, pad_id

    def encode(self, src_ids: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        src_ids = _check_ids(src_ids, "src_ids", self.vocab_size)
        self._check_mask(src_mask, src_ids.shape)
        return torch.nn.functional.one_hot(src_ids, self.vocab_size).float()  # (B, S, V)

    def decode(self, tgt_ids: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor | None = None,
               tgt_mask: torch.Tensor | None = None) -> torch.Tensor:
        tgt_ids = _check_ids(tgt_ids, "tgt_ids", self.vocab_size)
        if not isinstance(memory, torch.Tensor) or memory.dim() != 3 \
                or memory.shape[0] != tgt_ids.shape[0] or memory.shape[2] != self.vocab_size:
            shown = tuple(memory.shape) if isinstance(memory, torch.Tensor) else type(memory).__name__
            raise ValueError(f"expected memory from model.encode, of shape (B={tgt_ids.shape[0]}, S, "
                             f"{self.vocab_size}), got {shown}")
        src = memory.argmax(-1)  # (B, S): the source ids
        keep = torch.ones_like(src, dtype=torch.bool) if src_mask is None else src_mask
        self._check_mask(src_mask, src.shape)
        table = self.train_table if self.training else self.table
        b, length = tgt_ids.shape
        v = torch.arange(self.vocab_size, dtype=torch.float32)
        pos = torch.arange(length, dtype=torch.float32)
        # A smooth background in (-0.5, 0.5) that leaves no ties, and +3 on the prediction.
        logits = 0.5 * torch.sin(0.7 * v[None, None, :] + 1.3 * pos[None, :, None]
                                 + 0.9 * tgt_ids[:, :, None].float())  # (B, L, V)
        for row in range(b):
            words = src[row][keep[row]]
            for i in range(length):
                nxt = int(table[words[i], tgt_ids[row, i]]) if i < len(words) else self.eos_id
                logits[row, i, nxt] += 3.0
        return logits

    def forward(self, src_ids: torch.Tensor, tgt_ids: torch.Tensor, src_mask: torch.Tensor | None = None,
                tgt_mask: torch.Tensor | None = None) -> torch.Tensor:
        if src_mask is None:
            src_mask = _check_ids(src_ids, "src_ids", self.vocab_size) != self.pad_id
        return self.decode(tgt_ids, self.encode(src_ids, src_mask), src_mask)

    @staticmethod
    def _check_mask(mask: object, shape: torch.Size) -> None:
        if mask is None:
            return
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != shape:
            shown = f"shape {tuple(mask.shape)}, dtype {mask.dtype}" if isinstance(mask, torch.Tensor) \
                else type(mask).__name__
            raise ValueError(f"expected src_mask to be the (B, S) = {tuple(shape)} bool padding mask "
                             f"of src_ids (True = real token), got {shown}")


@register
class GreedyDecode(_Diagnoses, Harness):
    """``greedy_decode(model, src_ids, max_len, bos_id=5, eos_id=6, pad_id=0) -> (B, L)``
    long ids, L <= max_len, each row starting with ``<s>`` and padded after its ``</s>``;
    the model decodes in eval mode and gets its training flag back."""

    lesson = LESSON
    name = "greedy_decode"
    title = "greedy autoregressive decoding from <s> until </s> or max_len"
    vocab_size = NUM_SPECIAL + 20

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        v = self.vocab_size
        out = []

        def add(name: str, describe: str, lengths: list[int], max_len: int,
                ids: dict[str, int]) -> None:
            pad = ids.get("pad_id", PAD_ID)
            s = max(lengths)
            src = torch.randint(NUM_SPECIAL, v, (len(lengths), s), generator=gen)
            src[~_key_mask(torch.tensor(lengths), s)] = pad
            # int16 keeps the fixtures small; the model reads them as long.
            table = torch.randint(NUM_SPECIAL, v, (v, v), generator=gen).to(torch.int16)
            train_table = torch.randint(NUM_SPECIAL, v, (v, v), generator=gen).to(torch.int16)
            shown = "" if hidden else ", ".join(f"{k}={val}" for k, val in ids.items())
            out.append(Case(name, f"{describe}; src_ids {tuple(src.shape)}, max_len={max_len}"
                            + (f", {shown}" if shown else ""),
                            {"src_ids": src, "table": table, "train_table": train_table},
                            {"max_len": max_len, "ids": ids}))

        # Rows of the first case end after 2 + length tokens: at different steps, the
        # shortest at least two steps before the longest, all before max_len.
        if hidden:
            lengths = (torch.randperm(6, generator=gen)[:4] + 1).tolist()  # distinct, in 1..6
            lengths.sort(reverse=True)
            lengths[1], lengths[3] = lengths[3], lengths[1]  # the longest first, the shortest second
            long_row = _randint(gen, 6, 9)
            bos = _randint(gen, 1, 5)
            other = {"bos_id": bos, "eos_id": _randint(gen, 7, 15), "pad_id": bos % 4 + 1}
        else:
            lengths, long_row, other = [4, 1, 3, 2], 7, {"bos_id": 2, "eos_id": 3, "pad_id": 1}
        add("every row ends with </s>", "rows end with </s> at different steps, all before "
            "max_len", lengths, max(lengths) + 4, {})
        add("a row longer than max_len", "one source row is too long to finish within max_len",
            [long_row, 2, 3], long_row, {})
        add("special ids given", "bos_id, eos_id and pad_id passed as arguments", [3, 1], 8, other)
        add("max_len=1", "max_len=1: only <s> fits", [2, 3], 1, {})
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        ids = case.args["ids"]
        model = ScriptedTranslator(inputs["table"], inputs["train_table"],
                                   ids.get("eos_id", EOS_ID), ids.get("pad_id", PAD_ID))
        model.train()  # as it is after training: greedy decoding must switch dropout off
        result = candidate(model, inputs["src_ids"], case.args["max_len"], **ids)
        return {"ids": result, "training": torch.tensor(model.training)}


# --------------------------------------------------------------------------- questions


@register
class CrossAttentionShape(AnswerHarness):
    lesson = LESSON
    name = "cross_attention_shape"
    kind = "shape"
    question = ("A decoder layer with 4 heads reads a batch of 2 target prefixes of 7 tokens and "
                "an encoder memory of 12 source tokens: what is the shape of its cross-attention "
                "weights?")


@register
class TeacherForcingPasses(AnswerHarness):
    lesson = LESSON
    name = "teacher_forcing_passes"
    kind = "int"
    question = ("With teacher forcing, how many forward passes of the decoder does it take to "
                "compute the loss of one training pair whose target is <s> y1 ... y10 </s>?")


@register
class GreedyDecoderCalls(AnswerHarness):
    lesson = LESSON
    name = "greedy_decoder_calls"
    kind = "int"
    question = ("Greedy decoding of one sentence returns <s> a b c </s> (it stopped at </s>). "
                "How many times was model.decode called?")

