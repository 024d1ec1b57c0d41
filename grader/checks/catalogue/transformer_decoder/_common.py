"""What lesson 04's catalogue files share: the lesson id."""

from __future__ import annotations

ID = "04_transformer_decoder"
