"""Transformer encoder and decoder layers and stacks (lessons 03 and 04).

One file per concept, so that a released lesson can ship the encoder as a
provided building block without the decoder it asks students to write:
``feedforward`` (FFN and shared checks), ``sublayer`` (sublayer_connection:
the residual and LayerNorm around a sub-layer), ``encoder`` (EncoderLayer,
Encoder), ``decoder`` (DecoderLayer, Decoder).
"""

from .decoder import Decoder, DecoderLayer
from .encoder import Encoder, EncoderLayer
from .feedforward import ACTIVATIONS, Activation, FeedForward
from .sublayer import sublayer_connection

__all__ = ["ACTIVATIONS", "Activation", "Decoder", "DecoderLayer", "Encoder", "EncoderLayer",
           "FeedForward", "sublayer_connection"]
