"""The build cache of Flux Kustomizations: one entry per build, addressed by the content of its inputs.

A node's inputs are known in two steps. Before the build: its spec after the parents' patches and
substitution, where it is defined, the directory built, the substitution variables it resolved, and the
context (homeops version, repository root, working directory, strictness, decryption keys). Their hash is
the *pre-key*. After a build, the files it read (``FileLoader.tracking``) and the directories whose listing
can change it (the parent of every file read, the directory built, and its whole subtree when Flux
generates the kustomization there) are recorded in a *manifest* under the pre-key. The entry itself is
keyed by the pre-key plus the hash of every one of those files and listings as they are now: a changed,
added or removed file gives another key, and a file that comes back to an earlier content finds its
earlier entry again. Only successful builds are cached.

Nothing in a key depends on where the repository is: paths are taken relative to its root, and positions
in a stored build are stored relative to it and restored under the current root. A checkout of another ref
(``diff``'s base) therefore finds the entries of every node whose inputs it shares with the work tree.

The manifests and entries of one repository (and working directory) live in one pack (see
``homeops.cache.packs``), ``n<key><shard>`` in the ``Store``: 16 files instead of two per Kustomization, so
on a repository of 250 Kustomizations a cold run creates 16 files, not 500, and a run that rebuilt one app
rewrites one or two of them.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import json
import os
import pickle
import sys
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops import __version__
from homeops.cache.packs import Pack, pack_key
from homeops.cache.store import Store
from homeops.errors import HomeopsError
from homeops.kustomize.files import FileLoader
from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES
from homeops.yaml.nodes import Pos, YMap, YSeq

if TYPE_CHECKING:
    from homeops.cache.helper import Helper, Send
    from homeops.flux.cluster import KsNode

_FORMAT = b"homeops-ks-cache-9"
RECENT = 8
"""How many of the last lookups ``NodeCache.recent`` remembers."""
_ABSENT = b"\x00absent"


@dataclass(frozen=True, slots=True)
class NodeResult:
    """What a successful build of one node produced (restored on a hit)."""

    objects: Any  # the flux layer's StoredObjects (homeops.flux.clustertypes): its rest is Deferred
    unresolved: list[Any]
    uses: list[Any]
    notes: list[str]
    kustomization: YMap | None
    files: frozenset[str]
    problems: list[str]  # decryption problems the build recorded


def _rel_file(file: str) -> str:
    """A file name stored relative to the repository root (``_Unpickler`` puts the root back)."""
    return file


def _deferred(blob: bytes) -> Any:
    """A ``Deferred`` value as stored (``_Unpickler`` binds it to the loading run's ``TreeLoader``)."""
    raise TypeError("a Deferred value is loaded by TreeLoader only")


class Deferred:
    """Part of a stored value pickled into a blob of its own and unpickled on the first ``get``: a run
    reads only the parts of the entries it loaded that it uses (most objects of a cached build are only
    written out or checked, and a summary-only run does neither)."""

    __slots__ = ("_blob", "_loader", "_value")

    def __init__(self, value: Any) -> None:
        self._value = value
        self._blob: bytes | None = None
        self._loader: TreeLoader | None = None

    @classmethod
    def stored(cls, blob: bytes, loader: TreeLoader) -> Deferred:
        found = cls(None)
        found._blob, found._loader = blob, loader
        return found

    def get(self) -> Any:
        if self._blob is not None and self._loader is not None:
            self._value = self._loader.load(self._blob)
            self._blob = self._loader = None
        return self._value


class _Unpickler(pickle.Unpickler):
    """Loads an entry, placing root-relative file names under ``prefix`` (how this run shows the root);
    ``classes`` memoises what ``find_class`` resolved (the import machinery costs ~10 µs a call, and a run
    loads thousands of entries)."""

    def __init__(self, data: bytes, tree: TreeLoader) -> None:
        super().__init__(io.BytesIO(data))
        self._prefix = tree.prefix
        self._tree = tree
        self._classes = tree.classes

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_rel_file":
            prefix = self._prefix

            def place(file: str) -> str:
                return prefix + file

            return place
        if module == __name__ and name == "_deferred":
            tree = self._tree

            def defer(blob: bytes) -> Deferred:
                return Deferred.stored(blob, tree)

            return defer
        found = self._classes.get((module, name))
        if found is None:
            found = self._classes[(module, name)] = super().find_class(module, name)
        return found


class TreeLoader:
    """Loads what ``dumps_tree`` stored, root-relative positions placed under ``prefix``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.classes: dict[tuple[str, str], Any] = {}

    def load(self, data: bytes) -> Any:
        return _Unpickler(data, self).load()


_NEWOBJ: Any = getattr(copyreg, "__newobj__")  # noqa: B009 - the NEWOBJ opcode's callable; untyped in typeshed
_NEW_TUPLE: Any = tuple.__new__


def _reduce_map(m: YMap) -> tuple[Any, ...]:
    # NEWOBJ, SETITEMS and slot state: the unpickler rebuilds a YMap without calling Python code
    return (
        _NEWOBJ,
        (YMap,),
        (None, {"pos": m.pos, "kpos": m.kpos, "empty": m.empty}),
        None,
        iter(m.items()),
    )


def _reduce_seq(s: YSeq) -> tuple[Any, ...]:
    return _NEWOBJ, (YSeq,), (None, {"pos": s.pos, "ipos": s.ipos}), iter(s), None


class _RelFile:
    """Stands for one root-relative file name while pickling: saved once, as a call of ``_rel_file``,
    and referenced from the pickle's memo by every position in that file."""

    __slots__ = ("rel",)

    def __init__(self, rel: str) -> None:
        self.rel = rel

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return _rel_file, (self.rel,)


def dumps_tree(value: Any, prefix: str) -> bytes:
    """Pickle ``value`` (parsed documents, a node's build; see ``TreeLoader``). Positions (tens of
    thousands per build) are rebuilt by ``tuple.__new__`` alone, with no Python code per position; a file
    name under the root (``prefix`` is how this run shows it) is stored once per pickle, relative to it,
    and placed under the loading run's root."""
    files: dict[str, Any] = {}

    def reduce_pos(pos: Pos) -> tuple[Any, tuple[Any, ...]]:
        file = pos.file
        marker = files.get(file)
        if marker is None:
            rel = file[len(prefix) :]
            marker = files[file] = (
                _RelFile(rel) if file.startswith(prefix) and not os.path.isabs(rel) else file
            )
        return _NEW_TUPLE, (Pos, (marker, pos.line, pos.column))

    def reduce_deferred(d: Deferred) -> tuple[Any, tuple[bytes]]:
        return _deferred, (dumps_tree(d.get(), prefix),)

    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {
        **copyreg.dispatch_table,
        Pos: reduce_pos,
        YMap: _reduce_map,
        YSeq: _reduce_seq,
        Deferred: reduce_deferred,
    }
    pickler.dump(value)
    return buf.getvalue()


def _h(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=20)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def context_key(*, strict: bool, identities: Iterable[str], extra: str = "") -> bytes:
    """What every node's build depends on besides its own inputs (not where the repository is)."""
    ids = hashlib.blake2b("\n".join(identities).encode(), digest_size=16).hexdigest()
    parts = [_FORMAT.decode(), __version__, sys.version, str(strict), ids, extra]
    return "\n".join(parts).encode()


class NodeCache:
    """Looks up and stores node builds in a ``Store``; file and listing hashes are memoised per run."""

    def __init__(self, store: Store, context: bytes, loader: FileLoader, identity: str | None = None) -> None:
        self.store = store
        self.context = context
        self.loader = loader
        self.root = str(loader.root)
        shown = loader.display(loader.root)
        self.prefix = "" if shown == "." else shown.rstrip("/") + "/"  # positions under the root start so
        self.pack: Pack[str] = Pack(
            store, pack_key("n", _FORMAT.decode(), __version__, identity or self.root)
        )
        self._tree = TreeLoader(self.prefix)
        self._files: dict[str, bytes] = {}  # digests by the names manifests store (see _key)
        self._dirs: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0
        self.recent: deque[bool] = deque(maxlen=RECENT)  # the last lookups, True for a miss (see helpers)
        self.last_key = ""  # the entry key of the last lookup hit or save: equal keys, equal builds
        self.feed: Helper | None = None  # a helper process filling this cache (see homeops.cache.helper)
        self.cold = False  # most of the repository's files are new to the cache: expect builds to miss
        self.handed: set[int] = set()  # the roots (ids of their nodes) a helper process was given to build
        self.sink: Send | None = None  # in a helper process: where each saved entry goes

    # -- keys -----------------------------------------------------------------------------------------
    def prekey(self, node: KsNode, kdir: Path, variables: Any) -> str:
        spec = json.dumps(node.ks.obj, sort_keys=True, default=repr)  # dict and list subclasses as such
        return _h(
            self.context,
            node.tree.encode(),
            spec.encode(),
            repr(node.defined_at).encode(),
            self._rel(str(kdir)).encode(),
            self._rel(str(node.source_dir)).encode(),
            repr(variables).encode(),
            "\n".join(node.notes).encode(),
        )

    def _rel(self, path: str) -> str:
        """``path`` relative to the root (``.`` for the root itself); other paths unchanged."""
        if path == self.root:
            return "."
        if path.startswith(self.root + os.sep):
            return path[len(self.root) + 1 :]
        return path

    def _abs(self, rel: str) -> str:
        return rel if os.path.isabs(rel) else os.path.normpath(os.path.join(self.root, rel))

    def _file_digest(self, name: str) -> bytes:
        """The digest of file ``name`` (as a manifest stores it), once a run."""
        found = self._files.get(name)
        if found is None:
            path = self._abs(name)
            try:
                known = self.loader.known_digest(path)
                found = bytes.fromhex(known if known is not None else self.loader.digest(Path(path)))
            except HomeopsError:
                found = _ABSENT
            self._files[name] = found
        return found

    def _dir_digest(self, name: str) -> bytes:
        """The digest of the listing of directory ``name`` (as a manifest stores it), once a run."""
        found = self._dirs.get(name)
        if found is None:
            try:
                entries = sorted(os.scandir(self._abs(name)), key=lambda e: e.name)
            except OSError:
                found = _ABSENT
            else:
                parts = []
                for e in entries:
                    if e.is_symlink():
                        try:
                            kind = "l" + os.readlink(e.path)
                        except OSError:
                            kind = "l?"
                    else:
                        kind = "d" if e.is_dir() else "f"
                    parts.append(f"{e.name}\0{kind}")
                found = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).digest()
            self._dirs[name] = found
        return found

    def _key(self, prekey: str, files: list[str], dirs: list[str]) -> str:
        """``files`` and ``dirs`` are relative to the root (or absolute when outside it)."""
        parts = [prekey.encode()]
        for f in files:
            parts += [f.encode(), self._file_digest(f)]
        for d in dirs:
            parts += [d.encode(), self._dir_digest(d)]
        return _h(*parts)

    # -- lookup and store ---------------------------------------------------------------------------------
    def lookup(self, prekey: str) -> NodeResult | None:
        """The stored build for ``prekey`` and the current files, else None; ``last_key`` is its key."""
        self.last_key = ""
        if self.feed is not None:  # what a helper process built meanwhile
            self.pack.take(self.feed.receive())
        manifest = self.pack.get("m" + prekey)
        result: NodeResult | None = None
        if manifest is not None:
            name = "m" + prekey
            try:
                files, dirs = pickle.loads(manifest)
                key = self._key(prekey, files, dirs)
                name = "e" + key
                payload = self.pack.get(name)
                if payload is not None:
                    loaded = self._tree.load(payload)
                    result = loaded if isinstance(loaded, NodeResult) else None
                    self.last_key = key if result is not None else ""
            except Exception:  # a damaged blob, or one of another format: dropped and rebuilt
                self.pack.forget(name)
                result = None
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        self.recent.append(result is None)
        return result

    def save(self, prekey: str, kdir: Path, reads: Iterable[Path], result: NodeResult) -> None:
        """Store a successful build; ``last_key`` becomes its key ("" when it cannot be stored)."""
        self.last_key = ""
        absolute = {str(p) for p in reads}
        dirs = {str(kdir)} | {os.path.dirname(f) for f in absolute}
        if not any(os.path.isfile(os.path.join(kdir, n)) for n in KUSTOMIZATION_FILE_NAMES):
            for top, subdirs, _ in os.walk(kdir):
                subdirs[:] = [d for d in subdirs if d != ".git"]
                dirs.add(top)
        files = sorted(self._rel(f) for f in absolute)
        ordered = sorted(self._rel(d) for d in dirs)
        try:
            payload = dumps_tree(result, self.prefix)
        except Exception:  # an object that cannot be stored: not cached
            return
        self.last_key = self._key(prekey, files, ordered)
        manifest = pickle.dumps((files, ordered), protocol=pickle.HIGHEST_PROTOCOL)
        self.pack.put("e" + self.last_key, payload)
        self.pack.put("m" + prekey, manifest)
        if self.sink is not None:  # a helper process: the parent's cache gets the entry
            self.sink("e" + self.last_key, payload)
            self.sink("m" + prekey, manifest)

    def flush(self) -> None:
        """Write what this run added (see the module docstring)."""
        self.pack.flush()
