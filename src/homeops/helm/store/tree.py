"""The chart requests of a repository's Flux tree, and the library entry points behind ``homeops charts``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from homeops.flux.api import RepoOptions
from homeops.flux.cluster import ClusterBuild, HelmReleaseNode, build_cluster
from homeops.flux.kinds import FluxSource, ObjectRef, is_source
from homeops.helm.resolve import LocalDir, SourceKey, index_sources, resolve_chart
from homeops.helm.store.mirrors import HelmStoreConfig
from homeops.helm.store.store import ChartStore, PruneResult, StoreEntry
from homeops.helm.types import ChartRequest

if TYPE_CHECKING:
    from homeops.helm.store.pull import PullResult


def _local_dir(item: HelmReleaseNode) -> LocalDir:
    """The source root of the HelmRelease's own ``chart.spec`` GitRepository/Bucket (as the cluster found
    it); None for any other source."""

    def local_dir(ref: ObjectRef) -> Path | None:
        tpl = item.hr.chart
        if item.chart_dir is None or tpl is None or tpl.source_ref != ref:
            return None
        base = item.chart_dir
        for _ in Path(os.path.normpath(tpl.chart.strip().lstrip("/"))).parts:
            base = base.parent
        return base

    return local_dir


def cluster_requests(cluster: ClusterBuild) -> list[tuple[str, ChartRequest | str]]:
    """``(HelmRelease label, request or problem)`` for every HelmRelease of the tree."""
    by_tree: dict[str, dict[SourceKey, FluxSource]] = {}
    out: list[tuple[str, ChartRequest | str]] = []
    multi = len(cluster.clusters) > 1
    for item in cluster.helmreleases:
        tree = item.parent.tree
        sources = by_tree.get(tree)
        if sources is None:
            nodes = [n for n in cluster.nodes if n.tree == tree]
            objs = (o for n in nodes for o in (*n.objects, *n.generated) if is_source(o))
            sources = by_tree[tree] = index_sources(FluxSource.from_obj(o) for o in objs)
        label = f"HelmRelease/{item.hr.namespace}/{item.hr.name}"
        if multi and tree:
            label = f"{tree}: {label}"
        request = resolve_chart(item.hr, sources, _local_dir(item))
        if isinstance(request, str) and item.chart_error:
            request = item.chart_error
        out.append((label, request))
    return out


@dataclass(frozen=True, slots=True)
class ChartsPullOptions:
    """``homeops charts pull``: the tree's HelmReleases, pulled into the store."""

    repo: RepoOptions = field(default_factory=RepoOptions)
    store_dir: Path | None = None
    refresh: bool = False
    config: HelmStoreConfig | None = None  # None: the helm section of .homeops.yaml


@dataclass
class ChartsPullResult:
    result: PullResult
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.result.failed


def _build(repo: RepoOptions) -> tuple[ClusterBuild, HelmStoreConfig]:
    from homeops.validate.config import load_config

    copts = repo.cluster_options()
    config = load_config(copts.repo, repo.config_file)
    helm = getattr(config, "helm", None)
    return build_cluster(copts), helm if isinstance(helm, HelmStoreConfig) else HelmStoreConfig()


def charts_pull(options: ChartsPullOptions) -> ChartsPullResult:
    """Pull the chart of every HelmRelease of the tree that the store does not hold yet."""
    from homeops.helm.store.pull import PullOptions, pull

    cluster, config = _build(options.repo)
    requests = cluster_requests(cluster)
    popts = PullOptions(store_dir=options.store_dir, config=options.config or config, refresh=options.refresh)
    return ChartsPullResult(pull(requests, popts), list(cluster.problems))


def charts_list(store_dir: Path | None = None) -> list[StoreEntry]:
    """Every chart in the store, by URL, chart and version."""
    store = ChartStore(store_dir)
    return sorted(store.entries().values(), key=lambda e: (e.url, e.chart, e.version, e.digest))


@dataclass(frozen=True, slots=True)
class ChartsPruneOptions:
    """``homeops charts prune``: drop entries the tree no longer uses, and/or not used for a while."""

    repo: RepoOptions = field(default_factory=RepoOptions)
    store_dir: Path | None = None
    unreferenced: bool = True  # remove entries no HelmRelease of the tree resolves to
    older_than: float | None = None  # remove entries not used for this many seconds
    dry_run: bool = False


def charts_prune(options: ChartsPruneOptions) -> PruneResult:
    """Remove what ``options`` selects, then every blob and extracted chart left unreferenced."""
    store = ChartStore(options.store_dir)
    keep: set[str] | None = None
    if options.unreferenced:
        cluster, _ = _build(options.repo)
        keep = set()
        for _, request in cluster_requests(cluster):
            if isinstance(request, ChartRequest):
                entry = store.find(request)
                if entry is not None:
                    keep.add(entry.id)
    return store.prune(keep=keep, older_than=options.older_than, dry_run=options.dry_run)
