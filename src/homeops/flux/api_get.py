"""``homeops get``: the Flux Kustomizations, HelmReleases or sources of a repository's tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeops.errors import UsageError
from homeops.flux.api import RepoOptions
from homeops.flux.cluster import build_cluster
from homeops.flux.masking import cluster_masker
from homeops.flux.rows import hr_row, ks_row, not_applied_row, source_rows


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
