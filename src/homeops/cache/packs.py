"""A pack: many small cache entries of one repository kept in a few checksummed ``Store`` entries.

A pack is split into ``SHARDS`` shards by a hash of each blob's key, each one ``Store`` entry. A run reads a
shard when it first looks a key of it up, serves its lookups from memory, and at its end writes back only
the shards to which it added something: a run that rebuilt one app among hundreds rewrites a shard or two,
not megabytes. Each entry remembers the last *generation* (the count of runs that wrote its shard) that
used it; an entry no run used in the last ``KEEP_GENERATIONS`` writes of its shard is dropped. A run that
uses only part of the repository (``--root``, one side of a ``diff``) therefore keeps the entries of the
others, while entries of files and builds that no longer exist age out. Two runs writing the same shard at
once each leave a complete one (the ``Store`` renames atomically); the entries only the other run added are
built again later.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import zlib
from collections.abc import Hashable, Iterable
from typing import Any, Generic, TypeVar

from homeops.cache.store import Store

K = TypeVar("K", bound=Hashable)

KEEP_GENERATIONS = 20
"""How many runs writing its shard an entry survives without being used."""
SHARDS = 16
"""Store entries per pack: a run that adds a few blobs rewrites the shards holding them, not all."""


def pack_key(kind: str, *parts: str) -> str:
    """The store key of a pack: ``kind`` (one letter) and a hash of ``parts`` (format, version, the
    repository's identity) and of the working directory, which the stored file names depend on."""
    digest = hashlib.blake2b("\n".join((*parts, os.getcwd())).encode(), digest_size=20).hexdigest()
    return kind + digest


def shard_of(key: Hashable) -> int:
    """The shard of ``key``: by its first string (a content hash), so a file's parse and its index go
    together."""
    first = key[0] if isinstance(key, tuple) and key else key
    return zlib.crc32(str(first).encode()) % SHARDS


class Aged:
    """The values of one ``Store`` entry by key, each with the *generation* (the count of writes of the
    entry) that last used it; ``payload`` drops what the last ``KEEP_GENERATIONS`` writes did not use (a
    shard of a pack, the stat memo)."""

    __slots__ = ("added", "generation", "stored", "used")

    def __init__(self, raw: bytes | None) -> None:
        self.generation = 0
        self.stored: dict[Any, tuple[int, Any]] = {}
        if raw is not None:
            try:
                generation, entries = pickle.loads(raw)
            except Exception:  # another format, or damaged: started again
                generation, entries = 0, {}
            if isinstance(generation, int) and isinstance(entries, dict):
                self.generation, self.stored = generation, entries
        self.used: dict[Any, Any] = {}  # what this run used or added, by key
        self.added = 0  # values this run added or dropped

    def peek(self, key: Any) -> Any:
        """The value of ``key`` (None when there is none), not yet marked used."""
        found = self.used.get(key)
        if found is not None:
            return found
        entry = self.stored.get(key)
        return entry[1] if isinstance(entry, tuple) and len(entry) == 2 else None

    def keep(self, key: Any, value: Any) -> None:
        """Mark ``key`` used by this run (its value as ``peek`` gave it)."""
        self.used[key] = value

    def put(self, key: Any, value: Any) -> None:
        if self.used.get(key) != value:
            self.used[key] = value
            self.added += 1

    def forget(self, key: Any) -> None:
        self.used.pop(key, None)
        if self.stored.pop(key, None) is not None:
            self.added += 1

    def payload(self) -> bytes | None:
        """What to write when this run added or dropped something (then the next generation), else None."""
        if not self.added:
            return None
        generation = self.generation + 1
        oldest = generation - KEEP_GENERATIONS
        kept = {k: v for k, v in self.stored.items() if v[0] > oldest}
        kept.update((k, (generation, value)) for k, value in self.used.items())
        self.generation, self.stored, self.added = generation, kept, 0
        return pickle.dumps((generation, kept), protocol=pickle.HIGHEST_PROTOCOL)


class Pack(Generic[K]):
    """Blobs by key, stored as ``SHARDS`` entries ``key`` + shard of ``store`` (see the module docstring)."""

    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key
        self._shards: list[Aged | None] = [None] * SHARDS

    def shard_key(self, index: int) -> str:
        """The store key of shard ``index``."""
        return f"{self.key}{index:x}"

    def _shard(self, key: K) -> Aged:
        index = shard_of(key)
        found = self._shards[index]
        if found is None:
            found = self._shards[index] = Aged(self.store.get(self.shard_key(index)))
        return found

    def stored(self) -> bool:
        """Whether a shard of the pack is in the store (some run wrote it)."""
        return any(self.store.has(self.shard_key(i)) for i in range(SHARDS))

    @property
    def added(self) -> int:
        """Blobs this run added or dropped, not yet written."""
        return sum(s.added for s in self._shards if s is not None)

    def get(self, key: K) -> bytes | None:
        shard = self._shard(key)
        found = shard.peek(key)
        if not isinstance(found, bytes):
            return None
        shard.keep(key, found)
        return found

    def put(self, key: K, blob: bytes) -> None:
        self._shard(key).put(key, blob)

    def take(self, entries: Iterable[tuple[K, bytes]]) -> None:
        """Add ``entries`` (what a helper process made, see ``homeops.cache.helper``)."""
        for key, blob in entries:
            self.put(key, blob)

    def forget(self, key: K) -> None:
        """Drop ``key`` (a blob that turned out damaged), so that it is not written back."""
        self._shard(key).forget(key)

    def flush(self) -> None:
        """Write each shard to which this run added, or from which it dropped, something."""
        for index, shard in enumerate(self._shards):
            payload = shard.payload() if shard is not None else None
            if payload is not None:
                self.store.put(self.shard_key(index), payload)
