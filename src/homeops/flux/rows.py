"""The rows ``homeops get`` and ``homeops build`` print: one dict per Kustomization, HelmRelease or source,
in the JSON shapes documented in docs/json-output.md."""

from __future__ import annotations

from typing import Any

from homeops.flux.cluster import ClusterBuild, HelmReleaseNode, KsNode, NotApplied
from homeops.flux.kinds import FluxSource, is_source
from homeops.yaml.nodes import to_plain


def ks_row(node: KsNode) -> dict[str, Any]:
    ks = node.ks
    src = ks.source_ref
    return {
        "name": node.name,
        "namespace": node.namespace,
        "path": ks.path,
        "source": f"{src.kind}/{src.namespace}/{src.name}" if src else "",
        "status": node.status,
        "error": node.error,
        "file": node.defined_at.file,
        "line": node.defined_at.line,
        "parent": f"{node.parent.namespace}/{node.parent.name}" if node.parent else "",
        "cluster": node.tree,
        "root": node.root_reason,
        "synthesized": node.synthesized,
        "dependsOn": [f"{d.namespace}/{d.name}" for d in ks.depends_on],
        "suspended": ks.suspend,
        "prune": ks.prune,
        "objects": node.object_count,
        "notes": list(node.notes),
        "unresolved": [
            {
                "variable": u.variable,
                "object": u.object,
                "file": u.file,
                "line": u.line,
                "column": u.column,
                "reason": u.reason,
            }
            for u in node.unresolved
        ],
    }


def hr_row(item: HelmReleaseNode, cluster: ClusterBuild) -> dict[str, Any]:
    hr = item.hr
    chart: dict[str, Any] = {}
    if hr.chart is not None:
        src = hr.chart.source_ref
        chart = {
            "name": hr.chart.chart,
            "version": hr.chart.version,
            "source": f"{src.kind}/{src.namespace}/{src.name}" if src else "",
        }
        if item.chart_dir is not None or item.chart_error:
            chart["local"] = cluster.repo.rel(item.chart_dir) if item.chart_dir else ""
            chart["problem"] = item.chart_error
    elif hr.chart_ref is not None:
        ref = hr.chart_ref
        chart = {"name": "", "version": "", "source": f"{ref.kind}/{ref.namespace}/{ref.name}"}
    pos = item.obj.pos
    return {
        "name": hr.name,
        "namespace": hr.namespace,
        "releaseName": hr.release_name,
        "targetNamespace": hr.target_namespace or "",
        "chart": chart,
        "kustomization": f"{item.parent.namespace}/{item.parent.name}",
        "dependsOn": [f"{d.namespace}/{d.name}" for d in hr.depends_on],
        "suspended": hr.suspend,
        "file": cluster.repo.rel_file(pos.file) if pos else "",
        "line": pos.line if pos else 0,
    }


def not_applied_row(na: NotApplied) -> dict[str, Any]:
    ks = na.ks
    src = ks.source_ref
    return {
        "name": ks.name,
        "namespace": ks.namespace,
        "path": ks.path,
        "source": f"{src.kind}/{src.namespace}/{src.name}" if src else "",
        "status": "not-selected" if na.selected_out else "not-applied",
        "error": na.reason,
        "file": na.defined_at.file,
        "line": na.defined_at.line,
        "parent": "",
        "cluster": na.cluster,
        "root": "",
        "synthesized": False,
        "dependsOn": [f"{d.namespace}/{d.name}" for d in ks.depends_on],
        "suspended": ks.suspend,
        "prune": ks.prune,
        "objects": 0,
        "notes": [],
        "unresolved": [],
    }


def source_rows(cluster: ClusterBuild) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for node in cluster.nodes:
        for obj in node.objects:
            if not is_source(obj):
                continue
            src = FluxSource.from_obj(obj)
            key = (src.kind, src.namespace, src.name)
            if key in seen:
                continue
            seen.add(key)
            pos = obj.pos
            rows.append(
                {
                    "kind": src.kind,
                    "name": src.name,
                    "namespace": src.namespace,
                    "url": src.url,
                    "ref": to_plain(src.ref) if src.ref else {},
                    "local": False,
                    "kustomization": f"{node.namespace}/{node.name}",
                    "file": cluster.repo.rel_file(pos.file) if pos else "",
                    "line": pos.line if pos else 0,
                }
            )
    for node in cluster.nodes:
        ref = node.ks.source_ref
        if ref is None or node.status == "external":
            continue
        key = (ref.kind, ref.namespace, ref.name)
        for row in rows:
            if (row["kind"], row["namespace"], row["name"]) == key:
                row["local"] = True
        if key not in seen:
            seen.add(key)
            rows.append(
                {
                    "kind": ref.kind,
                    "name": ref.name,
                    "namespace": ref.namespace,
                    "url": "",
                    "ref": {},
                    "local": True,
                    "kustomization": "",
                    "file": "",
                    "line": 0,
                }
            )
    return rows
