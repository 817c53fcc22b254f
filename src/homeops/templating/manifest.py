"""The record of what ``configure`` rendered: ``.homeops/configure-manifest.json`` in the output directory.

It maps every output path (POSIX, relative to the output directory) to the SHA-256 of the bytes written,
so a later run knows which files it may update or prune and whether someone edited them since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from homeops.errors import InputError, Location

STATE_DIR = ".homeops"
MANIFEST_REL = f"{STATE_DIR}/configure-manifest.json"
MANIFEST_VERSION = 1


def sha256(content: bytes) -> str:
    """Hex SHA-256 of ``content``."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True, slots=True)
class Manifest:
    """Output path -> content hash of the files a previous run wrote."""

    files: Mapping[str, str] = field(default_factory=dict)


def read_manifest(output_dir: Path) -> Manifest:
    """The manifest in ``output_dir``; empty when there is none yet."""
    path = output_dir / MANIFEST_REL
    where = Location(MANIFEST_REL)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Manifest()
    except OSError as exc:
        raise InputError(f"cannot read the configure manifest: {exc.strerror}", location=where) from exc
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the configure manifest is not valid JSON: {exc}", location=where) from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or doc.get("version") != MANIFEST_VERSION
        or not isinstance(files, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
    ):
        raise InputError(
            "the configure manifest has an unknown format",
            location=where,
            hint=f"delete {MANIFEST_REL} and run configure with --force once",
        )
    return Manifest(dict(files))


def manifest_bytes(files: Mapping[str, str]) -> bytes:
    """The manifest file's bytes: stable (sorted keys) so identical runs write identical files."""
    doc = {
        "version": MANIFEST_VERSION,
        "generator": "homeops configure",
        "files": dict(sorted(files.items())),
    }
    return (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode("utf-8")
