"""Offline schema validation of Kubernetes objects (core kinds, repository CRDs and CRD catalogs)."""

from homeops.schemas.core import DEFAULT_KUBERNETES_VERSION, available_versions
from homeops.schemas.crd import crd_schemas, openapi_to_jsonschema
from homeops.schemas.defaults import DefaultSchema, bundled_groups, load_default_schema
from homeops.schemas.locations import SchemaLocation
from homeops.schemas.model import (
    SCHEMA_ERROR,
    SCHEMA_FETCH_FAILED,
    SCHEMA_MISSING,
    SCHEMA_NOT_FETCHED,
    SCHEMA_NOT_OBJECT,
    SCHEMA_PLACEHOLDER,
    GroupVersionKind,
    SchemaFinding,
)
from homeops.schemas.registry import SchemaRegistry

__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "SCHEMA_ERROR",
    "SCHEMA_FETCH_FAILED",
    "SCHEMA_MISSING",
    "SCHEMA_NOT_FETCHED",
    "SCHEMA_NOT_OBJECT",
    "SCHEMA_PLACEHOLDER",
    "DefaultSchema",
    "GroupVersionKind",
    "SchemaFinding",
    "SchemaLocation",
    "SchemaRegistry",
    "available_versions",
    "bundled_groups",
    "crd_schemas",
    "load_default_schema",
    "openapi_to_jsonschema",
]
