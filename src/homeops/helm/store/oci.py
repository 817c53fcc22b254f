"""A small client of the OCI distribution API: manifests, blobs and tags, read-only.

Authentication follows the distribution token spec as Docker, oras and Helm do: a request answered with
``401`` and ``WWW-Authenticate: Bearer realm=…,service=…,scope=…`` gets a token from the realm (anonymously,
or with the registry's basic credentials when it is on the registry's own host) and is retried with
``Authorization: Bearer <token>``; ``WWW-Authenticate: Basic`` is retried with the registry's credentials.
Tokens are kept per registry and scope for this client's lifetime. Every manifest and blob is checked
against its sha256 digest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx2

from homeops.helm.store.credentials import BasicAuth, Credentials
from homeops.helm.store.mirrors import host_of
from homeops.helm.store.net import Authorization, FetchError, HttpClient, Response

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_ACCEPT = ", ".join((OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_LIST))
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
HELM_LEGACY_LAYER = "application/tar+gzip"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_TAGS_BYTES = 16 * 1024 * 1024
MAX_TAG_PAGES = 100
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True, slots=True)
class OciRef:
    """A registry (``host[:port]``) and a repository path in it."""

    registry: str
    repository: str

    @classmethod
    def parse(cls, url: str) -> OciRef:
        """``oci://host[:port]/path`` → OciRef; raises FetchError for anything else."""
        if not url.startswith("oci://"):
            raise FetchError(f"{url!r} is not an oci:// URL")
        rest = url[len("oci://") :].strip("/")
        registry, _, repository = rest.partition("/")
        if not registry or not repository:
            raise FetchError(f"{url!r} has no repository path")
        if ":" in repository.rsplit("/", 1)[-1] or "@" in repository:
            raise FetchError(f"URL must not contain a tag or digest: {url!r}")
        return cls(host_of(registry), repository)

    def child(self, name: str) -> OciRef:
        return OciRef(self.registry, f"{self.repository}/{name.strip('/')}")

    def __str__(self) -> str:
        return f"oci://{self.registry}/{self.repository}"


@dataclass(frozen=True, slots=True)
class Manifest:
    """A fetched manifest: its digest, media type, raw bytes and parsed JSON."""

    digest: str
    media_type: str
    raw: bytes = field(repr=False)
    data: dict[str, Any] = field(repr=False)

    @property
    def layers(self) -> list[dict[str, Any]]:
        layers = self.data.get("layers")
        return [layer for layer in layers if isinstance(layer, dict)] if isinstance(layers, list) else []

    @property
    def config_media_type(self) -> str:
        config = self.data.get("config")
        return str(config.get("mediaType", "")) if isinstance(config, dict) else ""


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="…",service="…"`` → (``bearer``, {realm: …, service: …})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
        for m in _PARAM.finditer(rest)
    }
    return scheme.lower(), params


class OciClient:
    """Read-only registry access through ``http`` (which enforces the network rules)."""

    def __init__(self, http: HttpClient, credentials: Credentials) -> None:
        self.http = http
        self.credentials = credentials
        self._tokens: dict[tuple[str, str], Authorization] = {}

    def _api_host(self, registry: str) -> str:
        return "registry-1.docker.io" if registry == "docker.io" else registry

    def _url(self, ref: OciRef, path: str) -> str:
        host = self._api_host(ref.registry)
        scheme = "http" if self.http.config.is_plain_http(host) else "https"
        return f"{scheme}://{host}/v2/{ref.repository}/{path}"

    def _basic(self, registry: str) -> BasicAuth | None:
        return self.credentials.for_registry(registry)

    def _get(self, ref: OciRef, url: str, accept: str, max_bytes: int) -> Response:
        host = host_of(url)
        scope = f"repository:{ref.repository}:pull"
        auth = self._tokens.get((host, scope))
        response = self.http.get(url, headers={"Accept": accept}, auth=auth, max_bytes=max_bytes)
        if response.status != 401:
            return response
        challenge = response.headers.get("www-authenticate", "")
        scheme, params = parse_challenge(challenge)
        basic = self._basic(ref.registry)
        if scheme == "bearer":
            auth = self._token(host, params, scope, basic)
        elif scheme == "basic" and basic is not None:
            auth = Authorization(host, _basic_header(basic))
        else:
            raise FetchError(
                f"{host} asks for authentication ({challenge or 'no challenge'}) and no credentials "
                f"for {ref.registry} are configured"
            )
        self._tokens[(host, scope)] = auth
        response = self.http.get(url, headers={"Accept": accept}, auth=auth, max_bytes=max_bytes)
        if response.status == 401:
            raise FetchError(f"{host} refused the credentials (401 Unauthorized)")
        return response

    def _token(
        self, host: str, params: Mapping[str, str], scope: str, basic: BasicAuth | None
    ) -> Authorization:
        realm = params.get("realm", "")
        if not realm:
            raise FetchError(f"{host} sent a Bearer challenge without a realm")
        query = {
            k: v
            for k, v in (("service", params.get("service", "")), ("scope", params.get("scope") or scope))
            if v
        }
        sep = "&" if "?" in realm else "?"
        token_url = f"{realm}{sep}{urlencode(query)}" if query else realm
        realm_host = host_of(realm)
        send_basic = basic is not None and (
            realm_host == host or (host == "registry-1.docker.io" and realm_host == "auth.docker.io")
        )
        token_auth = Authorization(realm_host, _basic_header(basic)) if send_basic and basic else None
        response = self.http.get(
            token_url, headers={"Accept": "application/json"}, auth=token_auth, max_bytes=1024 * 1024
        )
        if response.status != 200:
            raise FetchError(f"the token service {realm_host} answered {response.status}")
        try:
            data = json.loads(response.body)
        except ValueError:
            raise FetchError(f"the token service {realm_host} did not answer JSON") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise FetchError(f"the token service {realm_host} answered no token")
        return Authorization(host, f"Bearer {token}")

    def manifest(self, ref: OciRef, reference: str) -> Manifest:
        """The manifest for a tag or digest; its digest is checked (against ``reference`` when a digest)."""
        url = self._url(ref, f"manifests/{reference}")
        response = self._get(ref, url, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES)
        if response.status == 404:
            raise FetchError(f"{ref}:{reference} not found (404)")
        if response.status != 200:
            raise FetchError(f"fetching the manifest of {ref}:{reference}: status {response.status}")
        digest = sha256_digest(response.body)
        if reference.startswith("sha256:") and digest != reference:
            raise FetchError(f"manifest digest mismatch for {ref}@{reference}: got {digest}")
        declared = response.headers.get("docker-content-digest", "")
        if declared.startswith("sha256:") and declared != digest:
            raise FetchError(
                f"manifest digest mismatch for {ref}:{reference}: {declared} declared, {digest} got"
            )
        try:
            data = json.loads(response.body)
        except ValueError:
            raise FetchError(f"the manifest of {ref}:{reference} is not JSON") from None
        if not isinstance(data, dict):
            raise FetchError(f"the manifest of {ref}:{reference} is not a JSON object")
        media = str(data.get("mediaType") or response.headers.get("content-type", "").split(";")[0])
        if media in (OCI_INDEX, DOCKER_LIST) or "manifests" in data:
            raise FetchError(f"{ref}:{reference} is an image index, not a single artifact manifest")
        return Manifest(digest, media, response.body, data)

    def blob(self, ref: OciRef, digest: str, max_bytes: int) -> bytes:
        """The blob ``digest`` (sha256 checked)."""
        if not _DIGEST.match(digest):
            raise FetchError(f"unsupported blob digest {digest!r}")
        response = self._get(ref, self._url(ref, f"blobs/{digest}"), "*/*", max_bytes)
        if response.status != 200:
            raise FetchError(f"fetching blob {digest} of {ref}: status {response.status}")
        got = sha256_digest(response.body)
        if got != digest:
            raise FetchError(f"blob digest mismatch for {ref}@{digest}: got {got}")
        return response.body

    def tags(self, ref: OciRef) -> list[str]:
        """Every tag of the repository (following ``Link: rel="next"`` pages)."""
        url = self._url(ref, "tags/list?n=1000")
        tags: list[str] = []
        for _page in range(MAX_TAG_PAGES):
            response = self._get(ref, url, "application/json", MAX_TAGS_BYTES)
            if response.status == 404:
                raise FetchError(f"{ref} not found (404)")
            if response.status != 200:
                raise FetchError(f"listing the tags of {ref}: status {response.status}")
            try:
                data = json.loads(response.body)
            except ValueError:
                raise FetchError(f"the tag list of {ref} is not JSON") from None
            page = data.get("tags") if isinstance(data, dict) else None
            tags.extend(t for t in (page or []) if isinstance(t, str))
            link = _LINK_NEXT.search(response.headers.get("link", ""))
            if link is None:
                return tags
            url = str(httpx2.URL(url).join(link.group(1)))
        raise FetchError(f"the tag list of {ref} has more than {MAX_TAG_PAGES} pages")


def _basic_header(cred: BasicAuth) -> str:
    token = base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode("ascii")
    return f"Basic {token}"
