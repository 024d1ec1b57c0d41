"""Shared pytest set-up: deterministic torch and tiny default sizes."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _deterministic_torch():
    """Every test starts from the same global seed and one thread, so failures reproduce."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    yield
