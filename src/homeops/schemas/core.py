"""Kubernetes' own schemas, offline, from the kubernetes-json-schema files that kubernetes-validate ships.

The package holds one directory per Kubernetes minor version (``v1.33.0-local-strict``...), each with a
``_definitions.json`` of every API type in JSON Schema 2020-12. The ``-strict`` variants forbid unknown
fields (``additionalProperties: false``), as kubeconform's ``-strict`` does. Each type that is a top-level
object carries ``x-kubernetes-group-version-kind``; that is how a kind finds its schema. The package is only
read as data: it is never imported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema_rs

from homeops.errors import UsageError
from homeops.schemas.model import GroupVersionKind

DEFAULT_KUBERNETES_VERSION = "latest"
"""The newest Kubernetes version whose schemas are installed."""

_DIST = "kubernetes-validate"
_DATA_DIR = "kubernetes_validate/kubernetes-json-schema"
_DEFS_URI = "https://kubernetes.io/api/_definitions.json"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_DIR_NAME = re.compile(r"v(\d+)\.(\d+)\.(\d+)-local(-strict)?")
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?")


def schema_root() -> Path:
    """The directory of the installed kubernetes-json-schema files."""
    try:
        dist = metadata.distribution(_DIST)
    except metadata.PackageNotFoundError as exc:  # pragma: no cover - a dependency of homeops
        raise UsageError(f"the {_DIST} package (Kubernetes schemas) is not installed") from exc
    return Path(str(dist.locate_file(_DATA_DIR)))


def available_versions(root: Path | None = None) -> list[str]:
    """Kubernetes versions with bundled schemas, oldest first (``1.33.0``...)."""
    base = root or schema_root()
    found: list[tuple[int, int, int]] = []
    if base.is_dir():
        for entry in base.iterdir():
            m = _DIR_NAME.fullmatch(entry.name)
            if m and m.group(4):
                found.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    return [f"{a}.{b}.{c}" for a, b, c in sorted(found)]


def resolve_version(requested: str, root: Path | None = None) -> str:
    """The bundled version for ``requested`` (``latest``, ``1.33``, ``v1.33.4``...); UsageError otherwise.

    Patch releases share their minor version's schemas (only ``.0`` schemas are shipped).
    """
    versions = available_versions(root)
    if not versions:
        raise UsageError("no Kubernetes schemas are installed (the kubernetes-validate package is empty)")
    text = requested.strip()
    if text in ("latest", "master", ""):
        return versions[-1]
    m = _VERSION.fullmatch(text)
    if m:
        wanted = f"{m.group(1)}.{m.group(2)}.0"
        if wanted in versions:
            return wanted
    raise UsageError(
        f"no bundled schemas for Kubernetes version {requested!r}",
        hint="available versions: " + ", ".join(versions) + " (or 'latest')",
    )


@dataclass
class CoreSchemas:
    """The schemas of one Kubernetes version, compiled lazily, one validator per kind, each once."""

    version: str
    directory: Path
    _definitions: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _index: dict[GroupVersionKind, str] = field(default_factory=dict, init=False, repr=False)
    _registry: jsonschema_rs.Registry | None = field(default=None, init=False, repr=False)
    _validators: dict[GroupVersionKind, jsonschema_rs.Validator] = field(
        default_factory=dict, init=False, repr=False
    )

    @classmethod
    def load(
        cls, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION, *, strict: bool = True
    ) -> CoreSchemas:
        """Schemas of ``kubernetes_version`` (UsageError listing the available ones when unknown)."""
        root = schema_root()
        version = resolve_version(kubernetes_version, root)
        suffix = "-strict" if strict else ""
        return cls(version=version, directory=root / f"v{version}-local{suffix}")

    def _load(self) -> dict[str, Any]:
        if self._definitions is None:
            path = self.directory / "_definitions.json"
            data = json.loads(path.read_text(encoding="utf-8"))
            defs: dict[str, Any] = data.get("$defs", {})
            for name, schema in defs.items():
                for gvk in (
                    schema.get("x-kubernetes-group-version-kind", ()) if isinstance(schema, dict) else ()
                ):
                    key = GroupVersionKind(gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
                    self._index.setdefault(key, name)
            self._definitions = data
        return self._definitions

    def has(self, gvk: GroupVersionKind) -> bool:
        """Whether Kubernetes itself defines this kind."""
        self._load()
        return gvk in self._index

    def validator(self, gvk: GroupVersionKind) -> jsonschema_rs.Validator | None:
        """The compiled validator of a built-in kind (None when the kind is not built in)."""
        cached = self._validators.get(gvk)
        if cached is not None:
            return cached
        data = self._load()
        name = self._index.get(gvk)
        if name is None:
            return None
        if self._registry is None:
            self._registry = jsonschema_rs.Registry([(_DEFS_URI, data)])
        compiled = jsonschema_rs.validator_for(
            {"$schema": _DRAFT, "$ref": f"{_DEFS_URI}#/$defs/{name}"},
            registry=self._registry,
            validate_formats=False,
            offline=True,
        )
        self._validators[gvk] = compiled
        return compiled
