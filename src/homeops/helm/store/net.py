"""The guarded HTTP client of the chart store (httpx2 over an httpcore2 pool whose only way out is checked).

- ``https://`` always; ``http://`` only to hosts listed in ``helm.plainHTTP`` or named by an ``http://``
  mirror. TLS is verified except for hosts listed in ``helm.insecure``.
- Connections go to a checked address: the host is resolved here and every address must be public (not
  loopback, private, link-local, CGNAT, multicast, reserved), unless the host is a mirror target or listed in
  ``plainHTTP``/``insecure``; so DNS rebinding cannot slip a private address in.
- Redirects are followed by hand (each hop checked again); the ``Authorization`` header only goes to the
  host it was made for. No proxy, no ``.netrc``, no credentials in URLs.
- Each request has an overall deadline and a byte limit on the body.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

import httpcore2
import httpx2

from homeops.helm.store.mirrors import HelmStoreConfig, host_of
from homeops.kustomize.remote import Resolver, address_problem, system_resolver
from homeops.kustomize.remote_http import GuardedTransport

DEFAULT_TIMEOUT_SECONDS = 60.0
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_BODY_BYTES = 64 * 1024


class FetchError(Exception):
    """A fetch that failed; the message says why (turned into a failed pull, never raised further)."""


@dataclass(frozen=True, slots=True)
class Response:
    """A response with its body read (non-2xx bodies are truncated)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Authorization:
    """An ``Authorization`` header value and the only host (``host[:port]``) it may be sent to."""

    host: str
    value: str = field(repr=False)


class _Backend(httpcore2.SyncBackend):
    def __init__(self, resolver: Resolver, config: HelmStoreConfig) -> None:
        self._resolver = resolver
        self._config = config

    def _addresses(self, host: str, port: int) -> list[str]:
        try:
            literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(
                host.strip("[]")
            )
        except ValueError:
            literal = None
        if literal is not None:
            names = [str(literal)]
        else:
            try:
                names = list(self._resolver(host, port))
            except (OSError, UnicodeError) as exc:
                raise FetchError(f"cannot resolve {host}: {exc}") from None
            if not names:
                raise FetchError(f"{host} resolves to no address")
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        if self._config.is_trusted(f"{shown}:{port}"):
            return names
        for name in names:
            try:
                addr = ipaddress.ip_address(name.split("%", 1)[0])
            except ValueError:
                raise FetchError(f"{host} resolves to {name!r}, not an IP address") from None
            problem = address_problem(addr)
            if problem is not None:
                via = "" if literal is not None else f"{host} resolves to "
                raise FetchError(
                    f"refused to connect: {via}{problem} (list the host in helm.mirrors, helm.plainHTTP or "
                    "helm.insecure of .homeops.yaml to allow it)"
                )
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
        for address in self._addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as exc:
                last = exc
        assert last is not None
        raise last


class HttpClient:
    """GETs (and, for tests' push helpers, other methods) under the rules of this module's docstring.

    ``verify`` exists for tests (a loopback server with a self-signed certificate).
    """

    def __init__(
        self,
        config: HelmStoreConfig,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self._backend = _Backend(resolver, config)
        self._verify = verify
        self._clients: dict[bool, httpx2.Client] = {}

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _client(self, insecure: bool) -> httpx2.Client:
        client = self._clients.get(insecure)
        if client is None:
            if insecure:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                context = self._verify or httpx2.create_ssl_context(verify=True, trust_env=False)
            client = httpx2.Client(
                transport=GuardedTransport(context, self._backend, max_connections=8),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": "homeops"},
            )
            self._clients[insecure] = client
        return client

    def check_url(self, url: str) -> None:
        """Raise FetchError when ``url`` may not be fetched at all (scheme, host, credentials)."""
        try:
            parsed = httpx2.URL(url)
        except httpx2.InvalidURL as exc:
            raise FetchError(f"invalid URL {url!r}: {exc}") from None
        if parsed.userinfo:
            raise FetchError("URLs with credentials are refused")
        if not parsed.host:
            raise FetchError(f"the URL {url!r} has no host")
        hostport = host_of(url)
        if parsed.scheme == "http":
            if not self.config.allows_http(hostport):
                raise FetchError(
                    f"plain http:// to {hostport} is refused (list it in helm.plainHTTP of .homeops.yaml)"
                )
        elif parsed.scheme != "https":
            raise FetchError(f"the {parsed.scheme or 'missing'} scheme is refused")

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Authorization | None = None,
        content: bytes | None = None,
        max_bytes: int,
    ) -> Response:
        """One request, redirects followed (GET/HEAD only); raises FetchError on transport problems."""
        deadline = time.monotonic() + self.timeout
        current = url
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                self.check_url(current)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FetchError(f"timed out (the limit is {self.timeout:g}s per request)")
                hostport = host_of(current)
                send = dict(headers or {})
                if auth is not None and auth.host == hostport:
                    send["Authorization"] = auth.value
                client = self._client(self.config.is_insecure(hostport))
                req = client.build_request(
                    method, current, headers=send, content=content, timeout=httpx2.Timeout(remaining)
                )
                response = client.send(req, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location and method in ("GET", "HEAD"):
                        current = str(httpx2.URL(current).join(location))
                        continue
                    ok = 200 <= response.status_code <= 299
                    body = self._read(response, deadline, max_bytes if ok else _ERROR_BODY_BYTES, ok)
                    return Response(current, response.status_code, dict(response.headers), body)
                finally:
                    response.close()
        except httpx2.TimeoutException:
            raise FetchError(f"timed out (the limit is {self.timeout:g}s per request)") from None
        except httpx2.HTTPError as exc:
            raise FetchError(
                f"connection to {host_of(current)} failed: {exc or type(exc).__name__}"
            ) from None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Authorization | None = None,
        max_bytes: int,
    ) -> Response:
        return self.request("GET", url, headers=headers, auth=auth, max_bytes=max_bytes)

    def _read(self, response: httpx2.Response, deadline: float, max_bytes: int, strict: bool) -> bytes:
        declared = response.headers.get("content-length")
        if strict and declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"too large ({declared} bytes; the limit is {max_bytes})")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                if not strict:
                    break
                raise FetchError(f"too large (more than {max_bytes} bytes)")
            if time.monotonic() > deadline:
                raise FetchError(f"timed out (the limit is {self.timeout:g}s per request)")
            chunks.append(chunk)
        return b"".join(chunks)
