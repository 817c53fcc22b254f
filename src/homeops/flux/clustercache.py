"""The caches of a tree build and the helper process that fills them on a cold run.

``load_repository`` loads the repository through the parse cache; ``node_cache`` opens the build cache of
the Kustomizations; ``start_helper`` forks the helper that builds the tree from its far end while the
builder goes on from the near end (see ``homeops.cache.helper``: what the helper makes reaches the builder
only as cache entries, whose keys hold every input, so the output is the same with or without it).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.flux.apiversions import KUSTOMIZE_GROUP, SOURCE_GROUP
from homeops.flux.clustertypes import WALK_KINDS, Identity, StoredObjects, object_identity
from homeops.flux.repository import (
    ObjectEntry,
    Repository,
    docs_index,
    entry_index,
    file_entries,
    indexed_entries,
)
from homeops.flux.roots import OPERATOR_GROUP
from homeops.kustomize.build import Builder
from homeops.yaml.nodes import YMap

if TYPE_CHECKING:
    from homeops.cache.helper import Helper, Send
    from homeops.cache.nodes import NodeCache
    from homeops.cache.parses import ParseStore
    from homeops.flux.cluster import ClusterBuilder
    from homeops.flux.clustertypes import ClusterOptions, KsNode
    from homeops.flux.prefetch import Prefetch
    from homeops.kustomize.files import FileLoader

HELP_FROM = 8
"""A helper starts once builds miss the cache and this many Kustomizations wait (files: 8 times as many)."""

RECENT_MISSES = 3
"""...and once this many of the last 8 lookups missed (parses: HELP_FROM of the last 16 files). A run that
rebuilds one app among hundreds of hits forks nothing: a helper would only find hits, and its fork, its
polling and its stop cost more than the builds it could take over. A change that every other Kustomization
reads does start one."""

_DISCOVERED = tuple(f"{group}/" for group in (KUSTOMIZE_GROUP, SOURCE_GROUP, OPERATOR_GROUP))
"""The API groups of what discovering the roots reads of every file (Flux Kustomizations, sources,
FluxInstances)."""

Walk = tuple[
    "list[KsNode]", "dict[tuple[str, str, str], KsNode]", "list[KsNode]"
]  # a walk in progress: its queue, what it has seen, the nodes built


def load_repository(
    root: Path, options: ClusterOptions, builder: Builder, prefetch: Prefetch | None = None
) -> tuple[Repository, ParseStore | None]:
    """The repository, its files parsed through the parse cache (when on), a helper parsing from the end
    of the list when many files are to be read: ``prefetch``'s, started before the build, when it parses
    this root into this cache (else it is stopped), or one forked once parses miss."""
    parses = _parse_store(options, builder)
    helper: Helper | None = None
    if prefetch is not None:
        if parses is not None and options.helpers and (prefetch.root, prefetch.pack) == (root, parses.key):
            helper = prefetch.helper
            parses.helped = True
            load_build_modules()
        else:
            prefetch.stop()
    files: list[Path] = []
    recent: deque[bool] = deque(maxlen=2 * HELP_FROM)  # the last files looked up, True: not in the cache
    done = 0  # files loaded

    def on_files(listed: list[Path]) -> None:
        files.extend(listed)

    def start_parse_helper() -> None:
        """Fork a helper parsing from the end of the list, once parses miss in a row and many files are
        left (a cold cache; one changed file among hits forks nothing)."""
        nonlocal helper
        if parses is None or not options.helpers or len(files) - done < 8 * HELP_FROM:
            return
        from homeops.cache.helper import Helper

        helper = Helper.start(lambda send: parses.fill_from_end(files, builder.loader, send, docs_index))
        if helper is not None:  # a cold run: the builds to come need these, and the helper parses meanwhile
            load_build_modules()
        parses.helped = helper is not None

    loader = builder.loader

    def entries_of(path: Path, rel: str) -> list[ObjectEntry]:
        nonlocal done
        done += 1
        if parses is None:
            return file_entries(loader.parsed(path), path, rel)
        if helper is not None:
            parses.take(helper)
        key = loader.parse_key(path)
        index = parses.index(key)
        recent.append(index is None)
        if index is not None:
            found = indexed_entries(index, path, rel, lambda: _untracked(loader, path))
            if helper is not None and any(e.api_version.startswith(_DISCOVERED) for e in found):
                found[0].docs.get(0)  # read now, while the helper parses, not by discovery after it
            return found
        if helper is None and sum(recent) >= HELP_FROM:
            start_parse_helper()
        found = file_entries(loader.parsed(path), path, rel)
        parses.put_index(key, entry_index(found))
        return found

    try:
        return Repository.load(root, entries_of=entries_of, on_files=on_files), parses
    finally:
        if helper is not None:
            helper.stop()


def _untracked(loader: FileLoader, path: Path) -> list[Any]:
    """The documents of ``path``, not counted among the reads of a build in progress (the repository's
    files are read at its load, outside every build, whenever their objects are first used)."""
    with loader.untracked():
        return loader.parsed(path)


def helper_roots(cache: NodeCache, waiting: int, later: list[KsNode]) -> list[KsNode] | None:
    """What a helper forked now would build first: the roots of ``later`` no earlier helper was given
    (``cache.handed``), then the ``waiting`` Kustomizations of the queue from its end; None when a helper
    does not pay now. On a cold cache (``cache.cold``) one starts at once when such roots wait, and after
    the first miss when enough Kustomizations wait; otherwise once ``RECENT_MISSES`` of the last lookups
    missed and ``HELP_FROM`` Kustomizations wait."""
    roots = [r for r in later if id(r) not in cache.handed]
    if cache.cold and roots:
        return roots
    needed = 1 if cache.cold else RECENT_MISSES
    if sum(cache.recent) < needed or waiting + len(roots) < HELP_FROM:
        return None
    return roots


def start_helper(cb: ClusterBuilder, cache: NodeCache, walk: Walk, later: list[KsNode]) -> None:
    """Fork a helper (``cache.feed``) when one pays (``helper_roots``): it builds the roots it is given,
    last first, then the rest of ``walk``'s queue from its end, sending each build to ``cache``. A helper
    that did all it was given and left is reaped here and followed by another."""
    queue, seen, nodes = walk
    found = helper_roots(cache, len(queue), later) if cb.options.helpers else None
    if found is None:
        return
    roots = found
    from homeops.cache.helper import Helper

    def work(send: Send) -> None:
        cache.sink = send
        for root in reversed(roots):
            cb.walk_root(root, nodes, None)
        cb.walk_queue(queue, seen, nodes, None)

    if cache.feed is not None:
        cache.feed.stop()
    load_build_modules()
    cache.feed = Helper.start(work)
    if cache.feed is not None:
        cache.handed.update(id(r) for r in roots)


def load_build_modules() -> None:
    """Import what building a Kustomization imports on first use (kustomize's steps, Flux's generator and
    substitution, the emitter), so that a helper forked next shares it instead of importing it again."""
    import importlib

    from homeops.kustomize.engine import load_steps

    load_steps()
    for name in ("generator", "varsub", "substtree", "envsubst"):
        importlib.import_module(f"homeops.flux.{name}")
    importlib.import_module("homeops.yaml.emitter")


def _parse_store(options: ClusterOptions, builder: Builder) -> ParseStore | None:
    """The parse cache of the repository's files (with the build cache only)."""
    if options.cache_dir is None:
        return None
    from homeops.cache.packs import pack_key
    from homeops.cache.parses import STATS_FORMAT, ParseStore
    from homeops.cache.store import Store

    loader = builder.loader
    backing = Store(options.cache_dir, options.cache_max_size)
    store = ParseStore.of_loader(backing, loader, options.cache_identity)
    loader.parse_store = store
    work_tree = options.cache_identity is None or os.path.realpath(options.cache_identity) == str(loader.root)
    if work_tree:  # the work tree itself (diff's head too), not a temporary checkout of another ref
        from homeops.cache.stats import StatMemo

        store.stats = loader.stat_memo = StatMemo(backing, pack_key("s", STATS_FORMAT, str(loader.root)))
    return store


def cache_writer(parses: ParseStore | None, cache: NodeCache | None) -> Callable[[], None]:
    """What writes the parse and build caches of a run (and prunes the store when it wrote), once: a
    second call does nothing."""
    pending = [True]

    def finish() -> None:
        if not pending:
            return
        pending.clear()
        if parses is not None:
            parses.flush()
        if cache is not None:
            cache.flush()
        if cache is not None and (cache.store.written or (parses is not None and parses.store.written)):
            cache.store.prune()

    return finish


def node_cache(options: ClusterOptions, builder: Builder) -> NodeCache | None:
    """The build cache for ``options`` (none when off, or when remote resources are fetched: their
    content is not part of the key)."""
    from homeops.kustomize.remote import remote_of

    if options.cache_dir is None or options.allow_network or remote_of(builder.loader) is not None:
        return None
    from homeops.cache.nodes import NodeCache, context_key
    from homeops.cache.store import Store

    context = context_key(strict=options.strict, identities=options.identities)
    store = Store(options.cache_dir, options.cache_max_size)
    return NodeCache(store, context, builder.loader, options.cache_identity)


def stored_objects(objects: list[YMap]) -> StoredObjects:
    """``objects`` as a cache entry holds them: the ``WALK_KINDS`` ones with the entry, the others in a
    ``Deferred`` part that a later run unpickles only when it uses them."""
    from homeops.cache.nodes import Deferred

    walk: list[YMap] = []
    rest: list[YMap] = []
    order = bytearray()
    ids: list[Identity] = []
    for obj in objects:
        eager = obj.get("kind") in WALK_KINDS
        (walk if eager else rest).append(obj)
        order.append(eager)
        found = object_identity(obj)
        if found is not None:
            ids.append(found)
    return StoredObjects(walk, Deferred(rest), bytes(order), ids)
