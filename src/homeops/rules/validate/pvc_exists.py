"""Every PersistentVolumeClaim a pod mounts is built in its namespace.

Why:
    A pod whose ``persistentVolumeClaim.claimName`` names a claim that does not exist stays ``Pending``
    forever, and so does a chart told to use an ``existingClaim``. The claim must be built by the tree in
    the same namespace (claims of a StatefulSet's ``volumeClaimTemplates`` are its own and not checked).

Bad:
    # no PersistentVolumeClaim romm-data in the namespace games
    persistence:
      data:
        existingClaim: romm-data

Good:
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      name: romm-data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 20Gi
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.validate._common import (
    as_map,
    as_seq,
    at,
    has_variable,
    hr_ref,
    key_pos,
    pod_spec,
    render_release,
    walk,
)
from homeops.rules.validate._producers import claims_produced
from homeops.validate.context import ValidateContext
from homeops.yaml.nodes import Pos

CODE = "HO110"
NAME = "pvc-exists"
SEVERITY = Severity.ERROR
KIND = "validate"


def _uses(ctx: ValidateContext) -> Iterator[tuple[str, str, str, str, Pos | None, Pos | None]]:
    """(claim, namespace, referrer, field, position, fallback) of every claim reference."""
    for b in ctx.built():
        found = pod_spec(b.obj)
        if found is None:
            continue
        podspec, prefix = found
        for i, vol in enumerate(as_seq(podspec.get("volumes"))):
            pvc = as_map(as_map(vol).get("persistentVolumeClaim"))
            name = pvc.get("claimName")
            if isinstance(name, str) and name:
                field = f"{prefix}.volumes[{i}].persistentVolumeClaim.claimName"
                yield name, b.namespace, b.ref, field, key_pos(pvc, "claimName"), b.obj.pos
    for hrn in ctx.helmreleases():
        if hrn.hr.values is None:
            continue
        for parent, key, value, path in walk(hrn.hr.values, "spec.values"):
            if key == "existingClaim" and isinstance(value, str) and value:
                name = render_release(value, hrn.hr.release_name)
                ns = hrn.hr.release_namespace
                yield name, ns, hr_ref(hrn), path, key_pos(parent, key), hrn.obj.pos


def _templated_claim_generators(ctx: ValidateContext) -> str:
    """A Flux operator ResourceSet of the tree whose template makes PersistentVolumeClaims ("" if none)."""
    for b in ctx.built("ResourceSet"):
        spec = b.obj.get("spec")
        template = spec.get("resourcesTemplate") if isinstance(spec, dict) else None
        if isinstance(template, str) and "kind: PersistentVolumeClaim" in template:
            return b.ref
    return ""


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Claims referred to by pods or HelmRelease values that the tree does not build."""
    claims = claims_produced(ctx)
    external = set(ctx.config.persistent_volume_claims)
    templated = _templated_claim_generators(ctx)
    seen: set[tuple[str, int, str]] = set()
    for name, ns, referrer, field, pos, fallback in _uses(ctx):
        if has_variable(name) or not ns or claims.has(ns, name) or f"{ns}/{name}" in external:
            continue
        where = at(ctx, pos, fallback)
        key = (where["file"], where["line"], name)
        if key in seen:
            continue
        seen.add(key)
        if templated:
            yield finding(
                sys.modules[__name__],
                f"{referrer} mounts PersistentVolumeClaim {ns}/{name}, which the tree does not build; "
                f"{templated} templates PersistentVolumeClaims that homeops cannot expand offline",
                **where,
                obj=referrer,
                field=field,
                hint="check that the template generates this claim, or list it under persistentVolumeClaims "
                "in .homeops.yaml",
                severity=Severity.WARNING,
            )
            continue
        yield finding(
            sys.modules[__name__],
            f"{referrer} mounts PersistentVolumeClaim {ns}/{name}, which the tree does not build",
            **where,
            obj=referrer,
            field=field,
            hint=f"add a PersistentVolumeClaim {name!r} in {ns}, fix the name, or list {ns}/{name} under "
            "persistentVolumeClaims in .homeops.yaml if it is created outside the repository",
        )
