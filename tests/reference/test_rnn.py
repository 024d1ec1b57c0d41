"""Tests for reference.rnn: the lesson 01 encoder loop, context vector, decoder, teacher
forcing batch and loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reference.denoising import shift_right
from reference.rnn import (
    RNNDecoder,
    RNNEncoder,
    Seq2SeqRNN,
    context_vector,
    teacher_forced_loss,
    teacher_forcing_batch,
)
from reference.tokenizer import BOS_ID, EOS_ID, PAD_ID

V, E, H = 11, 4, 5


def _peer_with_copied_weights(enc: RNNEncoder) -> nn.RNN:
    """nn.RNN holding the encoder's weights; its two biases add up to our one b."""
    peer = nn.RNN(E, H, nonlinearity="tanh", batch_first=True).double()
    with torch.no_grad():
        peer.weight_ih_l0.copy_(enc.input_to_hidden.weight)
        peer.weight_hh_l0.copy_(enc.hidden_to_hidden.weight)
        peer.bias_ih_l0.copy_(enc.input_to_hidden.bias)
        peer.bias_hh_l0.zero_()
    return peer


def test_encoder_loop_matches_nn_rnn_outputs_and_gradients():
    """The explicit loop equals nn.RNN (float64): states, input gradients and weight gradients."""
    enc = RNNEncoder(V, E, H).double()
    peer = _peer_with_copied_weights(enc)
    x = torch.randn(3, 6, E, dtype=torch.float64, requires_grad=True)
    x_peer = x.detach().clone().requires_grad_(True)
    ours = enc.recurrence(x)
    theirs, h_n = peer(x_peer)
    torch.testing.assert_close(ours, theirs, atol=1e-9, rtol=1e-9)
    torch.testing.assert_close(ours[:, -1], h_n[0], atol=1e-9, rtol=1e-9)
    upstream = torch.randn_like(ours)
    ours.backward(upstream)
    theirs.backward(upstream)
    torch.testing.assert_close(x.grad, x_peer.grad, atol=1e-9, rtol=1e-9)
    torch.testing.assert_close(enc.hidden_to_hidden.weight.grad, peer.weight_hh_l0.grad,
                               atol=1e-9, rtol=1e-9)
    torch.testing.assert_close(enc.input_to_hidden.bias.grad, peer.bias_ih_l0.grad,
                               atol=1e-9, rtol=1e-9)


def test_encoder_gradcheck_with_padding():
    """Autograd through the masked loop agrees with finite differences (float64)."""
    enc = RNNEncoder(V, 3, 2).double()
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, True, True, False], [True, True, False, False]])
    assert torch.autograd.gradcheck(lambda inp: enc.recurrence(inp, mask), (x,))


def test_decoder_step_gradcheck():
    """The decoder step's state and logits have correct gradients w.r.t. state and context."""
    dec = RNNDecoder(V, 3, 2).double()
    s = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    tok = torch.tensor([3, 7])
    assert torch.autograd.gradcheck(lambda a, b: dec.step(a, tok, b), (s, c))


def test_padding_never_changes_real_positions():
    """Right-padding a source leaves real states, the context and the logits unchanged."""
    model = Seq2SeqRNN(V, E, H).double()
    short = torch.tensor([[5, 7, 8]])
    padded = torch.tensor([[5, 7, 8, 0, 0]])
    states_short, states_pad = model.encoder(short), model.encoder(padded)
    torch.testing.assert_close(states_pad[:, :3], states_short, atol=0, rtol=0)
    # A padded step carries the previous state forward.
    torch.testing.assert_close(states_pad[:, 4], states_short[:, 2], atol=0, rtol=0)
    for mode in ("last", "mean"):
        model.context_mode = mode
        torch.testing.assert_close(model.encode(padded), model.encode(short), atol=1e-12, rtol=0)
    tgt = torch.tensor([[5, 9, 10]])
    torch.testing.assert_close(model(padded, tgt), model(short, tgt), atol=1e-12, rtol=0)


def test_padding_in_a_batch_matches_one_at_a_time():
    """Rows of different lengths batched with padding give each row's unbatched result."""
    enc = RNNEncoder(V, E, H).double()
    a, b = torch.tensor([[3, 4, 5, 6]]), torch.tensor([[7, 8]])
    batch = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])
    states = enc(batch)
    torch.testing.assert_close(states[:1], enc(a), atol=1e-12, rtol=0)
    torch.testing.assert_close(states[1:, :2], enc(b), atol=1e-12, rtol=0)


def test_context_vector_last_and_mean():
    """'last' picks the last real state (left or right padding); 'mean' averages real states."""
    h = torch.arange(2 * 4 * 3, dtype=torch.float64).reshape(2, 4, 3)
    mask = torch.tensor([[True, True, False, False], [False, True, True, True]])
    torch.testing.assert_close(context_vector(h, "last"), h[:, -1])
    torch.testing.assert_close(context_vector(h, "last", mask), torch.stack([h[0, 1], h[1, 3]]))
    torch.testing.assert_close(context_vector(h, "mean", mask),
                               torch.stack([h[0, :2].mean(0), h[1, 1:].mean(0)]))
    torch.testing.assert_close(context_vector(h, "mean"), h.mean(1))


def test_context_vector_empty_row_is_zero_not_nan():
    """A row with no real token gives a zero context, never NaN."""
    h = torch.randn(2, 3, 4)
    mask = torch.tensor([[False] * 3, [True] * 3])
    for mode in ("last", "mean"):
        c = context_vector(h, mode, mask)
        assert torch.isfinite(c).all() and (c[0] == 0).all()


def test_decoder_forward_is_the_step_loop():
    """Teacher-forced forward equals calling step with the true previous tokens."""
    dec = RNNDecoder(V, E, H)
    c = torch.randn(2, H)
    tgt_in = torch.tensor([[5, 7, 8], [5, 9, 6]])
    logits = dec(tgt_in, c)
    assert logits.shape == (2, 3, V)
    state = dec.init_state(c)
    for t in range(3):
        state, step_logits = dec.step(state, tgt_in[:, t], c)
        torch.testing.assert_close(logits[:, t], step_logits)


def test_teacher_forcing_batch_worked_example():
    """<s> then the targets shifted right by one; labels are the targets with -100 at
    padding; the input is not modified."""
    tgt = torch.tensor([[21, 22, 23, EOS_ID],
                        [31, EOS_ID, PAD_ID, PAD_ID]])
    before = tgt.clone()
    tgt_in, labels = teacher_forcing_batch(tgt, BOS_ID, PAD_ID)
    assert tgt_in.tolist() == [[BOS_ID, 21, 22, 23], [BOS_ID, 31, EOS_ID, PAD_ID]]
    assert labels.tolist() == [[21, 22, 23, EOS_ID], [31, EOS_ID, -100, -100]]
    assert tgt_in.dtype == labels.dtype == torch.long
    assert torch.equal(tgt, before)


def test_teacher_forcing_batch_other_ids_and_peer_shift_right():
    """With another pad id and real tokens with id 0, tgt_in equals lesson 06's
    shift_right of the labels, and only pad_id positions are ignored."""
    gen = torch.Generator().manual_seed(0)
    tgt = torch.randint(0, 30, (4, 7), generator=gen)
    tgt[tgt == 3] = 4
    tgt[1, 4:] = 3  # pad_id 3 at the end of one row
    tgt_in, labels = teacher_forcing_batch(tgt, bos_id=2, pad_id=3)
    assert torch.equal(tgt_in, shift_right(labels, 2, 3))
    assert torch.equal(labels == -100, tgt == 3)
    assert torch.equal(labels[tgt != 3], tgt[tgt != 3])


def test_teacher_forced_loss_is_negative_log_likelihood():
    """Sum is -sum_t log p(y_t | ...) over labelled tokens; mean divides by their count."""
    logits = torch.randn(2, 3, V, dtype=torch.float64)
    labels = torch.tensor([[1, 2, -100], [4, -100, -100]])
    logp = logits.log_softmax(-1)
    expected = -(logp[0, 0, 1] + logp[0, 1, 2] + logp[1, 0, 4])
    torch.testing.assert_close(teacher_forced_loss(logits, labels), expected)
    torch.testing.assert_close(teacher_forced_loss(logits, labels, "mean"), expected / 3)


def test_teacher_forced_loss_without_labels_is_zero_not_nan():
    """A batch whose labels are all -100 gives 0 for both reductions, with a gradient."""
    logits = torch.randn(1, 2, V, requires_grad=True)
    labels = torch.full((1, 2), -100)
    for reduction in ("sum", "mean"):
        loss = teacher_forced_loss(logits, labels, reduction)
        assert loss.item() == 0.0
        loss.backward()


def test_seq2seq_loss_method_and_shapes():
    """Seq2SeqRNN.forward gives (B, T, V) and .loss equals the loss of those logits."""
    model = Seq2SeqRNN(V, E, H, context_mode="mean")
    src, tgt_in = torch.tensor([[3, 4, 0], [5, 6, 7]]), torch.tensor([[5, 8], [5, 9]])
    labels = torch.tensor([[8, 6], [9, -100]])
    logits = model(src, tgt_in)
    assert logits.shape == (2, 2, V)
    torch.testing.assert_close(model.loss(src, tgt_in, labels, "mean"),
                               F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1)))


def test_generate_is_greedy_and_stops_at_eos():
    """Output starts with <s>, matches argmax step by step, respects max_len, pads after </s>."""
    model = Seq2SeqRNN(V, E, H)
    src = torch.tensor([[3, 4, 5], [6, 7, 0]])
    out = model.generate(src, max_len=6, bos_id=5, eos_id=6)
    assert out.dtype == torch.long and out.shape[0] == 2 and 1 <= out.shape[1] <= 6
    assert (out[:, 0] == 5).all()
    c = model.encode(src)
    state, token = model.decoder.init_state(c), torch.full((2,), 5)
    for t in range(1, out.shape[1]):
        state, logits = model.decoder.step(state, token, c)
        token = logits.argmax(-1)
        for row in range(2):
            if 6 not in out[row, :t].tolist():
                assert out[row, t] == token[row]
            else:
                assert out[row, t] == 0


def test_generate_max_len_one_is_just_bos():
    """max_len counts <s>, as greedy_decode does."""
    out = Seq2SeqRNN(V, E, H).generate(torch.tensor([[3, 4]]), max_len=1)
    assert out.tolist() == [[5]]


def test_seq2seq_learns_to_copy():
    """A few hundred Adam steps teach the model to copy three short sequences exactly."""
    torch.manual_seed(0)
    model = Seq2SeqRNN(12, 8, 32)
    src = torch.tensor([[7, 8, 9], [9, 10, 11], [11, 7, 8]])
    tgt_in = torch.cat([torch.full((3, 1), 5), src], 1)
    labels = torch.cat([src, torch.full((3, 1), 6)], 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        opt.zero_grad()
        model.loss(src, tgt_in, labels, "mean").backward()
        opt.step()
    expected = torch.cat([tgt_in[:, :1], labels], 1)  # <s> y_1 .. y_3 </s>, then it stops
    torch.testing.assert_close(model.generate(src, max_len=8), expected, atol=0, rtol=0)


def test_deterministic():
    """Same seed, same weights, same outputs, twice."""
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = Seq2SeqRNN(V, E, H)
        outs.append(model(torch.tensor([[3, 4, 5]]), torch.tensor([[5, 6]])))
    torch.testing.assert_close(outs[0], outs[1], atol=0, rtol=0)


@pytest.mark.parametrize("call, message", [
    (lambda: RNNEncoder(0, E, H), "vocab_size"),
    (lambda: RNNEncoder(V, E, H, pad_id=V), "pad_id"),
    (lambda: RNNEncoder(V, E, H)(torch.tensor([1, 2])), "shape (B, T)"),
    (lambda: RNNEncoder(V, E, H)(torch.tensor([[1.0]])), "torch.long"),
    (lambda: RNNEncoder(V, E, H)(torch.tensor([[V]])), "ids in"),
    (lambda: context_vector(torch.zeros(2, 3, 4), "max"), "mode"),
    (lambda: context_vector(torch.zeros(2, 3), "last"), "(B, T, H)"),
    (lambda: context_vector(torch.zeros(2, 3, 4), "last", torch.ones(2, 4, dtype=torch.bool)), "mask"),
    (lambda: RNNDecoder(V, E, H)(torch.tensor([[1]]), torch.zeros(1, H + 1)), "context"),
    (lambda: teacher_forced_loss(torch.zeros(1, 2, V), torch.zeros(1, 3, dtype=torch.long)), "labels"),
    (lambda: teacher_forced_loss(torch.zeros(1, 2, V), torch.zeros(1, 2, dtype=torch.long), "max"), "reduction"),
    (lambda: Seq2SeqRNN(V, E, H, context_mode="first"), "context_mode"),
    (lambda: teacher_forcing_batch(torch.zeros(2, 3), BOS_ID, PAD_ID), "torch.long"),
    (lambda: teacher_forcing_batch(torch.tensor([1, 2]), BOS_ID, PAD_ID), "shape (B, T)"),
    (lambda: teacher_forcing_batch(torch.tensor([[1, -2]]), BOS_ID, PAD_ID), "ids >= 0"),
    (lambda: teacher_forcing_batch(torch.tensor([[1, 2]]), -1, PAD_ID), "bos_id"),
    (lambda: teacher_forcing_batch(torch.tensor([[1, 2]]), BOS_ID, None), "pad_id"),
])
def test_invalid_arguments_raise_value_error(call, message):
    """Bad arguments raise ValueError naming what was expected and what came."""
    with pytest.raises(ValueError, match="expected") as info:
        call()
    assert message in str(info.value) and "got" in str(info.value)
