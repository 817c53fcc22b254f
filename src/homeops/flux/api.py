"""Library entry points behind ``homeops get`` and ``homeops build``: typed options in, typed results out.

JSON shapes produced by ``to_json`` methods are stable and documented in docs/json-output.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.errors import UsageError
from homeops.flux.buildout import check_output_dir, output_names, write_nodes, writing
from homeops.flux.cluster import (
    ClusterBuild,
    ClusterOptions,
    HelmReleaseNode,
    KsNode,
    build_cluster,
)
from homeops.flux.kinds import HelmRelease
from homeops.flux.masking import SecretMasker, cluster_masker
from homeops.flux.repository import git_root
from homeops.flux.rows import hr_row, ks_row, not_applied_row, source_rows
from homeops.sops import load_age_identities
from homeops.yaml.nodes import YMap, to_plain

if TYPE_CHECKING:
    from homeops.flux.helmvalues import ValuesResult
    from homeops.helm.releases import HelmOptions
    from homeops.validate.config import ValidateConfig


@dataclass(frozen=True, slots=True)
class RepoOptions:
    """Which repository, which roots, which keys."""

    repo: Path | None = None  # default: the git work tree of the current directory
    roots: tuple[str, ...] = ()  # only roots defined under these paths (--root, several allowed)
    cluster: str | None = None  # only this cluster (--cluster); None: every cluster
    source_root: str | None = None  # where this repository's Flux paths start (--source-root)
    age_key: Path | None = None
    identities: tuple[str, ...] = ()
    config_file: Path | None = None  # default: .homeops.yaml at the repository root
    allow_network: bool | None = None  # fetch HTTPS remote resources; None: allowNetwork in .homeops.yaml
    cache: bool = False  # use the persistent build cache (the CLI turns it on unless --no-cache)
    cache_dir: Path | None = None  # default: $HOMEOPS_CACHE_DIR/build or ~/.cache/homeops/build
    helm: bool = (
        False  # render the HelmReleases' charts from the chart store (validate/diff: unless --no-helm)
    )
    only_releases: tuple[tuple[str | None, str], ...] | None = None  # render only these (namespace, name)
    helm_progress: Callable[[int, int], None] | None = field(default=None, compare=False)  # renders done

    def cluster_options(self) -> ClusterOptions:
        from homeops.validate.config import load_config

        repo = (self.repo or git_root(Path.cwd())).resolve()
        if not repo.is_dir():
            raise UsageError(f"repository {repo} is not a directory")
        config = load_config(repo, self.config_file)
        roots = tuple(_repo_relative(repo, r, "--root") for r in self.roots)
        source_root = self.source_root if self.source_root is not None else config.source_root
        if source_root is not None:
            source_root = _repo_relative(repo, source_root, "--source-root")
        identities = self.age_identities()
        return ClusterOptions(
            repo=repo,
            roots=roots,
            cluster=self.cluster,
            source_root=source_root,
            sources=config.sources,
            identities=identities,
            allow_network=config.allow_network if self.allow_network is None else self.allow_network,
            cache_dir=self._cache_dir(),
            cache_max_size=config.cache_max_size if config.cache_max_size is not None else 512 * 1024 * 1024,
            helm=self._helm_options(config),
        )

    def age_identities(self) -> tuple[str, ...]:
        """The age identities given (``identities``), else those of ``--age-key`` and the environment."""
        return tuple(self.identities) or tuple(load_age_identities(key_file=self.age_key))

    def _helm_options(self, config: ValidateConfig) -> HelmOptions | None:
        if not self.helm:
            return None
        from homeops.helm.releases import HelmOptions

        return HelmOptions(
            use_cache=self.cache,
            kube_version=config.kubernetes_version,
            api_versions=config.api_versions,
            only=self.only_releases,
            progress=self.helm_progress,
            allow_network=config.allow_network if self.allow_network is None else self.allow_network,
            store_config=config.helm,
        )

    def _cache_dir(self) -> Path | None:
        if not self.cache:
            return None
        if self.cache_dir is not None:
            return self.cache_dir
        from homeops.cache.store import default_cache_dir

        return default_cache_dir()


def _repo_relative(repo: Path, path: str, flag: str) -> str:
    """``path`` (relative to the repository, or an absolute or cwd-relative path inside it) as a
    repository-relative POSIX path; a usage error when it lies outside the repository or is missing."""
    candidate = Path(path)
    if candidate.is_absolute() or ((Path.cwd() / candidate).exists() and not (repo / candidate).exists()):
        real = (candidate if candidate.is_absolute() else Path.cwd() / candidate).resolve()
    else:
        real = (repo / candidate).resolve()
    if not real.is_relative_to(repo):
        raise UsageError(f"{flag} {path} is outside the repository {repo}")
    if not real.exists():
        raise UsageError(f"{flag} {path} does not exist in the repository {repo}")
    rel = real.relative_to(repo).as_posix()
    return "" if rel == "." else rel


@dataclass(frozen=True, slots=True)
class GetOptions:
    what: str  # ks | hr | sources
    namespace: str | None = None  # None: all namespaces
    repo: RepoOptions = field(default_factory=RepoOptions)


@dataclass
class GetResult:
    what: str
    rows: list[dict[str, Any]]
    problems: list[str]
    notes: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        key = {"ks": "kustomizations", "hr": "helmreleases", "sources": "sources"}[self.what]
        return {key: self.rows, "problems": self.problems, "notes": self.notes, "clusters": self.clusters}


def get(options: GetOptions) -> GetResult:
    """List Flux Kustomizations, HelmReleases or sources of the repository's tree."""
    if options.what not in ("ks", "hr", "sources"):
        raise UsageError(f"unknown kind {options.what!r}: use ks, hr or sources")
    copts = options.repo.cluster_options()
    cluster = build_cluster(copts)
    ns = options.namespace
    rows: list[dict[str, Any]]
    if options.what == "ks":
        rows = [ks_row(n) for n in cluster.nodes if ns is None or n.namespace == ns]
        for na in cluster.not_applied:
            if ns is not None and na.ks.namespace != ns:
                continue
            rows.append(not_applied_row(na))
    elif options.what == "hr":
        rows = [hr_row(h, cluster) for h in cluster.helmreleases if ns is None or h.hr.namespace == ns]
    else:
        rows = [s for s in source_rows(cluster) if ns is None or s["namespace"] == ns]
    mask = cluster_masker(cluster, copts.identities)
    return GetResult(
        options.what,
        mask.data(rows),
        mask.data(cluster.problems),
        mask.data(cluster.notes),
        cluster.clusters,
    )


# -- build ------------------------------------------------------------------------------------------


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


def _masker(show: bool, cluster: ClusterBuild, identities: tuple[str, ...]) -> SecretMasker | None:
    """None with --show-secrets; else the masker of Secret values, SOPS values and what substitution
    derived from them (see homeops.flux.masking)."""
    return None if show else cluster_masker(cluster, identities)


def _masked_node(node: KsNode, mask: SecretMasker) -> KsNode:
    """A copy of ``node`` whose objects, error and unresolved uses are masked (for printing)."""
    from dataclasses import replace

    unresolved = [replace(u, object=mask.text(u.object), reason=mask.text(u.reason)) for u in node.unresolved]
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
    mask = _masker(options.show_secrets, cluster, copts.identities)
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
    mask = _masker(options.show_secrets, cluster, copts.identities)
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


@dataclass(frozen=True, slots=True)
class BuildAllOptions:
    output_dir: Path | None = None
    show_secrets: bool = False
    repo: RepoOptions = field(default_factory=RepoOptions)


@dataclass
class BuildAllResult:
    cluster: ClusterBuild
    summary: dict[str, Any]

    @property
    def failed(self) -> int:
        return sum(1 for n in self.cluster.nodes if n.status == "failed")


def build_all(options: BuildAllOptions, progress: Callable[[int, int], None] | None = None) -> BuildAllResult:
    """Build every Flux Kustomization; write OUT/<namespace>/<name>.yaml|.err and OUT/summary.json (with the
    Helm stage: each Kustomization's file ends with what its HelmReleases' charts render, and the summary
    gives each HelmRelease's status)."""
    out = options.output_dir
    if out is not None:
        check_output_dir(out, "--output-dir")
    copts = options.repo.cluster_options()
    cluster = build_cluster(copts)
    mask = _masker(options.show_secrets, cluster, copts.identities)
    rows = []
    names = output_names(cluster.nodes)
    if out is not None:
        with writing(out, "--output-dir"):
            write_nodes(out, names, cluster.nodes, mask)
    for i, node in enumerate(cluster.nodes, start=1):
        rows.append(
            {
                "name": node.name,
                "namespace": node.namespace,
                "cluster": node.tree,
                "status": node.status,
                "file": node.defined_at.file,
                "line": node.defined_at.line,
                "objects": node.object_count,
                "unresolved": sorted({u.variable for u in node.unresolved}),
                "error": node.error,
                "output": names[id(node)],
            }
        )
        if cluster.helm is not None:
            rows[-1]["rendered"] = len(node.rendered)
        if progress:
            progress(i, len(cluster.nodes))
    summary = {
        "repository": str(cluster.repo.root),
        "kustomizations": rows,
        "clusters": cluster.clusters,
        "not_applied": [not_applied_row(na) for na in cluster.not_applied],
        "totals": {
            "kustomizations": len(cluster.nodes),
            "applied": len(cluster.nodes),
            "ok": sum(1 for n in cluster.nodes if n.status == "ok"),
            "failed": sum(1 for n in cluster.nodes if n.status == "failed"),
            "external": sum(1 for n in cluster.nodes if n.status == "external"),
            "objects": sum(n.object_count for n in cluster.nodes),
            "unresolved": sum(len(n.unresolved) for n in cluster.nodes),
            "not_applied": len(cluster.orphans),
        },
        "problems": cluster.problems,
        "notes": cluster.notes,
    }
    if cluster.helm is not None:  # build all --helm: what the Helm stage did with each HelmRelease
        summary["helmreleases"] = [r.to_json() for r in cluster.helm.releases]
        totals: dict[str, Any] = summary["totals"]  # type: ignore[assignment]
        totals["helmreleases"] = cluster.helm.counts()
        totals["rendered"] = sum(len(n.rendered) for n in cluster.nodes)
        if cluster.helm.error:
            summary["problems"] = [*cluster.problems, cluster.helm.error]
    if mask is not None:
        summary = mask.data(summary)
    if out is not None:
        with writing(out, "--output-dir"):
            out.mkdir(parents=True, exist_ok=True)
            (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return BuildAllResult(cluster, summary)
