"""Parsing a repository's files in a helper process from the very start of a cold run.

On a cold cache the first thing a build does is parse every YAML file of the repository; a helper process
(see ``homeops.cache.helper``) parses them from the far end of the list while the build takes them from
the near end. Started by the build itself, that helper forks only once the build's modules are loaded and
its options resolved. ``start_prefetch`` forks it before all that: the command knows the repository root
and the cache directory, looks whether the repository's parse pack is in the cache at all, and when it is
not, forks a helper that lists the files as ``Repository.load`` does and parses them from the end, sending
each parse and its index as a parse cache entry. ``homeops.flux.clustercache.load_repository`` takes that
helper as its own when it parses the same root into the same pack; otherwise it stops it. Either way the
output is the same: the build looks every file up by its content, and parses itself what has not arrived.

Nothing is forked when the pack exists (a warm run, or one that changed a few files: the build's own
helper starts when parses miss), without the cache, or where no helper can run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homeops.cache.helper import Helper, Send
    from homeops.cache.store import Store


@dataclass(frozen=True, slots=True)
class Prefetch:
    """A helper parsing the files of ``root`` for the parse pack ``pack`` (see the module docstring)."""

    helper: Helper
    root: Path
    pack: str

    def stop(self) -> None:
        """Stop the helper (again: nothing)."""
        self.helper.stop()


def start_prefetch(root: Path, cache_dir: Path) -> Prefetch | None:
    """Fork the helper parsing ``root`` (resolved) into the cache under ``cache_dir`` when the
    repository's parse pack is not there; None when it is, or when no helper can run."""
    from homeops.cache.helper import Helper, available

    if not available():
        return None
    from homeops.cache.packs import Pack
    from homeops.cache.parses import parse_pack_key
    from homeops.cache.store import Store

    store = Store(cache_dir)
    key = parse_pack_key(str(root))
    if Pack(store, key).stored():
        return None
    helper = Helper.start(lambda send: _parse_all(root, store, send))
    return Prefetch(helper, root, key) if helper is not None else None


def _parse_all(root: Path, store: Store, send: Send) -> None:  # pragma: no cover - runs in the helper
    """In the helper: what ``Repository.load`` lists, parsed last first (``ParseStore.fill_from_end``)."""
    from homeops.cache.parses import ParseStore
    from homeops.flux.repository import docs_index
    from homeops.flux.sourceignore import SourceIgnore, walk_yaml_rel
    from homeops.kustomize.files import FileLoader

    loader = FileLoader(root)
    files = [path for _, path in walk_yaml_rel(root, SourceIgnore.from_repo(root, None))]
    ParseStore.of_loader(store, loader).fill_from_end(files, loader, send, docs_index)
