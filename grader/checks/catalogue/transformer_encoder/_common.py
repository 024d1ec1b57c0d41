"""What lesson 03's catalogue files share: the lesson id."""

from __future__ import annotations

ID = "03_transformer_encoder"
