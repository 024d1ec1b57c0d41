"""What lesson 10's catalogue modules share: the lesson id."""

from __future__ import annotations

ID = "10_bert_complete"
