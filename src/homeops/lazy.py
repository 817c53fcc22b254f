"""Names a module re-exports from others, imported when first used (PEP 562 ``__getattr__``): a package's
public names stay importable from it while a run loads only the modules it uses."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def reexports(module: str, sources: dict[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``module``: each name of ``sources`` taken from the module it maps to, once
    (then kept in ``module``'s namespace); any other name is an AttributeError."""

    def getattr_(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(sys.modules[module], name, value)
        return value

    return getattr_
