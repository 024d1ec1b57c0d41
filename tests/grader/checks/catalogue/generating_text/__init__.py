"""Lesson 09's tests: the banks of correct alternatives (``_bank.py``), each exercise's bank
run visible and hidden, and the lesson as a whole (``test_lesson.py``)."""
