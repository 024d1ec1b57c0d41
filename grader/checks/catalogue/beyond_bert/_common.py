"""What lesson 11's catalogue modules share: the lesson id."""

from __future__ import annotations

ID = "11_beyond_bert"
