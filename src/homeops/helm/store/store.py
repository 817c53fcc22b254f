"""The local chart store: content-addressed, offline, safe under concurrent runs.

Layout under the store directory (``$HOMEOPS_CACHE_DIR/charts``, else ``~/.cache/homeops/charts``)::

    blobs/sha256/<hex>      chart archives (.tgz), named by their sha256
    index/<id>.json         one entry per (source kind, original URL, chart, resolved version or tag,
                            layer selector): the blob, the artifact digest, the chart's name and version
    refs/<id>.json          what a request (a range, a mutable tag) resolved to at its last pull
    charts/<hex>/           a blob's chart, extracted on demand (Chart.yaml at its top)

Every file is written to a temporary name in its directory and renamed into place; extracted charts are
renamed into place as a whole. A reader sees a complete file or none; two runs writing the same entry both
leave a complete one. A damaged entry (unreadable JSON, a blob whose sha256 does not match) is a miss, and
is removed. :meth:`ChartStore.lookup` never touches the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from homeops.helm.store.extract import ArchiveError, extract_chart
from homeops.helm.store.semver import SemverError, select_version
from homeops.helm.types import ChartRequest, SourceKind, StoredChart

SCHEMA = 1
_TMP_MAX_AGE = 3600.0


def default_store_dir() -> Path:
    """``$HOMEOPS_CACHE_DIR/charts``, else ``~/.cache/homeops/charts``."""
    base = os.environ.get("HOMEOPS_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "homeops") / "charts"


def store_kind(request: ChartRequest) -> str:
    """How a request's charts are keyed: ``helm`` (HTTP), ``helm-oci`` or ``oci`` (OCIRepository)."""
    if request.source_kind == "OCIRepository":
        return "oci"
    return "helm-oci" if request.repo_type == "oci" or request.url.startswith("oci://") else "helm"


def normalize_url(url: str) -> str:
    return url.strip().rstrip("/")


def _hash(parts: Iterable[str]) -> str:
    return hashlib.sha256(json.dumps(list(parts)).encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class StoreEntry:
    """One stored chart (an ``index/<id>.json`` file)."""

    kind: str
    url: str  # the original URL (as the HelmRelease's source has it)
    chart: str  # chart name in the repository ("" for OCIRepository)
    version: str  # resolved version (HelmRepository) or tag (OCIRepository; "" when pulled by digest)
    digest: str  # "sha256:…" of the artifact (chart archive; OCI manifest for OCIRepository)
    blob: str  # sha256 hex of the chart archive
    name: str  # Chart.yaml name
    chart_version: str  # Chart.yaml version
    layer_media_type: str = ""
    layer_operation: str = ""
    fetched_from: str = ""  # the URL actually used (a mirror's)
    pulled: float = 0.0
    size: int = 0
    source_kind: str = "HelmRepository"
    schema: int = SCHEMA
    last_used: float = field(default=0.0, compare=False)

    @property
    def id(self) -> str:
        return _hash(
            (self.kind, self.url, self.chart, self.version, self.layer_media_type, self.layer_operation)
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("last_used")
        return data

    @classmethod
    def from_json(cls, data: Any, last_used: float) -> StoreEntry | None:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return None
        try:
            entry = cls(**{k: v for k, v in data.items() if k != "last_used"}, last_used=last_used)
        except TypeError:
            return None
        text_fields = (entry.kind, entry.url, entry.chart, entry.version, entry.blob, entry.name)
        if not all(isinstance(v, str) for v in text_fields) or len(entry.blob) != 64:
            return None
        return entry

    def describe(self) -> str:
        what = f"{self.chart or self.name}@{self.version or self.chart_version}"
        return f"{what} from {self.url}" + (f" ({self.digest})" if self.digest else "")


def request_keys(request: ChartRequest) -> tuple[str, str]:
    """(exact entry id, ref id) of a request."""
    kind = store_kind(request)
    url = normalize_url(request.url)
    media, op = _layer(request)
    exact = _hash((kind, url, request.chart, request.version, media, op))
    ref = _hash(("ref", kind, url, request.chart, request.version, request.digest, media, op))
    return exact, ref


def _layer(request: ChartRequest) -> tuple[str, str]:
    if request.source_kind != "OCIRepository":
        return "", ""
    return request.layer_media_type, request.layer_operation or "extract"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_chart_yaml(directory: Path) -> tuple[str, str] | None:
    try:
        data = yaml.load((directory / "Chart.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    return str(data.get("name") or ""), str(data.get("version") or "")


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What ``prune`` removed (or would remove, with ``dry_run``)."""

    removed: tuple[StoreEntry, ...]
    freed: int
    kept: int


class ChartStore:
    """The chart store at ``directory``; implements :class:`homeops.helm.types.ChartLookup`."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else default_store_dir()
        self._entries: dict[str, StoreEntry] | None = None
        self._local_meta: dict[Path, tuple[str, str] | None] = {}  # Chart.yaml of local charts, this run

    # -- paths --------------------------------------------------------------------------------------------

    def blob_path(self, hexdigest: str) -> Path:
        return self.directory / "blobs" / "sha256" / hexdigest

    def chart_dir(self, hexdigest: str) -> Path:
        return self.directory / "charts" / hexdigest

    def _index_path(self, entry_id: str) -> Path:
        return self.directory / "index" / f"{entry_id}.json"

    def _ref_path(self, ref_id: str) -> Path:
        return self.directory / "refs" / f"{ref_id}.json"

    # -- reading ------------------------------------------------------------------------------------------

    def entries(self) -> dict[str, StoreEntry]:
        """Every readable entry by id (read once per ChartStore; a damaged entry file is skipped)."""
        if self._entries is None:
            found: dict[str, StoreEntry] = {}
            index = self.directory / "index"
            for path in sorted(index.glob("*.json")) if index.is_dir() else []:
                entry = self._read_entry(path)
                if entry is not None and entry.id == path.stem:
                    found[entry.id] = entry
            self._entries = found
        return self._entries

    def _read_entry(self, path: Path) -> StoreEntry | None:
        try:
            stat = path.stat()
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        return StoreEntry.from_json(data, stat.st_mtime)

    def _read_ref(self, ref_id: str) -> str | None:
        try:
            data = json.loads(self._ref_path(ref_id).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        entry = data.get("entry") if isinstance(data, dict) else None
        return entry if isinstance(entry, str) else None

    def find(self, request: ChartRequest, *, best_stored: bool = True) -> StoreEntry | None:
        """The entry a request resolves to offline (no network, no extraction), or None.

        In order: the digest a request pins; the exact version or tag; what the request resolved to at its
        last pull; with ``best_stored``, the highest stored version satisfying the request's range.
        """
        if request.source_kind in ("GitRepository", "Bucket", "Local"):
            return None
        entries = self.entries()
        kind, url, (media, op) = store_kind(request), normalize_url(request.url), _layer(request)
        same = [
            e
            for e in entries.values()
            if e.kind == kind
            and e.url == url
            and e.chart == request.chart
            and (e.layer_media_type, e.layer_operation) == (media, op)
        ]
        if request.digest:
            pinned = [e for e in same if e.digest == request.digest]
            return max(pinned, key=lambda e: e.pulled) if pinned else None
        exact_id, ref_id = request_keys(request)
        if exact_id in entries:
            return entries[exact_id]
        resolved = self._read_ref(ref_id)
        if resolved is not None and resolved in entries:
            return entries[resolved]
        if not best_stored:
            return None
        try:
            best = select_version([e.version for e in same], request.version)
        except SemverError:
            return None
        if best is None:
            return None
        return next(e for e in same if e.version == best)

    def lookup(self, request: ChartRequest) -> StoredChart | None:
        """The chart for ``request``, extracted, or None when the store does not hold it (never fetches)."""
        if request.source_kind in ("GitRepository", "Bucket", "Local"):
            return self._local(request)
        entry = self.find(request)
        if entry is None:
            return None
        path = self.ensure_extracted(entry)
        if path is None:
            return None
        with contextlib.suppress(OSError):
            os.utime(self._index_path(entry.id))
        kind: SourceKind = "OCIRepository" if entry.kind == "oci" else "HelmRepository"
        return StoredChart(path, entry.name, entry.chart_version, entry.digest, kind)

    def _local(self, request: ChartRequest) -> StoredChart | None:
        if request.local_path is None:
            return None
        if request.local_path not in self._local_meta:  # read once per chart directory and run
            self._local_meta[request.local_path] = _read_chart_yaml(request.local_path)
        meta = self._local_meta[request.local_path]
        if meta is None:
            return None
        return StoredChart(request.local_path, meta[0], meta[1], "", request.source_kind)

    def read_blob(self, hexdigest: str) -> bytes | None:
        """A blob's content if its sha256 matches (a damaged blob is removed and None returned)."""
        path = self.blob_path(hexdigest)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != hexdigest:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return data

    def ensure_extracted(self, entry: StoreEntry) -> Path | None:
        """The extracted chart directory of ``entry`` (extracting the verified blob when needed)."""
        target = self.chart_dir(entry.blob)
        if (target / "Chart.yaml").is_file():
            return target
        if target.exists():  # damaged: not a complete extraction
            shutil.rmtree(target, ignore_errors=True)
        data = self.read_blob(entry.blob)
        if data is None:
            return None
        try:
            extract_chart(data, target)
        except (ArchiveError, OSError):
            return None
        return target if (target / "Chart.yaml").is_file() else None

    # -- writing ------------------------------------------------------------------------------------------

    def add_blob(self, data: bytes) -> str:
        """Store ``data`` under its sha256 (hex returned); an existing intact blob is kept."""
        hexdigest = hashlib.sha256(data).hexdigest()
        if self.read_blob(hexdigest) is None:
            _write_atomic(self.blob_path(hexdigest), data)
        return hexdigest

    def add(
        self, request: ChartRequest, data: bytes, *, version: str, digest: str, fetched_from: str
    ) -> StoreEntry:
        """Record ``data`` (a chart archive) as what ``request`` resolved to (``version``: resolved version or
        tag). Raises ArchiveError when it is not a chart."""
        hexdigest = self.add_blob(data)
        media, op = _layer(request)
        target = self.chart_dir(hexdigest)
        if not (target / "Chart.yaml").is_file():
            if target.exists():
                shutil.rmtree(target, ignore_errors=True)
            extract_chart(data, target)  # raises ArchiveError with the reason
        meta = _read_chart_yaml(target) or ("", "")
        if not meta[0] or not meta[1]:
            raise ArchiveError("Chart.yaml has no name or version")
        entry = StoreEntry(
            kind=store_kind(request),
            url=normalize_url(request.url),
            chart=request.chart,
            version=version,
            digest=digest,
            blob=hexdigest,
            name=meta[0],
            chart_version=meta[1],
            layer_media_type=media,
            layer_operation=op,
            fetched_from=fetched_from,
            pulled=time.time(),
            size=len(data),
            source_kind=request.source_kind,
        )
        _write_atomic(
            self._index_path(entry.id),
            (json.dumps(entry.to_json(), indent=1, sort_keys=True) + "\n").encode(),
        )
        _, ref_id = request_keys(request)
        ref = {"entry": entry.id, "request": request.describe(), "resolved": entry.pulled}
        _write_atomic(self._ref_path(ref_id), (json.dumps(ref, sort_keys=True) + "\n").encode())
        if self._entries is not None:
            self._entries[entry.id] = entry
        return entry

    # -- pruning ------------------------------------------------------------------------------------------

    def prune(
        self, *, keep: set[str] | None = None, older_than: float | None = None, dry_run: bool = False
    ) -> PruneResult:
        """Remove entries not in ``keep`` (entry ids; None: keep all) or not used for ``older_than``
        seconds, then every blob, extracted chart and ref nothing refers to any more."""
        now = time.time()
        entries = self.entries()
        removed = [
            e
            for e in entries.values()
            if (keep is not None and e.id not in keep)
            or (older_than is not None and max(e.last_used, e.pulled) < now - older_than)
        ]
        gone = {e.id for e in removed}
        kept = len(entries) - len(gone)
        live_blobs = {e.blob for e in entries.values() if e.id not in gone}
        freed = 0
        if not dry_run:
            for entry in removed:
                with contextlib.suppress(OSError):
                    self._index_path(entry.id).unlink()
                del entries[entry.id]
        for path in self._files("blobs/sha256"):
            if path.name not in live_blobs and not path.name.startswith("."):
                freed += path.stat().st_size
                if not dry_run:
                    path.unlink(missing_ok=True)
        for path in self._files("charts"):
            if path.name not in live_blobs and not path.name.startswith(".") and not dry_run:
                shutil.rmtree(path, ignore_errors=True)
        if not dry_run:
            for path in self._files("refs"):
                if self._read_ref(path.stem) not in entries:
                    path.unlink(missing_ok=True)
            self._remove_stale_temporaries(now)
        ordered = tuple(sorted(removed, key=lambda e: (e.url, e.chart, e.version)))
        return PruneResult(ordered, freed, kept)

    def _files(self, sub: str) -> list[Path]:
        directory = self.directory / sub
        return sorted(directory.iterdir()) if directory.is_dir() else []

    def _remove_stale_temporaries(self, now: float) -> None:
        for sub in ("blobs/sha256", "charts", "index", "refs"):
            for path in self._files(sub):
                if path.name.startswith(".") and path.name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        if now - path.stat().st_mtime > _TMP_MAX_AGE:
                            if path.is_dir():
                                shutil.rmtree(path, ignore_errors=True)
                            else:
                                path.unlink()
