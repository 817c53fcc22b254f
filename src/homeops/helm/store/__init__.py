"""The chart store: charts fetched once (``homeops charts pull``), then read offline by every command.

``ChartStore.lookup`` (the :class:`homeops.helm.types.ChartLookup` the renderer uses) never touches the
network; :func:`pull` is the only code that fetches.
"""

from homeops.helm.store.mirrors import HelmStoreConfig
from homeops.helm.store.pull import PullOptions, PullOutcome, PullResult, pull
from homeops.helm.store.store import ChartStore, PruneResult, StoreEntry, default_store_dir

__all__ = [
    "ChartStore",
    "HelmStoreConfig",
    "PruneResult",
    "PullOptions",
    "PullOutcome",
    "PullResult",
    "StoreEntry",
    "default_store_dir",
    "pull",
]
