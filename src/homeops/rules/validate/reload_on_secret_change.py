"""Workloads that read a Secret from an ExternalSecret restart when it changes.

Why:
    An ExternalSecret refreshes its Secret whenever the value changes in the secret store, but pods read
    environment variables once, at start: a rotated password is ignored until something restarts them.
    Stakater Reloader does that for workloads annotated ``reloader.stakater.com/auto: "true"`` (or
    ``secret.reloader.stakater.com/reload`` naming the Secret, or ``reloader.stakater.com/search``).
    Checked on Deployments, StatefulSets and DaemonSets, and on app-template HelmRelease controllers
    (``controllers.<name>.annotations``).

Bad:
    controllers:
      romm:
        containers:
          app:
            envFrom:
              - secretRef:
                  name: romm-secret   # made by an ExternalSecret

Good:
    controllers:
      romm:
        annotations:
          reloader.stakater.com/auto: "true"
        containers:
          app:
            envFrom:
              - secretRef:
                  name: romm-secret
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.validate._common import (
    as_map,
    at,
    external_secret_names,
    hr_ref,
    is_app_template,
    key_pos,
    pod_secret_uses,
    pod_spec,
    values_secret_uses,
)
from homeops.validate.context import ValidateContext

CODE = "HO113"
NAME = "reload-on-secret-change"
SEVERITY = Severity.WARNING
KIND = "validate"

_LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_HINT = 'add the annotation reloader.stakater.com/auto: "true"'


def reloads(annotations: Any, secrets: set[str]) -> bool:
    """Whether Reloader annotations make a workload restart when any of ``secrets`` changes."""
    ann = annotations if isinstance(annotations, dict) else {}
    for key in (
        "reloader.stakater.com/auto",
        "secret.reloader.stakater.com/auto",
        "reloader.stakater.com/search",
    ):
        if str(ann.get(key, "")).lower() == "true":
            return True
    named = {n.strip() for n in str(ann.get("secret.reloader.stakater.com/reload", "")).split(",")}
    return bool(secrets) and secrets <= named


def _from_es(names: dict[str, dict[str, Any]], ns: str, used: set[str]) -> set[str]:
    made = set(names.get(ns, {})) | set(names.get("*", {}))
    return used & made


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Workloads and app-template controllers using ExternalSecret Secrets without a Reloader annotation."""
    module = sys.modules[__name__]
    es = external_secret_names(ctx)
    for b in ctx.built():
        if b.kind not in _LONG_RUNNING or (found := pod_spec(b.obj)) is None:
            continue
        used = _from_es(es, b.namespace, {u.name for u in pod_secret_uses(*found, pull=False)})
        if used and not reloads(b.metadata.get("annotations"), used):
            yield finding(
                module,
                f"{b.ref} reads {', '.join(sorted(used))} (from an ExternalSecret) but does not restart "
                "when it changes",
                **at(ctx, b.obj.pos),
                obj=b.ref,
                field="metadata.annotations",
                hint=_HINT,
            )
    seen: set[tuple[str, int]] = set()
    for hrn in ctx.helmreleases():
        values = hrn.hr.values
        if values is None or not is_app_template(values):
            continue
        ns, release = hrn.hr.release_namespace, hrn.hr.release_name
        shared = {u.name for u in values_secret_uses(as_map(values.get("persistence")), release)}
        global_ann = as_map(as_map(values.get("global")).get("annotations"))
        controllers = as_map(values.get("controllers"))
        for name, ctrl in controllers.items():
            ctrl = as_map(ctrl)
            kind = str(ctrl.get("type", "deployment")).lower()
            if kind not in ("deployment", "statefulset", "daemonset") or "cronjob" in ctrl or "job" in ctrl:
                continue
            own = {u.name for u in values_secret_uses(ctrl, release)}
            used = _from_es(es, ns, own | shared)
            if not used or reloads({**global_ann, **as_map(ctrl.get("annotations"))}, used):
                continue
            where = at(ctx, key_pos(controllers, name), hrn.obj.pos)
            if (where["file"], where["line"]) in seen:
                continue
            seen.add((where["file"], where["line"]))
            yield finding(
                module,
                f"{hr_ref(hrn)} controller {name} reads {', '.join(sorted(used))} (from an ExternalSecret) "
                "but does not restart when it changes",
                **where,
                obj=hr_ref(hrn),
                field=f"spec.values.controllers.{name}.annotations",
                hint=_HINT,
            )
