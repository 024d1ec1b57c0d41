"""Lesson 01, ``RNNEncoder``: the reference and its catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
from torch import Tensor

from reference.rnn import RNNEncoder

from .. import Entry, Requirement, mistake
from ._common import ID


class _Encoder(RNNEncoder):
    """The reference's parameters, with the student's ``forward(src_ids)`` written as a
    loop whose parts the mistakes below replace one at a time."""

    def new_state(self, x_t: Tensor, h_prev: Tensor) -> Tensor:
        return torch.tanh(self.input_to_hidden(x_t) + self.hidden_to_hidden(h_prev))

    def keep(self, h_new: Tensor, h_prev: Tensor, real_t: Tensor) -> Tensor:
        return torch.where(real_t[:, None], h_new, h_prev)

    def real(self, src_ids: Tensor) -> Tensor:
        return src_ids != self.pad_id

    def forward(self, src_ids: Tensor) -> Tensor:
        x, real = self.embedding(src_ids), self.real(src_ids)  # (B, T, E), (B, T)
        h = x.new_zeros(src_ids.shape[0], self.hidden_size)  # (B, H)
        states = []
        for t in range(src_ids.shape[1]):
            h = self.keep(self.new_state(x[:, t], h), h, real[:, t])
            states.append(h)
        return self.stack(states)

    def stack(self, states: list[Tensor]) -> Tensor:
        return torch.stack(states, dim=1)  # (B, T, H)


@mistake("forgets_previous_state", "h_t depends on the previous state too: h_t = tanh(W_x x_t "
         "+ W_h h_{t-1} + b). Without W_h h_{t-1} (hidden_to_hidden) each state sees one "
         "token only, and nothing is remembered.")
class EncoderNoRecurrence(_Encoder):
    def new_state(self, x_t, h_prev):
        return torch.tanh(self.input_to_hidden(x_t))


@mistake("padding_updates_state", "a padded step must keep the previous state unchanged: where "
         "src_ids is pad_id, h_t = h_{t-1} (torch.where(real[:, t, None], h_new, h)). Running the "
         "cell on [PAD] (even with a zero embedding) still changes h through b and W_h h.")
class EncoderPaddingUpdates(_Encoder):
    def keep(self, h_new, h_prev, real_t):
        return h_new


@mistake("padding_resets_state", "multiplying the new state by the mask sets h_t to zero at "
         "padding: a padded step must KEEP the previous state, h_t = h_{t-1} "
         "(torch.where(real[:, t, None], h_new, h)), so the last real state carries through.")
class EncoderPaddingZeroes(_Encoder):
    def keep(self, h_new, h_prev, real_t):
        return h_new * real_t[:, None].to(h_new.dtype)


@mistake("hardcoded_pad_zero", "use self.pad_id to find the padding instead of assuming it is "
         "0: with another pad id, real tokens with id 0 were skipped and the padding was read.")
class EncoderPadZero(_Encoder):
    def real(self, src_ids):
        return src_ids != 0


@mistake("missing_tanh", "apply the nonlinearity: h_t = tanh(W_x x_t + W_h h_{t-1} + b). "
         "Without tanh the states can grow without bound and the RNN is a linear filter.")
class EncoderNoTanh(_Encoder):
    def new_state(self, x_t, h_prev):
        return self.input_to_hidden(x_t) + self.hidden_to_hidden(h_prev)


@mistake("relu_instead_of_tanh", "this RNN (an Elman RNN, like nn.RNN's default) uses tanh, "
         "not ReLU: h_t = tanh(W_x x_t + W_h h_{t-1} + b).")
class EncoderRelu(_Encoder):
    def new_state(self, x_t, h_prev):
        return torch.relu(self.input_to_hidden(x_t) + self.hidden_to_hidden(h_prev))


@mistake("states_stacked_time_first", "stack the states along dim=1 (torch.stack(states, "
         "dim=1)) so that the result is batch first, (B, T, H); dim=0 gives (T, B, H).")
class EncoderTimeFirst(_Encoder):
    def stack(self, states):
        return torch.stack(states, dim=0)  # (T, B, H)


@mistake("returns_last_state_only", "return the states of every time step, (B, T, H): the "
         "context vector (the next exercise) picks or averages them.")
class EncoderLastOnly(_Encoder):
    def stack(self, states):
        return states[-1]  # (B, H)


@mistake("padded_output_not_kept", "the state carried to the next step is right, but the state "
         "you OUTPUT at a padded position is the freshly computed one: at padding the output "
         "must be the kept state too, h_t = h_{t-1}, so store the state after the padding rule.")
class EncoderPaddedOutputNew(_Encoder):
    def forward(self, src_ids):
        x, real = self.embedding(src_ids), self.real(src_ids)  # (B, T, E), (B, T)
        h = x.new_zeros(src_ids.shape[0], self.hidden_size)  # (B, H)
        states = []
        for t in range(src_ids.shape[1]):
            h_new = self.new_state(x[:, t], h)
            h = self.keep(h_new, h, real[:, t])
            states.append(h_new)
        return self.stack(states)


ENCODER_MISTAKES = (EncoderNoRecurrence, EncoderPaddingUpdates, EncoderPaddingZeroes,
                    EncoderPadZero, EncoderNoTanh, EncoderRelu, EncoderTimeFirst, EncoderLastOnly,
                    EncoderPaddedOutputNew)

REQUIREMENTS = (
    Requirement("h_t = tanh(W_x x_t + W_h h_{t-1} + b): input_to_hidden on x_t plus "
                "hidden_to_hidden on the previous state",
                broken_by=("forgets_previous_state",)),
    Requirement("the nonlinearity is tanh", broken_by=("missing_tanh", "relu_instead_of_tanh")),
    Requirement("at a padded position the state is carried over unchanged (h_t = h_{t-1}), "
                "both for the next step and in the output",
                broken_by=("padding_updates_state", "padding_resets_state",
                           "padded_output_not_kept")),
    Requirement("the padding is wherever src_ids == self.pad_id (not always 0, either side)",
                broken_by=("hardcoded_pad_zero",)),
    Requirement("return the states of all time steps, batch first, (B, T, H)",
                broken_by=("states_stacked_time_first", "returns_last_state_only")),
)

ENTRY = Entry(f"{ID}/RNNEncoder", RNNEncoder, ENCODER_MISTAKES, points=3,
              requirements=REQUIREMENTS)
