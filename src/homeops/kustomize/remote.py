"""Remote kustomize inputs over HTTPS, fetched only when the user allows the network.

kustomize v5.7.1 reads a URL wherever it reads a file (``api/internal/loader/fileloader.go``: ``Load`` does
an HTTP GET for any ``http://`` or ``https://`` path). homeops fetches two of those: a ``resources:`` entry
that is a URL to a YAML file, and the ``files:``/``envs:`` entries of ``configMapGenerator`` and
``secretGenerator``. A ``resources:`` URL that does not answer with YAML, ``components:`` URLs and git-style
references (``github.com/org/repo//path?ref=x``, ``git::https://...``, ``ssh://``, ``git@host:repo``) are
remote git bases, which kustomize clones with the ``git`` binary; homeops does not clone them, even with the
network allowed.

Without ``--allow-network`` (or ``allowNetwork: true`` in ``.homeops.yaml``) there is no fetcher at all: every
remote reference is a build error, and the disk cache is not read either, so an offline build depends only on
the repository. With the network allowed, a fetch:

- is HTTPS only (``http://`` is refused, also as a redirect target), with no proxy, no ``.netrc`` and no
  credentials in the URL;
- follows at most ``max_redirects`` redirects, each hop checked again;
- never connects to a loopback, link-local, private (RFC 1918, unique-local IPv6, CGNAT ``100.64.0.0/10``),
  multicast, unspecified, reserved or otherwise non-global address: the host is resolved here, every address
  is checked, and the connection goes to a checked address (the TLS name stays the host name), so DNS
  rebinding cannot slip a private address in; IP-literal hosts are checked the same way;
- is limited to ``max_bytes`` (decoded) and ``timeout`` seconds overall (checked between reads; a single
  stalled read is cut at the time that was left when the request started);
- is cached on disk by URL (``$HOMEOPS_CACHE_DIR/remote``, else ``~/.cache/homeops/remote``): the content and
  a JSON checksum file, each written atomically. An entry younger than ``max_age`` is used without asking the
  network (so it also works offline); an older or damaged one is fetched again, and if that fails the build
  fails: stale content is never used silently.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from homeops.errors import BuildError, Location
from homeops.kustomize.files import FileLoader
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import deep_copy

if TYPE_CHECKING:
    import ssl

    from homeops.kustomize.remote_http import Downloader

MAX_REMOTE_BYTES = 8 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 5
CACHE_MAX_AGE_SECONDS = 24 * 3600.0

GIT_HINT = "vendor the manifests into the repository, or let Flux fetch them with a GitRepository source"

Resolver = Callable[[str, int], Sequence[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Refused(Exception):
    """Raised inside the HTTP stack when a URL or address is not allowed (turned into a BuildError)."""


# -- what may be fetched -------------------------------------------------------------------------------------


def is_url(ref: str) -> bool:
    """True for ``http://`` and ``https://`` references: what kustomize GETs as a file."""
    return ref[:8].lower() == "https://" or ref[:7].lower() == "http://"


def looks_like_git_repo(url: str) -> bool:
    """Whether kustomize's repo-spec parser would take this URL for a git repository (after a failed GET):
    a ``_git/``, ``//`` or ``.git`` marker in the path, or at least two path segments."""
    rest = url.split("://", 1)[-1].split("?", 1)[0]
    _, _, path = rest.partition("/")
    if "_git/" in path or "//" in path or ".git" in path:
        return True
    return len(path.split("/")) >= 2


def address_problem(addr: IPAddress) -> str | None:
    """Why homeops will not connect to ``addr``, or None for a public unicast address."""
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = [addr.ipv4_mapped, addr.sixtofour]
        if addr.teredo is not None:
            embedded.extend(addr.teredo)
        if addr in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
        for inner in embedded:
            if inner is not None and (problem := address_problem(inner)) is not None:
                return f"{problem} (embedded in {addr})"
    checks: tuple[tuple[bool, str], ...] = (
        (addr.is_unspecified, "unspecified"),
        (addr.is_loopback, "loopback"),
        (addr.is_link_local, "link-local"),
        (addr.is_multicast, "multicast"),
        (isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT, "shared (CGNAT)"),
        (addr.is_reserved, "reserved"),
        (addr.is_private, "private"),
        (not addr.is_global, "not a public address"),
    )
    for hit, what in checks:
        if hit:
            return f"{what} address {addr}"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    import socket  # imported here: a run that fetches nothing skips it

    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def default_cache_dir() -> Path:
    """``$HOMEOPS_CACHE_DIR/remote``, else ``~/.cache/homeops/remote``."""
    base = os.environ.get("HOMEOPS_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "homeops") / "remote"


# -- the guarded HTTP stack ----------------------------------------------------------------------------------


# -- the disk cache ------------------------------------------------------------------------------------------


class _Cache:
    """``<sha256(url)>.data`` (the content) and ``<sha256(url)>.json`` (url, sha256, size, fetch time)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.dir / f"{key}.data", self.dir / f"{key}.json"

    def get(self, url: str, max_bytes: int, max_age: float | None) -> bytes | None:
        data_path, meta_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or meta.get("url") != url:
                return None
            fetched = meta.get("fetched")
            if not isinstance(fetched, (int, float)):
                return None
            if max_age is not None and time.time() - fetched > max_age:
                return None
            with data_path.open("rb") as f:
                data = f.read(max_bytes + 1)
        except (OSError, ValueError):
            return None
        if len(data) > max_bytes or meta.get("size") != len(data):
            return None
        if meta.get("sha256") != hashlib.sha256(data).hexdigest():
            return None
        return data

    def put(self, url: str, data: bytes) -> None:
        """Best effort: a cache that cannot be written only costs a fetch next time."""
        data_path, meta_path = self._paths(url)
        meta = {
            "url": url,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "fetched": time.time(),
        }
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_atomic(data_path, data)
            _write_atomic(meta_path, (json.dumps(meta, sort_keys=True) + "\n").encode("utf-8"))
        except OSError:
            pass


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- the fetcher ---------------------------------------------------------------------------------------------


class RemoteFetcher:
    """Fetches HTTPS URLs for kustomize builds under the rules in this module's docstring.

    ``verify``, ``allow_addresses`` and ``resolver`` exist for tests (a loopback server with a self-signed
    certificate); nothing in the command line or the configuration reaches them.
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        max_bytes: int = MAX_REMOTE_BYTES,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        max_redirects: int = MAX_REDIRECTS,
        max_age: float | None = CACHE_MAX_AGE_SECONDS,
        verify: ssl.SSLContext | None = None,
        allow_addresses: frozenset[str] = frozenset(),
        resolver: Resolver = system_resolver,
    ) -> None:
        self.cache = _Cache(cache_dir if cache_dir is not None else default_cache_dir())
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.max_age = max_age
        self._verify = verify
        self._resolver = resolver
        self._allow = frozenset(str(ipaddress.ip_address(a)) for a in allow_addresses)
        self._http: Downloader | None = None  # the HTTP stack, imported on the first download
        self._memo: dict[str, bytes] = {}
        self._parsed: dict[str, list[Any]] = {}

    def __enter__(self) -> RemoteFetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def fetch(self, url: str, where: Location | None = None) -> bytes:
        """The content at ``url``: from this run, else a fresh cache entry, else the network."""
        data = self._memo.get(url)
        if data is not None:
            return data
        from homeops.kustomize.remote_http import Downloader, check_url

        try:
            check_url(url)
        except _Refused as exc:
            raise BuildError(f"fetching {url}: {exc}", location=where) from None
        data = self.cache.get(url, self.max_bytes, self.max_age)
        if data is None:
            if self._http is None:
                self._http = Downloader(self._resolver, self._allow, self._verify)
            try:
                data = self._http.download(url, self.max_bytes, self.timeout, self.max_redirects)
            except _Refused as exc:
                raise BuildError(f"fetching {url}: {exc}", location=where) from None
            self.cache.put(url, data)
        self._memo[url] = data
        return data

    def load_yaml(self, url: str, where: Location | None = None) -> list[Any]:
        """The parsed YAML documents at ``url`` (a fresh copy each call); positions name the URL."""
        docs = self._parsed.get(url)
        if docs is None:
            docs = self._parsed[url] = load_documents(self.fetch(url, where), url)
        return [deep_copy(d) for d in docs]


# -- the build's view ----------------------------------------------------------------------------------------


class NetworkLoader(FileLoader):
    """A FileLoader that may also fetch HTTPS URLs through ``remote`` (as kustomize's loader GETs URLs)."""

    def __init__(self, root: Path, remote: RemoteFetcher, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        self.remote = remote


def remote_of(loader: FileLoader) -> RemoteFetcher | None:
    """The fetcher a build may use, or None when the network is not allowed."""
    return loader.remote if isinstance(loader, NetworkLoader) else None


def git_base_error(what: str, ref: str, where: Location) -> BuildError:
    return BuildError(
        f"remote {what} {ref!r} is not fetched: it is a git repository, and homeops does not clone git "
        "remote bases (not even with --allow-network)",
        location=where,
        hint=GIT_HINT,
    )


def fetch_ref(loader: FileLoader, what: str, ref: str, where: Location) -> RemoteFetcher:
    """The fetcher for the URL ``ref``; raises the offline, plain-http or git error when there is none."""
    if not is_url(ref):
        raise git_base_error(what, ref, where)
    how = "--allow-network, or allowNetwork: true in .homeops.yaml"
    if ref[:7].lower() == "http://":
        raise BuildError(
            f"remote {what} {ref!r} is not fetched: plain http:// is refused, homeops fetches only https:// "
            f"URLs (and only with {how})",
            location=where,
        )
    remote = remote_of(loader)
    if remote is None:
        raise BuildError(
            f"remote {what} {ref!r} is not fetched: homeops builds offline unless the network is "
            f"allowed ({how})",
            location=where,
            hint="or vendor the remote manifests into the repository",
        )
    return remote
