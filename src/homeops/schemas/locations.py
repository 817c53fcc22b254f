"""User schema locations, as kubeconform's ``-schema-location``: a directory or a (URL) template.

- A directory holds schemas in the CRD catalog layout ``{group}/{kind}_{version}.json`` (kind in lower
  case), e.g. ``/work/shared/schemas/crds-catalog``.
- A template names one file per kind with kubeconform's variables: ``{{.Group}}``, ``{{.ResourceKind}}``
  (lower case), ``{{.ResourceAPIVersion}}``, ``{{.KindSuffix}}``, ``{{.NormalizedKubernetesVersion}}`` and
  ``{{.StrictSuffix}}``. Templates starting with ``http://`` or ``https://`` are URLs: they are fetched only
  when the network is allowed, and kept in the cache directory (read even when the network is not allowed).
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from homeops.errors import UsageError
from homeops.schemas.model import GroupVersionKind

FETCH_TIMEOUT_SECONDS = 30.0
MAX_SCHEMA_BYTES = 32 * 1024 * 1024
"""Largest schema file read or fetched (32 MiB)."""

_VAR = re.compile(r"\{\{-?\s*\.(\w+)\s*-?\}\}")
_VARIABLES = frozenset(
    {
        "Group",
        "ResourceKind",
        "ResourceAPIVersion",
        "KindSuffix",
        "NormalizedKubernetesVersion",
        "StrictSuffix",
    }
)
_CATALOG_LAYOUT = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"


class LookupStatus(str, Enum):
    FOUND = "found"
    NOT_FOUND = "not-found"
    NOT_FETCHED = "not-fetched"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a location answered for one kind: a schema, nothing, or why it could not tell."""

    status: LookupStatus
    source: str
    schema: dict[str, Any] | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SchemaLocation:
    """One user schema location (see the module docstring)."""

    spec: str
    template: str
    is_url: bool

    @classmethod
    def parse(cls, spec: str) -> SchemaLocation:
        """Check a location given by the user; UsageError for an unknown variable or a missing directory."""
        text = spec.strip()
        if not text:
            raise UsageError("empty schema location")
        is_url = text.startswith(("http://", "https://"))
        if "{{" in text:
            unknown = sorted({m.group(1) for m in _VAR.finditer(text)} - _VARIABLES)
            leftover = _VAR.sub("", text)
            if unknown or "{{" in leftover or "}}" in leftover:
                raise UsageError(
                    f"schema location {spec!r}: unsupported template",
                    hint="variables: " + ", ".join("{{." + v + "}}" for v in sorted(_VARIABLES)),
                )
            return cls(spec, text, is_url)
        if is_url:
            return cls(spec, text.rstrip("/") + "/" + _CATALOG_LAYOUT, True)
        if not Path(text).is_dir():
            raise UsageError(
                f"schema location {spec!r} is neither a directory nor a template",
                hint="give a directory in the {group}/{kind}_{version}.json layout or a template with "
                "{{.Group}}, {{.ResourceKind}} and {{.ResourceAPIVersion}}",
            )
        return cls(spec, str(Path(text) / _CATALOG_LAYOUT), False)

    def expand(self, gvk: GroupVersionKind, kubernetes_version: str, strict: bool = True) -> str:
        """The path or URL of the schema of ``gvk`` (kubeconform's template variables)."""
        kind_suffix = "-" + gvk.group.split(".")[0].lower() if gvk.group else "-" + gvk.version.lower()
        if gvk.group:
            kind_suffix += "-" + gvk.version.lower()
        values = {
            "Group": gvk.group or gvk.version,  # kubeconform: the part of apiVersion before "/"
            "ResourceKind": gvk.kind.lower(),
            "ResourceAPIVersion": gvk.version,
            "KindSuffix": kind_suffix,
            "NormalizedKubernetesVersion": "v" + kubernetes_version,
            "StrictSuffix": "-strict" if strict else "",
        }
        return _VAR.sub(lambda m: values[m.group(1)], self.template)

    def lookup(
        self, gvk: GroupVersionKind, kubernetes_version: str, *, allow_network: bool, cache_dir: Path | None
    ) -> Lookup:
        """Read the schema of ``gvk`` from this location (from the cache or the network for a URL)."""
        target = self.expand(gvk, kubernetes_version)
        if not self.is_url:
            path = Path(target)
            if not is_schema_file(path):
                return Lookup(LookupStatus.NOT_FOUND, target)
            try:
                return Lookup(LookupStatus.FOUND, target, _parse(path.read_bytes()[: MAX_SCHEMA_BYTES + 1]))
            except (OSError, ValueError) as exc:
                return Lookup(LookupStatus.FAILED, target, reason=str(exc))
        return _lookup_url(target, allow_network=allow_network, cache_dir=cache_dir)


def is_schema_file(path: Any) -> bool:
    """Whether ``path`` (a Path or a package resource) is a file. A path derived from a garbage apiVersion or
    kind (a NUL byte, a name longer than the system allows) is no file, instead of an OSError/ValueError."""
    try:
        return bool(path.is_file())
    except (OSError, ValueError):
        return False


def _parse(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_SCHEMA_BYTES:
        raise ValueError(f"schema larger than {MAX_SCHEMA_BYTES} bytes")
    value = json.loads(data)
    if not isinstance(value, dict):
        raise ValueError("schema is not a JSON object")
    return value


def _cache_file(cache_dir: Path, url: str) -> Path:
    return cache_dir / (hashlib.sha256(url.encode()).hexdigest() + ".json")


def _lookup_url(url: str, *, allow_network: bool, cache_dir: Path | None) -> Lookup:
    cached = _cache_file(cache_dir, url) if cache_dir else None
    if cached is not None and cached.is_file():
        try:
            return Lookup(LookupStatus.FOUND, url, _parse(cached.read_bytes()))
        except (OSError, ValueError):
            pass  # a damaged cache entry is fetched again
    if not allow_network:
        return Lookup(LookupStatus.NOT_FETCHED, url, reason="the network is not allowed")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
            data = response.read(MAX_SCHEMA_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return Lookup(LookupStatus.NOT_FOUND, url)
        return Lookup(LookupStatus.FAILED, url, reason=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Lookup(LookupStatus.FAILED, url, reason=str(getattr(exc, "reason", exc)))
    try:
        schema = _parse(data)
    except ValueError as exc:
        return Lookup(LookupStatus.FAILED, url, reason=f"invalid JSON schema: {exc}")
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(cached)
        except OSError:
            pass  # the cache is best effort
    return Lookup(LookupStatus.FOUND, url, schema)
