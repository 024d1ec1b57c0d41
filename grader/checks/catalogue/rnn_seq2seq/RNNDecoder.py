"""Lesson 01, ``RNNDecoder``: the reference and its catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
from torch import Tensor

from reference.rnn import RNNDecoder

from .. import Entry, Requirement, mistake
from ._common import ID


class _Decoder(RNNDecoder):
    """The reference decoder with the student's ``forward(tgt_in, context)``; the
    mistakes below replace one part at a time."""

    def forward(self, tgt_in: Tensor, context: Tensor) -> Tensor:
        state = self.init_state(context)
        logits = []
        for t in range(tgt_in.shape[1]):
            state, step_logits = self.step(state, tgt_in[:, t], context)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)  # (B, T, V)


class _DecoderStepWithoutContext(_Decoder):
    def step(self, prev_state: Tensor, prev_token: Tensor, context: Tensor) -> tuple[Tensor, Tensor]:
        state = torch.tanh(self.input_to_hidden(self.embedding(prev_token))
                           + self.hidden_to_hidden(prev_state))
        return state, self.output(state)


@mistake("context_not_fed_each_step", "the context enters EVERY step: s_t = tanh(W_y y_{t-1} + "
         "W_s s_{t-1} + W_c c + b), with W_c = context_to_hidden. Using c only as s_0 lets the "
         "decoder forget the source as it goes.")
class DecoderContextOnlyAtStart(_DecoderStepWithoutContext):
    pass


@mistake("ignores_context", "the decoder never looks at the source: start from s_0 = "
         "init_state(c) = c and add W_c c (context_to_hidden) at every step.")
class DecoderNoContext(_DecoderStepWithoutContext):
    def init_state(self, context):
        return torch.zeros_like(context)


@mistake("zero_initial_state", "start the loop from s_0 = self.init_state(context) (which is c), "
         "not from zeros.")
class DecoderZeroStart(_Decoder):
    def init_state(self, context):
        return torch.zeros_like(context)


@mistake("state_not_carried", "pass each step's new state on to the next step (state, logits = "
         "self.step(state, ...)); restarting every step from s_0 forgets what was generated.")
class DecoderStateNotCarried(_Decoder):
    def forward(self, tgt_in, context):
        s0 = self.init_state(context)
        logits = [self.step(s0, tgt_in[:, t], context)[1] for t in range(tgt_in.shape[1])]
        return torch.stack(logits, dim=1)  # (B, T, V)


@mistake("feeds_own_predictions", "teacher forcing feeds the TRUE previous token tgt_in[:, t] at "
         "step t, not the decoder's own argmax prediction (that is decoding at test time).")
class DecoderFreeRunning(_Decoder):
    def forward(self, tgt_in, context):
        state, token, logits = self.init_state(context), tgt_in[:, 0], []
        for _ in range(tgt_in.shape[1]):
            state, step_logits = self.step(state, token, context)
            logits.append(step_logits)
            token = step_logits.argmax(dim=-1)
        return torch.stack(logits, dim=1)  # (B, T, V)


@mistake("logits_from_previous_state", "the output layer reads the NEW state: logits = "
         "output(s_t), not output(s_{t-1}).")
class DecoderLogitsFromPrevious(_Decoder):
    def step(self, prev_state, prev_token, context):
        state, _ = super().step(prev_state, prev_token, context)
        return state, self.output(prev_state)


@mistake("softmax_in_step", "return the raw logits W_o s_t + b_o: the loss (cross-entropy) and "
         "decoding apply the softmax themselves, and a softmax here would be taken twice.")
class DecoderSoftmax(_Decoder):
    def step(self, prev_state, prev_token, context):
        state, logits = super().step(prev_state, prev_token, context)
        return state, torch.softmax(logits, dim=-1)


@mistake("missing_tanh", "apply tanh to the sum: s_t = tanh(W_y y_{t-1} + W_s s_{t-1} + W_c c + b).")
class DecoderNoTanh(_Decoder):
    def step(self, prev_state, prev_token, context):
        state = (self.input_to_hidden(self.embedding(prev_token))
                 + self.hidden_to_hidden(prev_state) + self.context_to_hidden(context))
        return state, self.output(state)


@mistake("logits_stacked_time_first", "stack the per-step logits along dim=1 so the result is "
         "(B, T, V), batch first; dim=0 gives (T, B, V).")
class DecoderTimeFirst(_Decoder):
    def forward(self, tgt_in, context):
        return super().forward(tgt_in, context).transpose(0, 1)  # (T, B, V)


DECODER_MISTAKES = (DecoderContextOnlyAtStart, DecoderNoContext, DecoderZeroStart,
                    DecoderStateNotCarried, DecoderFreeRunning, DecoderLogitsFromPrevious,
                    DecoderSoftmax, DecoderNoTanh, DecoderTimeFirst)

REQUIREMENTS = (
    Requirement("s_t = tanh(W_y e(y_{t-1}) + W_s s_{t-1} + W_c c + b): the context enters every "
                "step through context_to_hidden",
                broken_by=("context_not_fed_each_step", "ignores_context", "missing_tanh")),
    Requirement("the loop starts from self.init_state(context) (s_0 = c)",
                broken_by=("zero_initial_state", "ignores_context")),
    Requirement("each step's new state is carried to the next step",
                broken_by=("state_not_carried",)),
    Requirement("teacher forcing: step t reads the true previous token tgt_in[:, t]",
                broken_by=("feeds_own_predictions",)),
    Requirement("step returns (state, logits) with logits = output(s_t), raw (no softmax)",
                broken_by=("logits_from_previous_state", "softmax_in_step")),
    Requirement("forward returns the logits of every step, batch first, (B, T, V)",
                broken_by=("logits_stacked_time_first",)),
)

ENTRY = Entry(f"{ID}/RNNDecoder", RNNDecoder, DECODER_MISTAKES, points=3,
              requirements=REQUIREMENTS)
