"""One cache of trusted outputs for every lesson's tests: each check recomputes the
reference and every catalogued mistake on its cases, and these tests check dozens of
candidates on the same cases, so those outputs are cached per module by exercise and
case contents (the verdicts themselves are never cached)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

import grader.checks.engine as engine


def _key(ex, case) -> str:  # noqa: ANN001 - an Exercise and a Case
    h = hashlib.sha256(f"{ex.id}|{case.name}|{case.describe}|"
                       f"{sorted(case.args.items(), key=str)}".encode())
    for name in sorted(case.inputs):
        h.update(name.encode())
        h.update(case.inputs[name].contiguous().numpy().tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def _cache_trusted_outputs() -> Iterator[None]:
    """The reference's and the mistakes' outputs, computed once per case for the module."""
    cache: dict[str, object] = {}
    original = engine.expected_and_mistakes

    def cached(ex, case):  # noqa: ANN001, ANN202 - engine.expected_and_mistakes' signature
        key = _key(ex, case)
        if key not in cache:
            cache[key] = original(ex, case)
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "expected_and_mistakes", cached)
        yield
