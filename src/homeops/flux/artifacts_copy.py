"""The copy operations of one ArtifactGenerator artifact, as source-watcher v2.0.x (Flux 2.7) runs them.

Modelled on internal/builder/builder.go (``applyCopyOperation`` and helpers) and merge.go of
fluxcd/source-watcher v2.0.3, plus the archiving of the staged tree by fluxcd/pkg/artifact
``Storage.Archive`` with ``SourceIgnoreFilter(nil, nil)``:

* ``from`` without any of ``*?[]`` is one path (cleaned): a directory is copied with its own name into
  ``to`` (``@a/dir``, ``@a/dir/`` -> ``to/dir/...``; ``@a/`` is the whole source into ``to``); a file goes to
  ``to/<name>`` when ``to`` ends with ``/`` or is a directory already staged, else to the path ``to``.
* Otherwise ``from`` is globbed with Go's ``io/fs.Glob`` (``**`` is ``*``: one level); every match keeps its
  full source path under ``to``, except that a pattern ending in ``/**`` drops its leading directory.
  Matched directories are copied recursively. A glob matching nothing, or only excluded paths, fails.
* ``exclude`` (doublestar) is matched against the source-relative path of a single file or glob match, and
  against the path relative to the copied directory while walking one (an excluded directory is pruned).
* Copies run in order; a later file replaces an earlier one. ``strategy: Merge`` deep-merges a YAML file
  (a single file or a file glob match, never a file inside a copied directory) into an already staged one:
  maps merge, everything else (lists too) is replaced, and multi-document files merge into one map.
* The artifact finally drops what the default source-ignore rules match (``.git/``, ``*.png``,
  ``.sops.yaml``, CI files...), as the archive filter does.

Sources never hold symbolic links (source-controller's archiver skips them and fluxcd/pkg/tar refuses them),
so links in a source directory are never followed; nothing outside a source directory is read.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.errors import BuildError, Location
from homeops.flux.artifacts_glob import (
    doublestar_match,
    doublestar_regex,
    go_has_meta,
    go_pattern_valid,
    go_segment_regex,
)
from homeops.flux.artifacts_spec import MERGE, ArtifactSpec, CopyOp, Problem
from homeops.flux.sourceignore import SourceIgnore
from homeops.flux.varsub import load_yaml11
from homeops.yaml.emitter import dump_document
from homeops.yaml.loader import read_limited

__all__ = ["ArtifactPlan", "SourceTree", "materialize", "plan_artifact"]


@dataclass(frozen=True, slots=True)
class SourceTree:
    """The files and directories a source artifact holds once extracted: regular files only, ``/`` paths
    relative to ``root`` (``.`` is the root). Build with :meth:`scan`, once per source."""

    root: Path
    files: frozenset[str]
    children: dict[str, tuple[str, ...]]  # every directory -> its entries, sorted as Go's ReadDir

    @classmethod
    def scan(cls, root: Path, ignore: SourceIgnore | None = None) -> SourceTree:
        """Walk ``root`` without following links; ``ignore`` leaves out what a GitRepository artifact
        leaves out (pass ``SourceIgnore.from_repo(root, spec.ignore)`` for a checkout)."""
        files: set[str] = set()
        children: dict[str, list[str]] = {}
        prune = ignore is None or not ignore.has_inclusions

        def visit(directory: Path, parts: tuple[str, ...]) -> bool:
            names: list[str] = []
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                return False
            for entry in entries:
                sub = (*parts, entry.name)
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    ignored = ignore is not None and ignore.match_parts(sub, True)
                    if ignored and prune:
                        continue
                    if visit(Path(entry.path), sub) or not ignored:
                        names.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    if ignore is not None and ignore.match_parts(sub, False):
                        continue
                    files.add("/".join(sub))
                    names.append(entry.name)
            children["/".join(parts) or "."] = names
            return bool(names)

        visit(root, ())
        kept: dict[str, tuple[str, ...]] = {}
        todo = ["."]
        while todo:  # only directories reachable from the root through kept entries
            d = todo.pop()
            kept[d] = tuple(children.get(d, ()))
            todo.extend(sub for n in kept[d] if (sub := _join(d, n)) in children)
        return cls(root, frozenset(f for f in files if (posixpath.dirname(f) or ".") in kept), kept)

    def is_dir(self, path: str) -> bool:
        return path in self.children

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.children

    def read_dir(self, path: str) -> tuple[str, ...]:
        """``fs.ReadDir`` on an ``os.Root`` FS: an invalid path or a non-directory has no entries."""
        return self.children.get(path, ()) if _valid_path(path) else ()


def _valid_path(p: str) -> bool:
    """Go's ``fs.ValidPath``."""
    return p == "." or (bool(p) and all(e not in ("", ".", "..") for e in p.split("/")))


def _clean(p: str) -> str:
    return posixpath.normpath(p) if p else "."


def _join(*parts: str) -> str:
    """Go's ``filepath.Join``: empty parts dropped, the result cleaned ("" when all are empty)."""
    kept = [p for p in parts if p]
    return posixpath.normpath("/".join(kept)) if kept else ""


def _escapes(p: str) -> bool:
    return p.startswith("/") or p == ".." or p.startswith("../")


@dataclass(frozen=True)
class ArtifactPlan:
    """The artifact tree of one spec. ``files`` maps each artifact path to the source file it is a copy
    of; ``merges`` each YAML-merged path to its layers (base first). Any ``problems`` mean source-watcher
    fails the build (the ExternalArtifact is not updated); ``files`` is then the best effort. Copies from
    ``missing_aliases`` (declared, but no directory given) were skipped."""

    name: str
    files: dict[str, Path] = field(default_factory=dict)
    merges: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    missing_aliases: tuple[str, ...] = ()

    @property
    def paths(self) -> list[str]:
        """Every file of the artifact, sorted."""
        return sorted({*self.files, *self.merges})

    @property
    def complete(self) -> bool:
        """No problem and no skipped source: this is the artifact source-watcher would produce."""
        return not self.problems and not self.missing_aliases


class _Fail(Exception):
    pass


def _load_merge_map(path: Path, display: str) -> dict[str, Any]:
    """merge.go ``loadYAML``: every document (split as k8s.io/apimachinery's YAMLReader) merged in turn."""
    text = read_limited(path, display).decode("utf-8", errors="replace")
    chunks: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if line.startswith("---") and not line[3:].strip():
            chunks.append([])
        else:
            chunks[-1].append(line)
    out: dict[str, Any] = {}
    for chunk in chunks:
        body = "".join(chunk)
        if not body.strip():
            continue
        try:
            value = load_yaml11(body, Location(display))
        except BuildError as exc:
            raise _Fail(f"cannot unmarshal YAML document of '{display}': {exc.message}") from None
        if value is None:
            continue
        if not isinstance(value, dict):
            raise _Fail(f"cannot unmarshal YAML document of '{display}': not a mapping")
        out = merge_map(out, value)
    return out


def merge_map(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """merge.go ``mergeMap``: maps merge recursively, any other overlay value replaces."""
    out = dict(base)
    for k, v in overlay.items():
        bv = out.get(k)
        out[k] = merge_map(bv, v) if isinstance(v, dict) and isinstance(bv, dict) else v
    return out


class _Stage:
    def __init__(self, name: str) -> None:
        self.name = name
        self.files: dict[str, Path] = {}
        self.merges: dict[str, tuple[Path, ...]] = {}
        self.dirs: set[str] = {"."}

    def has_file(self, p: str) -> bool:
        return p in self.files or p in self.merges

    def _ancestors(self, p: str) -> list[str]:
        out: list[str] = []
        while (p := posixpath.dirname(p)) not in ("", "."):
            out.append(p)
        return out

    def mkdir(self, d: str) -> None:
        c = _clean(d)
        if _escapes(c):
            raise _Fail(f"cannot create '{c}': path escapes from parent")
        if c == "." or self.has_file(c):  # EEXIST is success for createDirRecursive
            return
        if any(self.has_file(a) for a in self._ancestors(c)):
            raise _Fail(f"cannot create directory '{c}': not a directory")
        self.dirs.add(c)
        self.dirs.update(self._ancestors(c))

    def write(self, dest: str, source: Path) -> None:
        c = _clean(dest)
        if _escapes(c):
            raise _Fail(f"cannot create '{c}': path escapes from parent")
        if c in self.dirs:
            raise _Fail(f"cannot create '{c}': is a directory")
        if any(self.has_file(a) for a in self._ancestors(c)):
            raise _Fail(f"cannot create '{c}': not a directory")
        self.dirs.update(self._ancestors(c))
        self.merges.pop(c, None)
        self.files[c] = source

    def merge(self, dest: str, source: Path, display: str) -> None:
        c = _clean(dest)
        if c in self.dirs:
            raise _Fail(f"cannot merge into '{c}': is a directory")
        layers = self.merges.get(c) or (self.files[c],)
        _load_merge_map(source, display)
        if c not in self.merges:
            _load_merge_map(layers[0], c)
        self.files.pop(c, None)
        self.merges[c] = (*layers, source)


class _Copier:
    """One copy operation against the staged tree (``applyCopyOperation``)."""

    def __init__(self, op: CopyOp, alias: str, tree: SourceTree, stage: _Stage) -> None:
        self.op, self.alias, self.tree, self.stage = op, alias, tree, stage

    def excluded(self, path: str) -> bool:
        return any(doublestar_match(p, path) for p in self.op.exclude)

    def run(self, pattern: str, dest: str) -> None:
        if not any(c in pattern for c in "*?[]"):
            self.single(pattern, dest, self.op.to.endswith("/"))
            return
        if not go_pattern_valid(pattern):
            raise _Fail(f"invalid glob pattern '{pattern}': syntax error in pattern")
        matches = self.glob(pattern)
        if not matches:
            raise _Fail(f"no files match pattern '{pattern}' in source '{self.alias}'")
        kept = [m for m in matches if not self.excluded(m)]
        if not kept:
            raise _Fail(f"all files matching pattern '{pattern}' in source '{self.alias}' were excluded")
        prefix = pattern[:-3] + "/" if pattern.endswith("/**") else None
        for m in kept:
            rel = m[len(prefix) :] if prefix and m.startswith(prefix) else m
            self.entry(m, _join(dest, rel))

    def glob(self, pattern: str) -> list[str]:
        """Go's ``io/fs.Glob`` over the source tree."""
        if not go_has_meta(pattern):
            return [pattern] if _valid_path(pattern) and self.tree.exists(pattern) else []
        cut = pattern.rfind("/")
        directory, name = pattern[: cut + 1], pattern[cut + 1 :]
        directory = "." if not directory else directory[:-1]
        rx = go_segment_regex(name)
        assert rx is not None  # the whole pattern was validated
        bases = self.glob(directory) if go_has_meta(directory) else [directory]
        out: list[str] = []
        for base in bases:
            out.extend(_join(base, n) for n in self.tree.read_dir(base) if rx.fullmatch(n))
        return out

    def single(self, pattern: str, dest: str, dest_slash: bool) -> None:
        src = _clean(pattern)
        if _escapes(src):
            raise _Fail(f"failed to stat source '{src}': path escapes from parent")
        if not self.tree.exists(src):
            raise _Fail(f"source '{src}' does not exist")
        if self.tree.is_dir(src):
            self.entry(src, _join(dest, posixpath.basename(src) or "."))
            return
        if self.excluded(src):
            return
        if dest_slash or _clean(dest) in self.stage.dirs:
            dest = _join(dest, posixpath.basename(src))
        self.entry(src, dest)

    def entry(self, src: str, dest: str) -> None:
        """``copyFileWithRoots``."""
        if self.tree.is_dir(src):
            self.walk(src, dest)
        elif self.op.strategy == MERGE and (
            self.stage.has_file(_clean(dest)) or _clean(dest) in self.stage.dirs
        ):
            self.stage.merge(dest, self.tree.root / src, f"@{self.alias}/{src}")
        else:
            self.stage.write(dest, self.tree.root / src)

    def walk(self, src: str, dest: str) -> None:
        """``copyDirWithRoots``: lexical order, excludes relative to ``src``; never merges."""
        self.stage.mkdir(dest)

        def visit(directory: str) -> None:
            for name in self.tree.read_dir(directory):
                path = _join(directory, name)
                rel = path if src == "." else path[len(src) + 1 :]
                if self.excluded(rel):
                    continue
                if self.tree.is_dir(path):
                    self.stage.mkdir(_join(dest, rel))
                    visit(path)
                else:
                    self.stage.write(_join(dest, rel), self.tree.root / path)

        visit(src)


def plan_artifact(
    spec: ArtifactSpec,
    sources: Mapping[str, Path | SourceTree],
    *,
    ignores: Mapping[str, SourceIgnore] | None = None,
) -> ArtifactPlan:
    """The artifact ``spec`` produces from ``sources`` (alias -> the directory holding that source's files,
    or its pre-scanned :class:`SourceTree`; ``ignores`` filters directories given by path)."""
    stage = _Stage(spec.name)
    problems: list[Problem] = []
    missing: list[str] = []
    trees: dict[str, SourceTree] = {}
    for op in spec.copy:
        try:
            alias, pattern, dest = _parse(op)
            if alias not in sources:
                if alias not in spec.aliases:
                    raise _Fail(f"source alias '{alias}' not found")
                if alias not in missing:
                    missing.append(alias)
                continue
            for p in op.exclude:
                if doublestar_regex(p) is None:
                    raise _Fail(f"invalid exclude pattern '{p}'")
            if alias not in trees:
                given = sources[alias]
                trees[alias] = (
                    given
                    if isinstance(given, SourceTree)
                    else SourceTree.scan(given, (ignores or {}).get(alias))
                )
            _Copier(op, alias, trees[alias], stage).run(pattern, dest)
        except _Fail as exc:
            problems.append(Problem(f"artifact {spec.name}: copy {op}: {exc}", op.location))
    archive = SourceIgnore()
    ignored = sorted(p for p in {*stage.files, *stage.merges} if archive.ignored(p, False))
    for p in ignored:
        stage.files.pop(p, None)
        stage.merges.pop(p, None)
    return ArtifactPlan(
        spec.name,
        dict(sorted(stage.files.items())),
        dict(sorted(stage.merges.items())),
        tuple(ignored),
        problems,
        tuple(missing),
    )


def _parse(op: CopyOp) -> tuple[str, str, str]:
    """``parseCopySource`` and ``parseCopyDestinationRelative``."""
    if not op.source.startswith("@"):
        raise _Fail(f"invalid copy source '{op.source}': source must start with '@'")
    alias, sep, pattern = op.source[1:].partition("/")
    if not sep:
        raise _Fail(f"invalid copy source '{op.source}': source format must be '@alias/pattern'")
    if not op.to.startswith("@artifact/"):
        raise _Fail(f"invalid copy destination '{op.to}': destination must start with '@artifact/'")
    return alias, pattern, op.to[len("@artifact/") :]


def _sorted_map(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_map(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_map(v) for v in value]
    return value


def materialize(plan: ArtifactPlan, dest: Path) -> dict[Path, Path]:
    """Write the artifact tree of ``plan`` under ``dest`` (absent or empty): hard links to the source
    files, copies where linking fails, merged YAML written out (keys sorted, as sigs.k8s.io/yaml prints).
    Returns every copied artifact file -> its source file (merged files have no single origin: see
    ``plan.merges``). The links share the source files: treat the tree as read-only."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BuildError(f"cannot materialize artifact {plan.name}: {dest} is not an empty directory")
    dest.mkdir(parents=True, exist_ok=True)
    out: dict[Path, Path] = {}
    for rel, source in plan.files.items():
        target = dest.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
            shutil.copymode(source, target)
        out[target] = source
    for rel, layers in plan.merges.items():
        target = dest.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        merged: dict[str, Any] = {}
        try:
            for layer in layers:
                merged = merge_map(merged, _load_merge_map(layer, str(layer)))
        except _Fail as exc:
            raise BuildError(f"cannot materialize artifact {plan.name}: {exc}") from None
        target.write_text(dump_document(_sorted_map(merged)), encoding="utf-8")
    return out
