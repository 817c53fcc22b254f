"""The ``helm:`` section of ``.homeops.yaml``: mirrors, plain-HTTP and insecure registries.

```yaml
helm:
  mirrors:                                   # URL prefix -> replacement prefix
    "oci://ghcr.io/bjw-s-labs/helm": "oci://registry.lan:5000/helm"
    "https://charts.example.org": "http://127.0.0.1:8080"
  plainHTTP: [registry.lan:5000]             # hosts (host or host:port) reached over http://
  insecure: [registry.lan:5000]              # hosts whose TLS certificate is not verified
```

A mirror replaces the longest matching prefix of a chart URL (on a path-segment boundary). The store still
records the chart under the original URL, so a lookup by the HelmRelease's URL finds it. Hosts that are a
mirror's target, or listed in ``plainHTTP``/``insecure``, may have loopback or private addresses (the
user named them); every other host must be public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from homeops.errors import UsageError

CONFIG_KEYS = ("mirrors", "plainHTTP", "insecure")


def host_of(url: str) -> str:
    """``host[:port]`` of a URL (``oci://``, ``https://``...) or of a bare ``host/path``, lowercased."""
    text = url if "://" in url else f"x://{url}"
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None else host


def _bare_host(hostport: str) -> str:
    if hostport.startswith("["):
        return hostport.split("]", 1)[0] + "]"
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


def host_listed(hostport: str, hosts: tuple[str, ...]) -> bool:
    """Whether ``host[:port]`` is listed: entries are ``host`` (any port) or ``host:port``."""
    want = hostport.lower()
    bare = _bare_host(want)
    for entry in hosts:
        e = entry.strip().lower()
        if e == want or (_bare_host(e) == e and e == bare):
            return True
    return False


def _strip(url: str) -> str:
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class HelmStoreConfig:
    """Typed ``helm:`` configuration; ``from_mapping`` validates it."""

    mirrors: tuple[tuple[str, str], ...] = ()
    plain_http: tuple[str, ...] = ()
    insecure: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> HelmStoreConfig:
        """Parse the ``helm:`` mapping; a UsageError names the first bad key."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise UsageError("helm must be a mapping with mirrors, plainHTTP and insecure")
        unknown = [k for k in data if k not in CONFIG_KEYS]
        if unknown:
            raise UsageError(f"helm.{unknown[0]} is not a known key (known: {', '.join(CONFIG_KEYS)})")
        mirrors_raw = data.get("mirrors") or {}
        if not isinstance(mirrors_raw, Mapping):
            raise UsageError("helm.mirrors must map URL prefixes to mirror URL prefixes")
        mirrors: list[tuple[str, str]] = []
        for src, dst in mirrors_raw.items():
            if not isinstance(src, str) or not isinstance(dst, str) or not src or not dst:
                raise UsageError(f"helm.mirrors: {src!r} -> {dst!r} must be two non-empty URLs")
            for url in (src, dst):
                scheme = url.split("://", 1)[0] if "://" in url else ""
                if scheme not in ("oci", "http", "https"):
                    raise UsageError(f"helm.mirrors: {url!r} must start with oci://, https:// or http://")
            if (src.startswith("oci://")) != (dst.startswith("oci://")):
                raise UsageError(f"helm.mirrors: {src!r} and {dst!r} must both be oci:// or both HTTP")
            mirrors.append((_strip(src), _strip(dst)))
        return cls(
            mirrors=tuple(mirrors),
            plain_http=_hosts(data.get("plainHTTP"), "plainHTTP"),
            insecure=_hosts(data.get("insecure"), "insecure"),
        )

    def rewrite(self, url: str) -> str:
        """``url`` with the longest matching mirror prefix replaced (itself when no mirror matches)."""
        best: tuple[str, str] | None = None
        for src, dst in self.mirrors:
            matches = url == src or url.startswith(src + "/")
            if matches and (best is None or len(src) > len(best[0])):
                best = (src, dst)
        if best is None:
            return url
        return best[1] + url[len(best[0]) :]

    def trusted_hosts(self) -> tuple[str, ...]:
        """Hosts that may resolve to loopback or private addresses: mirror targets, plainHTTP, insecure."""
        hosts = [host_of(dst) for _, dst in self.mirrors]
        return tuple(dict.fromkeys([*hosts, *self.plain_http, *self.insecure]))

    def is_plain_http(self, hostport: str) -> bool:
        return host_listed(hostport, self.plain_http)

    def allows_http(self, hostport: str) -> bool:
        """Plain ``http://`` to this host: listed in plainHTTP, or the target of an ``http://`` mirror."""
        http_mirrors = tuple(host_of(dst) for _, dst in self.mirrors if dst.startswith("http://"))
        return self.is_plain_http(hostport) or host_listed(hostport, http_mirrors)

    def is_insecure(self, hostport: str) -> bool:
        return host_listed(hostport, self.insecure)

    def is_trusted(self, hostport: str) -> bool:
        return host_listed(hostport, self.trusted_hosts())


def _hosts(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"helm.{key} must be a list of hosts (host or host:port)")
    for v in value:
        if "/" in v:
            raise UsageError(f"helm.{key}: {v!r} must be a host or host:port, not a URL")
    return tuple(v.lower() for v in value)
