"""The variables of Flux post-build substitution: merging ``substituteFrom`` sources and ``substitute``, the
variables a ConfigMap or Secret offers, and the opt-out marker. The substitution itself is
``homeops.flux.varsub`` (imported only when a build runs).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any

from homeops.errors import BuildError, Location
from homeops.yaml.nodes import Pos, YMap

SUBSTITUTE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
_VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")  # Go RE2 POSIX classes are ASCII-only
_VAR_NAME_TEXT = "^[_[:alpha:]][_[:alpha:][:digit:]]*$"
MAX_NODES = 1_000_000
"""The most YAML nodes a substituted resource may read back as (aliases counted each time they expand)."""


def merge_variables(sources: Sequence[Mapping[str, str]], inline: Mapping[str, str] | None) -> dict[str, str]:
    """Merge ``substituteFrom`` sources (in order, a later source wins) and the inline ``substitute`` map
    (which wins over all). Newlines are removed from every value, as Flux does."""
    merged: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            merged[key] = value.replace("\n", "")
    for key, value in (inline or {}).items():
        merged[key] = value.replace("\n", "")
    return merged


def variables_from_resource(obj: YMap) -> dict[str, str]:
    """The variables a ConfigMap or Secret offers to ``substituteFrom``: ConfigMap ``data``; Secret ``data``
    base64-decoded, with ``stringData`` applied on top as the API server would. Values are not merged yet."""
    out: dict[str, str] = {}
    data = obj.get("data")
    is_secret = obj.get("kind") == "Secret"
    if isinstance(data, dict):
        for key, value in data.items():
            text = "" if value is None else str(value)
            if is_secret:
                try:
                    text = base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True).decode(
                        "utf-8", "replace"
                    )
                except (binascii.Error, ValueError):
                    raise BuildError(
                        f"Secret data key {key!r} is not valid base64",
                        location=_location(data.key_pos(key) if isinstance(data, YMap) else None),
                    ) from None
            out[str(key)] = text
    string_data = obj.get("stringData")
    if is_secret and isinstance(string_data, dict):
        for key, value in string_data.items():
            out[str(key)] = "" if value is None else str(value)
    return out


def validate_variable_names(variables: Mapping[str, str], where: Location | None = None) -> None:
    """Raise BuildError for a variable name Flux rejects (it fails the whole Kustomization)."""
    for name in variables:
        if not _VAR_NAME.match(name):
            raise BuildError(f"'{name}' var name is invalid, must match '{_VAR_NAME_TEXT}'", location=where)


def is_substitution_disabled(obj: Any) -> bool:
    """Whether the resource opts out with ``kustomize.toolkit.fluxcd.io/substitute: disabled`` (label or
    annotation)."""
    if not isinstance(obj, dict):
        return False
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return False
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if isinstance(values, dict) and values.get(SUBSTITUTE_KEY) == "disabled":
            return True
    return False


def _location(pos: Pos | None) -> Location | None:
    return Location(pos.file, pos.line, pos.column) if pos else None
