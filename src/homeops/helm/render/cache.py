"""The render cache: what ``helm template`` printed, by everything that can change it.

The key is the SHA-256 of a canonical JSON of: the helm version, the chart (its artifact digest and the
version rendered, or for a local chart the hash of every file of its directory), the release name and
namespace, the values (canonical JSON), the Kubernetes version, the API versions and the flags. The
post-render runs after the cache, so a HelmRelease whose postRenderers or commonMetadata change still hits.

An entry is ``MAGIC + sha256(payload) + payload`` with the payload zlib-compressed JSON, written to a
temporary file and renamed into place (a reader sees nothing or a whole entry). An entry whose checksum or
payload does not check out is removed and counts as a miss. Under ``$HOMEOPS_CACHE_DIR/render``, else
``~/.cache/homeops/render``.

Also here: the copy of a chart whose ``Chart.yaml`` version is rewritten (``<version>+<digest12>`` for
OCIRepository sources, as helm-controller sets it when it loads the chart), kept under ``charts/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"HOR1"
_DIGEST = 32
_VERSION_LINE = re.compile(rb"^version:[^\n]*$", re.M)


def default_render_cache_dir() -> Path:
    """``$HOMEOPS_CACHE_DIR/render``, else ``~/.cache/homeops/render``."""
    env = os.environ.get("HOMEOPS_CACHE_DIR")
    return (Path(env) if env else Path.home() / ".cache" / "homeops") / "render"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def hash_chart_dir(path: Path) -> str:
    """``sha256:`` of every file of a chart directory (relative path and bytes), in sorted order."""
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(path).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return "sha256:" + h.hexdigest()


def render_key(
    *,
    helm_version: str,
    chart_id: str,
    release_name: str,
    namespace: str,
    values: Mapping[str, Any],
    kube_version: str,
    api_versions: Sequence[str],
    flags: Sequence[str],
) -> str:
    """The cache key of one ``helm template`` run."""
    blob = canonical_json(
        {
            "format": 1,
            "helm": helm_version,
            "chart": chart_id,
            "release": release_name,
            "namespace": namespace,
            "values": values,
            "kube": kube_version,
            "apis": list(api_versions),
            "flags": list(flags),
        }
    )
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedRun:
    """One cached ``helm template`` outcome."""

    returncode: int
    stdout: str
    stderr: str


class RenderCache:
    """Checksummed, compressed entries by key under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get(self, key: str) -> CachedRun | None:
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head, digest, payload = (
            raw[: len(MAGIC)],
            raw[len(MAGIC) : len(MAGIC) + _DIGEST],
            raw[len(MAGIC) + _DIGEST :],
        )
        try:
            if head != MAGIC or hashlib.sha256(payload).digest() != digest:
                raise ValueError("checksum")
            data = json.loads(zlib.decompress(payload).decode("utf-8"))
            return CachedRun(int(data["rc"]), str(data["stdout"]), str(data["stderr"]))
        except (ValueError, KeyError, TypeError, zlib.error):
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def put(self, key: str, run: CachedRun) -> None:
        payload = zlib.compress(
            canonical_json({"rc": run.returncode, "stdout": run.stdout, "stderr": run.stderr}).encode(), 6
        )
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)

    # -- chart copies ---------------------------------------------------------------------------------

    def chart_with_version(self, chart_dir: Path, version: str, chart_id: str) -> Path:
        """A copy of ``chart_dir`` whose ``Chart.yaml`` has ``version: <version>`` (made once, reused)."""
        name = hashlib.sha256(f"{chart_id}\0{version}".encode()).hexdigest()[:32]
        dest = self.directory / "charts" / name
        if (dest / "Chart.yaml").is_file():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=dest.parent))
        try:
            work = tmp / "chart"
            shutil.copytree(chart_dir, work, symlinks=False)
            chart_yaml = work / "Chart.yaml"
            text = chart_yaml.read_bytes()
            line = b"version: " + json.dumps(version).encode()
            new, count = _VERSION_LINE.subn(line, text, count=1)
            chart_yaml.write_bytes(new if count else text.rstrip(b"\n") + b"\n" + line + b"\n")
            try:
                os.replace(work, dest)
            except OSError:
                if not (dest / "Chart.yaml").is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest


__all__ = [
    "CachedRun",
    "RenderCache",
    "canonical_json",
    "default_render_cache_dir",
    "hash_chart_dir",
    "render_key",
]
