"""Lesson 01's three short questions: the context vector's shape, the decoder's inputs at a
step, and the two drawbacks of RNNs that *Large Language Models: A Deep Dive* (ch. 2) names."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class ContextShapeHarness(AnswerHarness):
    lesson = LESSON
    name = "context_shape"
    kind = "shape"
    question = ("An RNN encoder with hidden size 768 reads a batch of 4 sentences of 15 tokens "
                "each. What is the shape of the context vector c (mode 'last')?")


@register
class DecoderInputsHarness(AnswerHarness):
    lesson = LESSON
    name = "decoder_inputs"
    kind = "choice"
    question = ("Which inputs does the RNN decoder combine to compute its state s_t at step t? "
                "a) s_{t-1}, y_t and c; b) s_{t-1}, y_{t-1} and c; c) all encoder states "
                "h_1..h_T and y_{t-1}; d) c only")


@register
class RNNDrawbackHarness(AnswerHarness):
    lesson = LESSON
    name = "rnn_drawback"
    kind = "choice"
    question = ("Which two drawbacks of the RNNs in encoder-decoders does the encoder-decoder "
                "chapter name? "
                "a) they cannot be trained with teacher forcing; b) the time steps must be "
                "computed one after another, and gradients vanish or explode across many steps; "
                "c) they cannot read inputs of different lengths; d) their number of parameters "
                "grows with the length of the sentence")
