"""The chart store: charts fetched once (``homeops charts pull``), then read offline by every command.

``ChartStore.lookup`` (the :class:`homeops.helm.types.ChartLookup` the renderer uses) never touches the
network; ``homeops.helm.store.pull.pull`` is the only code that fetches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from homeops.helm.store.mirrors import HelmStoreConfig
from homeops.helm.store.store import ChartStore, PruneResult, StoreEntry, default_store_dir

if TYPE_CHECKING:
    from homeops.helm.store.pull import PullOptions, PullOutcome, PullResult

# The fetching side (and its HTTP client) is imported only by what pulls: ``homeops.helm.store.pull.pull``.
_PULL = ("PullOptions", "PullOutcome", "PullResult")


def __getattr__(name: str) -> Any:
    """The fetching side (and its HTTP client) is imported only by what pulls."""
    if name in _PULL:
        module = importlib.import_module("homeops.helm.store.pull")
        found = {n: getattr(module, n) for n in _PULL}
        globals().update(found)
        return found[name]
    raise AttributeError(name)


__all__ = [
    "ChartStore",
    "HelmStoreConfig",
    "PruneResult",
    "PullOptions",
    "PullOutcome",
    "PullResult",
    "StoreEntry",
    "default_store_dir",
]
