"""Safe extraction of a chart archive (``.tgz``) into a directory.

Like Helm's archive loader: the first path component (the chart's own directory) is stripped; absolute
paths and paths that climb out (``..``) are refused; only regular files and directories are written (no
symlinks, hard links or devices); the archive may not decompress to more than ``MAX_DECOMPRESSED_BYTES``
(100 MiB) nor hold a file over ``MAX_FILE_BYTES`` (5 MiB), Helm's limits. An archive whose ``Chart.yaml`` is
at its root (a Flux artifact made from a chart directory) is taken from its root.

The result is written to a temporary directory next to the target and renamed into place, so a reader sees
either no directory or a complete one.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 20000
_TAR_SLACK = 16 * 1024 * 1024  # tar headers and padding


class ArchiveError(Exception):
    """The archive is not a chart archive homeops will extract; the message says why."""


def _gunzip(data: bytes) -> bytes:
    """Decompress with a bound (a gzip bomb stops at the limit instead of filling memory)."""
    limit = MAX_DECOMPRESSED_BYTES + _TAR_SLACK
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ArchiveError(f"not a gzip archive: {exc}") from None
    if len(raw) > limit or inflater.unconsumed_tail:
        raise ArchiveError(f"decompressed archive is larger than {MAX_DECOMPRESSED_BYTES} bytes")
    return raw


def _members(data: bytes) -> list[tuple[str, bytes]]:
    """(normalised path, content) of every regular file, within the limits."""
    raw = _gunzip(data) if data[:2] == b"\x1f\x8b" else data
    out: list[tuple[str, bytes]] = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_MEMBERS:
                    raise ArchiveError(f"archive holds more than {MAX_MEMBERS} entries")
                if not member.isfile():
                    continue  # directories are implied; links and devices are never written
                name = member.name.replace("\\", "/")
                if name.startswith("/") or posixpath.isabs(name):
                    raise ArchiveError(f"chart illegally contains absolute paths ({member.name})")
                if member.size > MAX_FILE_BYTES:
                    raise ArchiveError(f"file {member.name} is larger than {MAX_FILE_BYTES} bytes")
                total += member.size
                if total > MAX_DECOMPRESSED_BYTES:
                    raise ArchiveError(f"decompressed chart is larger than {MAX_DECOMPRESSED_BYTES} bytes")
                fh = tar.extractfile(member)
                out.append((name, fh.read() if fh is not None else b""))
    except tarfile.TarError as exc:
        raise ArchiveError(f"not a tar archive: {exc}") from None
    return out


def chart_files(data: bytes) -> dict[str, bytes]:
    """The chart's files by path relative to the chart directory; raises ArchiveError."""
    members = _members(data)
    at_root = any(posixpath.normpath(n) == "Chart.yaml" for n, _ in members)
    files: dict[str, bytes] = {}
    for name, content in members:
        parts = name.split("/")
        rel = name if at_root else "/".join(parts[1:])
        if not rel:
            continue
        clean = posixpath.normpath(rel)
        if clean == ".":
            raise ArchiveError("chart illegally contains content outside the base directory")
        if clean.startswith("../") or clean == ".." or posixpath.isabs(clean):
            raise ArchiveError(f"chart illegally references parent directory ({name})")
        files[clean] = content
    if "Chart.yaml" not in files:
        raise ArchiveError("Chart.yaml file is missing")
    return files


def extract_chart(data: bytes, target: Path) -> None:
    """Write the chart in ``data`` to ``target`` (atomically; an existing ``target`` is left as it is)."""
    files = chart_files(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        root = tmp.resolve()
        for rel, content in files.items():
            path = (root / rel).resolve()
            if not path.is_relative_to(root) or path == root:
                raise ArchiveError(f"chart path {rel!r} leaves the chart directory")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as fh:
                fh.write(content)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.is_dir():  # another run renamed its copy first: keep that one
                raise
    finally:
        if tmp.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
