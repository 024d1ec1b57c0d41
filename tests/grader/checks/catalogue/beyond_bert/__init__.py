"""Lesson 11 (beyond BERT): banks of correct alternatives and the lesson's own tests."""
