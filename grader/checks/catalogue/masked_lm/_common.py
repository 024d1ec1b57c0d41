"""What lesson 05's catalogue modules share: the lesson id."""

from __future__ import annotations

ID = "05_masked_lm"
