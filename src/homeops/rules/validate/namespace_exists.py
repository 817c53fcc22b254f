"""Every namespaced object goes into a namespace that exists.

Why:
    Flux cannot apply an object into a namespace that does not exist: the whole Kustomization fails its
    dry-run. A namespace exists when the tree creates it (a ``kind: Namespace``), when it is one every
    cluster has (``default``, ``kube-system``, ``kube-public``, ``kube-node-lease``, and ``flux-system`` on a
    Flux cluster), when a HelmRelease creates it (``install.createNamespace``), or when ``.homeops.yaml``
    lists it under ``namespaces``. Reported once per Kustomization and namespace.

Bad:
    # kubernetes/apps/media/kustomization.yaml lists ./plex/ks.yaml but no namespace.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: plex
      namespace: media

Good:
    apiVersion: v1
    kind: Namespace
    metadata:
      name: media
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.kustomize.resource import is_cluster_scoped_type
from homeops.rules.base import finding
from homeops.rules.validate._common import as_map, at
from homeops.validate.context import Built, ValidateContext

CODE = "HO112"
NAME = "namespace-exists"
SEVERITY = Severity.ERROR
KIND = "validate"

ALWAYS = frozenset({"flux-system"})


def _known(ctx: ValidateContext) -> set[str]:
    known = set(ctx.namespaces) | ALWAYS
    for hrn in ctx.helmreleases():
        if as_map(as_map(hrn.obj.get("spec")).get("install")).get("createNamespace") is True:
            known.add(hrn.hr.release_namespace)
    return known


def _cluster_scoped(api_version: str, kind: str) -> bool:
    # Custom cluster-scoped kinds kustomize does not know (ClusterIssuer, ClusterSecretStore...) still get
    # a namespace from ``targetNamespace``; the API server ignores it.
    return is_cluster_scoped_type(api_version, kind) or kind.startswith("Cluster")


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Objects whose namespace the tree neither creates nor knows, once per Kustomization and namespace."""
    known = _known(ctx)
    missing: dict[tuple[int, str], list[Built]] = {}
    for b in ctx.built():
        ns = b.namespace
        if not ns or ns in known or "${" in ns or _cluster_scoped(b.api_version, b.kind):
            continue
        missing.setdefault((id(b.node), ns), []).append(b)
    for (_, ns), objs in missing.items():
        first = objs[0]
        more = f" (and {len(objs) - 1} more object(s) of {first.node.ref})" if len(objs) > 1 else ""
        md = as_map(first.obj.get("metadata"))
        yield finding(
            sys.modules[__name__],
            f"{first.ref} is in namespace {ns!r}, which no Namespace of the tree creates{more}",
            **at(ctx, md.kpos.get("namespace"), first.obj.pos),
            obj=first.ref,
            field="metadata.namespace",
            hint=f"add a Namespace {ns!r} to the tree, or list it under namespaces: in .homeops.yaml",
        )
