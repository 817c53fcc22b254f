"""Go's ``encoding/json`` encoding of generic values (``interface{}``): what kustomize hashes, and how Flux
writes a patch it passes on (``homeops.kustomize.hashing``, ``homeops.flux.kustomizetypes``)."""

from __future__ import annotations

import math
from typing import Any

# -- Go encoding/json --------------------------------------------------------------------------------------


def go_json(value: Any, *, integers: bool = False) -> str:
    """Encode ``value`` as Go's ``json.Marshal`` encodes the equivalent ``interface{}`` value: keys sorted,
    compact, every number a float64; with ``integers``, as it encodes an object the Kubernetes JSON decoder
    read (whole numbers stay int64)."""
    parts: list[str] = []
    _encode(value, parts, integers)
    return "".join(parts)


def _encode(value: Any, out: list[str], integers: bool) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, str):
        out.append(go_json_string(value))
    elif integers and isinstance(value, int):
        out.append(str(value))
    elif integers and isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        out.append(str(int(value)))
    elif isinstance(value, (int, float)):
        out.append(go_json_float(float(value)))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: str(k).encode("utf-8"))):
            if i:
                out.append(",")
            out.append(go_json_string(str(key)))
            out.append(":")
            _encode(value[key], out, integers)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, integers)
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
    from decimal import Decimal  # imported by the first float (rare in a Kustomization's spec)

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
