"""OCIRepository references pin one artifact.

Why:
    An OCIRepository without a ``ref`` follows the ``latest`` tag, and one with a ``semver`` range follows
    whatever the registry publishes next: a chart or manifest upgrade then happens without a commit, and
    rolling back means finding out what changed. Pin a ``tag`` (not ``latest``), an exact ``semver`` or a
    ``digest``, and let Renovate propose the upgrades.

Bad:
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    spec:
      url: oci://ghcr.io/bjw-s-labs/helm/app-template
      ref:
        semver: ">=4.0.0"

Good:
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    spec:
      url: oci://ghcr.io/bjw-s-labs/helm/app-template
      ref:
        tag: 4.1.2
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.flux.kinds import SOURCE_GROUP
from homeops.rules.base import finding
from homeops.rules.validate._common import as_map, at, key_pos
from homeops.rules.validate._pinning import oci_ref_problem
from homeops.validate.context import ValidateContext

CODE = "HO103"
NAME = "oci-ref-pinned"
SEVERITY = Severity.ERROR
KIND = "validate"


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Every built OCIRepository whose ref is not a fixed tag, an exact semver or a digest."""
    seen: set[tuple[str, int]] = set()
    for b in ctx.built("OCIRepository"):
        if not b.api_version.startswith(SOURCE_GROUP + "/"):
            continue
        spec = as_map(b.obj.get("spec"))
        problem = oci_ref_problem(spec)
        if problem is None:
            continue
        why, key = problem
        ref = as_map(spec.get("ref"))
        pos = key_pos(ref, key) if key != "ref" else spec.kpos.get("ref") or key_pos(b.obj, "spec")
        where = at(ctx, pos, b.obj.pos)
        if (where["file"], where["line"]) in seen:
            continue
        seen.add((where["file"], where["line"]))
        yield finding(
            sys.modules[__name__],
            f"{b.ref} is not pinned: {why}",
            **where,
            obj=b.ref,
            field="spec.ref" if key == "ref" else f"spec.ref.{key}",
            hint="pin ref.tag to a version (or ref.digest); Renovate can keep it current",
        )
