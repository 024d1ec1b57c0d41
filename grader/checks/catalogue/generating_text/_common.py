"""Lesson 09's catalogue: the lesson id (trusted; never shipped)."""

from __future__ import annotations

ID = "09_generating_text"
