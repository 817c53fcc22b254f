"""``homeops diff --files``: which Flux Kustomizations and HelmReleases the changed files touch.

Both sides are built (with ``--root`` and ``--cluster``), and what each Kustomization's build read is taken
from the build itself (``KsNode.files``: every file read, files of a source holding a subfolder of the
repository or copied into an artifact included, mapped back to the repository). So only files that some
Flux Kustomization reads are ever named:

- a Kustomization is touched when the file defining it changes, when a file its build read changes, or when
  a ConfigMap or Secret it substitutes from (``postBuild.substituteFrom``) changes;
- a HelmRelease is touched when its own file changes, when a file of its Kustomization that is not a plain
  resource changes (a kustomization.yaml, a patch, a generator input such as values.yaml, the file defining
  the Kustomization), when a ConfigMap or Secret of its ``valuesFrom`` changes, or when a substitution
  source of its Kustomization changes and the HelmRelease uses a variable;
- a changed file that no Kustomization reads (README.md, a ``*.j2`` template) touches nothing: it is listed
  as ``unread``.

Both sides are read, so that a removed file or Kustomization counts too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from homeops.diff.nodes import NotCompared, in_cluster, node_id
from homeops.diff.objects import same
from homeops.flux.cluster import ClusterBuild, KsNode
from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES
from homeops.yaml.nodes import YMap


@dataclass
class FilesResult:
    """Changed files and, for each touched Kustomization or HelmRelease, the files that touch it."""

    changed: list[str]
    kustomizations: dict[str, list[str]] = field(default_factory=dict)
    helmreleases: dict[str, list[str]] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # changed files no Kustomization in scope reads
    failed: list[NotCompared] = field(default_factory=list)  # Kustomizations that fail to build
    clusters: dict[str, str] = field(default_factory=dict)  # id -> its cluster, for touched objects

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.changed,
            "kustomizations": [self._entry(k, v) for k, v in self.kustomizations.items()],
            "helmreleases": [self._entry(k, v) for k, v in self.helmreleases.items()],
            "unread": self.unread,
            "failed": [
                {k: v for k, v in f.to_json().items() if k not in ("status", "objects")} for f in self.failed
            ],
        }

    def _entry(self, ref: str, files: list[str]) -> dict[str, Any]:
        return {"object": ref, "cluster": self.clusters.get(ref, ""), "files": files}


SourceKey = tuple[str, str, str, str]  # (cluster, kind, namespace, name) of a ConfigMap/Secret


@dataclass
class _Side:
    """One built side, indexed for the look-ups of ``touched``."""

    build: ClusterBuild
    sources: dict[SourceKey, list[tuple[YMap, KsNode]]] = field(default_factory=dict)
    structural: dict[int, set[str]] = field(default_factory=dict)  # id(node) -> its non-resource files

    @classmethod
    def of(cls, build: ClusterBuild) -> _Side:
        side = cls(build)
        for node in build.nodes:
            resources: set[str] = set()
            for obj in node.objects:
                if obj.pos is not None:
                    resources.add(build.repo.rel_file(obj.pos.file))
                key = _source_key(obj, node.cluster)
                if key is not None:
                    side.sources.setdefault(key, []).append((obj, node))
            resources = {r for r in resources if PurePosixPath(r).name not in KUSTOMIZATION_FILE_NAMES}
            side.structural[id(node)] = (_read(node) - resources) | {node.defined_at.file}
        return side


def _read(node: KsNode) -> set[str]:
    """Every repository file a Kustomization's build reads, the file defining it included."""
    return {node.defined_at.file, *node.files} - {""}


def _source_key(obj: YMap, cluster: str, namespace: str = "") -> SourceKey | None:
    kind = obj.get("kind")
    if kind not in ("ConfigMap", "Secret") or obj.get("apiVersion") != "v1":
        return None
    md = obj.get("metadata")
    if not isinstance(md, dict) or not isinstance(md.get("name"), str):
        return None
    ns = md.get("namespace")
    return (cluster, str(kind), ns if isinstance(ns, str) and ns else namespace, md["name"])


def touched(
    changed: list[str], base: ClusterBuild, head: ClusterBuild, cluster: str | None = None
) -> FilesResult:
    """The Kustomizations and HelmReleases of either side (of ``cluster`` only, when given) that
    ``changed`` (repository-relative paths) touch."""
    result = FilesResult(list(changed))
    wanted = set(changed)
    read: set[str] = set()
    b_side, h_side = _Side.of(in_cluster(base, cluster)), _Side.of(in_cluster(head, cluster))
    for side, other in ((h_side, b_side), (b_side, h_side)):
        read |= _touched_side(side, other, wanted, result)
    result.kustomizations = dict(sorted(result.kustomizations.items()))
    result.helmreleases = dict(sorted(result.helmreleases.items()))
    result.unread = sorted(wanted - read)
    return result


def _touched_side(side: _Side, other: _Side, wanted: set[str], result: FilesResult) -> set[str]:
    """Record what ``changed`` touches on one side; return every file of that side some build reads."""
    read: set[str] = set()
    subst_hits: dict[int, set[str]] = {}
    for node in side.build.nodes:
        files = _read(node)
        read |= files
        hits = files & wanted
        sources: set[str] = set()
        for sub in node.ks.substitute_from:
            sources |= _source_hits(side, other, (node.cluster, sub.kind, node.namespace, sub.name), wanted)
        subst_hits[id(node)] = sources
        read |= sources
        if hits | sources:
            _add(result, result.kustomizations, node_id(node), node.cluster, hits | sources)
    for item in side.build.helmreleases:
        node = item.parent
        hits = side.structural.get(id(node), set()) & wanted
        if item.obj.pos is not None:
            hits |= {side.build.repo.rel_file(item.obj.pos.file)} & wanted
        for ref in item.hr.values_from:
            if ref.kind in ("ConfigMap", "Secret"):
                key = (node.cluster, ref.kind, item.hr.namespace, ref.name)
                values = _source_hits(side, other, key, wanted)
                hits |= values
                read |= values
        hr_ref = f"HelmRelease/{item.hr.namespace}/{item.hr.name}"
        if subst_hits.get(id(node)) and any(u.object == hr_ref for u in node.uses):
            hits |= subst_hits[id(node)]
        if hits:
            hr_id = f"{hr_ref}@{node.cluster}" if node.cluster else hr_ref
            _add(result, result.helmreleases, hr_id, node.cluster, hits)
    return read


def _source_hits(side: _Side, other: _Side, key: SourceKey, wanted: set[str]) -> set[str]:
    """The changed files behind a ConfigMap/Secret that substitution or values read: the file holding it
    (as the tree builds it, else as the repository holds it), and, when the object itself differs from the
    other side's, the generator inputs and kustomization files of the Kustomization producing it."""
    built = side.sources.get(key, []) or _with_empty_namespace(side, key)
    hits: set[str] = set()
    if built:
        counterpart = [o for o, _ in other.sources.get(key, []) or _with_empty_namespace(other, key)]
        for obj, producer in built:
            if obj.pos is not None:
                hits |= {side.build.repo.rel_file(obj.pos.file)} & wanted
            if not any(same(obj, o) for o in counterpart):
                hits |= side.structural.get(id(producer), set()) & wanted
        return hits
    cluster, kind, namespace, name = key
    for entry in side.build.repo.entries:
        if entry.kind == kind and entry.name == name and (entry.namespace or namespace) == namespace:
            hits |= {entry.rel} & wanted
    return hits


def _with_empty_namespace(side: _Side, key: SourceKey) -> list[tuple[YMap, KsNode]]:
    """Objects without a namespace count as the referring object's (as Flux's look-up does)."""
    cluster, kind, _, name = key
    return side.sources.get((cluster, kind, "", name), [])


def _add(
    result: FilesResult, table: dict[str, list[str]], ref: str, cluster: str, files: Iterable[str]
) -> None:
    table[ref] = sorted(set(table.get(ref, [])) | set(files))
    if cluster:
        result.clusters[ref] = cluster
