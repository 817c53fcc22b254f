"""Objects of a built cluster indexed for pairing: by (group, kind, namespace, name), with the Flux
Kustomization that applies each, and the noise (checksum annotations, chart-version labels) stripped."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from homeops.flux.cluster import ClusterBuild, KsNode
from homeops.kustomize.resource import split_api_version
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy

DEFAULT_STRIP_ATTRS: tuple[str, ...] = ("checksum/*", "helm.sh/chart", "app.kubernetes.io/version")
"""Label and annotation keys ignored by default (shell-style patterns)."""


@dataclass(frozen=True, slots=True, order=True)
class ObjKey:
    """How objects are paired across the two sides."""

    group: str
    kind: str
    namespace: str
    name: str
    cluster: str = ""  # the cluster of a multi-cluster repository applying it ("" with one cluster)

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` when cluster-scoped), ``@cluster`` added in a
        multi-cluster repository."""
        ref = f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"
        return f"{ref}@{self.cluster}" if self.cluster else ref


@dataclass(frozen=True, slots=True)
class Item:
    """An object as one side's build applies it, and the Kustomization applying it."""

    key: ObjKey
    obj: YMap
    node: KsNode

    @property
    def parent_ref(self) -> str:
        """The applying Kustomization, ``@cluster`` added in a multi-cluster repository."""
        node = self.node
        return f"{node.ref}@{node.cluster}" if node.cluster else node.ref


def key_of(obj: YMap, cluster: str = "") -> ObjKey | None:
    """The pairing key of an object (applied in ``cluster``); None for something that is not a named
    object."""
    kind = obj.get("kind")
    md = obj.get("metadata")
    if not isinstance(kind, str) or not isinstance(md, dict):
        return None
    name = md.get("name")
    if not isinstance(name, str) or not name:
        return None
    ns = md.get("namespace")
    group = split_api_version(str(obj.get("apiVersion", "")))[0]
    return ObjKey(group, kind, ns if isinstance(ns, str) else "", name, cluster)


def index_cluster(cluster: ClusterBuild) -> dict[ObjKey, Item]:
    """Every object the tree applies, by key, in build order (the first of duplicates wins; the objects of
    two clusters are never duplicates)."""
    out: dict[ObjKey, Item] = {}
    for node in cluster.nodes:
        for obj in [*node.objects, *node.rendered]:
            key = key_of(obj, node.cluster)
            if key is not None and key not in out:
                out[key] = Item(key, obj, node)
    return out


def strip_attrs(obj: YMap, patterns: Sequence[str]) -> YMap:
    """A copy of ``obj`` without the labels and annotations matching ``patterns``, at any depth (pod
    templates included). Empty label/annotation maps left behind are removed too."""
    out: YMap = deep_copy(obj)
    if not patterns:
        return out
    stack: list[Any] = [out]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            md = node.get("metadata")
            if isinstance(md, dict):
                for field in ("labels", "annotations"):
                    values = md.get(field)
                    if not isinstance(values, dict):
                        continue
                    for k in [k for k in values if _matches(str(k), patterns)]:
                        del values[k]
                    if not values:
                        del md[field]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def _matches(key: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def get_path(obj: Any, *path: str | int) -> Any:
    """The value at ``path`` (map keys and list indexes), else None."""
    node = obj
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
        else:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
    return node


def pos_of(obj: YMap, *path: str | int) -> Pos | None:
    """Where the deepest existing key of ``path`` is written (falls back to the object's start)."""
    best = obj.pos
    node: Any = obj
    for part in path:
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            best = node.kpos.get(part, best)
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and part < len(node):
            best = node.item_pos(part) or best
            node = node[part]
        else:
            break
    return best


_SUFFIXES = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
    "n": 10**-9, "u": 10**-6, "m": 10**-3, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
    "E": 10**18,
}  # fmt: skip


def parse_quantity(value: Any) -> float | None:
    """A Kubernetes resource quantity (``10Gi``, ``500M``, ``1e3``) as a number; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * _SUFFIXES[suffix]
            except ValueError:
                return None
    try:
        return float(text)
    except ValueError:
        return None


def walk(value: Any, path: tuple[str | int, ...] = ()) -> Iterable[tuple[tuple[str | int, ...], Any]]:
    """Every (path, node) of a document, depth first, the document itself included."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, (*path, i))


def dotted(path: Sequence[str | int]) -> str:
    """``spec.template.spec.containers[0].image``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def same(a: Any, b: Any) -> bool:
    """Semantic equality of two documents: maps regardless of key order, scalars of the same type
    (``true`` is not ``1``, ``1`` is not ``"1"``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return type(a) is type(b) and a == b
