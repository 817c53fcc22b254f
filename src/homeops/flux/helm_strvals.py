"""Helm's ``--set`` parser (``helm.sh/helm/v3/pkg/strvals``), as helm-controller uses it for ``targetPath``.

``parse_into(line, dest)`` and ``parse_into_string(line, dest)`` follow ``strvals.ParseInto`` and
``strvals.ParseIntoString``: ``line`` is ``path=value[,path=value...]``; the path uses dots for nested
maps and ``[n]`` for list indices, a backslash escapes the next character anywhere (``a\\.b`` is one key),
a value ``{x,y}`` is a list, and a comma ends a value. ``dest`` is updated in place, sharing existing maps
and lists exactly as the Go code does (helm-controller relies on that sharing). With ``parse_into`` a value
is typed like Helm types ``--set`` values: ``true``/``false``/``null`` in any case, ``0``, and base-10
integers without a leading zero; everything else stays a string. ``parse_into_string`` keeps strings.

Errors raise ``StrvalsError`` with Helm's message; ``dest`` keeps whatever was set before the error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from homeops.yaml.nodes import YMap, YSeq

MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30

_KEY_STOP = frozenset("=[,.")
_INDEX_STOP = frozenset("]")
_ITEM_STOP = frozenset("[.=")
_LIST_STOP = frozenset(",}")
_VAL_STOP = frozenset(",")
_INT = re.compile(r"[+-]?[0-9]+")
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class StrvalsError(ValueError):
    """A ``--set`` line Helm rejects."""


@dataclass(frozen=True, slots=True)
class _Err:
    """A Go error value; ``eof`` marks io.EOF, which ends parsing normally in some places."""

    msg: str
    eof: bool = False


_EOF = _Err("EOF", eof=True)
_NOT_LIST = _Err("not a list")


class _Panic(Exception):
    """A Go runtime panic (failed type assertion) that strvals' key() recovers into an error."""


def _quote(text: str) -> str:
    """Go's %q for ordinary strings."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _go_type(value: Any) -> str:
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "string"


def typed_value(text: str, as_string: bool) -> Any:
    """How strvals types one value (``typedVal``)."""
    if as_string:
        return text
    folded = text.casefold()
    if folded == "true":
        return True
    if folded == "false":
        return False
    if folded == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and _INT.fullmatch(text):
        n = int(text)
        if _INT64_MIN <= n <= _INT64_MAX:
            return n
    return text


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if key:
        data[key] = value


def _set_index(items: list[Any], index: int, value: Any) -> tuple[list[Any], _Err | None]:
    if index < 0:
        return items, _Err(f"negative {index} index not allowed")
    if index > MAX_INDEX:
        return items, _Err(f"index of {index} is greater than maximum supported index of {MAX_INDEX}")
    if len(items) <= index:  # Go allocates a new slice; the old one stays as it was
        grown = YSeq(items)
        grown.extend([None] * (index + 1 - len(items)))
        items = grown
    items[index] = value
    return items, None


def _atoi(text: str) -> tuple[int, _Err | None]:
    if _INT.fullmatch(text):
        n = int(text)
        if _INT64_MIN <= n <= _INT64_MAX:
            return n, None
        return 0, _Err(f"strconv.Atoi: parsing {_quote(text)}: value out of range")
    return 0, _Err(f"strconv.Atoi: parsing {_quote(text)}: invalid syntax")


class _Parser:
    def __init__(self, text: str, data: dict[str, Any], as_string: bool, literal: bool = False) -> None:
        self.literal = literal
        self.text = text
        self.pos = 0
        self.data = data
        self.as_string = as_string

    def _read(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        c = self.text[self.pos]
        self.pos += 1
        return c

    def _unread(self) -> None:
        self.pos -= 1

    def _until(self, stop: frozenset[str]) -> tuple[str, str, _Err | None]:
        out: list[str] = []
        while True:
            c = self._read()
            if c is None:
                return "".join(out), "", _EOF
            if c in stop:
                return "".join(out), c, None
            if c == "\\":
                nxt = self._read()
                if nxt is None:
                    return "".join(out), "", _EOF
                out.append(nxt)
            else:
                out.append(c)

    def parse(self) -> None:
        while True:
            err = self.key(self.data, 0)
            if err is None:
                continue
            if err.eof:
                return
            raise StrvalsError(err.msg)

    def key(self, data: dict[str, Any], level: int) -> _Err | None:
        try:
            return self._key(data, level)
        except _Panic as exc:
            return _Err(f"unable to parse key: {exc}")

    def _key(self, data: dict[str, Any], level: int) -> _Err | None:
        k, last, err = self._until(_KEY_STOP)
        if err is not None:
            return err if not k else _Err(f"key {_quote(k)} has no value")
        if last == "[":
            index, err = self._key_index()
            if err is not None:
                return _Err(f"error parsing index: {err.msg}")
            items: list[Any] = YSeq()
            if k in data:
                current = data[k]
                if not isinstance(current, list):
                    raise _Panic(
                        f"interface conversion: interface {{}} is {_go_type(current)}, not []interface {{}}"
                    )
                items = current
            items, err = self._list_item(items, index, level)
            _set(data, k, items)
            return err
        if last == "=":
            values, err = self._val_list()
            if err is None:
                _set(data, k, values)
                return None
            if err.eof:
                _set(data, k, "")
                return err
            if err is _NOT_LIST:
                text, err = (self._rest(), None) if self.literal else self._val()
                if err is not None and not err.eof:
                    return err
                _set(data, k, typed_value(text, self.as_string))
                return None
            return err
        if last == ",":
            _set(data, k, "")
            return _Err(f"key {_quote(k)} has no value (cannot end with ,)")
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            return _Err(
                "value name nested level is greater than maximum supported nested level of "
                f"{MAX_NESTED_NAME_LEVEL}"
            )
        inner: dict[str, Any] = YMap()
        if k in data:
            current = data[k]
            if not isinstance(current, dict):
                raise _Panic(
                    f"interface conversion: interface {{}} is {_go_type(current)}, "
                    "not map[string]interface {}"
                )
            inner = current
        err = self.key(inner, level)
        if err is None and not inner:
            return _Err(f"key map {_quote(k)} has no value")
        if inner:
            _set(data, k, inner)
        return err

    def _key_index(self) -> tuple[int, _Err | None]:
        text, _, err = self._until(_INDEX_STOP)
        if err is not None:
            return 0, err
        return _atoi(text)

    def _list_item(self, items: list[Any], index: int, level: int) -> tuple[list[Any], _Err | None]:
        if index < 0:
            return items, _Err(f"negative {index} index not allowed")
        k, last, err = self._until(_ITEM_STOP)
        if k:
            return items, _Err(f"unexpected data at end of array index: {_quote(k)}")
        if err is not None:
            return items, err
        if last == "=":
            values, err = self._val_list()
            if err is None:
                return _set_index(items, index, values)
            if err.eof:
                return _set_index(items, index, "")
            if err is _NOT_LIST:
                text, err = (self._rest(), None) if self.literal else self._val()
                if err is not None and not err.eof:
                    return items, err
                return _set_index(items, index, typed_value(text, self.as_string))
            return items, err
        if last == "[":
            next_index, err = self._key_index()
            if err is not None:
                return items, _Err(f"error parsing index: {err.msg}")
            current: list[Any] = YSeq()
            if len(items) > index and items[index] is not None:
                existing = items[index]
                if not isinstance(existing, list):
                    raise _Panic(
                        f"interface conversion: interface {{}} is {_go_type(existing)}, not []interface {{}}"
                    )
                current = existing
            nested, err = self._list_item(current, next_index, level)
            if err is not None:
                return items, err
            return _set_index(items, index, nested)
        inner: dict[str, Any] = YMap()
        if len(items) > index:
            if isinstance(items[index], dict):
                inner = items[index]
            else:
                items[index] = inner
        err = self.key(inner, level)
        if err is not None:
            return items, err
        return _set_index(items, index, inner)

    def _val(self) -> tuple[str, _Err | None]:
        text, _, err = self._until(_VAL_STOP)
        return text, err

    def _rest(self) -> str:
        text = self.text[self.pos :]
        self.pos = len(self.text)
        return text

    def _val_list(self) -> tuple[list[Any], _Err | None]:
        if self.literal:
            return YSeq(), _NOT_LIST
        c = self._read()
        if c is None:
            return YSeq(), _EOF
        if c != "{":
            self._unread()
            return YSeq(), _NOT_LIST
        out: list[Any] = YSeq()
        while True:
            text, last, err = self._until(_LIST_STOP)
            if err is not None:
                return out, (_Err("list must terminate with '}'") if err.eof else err)
            if last == "}":
                nxt = self._read()
                if nxt is not None and nxt != ",":
                    self._unread()
                out.append(typed_value(text, self.as_string))
                return out, None
            out.append(typed_value(text, self.as_string))


def parse_into(line: str, dest: dict[str, Any]) -> None:
    """``strvals.ParseInto``: set typed values from ``line`` into ``dest`` in place."""
    _Parser(line, dest, as_string=False).parse()


def parse_into_string(line: str, dest: dict[str, Any]) -> None:
    """``strvals.ParseIntoString``: set string values from ``line`` into ``dest`` in place."""
    _Parser(line, dest, as_string=True).parse()


def parse_literal_into(line: str, dest: dict[str, Any]) -> None:
    """Like ``--set-literal``: the path as usual, then everything after ``=`` as one verbatim string."""
    _Parser(line, dest, as_string=True, literal=True).parse()
