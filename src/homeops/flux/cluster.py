"""The cluster tree: every Flux Kustomization built as kustomize-controller would build it.

Starting from the root Kustomizations (those no other Kustomization's path contains, or the ones under
``--path``), each is built from its ``spec.path`` in the source that is this repository, with Flux's
generator, post-build substitution, ``commonMetadata`` and the ownership labels ``flux build`` adds. Every
Flux Kustomization found in a build's output is then built in turn, recursively. One failure never stops
the others: it is recorded on its node.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.errors import HomeopsError, Location
from homeops.findings import describe_object
from homeops.flux.generator import flux_kustomization_file
from homeops.flux.kinds import FluxKustomization, HelmRelease, is_flux_kustomization, is_helmrelease
from homeops.flux.repository import ObjectEntry, Repository
from homeops.flux.secrets import SecretResolver
from homeops.flux.varsub import is_substitution_disabled, merge_variables, substitute_object
from homeops.kustomize.build import Builder
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy

NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"
LOCAL_SOURCE_KINDS = frozenset({"GitRepository", "OCIRepository", "Bucket"})


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A variable used but not set, where Flux's strict substitution fails."""

    variable: str
    object: str
    file: str
    line: int
    column: int
    reason: str = "not set"


@dataclass(frozen=True, slots=True)
class VariableUse:
    """A ``${VARIABLE}`` that Flux will substitute, where it is written, and its default if any."""

    variable: str
    object: str
    file: str
    line: int
    column: int
    default: str | None = None


@dataclass
class KsNode:
    """One Flux Kustomization of the tree and the outcome of its build."""

    ks: FluxKustomization
    tree: str
    parent: KsNode | None
    defined_at: Location
    status: str = "pending"  # ok | failed | external | suspended
    error: str = ""
    path: str = ""
    objects: list[YMap] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    uses: list[VariableUse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return self.ks.namespace

    @property
    def name(self) -> str:
        return self.ks.name

    @property
    def ref(self) -> str:
        return f"Kustomization/{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class HelmReleaseNode:
    """A HelmRelease as Flux will apply it, with the Kustomization that produces it."""

    hr: HelmRelease
    obj: YMap
    parent: KsNode


@dataclass
class ClusterBuild:
    """Every Flux Kustomization of the repository, built, plus what was found in the outputs."""

    repo: Repository
    nodes: list[KsNode]
    helmreleases: list[HelmReleaseNode]
    orphans: list[FluxKustomization]
    problems: list[str]

    def find(self, name: str, namespace: str | None = None) -> list[KsNode]:
        return [n for n in self.nodes if n.name == name and (namespace is None or n.namespace == namespace)]

    def all_objects(self) -> Iterable[YMap]:
        for node in self.nodes:
            yield from node.objects


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How to find and build the tree."""

    repo: Path
    path: str | None = None  # only roots defined under this repository path (e.g. kubernetes/flux/cluster)
    identities: tuple[str, ...] = ()
    strict: bool = True
    local_sources: tuple[str, ...] = ("flux-system",)


def _entry_location(entry: ObjectEntry) -> Location:
    return Location(entry.rel, entry.line)


def _obj_location(obj: YMap, repo: Repository) -> Location:
    pos = obj.pos
    if pos is None:
        return Location("")
    return Location(repo.rel_file(pos.file), pos.line, pos.column)


class ClusterBuilder:
    """Walks and builds the tree of Flux Kustomizations of one repository."""

    def __init__(self, repo: Repository, options: ClusterOptions, builder: Builder | None = None) -> None:
        self.repo = repo
        self.options = options
        self.builder = builder or Builder(repo.root)
        self.secrets = SecretResolver(repo, options.identities)
        self.problems: list[str] = []
        self._root_sources: set[str] = set()
        self._bases: list[Path] = [repo.root]

    # -- roots ----------------------------------------------------------------------------------------
    def is_local_source(self, ks: FluxKustomization) -> bool:
        ref = ks.source_ref
        if ref is None:
            return False
        if ref.kind not in LOCAL_SOURCE_KINDS:
            return False
        return ref.name in self.options.local_sources or ref.name in self._root_sources

    def roots(self) -> list[tuple[FluxKustomization, ObjectEntry]]:
        entries = [e for e in self.repo.entries if is_flux_kustomization(e.obj)]
        pairs = [(FluxKustomization.from_obj(e.obj), e) for e in entries]
        path_dirs: list[str] = []
        for ks, _ in pairs:
            p = ks.path.strip()
            if p and "${" not in p:
                path_dirs.append(os.path.normpath(p.lstrip("./") if p.startswith("./") else p))
        roots = []
        for ks, entry in pairs:
            rel_dir = os.path.dirname(entry.rel)
            inside = any(_is_under(rel_dir, d) for d in path_dirs if d not in (".", ""))
            if self.options.path is not None:
                wanted = os.path.normpath(self.options.path.strip("/"))
                if not _is_under(entry.rel, wanted):
                    continue
            elif inside:
                continue
            roots.append((ks, entry))
        self._root_sources = {ks.source_ref.name for ks, _ in roots if ks.source_ref is not None}
        # A source may hold a subfolder of the repository (e.g. an OCI artifact pushed from ./kubernetes):
        # paths that do not exist at the root are also looked up under each root's top-level folder.
        self._bases = [self.repo.root]
        for _, entry in roots:
            top = entry.rel.split("/", 1)[0]
            if "/" in entry.rel and (self.repo.root / top) not in self._bases:
                self._bases.append(self.repo.root / top)
        return roots

    # -- the walk -------------------------------------------------------------------------------------
    def build(self) -> ClusterBuild:
        roots = self.roots()
        nodes: list[KsNode] = []
        hrs: list[HelmReleaseNode] = []
        multi_tree = len({(ks.namespace, ks.name) for ks, _ in roots}) < len(roots)
        queue: list[KsNode] = []
        for ks, entry in roots:
            tree = os.path.dirname(entry.rel) if multi_tree else ""
            queue.append(KsNode(ks, tree, None, _entry_location(entry)))
        keys: set[tuple[str, str, str]] = set()
        while queue:
            node = queue.pop(0)
            key = (node.tree, node.namespace, node.name)
            if key in keys:
                self.problems.append(f"{node.defined_at}: {node.ref} is defined more than once in the tree")
                continue
            keys.add(key)
            nodes.append(node)
            self._build_node(node, nodes)
            for obj in node.objects:
                if is_flux_kustomization(obj):
                    child = FluxKustomization.from_obj(obj)
                    queue.append(KsNode(child, node.tree, node, _obj_location(obj, self.repo)))
                elif is_helmrelease(obj):
                    hrs.append(HelmReleaseNode(HelmRelease.from_obj(obj), obj, node))
        seen_at = {(n.defined_at.file, n.defined_at.line) for n in nodes}
        orphans = [
            FluxKustomization.from_obj(e.obj)
            for e in self.repo.entries
            if is_flux_kustomization(e.obj) and (e.rel, e.line) not in seen_at
        ]
        return ClusterBuild(
            self.repo, nodes, hrs, orphans, self.problems + [str(p) for p in self.repo.problems]
        )

    def rebuild(self, node: KsNode, done: list[KsNode]) -> None:
        """Build one node outside the tree walk (e.g. ``build ks --path``), its source taken as local."""
        if node.ks.source_ref is not None:
            self._root_sources.add(node.ks.source_ref.name)
        self._build_node(node, done)

    def _source_base(self, ks: FluxKustomization) -> Path:
        """Where the local source's paths start: the repository root, or a root's top-level folder when
        the path only exists there."""
        path = ks.path.strip()
        if not path or (self.repo.root / path).is_dir():
            return self.repo.root
        for base in self._bases:
            if (base / path).is_dir() and (base / path).resolve().is_relative_to(self.repo.root):
                return base
        return self.repo.root

    def _build_node(self, node: KsNode, done: list[KsNode]) -> None:
        ks = node.ks
        node.path = ks.path or "./"
        if ks.suspend:
            node.notes.append("suspended: Flux does not apply it until resumed")
        if not self.is_local_source(ks):
            ref = ks.source_ref
            node.status = "external"
            node.error = (
                f"source {ref.kind}/{ref.namespace}/{ref.name} is not this repository; not fetched"
                if ref
                else "no sourceRef"
            )
            return
        base = self._source_base(ks)
        kdir = (base / ks.path).resolve() if ks.path else base
        if not kdir.is_relative_to(self.repo.root):
            node.status, node.error = "failed", f"path {ks.path!r} leaves the repository"
            return
        if not kdir.is_dir():
            node.status = "failed"
            node.error = f"path {ks.path!r} not found in the source (expected a directory)"
            return
        try:
            kustomization = flux_kustomization_file(ks, kdir, self.builder.loader)
            resmap = self.builder.build(kdir, kustomization)
            objects = [r.obj for r in resmap]
            variables, unresolved_sources, open_note = self._variables(node, done)
            node.unresolved.extend(unresolved_sources)
            reason = f"not set (may be {open_note})" if open_note else "not set"
            opaque = {u.variable: u for u in unresolved_sources if not u.variable.startswith("<")}
            node.unresolved = [u for u in node.unresolved if u.variable not in opaque]
            out: list[YMap] = []
            for obj in objects:
                if ks.has_post_build and not is_substitution_disabled(obj):
                    uses = variable_uses(obj)
                    node.uses.extend(
                        VariableUse(name, describe_object(obj), where.file, where.line, where.column, default)
                        for name, pos, default in uses
                        for where in [_pos_location(pos, self.repo) or _obj_location(obj, self.repo)]
                    )
                    for use in node.uses[len(node.uses) - len(uses) :]:
                        if use.variable in opaque and use.default is None:
                            u = opaque[use.variable]
                            node.unresolved.append(
                                Unresolved(use.variable, use.object, use.file, use.line, use.column, u.reason)
                            )
                if ks.has_post_build:
                    obj, missing = substitute_object(
                        obj, variables, strict=self.options.strict, always=ks.substitute_strategy == "Always"
                    )
                    for m in missing:
                        loc = _pos_location(m.pos, self.repo) or _obj_location(obj, self.repo)
                        node.unresolved.append(
                            Unresolved(m.name, describe_object(obj), loc.file, loc.line, loc.column, reason)
                        )
                obj, _ = self.secrets.decrypt_if_possible(obj)
                _apply_common_metadata(obj, ks.common_metadata)
                _add_owner_labels(obj, ks)
                out.append(obj)
            node.objects = out
            node.status = "ok"
        except HomeopsError as exc:
            node.status = "failed"
            node.error = str(exc)

    def _variables(self, node: KsNode, done: list[KsNode]) -> tuple[dict[str, str], list[Unresolved], str]:
        """The variables of ``node`` (substituteFrom in order, then inline), the unresolved ones, and a note
        for variables an open-ended external source may provide."""
        ks = node.ks
        sources: list[dict[str, str]] = []
        unresolved: list[Unresolved] = []
        loc = node.defined_at
        open_note = ""
        for ref in ks.substitute_from:
            found = self.secrets.lookup_variables(ref.kind, ks.namespace, ref.name, done, node)
            if found is None:
                if not ref.optional:
                    reason = f"substituteFrom {ref.kind} {ks.namespace}/{ref.name} not found"
                    unresolved.append(
                        Unresolved(
                            f"<{ref.kind} {ks.namespace}/{ref.name}>",
                            node.ref,
                            loc.file,
                            loc.line,
                            loc.column,
                            reason,
                        )
                    )
                continue
            sources.append(found.values)
            if not found.complete:
                open_note = found.note
            for name in found.opaque:
                unresolved.append(Unresolved(name, node.ref, loc.file, loc.line, loc.column, found.note))
        return merge_variables(sources, ks.substitute), unresolved, open_note


_VAR_USE = re.compile(r"(?<!\$)\$\{([_A-Za-z][_A-Za-z0-9]*)(?:(:?[=\-])([^}]*))?")


def variable_uses(obj: Any) -> list[tuple[str, Pos | None, str | None]]:
    """Every ``${NAME...}`` in the keys and string values of ``obj``: the name, where it is written, and
    its default (``${NAME:=default}`` and the like), ``$${NAME}`` escapes excluded."""
    found: list[tuple[str, Pos | None, str | None]] = []
    stack: list[tuple[Any, Pos | None]] = [(obj, getattr(obj, "pos", None))]
    while stack:
        node, pos = stack.pop()
        if isinstance(node, YMap):
            for key, value in node.items():
                kpos = node.kpos.get(key, node.pos)
                if "${" in key:
                    _record_uses(key, kpos, found)
                stack.append((value, kpos))
        elif isinstance(node, YSeq):
            for i, value in enumerate(node):
                stack.append((value, node.item_pos(i)))
        elif isinstance(node, str) and "${" in node:
            _record_uses(node, pos, found)
    return found


def _record_uses(text: str, pos: Pos | None, found: list[tuple[str, Pos | None, str | None]]) -> None:
    for match in _VAR_USE.finditer(text):
        default = match.group(3) if match.group(2) else None
        found.append((match.group(1), pos, default))


def _is_under(path: str, directory: str) -> bool:
    path, directory = os.path.normpath(path), os.path.normpath(directory)
    return path == directory or path.startswith(directory + os.sep)


def _pos_location(pos: Any, repo: Repository) -> Location | None:
    if pos is None:
        return None
    return Location(repo.rel_file(pos.file), pos.line, pos.column)


def _metadata(obj: YMap) -> YMap:
    md = obj.get("metadata")
    if not isinstance(md, YMap):
        md = YMap()
        obj["metadata"] = md
    return md


def _apply_common_metadata(obj: YMap, common: YMap | None) -> None:
    if not common:
        return
    md = _metadata(obj)
    for field_name in ("labels", "annotations"):
        extra = common.get(field_name)
        if isinstance(extra, dict) and extra:
            current = md.get(field_name)
            if not isinstance(current, YMap):
                current = YMap()
                md[field_name] = current
            for k, v in extra.items():
                current[k] = deep_copy(v) if not isinstance(v, str) else v


def _add_owner_labels(obj: YMap, ks: FluxKustomization) -> None:
    md = _metadata(obj)
    labels = md.get("labels")
    if not isinstance(labels, YMap):
        labels = YMap()
        md["labels"] = labels
    labels[NAME_LABEL] = ks.name
    labels[NAMESPACE_LABEL] = ks.namespace


def build_cluster(options: ClusterOptions) -> ClusterBuild:
    """Load the repository and build its whole Flux tree."""
    root = options.repo.resolve()
    builder = Builder(root)
    repo = Repository.load(root, parse=lambda path, rel: builder.loader.parsed(path))
    return ClusterBuilder(repo, options, builder).build()
