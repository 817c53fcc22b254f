"""What validate rules read: the built cluster tree, the raw repository, the configuration, and indexes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from homeops.flux.cluster import ClusterBuild, HelmReleaseNode, KsNode
from homeops.flux.repository import ObjectEntry, Repository
from homeops.schemas import SchemaFinding, SchemaRegistry
from homeops.validate.config import ValidateConfig
from homeops.yaml.nodes import Pos, YMap


@dataclass(frozen=True, slots=True)
class Built:
    """An object as Flux applies it, with the Kustomization that applies it."""

    obj: YMap
    node: KsNode

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def metadata(self) -> dict[str, Any]:
        md = self.obj.get("metadata")
        return md if isinstance(md, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        ns = self.metadata.get("namespace")
        return ns if isinstance(ns, str) else ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


@dataclass
class ValidateContext:
    """Everything a validate rule may read. Indexes are computed once, on first use."""

    cluster: ClusterBuild
    config: ValidateConfig = field(default_factory=ValidateConfig)

    @property
    def repo(self) -> Repository:
        return self.cluster.repo

    @property
    def root(self) -> Path:
        return self.cluster.repo.root

    def rel(self, file: str) -> str:
        """A path as findings show it: relative to the repository root, ``/``-separated."""
        return self.repo.rel_file(file)

    def where(self, pos: Pos | None) -> tuple[str, int, int]:
        """(file, line, column) of a position, the file relative to the root."""
        if pos is None:
            return "", 0, 0
        return self.rel(pos.file), pos.line, pos.column

    def built(self, kind: str | None = None) -> Iterator[Built]:
        """Every object the tree applies (optionally of one kind), with its Kustomization: its own build's
        objects, then what its ResourceSets make flux-operator apply, then what its HelmReleases' charts
        render (when the Helm stage ran)."""
        for node in self.cluster.nodes:
            for obj in [*node.objects, *node.generated, *node.rendered]:
                if kind is None or obj.get("kind") == kind:
                    yield Built(obj, node)

    @cached_property
    def by_key(self) -> dict[tuple[str, str, str], list[Built]]:
        """Built objects by (kind, namespace, name)."""
        index: dict[tuple[str, str, str], list[Built]] = {}
        for b in self.built():
            index.setdefault((b.kind, b.namespace, b.name), []).append(b)
        return index

    def find(self, kind: str, namespace: str, name: str) -> list[Built]:
        return self.by_key.get((kind, namespace, name), [])

    def helmreleases(self) -> Sequence[HelmReleaseNode]:
        return self.cluster.helmreleases

    @property
    def helm_renders(self) -> list[Any]:
        """The RenderResults of the Helm stage (none when it did not run)."""
        return self.cluster.helm.results() if self.cluster.helm is not None else []

    def entries(self, kind: str | None = None) -> Iterator[ObjectEntry]:
        """Raw objects as committed in Git (not built)."""
        for e in self.repo.entries:
            if kind is None or e.kind == kind:
                yield e

    @cached_property
    def namespaces(self) -> set[str]:
        """Namespaces the tree creates, plus the ones every cluster has, plus configured external ones."""
        names = {b.name for b in self.built("Namespace")}
        return (
            names
            | {"default", "kube-system", "kube-public", "kube-node-lease", "flux-system"}
            | set(self.config.namespaces)
        )

    @cached_property
    def schema_findings(self) -> list[SchemaFinding]:
        """Schema validation of every built object, run once for all schema rules."""
        crds = [b.obj for b in self.built("CustomResourceDefinition")]
        crds += [e.obj for e in self.entries("CustomResourceDefinition")]
        registry = SchemaRegistry.create(
            kubernetes_version=self.config.kubernetes_version,
            locations=self.config.schema_locations,
            allow_network=self.config.allow_network,
            cache_dir=Path(self.config.cache_dir) if self.config.cache_dir else None,
            repo_crds=crds,
        )
        out: list[SchemaFinding] = []
        for b in self.built():
            out.extend(registry.validate(b.obj))
        return out

    @cached_property
    def guide_text(self) -> str | None:
        guide = self.root / "TEMPLATE_GUIDE.md"
        return guide.read_text(encoding="utf-8") if guide.is_file() else None
