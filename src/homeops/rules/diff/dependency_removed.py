"""A ``dependsOn`` edge was removed while the dependent still needs what the dependency provides.

Why:
    ``dependsOn`` makes Flux apply a Kustomization only once its dependencies are ready. When the dependent
    still uses a custom resource whose CRD the dependency installs, or a Secret the dependency produces
    (directly or through an ExternalSecret), removing the edge lets Flux apply it first: on a fresh cluster,
    or after a disaster recovery, its apply fails ("no matches for kind") or its pods wait for a missing
    Secret.

Bad:
    # apps/romm/ks.yaml: the ExternalSecret needs the external-secrets CRDs and ClusterSecretStore
    spec:
      path: ./kubernetes/apps/games/romm/app
      # dependsOn: [{name: external-secrets-stores}]   <- removed

Good:
    spec:
      path: ./kubernetes/apps/games/romm/app
      dependsOn:
        - name: external-secrets-stores
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from homeops.diff.context import HEAD, DiffContext
from homeops.diff.objects import key_of, walk
from homeops.findings import Finding, Severity
from homeops.flux.cluster import KsNode
from homeops.flux.secrets import external_secret_target
from homeops.rules.base import finding
from homeops.rules.diff._common import spec

CODE = "HO307"
NAME = "dependency-removed"
SEVERITY = Severity.ERROR
KIND = "diff"


def check(ctx: DiffContext) -> Iterator[Finding]:
    """Removed Kustomization ``dependsOn`` edges whose dependent uses the dependency's CRDs or Secrets."""
    me = sys.modules[__name__]
    for node in ctx.head.nodes:
        old = ctx.node("base", node.namespace, node.name)
        if old is None:
            continue
        removed = [d for d in old.ks.depends_on if d not in node.ks.depends_on]
        for dep in removed:
            provider = ctx.node("base", dep.namespace, dep.name)
            if provider is None:
                continue
            crds, secrets = _provides(provider)
            needs = _needs(node, crds, secrets)
            if not needs:
                continue
            file, line, col = ctx.field_where(node.ks.obj, HEAD, "spec")
            shown = ", ".join(needs[:5]) + (f" and {len(needs) - 5} more" if len(needs) > 5 else "")
            yield finding(
                me,
                f"{node.ref} no longer depends on {provider.ref}, but still uses what it provides: {shown}",
                file=file, line=line, column=col, obj=node.ref, field="spec.dependsOn",
                hint=f"keep `dependsOn: [{{name: {dep.name}}}]`",
            )  # fmt: skip


def _provides(node: KsNode) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The (group, kind) of the CRDs a Kustomization installs and the (namespace, name) of its Secrets."""
    crds: set[tuple[str, str]] = set()
    secrets: set[tuple[str, str]] = set()
    for obj in node.objects:
        key = key_of(obj)
        if key is None:
            continue
        if key.kind == "CustomResourceDefinition":
            s = spec(obj)
            names = s.get("names")
            if (
                isinstance(s.get("group"), str)
                and isinstance(names, dict)
                and isinstance(names.get("kind"), str)
            ):
                crds.add((s["group"], names["kind"]))
        elif key.kind == "Secret" and key.group == "":
            secrets.add((key.namespace, key.name))
        else:
            target = external_secret_target(obj, key.namespace)
            if target is not None:
                secrets.add((key.namespace, target[0]))
    return crds, secrets


def _needs(node: KsNode, crds: set[tuple[str, str]], secrets: set[tuple[str, str]]) -> list[str]:
    found: list[str] = []
    produced = {(k.namespace, k.name) for o in node.objects if (k := key_of(o)) and k.kind == "Secret"}
    for sub in node.ks.substitute_from:
        if sub.kind == "Secret" and (node.namespace, sub.name) in secrets:
            found.append(f"Secret {node.namespace}/{sub.name} (substituteFrom)")
    for obj in node.objects:
        key = key_of(obj)
        if key is None:
            continue
        if (key.group, key.kind) in crds:
            found.append(f"{key.kind}.{key.group} {key.ref}")
        for name in sorted(_secret_refs(obj)):
            wanted = (key.namespace, name)
            if wanted in secrets and wanted not in produced:
                found.append(f"Secret {key.namespace}/{name} (in {key.ref})")
    return list(dict.fromkeys(found))


def _secret_refs(obj: Any) -> set[str]:
    """Names of Secrets an object refers to: volumes, env, envFrom, ``*SecretRef``, valuesFrom..."""
    out: set[str] = set()
    for path, node in walk(obj):
        if not isinstance(node, dict) or not path:
            continue
        last = path[-1]
        if isinstance(node.get("secretName"), str):
            out.add(node["secretName"])
        name = node.get("name")
        if isinstance(name, str) and last in ("secretRef", "secretKeyRef"):
            out.add(name)
        if isinstance(node.get("existingSecret"), str):
            out.add(node["existingSecret"])
        in_values_from = len(path) >= 2 and path[-2] == "valuesFrom"
        if isinstance(name, str) and node.get("kind") == "Secret" and in_values_from:
            out.add(name)
    return out
