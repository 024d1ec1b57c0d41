"""Lesson 02's catalogue: the lesson id (trusted; never shipped)."""

from __future__ import annotations

ID = "02_attention"
