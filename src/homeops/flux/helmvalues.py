"""The values helm-controller hands to a chart: ``valuesFrom`` in order, then the inline ``spec.values``.

This follows fluxcd/pkg ``chartutil.ChartValuesFromReferences`` step by step:

* each reference is a ConfigMap or Secret in the HelmRelease's own namespace; its ``valuesKey`` (default
  ``values.yaml``) is read; a missing object or key is skipped when the reference is ``optional``;
* without ``targetPath`` the text is read as a YAML document (the first one; empty means ``{}``) and
  deep-merged over the values so far: maps merge key by key, anything else replaces;
* with ``targetPath`` the inline values are first merged into the result, then the text is set at the path
  with Helm's ``--set`` parser: typed (``true``, ``42``...) unless the whole text is wrapped in quotes,
  which are then stripped and the value stays a string. The result shares maps with the inline values, as
  in Go, so such a value also survives the final merge;
* finally the inline values are merged over everything.

Where helm-controller stops at the first failing reference, this module records the problem and goes on,
so every failing reference is reported; ``ValuesResult.ok`` says whether Flux would have succeeded.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from homeops.errors import HomeopsError, Location
from homeops.flux.helm_strvals import StrvalsError, parse_into, parse_into_string, parse_literal_into
from homeops.flux.kinds import HelmRelease, ValuesRef
from homeops.flux.varsub import load_yaml11
from homeops.yaml.nodes import YMap, deep_copy

Lookup = Callable[[str, str, str], Mapping[str, str] | None]
"""``lookup(kind, namespace, name)``: the data of a ConfigMap or Secret (Secret values decoded), or None."""

USED = "used"
SKIPPED = "skipped"
FAILED = "failed"

_REASON_KEY = "key not found"
_REASON_KIND = "unsupported values reference kind"


@dataclass(frozen=True, slots=True)
class ValuesProblem:
    """Why a values reference could not be used; ``optional`` ones are informational."""

    message: str
    location: Location | None
    optional: bool = False

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass(frozen=True, slots=True)
class SourceUse:
    """What became of one ``valuesFrom`` reference: USED, SKIPPED (optional and missing) or FAILED."""

    ref: ValuesRef
    namespace: str
    status: str


@dataclass(frozen=True, slots=True)
class ValuesResult:
    """The final values, the problems met and the fate of each reference, in order."""

    values: YMap
    problems: tuple[ValuesProblem, ...]
    sources: tuple[SourceUse, ...]

    @property
    def ok(self) -> bool:
        """Whether helm-controller would have computed these values (no failed reference)."""
        return all(s.status != FAILED for s in self.sources)


def merge_maps(a: Mapping[str, Any], b: Mapping[str, Any] | None) -> YMap:
    """chartutil.MergeMaps: a new map with ``b`` merged over ``a``; nested maps merge, the rest replaces.

    Like the Go code, values that are not merged are shared, not copied.
    """
    out = YMap(a.items(), pos=a.pos if isinstance(a, YMap) else None)
    if isinstance(a, YMap):
        out.kpos = dict(a.kpos)
    if b is None:
        return out
    for k, v in b.items():
        current = out.get(k)
        out[k] = merge_maps(current, v) if isinstance(v, dict) and isinstance(current, dict) else v
        if isinstance(b, YMap) and k in b.kpos:
            out.kpos[k] = b.kpos[k]
    return out


def replace_path_value(values: dict[str, Any], path: str, value: str, literal: bool = False) -> None:
    """chartutil.ReplacePathValue: set ``value`` at ``path`` in place (quoted values stay strings).

    ``literal`` (``valuesFrom[].literal``) sets the value verbatim, as ``helm --set-literal``.
    """
    if literal:
        parse_literal_into(f"{path}={value}", values)
        return
    quoted = (value.startswith("'") and value.endswith("'")) or (
        value.startswith('"') and value.endswith('"')
    )
    if quoted:
        parse_into_string(f"{path}={value.strip(chr(39) + chr(34))}", values)
    else:
        parse_into(f"{path}={value}", values)


def read_values(text: str, display: str) -> YMap:
    """chartutil.ReadValues: the first YAML document as a map (``{}`` when empty). Raises ValueError."""
    try:
        first = load_yaml11(text, Location(display))
    except HomeopsError as exc:
        raise ValueError(str(exc)) from None
    if first is None or (isinstance(first, dict) and not first):
        return YMap()
    if not isinstance(first, YMap):
        kind = "array" if isinstance(first, list) else "string" if isinstance(first, str) else "number"
        raise ValueError(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{kind} into Go value of type chartutil.Values"
        )
    return first


def _message(kind: str, namespace: str, name: str, key: str, optional: bool, reason: str) -> str:
    opt = " optional" if optional else ""
    kind_part = f" {kind}" if kind else ""
    ref = f"'{namespace}/{name}' with key '{key}'"
    return f"could not resolve{opt}{kind_part} chart values reference {ref}: {reason}"


def compute_values(hr: HelmRelease, lookup: Lookup) -> ValuesResult:
    """The values helm-controller would compute for ``hr``, looking ConfigMaps/Secrets up with ``lookup``."""
    namespace = hr.namespace
    inline: YMap | None = deep_copy(hr.values) if hr.values is not None else None
    result = YMap()
    problems: list[ValuesProblem] = []
    uses: list[SourceUse] = []

    def fail(ref: ValuesRef, reason: str, *, optional: bool = False) -> None:
        msg = _message(ref.kind, namespace, ref.name, ref.values_key, ref.optional, reason)
        problems.append(ValuesProblem(msg, ref.location, optional))
        uses.append(SourceUse(ref, namespace, SKIPPED if optional else FAILED))

    for ref in hr.values_from:
        if ref.kind not in ("ConfigMap", "Secret"):
            fail(ref, _REASON_KIND)
            continue
        data = lookup(ref.kind, namespace, ref.name)
        if data is None:
            fail(ref, f'{ref.kind.lower()}s "{ref.name}" not found', optional=ref.optional)
            continue
        if ref.values_key not in data:
            fail(ref, _REASON_KEY, optional=ref.optional)
            continue
        text = data[ref.values_key]
        if ref.target_path:
            result = merge_maps(result, inline)
            try:
                replace_path_value(result, ref.target_path, text, ref.literal)
            except StrvalsError as exc:
                fail(ref, str(exc))
                continue
        else:
            display = f"{ref.kind} {namespace}/{ref.name} key {ref.values_key}"
            try:
                values = read_values(text, display)
            except ValueError as exc:
                fail(ref, str(exc))
                continue
            result = merge_maps(result, values)
        uses.append(SourceUse(ref, namespace, USED))
    return ValuesResult(merge_maps(result, inline), tuple(problems), tuple(uses))


def is_config_map(obj: Any) -> bool:
    """A core ``v1`` ConfigMap."""
    return isinstance(obj, dict) and obj.get("apiVersion") == "v1" and obj.get("kind") == "ConfigMap"


def is_secret(obj: Any) -> bool:
    """A core ``v1`` Secret."""
    return isinstance(obj, dict) and obj.get("apiVersion") == "v1" and obj.get("kind") == "Secret"


def _b64decode(text: str) -> bytes:
    """Go's base64.StdEncoding as encoding/json applies it to []byte: padding required, CR/LF ignored."""
    cleaned = text.replace("\r", "").replace("\n", "")
    return base64.b64decode(cleaned, validate=True)


def object_data(obj: YMap) -> tuple[dict[str, str], list[str]]:
    """The data of a ConfigMap (``data``) or Secret (``data`` decoded from base64, then ``stringData``).

    Returns the key/value strings and the problems met (a value that is not a string, bad base64).
    """
    problems: list[str] = []
    out: dict[str, str] = {}
    kind = str(obj.get("kind"))
    data = obj.get("data")
    for key, value in data.items() if isinstance(data, dict) else ():
        if not isinstance(value, str):
            problems.append(f"{kind} data key {key!r} is not a string")
            continue
        if kind == "Secret":
            try:
                out[key] = _b64decode(value).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                problems.append(f"Secret data key {key!r} is not valid base64")
        else:
            out[key] = value
    string_data = obj.get("stringData") if kind == "Secret" else None
    for key, value in string_data.items() if isinstance(string_data, dict) else ():
        if not isinstance(value, str):
            problems.append(f"Secret stringData key {key!r} is not a string")
            continue
        out[key] = value
    return out, problems


def lookup_from(objects: Iterable[Any]) -> tuple[Lookup, list[str]]:
    """A Lookup over the ConfigMaps and Secrets among ``objects`` (the later of duplicates wins).

    Also returns the problems met while reading their data.
    """
    table: dict[tuple[str, str, str], dict[str, str]] = {}
    problems: list[str] = []
    for obj in objects:
        if not (is_config_map(obj) or is_secret(obj)):
            continue
        md = obj.get("metadata")
        md = md if isinstance(md, dict) else {}
        name, ns = md.get("name"), md.get("namespace") or ""
        if not isinstance(name, str) or not isinstance(ns, str):
            continue
        data, errs = object_data(obj)
        problems.extend(f"{obj['kind']} {ns}/{name}: {e}" for e in errs)
        table[(str(obj["kind"]), ns, name)] = data

    def lookup(kind: str, namespace: str, name: str) -> Mapping[str, str] | None:
        return table.get((kind, namespace, name))

    return lookup, problems


__all__ = [
    "FAILED",
    "SKIPPED",
    "USED",
    "Lookup",
    "SourceUse",
    "ValuesProblem",
    "ValuesResult",
    "compute_values",
    "is_config_map",
    "is_secret",
    "lookup_from",
    "merge_maps",
    "object_data",
    "read_values",
    "replace_path_value",
]
