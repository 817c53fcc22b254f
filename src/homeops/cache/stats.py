"""Content digests of a work tree's files by their ``stat`` signature, kept across runs.

Every cache key of homeops holds the content hash of the files it depends on, so a warm run hashes every
YAML file of the repository (over a thousand in a large home-ops repository), and reading them is most of
its file work. Like git's index, ``StatMemo`` remembers, for each file hashed, its signature (device, inode,
size, modification and change times in nanoseconds) and its digest; a later run whose ``stat`` of the file
gives the same signature takes the digest without reading the file. Any write to a file sets its change
time (``ctime``, which no program can set back), and replacing it gives another inode, so a changed file
never matches.

A file changed within the clock's granularity of its last hashing could keep the same times: a signature
is therefore recorded only when both its times lie ``SETTLED_NS`` before the run began (the file was not
being written when it was hashed, and any later write gives a later change time); a file just edited is
read and hashed again until it has settled. This takes the file system's clock to agree with the
machine's within those 2 s (a network share whose server runs far behind, with timestamps coarser than the
edits, could defeat it: ``--no-cache`` then builds from the bytes alone). A run that reads a file whose
digest it took from the memo checks that digest against the bytes (``FileLoader.read_bytes``).

The memo of a work tree is one ``Store`` entry, ``s<key>``, written when the run recorded something new;
an entry no run looked up in the last ``KEEP_GENERATIONS`` writes is dropped. A checkout of another ref
in a temporary directory (``diff``'s base) has no memo: its paths never come back.
"""

from __future__ import annotations

import os
import time

from homeops.cache.packs import Aged
from homeops.cache.store import Store

SETTLED_NS = 2_000_000_000
"""How long before a run a file's times must lie for its signature to be recorded (2 s)."""

Signature = tuple[int, int, int, int, int]


def signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class StatMemo:
    """Digests by path and signature (see the module docstring)."""

    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key
        self.started = time.time_ns()
        self._entries = Aged(store.get(key))  # path: (signature, digest)

    @property
    def added(self) -> int:
        """Signatures this run recorded, not yet written."""
        return self._entries.added

    def lookup(self, path: str, max_size: int) -> str | None:
        """The digest of ``path`` when its signature is the recorded one (and its size at most ``max_size``),
        else None (then the file is read)."""
        entry = self._entries.peek(path)
        if not (isinstance(entry, tuple) and len(entry) == 2):
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        if signature(st) != entry[0] or st.st_size > max_size:
            return None
        self._entries.keep(path, entry)
        return str(entry[1])

    def record(self, path: str, st: os.stat_result, digest: str) -> None:
        """Remember ``digest`` for the bytes read with ``st`` (the ``fstat`` of the read), once settled."""
        if max(st.st_mtime_ns, st.st_ctime_ns) > self.started - SETTLED_NS:
            return
        entry = (signature(st), digest)
        if self._entries.peek(path) == entry:
            self._entries.keep(path, entry)
        else:
            self._entries.put(path, entry)

    def flush(self) -> None:
        """Write the memo when this run recorded something new."""
        payload = self._entries.payload()
        if payload is not None:
            self.store.put(self.key, payload)
