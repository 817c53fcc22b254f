"""``.homeops.yaml``: rule selection, severities, ignore globs, Kubernetes version, schema locations and the
names the repository relies on without defining them. Strictly validated: an unknown key is an error that
names its path and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.errors import Location, UsageError
from homeops.findings import Severity
from homeops.yaml.loader import load_file
from homeops.yaml.nodes import YMap

CONFIG_FILE = ".homeops.yaml"

_TOP_KEYS = {
    "rules": "rule selection: select, ignore, severity",
    "ignore": "glob patterns of files whose findings are dropped",
    "kubernetesVersion": "Kubernetes version of the core schemas, e.g. '1.31'",
    "schemaLocations": "CRD schema directories or URL templates (kubeconform layout)",
    "allowNetwork": "fetch URL schema locations and HTTPS remote resources (default false)",
    "cacheDir": "where fetched schemas are cached",
    "storageClasses": "StorageClasses that exist in the cluster but not in the repository",
    "namespaces": "namespaces that exist in the cluster but not in the repository",
    "secrets": "Secrets (namespace/name) created outside the repository",
    "persistentVolumeClaims": "PersistentVolumeClaims (namespace/name) created outside the repository",
    "sources": "Flux sources ([Kind/][namespace/]name) that are this repository",
    "sourceRoot": "the folder this repository's Flux paths start from (an OCI artifact pushed from it)",
    "helm": "chart store: mirrors (URL prefix -> mirror prefix), plainHTTP and insecure hosts",
    "apiVersions": "extra API versions (group/version or group/version/Kind) for helm --api-versions",
    "cacheMaxSize": "bound of the build cache in bytes (default 512 MiB), pruned least recently used",
}
_RULE_KEYS = ("select", "ignore", "severity")


@dataclass(frozen=True)
class ValidateConfig:
    """Parsed ``.homeops.yaml`` (defaults when absent)."""

    select: tuple[str, ...] = ()
    ignore_rules: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    ignore_paths: tuple[str, ...] = ()
    kubernetes_version: str = "latest"
    schema_locations: tuple[str, ...] = ()
    allow_network: bool = False
    cache_dir: str | None = None
    storage_classes: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    persistent_volume_claims: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    source_root: str | None = None
    helm: Any = None  # a homeops.helm.store.mirrors.HelmStoreConfig (None: the defaults)
    api_versions: tuple[str, ...] = ()
    cache_max_size: int | None = None
    file: str | None = None


def _loc(data: YMap, key: str, display: str) -> Location:
    pos = data.key_pos(key)
    return Location(display, pos.line, pos.column) if pos else Location(display)


def _strings(data: YMap, key: str, display: str, path: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path} must be a list of strings", location=_loc(data, key, display))
    return tuple(value)


def load_config(root: Path, explicit: Path | None = None) -> ValidateConfig:
    """Read ``.homeops.yaml`` from the repository root (or ``explicit``); defaults when there is none."""
    path = explicit or root / CONFIG_FILE
    if not path.is_file():
        if explicit is not None:
            raise UsageError(f"config file {explicit} not found")
        return ValidateConfig()
    display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    docs = [d for d in load_file(path, display) if d is not None]
    if not docs:
        return ValidateConfig(file=display)
    data = docs[0]
    if not isinstance(data, YMap) or len(docs) > 1:
        raise UsageError(f"{display} must hold one YAML mapping", location=Location(display, 1, 1))
    for key in data:
        if key not in _TOP_KEYS:
            known = ", ".join(sorted(_TOP_KEYS))
            raise UsageError(
                f"unknown key {key!r} in {display}",
                location=_loc(data, key, display),
                hint=f"known keys: {known}",
            )
    rules = data.get("rules") or YMap()
    if not isinstance(rules, YMap):
        raise UsageError("rules must be a mapping", location=_loc(data, "rules", display))
    for key in rules:
        if key not in _RULE_KEYS:
            raise UsageError(
                f"unknown key 'rules.{key}' in {display}",
                location=_loc(rules, key, display),
                hint="known keys: " + ", ".join(_RULE_KEYS),
            )
    severity: dict[str, Severity] = {}
    sev = rules.get("severity") or YMap()
    if not isinstance(sev, YMap):
        raise UsageError(
            "rules.severity must map rule codes to error|warning|info",
            location=_loc(rules, "severity", display),
        )
    for code, level in sev.items():
        try:
            severity[code.upper()] = Severity(str(level))
        except ValueError:
            raise UsageError(
                f"rules.severity.{code} must be error, warning or info, got {level!r}",
                location=_loc(sev, code, display),
            ) from None
    allow = data.get("allowNetwork", False)
    if not isinstance(allow, bool):
        raise UsageError("allowNetwork must be true or false", location=_loc(data, "allowNetwork", display))
    version = data.get("kubernetesVersion", "latest")
    cache = data.get("cacheDir")
    source_root = data.get("sourceRoot")
    if source_root is not None and not isinstance(source_root, str):
        raise UsageError("sourceRoot must be a folder path", location=_loc(data, "sourceRoot", display))
    max_size = data.get("cacheMaxSize")
    if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 0):
        raise UsageError(
            "cacheMaxSize must be a number of bytes", location=_loc(data, "cacheMaxSize", display)
        )
    helm = None
    if "helm" in data:
        from homeops.helm.store.mirrors import HelmStoreConfig

        try:
            helm = HelmStoreConfig.from_mapping(data.get("helm"))
        except UsageError as exc:
            raise UsageError(str(exc), location=_loc(data, "helm", display)) from None
    return ValidateConfig(
        select=tuple(c.upper() for c in _strings(rules, "select", display, "rules.select")),
        ignore_rules=tuple(c.upper() for c in _strings(rules, "ignore", display, "rules.ignore")),
        severity=severity,
        ignore_paths=_strings(data, "ignore", display, "ignore"),
        kubernetes_version=str(version),
        schema_locations=_strings(data, "schemaLocations", display, "schemaLocations"),
        allow_network=allow,
        cache_dir=str(cache) if cache is not None else None,
        storage_classes=_strings(data, "storageClasses", display, "storageClasses"),
        namespaces=_strings(data, "namespaces", display, "namespaces"),
        secrets=_strings(data, "secrets", display, "secrets"),
        persistent_volume_claims=_strings(data, "persistentVolumeClaims", display, "persistentVolumeClaims"),
        sources=_strings(data, "sources", display, "sources"),
        source_root=source_root,
        helm=helm,
        api_versions=_strings(data, "apiVersions", display, "apiVersions"),
        cache_max_size=max_size,
        file=display,
    )


def describe_keys() -> dict[str, Any]:
    """The keys of ``.homeops.yaml`` and what they mean (for docs and --help)."""
    return dict(_TOP_KEYS)
