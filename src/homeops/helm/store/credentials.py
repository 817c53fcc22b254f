"""Registry and repository credentials, read from the files Helm and Docker keep them in.

- OCI registries: Helm's registry config (``$HELM_REGISTRY_CONFIG``, else
  ``$XDG_CONFIG_HOME/helm/registry/config.json``, else ``~/.config/helm/registry/config.json``), then Docker's
  (``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``), as Helm's registry client does. Both hold
  ``auths: {host: {auth: base64(user:password)}}`` (or ``username``/``password``). Credential helpers and
  ``credsStore`` are not run.
- HTTP chart repositories: Helm's ``repositories.yaml`` (``$HELM_REPOSITORY_CONFIG``, else
  ``~/.config/helm/repositories.yaml``) ``username``/``password`` of the entry with the repository's URL.

Credentials belong to a host. They are only sent to the host they were given for: a mirror on another host
gets its own credentials (if any), never the original registry's; an HTTP redirect to another host drops them.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from homeops.helm.store.mirrors import host_of

_MAX_CONFIG_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BasicAuth:
    """A username and password for one host."""

    username: str
    password: str = field(repr=False)
    host: str = ""  # host[:port] they belong to


@dataclass(frozen=True, slots=True)
class CredentialFiles:
    """Where credentials are read from (``None``: not read)."""

    helm_registry: Path | None = None
    docker: Path | None = None
    helm_repositories: Path | None = None

    @classmethod
    def from_env(cls) -> CredentialFiles:
        """The default locations (with their environment overrides)."""
        home = Path.home()
        xdg = os.environ.get("XDG_CONFIG_HOME")
        helm_home = (Path(xdg) if xdg else home / ".config") / "helm"
        helm_registry = os.environ.get("HELM_REGISTRY_CONFIG")
        docker_dir = os.environ.get("DOCKER_CONFIG")
        repos = os.environ.get("HELM_REPOSITORY_CONFIG")
        return cls(
            helm_registry=Path(helm_registry) if helm_registry else helm_home / "registry" / "config.json",
            docker=(Path(docker_dir) if docker_dir else home / ".docker") / "config.json",
            helm_repositories=Path(repos) if repos else helm_home / "repositories.yaml",
        )


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_CONFIG_BYTES + 1)
    except OSError:
        return None
    if len(data) > _MAX_CONFIG_BYTES:
        return None
    return data.decode("utf-8", errors="replace")


def _registry_key(key: str) -> str:
    """An ``auths`` key (``ghcr.io``, ``https://index.docker.io/v1/``) as ``host[:port]``."""
    host = host_of(key.strip())
    return "docker.io" if host in ("index.docker.io", "registry-1.docker.io") else host


def _auths(text: str | None) -> dict[str, BasicAuth]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    auths = data.get("auths") if isinstance(data, dict) else None
    out: dict[str, BasicAuth] = {}
    if not isinstance(auths, dict):
        return out
    for key, entry in auths.items():
        if not isinstance(key, str) or not isinstance(entry, dict):
            continue
        host = _registry_key(key)
        cred = _entry_auth(entry, host)
        if cred is not None and host not in out:
            out[host] = cred
    return out


def _entry_auth(entry: dict[str, Any], host: str) -> BasicAuth | None:
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return BasicAuth(user, password, host) if sep else None
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str) and name:
        return BasicAuth(name, secret, host)
    return None


@dataclass(frozen=True, slots=True)
class Credentials:
    """The credentials found, by host (OCI) and by repository URL (HTTP)."""

    registries: dict[str, BasicAuth] = field(default_factory=dict)
    repositories: dict[str, BasicAuth] = field(default_factory=dict)

    @classmethod
    def load(cls, files: CredentialFiles | None = None) -> Credentials:
        """Read the credential files (missing or malformed ones give nothing)."""
        files = files if files is not None else CredentialFiles.from_env()
        registries = _auths(_read(files.helm_registry))
        for host, cred in _auths(_read(files.docker)).items():
            registries.setdefault(host, cred)
        return cls(registries, _repositories(_read(files.helm_repositories)))

    def for_registry(self, hostport: str) -> BasicAuth | None:
        """The credentials of the registry at ``host[:port]``."""
        return self.registries.get(_registry_key(hostport))

    def for_repository(self, url: str) -> BasicAuth | None:
        """The credentials of the HTTP repository at ``url`` (the URL actually fetched)."""
        cred = self.repositories.get(url.rstrip("/"))
        if cred is None or cred.host != host_of(url):
            return None
        return cred


def _repositories(text: str | None) -> dict[str, BasicAuth]:
    if not text:
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    entries = data.get("repositories") if isinstance(data, dict) else None
    out: dict[str, BasicAuth] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        url, user, password = entry.get("url"), entry.get("username"), entry.get("password")
        if isinstance(url, str) and isinstance(user, str) and user and isinstance(password, str):
            out.setdefault(url.rstrip("/"), BasicAuth(user, password, host_of(url)))
    return out
