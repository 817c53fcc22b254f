"""Multi-document YAML loading with positions, typed as kustomize (go-yaml v3) types scalars.

Uses libyaml's C parser for events and composes the tree (``homeops.yaml.compose``, imported on the first
parse), so that what kustomize accepts loads too: duplicate anchors (the latest wins), unknown tags such as
``!env_var`` (the value stays a string) and plain scalars such as ``=`` (a string). Aliases are expanded into
copies under a node budget, so a "billion laughs" document fails with a clear error instead of exhausting
memory. Composition is iterative and refuses nesting deeper than ``MAX_DEPTH``; every error carries the file,
line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeops.errors import InputError, Location
from homeops.yaml.resolver import resolve_plain, resolve_plain_tagged

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "load_documents",
    "load_file",
    "read_limited",
    "resolve_plain",
    "resolve_plain_tagged",
]

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest YAML file homeops reads (16 MiB): real manifests, even CRD bundles, stay well below it."""

MAX_DEPTH = 1000
"""Deepest nesting of mappings and sequences homeops reads (go-yaml v3 stops at 10,000; real manifests
stay below 30)."""

MAX_ALIAS_NODES = 200_000
"""Most nodes that alias expansion may add to one file before it is treated as a YAML bomb."""


def load_documents(
    text: str | bytes, file: str, *, max_alias_nodes: int = MAX_ALIAS_NODES, max_depth: int = MAX_DEPTH
) -> list[Any]:
    """Parse every document of ``text``. ``file`` names the source in positions and errors.

    Empty documents come back as ``None``. Raises InputError (with the line and column) on malformed YAML,
    invalid UTF-8 or control characters, nesting deeper than ``max_depth`` or a YAML bomb.
    """
    from homeops.yaml.compose import compose_documents

    return compose_documents(text, file, max_alias_nodes, max_depth)


def read_limited(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Read a file, refusing one over ``max_bytes``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", location=Location(display)) from None
    if size > max_bytes:
        raise InputError(
            f"file is too large ({size} bytes; the limit is {max_bytes})", location=Location(display)
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", location=Location(display)) from None


def load_file(path: Path, display: str, *, max_bytes: int = MAX_FILE_BYTES) -> list[Any]:
    """Load every document of a YAML file. ``display`` is the path shown in positions and errors."""
    return load_documents(read_limited(path, display, max_bytes), display)
