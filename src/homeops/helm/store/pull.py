"""Filling the chart store from the network: :func:`pull` (the only code of the store that fetches).

Each distinct request is fetched once. A request the store already answers is left alone unless
``refresh`` asks to resolve ranges and tags again. The URL reached is the mirror's when one matches, but the
chart is recorded under the original URL, so the HelmRelease's own URL finds it offline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from homeops.helm.store.credentials import CredentialFiles, Credentials
from homeops.helm.store.extract import ArchiveError
from homeops.helm.store.helmrepo import HelmRepoClient
from homeops.helm.store.mirrors import HelmStoreConfig
from homeops.helm.store.net import DEFAULT_TIMEOUT_SECONDS, FetchError, HttpClient
from homeops.helm.store.oci import HELM_CHART_LAYER, HELM_LEGACY_LAYER, Manifest, OciClient, OciRef
from homeops.helm.store.semver import (
    Constraints,
    SemverError,
    is_flux_version,
    parse_flux_version,
    select_version,
    sort_descending,
)
from homeops.helm.store.store import ChartStore, StoreEntry, request_keys
from homeops.helm.types import ChartRequest
from homeops.kustomize.remote import Resolver, system_resolver

MAX_LAYER_BYTES = 64 * 1024 * 1024
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")

Status = Literal["pulled", "present", "local", "failed"]


@dataclass(frozen=True, slots=True)
class PullOptions:
    """Where the store is, how to reach the network, and whether to re-resolve what the store holds."""

    store_dir: Path | None = None  # default: $HOMEOPS_CACHE_DIR/charts or ~/.cache/homeops/charts
    config: HelmStoreConfig = field(default_factory=HelmStoreConfig)
    credentials: CredentialFiles | None = None  # default: the Helm and Docker config files
    refresh: bool = False  # resolve ranges and tags again even when the store answers them
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    resolver: Resolver = system_resolver


@dataclass(frozen=True, slots=True)
class PullOutcome:
    """What became of one request: pulled, already present, local (nothing to pull) or failed."""

    request: ChartRequest | None
    status: Status
    message: str  # the chart pulled, or why it failed
    users: tuple[str, ...] = ()  # e.g. the HelmReleases asking for it
    entry: StoreEntry | None = None

    def line(self) -> str:
        what = self.request.describe() if self.request is not None else ", ".join(self.users)
        verb = {"pulled": "pulled", "present": "already in store", "local": "local", "failed": "failed"}
        text = f"{verb[self.status]}: {what}"
        if self.message:
            text += f" ({self.message})" if self.status != "failed" else f": {self.message}"
        return text


@dataclass(frozen=True, slots=True)
class PullResult:
    outcomes: tuple[PullOutcome, ...]

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "failed")


def pull(requests: Sequence[tuple[str, ChartRequest | str]], options: PullOptions) -> PullResult:
    """Fetch every request (``(user, request or problem)`` pairs) the store does not answer yet."""
    store = ChartStore(options.store_dir)
    grouped: dict[str, tuple[ChartRequest, list[str]]] = {}
    outcomes: list[PullOutcome] = []
    for user, request in requests:
        if isinstance(request, str):
            outcomes.append(PullOutcome(None, "failed", request, (user,)))
            continue
        key = request_keys(request)[1] + (str(request.local_path) if request.local_path else "")
        grouped.setdefault(key, (request, []))[1].append(user)
    credentials = Credentials.load(options.credentials)
    with HttpClient(options.config, timeout=options.timeout, resolver=options.resolver) as http:
        fetcher = _Fetcher(
            store, options.config, OciClient(http, credentials), HelmRepoClient(http, credentials)
        )
        for request, users in grouped.values():
            outcomes.append(fetcher.one(request, tuple(users), options.refresh))
    return PullResult(tuple(outcomes))


@dataclass
class _Fetcher:
    store: ChartStore
    config: HelmStoreConfig
    oci: OciClient
    repos: HelmRepoClient

    def one(self, request: ChartRequest, users: tuple[str, ...], refresh: bool) -> PullOutcome:
        if request.local_path is not None or request.source_kind in ("GitRepository", "Bucket", "Local"):
            found = self.store.lookup(request)
            if found is None:
                return PullOutcome(request, "failed", "no chart at the local path", users)
            return PullOutcome(request, "local", f"{found.name} {found.version}", users)
        existing = self.store.find(request, best_stored=False)
        keep = existing is not None and (not refresh or _pinned(request))
        if existing is not None and keep and self.store.ensure_extracted(existing) is not None:
            return PullOutcome(request, "present", _summary(existing), users, existing)
        try:
            entry = self._fetch(request)
        except (FetchError, ArchiveError, SemverError) as exc:
            return PullOutcome(request, "failed", str(exc), users)
        except OSError as exc:
            return PullOutcome(request, "failed", f"cannot write the store: {exc}", users)
        return PullOutcome(request, "pulled", _summary(entry), users, entry)

    def _fetch(self, request: ChartRequest) -> StoreEntry:
        url = self.config.rewrite(request.url.rstrip("/"))
        if request.source_kind == "OCIRepository":
            return self._oci_repository(request, url)
        if request.repo_type == "oci" or url.startswith("oci://"):
            return self._helm_oci(request, url)
        fetched = self.repos.fetch(url, request.chart, request.version)
        return self.store.add(
            request,
            fetched.data,
            version=fetched.entry.version,
            digest=fetched.digest,
            fetched_from=fetched.url,
        )

    def _helm_oci(self, request: ChartRequest, url: str) -> StoreEntry:
        ref = OciRef.parse(url).child(request.chart)
        wanted = request.version
        if is_flux_version(wanted):  # source-controller's shortcut: a version is a tag, no listing
            version = wanted
        else:
            tags = [t.replace("_", "+") for t in self.oci.tags(ref)]
            chosen = select_version([t for t in tags if is_flux_version(t)], wanted)
            if chosen is None:
                raise FetchError(f"could not locate a version matching provided version string {wanted}")
            version = chosen
        manifest = self.oci.manifest(ref, version.replace("+", "_"))
        layers = [x for x in manifest.layers if x.get("mediaType") in (HELM_CHART_LAYER, HELM_LEGACY_LAYER)]
        if not layers:
            raise FetchError(f"{ref}:{version}: the manifest has no layer of media type {HELM_CHART_LAYER}")
        digest = str(layers[0].get("digest", ""))
        data = self.oci.blob(ref, digest, MAX_LAYER_BYTES)
        return self.store.add(request, data, version=version, digest=digest, fetched_from=f"{ref}:{version}")

    def _oci_repository(self, request: ChartRequest, url: str) -> StoreEntry:
        ref = OciRef.parse(url)
        if request.digest:
            manifest = self.oci.manifest(ref, request.digest)
            tag = ""
        else:
            tag, manifest = self._by_tag_or_semver(ref, request)
        layers = manifest.layers
        if not layers:
            raise FetchError("no layers found in artifact")
        if request.layer_media_type:
            chosen = [x for x in layers if x.get("mediaType") == request.layer_media_type]
            if not chosen:
                raise FetchError(
                    f"failed to find layer with media type '{request.layer_media_type}' in artifact"
                )
            layer = chosen[0]
        else:
            layer = layers[0]
        data = self.oci.blob(ref, str(layer.get("digest", "")), MAX_LAYER_BYTES)
        where = f"{ref}@{manifest.digest}"
        return self.store.add(request, data, version=tag, digest=manifest.digest, fetched_from=where)

    def _by_tag_or_semver(self, ref: OciRef, request: ChartRequest) -> tuple[str, Manifest]:
        wanted = request.version or "latest"
        if _TAG.match(wanted):
            try:
                return wanted, self.oci.manifest(ref, wanted)
            except FetchError as exc:
                if "(404)" not in str(exc) or not _is_range(wanted):
                    raise
        constraint = Constraints.parse(wanted)
        helm = request.layer_media_type == HELM_CHART_LAYER
        versions = []
        for tag in self.oci.tags(ref):
            semver_tag = tag.replace("_", "+") if helm else tag
            try:
                version = parse_flux_version(semver_tag)
            except SemverError:
                continue
            if constraint.check(version):
                versions.append(version)
        if not versions:
            raise FetchError(f"no match found for semver: {wanted}")
        best = sort_descending(versions)[0].original
        tag = best.replace("+", "_") if helm else best
        return tag, self.oci.manifest(ref, tag)


def _is_range(text: str) -> bool:
    try:
        Constraints.parse(text)
    except SemverError:
        return False
    return True


def _pinned(request: ChartRequest) -> bool:
    """Whether a request names one artifact for good (a digest, or an exact HelmRepository version)."""
    if request.digest:
        return True
    return request.source_kind == "HelmRepository" and is_flux_version(request.version)


def _summary(entry: StoreEntry) -> str:
    return f"{entry.name} {entry.chart_version}, {entry.digest}"
