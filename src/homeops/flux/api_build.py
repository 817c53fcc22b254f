"""``homeops build ks`` and ``homeops build hr``: one Kustomization, or one HelmRelease and its values, as
Flux applies them (Secret values masked unless asked)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.errors import UsageError
from homeops.flux.api import RepoOptions, masker_for
from homeops.flux.cluster import ClusterBuild, ClusterOptions, HelmReleaseNode, KsNode, build_cluster
from homeops.flux.kinds import HelmRelease
from homeops.flux.masking import SecretMasker
from homeops.flux.rows import hr_row, ks_row
from homeops.yaml.nodes import YMap, to_plain

if TYPE_CHECKING:
    from homeops.flux.helmvalues import ValuesResult


@dataclass(frozen=True, slots=True)
class BuildKsOptions:
    name: str
    namespace: str | None = None
    path: Path | None = None  # build this directory instead of the Kustomization's spec.path
    show_secrets: bool = False
    repo: RepoOptions = field(default_factory=RepoOptions)


@dataclass
class BuildKsResult:
    node: KsNode
    objects: list[YMap]

    def to_yaml(self) -> str:
        from homeops.yaml.emitter import dump_documents

        return dump_documents(self.objects)

    def to_json(self) -> dict[str, Any]:
        data = ks_row(self.node)  # the node is a masked copy unless --show-secrets
        data["resources"] = [to_plain(o) for o in self.objects]
        return data


def _pick(nodes: list[Any], what: str, name: str, namespace: str | None, all_names: list[str]) -> Any:
    if not nodes:
        hint = ", ".join(sorted(set(all_names))[:20])
        where = f" in namespace {namespace}" if namespace else ""
        raise UsageError(f"no {what} named {name!r}{where}", hint=f"known: {hint}" if hint else None)
    if len(nodes) > 1:
        raise UsageError(f"several {what}s are named {name!r}; pick one with -n NAMESPACE")
    return nodes[0]


def _masked_node(node: KsNode, mask: SecretMasker) -> KsNode:
    """A copy of ``node`` whose objects, error and unresolved uses are masked (for printing)."""
    from dataclasses import replace

    unresolved = [u._replace(object=mask.text(u.object), reason=mask.text(u.reason)) for u in node.unresolved]
    return replace(
        node,
        objects=[mask.obj(o) for o in node.objects],
        error=mask.text(node.error),
        unresolved=unresolved,
        notes=[mask.text(n) for n in node.notes],
    )


def build_ks(options: BuildKsOptions) -> BuildKsResult:
    """The objects Flux would apply for one Kustomization (Secret values masked unless asked)."""
    copts = options.repo.cluster_options()
    cluster = build_cluster(copts)
    nodes = cluster.find(options.name, options.namespace)
    node: KsNode = _pick(
        nodes, "Kustomization", options.name, options.namespace, [n.name for n in cluster.nodes]
    )
    if options.path is not None:
        node = _rebuild_with_path(cluster, node, options.path, copts)
    mask = masker_for(options.show_secrets, cluster, copts.identities)
    if mask is None:
        return BuildKsResult(node, list(node.objects))
    node = _masked_node(node, mask)
    return BuildKsResult(node, node.objects)


def _rebuild_with_path(cluster: ClusterBuild, node: KsNode, path: Path, copts: ClusterOptions) -> KsNode:
    from homeops.flux.cluster import ClusterBuilder

    real = path.resolve()
    if not real.is_relative_to(cluster.repo.root):
        raise UsageError(f"--path {path} is outside the repository {cluster.repo.root}")
    rel = os.path.relpath(real, cluster.repo.root)
    ks_obj = YMap(node.ks.obj.items())
    spec = YMap(ks_obj.get("spec", {}).items()) if isinstance(ks_obj.get("spec"), dict) else YMap()
    spec["path"] = "./" + rel
    ks_obj["spec"] = spec
    from homeops.flux.kinds import FluxKustomization

    builder = ClusterBuilder(cluster.repo, copts)
    fresh = KsNode(FluxKustomization.from_obj(ks_obj), node.tree, node.parent, node.defined_at)
    builder.rebuild(fresh, [n for n in cluster.nodes if n is not node])
    return fresh


@dataclass(frozen=True, slots=True)
class BuildHrOptions:
    name: str
    namespace: str | None = None
    show_secrets: bool = False
    repo: RepoOptions = field(default_factory=RepoOptions)


@dataclass
class BuildHrResult:
    cluster: ClusterBuild
    item: HelmReleaseNode
    helmrelease: YMap
    values: ValuesResult
    show_secrets: bool
    mask: SecretMasker | None = None  # None: --show-secrets

    def to_yaml(self) -> str:
        from homeops.yaml.emitter import dump_documents

        values_doc = YMap()
        values_doc["values"] = self.values.values
        text = dump_documents([self.helmrelease])
        body = dump_documents([values_doc])
        return text + "---\n# Values helm-controller hands to the chart\n" + body

    def to_json(self) -> dict[str, Any]:
        data = hr_row(self.item, self.cluster)
        data["helmrelease"] = to_plain(self.helmrelease)
        data["values"] = to_plain(self.values.values)
        data["valuesFrom"] = [
            {"kind": u.ref.kind, "name": u.ref.name, "key": u.ref.values_key, "status": u.status}
            for u in self.values.sources
        ]
        data["problems"] = [p.message for p in self.values.problems]
        return self.mask.data(data) if self.mask is not None else data


def build_hr(options: BuildHrOptions) -> BuildHrResult:
    """A HelmRelease as Flux applies it, and the values helm-controller will compute for it."""
    from homeops.flux.helmvalues import ValuesResult, compute_values, lookup_from

    copts = options.repo.cluster_options()
    cluster = build_cluster(copts)
    items = [
        h
        for h in cluster.helmreleases
        if h.hr.name == options.name and (options.namespace is None or h.hr.namespace == options.namespace)
    ]
    item: HelmReleaseNode = _pick(
        items, "HelmRelease", options.name, options.namespace, [h.hr.name for h in cluster.helmreleases]
    )
    objects = [o for n in cluster.nodes if n.tree == item.parent.tree for o in n.objects]
    lookup, _ = lookup_from(objects)
    values = compute_values(item.hr, lookup)
    hr_obj = item.obj
    mask = masker_for(options.show_secrets, cluster, copts.identities)
    if mask is not None:
        from dataclasses import replace

        hr_obj = mask.obj(hr_obj)
        masked = mask.obj(values.values)
        if _uses_secret(item.hr):
            masked = _mask_values(masked)
        problems = tuple(replace(p, message=mask.text(p.message)) for p in values.problems)
        values = ValuesResult(masked, problems, values.sources)
    return BuildHrResult(cluster, item, hr_obj, values, options.show_secrets, mask)


def _uses_secret(hr: HelmRelease) -> bool:
    return any(v.kind == "Secret" for v in hr.values_from)


def _mask_values(values: YMap) -> YMap:
    """Values that came from Secrets cannot be told apart after merging: mask every scalar leaf."""
    out = YMap()
    for key, value in values.items():
        if isinstance(value, YMap):
            out[key] = _mask_values(value)
        elif isinstance(value, dict):
            out[key] = _mask_values(YMap(value.items()))
        else:
            out[key] = "**masked**" if value is not None else None
    return out
