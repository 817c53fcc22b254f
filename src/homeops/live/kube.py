"""The one module that talks to the Kubernetes API (through lightkube): kubeconfig, Flux kinds, errors.

Everything it returns is plain JSON data (``dict[str, Any]``), so the rest of homeops never sees the client
library's types. Every failure becomes a :class:`KubeError` with a message for a person: no kubeconfig, an
unknown context, an API server that can't be reached (short connect timeout), an object that doesn't exist.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx2
from lightkube import ALL_NS, ApiError, Client, ConfigError, KubeConfig
from lightkube.config.models import User
from lightkube.generic_resource import GenericNamespacedResource, create_namespaced_resource
from lightkube.types import PatchType

import yaml
from homeops.errors import HomeopsError


class KubeError(HomeopsError):
    """The cluster can't be used: no kubeconfig, unreachable API server, missing object, API error."""


# kind: (group, version, plural), the versions Flux 2.6+ serves.
FLUX_KINDS: dict[str, tuple[str, str, str]] = {
    "Kustomization": ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations"),
    "HelmRelease": ("helm.toolkit.fluxcd.io", "v2", "helmreleases"),
    "GitRepository": ("source.toolkit.fluxcd.io", "v1", "gitrepositories"),
    "OCIRepository": ("source.toolkit.fluxcd.io", "v1", "ocirepositories"),
    "HelmRepository": ("source.toolkit.fluxcd.io", "v1", "helmrepositories"),
    "HelmChart": ("source.toolkit.fluxcd.io", "v1", "helmcharts"),
    "Bucket": ("source.toolkit.fluxcd.io", "v1", "buckets"),
}


@dataclass(frozen=True, slots=True)
class Condition:
    """A status condition; status is ``True``, ``False``, ``Unknown``, or ``""`` when there is none."""

    status: str = ""
    reason: str = ""
    message: str = ""


def camel_json(obj: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict, its field names in camelCase (``in_git`` -> ``inGit``)."""
    return {re.sub(r"_(\w)", lambda m: m.group(1).upper(), k): v for k, v in asdict(obj).items()}


def ready_condition(obj: dict[str, Any]) -> Condition:
    """The object's ``Ready`` condition (an empty one when the controller hasn't reported yet)."""
    conditions = (obj.get("status") or {}).get("conditions")
    for c in conditions if isinstance(conditions, list) else []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return Condition(
                str(c.get("status") or ""), str(c.get("reason") or ""), str(c.get("message") or "")
            )
    return Condition()


@dataclass(frozen=True, slots=True)
class KubeOptions:
    """Which cluster: kubeconfig file(s) and context, and how long to wait for the API server."""

    kubeconfig: Path | None = None  # default: $KUBECONFIG (a path list), else ~/.kube/config
    context: str | None = None  # default: the kubeconfig's current-context
    connect_timeout: float = 5.0
    request_timeout: float = 30.0


def kubeconfig_paths(options: KubeOptions, env: dict[str, str] | None = None) -> list[Path]:
    """The kubeconfig files to read, in kubectl's order of precedence."""
    environ = os.environ if env is None else env
    if options.kubeconfig is not None:
        return [options.kubeconfig]
    listed = [Path(p) for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        return listed
    return [Path(environ.get("HOME", str(Path.home()))) / ".kube" / "config"]


def load_kubeconfig(options: KubeOptions, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Read and merge the kubeconfig files as kubectl does: the first file to set a value or a named
    cluster, user or context wins. Raises KubeError when there is none or one is not valid YAML."""
    paths = kubeconfig_paths(options, env)
    existing = [p for p in paths if p.is_file()]
    if not existing:
        shown = ", ".join(str(p) for p in paths)
        raise KubeError(
            f"no kubeconfig found (looked at {shown})",
            hint="set KUBECONFIG or pass --kubeconfig to reach the cluster",
        )
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    for path in existing:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise KubeError(f"{path}: cannot read kubeconfig: {exc}") from None
        if not isinstance(data, dict):
            raise KubeError(f"{path}: a kubeconfig must be a mapping")
        if "current-context" in data and "current-context" not in merged:
            merged["current-context"] = data["current-context"]
        for section in ("clusters", "users", "contexts"):
            have = {e.get("name") for e in merged.setdefault(section, []) if isinstance(e, dict)}
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in have:
                    merged[section].append(_absolute_paths(entry, path.parent))
    return merged


def _absolute_paths(entry: dict[str, Any], base: Path) -> dict[str, Any]:
    # Relative certificate and key files are relative to the kubeconfig file that names them.
    out = dict(entry)
    for section in ("cluster", "user"):
        body = entry.get(section)
        if isinstance(body, dict):
            fixed = dict(body)
            for key in ("certificate-authority", "client-certificate", "client-key", "tokenFile"):
                value = fixed.get(key)
                if isinstance(value, str) and value and not os.path.isabs(value):
                    fixed[key] = str(base / value)
            out[section] = fixed
    return out


def _resource(kind: str) -> type[GenericNamespacedResource]:
    if kind not in FLUX_KINDS:
        raise KubeError(f"unknown Flux kind {kind!r}: expected one of {', '.join(FLUX_KINDS)}")
    group, version, plural = FLUX_KINDS[kind]
    return create_namespaced_resource(group, version, kind, plural)


class Kube:
    """A connection to one cluster. Use as a context manager (closes the HTTP connection pool)."""

    def __init__(self, options: KubeOptions, env: dict[str, str] | None = None) -> None:
        data = load_kubeconfig(options, env)
        context = options.context or data.get("current-context")
        if not context or not isinstance(context, str):
            raise KubeError("the kubeconfig has no current-context", hint="pass --context NAME")
        try:
            single = KubeConfig.from_dict(data).get(context_name=context)
        except (ConfigError, KeyError, TypeError, ValueError) as exc:
            raise KubeError(f"kubeconfig context {context!r}: {type(exc).__name__}: {exc}") from None
        if single is None:  # pragma: no cover - get() raises instead
            raise KubeError(f"kubeconfig context {context!r} not found")
        if single.user is None:  # a context without a user: anonymous, as kubectl allows
            single = single._replace(user=User())
        self.context = context
        self.server = single.cluster.server
        timeout = httpx2.Timeout(options.request_timeout, connect=options.connect_timeout)
        try:
            self._client = Client(config=single, timeout=timeout)
        except (ConfigError, OSError, AssertionError) as exc:
            raise KubeError(f"kubeconfig context {context!r}: {exc}") from None

    def __enter__(self) -> Kube:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any]:
        """One object, as JSON data; KubeError when it doesn't exist."""
        with self._call(f"{kind} {namespace}/{name}"):
            return _plain(self._client.get(_resource(kind), name, namespace=namespace))

    def list(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        """Every object of a kind in a namespace (None: all namespaces); [] when the CRD isn't installed."""
        with self._call(f"{kind} list"):
            try:
                return [_plain(o) for o in self._client.list(_resource(kind), namespace=namespace or ALL_NS)]
            except ApiError as exc:
                if exc.status.code != 404:
                    raise
        return []

    def merge_patch(self, kind: str, name: str, namespace: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Apply a JSON merge patch (RFC 7386) to one object; returns the object after the patch."""
        with self._call(f"{kind} {namespace}/{name}"):
            res = _resource(kind)
            return _plain(
                self._client.patch(res, name, patch, namespace=namespace, patch_type=PatchType.MERGE)
            )

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        # The client library's errors, as KubeError; anything else is a bug and goes up as it is.
        try:
            yield
        except ApiError as exc:
            code = exc.status.code
            if code == 404:
                raise KubeError(f"{what} not found in the cluster (context {self.context!r})") from None
            raise KubeError(f"{what}: the API server answered {code}: {exc.status.message}") from None
        except httpx2.TransportError as exc:
            raise KubeError(
                f"cannot reach the Kubernetes API server {self.server} (context {self.context!r}): "
                f"{type(exc).__name__}: {exc or 'no answer'}"
            ) from None
        except (httpx2.HTTPError, ConfigError) as exc:
            raise KubeError(f"{what}: {type(exc).__name__}: {exc}") from None


def _plain(obj: Any) -> dict[str, Any]:
    data = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return dict(data) if isinstance(data, dict) else {}
