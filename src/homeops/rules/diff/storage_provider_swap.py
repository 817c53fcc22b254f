"""Storage moved to another provider or shrank: the data does not follow, a PVC migration is required.

Why:
    Changing a PersistentVolumeClaim's ``storageClassName``, moving a volume between NFS, a PVC and an
    ``emptyDir`` (in a workload's pod spec or a HelmRelease's ``persistence`` values), or asking for a smaller
    PVC does not move any data: Kubernetes refuses the PVC change, or the app starts on an empty volume. The
    data has to be migrated (backup and restore, or a copy job) before the change is applied.

Bad:
    persistence:
      config:
        type: emptyDir          # was: existingClaim: romm-config

Good:
    persistence:
      config:
        existingClaim: romm-config   # migrate the data first, then change the provider
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from homeops.diff.context import HEAD, DiffContext
from homeops.diff.objects import get_path, parse_quantity
from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.diff._common import spec

CODE = "HO302"
NAME = "storage-provider-swap"
SEVERITY = Severity.ERROR
KIND = "diff"

_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})


def check(ctx: DiffContext) -> Iterator[Finding]:
    """PVC class changes and shrinks, volume provider moves in pod specs and HelmRelease persistence."""
    me = sys.modules[__name__]
    for change in ctx.changed():
        assert change.base is not None and change.head is not None
        b, h = change.base.obj, change.head.obj
        kind = change.key.kind
        if kind == "PersistentVolumeClaim" and change.key.group == "":
            bs, hs = spec(b), spec(h)
            if bs.get("storageClassName") != hs.get("storageClassName"):
                file, line, col = ctx.field_where(h, HEAD, "spec", "storageClassName")
                yield finding(
                    me,
                    f"PVC migration required: claim {change.key.name} moves from storage class "
                    f"{_show(bs.get('storageClassName'))} to {_show(hs.get('storageClassName'))}",
                    file=file, line=line, column=col, obj=change.ref, field="spec.storageClassName",
                    hint="copy the data to a new claim first; Kubernetes cannot change the class of a claim",
                )  # fmt: skip
            old = parse_quantity(get_path(bs, "resources", "requests", "storage"))
            new = parse_quantity(get_path(hs, "resources", "requests", "storage"))
            if old is not None and new is not None and new < old:
                file, line, col = ctx.field_where(h, HEAD, "spec", "resources", "requests", "storage")
                yield finding(
                    me,
                    f"PVC migration required: claim {change.key.name} shrinks from "
                    f"{get_path(bs, 'resources', 'requests', 'storage')} to "
                    f"{get_path(hs, 'resources', 'requests', 'storage')} (claims can only grow)",
                    file=file, line=line, column=col, obj=change.ref,
                    field="spec.resources.requests.storage",
                    hint="copy the data to a new, smaller claim instead",
                )  # fmt: skip
        elif kind in _WORKLOADS:
            old_vols, new_vols = _pod_volumes(b), _pod_volumes(h)
            for name in sorted(set(old_vols) & set(new_vols)):
                (old_kind, old_claim), (new_kind, new_claim) = old_vols[name], new_vols[name]
                if old_kind != new_kind and {old_kind, new_kind} & {"NFS", "PVC", "emptyDir"}:
                    claim = old_claim or new_claim or name
                    file, line, col = ctx.field_where(h, HEAD, "spec")
                    yield finding(
                        me,
                        f"PVC migration required: volume {name!r} (claim {claim}) moves from {old_kind} "
                        f"to {new_kind}; its data does not follow",
                        file=file, line=line, column=col, obj=change.ref,
                        hint="migrate the data before switching the volume's provider",
                    )  # fmt: skip
    for key, hv in ctx.head_values.items():
        bv = ctx.base_values.get(key)
        if bv is None:
            continue
        old_p, new_p = _persistence(bv.values), _persistence(hv.values)
        item = ctx.head_index.get(key)
        for name in sorted(set(old_p) & set(new_p)):
            (old_kind, old_claim, old_class), (new_kind, new_claim, new_class) = old_p[name], new_p[name]
            moved = old_kind != new_kind or (old_kind == new_kind == "PVC" and old_class != new_class)
            if not moved:
                continue
            claim = old_claim or new_claim or f"{key.name}-{name}"
            detail = (
                f"moves from {old_kind} to {new_kind}"
                if old_kind != new_kind
                else f"moves from storage class {_show(old_class)} to {_show(new_class)}"
            )
            file, line, col = ctx.field_where(item.obj, HEAD, "spec", "values") if item else ("", 0, 0)
            yield finding(
                me,
                f"PVC migration required: persistence {name!r} (claim {claim}) {detail}",
                file=file, line=line, column=col, obj=key.ref, field=f"values.persistence.{name}",
                hint="migrate the data before switching the volume's provider",
            )  # fmt: skip


def _show(value: Any) -> str:
    return "(default)" if value in (None, "") else str(value)


def _pod_volumes(obj: Any) -> dict[str, tuple[str, str]]:
    """Volumes of a workload's pod spec: name -> (provider, claim name)."""
    pod = spec(obj)
    for path in (("template", "spec"), ("jobTemplate", "spec", "template", "spec")):
        found = get_path(pod, *path)
        if isinstance(found, dict):
            pod = found
            break
    out: dict[str, tuple[str, str]] = {}
    volumes = pod.get("volumes")
    for vol in volumes if isinstance(volumes, list) else []:
        if not isinstance(vol, dict) or not isinstance(vol.get("name"), str):
            continue
        if isinstance(vol.get("nfs"), dict):
            out[vol["name"]] = ("NFS", "")
        elif isinstance(vol.get("persistentVolumeClaim"), dict):
            out[vol["name"]] = ("PVC", str(vol["persistentVolumeClaim"].get("claimName", "")))
        elif "emptyDir" in vol:
            out[vol["name"]] = ("emptyDir", "")
        else:
            other = next((k for k in vol if k != "name"), "other")
            out[vol["name"]] = (str(other), "")
    return out


_TYPES = {"nfs": "NFS", "persistentvolumeclaim": "PVC", "pvc": "PVC", "emptydir": "emptyDir"}


def _persistence(values: Any) -> dict[str, tuple[str, str, str]]:
    """HelmRelease ``persistence`` entries (bjw-s app-template and common-chart style):
    name -> (provider, claim, storage class)."""
    table = values.get("persistence") if isinstance(values, dict) else None
    out: dict[str, tuple[str, str, str]] = {}
    for name, entry in table.items() if isinstance(table, dict) else ():
        if not isinstance(entry, dict) or entry.get("enabled") is False:
            continue
        raw = entry.get("type")
        kind = _TYPES.get(str(raw).lower(), str(raw)) if isinstance(raw, str) else ""
        if not kind:
            if "existingClaim" in entry or "storageClass" in entry or "size" in entry:
                kind = "PVC"
            elif "server" in entry:
                kind = "NFS"
            else:
                continue
        claim = entry.get("existingClaim")
        sc = entry.get("storageClass")
        out[str(name)] = (kind, claim if isinstance(claim, str) else "", sc if isinstance(sc, str) else "")
    return out
