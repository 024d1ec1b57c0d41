"""Transformer encoder and decoder layers and stacks (lessons 03 and 04).

One file per concept, so that a released lesson can ship the encoder as a
provided building block without the decoder it asks students to write:
``feedforward`` (FFN and shared checks), ``encoder`` (EncoderLayer, Encoder),
``decoder`` (DecoderLayer, Decoder).
"""

from .decoder import Decoder, DecoderLayer
from .encoder import Encoder, EncoderLayer
from .feedforward import ACTIVATIONS, Activation, FeedForward

__all__ = ["ACTIVATIONS", "Activation", "Decoder", "DecoderLayer", "Encoder", "EncoderLayer",
           "FeedForward"]
