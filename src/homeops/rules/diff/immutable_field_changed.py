"""A field Kubernetes does not let you change was changed: Flux will wedge until the object is recreated.

Why:
    The API server rejects updates to immutable fields: a Deployment/StatefulSet/DaemonSet ``selector``, a
    StatefulSet's ``volumeClaimTemplates`` or ``serviceName``, a Job's pod ``template``, a PVC's spec (other
    than growing its storage request), a Service's ``clusterIP`` or a switch to/from ``type: ExternalName``,
    and a RoleBinding's ``roleRef``. Flux's apply then fails on every reconciliation, and everything after
    it in the Kustomization stays stale. (A PVC's storage class change or shrink is reported by HO302.)

Bad:
    spec:
      selector:
        matchLabels:
          app.kubernetes.io/name: romm-new    # was romm

Good:
    metadata:
      annotations:
        kustomize.toolkit.fluxcd.io/force: enabled   # let Flux recreate it, or rename the object
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from homeops.diff.context import HEAD, DiffContext
from homeops.diff.objects import same
from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.diff._common import spec

CODE = "HO303"
NAME = "immutable-field-changed"
SEVERITY = Severity.ERROR
KIND = "diff"


def _fields(group: str, kind: str) -> tuple[tuple[str, ...], ...]:
    if group == "apps" and kind in ("Deployment", "DaemonSet", "ReplicaSet"):
        return (("selector",),)
    if group == "apps" and kind == "StatefulSet":
        return ("selector",), ("volumeClaimTemplates",), ("serviceName",)
    if group == "batch" and kind == "Job":
        return ("selector",), ("template",)
    if group == "rbac.authorization.k8s.io" and kind in ("RoleBinding", "ClusterRoleBinding"):
        return (("roleRef",),)
    return ()


def check(ctx: DiffContext) -> Iterator[Finding]:
    """Compare the immutable fields of every object present on both sides."""
    me = sys.modules[__name__]
    for change in ctx.changed():
        assert change.base is not None and change.head is not None
        b, h = change.base.obj, change.head.obj
        group, kind = change.key.group, change.key.kind
        bad: list[tuple[str, ...]] = []
        if group == "rbac.authorization.k8s.io":
            bad = [f for f in _fields(group, kind) if not same(b.get(f[0]), h.get(f[0]))]
        else:
            bs, hs = spec(b), spec(h)
            bad = [f for f in _fields(group, kind) if not same(bs.get(f[0]), hs.get(f[0]))]
            if group == "" and kind == "PersistentVolumeClaim":
                bad += _pvc(bs, hs)
            elif group == "" and kind == "Service":
                bad += _service(bs, hs)
        for path in bad:
            full = path if group == "rbac.authorization.k8s.io" else ("spec", *path)
            file, line, col = ctx.field_where(h, HEAD, *full)
            yield finding(
                me,
                f"{'.'.join(full)} of {change.ref} is immutable: "
                "Flux will wedge until the object is recreated",
                file=file, line=line, column=col, obj=change.ref, field=".".join(full),
                hint="annotate it kustomize.toolkit.fluxcd.io/force: enabled (Flux recreates it), "
                "or delete it by hand when applying",
            )  # fmt: skip


def _pvc(bs: dict[str, Any], hs: dict[str, Any]) -> list[tuple[str, ...]]:
    ignored = {"resources", "storageClassName", "volumeName"}  # growth is allowed; HO302 covers the rest
    out: list[tuple[str, ...]] = [
        (k,) for k in sorted(set(bs) | set(hs)) if k not in ignored and not same(bs.get(k), hs.get(k))
    ]
    b_res, h_res = bs.get("resources"), hs.get("resources")
    b_lim = b_res.get("limits") if isinstance(b_res, dict) else None
    h_lim = h_res.get("limits") if isinstance(h_res, dict) else None
    if not same(b_lim, h_lim):
        out.append(("resources", "limits"))
    return out


def _service(bs: dict[str, Any], hs: dict[str, Any]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    old_ip, new_ip = bs.get("clusterIP"), hs.get("clusterIP")
    if not same(old_ip, new_ip) and (old_ip not in (None, "") or new_ip not in (None, "")):
        out.append(("clusterIP",))
    if (bs.get("type") == "ExternalName") != (hs.get("type") == "ExternalName"):
        out.append(("type",))
    return out
