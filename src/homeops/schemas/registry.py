"""Offline schema validation of Kubernetes objects: the registry that finds, compiles and applies schemas.

A kind's schema comes from the first of:

1. Kubernetes itself (the bundled kubernetes-json-schema of the chosen version, strict);
2. the CustomResourceDefinitions found in the repository (``repo_crds``);
3. the user's schema locations, in order (directories or templates, URLs only with ``allow_network``);
4. the bundled defaults of Flux's and external-secrets' kinds (:mod:`homeops.schemas.defaults`, generated from
   maintained npm packages), used when no location has the kind: also when a URL location was not fetched
   (network disabled), but not when a location failed to read (that failure is reported).

A kind without a schema is a warning, never a silent pass.

Each schema is compiled once per registry, on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from homeops.findings import Severity, describe_object
from homeops.schemas.core import DEFAULT_KUBERNETES_VERSION, CoreSchemas
from homeops.schemas.crd import crd_schemas, relax_schema
from homeops.schemas.defaults import load_default_schema
from homeops.schemas.locations import LookupStatus, SchemaLocation
from homeops.schemas.messages import error_findings
from homeops.schemas.model import (
    SCHEMA_ERROR,
    SCHEMA_FETCH_FAILED,
    SCHEMA_MISSING,
    SCHEMA_NOT_FETCHED,
    SCHEMA_NOT_OBJECT,
    GroupVersionKind,
    SchemaFinding,
    object_gvk,
)
from homeops.yaml.nodes import YMap

FLUX_GROUP_SUFFIXES = (".toolkit.fluxcd.io", ".extensions.fluxcd.io", "fluxcd.controlplane.io")
"""API groups of Flux (and the Flux operator)."""

_FLUX_HINT = (
    "this Flux kind or API version has no bundled schema: pass a CRD catalog directory "
    "({group}/{kind}_{version}.json) as a schema location, or keep Flux's CRDs in the repository"
)
_CRD_HINT = "add the CustomResourceDefinition to the repository or a schema location that has this kind"


@dataclass
class _Resolved:
    """What is known about one kind's schema: a validator, or the codes and messages of why there is none."""

    validator: jsonschema_rs.Validator | None
    source: str = ""
    code: str = SCHEMA_MISSING
    message: str = ""
    hint: str = ""


@dataclass
class SchemaRegistry:
    """Finds the schema of each object's kind and validates objects against it (see :meth:`create`)."""

    core: CoreSchemas
    crds: dict[GroupVersionKind, dict[str, Any]]
    locations: list[SchemaLocation]
    allow_network: bool = False
    cache_dir: Path | None = None
    _resolved: dict[GroupVersionKind, _Resolved] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def create(
        cls,
        kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
        locations: Sequence[str] = (),
        allow_network: bool = False,
        cache_dir: Path | None = None,
        repo_crds: Iterable[YMap] = (),
    ) -> SchemaRegistry:
        """A registry for ``kubernetes_version`` (``latest``, ``1.33``...), repository CRDs and locations.

        Raises UsageError for an unknown Kubernetes version (listing the available ones) or a bad location.
        ``repo_crds`` may hold any objects: only CustomResourceDefinitions are used.
        """
        return cls(
            core=CoreSchemas.load(kubernetes_version),
            crds=crd_schemas(repo_crds),
            locations=[SchemaLocation.parse(spec) for spec in locations],
            allow_network=allow_network,
            cache_dir=cache_dir,
        )

    @property
    def kubernetes_version(self) -> str:
        """The Kubernetes version whose schemas are used (``1.33.0``)."""
        return self.core.version

    def source_of(self, gvk: GroupVersionKind) -> str:
        """Where the schema of ``gvk`` comes from (``""`` when there is none)."""
        return self._resolve(gvk).source

    def validate(self, obj: YMap) -> list[SchemaFinding]:
        """Validate one object: schema errors, or a warning when its kind has no schema; by position."""
        ref = describe_object(obj)
        gvk = object_gvk(obj)
        if gvk is None:
            return [
                SchemaFinding(
                    SCHEMA_NOT_OBJECT,
                    Severity.WARNING,
                    "not a Kubernetes object: apiVersion and kind must be non-empty strings",
                    ref,
                    pos=getattr(obj, "pos", None),
                )
            ]
        resolved = self._resolve(gvk)
        if resolved.validator is None:
            return [
                SchemaFinding(
                    resolved.code,
                    Severity.WARNING,
                    resolved.message,
                    ref,
                    pos=getattr(obj, "pos", None),
                    hint=resolved.hint,
                )
            ]
        findings: list[SchemaFinding] = []
        try:
            for error in resolved.validator.iter_errors(obj):
                findings.extend(error_findings(obj, ref, error))
        except ValueError as exc:  # jsonschema_rs gives up on objects nested past its recursion limit
            return [
                SchemaFinding(
                    SCHEMA_ERROR,
                    Severity.WARNING,
                    f"the object could not be checked against its schema: {exc}",
                    ref,
                    pos=getattr(obj, "pos", None),
                    hint="an object this deeply nested is almost certainly a mistake",
                )
            ]
        findings.sort(key=lambda f: (f.pos.line, f.pos.column) if f.pos else (0, 0))
        return findings

    def _resolve(self, gvk: GroupVersionKind) -> _Resolved:
        cached = self._resolved.get(gvk)
        if cached is None:
            cached = self._find(gvk)
            self._resolved[gvk] = cached
        return cached

    def _find(self, gvk: GroupVersionKind) -> _Resolved:
        core = self.core.validator(gvk)
        if core is not None:
            return _Resolved(core, f"kubernetes v{self.core.version}")
        crd = self.crds.get(gvk)
        if crd is not None:
            return _compile(crd, f"CustomResourceDefinition in the repository ({gvk})")
        not_fetched: list[str] = []
        failed: list[str] = []
        for location in self.locations:
            found = location.lookup(
                gvk, self.core.version, allow_network=self.allow_network, cache_dir=self.cache_dir
            )
            if found.status is LookupStatus.FOUND and found.schema is not None:
                return _compile(relax_schema(found.schema), found.source)
            if found.status is LookupStatus.NOT_FETCHED:
                not_fetched.append(found.source)
            elif found.status is LookupStatus.FAILED:
                failed.append(f"{found.source}: {found.reason}")
        if not failed:
            default = load_default_schema(gvk)
            if default is not None:
                return _compile(default.schema, default.source)
        if failed:
            return _Resolved(
                None,
                code=SCHEMA_FETCH_FAILED,
                message=f"schema of {gvk} could not be read: {'; '.join(failed)}",
            )
        if not_fetched:
            return _Resolved(
                None,
                code=SCHEMA_NOT_FETCHED,
                message=f"schema location not fetched (network disabled): {', '.join(not_fetched)}",
                hint="allow the network, or fill the cache directory, to validate this kind",
            )
        is_flux = gvk.group.endswith(FLUX_GROUP_SUFFIXES)
        return _Resolved(
            None,
            message=f"no schema for {gvk}: the object was not validated",
            hint=_FLUX_HINT if is_flux else _CRD_HINT,
        )


def _compile(schema: dict[str, Any], source: str) -> _Resolved:
    try:
        validator = jsonschema_rs.validator_for(schema, validate_formats=False, offline=True)
    except (jsonschema_rs.ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _Resolved(None, code=SCHEMA_FETCH_FAILED, message=f"schema {source} is not usable: {first}")
    return _Resolved(validator, source)
