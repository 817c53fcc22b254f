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
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpcore2
import httpx2

from homeops.errors import BuildError, Location
from homeops.kustomize.files import FileLoader
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import deep_copy

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
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def default_cache_dir() -> Path:
    """``$HOMEOPS_CACHE_DIR/remote``, else ``~/.cache/homeops/remote``."""
    base = os.environ.get("HOMEOPS_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "homeops") / "remote"


# -- the guarded HTTP stack ----------------------------------------------------------------------------------


class _GuardedBackend(httpcore2.SyncBackend):
    """Resolves the host itself, checks every address, then connects to a checked address."""

    def __init__(self, resolver: Resolver, allow: frozenset[str]) -> None:
        self._resolver = resolver
        self._allow = allow

    def checked_addresses(self, host: str, port: int) -> list[str]:
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            names = [str(literal)]
        else:
            try:
                names = list(self._resolver(host, port))
            except (OSError, UnicodeError) as exc:
                raise _Refused(f"cannot resolve {host}: {exc}") from None
            if not names:
                raise _Refused(f"{host} resolves to no address")
        for name in names:
            try:
                addr = ipaddress.ip_address(name.split("%", 1)[0])
            except ValueError:
                raise _Refused(f"{host} resolves to {name!r}, not an IP address") from None
            if str(addr) in self._allow:
                continue
            problem = address_problem(addr)
            if problem is not None:
                via = "" if literal is not None else f"{host} resolves to "
                raise _Refused(f"refused to connect: {via}{problem}")
        return names

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        last: Exception | None = None
        for address in self.checked_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as exc:
                last = exc
        assert last is not None
        raise last


class _Stream(httpx2.SyncByteStream):
    def __init__(self, inner: Iterable[bytes], request: httpx2.Request) -> None:
        self._inner = inner
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _mapped(self._request):
            yield from self._inner

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class _GuardedTransport(httpx2.BaseTransport):
    """An httpx transport over an httpcore pool whose only way out is the guarded backend."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: _GuardedBackend) -> None:
        self._pool = httpcore2.ConnectionPool(
            ssl_context=ssl_context, network_backend=backend, http1=True, http2=False, max_connections=4
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        assert isinstance(request.stream, httpx2.SyncByteStream)
        core = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped(request):
            resp = self._pool.handle_request(core)
        assert isinstance(resp.stream, Iterable)
        return httpx2.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_Stream(resp.stream, request),
            extensions=resp.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@contextmanager
def _mapped(request: httpx2.Request) -> Iterator[None]:
    """httpcore errors as httpx errors (what httpx's own transport does)."""
    try:
        yield
    except httpcore2.TimeoutException as exc:
        raise httpx2.TimeoutException(str(exc), request=request) from exc
    except (httpcore2.NetworkError, httpcore2.ProtocolError, httpcore2.UnsupportedProtocol) as exc:
        raise httpx2.TransportError(str(exc) or type(exc).__name__) from exc


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
            if not isinstance(fetched, int | float):
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
        self._backend = _GuardedBackend(
            resolver, frozenset(str(ipaddress.ip_address(a)) for a in allow_addresses)
        )
        self._client: httpx2.Client | None = None
        self._memo: dict[str, bytes] = {}
        self._parsed: dict[str, list[Any]] = {}

    def __enter__(self) -> RemoteFetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def fetch(self, url: str, where: Location | None = None) -> bytes:
        """The content at ``url``: from this run, else a fresh cache entry, else the network."""
        data = self._memo.get(url)
        if data is not None:
            return data
        try:
            _check_url(httpx2.URL(url))
        except (_Refused, httpx2.InvalidURL) as exc:
            raise BuildError(f"fetching {url}: {exc}", location=where) from None
        data = self.cache.get(url, self.max_bytes, self.max_age)
        if data is None:
            try:
                data = self._download(url)
            except (_Refused, httpx2.HTTPError) as exc:
                raise BuildError(f"fetching {url}: {_describe(exc, self.timeout)}", location=where) from None
            self.cache.put(url, data)
        self._memo[url] = data
        return data

    def load_yaml(self, url: str, where: Location | None = None) -> list[Any]:
        """The parsed YAML documents at ``url`` (a fresh copy each call); positions name the URL."""
        docs = self._parsed.get(url)
        if docs is None:
            docs = self._parsed[url] = load_documents(self.fetch(url, where), url)
        return [deep_copy(d) for d in docs]

    def _http(self) -> httpx2.Client:
        if self._client is None:
            context = self._verify or httpx2.create_ssl_context(verify=True, trust_env=False)
            self._client = httpx2.Client(
                transport=_GuardedTransport(context, self._backend),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": "homeops", "Accept": "*/*"},
            )
        return self._client

    def _download(self, url: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        current = httpx2.URL(url)
        for _hop in range(self.max_redirects + 1):
            _check_url(current)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise httpx2.TimeoutException("deadline passed")
            client = self._http()
            request = client.build_request("GET", current, timeout=httpx2.Timeout(remaining))
            response = client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    current = current.join(location)
                    continue
                if not 200 <= response.status_code <= 299:
                    raise _Refused(f"status code {response.status_code} ({response.reason_phrase})")
                return self._read_body(response, deadline)
            finally:
                response.close()
        raise _Refused(f"more than {self.max_redirects} redirects")

    def _read_body(self, response: httpx2.Response, deadline: float) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise _Refused(f"too large ({declared} bytes; the limit is {self.max_bytes})")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise _Refused(f"too large (more than {self.max_bytes} bytes)")
            if time.monotonic() > deadline:
                raise httpx2.TimeoutException("deadline passed")
            chunks.append(chunk)
        return b"".join(chunks)


def _check_url(url: httpx2.URL) -> None:
    if url.scheme == "http":
        raise _Refused("plain http:// is refused: homeops fetches only https:// URLs")
    if url.scheme != "https":
        raise _Refused(f"the {url.scheme or 'missing'} scheme is refused: homeops fetches only https:// URLs")
    if not url.host:
        raise _Refused("the URL has no host")
    if url.userinfo:
        raise _Refused("URLs with credentials are refused")


def _describe(exc: Exception, timeout: float) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx2.TimeoutException):
        return f"timed out (the limit is {timeout:g}s per fetch)"
    return f"connection failed: {text}" if isinstance(exc, httpx2.TransportError) else text


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
