"""Harnesses for lesson 01, sequence-to-sequence with RNNs (book ch. 1, the
encoder-decoder architecture before Transformers; Sutskever et al. 2014).

Exercises, in notebook order: ``RNNEncoder`` (the loop h_t = tanh(W_x x_t +
W_h h_{t-1} + b) with padding respected), ``context_vector`` ("last" and
"mean"), ``RNNDecoder`` (the step s_t = g(s_{t-1}, y_{t-1}, c) with its output
layer, and the teacher-forced loop), ``teacher_forcing_batch`` (decoder inputs
shifted right behind ``<s>``, labels with -100 at padding),
``teacher_forced_loss`` (L = -sum_t log p(y_t | y_<t, c), sum and mean) and
three short questions.

Inputs are chosen so that each catalogued mistake shows and differs from every
other one: B, T, E, H and V all different (so a wrong stacking axis gives a
wrong shape), padding of different lengths with the shortest sequence in the
middle of the batch, left padding, a pad id other than 0 next to real tokens
with id 0, hidden states that are NOT copies of the last real state at padded
positions, and labels with a different number of real tokens per row.

Tolerances were measured by ``tests/grader/test_rnn_seq2seq.py``
(``python -m tests.grader.test_rnn_seq2seq 200``): the largest error of a bank
of correct float32 implementations against the float64 reference over 200
seeds, visible and hidden cases, outputs and gradients, scaled as
|error| / (1 + |expected|) so that one figure serves as atol and rtol. Each
tolerance is about ten times that figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ..answers import AnswerHarness
from ..compare import ERROR_KEY, GRAD_PREFIX, Mistake, Tolerance, Verdict
from ..harness import Case, Harness, ModuleHarness
from . import register

LESSON = "01_rnn_seq2seq"
IGNORE_INDEX = -100
# The course tokenizer's fixed ids ([PAD] 0, <s> 5, </s> 6; 7..14 are sentinels).
PAD_ID, BOS_ID, EOS_ID = 0, 5, 6
FIRST_WORD = 15


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=torch.float64) * scale


def _lengths(gen: torch.Generator, b: int, t: int, shortest: int = 2) -> torch.Tensor:
    """Row 0 full, row 1 (the middle of the batch) the shortest, the others in between."""
    lengths = torch.randint(shortest + 1, t, (b,), generator=gen)
    lengths[0] = t
    lengths[1] = shortest
    return lengths


def _right_padded(lengths: torch.Tensor, t: int) -> torch.Tensor:
    return torch.arange(t)[None, :] < lengths[:, None]  # (B, T), True = real


def _left_padded(lengths: torch.Tensor, t: int) -> torch.Tensor:
    return torch.arange(t)[None, :] >= (t - lengths)[:, None]  # (B, T), True = real


class _ValuesFirst:
    """Mixin: when a gradient is missing (the code never used a parameter or an
    input), judge the values first. "You ignore the context" says more than
    "no gradient reached context_to_hidden.weight", and it names the mistake."""

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        missing = [k for k in expected if k.startswith(GRAD_PREFIX) and got.get(k) is None]
        if missing and ERROR_KEY not in got:
            values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
            verdict = super().judge(got, values, mistakes, case, hidden=hidden)  # type: ignore[misc]
            if not verdict.passed:
                return verdict
        return super().judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[misc]


def _build_or_explain(harness: ModuleHarness, candidate: type, case: Case,
                      inputs: dict[str, torch.Tensor], dtype: torch.dtype,
                      names: str) -> torch.nn.Module:
    try:
        return harness.build(candidate, case, inputs, dtype)
    except RuntimeError as exc:
        if "state_dict" not in str(exc):
            raise
        raise RuntimeError(f"the module's parameters must be exactly those the given __init__ "
                           f"creates ({names}); loading them failed: "
                           f"{str(exc).splitlines()[-1].strip()}") from None


# --------------------------------------------------------------------------- encoder


@register
class RNNEncoderHarness(_ValuesFirst, ModuleHarness):
    """``RNNEncoder(vocab_size, embed_dim, hidden_size, pad_id)``; ``forward(src_ids)``
    -> all hidden states (B, T, H), a padded step keeping the previous state."""

    lesson = LESSON
    name = "RNNEncoder"
    title = "the RNN encoder loop h_t = tanh(W_x x_t + W_h h_{t-1} + b), padding-aware"
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 2.7e-06 (the gradient of input_to_hidden.bias, max abs error 1.0e-05); the states
    # 4.0e-07. About 10x margin.
    tolerance = Tolerance(atol=3e-5, rtol=3e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, V, E, H): all different, so a wrong stacking axis gives a wrong shape.
        b, t, v, e, h = (4, 7, 19, 5, 6) if hidden else (3, 5, 17, 4, 6)
        out = []
        # Right padding with [PAD] = 0; the middle sequence is the shortest.
        lengths = _lengths(gen, b, t)
        ids = torch.randint(1, v, (b, t), generator=gen)
        ids = ids.masked_fill(~_right_padded(lengths, t), PAD_ID)
        out.append(self._case(gen, "right padding", f"src_ids {(b, t)} padded on the right with "
                              f"pad_id {PAD_ID}, lengths {lengths.tolist()}", ids, v, e, h, PAD_ID))
        # Left padding, another pad id, and real tokens with id 0.
        pad_id = int(torch.randint(2, 5, (1,), generator=gen)) if hidden else 3
        lengths = _lengths(gen, b, t)
        words = torch.randint(0, v - 1, (b, t), generator=gen)
        words = words + (words >= pad_id).long()  # never pad_id
        words[:, -1] = 0  # a real token whose id is 0
        ids = torch.where(_left_padded(lengths, t), words, torch.full_like(words, pad_id))
        out.append(self._case(gen, "left padding, pad_id != 0", f"src_ids {(b, t)} padded on "
                              f"the left with pad_id {pad_id}, real tokens with id 0",
                              ids, v, e, h, pad_id))
        return out

    @staticmethod
    def _case(gen: torch.Generator, name: str, describe: str, ids: torch.Tensor, v: int, e: int,
              h: int, pad_id: int) -> Case:
        embedding = _randn(gen, v, e)
        embedding[pad_id] = 0.0  # as nn.Embedding(padding_idx=...) starts, and stays
        params = {"param:embedding.weight": embedding,
                  "param:input_to_hidden.weight": _randn(gen, h, e, scale=e ** -0.5),
                  "param:input_to_hidden.bias": _randn(gen, h, scale=0.3),
                  "param:hidden_to_hidden.weight": _randn(gen, h, h, scale=h ** -0.5)}
        init = {"vocab_size": v, "embed_dim": e, "hidden_size": h, "pad_id": pad_id}
        describe = f"RNNEncoder(vocab_size={v}, embed_dim={e}, hidden_size={h}, " \
                   f"pad_id={pad_id}); {describe}"
        b, t = ids.shape
        return Case(name, describe, {"src_ids": ids, **params}, {"init": init},
                    {"states": _randn(gen, b, t, h)})

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        dtype = inputs["param:embedding.weight"].dtype
        module = _build_or_explain(self, candidate, case, inputs, dtype,
                                   "embedding, input_to_hidden, hidden_to_hidden")
        return {"states": module(inputs["src_ids"])}


# --------------------------------------------------------------------------- context vector


@register
class ContextVector(Harness):
    """``context_vector(hidden_states (B, T, H), mode, mask (B, T) or None) -> (B, H)``."""

    lesson = LESSON
    name = "context_vector"
    title = "c = m(h_1, ..., h_T): the last real state, or the mean over real states"
    grad_inputs = ("hidden_states",)
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 9.9e-08 (max abs error 1.7e-07: the float32 rounding of the inputs, plus one for a
    # mean). About 10x margin.
    tolerance = Tolerance(atol=1e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, H) with T != H, so a mean over the wrong axis has the wrong shape. The
        # states at padded positions are random, not copies of the last real state.
        b, t, h = (5, 7, 4) if hidden else (4, 6, 3)
        out = []

        def add(name: str, mode: str, mask: torch.Tensor | None, describe: str) -> None:
            states = _randn(gen, b, t, h)
            inputs = {"hidden_states": states} | ({} if mask is None else {"mask": mask})
            mdesc = "no mask" if mask is None else f"mask {(b, t)} {describe}"
            out.append(Case(name, f"mode={mode!r}, hidden_states {(b, t, h)}, {mdesc}", inputs,
                            {"mode": mode}, {"context": _randn(gen, b, h)}))

        right = _right_padded(_lengths(gen, b, t), t)
        add("last, right padding", "last", right, "(right padding; the middle row is the shortest)")
        left = _left_padded(_lengths(gen, b, t), t)
        add("last, left padding", "last", left, "(left padding)")
        add("mean, right padding", "mean", _right_padded(_lengths(gen, b, t), t),
            "(right padding; the middle row is the shortest)")
        add("last, no mask", "last", None, "")
        add("mean, no mask", "mean", None, "")
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"context": candidate(inputs["hidden_states"], case.args["mode"], inputs.get("mask"))}


# --------------------------------------------------------------------------- decoder


@register
class RNNDecoderHarness(_ValuesFirst, ModuleHarness):
    """``RNNDecoder(vocab_size, embed_dim, hidden_size, pad_id)``: ``step(prev_state,
    prev_token, context) -> (state, logits)`` and ``forward(tgt_in, context) -> logits``."""

    lesson = LESSON
    name = "RNNDecoder"
    title = "the decoder step s_t = tanh(W_y y_{t-1} + W_s s_{t-1} + W_c c + b) and its loop"
    grad_inputs = ("context", "prev_state")
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 6.2e-06 (the gradient of input_to_hidden.weight, max abs error 2.5e-05, summed over
    # every step of the loop); logits 1.1e-06. About 10x margin.
    tolerance = Tolerance(atol=6e-5, rtol=6e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, V, E, H): all different; E > H in one case and E < H in the other.
        sizes = [(4, 6, 23, 5, 7), (2, 3, 19, 8, 6)] if hidden else [(3, 4, 21, 5, 6), (2, 5, 18, 7, 4)]
        out = []
        for i, (b, t, v, e, h) in enumerate(sizes):
            # Decoder inputs: <s> y_1 ... with the middle row padded at the end.
            tgt_in = torch.randint(FIRST_WORD, v, (b, t), generator=gen)
            tgt_in[:, 0] = BOS_ID
            if b > 2:
                tgt_in[1, t // 2 + 1:] = PAD_ID
            embedding = _randn(gen, v, e)
            embedding[PAD_ID] = 0.0
            params = {"param:embedding.weight": embedding,
                      "param:input_to_hidden.weight": _randn(gen, h, e, scale=e ** -0.5),
                      "param:input_to_hidden.bias": _randn(gen, h, scale=0.3),
                      "param:hidden_to_hidden.weight": _randn(gen, h, h, scale=h ** -0.5),
                      "param:context_to_hidden.weight": _randn(gen, h, h, scale=h ** -0.5),
                      "param:output.weight": _randn(gen, v, h, scale=h ** -0.5 * 2),
                      "param:output.bias": _randn(gen, v, scale=0.3)}
            inputs = {"tgt_in": tgt_in, "context": torch.tanh(_randn(gen, b, h)),
                      "prev_state": torch.tanh(_randn(gen, b, h)),
                      "prev_token": torch.randint(FIRST_WORD, v, (b,), generator=gen), **params}
            init = {"vocab_size": v, "embed_dim": e, "hidden_size": h, "pad_id": PAD_ID}
            up = {"logits": _randn(gen, b, t, v), "step_state": _randn(gen, b, h),
                  "step_logits": _randn(gen, b, v)}
            describe = (f"RNNDecoder(vocab_size={v}, embed_dim={e}, hidden_size={h}); "
                        f"forward(tgt_in {(b, t)}, context {(b, h)}) and step(prev_state {(b, h)}, "
                        f"prev_token {(b,)}, context {(b, h)})")
            out.append(Case(f"case {i + 1}", describe, inputs, {"init": init}, up))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = _build_or_explain(self, candidate, case, inputs, inputs["context"].dtype,
                                   "embedding, input_to_hidden, hidden_to_hidden, "
                                   "context_to_hidden, output")
        logits = module(inputs["tgt_in"], inputs["context"])
        result = module.step(inputs["prev_state"], inputs["prev_token"], inputs["context"])
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected step to return a tuple (state, logits), got "
                            f"{type(result).__name__}")
        return {"logits": logits, "step_state": result[0], "step_logits": result[1]}


# --------------------------------------------------------------------------- teacher forcing


@register
class TeacherForcingBatch(Harness):
    """``teacher_forcing_batch(tgt_ids (B, T), bos_id, pad_id) -> (tgt_in, labels)``."""

    lesson = LESSON
    name = "teacher_forcing_batch"
    title = "decoder inputs <s> y_1 .. y_{T-1} and labels y_1 .. y_T (-100 at padding)"
    hints = {"mutates_input": "tgt_ids must not change: build new tensors (torch.cat, "
             "masked_fill without the underscore, or .clone() first). `labels = tgt_ids` is not "
             "a copy, so labels[...] = -100 writes into tgt_ids."}

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 8, 40) if hidden else (3, 6, 30)
        out = []
        # The course's ids: <s> 5, [PAD] 0, each target ending with </s>.
        lengths = _lengths(gen, b, t, shortest=3)
        ids = torch.randint(FIRST_WORD, v, (b, t), generator=gen)
        ids[torch.arange(b), lengths - 1] = EOS_ID
        ids = ids.masked_fill(~_right_padded(lengths, t), PAD_ID)
        out.append(Case("course ids", f"tgt_ids {(b, t)} ending with </s> ({EOS_ID}), padded on "
                        f"the right, bos_id={BOS_ID}, pad_id={PAD_ID}", {"tgt_ids": ids},
                        {"bos_id": BOS_ID, "pad_id": PAD_ID}))
        # Other ids, so fixed numbers in the code show; real tokens 0 and 5 among the words.
        bos_id, pad_id = (2, 3) if not hidden else (int(torch.randint(1, 3, (1,), generator=gen)), 4)
        lengths = _lengths(gen, b, t, shortest=3)
        ids = torch.randint(FIRST_WORD, v, (b, t), generator=gen)
        ids[:, 0] = 0
        ids[0, 1] = BOS_ID
        ids[torch.arange(b), lengths - 1] = EOS_ID
        ids = ids.masked_fill(~_right_padded(lengths, t), pad_id)
        out.append(Case("other ids", f"tgt_ids {(b, t)} padded on the right with pad_id={pad_id}, "
                        f"bos_id={bos_id}, real tokens with ids 0 and 5", {"tgt_ids": ids},
                        {"bos_id": bos_id, "pad_id": pad_id}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        result = candidate(inputs["tgt_ids"], case.args["bos_id"], case.args["pad_id"])
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected a tuple (tgt_in, labels), got {type(result).__name__}")
        return {"tgt_in": result[0], "labels": result[1]}


# --------------------------------------------------------------------------- loss


@register
class TeacherForcedLoss(Harness):
    """``teacher_forced_loss(logits (B, T, V), labels (B, T), reduction) -> scalar``;
    every case calls it with ``"sum"`` and with ``"mean"``."""

    lesson = LESSON
    name = "teacher_forced_loss"
    title = "L = -sum_t log p(y_t | y_<t, c) over real target tokens (sum and mean)"
    grad_inputs = ("logits",)
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 6.7e-07 (the gradient of the logits); the "sum" loss 1.8e-07 (max abs error 1.3e-05 on
    # a loss of about 70). About 10x margin.
    tolerance = Tolerance(atol=7e-6, rtol=7e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # Rows have different numbers of real tokens (the middle one the fewest), so a mean
        # per sequence differs from the mean per token; B, T and V differ.
        shapes = [(4, 6, 11), (3, 8, 9)] if hidden else [(3, 5, 7), (2, 4, 9)]
        out = []
        for b, t, v in shapes:
            lengths = _lengths(gen, b, t, shortest=1)
            logits = _randn(gen, b, t, v, scale=2.0)
            labels = torch.randint(1, v, (b, t), generator=gen)
            labels = labels.masked_fill(~_right_padded(lengths, t), IGNORE_INDEX)
            name = f"{b} targets of {', '.join(map(str, lengths.tolist()))} tokens"
            up = {"sum": _randn(gen), "mean": _randn(gen)}
            out.append(Case(name, f"{name}: logits {(b, t, v)}, labels {(b, t)} with -100 at "
                            "padding; called with reduction 'sum' and 'mean'",
                            {"logits": logits, "labels": labels}, {}, up))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"sum": candidate(inputs["logits"], inputs["labels"], "sum"),
                "mean": candidate(inputs["logits"], inputs["labels"], "mean")}


# --------------------------------------------------------------------------- questions


@register
class ContextShape(AnswerHarness):
    lesson = LESSON
    name = "context_shape"
    kind = "shape"
    question = ("An RNN encoder with hidden size 768 reads a batch of 4 sentences of 15 tokens "
                "each. What is the shape of the context vector c (mode 'last')?")


@register
class DecoderInputs(AnswerHarness):
    lesson = LESSON
    name = "decoder_inputs"
    kind = "choice"
    question = ("Which inputs does the RNN decoder combine to compute its state s_t at step t? "
                "a) s_{t-1}, y_t and c; b) s_{t-1}, y_{t-1} and c; c) all encoder states "
                "h_1..h_T and y_{t-1}; d) c only")


@register
class RNNDrawback(AnswerHarness):
    lesson = LESSON
    name = "rnn_drawback"
    kind = "choice"
    question = ("Which two drawbacks of RNN encoder-decoders did the Transformer remove? "
                "a) they cannot be trained with teacher forcing; b) the time steps must be "
                "computed one after another, and gradients vanish or explode across many steps; "
                "c) they cannot read inputs of different lengths; d) their number of parameters "
                "grows with the length of the sentence")
