"""Lesson 01's catalogue: the lesson id (trusted; never shipped)."""

from __future__ import annotations

ID = "01_rnn_seq2seq"
