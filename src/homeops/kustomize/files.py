"""File access for kustomize builds: confined to one root, size-limited, parsed once and cached.

Every path a kustomization names goes through ``FileLoader.resolve``, which refuses paths no file can have
(a NUL byte, over-long names: ``path_problem``) with the location of the reference.

kustomize's own load restrictor is off (as in Flux builds), so a kustomization may read any file under the
root; nothing outside the root is ever read. Parsed YAML is cached by content hash, so a file shared by
many kustomizations is parsed once per process.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from homeops.errors import BuildError, InputError, Location
from homeops.yaml.loader import MAX_FILE_BYTES, load_documents
from homeops.yaml.nodes import deep_copy

_REMOTE = re.compile(r"^(?:https?://|git::|git@|ssh://|github\.com/|gitlab\.com/|bitbucket\.org/)", re.I)


MAX_NAME_BYTES = 255
"""Longest file name (one path component) homeops accepts: NAME_MAX on Linux and macOS."""

MAX_PATH_BYTES = 4096
"""Longest path homeops accepts: PATH_MAX on Linux."""


def path_problem(path: str) -> str | None:
    """Why ``path`` (read from a file: ``resources``, generator ``files``, ``spec.path``...) cannot name a
    file, or None: a NUL byte, text that is not valid, a name longer than MAX_NAME_BYTES or a path longer
    than MAX_PATH_BYTES. The operating system would fail on them with an error that names no place."""
    if "\0" in path:
        return "the path holds a NUL byte"
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:
        return "the path is not valid text"
    if len(raw) > MAX_PATH_BYTES:
        return f"the path is longer than {MAX_PATH_BYTES} bytes ({len(raw)})"
    longest = max(raw.split(b"/"), key=len)
    if len(longest) > MAX_NAME_BYTES:
        return f"a file name in the path is longer than {MAX_NAME_BYTES} bytes ({len(longest)})"
    return None


def shown_path(path: str, limit: int = 80) -> str:
    """``path`` quoted for a message, shortened when it is long."""
    return repr(path if len(path) <= limit else path[: limit - 3] + "...")


def check_path(path: str, where: Location | None) -> None:
    """Raise BuildError (at ``where``) when ``path`` cannot name a file (see ``path_problem``)."""
    problem = path_problem(path)
    if problem is not None:
        raise BuildError(f"invalid path {shown_path(path)}: {problem}", location=where)


def is_remote(ref: str) -> bool:
    """True for the remote resource forms kustomize would fetch (http(s) URLs and git references)."""
    return bool(_REMOTE.match(ref)) or ("?ref=" in ref and "//" in ref)


def _content_hash(data: bytes) -> str:
    """The content hash of a file's bytes (hex, 128-bit BLAKE2b): what every cache key holds."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class ParseCache(Protocol):
    """Parsed documents by (content hash, display name), kept across runs."""

    def get(self, key: tuple[str, str]) -> list[Any] | None: ...

    def put(self, key: tuple[str, str], docs: list[Any]) -> None: ...


class DigestMemo(Protocol):
    """Content hashes of files by their ``stat`` signature, kept across runs (``homeops.cache.stats``)."""

    def lookup(self, path: str, max_size: int) -> str | None: ...

    def record(self, path: str, st: os.stat_result, digest: str) -> None: ...


class RealPaths:
    """``str(Path(path).resolve())`` of absolute paths, one directory at a time, each directory once: a path
    costs one ``lstat`` for its last component instead of one per component. A symbolic link, and a last
    component of ``.`` or ``..``, are resolved by ``Path.resolve`` itself (a loop raises RuntimeError, as it
    does)."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        found = self._found.get(path)
        if found is None:
            parent, name = os.path.split(path)
            if name in ("", ".", "..") or not os.path.isabs(path):
                found = str(Path(path).resolve())
            else:
                joined = os.path.join(self(parent), name)
                found = str(Path(joined).resolve()) if os.path.islink(joined) else joined
            self._found[path] = found
        return found


class FileLoader:
    """Reads files under ``root`` for a build, with a parse cache keyed by content hash."""

    def __init__(self, root: Path, *, max_bytes: int = MAX_FILE_BYTES, cwd: Path | None = None) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self.cwd = (cwd or Path.cwd()).resolve()
        self._parsed: dict[tuple[str, str], list[Any]] = {}
        self._bytes: dict[Path, bytes] = {}
        self._digests: dict[str, str] = {}  # content hashes by ``str`` of the path (see known_digest)
        self._resolved: dict[tuple[Path, str], Path] = {}
        self._display: dict[Path, str] = {}
        self._reals = RealPaths()
        self.kustomization_files: dict[Path, list[Path]] = {}  # see find_kustomization_file
        self.reads: set[Path] | None = None  # when a set, every path read is added to it (see ``tracking``)
        self.parse_store: ParseCache | None = None  # parsed documents kept across runs (the build cache)
        self.stat_memo: DigestMemo | None = None  # digests without reading the files (the build cache)
        self._remembered: set[Path] = set()  # digests taken from stat_memo, of files not read yet
        self._handed: set[tuple[str, str]] = set()  # parses given fresh from parse_store (see load_yaml)

    @contextmanager
    def tracking(self) -> Iterator[set[Path]]:
        """Collect the resolved path of every file read inside the ``with`` block (a failed build too)."""
        previous, current = self.reads, set[Path]()
        self.reads = current
        try:
            yield current
        finally:
            if previous is not None:
                previous |= current
            self.reads = previous

    @contextmanager
    def untracked(self) -> Iterator[None]:
        """Reads inside the ``with`` block count for no ``tracking`` block in progress."""
        previous, self.reads = self.reads, None
        try:
            yield
        finally:
            self.reads = previous

    def display(self, path: Path) -> str:
        """How a path is shown in messages: relative to the current directory when below it."""
        cached = self._display.get(path)
        if cached is None:
            cached = self._display[path] = self._display_uncached(path)
        return cached

    def _display_uncached(self, path: Path) -> str:
        text, cwd = str(path), str(self.cwd)
        if path.is_absolute() and "/.." not in text and "/./" not in text:  # normal: a lexical test will do
            if text == cwd:
                return "."
            below = cwd if cwd.endswith(os.sep) else cwd + os.sep
            return text[len(below) :] if text.startswith(below) else text  # what relpath gives, or as is
        try:
            return os.path.relpath(path, self.cwd) if path.is_relative_to(self.cwd) else str(path)
        except ValueError:  # pragma: no cover - different drives
            return str(path)

    def resolve(self, base_dir: Path, ref: str, where: Location) -> Path:
        """Resolve ``ref`` relative to ``base_dir``; refuse anything that leaves the root."""
        real = self._resolved.get((base_dir, ref))
        if real is None:
            check_path(ref, where)
            check_path(os.path.join(base_dir, ref), where)
            candidate = os.path.normpath(base_dir / ref)
            try:
                real = Path(self.realpath(candidate))
            except (OSError, RuntimeError) as exc:
                raise BuildError(f"cannot resolve {ref!r}: {exc}", location=where) from None
            self._resolved[(base_dir, ref)] = real
        if not real.is_relative_to(self.root):
            raise BuildError(
                f"{ref!r} resolves to {real}, outside the repository root {self.root}",
                location=where,
                hint="homeops never reads outside the root; pass --root to widen it",
            )
        return real

    def realpath(self, path: str) -> str:
        """``Path(path).resolve()`` of a normal absolute path (see ``RealPaths``)."""
        return self._reals(path)

    def read_bytes(self, path: Path, where: Location | None = None) -> bytes:
        """The bytes of ``path`` (already resolved under the root)."""
        if self.reads is not None:
            self.reads.add(path)
        cached = self._bytes.get(path)
        if cached is not None:
            return cached
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                size = st.st_size
                if size > self.max_bytes:
                    raise InputError(
                        f"{self.display(path)} is too large ({size} bytes; the limit is {self.max_bytes})",
                        location=where or Location(self.display(path)),
                    )
                data = fh.read()
        except FileNotFoundError:
            raise BuildError(f"file not found: {self.display(path)}", location=where) from None
        except OSError as exc:
            raise BuildError(f"cannot read {self.display(path)}: {exc.strerror}", location=where) from None
        self._bytes[path] = data
        name = str(path)
        if path in self._remembered:  # its digest came from the memo, and keys were made with it
            self._remembered.discard(path)
            if _content_hash(data) != self._digests[name]:
                raise BuildError(
                    f"{self.display(path)} changed while homeops was reading the repository; run it again",
                    location=where,
                )
        elif self.stat_memo is not None and name not in self._digests:
            found = self._digests[name] = _content_hash(data)
            self.stat_memo.record(name, st, found)
        return data

    def digest(self, path: Path, where: Location | None = None) -> str:
        """The content hash of ``path`` (hex, 128-bit BLAKE2b), once per file and run: from ``stat_memo``
        when the file's signature is the one recorded with it, else read and hashed."""
        name = str(path)
        found = self._digests.get(name)
        if found is None and self.stat_memo is not None and path not in self._bytes:
            found = self.stat_memo.lookup(name, self.max_bytes)
            if found is not None:
                self._digests[name] = found
                self._remembered.add(path)
        if found is None:
            data = self.read_bytes(path, where)  # with a stat memo, this took the digest too
            found = self._digests.get(name)
            if found is None:
                found = self._digests[name] = _content_hash(data)
            return found
        if self.reads is not None:
            self.reads.add(path)
        return found

    def known_digest(self, path: str) -> str | None:
        """The digest this run already took of the file at ``path`` (as ``str`` of the path it was read by:
        a normal absolute path), else None; no ``Path`` is made (the build cache asks for a thousand)."""
        return self._digests.get(path)

    def load_yaml(self, path: Path, where: Location | None = None) -> list[Any]:
        """Parsed documents of ``path``, the caller's own (it may change them): copies of the shared parse
        (``parsed``), or at the first use of a file that ``parse_store`` holds and this run has not parsed,
        the documents loaded from the store, which nothing else holds (most files are used once: a copy
        of what was just loaded would be thrown away)."""
        key = self.parse_key(path, where)
        store = self.parse_store
        if store is not None and key not in self._parsed and key not in self._handed:
            fresh = store.get(key)
            if fresh is not None:
                self._handed.add(key)
                return fresh
        return [deep_copy(d) for d in self.parsed(path, where)]

    def parse_key(self, path: Path, where: Location | None = None) -> tuple[str, str]:
        """The key the parse of ``path`` is kept under: (content hash, name shown)."""
        return self.digest(path, where), self.display(path)

    def parsed(self, path: Path, where: Location | None = None) -> list[Any]:
        """Parsed documents of ``path``, shared: callers must not mutate them (see ``load_yaml``)."""
        key = self.parse_key(path, where)
        display = key[1]
        docs = self._parsed.get(key)
        if docs is None:
            store = self.parse_store
            docs = store.get(key) if store is not None else None
            if docs is None:
                docs = load_documents(self.read_bytes(path, where), display)
                if store is not None:
                    store.put(key, docs)
            self._parsed[key] = docs
        return docs
