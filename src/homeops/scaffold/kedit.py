"""Minimal edits of a kustomization file's text: one resource line inserted, everything else kept.

The file is never re-serialized, so comments, quoting and layout survive. The edited text is parsed
again and must hold exactly the old resources plus the new one; otherwise nothing is returned.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from homeops.errors import InputError, Location, UsageError
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap

_RESOURCES_KEY = re.compile(r"^resources:[ \t]*(?P<rest>[^#\n]*?)[ \t]*(#.*)?$")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)-[ \t]+(?P<value>[^#\n]*?)[ \t]*(#.*)?$")
_EMPTY_FLOW = re.compile(r"^\[[ \t]*\]$")


def _norm(ref: str) -> str:
    text = ref.strip().strip("'\"")
    return PurePosixPath(text).as_posix().removeprefix("./").rstrip("/") if text not in (".", "./") else "."


def _shape(ref: str) -> tuple[int, str]:
    """Items of the same shape are sorted together: ``a/ks.yaml`` with ``b/ks.yaml``, ``a`` with ``b``."""
    path = PurePosixPath(ref)
    return len(path.parts), path.name if path.suffix else ""


def _resources(text: str, display: str) -> list[str]:
    docs = load_documents(text.encode("utf-8"), display)
    first: Any = docs[0] if docs else None
    if not isinstance(first, YMap):
        raise InputError("a kustomization file must be a YAML mapping", location=Location(display))
    value = first.get("resources")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("resources must be a list of paths", location=Location(display))
    return [str(v) for v in value]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def add_resource(text: str, entry: str, display: str) -> str:
    """``text`` with ``entry`` added to its top-level ``resources`` (unchanged if already listed).

    The item goes in alphabetical position among the existing items of the same shape (``x/ks.yaml``,
    or a directory) when those are sorted, else after the last item, with the items' indentation; a
    comment right above the item it is inserted before stays with that item. Raises ``UsageError``
    when the list is a non-empty flow sequence or the edit cannot be verified; nothing is written here.
    """
    before = _resources(text, display)
    if _norm(entry) in {_norm(r) for r in before}:
        return text
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    key_index = next((i for i, line in enumerate(lines) if _RESOURCES_KEY.match(line.rstrip("\n"))), None)
    if key_index is None:
        lines.append(f"resources:\n  - {entry}\n")
        return _verified(lines, before, entry, display)
    rest = _RESOURCES_KEY.match(lines[key_index].rstrip("\n"))
    assert rest is not None
    flow = rest.group("rest")
    if flow and not _EMPTY_FLOW.match(flow):
        raise UsageError(
            "resources is written as a flow sequence [...]; cannot insert a line safely",
            location=Location(display, key_index + 1),
            hint=f"write it as a block list, or add {entry} by hand",
        )
    if flow:  # resources: []
        line = lines[key_index]
        lines[key_index] = line[: line.index("[")].rstrip(" \t") + "\n"
        lines.insert(key_index + 1, f"  - {entry}\n")
        return _verified(lines, before, entry, display)
    items: list[tuple[int, int, str]] = []  # (first line, last line, value) of every item
    indent: int | None = None
    i = key_index + 1
    while i < len(lines):
        raw = lines[i].rstrip("\n")
        if _is_comment_or_blank(raw):
            i += 1
            continue
        match = _ITEM.match(raw)
        if match is not None and (indent is None or _indent(raw) == indent):
            indent = _indent(raw)
            items.append((i, i, match.group("value")))
        elif items and _indent(raw) > (indent or 0):
            first, _, value = items[-1]
            items[-1] = (first, i, value)
        else:
            break
        i += 1
    prefix = " " * (indent if indent is not None else 2)
    new_line = f"{prefix}- {entry}\n"
    if not items:
        lines.insert(key_index + 1, new_line)
        return _verified(lines, before, entry, display)
    position = items[-1][1] + 1
    wanted = _norm(entry)
    kin = [(first, last, _norm(v)) for first, last, v in items if _shape(_norm(v)) == _shape(wanted)]
    if kin and [v for _, _, v in kin] == sorted(v for _, _, v in kin):
        position = kin[-1][1] + 1
        for first, _, value in kin:
            if value > wanted:
                position = first
                while position - 1 > key_index and lines[position - 1].strip().startswith("#"):
                    position -= 1
                break
    lines.insert(position, new_line)
    return _verified(lines, before, entry, display)


def _verified(lines: list[str], before: list[str], entry: str, display: str) -> str:
    text = "".join(lines)
    after = _resources(text, display)
    if sorted([*before, entry]) != sorted(after):
        raise UsageError(
            "could not add the resource without changing other entries; nothing was changed",
            location=Location(display),
            hint=f"add {entry} to resources by hand",
        )
    return text


def top_level_scalar(text: str, key: str, display: str) -> str | None:
    """The string value of a top-level key of a kustomization file, if any."""
    docs = load_documents(text.encode("utf-8"), display)
    first: Any = docs[0] if docs else None
    if isinstance(first, YMap) and isinstance(first.get(key), str):
        return str(first[key])
    return None
