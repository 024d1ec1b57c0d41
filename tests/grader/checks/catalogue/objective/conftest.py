"""Lesson 07's test files share one cache of trusted outputs per module."""

from __future__ import annotations

import pytest

from ._common import cached_trusted_outputs


@pytest.fixture(scope="module", autouse=True)
def _cache_trusted_outputs():
    """The reference's and the mistakes' outputs, computed once per case for the module."""
    with cached_trusted_outputs():
        yield
