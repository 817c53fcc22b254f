"""What the tree produces that other objects refer to by name: Secrets (directly, or through the operators a
home-ops cluster commonly runs) and PersistentVolumeClaims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeops.flux.secrets import external_secret_target
from homeops.rules.validate._common import as_map, as_seq
from homeops.validate.context import ValidateContext

ANY = "*"
_REPLICATION_MARKS = ("reflector.v1.k8s.emberstack.com", "replicator.v1.mittwald.de", "replicate")
# CloudNativePG creates these Secrets for a Cluster named N: N-app, N-superuser...
_CNPG_SUFFIXES = ("-app", "-superuser", "-ca", "-replication", "-server")


@dataclass
class Produced:
    """Names by namespace (``*`` for every namespace), and what produces each."""

    names: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, namespace: str, name: str, by: str) -> None:
        if name and isinstance(name, str):
            self.names.setdefault(namespace or ANY, {}).setdefault(name, by)

    def has(self, namespace: str, name: str) -> bool:
        return name in self.names.get(namespace, {}) or name in self.names.get(ANY, {})

    def by(self, namespace: str, name: str) -> str | None:
        return self.names.get(namespace, {}).get(name) or self.names.get(ANY, {}).get(name)


def _annotations(obj: Any) -> dict[str, Any]:
    return as_map(as_map(as_map(obj).get("metadata")).get("annotations"))


def _replicated(*objs: Any) -> bool:
    return any(any(m in str(k) for m in _REPLICATION_MARKS) for o in objs for k in _annotations(o))


def secrets_produced(ctx: ValidateContext) -> Produced:
    """Every Secret the tree makes exist, by namespace: built Secrets, ExternalSecret targets, and the
    Secrets of SealedSecrets, OnePasswordItems, cert-manager Certificates, ObjectBucketClaims,
    CloudNativePG and Crunchy clusters, movetokube PostgresUsers, Talos ServiceAccounts, Kyverno generate
    rules; plus ``secrets:`` of ``.homeops.yaml``."""
    out = Produced()
    for entry in ctx.config.secrets:
        ns, _, name = entry.rpartition("/")
        out.add(ns or ANY, name, ".homeops.yaml")
    for b in ctx.built():
        kind, ns, name, spec = b.kind, b.namespace, b.name, as_map(b.obj.get("spec"))
        group = b.api_version.split("/", 1)[0]
        if kind == "Secret" and b.api_version == "v1":
            out.add(ANY if _replicated(b.obj) else ns, name, b.ref)
        elif kind in ("ExternalSecret", "ClusterExternalSecret") and group == "external-secrets.io":
            target = external_secret_target(b.obj, ns)
            if target is not None:
                tpl = as_map(as_map(spec.get("target")).get("template"))
                wide = kind == "ClusterExternalSecret" or _replicated(b.obj, tpl)
                out.add(ANY if wide else ns, target[0], b.ref)
        elif kind == "SealedSecret" or (kind == "OnePasswordItem" and group == "onepassword.com"):
            tpl_name = as_map(as_map(spec.get("template")).get("metadata")).get("name")
            out.add(ns, str(tpl_name or name), b.ref)
        elif kind == "Certificate" and group == "cert-manager.io":
            out.add(ns, str(spec.get("secretName") or ""), b.ref)
        elif kind == "ObjectBucketClaim":
            out.add(ns, name, b.ref)
        elif kind == "Cluster" and group == "postgresql.cnpg.io":
            for suffix in _CNPG_SUFFIXES:
                out.add(ns, name + suffix, b.ref)
        elif kind == "PostgresCluster":
            users = [as_map(u).get("name") for u in as_seq(spec.get("users"))] or [name]
            for user in users:
                out.add(ns, f"{name}-pguser-{user}", b.ref)
        elif kind == "ServiceAccount" and group == "talos.dev":
            out.add(ns, name, b.ref)
        elif kind == "PostgresUser" and group == "db.movetokube.com":
            out.add(ns, f"{spec.get('secretName')}-{name}", b.ref)
        elif kind in ("ClusterPolicy", "Policy") and group == "kyverno.io":
            for rule in as_seq(spec.get("rules")):
                gen = as_map(as_map(rule).get("generate"))
                if gen.get("kind") == "Secret":
                    out.add(ANY, str(gen.get("name") or ""), b.ref)
    return out


def claims_produced(ctx: ValidateContext) -> Produced:
    """Every PersistentVolumeClaim the tree builds, by namespace."""
    out = Produced()
    for b in ctx.built("PersistentVolumeClaim"):
        out.add(b.namespace, b.name, b.ref)
    return out
