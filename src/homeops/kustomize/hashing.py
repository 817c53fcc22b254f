"""kustomize's content hash and the ``-<hash>`` name suffix of generated ConfigMaps and Secrets.

The hash is the SHA-256 of a JSON encoding (Go ``encoding/json``: sorted keys, HTML-safe escaping) of a few
fields, shortened to 10 hex characters in which ``0 1 3 a e`` are replaced by ``g h k m t`` (so the suffix
never looks like a number or a word). kustomize v5.7.1 looks the name up under the path ``metadata/name``
as a single key, which never exists, so the name always enters the hash as ``""``: two generated objects of
the same kind and content get the same suffix whatever their names (checked against ``kubectl kustomize``).

* ConfigMap: ``{"data": D, "kind": "ConfigMap", "name": ""}`` plus ``"binaryData"`` when it is a mapping.
* Secret: ``{"data": D, "kind": "Secret", "name": "", "type": T}`` plus ``"stringData"`` when a mapping.

A missing field (or a null one) counts as ``""``; a mapping is re-encoded through Go's generic JSON values
(numbers become float64). Other kinds can only reach the hasher through generator plugins, which homeops
does not run; they are hashed from the JSON of the whole object (kustomize hashes its internal node
structure there, which cannot be reproduced).
"""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal
from typing import Any

from homeops.kustomize.kyamlpath import go_text
from homeops.kustomize.resource import ResMap, Resource

_HASH_MAP = str.maketrans("013ae", "ghkmt")


def encode_hash(hex_digest: str) -> str:
    """kustomize's 10-character suffix from a hex digest."""
    if len(hex_digest) < 10:
        raise ValueError("input length must be at least 10")
    return hex_digest[:10].translate(_HASH_MAP)


def content_hash(res: Resource) -> str:
    """The name suffix kustomize computes for ``res`` (without the leading dash)."""
    obj = res.obj
    kind = obj.get("kind")
    if kind == "ConfigMap":
        enc: dict[str, Any] = {"kind": "ConfigMap", "name": "", "data": _field_value(obj.get("data"))}
        if isinstance(obj.get("binaryData"), dict):
            enc["binaryData"] = obj["binaryData"]
    elif kind == "Secret":
        enc = {
            "kind": "Secret",
            "type": _field_value(obj.get("type")),
            "name": "",
            "data": _field_value(obj.get("data")),
        }
        if isinstance(obj.get("stringData"), dict):
            enc["stringData"] = obj["stringData"]
    else:
        enc = obj
    data = go_json(enc).encode("utf-8")
    return encode_hash(hashlib.sha256(data).hexdigest())


def add_hash_suffixes(resmap: ResMap) -> None:
    """Append ``-<content hash>`` to the name of every resource that asked for it.

    kustomize does this exactly once per build, at the top level, after every generator, transformer and
    patch of every level has run (``KustTarget.makeCustomizedResMap`` calls ``addHashesToNames`` after
    ``AccumulateTarget`` and just before ``FixBackReferences``). The renames go through
    ``Resource.set_name`` so the previous ids are kept and name references can be fixed afterwards.
    """
    for res in resmap:
        if res.needs_hash:
            res.set_name(f"{res.name}-{content_hash(res)}")


def _field_value(value: Any) -> Any:
    """How kustomize's hasher reads one field: a scalar's text, ``""`` when missing."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return value
    return go_text(value)


# -- Go encoding/json --------------------------------------------------------------------------------------


def go_json(value: Any) -> str:
    """Encode ``value`` as Go's ``json.Marshal`` encodes the equivalent ``interface{}`` value."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, str):
        out.append(go_json_string(value))
    elif isinstance(value, (int, float)):
        out.append(go_json_float(float(value)))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: str(k).encode("utf-8"))):
            if i:
                out.append(",")
            out.append(go_json_string(str(key)))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:  # dates and other scalars reach JSON as their text
        out.append(go_json_string(str(value)))


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def go_json_string(text: str) -> str:
    """A JSON string as Go writes it: ``<``, ``>``, ``&``, U+2028 and U+2029 escaped; UTF-8 kept."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        esc = _SHORT_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif code < 0x20 or ch in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")  # a lone surrogate is invalid UTF-8 to Go
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_json_float(number: float) -> str:
    """A float64 as Go's encoding/json writes it (shortest digits; exponent form outside [1e-6, 1e21))."""
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"json: unsupported value: {number}")
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    digits = Decimal(repr(number))
    absval = abs(number)
    if absval < 1e-6 or absval >= 1e21:
        sign, dig, exp = digits.as_tuple()
        assert isinstance(exp, int)
        mantissa = "".join(str(d) for d in dig).rstrip("0") or "0"
        exponent = exp + len(dig) - 1
        text = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
        esign = "-" if exponent < 0 else "+"
        return ("-" if sign else "") + f"{text}e{esign}{abs(exponent):02d}".replace("e-0", "e-", 1)
    text = format(digits, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
