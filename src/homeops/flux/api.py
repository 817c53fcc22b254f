"""Library entry points behind ``homeops get`` and ``homeops build``: typed options in, typed results out.

JSON shapes produced by ``to_json`` methods are stable and documented in docs/json-output.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.errors import UsageError
from homeops.flux.worktree import repository_root
from homeops.lazy import reexports

if TYPE_CHECKING:
    from homeops.flux.cluster import ClusterBuild, ClusterOptions
    from homeops.flux.masking import SecretMasker
    from homeops.flux.prefetch import Prefetch

if TYPE_CHECKING:  # re-exported (see __getattr__ below)
    from homeops.flux.api_build import BuildHrOptions as BuildHrOptions
    from homeops.flux.api_build import BuildHrResult as BuildHrResult
    from homeops.flux.api_build import BuildKsOptions as BuildKsOptions
    from homeops.flux.api_build import BuildKsResult as BuildKsResult
    from homeops.flux.api_build import build_hr as build_hr
    from homeops.flux.api_build import build_ks as build_ks
    from homeops.flux.api_get import GetOptions as GetOptions
    from homeops.flux.api_get import GetResult as GetResult
    from homeops.flux.api_get import get as get
    from homeops.helm.releases import HelmOptions
    from homeops.validate.config import ValidateConfig

_ELSEWHERE = {
    **dict.fromkeys(("GetOptions", "GetResult", "get"), "homeops.flux.api_get"),
    **dict.fromkeys(
        ("BuildKsOptions", "BuildKsResult", "build_ks", "BuildHrOptions", "BuildHrResult", "build_hr"),
        "homeops.flux.api_build",
    ),
}

if not TYPE_CHECKING:  # for mypy, only the names imported above exist
    __getattr__ = reexports(__name__, _ELSEWHERE)  # get, build ks and build hr: build all loads neither


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
        from homeops.flux.cluster import ClusterOptions
        from homeops.validate.config import load_config

        repo = repository_root(self.repo)
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

    def start_prefetch(self) -> Prefetch | None:
        """With the cache on, a helper parsing the repository's files from now on when none of them is
        in the cache yet (``homeops.flux.prefetch``); the caller passes it to ``build_cluster``, which
        stops it, and stops it itself should the build not start."""
        cache_dir = self._cache_dir()
        if cache_dir is None:
            return None
        repo = repository_root(self.repo)
        if not repo.is_dir():
            return None  # cluster_options says why
        from homeops.flux.prefetch import start_prefetch

        return start_prefetch(repo, cache_dir)

    def age_identities(self) -> tuple[str, ...]:
        """The age identities given (``identities``), else those of ``--age-key`` and the environment."""
        if self.identities:
            return tuple(self.identities)
        from homeops.sops.age import load_age_identities

        return tuple(load_age_identities(key_file=self.age_key))

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


# -- build ------------------------------------------------------------------------------------------


def masker_for(show: bool, cluster: ClusterBuild, identities: tuple[str, ...]) -> SecretMasker | None:
    """None with --show-secrets; else the masker of Secret values, SOPS values and what substitution
    derived from them (see homeops.flux.masking)."""
    if show:
        return None
    from homeops.flux.masking import cluster_masker

    return cluster_masker(cluster, identities)


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
    prefetch = options.repo.start_prefetch()  # first: it parses while the build's modules load
    try:
        from homeops.flux.buildout import check_output_dir
        from homeops.flux.cluster import build_cluster

        out = options.output_dir
        if out is not None:
            check_output_dir(out, "--output-dir")
        copts = options.repo.cluster_options()
        cluster = build_cluster(copts, prefetch, flush=False)  # caches written while the files are
    finally:
        if prefetch is not None:
            prefetch.stop()
    from homeops.flux.buildout import output_names, write_nodes, writing
    from homeops.flux.rows import not_applied_row

    names = output_names(cluster.nodes)
    try:
        mask = masker_for(options.show_secrets, cluster, copts.identities)
        if out is not None:
            with writing(out, "--output-dir"):
                write_nodes(out, names, cluster.nodes, mask, meanwhile=cluster.finish)
    finally:
        cluster.finish()
    rows = []
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
