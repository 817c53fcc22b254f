"""The bundled template's files, and all-or-nothing writes of new files.

Package data cannot hold dotfiles reliably (setuptools' globs skip them), so a path component
``dot-NAME`` in the bundle becomes ``.NAME`` in the repository.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from homeops.errors import HomeopsError, InputError, Location

TEMPLATE_DIR = "template"
EXAMPLE_CONFIG = "example-config.yaml"
DOT_PREFIX = "dot-"


def _package() -> Traversable:
    return resources.files("homeops.scaffold")


def repo_path(bundle_rel: str) -> str:
    """The repository path of a bundle path: ``templates/dot-sops.yaml.j2`` -> ``templates/.sops.yaml.j2``."""
    parts = PurePosixPath(bundle_rel).parts
    return PurePosixPath(
        *(("." + p[len(DOT_PREFIX) :]) if p.startswith(DOT_PREFIX) else p for p in parts)
    ).as_posix()


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, rel + "/")
        else:
            yield rel, child


def template_files() -> dict[str, bytes]:
    """Every file of the bundled template: repository path -> bytes, sorted by path."""
    root = _package() / TEMPLATE_DIR
    if not root.is_dir():
        raise HomeopsError("the bundled template is missing from this homeops installation")
    return {repo_path(rel): node.read_bytes() for rel, node in _walk(root, "")}


def example_config() -> str:
    """The bundled example ``bootstrap/config.yaml`` text."""
    return (_package() / EXAMPLE_CONFIG).read_text(encoding="utf-8")


def is_empty_dir(path: Path) -> bool:
    """True when ``path`` does not exist or is an empty directory."""
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _write_new(path: Path, content: bytes, mode: int) -> None:
    """Writes ``content`` to a new file ``path`` atomically; fails if ``path`` appeared meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".homeops-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(content)
        os.chmod(tmp, mode)
        os.link(tmp, path)  # never replaces an existing file
    finally:
        os.unlink(tmp)


def _replace(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".homeops-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(content)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@dataclass(frozen=True, slots=True)
class FileWrite:
    """One planned write: ``content`` for a new file, or for an existing one when ``replace``."""

    rel: str
    content: bytes
    replace: bool = False
    mode: int = 0o644


def write_all(root: Path, writes: Mapping[str, FileWrite]) -> None:
    """Performs every write under ``root`` or none: new files never overwrite, and a failure part-way
    removes the files created so far and restores the files replaced so far."""
    created: list[Path] = []
    replaced: list[tuple[Path, bytes]] = []
    made_dirs: list[Path] = []
    try:
        for write in writes.values():
            path = root / write.rel
            for parent in reversed(path.parents):
                if parent.is_relative_to(root) and not parent.exists():
                    parent.mkdir()
                    made_dirs.append(parent)
            if write.replace:
                old = path.read_bytes()
                _replace(path, write.content)
                replaced.append((path, old))
            else:
                try:
                    _write_new(path, write.content, write.mode)
                except FileExistsError:
                    raise InputError(
                        "file appeared while writing; nothing was changed", location=Location(write.rel)
                    ) from None
                created.append(path)
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        for path, old in replaced:
            _replace(path, old)
        for directory in reversed(made_dirs):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        raise
