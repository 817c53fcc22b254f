"""A Git repository as Flux sees it: every YAML file of the artifact loaded once, every object indexed.

Loading never stops on a bad file: a file that cannot be read or parsed becomes a ``LoadProblem`` with its
location, and the rest of the repository still loads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.errors import InputError, Location
from homeops.flux.kinds import (
    HELM_GROUP,
    KUSTOMIZE_GROUP,
    SOURCE_GROUP,
    SOURCE_KINDS,
    FluxKustomization,
    FluxSource,
    HelmRelease,
    flux_kind,
)
from homeops.flux.sourceignore import SourceIgnore, walk_yaml_rel
from homeops.kustomize.files import RealPaths
from homeops.kustomize.gvk import split_api_version
from homeops.sops.marks import is_sops_encrypted
from homeops.yaml.loader import load_file
from homeops.yaml.nodes import YMap


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A file that could not be loaded, and why."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class FileDocs:
    """The parsed documents of one file, read when first asked for (``load``) unless given (``docs``)."""

    __slots__ = ("docs", "load")

    def __init__(self, docs: list[Any] | None, load: Callable[[], list[Any]] | None = None) -> None:
        self.docs = docs
        self.load = load

    def get(self, index: int) -> Any:
        docs = self.docs
        if docs is None:
            assert self.load is not None
            docs = self.docs = self.load()
        return docs[index]


EntryIndex = tuple[tuple[int, str, str, "str | None", "str | None", int, bool], ...]
"""What a file's entries are, without their objects: (document index, apiVersion, kind, namespace, name,
line, SOPS-encrypted) per entry, as ``entry_index`` makes it and ``indexed_entries`` reads it."""


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    """One Kubernetes object found in the repository (``obj`` is read from its file when first used)."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None
    file: Path
    rel: str
    line: int
    docs: FileDocs = field(repr=False, compare=False)
    index: int = field(default=0, repr=False, compare=False)  # the document's place in its file
    sops: bool = field(default=False, compare=False)  # the document carries SOPS metadata

    @property
    def obj(self) -> YMap:
        found: YMap = self.docs.get(self.index)
        return found

    @property
    def group(self) -> str:
        """The API group (``""`` for the core group)."""
        return split_api_version(self.api_version)[0]

    @property
    def location(self) -> Location:
        """Where the object starts."""
        return Location(self.rel, self.line)


class Repository:
    """Every object of a repository's artifact, indexed by kind, group, namespace and name."""

    def __init__(
        self,
        root: Path,
        files: list[Path],
        entries: list[ObjectEntry],
        problems: list[LoadProblem],
        load_seconds: float = 0.0,
    ) -> None:
        self.root = root
        self.files = tuple(files)
        self.entries = tuple(entries)
        self.problems = tuple(problems)
        self.load_seconds = load_seconds
        self.aliases: dict[
            str, str
        ] = {}  # a file outside the root (an artifact's copy) -> the file it copies
        self._by_id: dict[tuple[str, str | None, str | None], list[ObjectEntry]] = {}
        self._by_rel: dict[str, list[ObjectEntry]] = {}
        self._rel_files: dict[str, str] = {}  # rel_file's answers under the root
        self._realpath = RealPaths()  # rel_file's real paths, each directory resolved once
        for e in self.entries:
            self._by_id.setdefault((e.kind, e.namespace, e.name), []).append(e)
            self._by_rel.setdefault(e.rel, []).append(e)

    @classmethod
    def load(
        cls,
        root: Path,
        *,
        ignore: SourceIgnore | None = None,
        extra_ignore: str | None = None,
        on_files: Callable[[list[Path]], None] | None = None,
        entries_of: Callable[[Path, str], list[ObjectEntry]] | None = None,
    ) -> Repository:
        """Load every YAML file under ``root`` that Flux's artifact would hold.

        ``ignore`` replaces the matcher built from the ``.sourceignore`` files; ``extra_ignore`` is a
        GitRepository ``spec.ignore`` to honour as well. ``on_files(files)`` is told the files before they
        are parsed; ``entries_of(path, rel)`` replaces parsing and indexing, so that a build engine's parse
        cache is shared (each file parsed once per process) and its index gives a file's entries without
        reading their objects.
        """
        started = time.perf_counter()
        root = root.resolve()
        matcher = ignore if ignore is not None else SourceIgnore.from_repo(root, extra_ignore)
        found = walk_yaml_rel(root, matcher)
        files = [path for _, path in found]
        if on_files is not None:
            on_files(files)
        entries: list[ObjectEntry] = []
        problems: list[LoadProblem] = []
        for rel, path in found:
            try:
                if entries_of is not None:
                    entries += entries_of(path, rel)
                else:
                    entries += file_entries(load_file(path, rel), path, rel)
            except InputError as exc:
                problems.append(LoadProblem(exc.location or Location(rel), exc.message))
                continue
        return cls(root, files, entries, problems, time.perf_counter() - started)

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, ``/``-separated."""
        text, root = str(path), str(self.root)
        if text.startswith(root + os.sep) and ".." not in path.parts and path.parent.resolve() == path.parent:
            return text[len(root) + 1 :].replace(os.sep, "/")  # already resolved: no symlink to follow
        return path.resolve().relative_to(self.root).as_posix()

    def rel_file(self, file: str) -> str:
        """A file name as positions and errors carry it (relative to the current directory, or absolute)
        shown relative to the root, ``/``-separated; unchanged when it lies outside the root."""
        if not file:
            return ""
        known = self._rel_files.get(file)
        if known is not None:
            return known
        if not os.path.isabs(file):
            real = self._realpath(os.path.join(os.getcwd(), file))  # normalised: a prefix test suffices
            root = str(self.root)
            prefix = root if root.endswith(os.sep) else root + os.sep
            if real.startswith(prefix):
                rel = self._rel_files[file] = real[len(prefix) :].replace(os.sep, "/")
                return rel
            if real == root:
                return "."
            return self.aliases.get(real, file)
        path = Path(file)
        try:
            rel = self._rel_files[file] = path.relative_to(self.root).as_posix()  # thousands of calls a build
            return rel
        except ValueError:
            return self.aliases.get(str(path), file)  # not kept: an artifact's copies join ``aliases`` later

    def objects(
        self, kind: str | None = None, group: str | None = None, namespace: str | None = None
    ) -> list[ObjectEntry]:
        """Objects filtered by kind, API group and namespace (None means any), in file order."""
        return [
            e
            for e in self.entries
            if (kind is None or e.kind == kind)
            and (group is None or e.group == group)
            and (namespace is None or e.namespace == namespace)
        ]

    def find(
        self, kind: str, namespace: str | None, name: str, group: str | None = None
    ) -> ObjectEntry | None:
        """The first object with this kind, namespace and name (and group when given), else None."""
        for e in self._by_id.get((kind, namespace, name), ()):
            if group is None or e.group == group:
                return e
        return None

    def find_all(self, kind: str, namespace: str | None, name: str) -> list[ObjectEntry]:
        """Every object with this kind, namespace and name (more than one means a duplicate)."""
        return list(self._by_id.get((kind, namespace, name), ()))

    def in_file(self, rel: str) -> list[ObjectEntry]:
        """The objects of one file, by its root-relative path."""
        return list(self._by_rel.get(rel, ()))

    def flux_entries(self, group: str, kind: str) -> Iterator[ObjectEntry]:
        """The entries of Flux kind ``kind`` of ``group`` in a served version, in file order (their objects
        are not read)."""
        for e in self.entries:
            if e.kind == kind and e.group == group and flux_kind(e.api_version, e.kind):
                yield e

    def flux_kustomizations(self) -> list[FluxKustomization]:
        """Every Flux Kustomization, in file order."""
        return [
            FluxKustomization.from_obj(e.obj) for e in self.flux_entries(KUSTOMIZE_GROUP, "Kustomization")
        ]

    def helmreleases(self) -> list[HelmRelease]:
        """Every HelmRelease, in file order."""
        return [HelmRelease.from_obj(e.obj) for e in self.flux_entries(HELM_GROUP, "HelmRelease")]

    def sources(self) -> list[FluxSource]:
        """Every source-controller object (GitRepository, OCIRepository, HelmRepository...), in file order."""
        return [
            FluxSource.from_obj(e.obj)
            for e in self.entries
            if e.kind in SOURCE_KINDS and e.group == SOURCE_GROUP and flux_kind(e.api_version, e.kind)
        ]


def file_entries(docs: list[Any], path: Path, rel: str) -> list[ObjectEntry]:
    """The entries of one file's parsed documents (those with an apiVersion and a kind)."""
    shared = FileDocs(docs)
    out = []
    for index, doc in enumerate(docs):
        entry = _entry(doc, path, rel, shared, index)
        if entry is not None:
            out.append(entry)
    return out


def entry_index(entries: list[ObjectEntry]) -> EntryIndex:
    """What ``indexed_entries`` needs to make ``entries`` again (for a cache)."""
    return tuple((e.index, e.api_version, e.kind, e.namespace, e.name, e.line, e.sops) for e in entries)


def docs_index(docs: list[Any], path: Path) -> EntryIndex:
    """The ``entry_index`` of one file's parsed documents (what the parse cache keeps beside them)."""
    return entry_index(file_entries(docs, path, ""))


def indexed_entries(
    index: EntryIndex, path: Path, rel: str, load: Callable[[], list[Any]]
) -> list[ObjectEntry]:
    """The entries ``index`` describes, their objects read by ``load`` when first used."""
    shared = FileDocs(None, load)
    return [
        ObjectEntry(api_version, kind, namespace, name, path, rel, line, shared, i, sops)
        for i, api_version, kind, namespace, name, line, sops in index
    ]


def _entry(doc: object, path: Path, rel: str, docs: FileDocs, index: int) -> ObjectEntry | None:
    if not isinstance(doc, YMap):
        return None
    api_version = doc.get("apiVersion")
    kind = doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    md = doc.get("metadata")
    name = md.get("name") if isinstance(md, dict) else None
    namespace = md.get("namespace") if isinstance(md, dict) else None
    return ObjectEntry(
        api_version=api_version,
        kind=kind,
        namespace=namespace if isinstance(namespace, str) else None,
        name=name if isinstance(name, str) else None,
        file=path,
        rel=rel,
        line=doc.pos.line if doc.pos else 0,
        docs=docs,
        index=index,
        sops=is_sops_encrypted(doc),
    )
