"""The Helm stage of the pipeline: render every HelmRelease of a built tree as helm-controller does.

For each HelmRelease: its chart request is resolved against the sources of its cluster
(``homeops.helm.store.tree.cluster_requests``), looked up in the chart store (never the network: ``homeops
charts pull`` fills it), its values are computed as helm-controller computes them, and the releases found
are rendered in parallel through Helm (``homeops.helm.render``). Nothing is skipped silently: a release
that is not rendered has a status and a message (``not-in-store`` names the command that fills the store).

The rendered objects are attached to the Kustomization that applies the HelmRelease (``KsNode.rendered``),
so validate and diff see them as objects Flux applies; their positions are those of the HelmRelease.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from homeops.flux.cluster import ClusterBuild, HelmReleaseNode
from homeops.flux.helmvalues import Lookup, compute_values, lookup_from
from homeops.yaml.nodes import Pos, YMap, YSeq, to_plain

Status = Literal[
    "rendered", "failed", "not-in-store", "unresolved", "values-failed", "no-helm", "no-templates"
]

PULL_HINT = "run `homeops charts pull` (it fetches every chart of the tree into the store)"


@dataclass(frozen=True, slots=True)
class HelmOptions:
    """How the Helm stage runs (``enabled`` False: it does not, and says so)."""

    enabled: bool = True
    store_dir: Path | None = None  # None: $HOMEOPS_CACHE_DIR/charts or ~/.cache/homeops/charts
    render_cache_dir: Path | None = None  # None: $HOMEOPS_CACHE_DIR/render or ~/.cache/homeops/render
    use_cache: bool = True
    kube_version: str | None = None  # None or "latest": the renderer's default
    api_versions: tuple[str, ...] = ()
    helm: Path | None = None  # None: $HOMEOPS_HELM, else helm on PATH
    only: tuple[tuple[str | None, str], ...] | None = None  # (namespace, name) of the releases to render
    progress: Callable[[int, int], None] | None = field(default=None, compare=False)  # renders (done, total)
    allow_network: bool = False  # pull the charts the store lacks first (--allow-network, allowNetwork:)
    store_config: Any = None  # a homeops.helm.store.mirrors.HelmStoreConfig (mirrors, plainHTTP, insecure)


@dataclass
class ReleaseRender:
    """One HelmRelease and what the Helm stage did with it."""

    item: HelmReleaseNode
    status: Status
    message: str = ""
    chart: str = ""  # the request, described
    result: Any = None  # a homeops.helm.render.RenderResult when rendered or failed

    @property
    def ref(self) -> str:
        return f"HelmRelease/{self.item.hr.namespace}/{self.item.hr.name}"

    @property
    def objects(self) -> tuple[YMap, ...]:
        return tuple(self.result.objects) if self.result is not None and self.status == "rendered" else ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.item.hr.name,
            "namespace": self.item.hr.namespace,
            "cluster": self.item.parent.tree,
            "chart": self.chart,
            "status": self.status,
            "message": self.message,
            "objects": len(self.objects),
        }
        if self.result is not None:
            data["chartVersion"] = self.result.chart_version
            data["cached"] = self.result.cached
        return data


@dataclass
class TreeRenders:
    """What the Helm stage did for a tree; ``error`` when Helm itself could not run."""

    releases: list[ReleaseRender] = field(default_factory=list)
    error: str = ""
    enabled: bool = True
    pulled: list[str] = field(default_factory=list)  # what --allow-network fetched first (one line each)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.releases:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def results(self) -> list[Any]:
        """The RenderResults (for the chart-values-valid rule)."""
        return [r.result for r in self.releases if r.result is not None]

    def describe(self) -> str:
        if not self.enabled:
            return "Helm charts not rendered (--no-helm)"
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items()))
        head = f"{len(self.releases)} HelmReleases: {parts or 'none'}"
        if self.pulled:
            head += f"; --allow-network fetched: {'; '.join(self.pulled)}"
        return f"{head}; {self.error}" if self.error else head


def _selected(item: HelmReleaseNode, only: tuple[tuple[str | None, str], ...] | None) -> bool:
    if only is None:
        return True
    return any(name == item.hr.name and ns in (None, item.hr.namespace) for ns, name in only)


def _relocate(obj: YMap, pos: Pos | None) -> None:
    """Every position in ``obj`` becomes ``pos`` (rendered objects live in no file of the repository)."""
    stack: list[Any] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, YMap):
            node.pos = pos
            node.kpos = {k: pos for k in node.kpos} if pos is not None else {}
            stack.extend(v for v in node.values() if isinstance(v, (YMap, YSeq)))
        elif isinstance(node, YSeq):
            node.pos = pos
            node.ipos = [pos for _ in node.ipos]
            stack.extend(v for v in node if isinstance(v, (YMap, YSeq)))


def _crds(cluster: ClusterBuild, tree: str) -> list[YMap]:
    return [
        o
        for n in cluster.nodes
        if n.tree == tree
        for o in n.objects
        if o.get("kind") == "CustomResourceDefinition"
    ]


def render_tree(cluster: ClusterBuild, options: HelmOptions) -> TreeRenders:
    """Render the HelmReleases of ``cluster`` (see the module docstring); attaches the objects."""
    if not options.enabled:
        return TreeRenders(enabled=False)
    from homeops.helm.store.store import ChartStore
    from homeops.helm.store.tree import cluster_requests

    store = ChartStore(options.store_dir)
    out = TreeRenders()
    requests = cluster_requests(cluster)
    if options.allow_network:
        out.pulled = _pull_missing(requests, store, options)
        if out.pulled:
            store = ChartStore(options.store_dir)  # read again: the pull added entries
    lookups: dict[str, Lookup] = {}
    pending: list[tuple[ReleaseRender, Any, Any]] = []
    for item, (_, request) in zip(cluster.helmreleases, requests, strict=True):
        if not _selected(item, options.only):
            continue
        if isinstance(request, str):
            out.releases.append(ReleaseRender(item, "unresolved", request))
            continue
        if item.chart_dir is not None and item.chart_error:  # a chart of this repository with no templates/
            out.releases.append(ReleaseRender(item, "no-templates", item.chart_error, request.describe()))
            continue
        chart = request.describe()
        stored = store.lookup(request)
        if stored is None:
            message = f"chart {chart} is not in the chart store: {PULL_HINT}"
            out.releases.append(ReleaseRender(item, "not-in-store", message, chart))
            continue
        tree = item.parent.tree
        if tree not in lookups:
            lookups[tree] = lookup_from([o for n in cluster.nodes if n.tree == tree for o in n.objects])[0]
        values = compute_values(item.hr, lookups[tree])
        if not values.ok:
            problems = "; ".join(p.message for p in values.problems) or "a valuesFrom source failed"
            message = f"helm-controller cannot compute the values: {problems}"
            out.releases.append(ReleaseRender(item, "values-failed", message, chart))
            continue
        render = ReleaseRender(item, "rendered", "", chart)
        out.releases.append(render)
        pending.append((render, stored, to_plain(values.values)))
    if pending:
        _render(cluster, pending, options, out)
    return out


def _pull_missing(requests: list[tuple[str, Any]], store: Any, options: HelmOptions) -> list[str]:
    """With network allowed: fetch the charts the store does not hold (as `homeops charts pull` does);
    the lines it reports (pulled / failed with the reason)."""
    from homeops.helm.store.mirrors import HelmStoreConfig
    from homeops.helm.store.pull import PullOptions, pull

    wanted = [
        (label, request)
        for label, request in requests
        if not isinstance(request, str) and store.lookup(request) is None
    ]
    if not wanted:
        return []
    config = options.store_config if isinstance(options.store_config, HelmStoreConfig) else HelmStoreConfig()
    result = pull(wanted, PullOptions(store_dir=options.store_dir, config=config))
    return [o.line() for o in result.outcomes]


def _render(
    cluster: ClusterBuild,
    pending: list[tuple[ReleaseRender, Any, Any]],
    options: HelmOptions,
    out: TreeRenders,
) -> None:
    from homeops.helm.render import HelmUnavailableError, ReleaseInput, RenderOptions, render_many

    trees = {r.item.parent.tree for r, _, _ in pending}
    crds = {t: tuple(_crds(cluster, t)) for t in trees}
    cluster_scoped = {t: _cluster_scoped_kinds(crds[t]) for t in trees}
    by_tree: dict[str, list[tuple[ReleaseRender, Any, Any]]] = {}
    for entry in pending:
        by_tree.setdefault(entry[0].item.parent.tree, []).append(entry)
    for tree, entries in by_tree.items():
        ropts = RenderOptions(
            crds=crds[tree],
            extra_api_versions=options.api_versions,
            cache_dir=options.render_cache_dir,
            use_cache=options.use_cache,
            helm=options.helm,
            progress=options.progress,
        )
        if options.kube_version and options.kube_version != "latest":
            ropts = dataclasses.replace(ropts, kube_version=options.kube_version)
        items = [(ReleaseInput.from_helmrelease(r.item.hr, v), c) for r, c, v in entries]
        try:
            results = render_many(items, ropts)
        except HelmUnavailableError as exc:
            out.error = f"Helm charts not rendered: {exc}"
            for render, _, _ in entries:
                render.status, render.message = "no-helm", str(exc)
            continue
        for (render, _, _), result in zip(entries, results, strict=True):
            render.result = result
            if not result.ok:
                render.status = "failed"
                render.message = "; ".join(p.message for p in result.problems if p.fatal)
                continue
            pos = render.item.obj.pos
            namespace = render.item.hr.release_namespace
            scoped = cluster_scoped[tree] | _cluster_scoped_kinds(result.crds)
            for obj in result.objects:
                _relocate(obj, pos)
                _default_namespace(obj, namespace, scoped)
            render.item.parent.rendered.extend(result.objects)


def _cluster_scoped_kinds(crds: Iterable[YMap]) -> set[tuple[str, str]]:
    """(group, kind) of the CRDs that declare ``scope: Cluster``."""
    out: set[tuple[str, str]] = set()
    for crd in crds:
        spec = crd.get("spec")
        if isinstance(spec, dict) and spec.get("scope") == "Cluster":
            names = spec.get("names")
            kind = names.get("kind") if isinstance(names, dict) else None
            if isinstance(kind, str):
                out.add((str(spec.get("group", "")), kind))
    return out


def _default_namespace(obj: YMap, namespace: str, cluster_scoped: set[tuple[str, str]]) -> None:
    """As Helm's kube client applies it: a namespaced object without a namespace gets the release's."""
    from homeops.kustomize.resource import is_cluster_scoped_type, split_api_version

    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    md = obj.get("metadata")
    if not isinstance(md, YMap) or md.get("namespace") or not namespace:
        return
    if is_cluster_scoped_type(api_version, kind) or kind == "CustomResourceDefinition":
        return
    if (split_api_version(api_version)[0], kind) in cluster_scoped:
        return
    md["namespace"] = namespace


__all__ = ["PULL_HINT", "HelmOptions", "ReleaseRender", "TreeRenders", "render_tree"]
