"""Every Secret a workload or a HelmRelease refers to is produced in its namespace.

Why:
    A pod whose ``envFrom``, ``secretKeyRef``, secret volume or ``imagePullSecrets`` names a missing Secret
    never starts (``CreateContainerConfigError``), and a HelmRelease whose ``valuesFrom`` Secret is missing
    never installs. The Secret must come from the tree, in the same namespace: a Secret (SOPS, plain or
    from a ``secretGenerator``), an ExternalSecret's target, or an operator object known to create one
    (Certificate, SealedSecret, OnePasswordItem, ObjectBucketClaim, CloudNativePG or Crunchy cluster);
    Secrets created outside the repository go under ``secrets:`` in ``.homeops.yaml`` (``namespace/name``).
    References marked ``optional: true`` are not checked.

Bad:
    # no Secret or ExternalSecret named romm-secret in the namespace games
    envFrom:
      - secretRef:
          name: romm-secret

Good:
    apiVersion: external-secrets.io/v1
    kind: ExternalSecret
    metadata:
      name: romm
    spec:
      target:
        name: romm-secret
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.validate._common import (
    SecretUse,
    at,
    has_variable,
    hr_ref,
    pod_secret_uses,
    pod_spec,
    values_secret_uses,
)
from homeops.rules.validate._producers import secrets_produced
from homeops.validate.context import ValidateContext
from homeops.yaml.nodes import Pos

CODE = "HO109"
NAME = "secret-reference-produced"
SEVERITY = Severity.ERROR
KIND = "validate"


def _uses(ctx: ValidateContext) -> Iterator[tuple[SecretUse, str, str, Pos | None]]:
    """(use, namespace, referrer, fallback position) of every Secret reference of the tree."""
    for b in ctx.built():
        found = pod_spec(b.obj)
        if found is not None:
            for use in pod_secret_uses(*found):
                yield use, b.namespace, b.ref, b.obj.pos
    for hrn in ctx.helmreleases():
        ref, ns = hr_ref(hrn), hrn.hr.namespace
        for vf in hrn.hr.values_from:
            if vf.kind == "Secret" and not vf.optional and vf.name:
                loc = vf.location
                pos = Pos(loc.file, loc.line, loc.column) if loc else None
                yield SecretUse(vf.name, pos, "spec.valuesFrom"), ns, ref, hrn.obj.pos
        if hrn.hr.values is not None:
            for use in values_secret_uses(hrn.hr.values, hrn.hr.release_name):
                yield use, hrn.hr.release_namespace, ref, hrn.obj.pos


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """References to Secrets that nothing in the tree produces in the referrer's namespace."""
    produced = secrets_produced(ctx)
    seen: set[tuple[str, int, str]] = set()
    for use, ns, referrer, fallback in _uses(ctx):
        if has_variable(use.name) or not ns or produced.has(ns, use.name):
            continue
        where = at(ctx, use.pos, fallback)
        key = (where["file"], where["line"], use.name)
        if key in seen:
            continue
        seen.add(key)
        yield finding(
            sys.modules[__name__],
            f"{referrer} needs Secret {ns}/{use.name}, which nothing in the tree produces",
            **where,
            obj=referrer,
            field=use.field,
            hint=f"add a SOPS Secret or an ExternalSecret for {use.name!r} in {ns}, or list "
            f"'{ns}/{use.name}' under secrets: in .homeops.yaml",
        )
