"""A pack: many small cache entries of one repository kept in one checksummed ``Store`` entry.

A run reads the pack once, serves its lookups from memory, and writes it back once at its end, only when it
added something. Each entry remembers the last *generation* (the count of runs that wrote the pack) that
used it; an entry no run used in the last ``KEEP_GENERATIONS`` writing runs is dropped. A run that uses
only part of the repository (``--root``, one side of a ``diff``) therefore keeps the entries of the others,
while entries of files and builds that no longer exist age out. Two runs writing the same pack at once
each leave a complete one (the ``Store`` renames atomically); the entries only the other run added are
built again later.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from homeops.cache.store import Store

K = TypeVar("K", bound=Hashable)

KEEP_GENERATIONS = 20
"""How many writing runs an entry survives without being used."""


def pack_key(kind: str, *parts: str) -> str:
    """The store key of a pack: ``kind`` (one letter) and a hash of ``parts`` (format, version, the
    repository's identity) and of the working directory, which the stored file names depend on."""
    digest = hashlib.blake2b("\n".join((*parts, os.getcwd())).encode(), digest_size=20).hexdigest()
    return kind + digest


class Pack(Generic[K]):
    """Blobs by key, stored as one entry ``key`` of ``store`` (see the module docstring)."""

    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key
        self._generation = 0
        self._stored: dict[K, tuple[int, bytes]] = {}
        raw = store.get(key)
        if raw is not None:
            try:
                generation, entries = pickle.loads(raw)
            except Exception:  # another format, or not a pack: rebuilt
                generation, entries = 0, {}
            if isinstance(generation, int) and isinstance(entries, dict):
                self._generation, self._stored = generation, entries
        self._used: dict[K, bytes] = {}
        self.added = 0

    def get(self, key: K) -> bytes | None:
        found = self._used.get(key)
        if found is not None:
            return found
        entry = self._stored.get(key)
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], bytes)):
            return None
        self._used[key] = entry[1]
        return entry[1]

    def put(self, key: K, blob: bytes) -> None:
        if self._used.get(key) != blob:
            self._used[key] = blob
            self.added += 1

    def take(self, entries: Iterable[tuple[K, bytes]]) -> None:
        """Add ``entries`` (what a helper process made, see ``homeops.cache.helper``)."""
        for key, blob in entries:
            self.put(key, blob)

    def forget(self, key: K) -> None:
        """Drop ``key`` (a blob that turned out damaged), so that it is not written back."""
        self._used.pop(key, None)
        if self._stored.pop(key, None) is not None:
            self.added += 1

    def flush(self) -> None:
        """Write the pack when this run added or dropped something."""
        if not self.added:
            return
        generation = self._generation + 1
        oldest = generation - KEEP_GENERATIONS
        kept = {k: v for k, v in self._stored.items() if v[0] > oldest}
        kept.update((k, (generation, blob)) for k, blob in self._used.items())
        self.store.put(self.key, pickle.dumps((generation, kept), protocol=pickle.HIGHEST_PROTOCOL))
        self._generation, self._stored, self.added = generation, kept, 0
