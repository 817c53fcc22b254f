"""``validate --base REF``: the part of the tree a change reaches, so only its findings are reported.

The base ref is built from Git's objects in a temporary directory, extracted while the head builds (with the
build cache, every node whose inputs did not change is restored, not rebuilt). A Flux Kustomization of the
head is *changed* when it is new, its status, error or built objects differ from the base's, or a file its
build read changed between the refs. It is *affected* when it is changed or reaches a changed one through:

- ``dependsOn`` (Flux waits for it and re-applies after it);
- the ConfigMaps and Secrets it substitutes from (``postBuild.substituteFrom``) or that its objects use
  (``secretName``, ``secretKeyRef``, ``configMapRef``, …), when a changed Kustomization builds them.

A finding is kept when its file changed, or its file or object belongs to an affected Kustomization.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.findings import Finding, describe_object
from homeops.flux.cluster import ClusterBuild, ClusterOptions, KsNode, build_cluster

_REF_KEYS = {
    "secretName": "Secret",
    "secretKeyRef": "Secret",
    "secretRef": "Secret",
    "configMapKeyRef": "ConfigMap",
    "configMapRef": "ConfigMap",
    "configMap": "ConfigMap",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """What ``--base`` keeps: the affected Kustomizations, their files and objects, the changed files."""

    base: str
    changed: tuple[str, ...]  # refs of changed Kustomizations
    affected: tuple[str, ...]  # refs of changed ones and those that reach them
    files: frozenset[str]  # changed files, and files read by affected Kustomizations
    objects: frozenset[str]  # "Kind/namespace/name" of the affected Kustomizations' objects
    build: ClusterBuild | None = field(default=None, repr=False, compare=False)  # the base's build

    def keeps(self, finding: Finding) -> bool:
        return finding.file in self.files or finding.object in self.objects

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.base, "changed": list(self.changed), "affected": list(self.affected)}


def _key(node: KsNode) -> tuple[str, str]:
    return node.tree, node.ref


def _referenced(obj: Any, out: set[tuple[str, str]], namespace: str) -> None:
    """(kind, "namespace/name") of every ConfigMap/Secret ``obj`` names, iteratively."""
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                kind = _REF_KEYS.get(key)
                if kind is not None:
                    name = value.get("name") if isinstance(value, dict) else value
                    if isinstance(name, str) and name:
                        out.add((kind, f"{namespace}/{name}"))
                if isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


def _provides(node: KsNode) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for obj in node.objects:
        kind = obj.get("kind")
        md = obj.get("metadata")
        if kind in ("Secret", "ConfigMap", "ExternalSecret") and isinstance(md, dict):
            made = "Secret" if kind == "ExternalSecret" else str(kind)
            out.add((made, f"{md.get('namespace', '')}/{md.get('name', '')}"))
    return out


def _uses(node: KsNode) -> set[tuple[str, str]]:
    out = {(ref.kind, f"{node.ks.namespace}/{ref.name}") for ref in node.ks.substitute_from}
    for obj in node.objects:
        md = obj.get("metadata")
        namespace = str(md.get("namespace", "")) if isinstance(md, dict) else ""
        _referenced(obj.get("spec"), out, namespace)
    return out


def _changed(head: ClusterBuild, base: ClusterBuild, changed_files: set[str]) -> set[tuple[str, str]]:
    before = {_key(n): n for n in base.nodes}
    out: set[tuple[str, str]] = set()
    for node in head.nodes:
        old = before.get(_key(node))
        if (
            old is None
            or (old.status, old.error) != (node.status, node.error)
            or old.objects != node.objects
            or old.generated != node.generated
            or not changed_files.isdisjoint(node.files)
        ):
            out.add(_key(node))
    return out


def _affected(head: ClusterBuild, changed: set[tuple[str, str]]) -> set[tuple[str, str]]:
    affected = set(changed)
    provided = {k: _provides(n) for n in head.nodes if (k := _key(n)) in changed}
    by_name = {(n.tree, n.namespace, n.name): _key(n) for n in head.nodes}
    uses = {_key(n): _uses(n) for n in head.nodes}
    grew = True
    while grew:  # to a fixed point: dependents of dependents
        grew = False
        for node in head.nodes:
            key = _key(node)
            if key in affected:
                continue
            deps = {by_name.get((node.tree, d.namespace, d.name)) for d in node.ks.depends_on}
            made = set().union(*(provided.get(k, set()) for k in affected))
            if deps & affected or uses[key] & made:
                affected.add(key)
                provided[key] = _provides(node)
                grew = True
    return affected


class BaseSide:
    """The base ref of ``validate --base``, its files extracted from Git's objects into a temporary
    directory while the head builds (see ``start_scope``); ``scope`` builds it and compares. ``close``
    (also as a context manager) ends the extraction and removes the directory."""

    def __init__(self, options: ClusterOptions, base_ref: str) -> None:
        from homeops.diff.gitsrc import GitRepo, scratch_dir

        self.options, self.base_ref = options, base_ref
        git = GitRepo.at(options.repo)
        git.commit(base_ref)  # an unknown ref is said before anything is built
        self.changed_files = set(git.changed_files(base_ref, None))
        self._tmp = tempfile.TemporaryDirectory(prefix="homeops-validate-", dir=scratch_dir())
        self._extraction = git.start_extract(base_ref, Path(self._tmp.name) / "base")

    def __enter__(self) -> BaseSide:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._extraction.stop()
        self._tmp.cleanup()

    def scope(self, head: ClusterBuild, cluster: str | None = None) -> Scope:
        """Build the base and work out what the change from it to the work tree reaches."""
        from homeops.diff.gitsrc import mirror_remotes
        from homeops.diff.nodes import in_cluster
        from homeops.flux.sources import git_remote_urls

        options = self.options
        base_root = self._extraction.wait()
        mirror_remotes(git_remote_urls(options.repo), base_root)
        base = in_cluster(
            build_cluster(dataclasses.replace(options, repo=base_root, cache_identity=str(options.repo))),
            cluster,
        )
        changed = _changed(head, base, self.changed_files)
        affected = _affected(head, changed)
        nodes = [n for n in head.nodes if _key(n) in affected]
        files = set(self.changed_files)
        objects: set[str] = set()
        for node in nodes:
            files |= node.files
            files.add(node.defined_at.file)
            objects.add(node.ref)
            objects.update(describe_object(o) for o in _all(node))
        return Scope(
            self.base_ref,
            tuple(sorted(r for _, r in changed)),
            tuple(sorted(r for _, r in affected)),
            frozenset(files),
            frozenset(objects),
            base,
        )


def _all(node: KsNode) -> Iterable[Any]:
    yield from node.objects
    yield from node.generated
