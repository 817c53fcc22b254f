"""JSON 6902 patches as kustomize v5.7.1 applies them (evanphx/json-patch v4 semantics and messages).

Differences from RFC 6902 that kustomize has, and so this module has too: ``replace`` of a missing object
member adds it; negative array indexes count from the end; a ``copy`` or ``move`` from a missing member
yields ``null``. Error messages are the library's, e.g. ``error in remove for path: '/a/b': Unable to
remove nonexistent key: b: missing value``.
"""

from __future__ import annotations

import re
from typing import Any

from homeops.errors import BuildError
from homeops.yaml.nodes import YMap, YSeq, deep_copy

_MISSING = ": missing value"
_BAD_INDEX = ": invalid index referenced"
_INT = re.compile(r"^[+-]?[0-9]+$")


class JsonPatchError(BuildError):
    """A JSON 6902 operation cannot be applied."""


class _NoValue:
    """Marker: an operation without a ``value`` field, or a missing object member."""


_NONE = _NoValue()


def _decode(key: str) -> str:
    return key.replace("~1", "/").replace("~0", "~")


def _atoi(key: str) -> int:
    if not _INT.match(key) or len(key.lstrip("+-")) > 18:
        raise JsonPatchError(f'strconv.Atoi: parsing "{key}": invalid syntax')
    return int(key)


def _get(con: Any, key: str) -> Any:
    """A container's member (``_NONE`` when an object lacks it); errors for bad array indexes."""
    if isinstance(con, dict):
        return con.get(key, _NONE)
    idx = _atoi(key)
    if idx >= len(con) or idx < 0:
        raise JsonPatchError(f"Unable to access invalid index: {idx}{_BAD_INDEX}")
    return con[idx]


def _add(con: Any, key: str, val: Any) -> None:
    if isinstance(con, dict):
        con[key] = val
        return
    if key == "-":
        con.append(val)
        return
    try:
        idx = _atoi(key)
    except JsonPatchError as exc:
        raise JsonPatchError(f"value was not a proper array index: '{key}': {exc.message}") from None
    size = len(con) + 1
    if idx >= size or idx < -size:
        raise JsonPatchError(f"Unable to access invalid index: {idx}{_BAD_INDEX}")
    if idx < 0:
        idx += size
    con.insert(idx, val)


def _remove(con: Any, key: str) -> None:
    if isinstance(con, dict):
        if key not in con:
            raise JsonPatchError(f"Unable to remove nonexistent key: {key}{_MISSING}")
        del con[key]
        return
    idx = _atoi(key)
    if idx >= len(con) or idx < -len(con):
        raise JsonPatchError(f"Unable to access invalid index: {idx}{_BAD_INDEX}")
    del con[idx]


def _find(doc: Any, path: str) -> tuple[Any, str] | None:
    """The container holding the last token of ``path`` and that token, or None when unreachable."""
    split = path.split("/")
    if len(split) < 2:
        return None
    con = doc
    for part in split[1:-1]:
        try:
            nxt = _get(con, _decode(part))
        except JsonPatchError:
            return None
        if not isinstance(nxt, (dict, list)):
            return None
        con = nxt
    return con, _decode(split[-1])


def _strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return type(a) is type(b) and a == b


def _str_field(op: dict[str, Any], name: str) -> str | None:
    v = op.get(name)
    return v if isinstance(v, str) else None


def _value(op: dict[str, Any]) -> Any:
    return deep_copy(op["value"]) if "value" in op else None


def _apply_one(doc: Any, op: dict[str, Any]) -> None:
    kind = op.get("op")
    kind = kind if isinstance(kind, str) else "unknown"
    path = _str_field(op, "path")
    if kind in ("add", "remove"):
        if path is None:
            raise JsonPatchError(f"{kind} operation failed to decode path{_MISSING}")
        found = _find(doc, path)
        if found is None:
            raise JsonPatchError(f'{kind} operation does not apply: doc is missing path: "{path}"{_MISSING}')
        try:
            if kind == "add":
                _add(found[0], found[1], _value(op))
            else:
                _remove(found[0], found[1])
        except JsonPatchError as exc:
            raise JsonPatchError(f"error in {kind} for path: '{path}': {exc.message}") from None
    elif kind == "replace":
        if path is None:
            raise JsonPatchError(
                "replace operation failed to decode path: operation missing path field" + _MISSING
            )
        found = _find(doc, path)
        if found is None:
            raise JsonPatchError(f"replace operation does not apply: doc is missing path: {path}{_MISSING}")
        con, key = found
        try:
            _get(con, key)
        except JsonPatchError:
            raise JsonPatchError(
                f"replace operation does not apply: doc is missing key: {path}{_MISSING}"
            ) from None
        if isinstance(con, dict):
            con[key] = _value(op)
        else:
            con[int(key)] = _value(op)
    elif kind in ("move", "copy"):
        _move_or_copy(doc, op, kind, path)
    elif kind == "test":
        _test(doc, op, path)
    else:
        raise JsonPatchError(f"Unexpected kind: {kind}")


def _move_or_copy(doc: Any, op: dict[str, Any], kind: str, path: str | None) -> None:
    src = _str_field(op, "from")
    if src is None:
        raise JsonPatchError(
            f"{kind} operation failed to decode from: operation, missing from field{_MISSING}"
        )
    found = _find(doc, src)
    if found is None:
        raise JsonPatchError(f"{kind} operation does not apply: doc is missing from path: {src}{_MISSING}")
    con, key = found
    try:
        val = _get(con, key)
        if kind == "move":
            _remove(con, key)
    except JsonPatchError as exc:
        where = f"error in move for path: '{key}'" if kind == "move" else f"error in copy for from: '{src}'"
        raise JsonPatchError(f"{where}: {exc.message}") from None
    val = None if val is _NONE else val
    if path is None:
        tail = ": operation missing path field" if kind == "move" else ""
        raise JsonPatchError(f"{kind} operation failed to decode path{tail}{_MISSING}")
    dest = _find(doc, path)
    if dest is None:
        raise JsonPatchError(
            f"{kind} operation does not apply: doc is missing destination path: {path}{_MISSING}"
        )
    try:
        _add(dest[0], dest[1], deep_copy(val) if kind == "copy" else val)
    except JsonPatchError as exc:
        where = (
            f"error in move for path: '{path}'" if kind == "move" else "error while adding value during copy"
        )
        raise JsonPatchError(f"{where}: {exc.message}") from None


def _test(doc: Any, op: dict[str, Any], path: str | None) -> None:
    if path is None:
        raise JsonPatchError("test operation failed to decode path: operation missing path field" + _MISSING)
    found = _find(doc, path)
    if found is None:
        raise JsonPatchError(f"test operation does not apply: is missing path: {path}{_MISSING}")
    try:
        val = _get(*found)
    except JsonPatchError as exc:
        raise JsonPatchError(f"error in test for path: '{path}': {exc.message}") from None
    failed = JsonPatchError(f"testing value {path} failed: test failed")
    if val is _NONE:
        if "value" not in op:
            return
        raise failed
    if "value" not in op or not _strict_equal(val, op["value"]):
        raise failed


def apply_json6902(doc: YMap, ops: list[Any]) -> YMap:
    """Apply JSON 6902 ``ops`` (a list of operation maps) to a copy of ``doc`` and return the copy.

    Raises JsonPatchError with kustomize's message on the first operation that fails.
    """
    out = deep_copy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise JsonPatchError("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        _apply_one(out, op)
    if not isinstance(out, YMap):  # pragma: no cover - a map stays a map
        return YMap(out.items())
    return out


def is_sequence(value: Any) -> bool:
    """True for a parsed JSON 6902 patch (a list of operations)."""
    return isinstance(value, (list, YSeq))
