"""Lesson 05 references and mistakes (being written)."""

ENTRIES: list = []
