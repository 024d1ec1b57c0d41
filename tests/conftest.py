"""Shared pytest set-up: deterministic torch and tiny default sizes."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _deterministic_torch():
    """Every test starts from the same global seed and one thread, so failures reproduce."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    yield


def pytest_make_parametrize_id(config, val, argname):
    """Name functions and classes in parametrised test ids by their qualified name.

    pytest's default id for such values holds a memory address, which differs
    between the two pytest-xdist workers and makes them collect different tests.
    """
    if callable(val) and hasattr(val, "__qualname__"):
        return val.__qualname__
    return None
