"""Secrets and substitution sources: SOPS decryption, the lookup of ``substituteFrom`` and ``valuesFrom``
sources, and masking of Secret values in every output.

Objects keep their real values while the tree is built (decrypted with the user's age key when one is
given; ``<encrypted>`` placeholders otherwise), so that substitution and HelmRelease values see what the
cluster would see. Output goes through ``mask_secrets`` unless the user asks to reveal them.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeops.errors import HomeopsError
from homeops.flux.clustertypes import Unresolved
from homeops.flux.repository import ObjectEntry, Repository
from homeops.flux.variables import merge_variables, variables_from_resource
from homeops.sops.marks import ENCRYPTED_PLACEHOLDER, is_sops_encrypted
from homeops.yaml.nodes import YMap, YSeq, deep_copy

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


_TOO_COMMON = frozenset({"true", "false", "null", "none", "yes", "no"})
_MIN_SECRET_LEN = 4
_LOOKED_UP = {k: frozenset({k}) for k in ("ConfigMap", "Secret")}  # substituteFrom's kinds
_EXTERNAL_SECRETS = frozenset({"ExternalSecret", "ClusterExternalSecret"})


def secret_strings(objects: Iterable[Any]) -> frozenset[str]:
    """The values of every v1 Secret among ``objects`` (``data`` decoded, ``stringData`` as is), as they may
    have been copied elsewhere by substitution: to be masked in any output. Values shorter than 4 characters,
    ``true``-like words and placeholders are left out (too common to mask by text)."""
    found: set[str] = set()
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("kind") != "Secret" or obj.get("apiVersion") != "v1":
            continue
        for value in _secret_values(obj):
            if len(value) < _MIN_SECRET_LEN or value.lower() in _TOO_COMMON or _is_placeholder(value):
                continue
            found.add(value)
    return frozenset(found)


def _secret_values(obj: dict[str, Any]) -> list[str]:
    """The decoded values of a Secret, skipping what cannot be decoded."""
    out: list[str] = []
    for field in ("data", "stringData"):
        values = obj.get(field)
        for value in values.values() if isinstance(values, dict) else ():
            if not isinstance(value, str):
                continue
            if field == "data":
                try:
                    cleaned = value.replace("\n", "").replace("\r", "")
                    value = base64.b64decode(cleaned, validate=True).decode()
                except (binascii.Error, ValueError):
                    continue
            out.append(value)
    return out


def mask_strings(obj: YMap, secrets: frozenset[str]) -> YMap:
    """A copy of ``obj`` where every occurrence of a secret string in a string value is masked."""
    if not secrets:
        return obj
    pattern = re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))

    def walk(node: Any) -> Any:
        if isinstance(node, YMap):
            for key, value in node.items():
                node[key] = walk(value)
        elif isinstance(node, YSeq):
            for i, value in enumerate(node):
                node[i] = walk(value)
        elif isinstance(node, str) and pattern.search(node):
            return pattern.sub(MASK, node)
        return node

    out: YMap = walk(deep_copy(obj))
    return out


def decrypted_values(encrypted: Any, plain: Any) -> list[str]:
    """The clear text of every value SOPS encrypted in ``encrypted`` (an ``ENC[...]`` string), read at the
    same place in ``plain``; a Secret's ``data`` is also given base64-decoded. The ``sops`` metadata is
    skipped."""
    out: list[str] = []
    stack: list[tuple[Any, Any, bool]] = [(encrypted, plain, False)]
    while stack:
        enc, clear, is_data = stack.pop()
        if isinstance(enc, dict) and isinstance(clear, dict):
            data_field = enc.get("kind") == "Secret"
            for key, value in enc.items():
                if key != "sops" and key in clear:
                    stack.append((value, clear[key], is_data or (data_field and key == "data")))
        elif isinstance(enc, list) and isinstance(clear, list):
            stack.extend((e, c, is_data) for e, c in zip(enc, clear, strict=False))
        elif isinstance(enc, str) and enc.startswith("ENC[") and isinstance(clear, (str, int, float)):
            text = str(clear)
            out.append(text)
            if is_data:
                decoded = _b64_text(text)
                if decoded is not None:
                    out.append(decoded)
    return out


def _b64_text(value: str) -> str | None:
    try:
        return base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True).decode()
    except (binascii.Error, ValueError):
        return None


def _closeness(a: str, b: str) -> int:
    return len(os.path.commonpath([a, b])) if a and b else 0


class SecretResolver:
    """Decrypts SOPS documents and finds ConfigMaps/Secrets that substitution and values refer to."""

    def __init__(self, repo: Repository, identities: Sequence[str]) -> None:
        self.repo = repo
        self.identities = list(identities)
        self.problems: list[str] = []
        self.decrypted = 0  # decryptions, and Secret lookups with a key: such builds are never cached
        self.plaintext: set[str] = set()  # every clear value it decrypted or read from a Secret: to mask

    def decrypt_if_possible(self, obj: YMap) -> tuple[YMap, bool]:
        """(the object with SOPS values decrypted, True) or (values masked as ``<encrypted>``, False)."""
        if not is_sops_encrypted(obj):
            return obj, True
        if self.identities:
            try:
                plain = self._decrypt(obj)
                self.decrypted += 1
                self.plaintext.update(decrypted_values(obj, plain))
                return plain, True
            except HomeopsError as exc:
                self.problems.append(str(exc))
        from homeops.sops.document import mask_encrypted

        return mask_encrypted(obj), False

    def _decrypt(self, obj: YMap) -> YMap:
        """``obj`` decrypted. The MAC is checked over the file's documents as the repository holds them (one
        MAC for the whole file, as sops writes it): the built object may differ from them in clear values
        (a namespace kustomize set), which sops' MAC also covers."""
        from homeops.sops.document import decrypt_document, decrypt_documents

        siblings = self._file_documents(obj)
        if not siblings:
            return decrypt_document(obj, self.identities)
        decrypt_documents(siblings, self.identities)  # raises on a bad key or MAC
        return decrypt_document(obj, self.identities, verify_mac=False)

    def _file_documents(self, obj: YMap) -> list[YMap]:
        if obj.pos is None:
            return []
        rel = self.repo.rel_file(obj.pos.file)
        return [e.obj for e in self.repo.in_file(rel) if e.sops]

    def lookup_object(
        self, kind: str, namespace: str, name: str, done: Sequence[KsNode], node: KsNode
    ) -> YMap | None:
        """The ConfigMap/Secret ``namespace/name`` as the tree built it, else as the repository holds it."""
        for other in reversed(done):
            if other.tree != node.tree:
                continue
            for obj in other.objects_of(_LOOKED_UP.get(kind) or frozenset({kind})):
                if obj.get("apiVersion") != "v1":
                    continue
                md = obj.get("metadata")
                if (
                    isinstance(md, dict)
                    and md.get("name") == name
                    and md.get("namespace", "") in (namespace, "")
                ):
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

    def node_variables(
        self, node: KsNode, done: Sequence[KsNode]
    ) -> tuple[dict[str, str], list[Unresolved], str]:
        """The variables of ``node`` (substituteFrom in order, then inline), the unresolved ones, and a note
        for variables an open-ended external source may provide."""
        ks = node.ks
        sources: list[dict[str, str]] = []
        unresolved: list[Unresolved] = []
        loc = node.defined_at
        open_note = ""
        for ref in ks.substitute_from:
            found = self.lookup_variables(ref.kind, ks.namespace, ref.name, done, node)
            if found is None:
                if not ref.optional:
                    reason = f"substituteFrom {ref.kind} {ks.namespace}/{ref.name} not found"
                    unresolved.append(
                        Unresolved(
                            f"<{ref.kind} {ks.namespace}/{ref.name}>",
                            node.ref,
                            loc.file,
                            loc.line,
                            loc.column,
                            reason,
                        )
                    )
                continue
            sources.append(found.values)
            if not found.complete:
                open_note = found.note
            for name in found.opaque:
                unresolved.append(Unresolved(name, node.ref, loc.file, loc.line, loc.column, found.note))
        return merge_variables(sources, ks.substitute), unresolved, open_note

    def lookup_variables(
        self, kind: str, namespace: str, name: str, done: Sequence[KsNode], node: KsNode
    ) -> VariableSource | None:
        """Variables from a ConfigMap/Secret: its values, the names whose values stay encrypted (no key),
        or, for a Secret an ExternalSecret produces, the names it will hold (values live in the vault)."""
        obj = self.lookup_object(kind, namespace, name, done, node)
        if obj is None:
            if kind == "Secret":
                return self._external_secret_source(namespace, name, done, node)
            return None
        plain, _ = self.decrypt_if_possible(obj)
        if kind == "Secret" and self.identities:
            self.decrypted += 1  # may hold values decrypted when the tree built it
        values = variables_from_resource(plain)
        if kind == "Secret":
            self.plaintext.update(v for v in values.values() if not _is_placeholder(v))
        # Objects of the built tree were already passed through decrypt_if_possible: without the key they
        # hold placeholders and no longer look encrypted, so the placeholders are what tells.
        encrypted = [k for k, v in values.items() if _is_placeholder(v)]
        return VariableSource(values, encrypted, "unresolved: encrypted" if encrypted else "")

    def _external_secret_source(
        self, namespace: str, name: str, done: Sequence[KsNode], node: KsNode
    ) -> VariableSource | None:
        """A Secret produced by an ExternalSecret (or ClusterExternalSecret) of the tree or the repository."""
        candidates: list[tuple[YMap, str]] = []
        for other in done:
            if other.tree == node.tree:
                candidates.extend((o, other.ref) for o in other.objects_of(_EXTERNAL_SECRETS))
        candidates.extend(
            (e.obj, e.rel) for e in self.repo.entries if e.api_version.startswith("external-secrets.io/")
        )
        for obj, where in candidates:
            produced = external_secret_target(obj, namespace)
            if produced is None or produced[0] != name:
                continue
            keys, complete = produced[1], produced[2]
            what = f"{obj.get('kind')} {_meta_name(obj)} ({where})"
            note = f"provided by {what}; the value lives in the secret store, not in Git"
            return VariableSource({k: f"<from {what}>" for k in keys}, list(keys), note, complete=complete)
        return None


@dataclass(frozen=True, slots=True)
class VariableSource:
    """What a ``substituteFrom`` source offers: values, the names whose values are opaque here (encrypted,
    or held by a secret store), why, and whether the key list is complete (``dataFrom`` makes it open)."""

    values: dict[str, str]
    opaque: list[str]
    note: str = ""
    complete: bool = True


def _meta_name(obj: YMap) -> str:
    md = obj.get("metadata")
    md = md if isinstance(md, dict) else {}
    ns, name = md.get("namespace"), md.get("name")
    return f"{ns}/{name}" if ns else str(name)


def external_secret_target(obj: Any, namespace: str) -> tuple[str, list[str], bool] | None:
    """For an ExternalSecret in ``namespace`` (or a ClusterExternalSecret), the Secret it produces: its name,
    the keys it will hold, and whether that list is complete (no ``dataFrom``)."""
    if not isinstance(obj, dict) or not str(obj.get("apiVersion", "")).startswith("external-secrets.io/"):
        return None
    kind = obj.get("kind")
    md = _as_dict(obj.get("metadata"))
    spec = _as_dict(obj.get("spec"))
    if kind == "ExternalSecret":
        if md.get("namespace") not in (None, "", namespace):
            return None
        es_spec = spec
        default_name = md.get("name")
    elif kind == "ClusterExternalSecret":
        es_spec = _as_dict(spec.get("externalSecretSpec"))
        default_name = spec.get("externalSecretName") or md.get("name")
    else:
        return None
    target = _as_dict(es_spec.get("target"))
    name = target.get("name") or default_name
    if not isinstance(name, str):
        return None
    keys: list[str] = []
    template = _as_dict(target.get("template"))
    if isinstance(template.get("data"), dict):
        keys.extend(str(k) for k in template["data"])
    for item in es_spec.get("data") or []:
        if isinstance(item, dict) and isinstance(item.get("secretKey"), str):
            keys.append(item["secretKey"])
    complete = not es_spec.get("dataFrom") or bool(template.get("data"))
    return name, keys, complete


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and ENCRYPTED_PLACEHOLDER in value
