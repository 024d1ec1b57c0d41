"""Lesson 01's references and mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). Class mistakes subclass the reference, so they
have its constructor and parameters and change only the method the student
writes. The grader runs each one on the same inputs as the candidate: when the
candidate's outputs match a mistake's, the feedback names that mistake.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.denoising.seq2seq import shift_right
from reference.rnn import RNNDecoder, RNNEncoder, context_vector, teacher_forced_loss

from . import Entry, mistake

ID = "01_rnn_seq2seq"


# --------------------------------------------------------------------------- RNNEncoder


class _Encoder(RNNEncoder):
    """The reference's parameters, with the student's ``forward(src_ids)`` written as a
    loop whose parts the mistakes below replace one at a time."""

    def new_state(self, x_t, h_prev):
        return torch.tanh(self.input_to_hidden(x_t) + self.hidden_to_hidden(h_prev))

    def keep(self, h_new, h_prev, real_t):
        return torch.where(real_t[:, None], h_new, h_prev)

    def real(self, src_ids):
        return src_ids != self.pad_id

    def forward(self, src_ids):
        x, real = self.embedding(src_ids), self.real(src_ids)  # (B, T, E), (B, T)
        h = x.new_zeros(src_ids.shape[0], self.hidden_size)  # (B, H)
        states = []
        for t in range(src_ids.shape[1]):
            h = self.keep(self.new_state(x[:, t], h), h, real[:, t])
            states.append(h)
        return self.stack(states)

    def stack(self, states):
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
        return torch.stack(states, dim=0)


@mistake("returns_last_state_only", "return the states of every time step, (B, T, H): the "
         "context vector (the next exercise) picks or averages them.")
class EncoderLastOnly(_Encoder):
    def stack(self, states):
        return states[-1]


ENCODER_MISTAKES = (EncoderNoRecurrence, EncoderPaddingUpdates, EncoderPaddingZeroes,
                    EncoderPadZero, EncoderNoTanh, EncoderRelu, EncoderTimeFirst, EncoderLastOnly)


# --------------------------------------------------------------------------- context_vector


def _mask(hidden_states, mask):
    if mask is None:
        return torch.ones(hidden_states.shape[:2], dtype=torch.bool)
    return mask.bool()


def _last_at(hidden_states, index):
    return hidden_states[torch.arange(hidden_states.shape[0]), index]  # (B, H)


def _mean(hidden_states, mask):
    return context_vector(hidden_states, "mean", mask)


def _last(hidden_states, mask):
    return context_vector(hidden_states, "last", mask)


@mistake("last_ignores_padding", "hidden_states[:, -1] is the last POSITION, which is padding in "
         "a shorter sequence: take, in each row, the state of the last position where the mask "
         "is True.")
def context_last_position(hidden_states, mode="last", mask=None):
    if mode == "last":
        return hidden_states[:, -1]
    return _mean(hidden_states, mask)


@mistake("assumes_right_padding", "mask.sum(1) - 1 is the last real position only when the "
         "padding is on the right; with left padding the last real token is at the end. Find "
         "the largest position where the mask is True (e.g. argmax of mask * positions).")
def context_from_lengths(hidden_states, mode="last", mask=None):
    if mode == "last":
        return _last_at(hidden_states, _mask(hidden_states, mask).sum(1) - 1)
    return _mean(hidden_states, mask)


@mistake("first_state_instead_of_last", "'last' is the state after reading the whole source, "
         "h_T (the last real token), not h_1.")
def context_first(hidden_states, mode="last", mask=None):
    if mode == "last":
        return hidden_states[:, 0]
    return _mean(hidden_states, mask)


@mistake("mean_includes_padding", "average over the REAL tokens only: sum the states where the "
         "mask is True and divide by the number of real tokens per row, not by T.")
def context_mean_all(hidden_states, mode="last", mask=None):
    if mode == "mean":
        return hidden_states.mean(dim=1)
    return _last(hidden_states, mask)


@mistake("mean_divides_by_full_length", "the padded states are left out of the sum, but the "
         "sum must also be divided by the number of REAL tokens of each row (mask.sum(1)), "
         "not by T.")
def context_mean_by_t(hidden_states, mode="last", mask=None):
    if mode == "mean":
        weights = _mask(hidden_states, mask).to(hidden_states.dtype)[..., None]  # (B, T, 1)
        return (hidden_states * weights).sum(dim=1) / hidden_states.shape[1]
    return _last(hidden_states, mask)


@mistake("mean_over_wrong_axis", "average over the time axis (dim=1) of (B, T, H), so that one "
         "H-sized vector is left per sentence.")
def context_mean_wrong_axis(hidden_states, mode="last", mask=None):
    if mode == "mean":
        weights = _mask(hidden_states, mask).to(hidden_states.dtype)[..., None]  # (B, T, 1)
        return (hidden_states * weights).mean(dim=2)
    return _last(hidden_states, mask)


CONTEXT_MISTAKES = (context_last_position, context_from_lengths, context_first, context_mean_all,
                    context_mean_by_t, context_mean_wrong_axis)


# --------------------------------------------------------------------------- RNNDecoder


class _Decoder(RNNDecoder):
    """The reference decoder with the student's ``forward(tgt_in, context)``; the
    mistakes below replace one part at a time."""

    def forward(self, tgt_in, context):
        state = self.init_state(context)
        logits = []
        for t in range(tgt_in.shape[1]):
            state, step_logits = self.step(state, tgt_in[:, t], context)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)  # (B, T, V)


class _DecoderStepWithoutContext(_Decoder):
    def step(self, prev_state, prev_token, context):
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
        return torch.stack(logits, dim=1)


@mistake("feeds_own_predictions", "teacher forcing feeds the TRUE previous token tgt_in[:, t] at "
         "step t, not the decoder's own argmax prediction (that is decoding at test time).")
class DecoderFreeRunning(_Decoder):
    def forward(self, tgt_in, context):
        state, token, logits = self.init_state(context), tgt_in[:, 0], []
        for _ in range(tgt_in.shape[1]):
            state, step_logits = self.step(state, token, context)
            logits.append(step_logits)
            token = step_logits.argmax(dim=-1)
        return torch.stack(logits, dim=1)


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
        return super().forward(tgt_in, context).transpose(0, 1)


DECODER_MISTAKES = (DecoderContextOnlyAtStart, DecoderNoContext, DecoderZeroStart,
                    DecoderStateNotCarried, DecoderFreeRunning, DecoderLogitsFromPrevious,
                    DecoderSoftmax, DecoderNoTanh, DecoderTimeFirst)


# --------------------------------------------------------------------------- teacher_forcing_batch


def teacher_forcing_batch(tgt_ids, bos_id, pad_id):
    """The reference: labels are the targets with -100 at padding; the decoder reads
    them shifted right behind <s> (``reference.denoising.shift_right``)."""
    labels = tgt_ids.masked_fill(tgt_ids == pad_id, -100)  # (B, T)
    return shift_right(labels, bos_id, pad_id), labels


def _labels(tgt_ids, pad_id):
    return tgt_ids.masked_fill(tgt_ids == pad_id, -100)


def _shift(tgt_ids, first):
    return torch.cat([torch.full_like(tgt_ids[:, :1], first), tgt_ids[:, :-1]], dim=1)


@mistake("no_shift", "the decoder must read y_{t-1} to predict y_t: tgt_in is <s> followed by "
         "the targets shifted right by one (their last token dropped). Feeding tgt_ids itself "
         "shows each step the very token it must predict.")
def tf_no_shift(tgt_ids, bos_id, pad_id):
    return tgt_ids.clone(), _labels(tgt_ids, pad_id)


@mistake("missing_bos", "the first decoder input is the start token <s> (bos_id), which tells "
         "the decoder to begin; shifted in front of y_1, not [PAD].")
def tf_missing_bos(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, pad_id), _labels(tgt_ids, pad_id)


@mistake("shifted_left", "shift to the RIGHT: tgt_in = [<s>, y_1, ..., y_{T-1}], so that step "
         "t reads the previous token. Shifting left feeds the NEXT token, y_{t+1}.")
def tf_shifted_left(tgt_ids, bos_id, pad_id):
    rest = torch.full_like(tgt_ids[:, :1], pad_id)
    return torch.cat([tgt_ids[:, 1:], rest], dim=1), _labels(tgt_ids, pad_id)


@mistake("labels_shifted_too", "only the decoder INPUTS are shifted; the labels are the targets "
         "y_1 .. y_T themselves. With both shifted, each step learns to copy its own input.")
def tf_labels_shifted(tgt_ids, bos_id, pad_id):
    tgt_in = _shift(tgt_ids, bos_id)
    return tgt_in, _labels(tgt_in, pad_id)


@mistake("loss_over_pad_positions", "labels must be -100 where the target is padding, so the "
         "loss ignores those positions; otherwise the model is trained to predict [PAD].")
def tf_pads_in_labels(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, bos_id), tgt_ids.clone()


@mistake("minus_100_in_inputs", "tgt_in was shifted from the labels, so it holds -100 where the "
         "targets are padding; an embedding cannot look up -100. Shift tgt_ids (or replace "
         "-100 by pad_id).")
def tf_minus_100(tgt_ids, bos_id, pad_id):
    labels = _labels(tgt_ids, pad_id)
    return _shift(labels, bos_id), labels


@mistake("hardcoded_bos", "use the bos_id argument for the start token instead of a fixed "
         "number.")
def tf_hardcoded_bos(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, 5), _labels(tgt_ids, pad_id)


@mistake("hardcoded_pad_zero", "use the pad_id argument to find the padding instead of 0: with "
         "another pad id, real tokens with id 0 lost their labels and the padding kept them.")
def tf_hardcoded_pad(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, bos_id), _labels(tgt_ids, 0)


@mistake("mutates_input", "tgt_ids must not change: build new tensors (torch.cat, masked_fill "
         "without the underscore, or .clone() first). `labels = tgt_ids` is not a copy, so "
         "labels[...] = -100 writes into tgt_ids.")
def tf_mutates(tgt_ids, bos_id, pad_id):
    tgt_in = _shift(tgt_ids, bos_id)
    labels = tgt_ids
    labels[labels == pad_id] = -100
    return tgt_in, labels


TEACHER_FORCING_MISTAKES = (tf_no_shift, tf_missing_bos, tf_shifted_left, tf_labels_shifted,
                            tf_pads_in_labels, tf_minus_100, tf_hardcoded_bos, tf_hardcoded_pad,
                            tf_mutates)


# --------------------------------------------------------------------------- teacher_forced_loss


def _nll(logits, labels):
    """(B, T) negative log-likelihood, 0 where the label is -100."""
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")


@mistake("loss_over_pad_positions", "positions labelled -100 must not contribute at all; "
         "turning -100 into class 0 (clamp, or masked_fill with 0) adds a -log p([PAD]) term at "
         "every padded position. Use ignore_index=-100 (F.cross_entropy's default), or keep only "
         "the positions where labels != -100.")
def loss_pads_as_class_0(logits, labels, reduction="sum"):
    return teacher_forced_loss(logits, labels.clamp(min=0), reduction)


@mistake("loss_over_pad_positions", "positions labelled -100 must not contribute at all; "
         "turning -100 into class 0 (clamp, or masked_fill with 0) adds a -log p([PAD]) term at "
         "every padded position. Multiply the picked log-probabilities by the mask (labels != "
         "-100), or keep only those positions, before summing.")
def loss_pads_summed(logits, labels, reduction="sum"):
    total = _nll(logits, labels.clamp(min=0)).sum()  # every position, pads as class 0
    return total if reduction == "sum" else total / (labels != -100).sum()


@mistake("always_mean", "reduction='sum' must return the SUM over real tokens, L = -sum_t log "
         "p(y_t | y_<t, c); only reduction='mean' divides by their number.")
def loss_always_mean(logits, labels, reduction="sum"):
    return teacher_forced_loss(logits, labels, "mean")


@mistake("always_sum", "reduction='mean' must divide the sum by the number of real (labelled) "
         "tokens; reduction='sum' returns the sum itself.")
def loss_always_sum(logits, labels, reduction="sum"):
    return teacher_forced_loss(logits, labels, "sum")


@mistake("mean_over_all_positions", "the mean is over the REAL target tokens (labels != -100): "
         "dividing by B * T counts the padded positions too.")
def loss_mean_all_positions(logits, labels, reduction="sum"):
    total = teacher_forced_loss(logits, labels, "sum")
    return total if reduction == "sum" else total / labels.numel()


@mistake("mean_per_sequence", "average over all real tokens of the batch at once (sum / count): "
         "a mean per sentence and then over sentences weighs each token of a short sentence "
         "more than one of a long sentence.")
def loss_mean_per_sequence(logits, labels, reduction="sum"):
    if reduction == "sum":
        return teacher_forced_loss(logits, labels, "sum")
    return (_nll(logits, labels).sum(1) / (labels != -100).sum(1)).mean()


@mistake("sum_divided_by_batch", "reduction='sum' is the plain total over every real token of "
         "the batch; dividing by the batch size gives the mean loss per sentence instead.")
def loss_sum_per_sentence(logits, labels, reduction="sum"):
    if reduction == "mean":
        return teacher_forced_loss(logits, labels, "mean")
    return teacher_forced_loss(logits, labels, "sum") / labels.shape[0]


@mistake("double_softmax", "cross-entropy (and log_softmax) take the raw logits: applying "
         "softmax first takes the softmax twice and squashes every probability towards 1/V.")
def loss_double_softmax(logits, labels, reduction="sum"):
    return teacher_forced_loss(torch.softmax(logits, dim=-1), labels, reduction)


@mistake("nll_of_probabilities", "F.nll_loss expects LOG-probabilities: take log_softmax of the "
         "logits (not softmax), or use F.cross_entropy on the logits.")
def loss_nll_probabilities(logits, labels, reduction="sum"):
    probs = torch.softmax(logits, dim=-1)
    return F.nll_loss(probs.transpose(1, 2), labels, reduction=reduction)


@mistake("softmax_over_wrong_axis", "the distribution p(y_t | ...) is over the vocabulary: "
         "take log_softmax over the last dimension (V), not over time.")
def loss_wrong_axis(logits, labels, reduction="sum"):
    logp = torch.log_softmax(logits, dim=1)
    return F.nll_loss(logp.transpose(1, 2), labels, reduction=reduction)


@mistake("missing_minus_sign", "L is the NEGATIVE log-likelihood, -sum_t log p(y_t | y_<t, c): "
         "log-probabilities are <= 0, so the loss must come out >= 0.")
def loss_positive(logits, labels, reduction="sum"):
    return -teacher_forced_loss(logits, labels, reduction)


LOSS_MISTAKES = (loss_pads_as_class_0, loss_pads_summed, loss_always_mean, loss_always_sum,
                 loss_mean_all_positions, loss_mean_per_sequence, loss_sum_per_sentence,
                 loss_double_softmax, loss_nll_probabilities, loss_wrong_axis, loss_positive)


# --------------------------------------------------------------------------- questions


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


QUESTIONS = [
    Entry(f"{ID}/context_shape", (4, 768), (
        _answer("all_states", "that is every state h_1..h_T, the encoder's output; the context "
                "is ONE vector per sentence: (B, H).", (4, 15, 768)),
        _answer("no_batch_axis", "(15, 768) is the states of one sentence; c is one H-sized "
                "vector for each of the 4 sentences.", (15, 768)),
        _answer("one_per_token", "c has one entry per hidden unit (768), not per token.", (4, 15)),
    ), points=1),
    Entry(f"{ID}/decoder_inputs", "b", (
        _answer("no_shift", "y_t is the token the decoder must predict at step t: it reads the "
                "PREVIOUS token y_{t-1} (teacher forcing shifts the targets right).", "a"),
        _answer("attention", "reading all encoder states at every step is attention (next "
                "lesson); the RNN decoder sees the source only through the one context c.", "c"),
        _answer("context_only", "with c only, every step would compute the same thing: the "
                "decoder also needs its previous state and the previous token.", "d"),
    ), points=1),
    Entry(f"{ID}/rnn_drawback", "b", (
        _answer("teacher_forcing", "RNN decoders are trained with teacher forcing too, as you "
                "did above; think of how the loop over time steps runs.", "a"),
        _answer("variable_length", "padding and the mask handle inputs of different lengths, as "
                "in your encoder; think of the loop over time steps.", "c"),
        _answer("parameters_grow", "the same W_x, W_h and b are reused at every step, so the "
                "number of parameters does not depend on the length.", "d"),
    ), points=1),
]


ENTRIES = [
    Entry(f"{ID}/RNNEncoder", RNNEncoder, ENCODER_MISTAKES, points=3),
    Entry(f"{ID}/context_vector", context_vector, CONTEXT_MISTAKES, points=2),
    Entry(f"{ID}/RNNDecoder", RNNDecoder, DECODER_MISTAKES, points=3),
    Entry(f"{ID}/teacher_forcing_batch", teacher_forcing_batch, TEACHER_FORCING_MISTAKES, points=1),
    Entry(f"{ID}/teacher_forced_loss", teacher_forced_loss, LOSS_MISTAKES, points=2),
    *QUESTIONS,
]
