"""The HTTP stack behind ``RemoteFetcher``, imported only when something is downloaded: an httpx client
whose only way out is a backend that checks every address it connects to (``remote.address_problem``),
with redirects followed by hand so each hop is checked, and size and time limits."""

from __future__ import annotations

import ipaddress
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore2
import httpx2

from homeops.kustomize.remote import _REDIRECTS, IPAddress, Resolver, _Refused, address_problem


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


class GuardedTransport(httpx2.BaseTransport):
    """An httpx transport over an httpcore pool whose only way out is ``backend`` (a backend that checks
    every address it connects to; the chart store has its own policy of which hosts are trusted)."""

    def __init__(
        self, ssl_context: ssl.SSLContext, backend: httpcore2.SyncBackend, max_connections: int = 4
    ) -> None:
        self._pool = httpcore2.ConnectionPool(
            ssl_context=ssl_context,
            network_backend=backend,
            http1=True,
            http2=False,
            max_connections=max_connections,
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


class Downloader:
    """Downloads over the guarded transport; every failure is a ``_Refused`` with a readable reason."""

    def __init__(self, resolver: Resolver, allow: frozenset[str], verify: ssl.SSLContext | None) -> None:
        self._backend = _GuardedBackend(resolver, allow)
        self._verify = verify
        self._client: httpx2.Client | None = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def download(self, url: str, max_bytes: int, timeout: float, max_redirects: int) -> bytes:
        try:
            return self._download(url, max_bytes, timeout, max_redirects)
        except httpx2.HTTPError as exc:
            raise _Refused(_describe(exc, timeout)) from None
        except httpx2.InvalidURL as exc:
            raise _Refused(str(exc)) from None

    def _http(self) -> httpx2.Client:
        if self._client is None:
            context = self._verify or httpx2.create_ssl_context(verify=True, trust_env=False)
            self._client = httpx2.Client(
                transport=GuardedTransport(context, self._backend),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": "homeops", "Accept": "*/*"},
            )
        return self._client

    def _download(self, url: str, max_bytes: int, timeout: float, max_redirects: int) -> bytes:
        deadline = time.monotonic() + timeout
        current = httpx2.URL(url)
        for _hop in range(max_redirects + 1):
            _check(current)
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
                return _read_body(response, deadline, max_bytes)
            finally:
                response.close()
        raise _Refused(f"more than {max_redirects} redirects")


def _read_body(response: httpx2.Response, deadline: float, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _Refused(f"too large ({declared} bytes; the limit is {max_bytes})")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _Refused(f"too large (more than {max_bytes} bytes)")
        if time.monotonic() > deadline:
            raise httpx2.TimeoutException("deadline passed")
        chunks.append(chunk)
    return b"".join(chunks)


def check_url(url: str) -> None:
    """Refuse (``_Refused``) a URL homeops never fetches: not https, no host, or with credentials."""
    try:
        parsed = httpx2.URL(url)
    except httpx2.InvalidURL as exc:
        raise _Refused(str(exc)) from None
    _check(parsed)


def _check(url: httpx2.URL) -> None:
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
