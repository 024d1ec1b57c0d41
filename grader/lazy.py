"""Names a package exports without importing their modules until first use (PEP 562).

``grader`` and ``grader.autograde.preprocessors`` use it so that importing a light part
(``grader.course.paths``, the preprocessor Formgrader's server loads) does not import the
checks and torch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, modules: Mapping[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's module ``__getattr__`` and ``__dir__``: each name in ``modules`` is
    imported from its module (absolute, or relative to ``package`` when it starts with a
    dot) when first asked for, and then kept in the package's namespace."""
    namespace = import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(modules[name], package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *modules})

    return __getattr__, __dir__
