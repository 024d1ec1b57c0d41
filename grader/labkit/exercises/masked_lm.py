"""Harnesses for lesson 05, masked language modelling (being written)."""
