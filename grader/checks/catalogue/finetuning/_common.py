"""What lesson 08's catalogue modules share: the lesson id."""

from __future__ import annotations

ID = "08_finetuning"
