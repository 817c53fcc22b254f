"""Secrets and substitution sources: SOPS decryption, the lookup of ``substituteFrom`` and ``valuesFrom``
sources, and masking of Secret values in every output.

Objects keep their real values while the tree is built (decrypted with the user's age key when one is
given; ``<encrypted>`` placeholders otherwise), so that substitution and HelmRelease values see what the
cluster would see. Output goes through ``mask_secrets`` unless the user asks to reveal them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from homeops.errors import HomeopsError
from homeops.flux.repository import ObjectEntry, Repository
from homeops.flux.varsub import variables_from_resource
from homeops.sops import ENCRYPTED_PLACEHOLDER, decrypt_document, is_sops_encrypted, mask_encrypted
from homeops.yaml.nodes import YMap, deep_copy

if TYPE_CHECKING:
    from homeops.flux.cluster import KsNode

MASK = "**masked**"


def mask_secrets(obj: YMap) -> YMap:
    """A copy of ``obj`` with the values of a Secret's ``data``/``stringData`` replaced by a mask."""
    if obj.get("kind") != "Secret" or obj.get("apiVersion") != "v1":
        return obj
    out: YMap = deep_copy(obj)
    for field in ("data", "stringData"):
        values = out.get(field)
        if isinstance(values, dict):
            for key in list(values):
                values[key] = MASK
    return out


def _closeness(a: str, b: str) -> int:
    return len(os.path.commonpath([a, b])) if a and b else 0


class SecretResolver:
    """Decrypts SOPS documents and finds ConfigMaps/Secrets that substitution and values refer to."""

    def __init__(self, repo: Repository, identities: Sequence[str]) -> None:
        self.repo = repo
        self.identities = list(identities)
        self.problems: list[str] = []

    def decrypt_if_possible(self, obj: YMap) -> tuple[YMap, bool]:
        """(the object with SOPS values decrypted, True) or (values masked as ``<encrypted>``, False)."""
        if not is_sops_encrypted(obj):
            return obj, True
        if self.identities:
            try:
                return decrypt_document(obj, self.identities), True
            except HomeopsError as exc:
                self.problems.append(str(exc))
        return mask_encrypted(obj), False

    def lookup_object(
        self, kind: str, namespace: str, name: str, done: Sequence[KsNode], node: KsNode
    ) -> YMap | None:
        """The ConfigMap/Secret ``namespace/name`` as the tree built it, else as the repository holds it."""
        for other in reversed(done):
            if other.tree != node.tree:
                continue
            for obj in other.objects:
                if obj.get("kind") != kind or obj.get("apiVersion") != "v1":
                    continue
                md = obj.get("metadata")
                if isinstance(md, dict) and md.get("name") == name and md.get("namespace", "") in (namespace, ""):
                    return obj
        candidates: list[ObjectEntry] = [
            e
            for e in self.repo.entries
            if e.kind == kind and e.name == name and (e.namespace or namespace) == namespace
        ]
        if not candidates:
            return None
        anchor = node.defined_at.file
        best = max(candidates, key=lambda e: _closeness(e.rel, anchor))
        return best.obj

    def lookup_variables(
        self, kind: str, namespace: str, name: str, done: Sequence[KsNode], node: KsNode
    ) -> tuple[dict[str, str], list[str]] | None:
        """Variables from a ConfigMap/Secret, and the names whose values stay encrypted (no key)."""
        obj = self.lookup_object(kind, namespace, name, done, node)
        if obj is None:
            return None
        plain, ok = self.decrypt_if_possible(obj)
        values = variables_from_resource(plain)
        encrypted = [] if ok else [k for k, v in values.items() if _is_placeholder(v)]
        return values, encrypted


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and ENCRYPTED_PLACEHOLDER in value
