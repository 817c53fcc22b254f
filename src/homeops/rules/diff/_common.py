"""Helpers shared by the diff rules (not a rule: the registry skips ``_`` modules)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeops.diff.context import BASE, HEAD, DiffContext
from homeops.flux.cluster import ClusterBuild, KsNode
from homeops.flux.helmvalues import is_config_map, is_secret, object_data
from homeops.flux.secrets import external_secret_target
from homeops.yaml.nodes import YMap


def spec(obj: Any) -> dict[str, Any]:
    """``spec`` of an object, or an empty map."""
    value = obj.get("spec") if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


_SOURCE_KINDS = frozenset({"ConfigMap", "Secret", "ExternalSecret", "ClusterExternalSecret"})


def _sources(cluster: ClusterBuild) -> list[Any]:
    """The objects a ``substituteFrom`` reference may name, as built, then as the repository holds them
    (a repository file's objects are read only when one is of such a kind)."""
    built = list(cluster.objects_of(_SOURCE_KINDS))
    return built + [e.obj for e in cluster.repo.entries if e.kind in _SOURCE_KINDS]


def _named_data(candidates: list[Any], kind: str, namespace: str, name: str) -> dict[str, str] | None:
    """The data of ConfigMap/Secret ``namespace/name`` among ``candidates`` (see ``_sources``; the first
    wins), or the keys an ExternalSecret will write into a Secret of that name (values unknown: empty)."""
    for obj in candidates:
        if (kind == "ConfigMap" and is_config_map(obj)) or (kind == "Secret" and is_secret(obj)):
            md = obj.get("metadata")
            if not isinstance(md, dict):
                continue
            if md.get("name") == name and md.get("namespace") in (None, "", namespace):
                return object_data(obj)[0]
    if kind == "Secret":
        for obj in candidates:
            target = external_secret_target(obj, namespace)
            if target is not None and target[0] == name:
                return dict.fromkeys(target[1], "")
    return None


def defined_variables(cluster: ClusterBuild) -> dict[str, tuple[KsNode, str]]:
    """Every variable a Flux Kustomization of the tree defines (``postBuild.substitute`` and the keys of its
    ``substituteFrom`` sources): name -> (the first Kustomization defining it, its value)."""
    out: dict[str, tuple[KsNode, str]] = {}
    cache: dict[tuple[str, str, str], dict[str, str] | None] = {}
    candidates: list[Any] | None = None
    for node in cluster.nodes:
        ks = node.ks
        for ref in ks.substitute_from:
            key = (ref.kind, ks.namespace, ref.name)
            if key not in cache:
                if candidates is None:
                    candidates = _sources(cluster)
                cache[key] = _named_data(candidates, *key)
            for var, value in (cache[key] or {}).items():
                out.setdefault(var, (node, value))
        for var, value in ks.substitute.items():
            out.setdefault(var, (node, value))
    return out


def flux_ks_of(item_obj: YMap) -> bool:
    """A kustomize.toolkit.fluxcd.io Kustomization."""
    return str(item_obj.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/")


def sides() -> Iterator[str]:
    yield BASE
    yield HEAD


__all__ = ["BASE", "HEAD", "DiffContext", "defined_variables", "flux_ks_of", "sides", "spec"]
