"""Template data the way makejinja loads it: YAML, TOML and JSON files merged key by key (shallowly).

YAML is read with PyYAML's safe loader (YAML 1.1, as makejinja does), every document of a file merged in
turn; later files override earlier ones at the top level only. ``data_vars`` are applied last, dotted keys
creating nested mappings. Also maps a configuration key path back to the file and line that set it.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import yaml
from homeops.errors import InputError, Location
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, YSeq


def _check_mapping(doc: Any, display: str, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise InputError(f"{what} must be a mapping, not {type(doc).__name__}", location=Location(display))
    return doc


def _from_yaml(path: Path, display: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    with path.open("rb") as fp:
        try:
            for index, doc in enumerate(yaml.safe_load_all(fp)):
                data |= _check_mapping(doc, display, f"YAML document {index + 1}")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 0
            raise InputError(f"invalid YAML data: {exc}", location=Location(display, line)) from exc
    return data


def _from_toml(path: Path, display: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"invalid TOML data: {exc}", location=Location(display)) from exc


def _from_json(path: Path, display: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"invalid JSON data: {exc}", location=Location(display)) from exc
    return _check_mapping(doc, display, "JSON data")


DATA_LOADERS: dict[str, Callable[[Path, str], dict[str, Any]]] = {
    ".yaml": _from_yaml,
    ".yml": _from_yaml,
    ".toml": _from_toml,
    ".json": _from_json,
}


def collect_data_files(paths: Iterable[Path]) -> list[Path]:
    """The files makejinja reads for ``data``: files as given, directories walked (sorted, no dotfiles)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(f for f in sorted(path.glob("**/*")) if not f.name.startswith(".") and f.is_file())
        elif path.is_file():
            files.append(path)
    return files


def set_dotted(data: MutableMapping[str, Any], dotted_key: str, value: Any) -> None:
    """``set_dotted(d, "a.b.c", v)`` sets ``d["a"]["b"]["c"] = v``, creating mappings on the way."""
    here = data
    keys = dotted_key.split(".")
    for key in keys[:-1]:
        here = here.setdefault(key, {})
    here[keys[-1]] = value


def load_data_file(path: Path, display: str) -> dict[str, Any] | None:
    """One data file's mapping, or None when makejinja would skip it (unsupported suffix)."""
    loader = DATA_LOADERS.get(path.suffix)
    if loader is None:
        return None
    return loader(path, display)


def load_data(
    paths: Iterable[Path], data_vars: Mapping[str, Any], display: Callable[[Path], str]
) -> tuple[dict[str, Any], list[Path]]:
    """Merged data of ``paths`` plus ``data_vars``, and the data files actually read (in order)."""
    data: dict[str, Any] = {}
    used: list[Path] = []
    for path in collect_data_files(paths):
        loaded = load_data_file(path, display(path))
        if loaded is not None:
            data |= loaded
            used.append(path)
    for key, value in data_vars.items():
        set_dotted(data, key, value)
    return data, used


def format_key_path(key_path: Iterable[str | int]) -> str:
    """``("nodes", 0, "address")`` -> ``nodes[0].address``."""
    text = ""
    for part in key_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def locate_key_path(
    files: Iterable[Path], key_path: tuple[str | int, ...], display: Callable[[Path], str]
) -> Location | None:
    """Where the value at ``key_path`` was set: the last YAML data file defining its top-level key wins."""
    if not key_path:
        return None
    found: Location | None = None
    for path in files:
        if path.suffix not in (".yaml", ".yml"):
            continue
        try:
            docs = load_documents(path.read_bytes(), display(path))
        except (OSError, InputError):
            continue
        for doc in docs:
            loc = _locate_in(doc, key_path)
            if loc is not None:
                found = loc
    return found


def _locate_in(node: Any, key_path: tuple[str | int, ...]) -> Location | None:
    best: Location | None = None
    for part in key_path:
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            pos = node.key_pos(part)
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            pos = node.item_pos(part)
            node = node[part]
        else:
            break
        if pos is not None:
            best = Location(pos.file, pos.line, pos.column)
    return best
