"""Lesson 06's test files share one cache of trusted outputs per module."""

from __future__ import annotations

import pytest

from ._common import reference_outputs_cached


@pytest.fixture(autouse=True, scope="module")
def _reuse_reference_outputs():
    """The reference's and the mistakes' outputs, computed once per case for the module."""
    with reference_outputs_cached():
        yield
