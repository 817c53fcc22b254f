"""HTTP(S) Helm chart repositories: ``index.yaml``, version selection and chart download.

As source-controller's ``ChartRepository``: the index is ``<url>/index.yaml`` (an index without
``apiVersion`` is refused, as Helm's loader does); a version is an exact match of an entry's version string
first, else the highest entry whose version (fluxcd ``ParseVersion``) satisfies the constraint, the newest
``created`` first among equal versions; the chart is downloaded from the entry's first URL, resolved
against the repository URL when relative (Helm's ``ResolveReferenceURL``: the base gets a trailing slash and
keeps its query). The entry's ``digest``, when present, must be the sha256 of the downloaded archive.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import yaml
from homeops.helm.store.credentials import Credentials
from homeops.helm.store.mirrors import host_of
from homeops.helm.store.net import Authorization, FetchError, HttpClient
from homeops.helm.store.semver import Constraints, SemverError, Version, parse_flux_version

MAX_INDEX_BYTES = 50 * 1024 * 1024
MAX_CHART_BYTES = 10 * 1024 * 1024

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One chart version of an index."""

    name: str
    version: str
    urls: tuple[str, ...]
    digest: str = ""
    created: dt.datetime | None = field(default=None, compare=False)


def index_url(repo_url: str) -> str:
    """``<url>/index.yaml``, the query kept."""
    parts = urlsplit(repo_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/index.yaml", parts.query, ""))


def resolve_reference_url(base_url: str, ref: str) -> str:
    """Helm's ``repo.ResolveReferenceURL``."""
    if urlsplit(ref).scheme:
        return ref
    base = urlsplit(base_url)
    joined = urlsplit(
        urljoin(urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + "/", "", "")), ref)
    )
    return urlunsplit((joined.scheme, joined.netloc, joined.path, base.query, joined.fragment))


def _created(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def parse_index(data: bytes, where: str) -> dict[str, list[IndexEntry]]:
    """The entries of an ``index.yaml`` (YAML or JSON); raises FetchError when it is not an index."""
    try:
        doc = yaml.load(data, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise FetchError(f"{where} is not a valid index: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise FetchError(f"{where} is not a valid index: not a mapping")
    if not doc.get("apiVersion"):
        raise FetchError(f"{where} is not a valid index: no API version specified")
    entries = doc.get("entries")
    out: dict[str, list[IndexEntry]] = {}
    for name, versions in (entries if isinstance(entries, dict) else {}).items():
        items: list[IndexEntry] = []
        for v in versions if isinstance(versions, list) else []:
            if not isinstance(v, dict):
                continue
            urls = v.get("urls")
            items.append(
                IndexEntry(
                    name=str(v.get("name") or name),
                    version=str(v.get("version") or ""),
                    urls=tuple(str(u) for u in urls) if isinstance(urls, list) else (),
                    digest=str(v.get("digest") or ""),
                    created=_created(v.get("created")),
                )
            )
        out[str(name)] = items
    return out


def pick(entries: list[IndexEntry], wanted: str) -> IndexEntry:
    """source-controller's ``getChartVersion``; raises FetchError when nothing matches."""
    if not entries:
        raise FetchError("no chart version found")
    if wanted:
        for entry in entries:
            if entry.version == wanted:
                return entry
    try:
        constraint = Constraints.parse("*" if wanted in ("", "*") else wanted)
    except SemverError as exc:
        raise FetchError(f"invalid version {wanted!r}: {exc}") from None
    matched: list[tuple[Version, IndexEntry]] = []
    for entry in entries:
        try:
            version = parse_flux_version(entry.version)
        except SemverError:
            continue
        if constraint.check(version):
            matched.append((version, entry))
    if not matched:
        raise FetchError(f"no '{entries[0].name}' chart with version matching '{wanted}' found")
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)

    def order(a: tuple[Version, IndexEntry], b: tuple[Version, IndexEntry]) -> int:
        c = a[0].compare(b[0])
        if c:
            return -c
        ta, tb = a[1].created or epoch, b[1].created or epoch
        return -1 if ta > tb else (1 if ta < tb else 0)

    return sorted(matched, key=cmp_to_key(order))[0][1]


@dataclass(frozen=True, slots=True)
class FetchedChart:
    """A downloaded chart archive and what it is."""

    entry: IndexEntry
    data: bytes = field(repr=False)
    url: str  # where it was downloaded from

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


class HelmRepoClient:
    """Fetches indexes (once per URL and client) and charts from HTTP(S) repositories."""

    def __init__(self, http: HttpClient, credentials: Credentials) -> None:
        self.http = http
        self.credentials = credentials
        self._indexes: dict[str, dict[str, list[IndexEntry]]] = {}

    def _auth(self, url: str) -> Authorization | None:
        cred = self.credentials.for_repository(url)
        if cred is None:
            return None
        token = base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode("ascii")
        return Authorization(host_of(url), f"Basic {token}")

    def index(self, repo_url: str) -> dict[str, list[IndexEntry]]:
        cached = self._indexes.get(repo_url)
        if cached is None:
            url = index_url(repo_url)
            response = self.http.get(url, auth=self._auth(repo_url), max_bytes=MAX_INDEX_BYTES)
            if response.status != 200:
                raise FetchError(f"fetching {url}: status {response.status}")
            cached = self._indexes[repo_url] = parse_index(response.body, url)
        return cached

    def fetch(self, repo_url: str, chart: str, wanted: str) -> FetchedChart:
        """The chart ``chart`` at version ``wanted`` (exact or a constraint) from the repository at
        ``repo_url`` (the URL actually reached, after any mirror rewrite)."""
        entries = self.index(repo_url).get(chart)
        if entries is None:
            raise FetchError(f"chart {chart!r} is not in the index of {repo_url}")
        entry = pick(entries, wanted)
        if not entry.urls:
            raise FetchError(f"chart '{chart}' has no downloadable URLs")
        url = resolve_reference_url(repo_url, entry.urls[0])
        response = self.http.get(url, auth=self._auth(repo_url), max_bytes=MAX_CHART_BYTES)
        if response.status != 200:
            raise FetchError(f"fetching {url}: status {response.status}")
        fetched = FetchedChart(entry, response.body, url)
        if entry.digest:
            want = entry.digest.lower().removeprefix("sha256:")
            if fetched.digest.removeprefix("sha256:") != want:
                raise FetchError(
                    f"digest mismatch for {chart} {entry.version} from {url}: the index says sha256:{want}, "
                    f"the download is {fetched.digest}"
                )
        return fetched
