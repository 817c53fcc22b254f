"""A tiny fake Kubernetes API server for the live tests: serves Flux custom resources from memory on
127.0.0.1 (get, list in a namespace or in all, JSON merge patch), records every request, and can play the
controller: once an object's reconcile annotation changes, it reports it handled after a few reads."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

PLURALS = {
    "Kustomization": ("kustomize.toolkit.fluxcd.io/v1", "kustomizations"),
    "HelmRelease": ("helm.toolkit.fluxcd.io/v2", "helmreleases"),
    "GitRepository": ("source.toolkit.fluxcd.io/v1", "gitrepositories"),
    "OCIRepository": ("source.toolkit.fluxcd.io/v1", "ocirepositories"),
    "HelmChart": ("source.toolkit.fluxcd.io/v1", "helmcharts"),
}
REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"


@dataclass
class Request:
    method: str
    path: str
    content_type: str
    body: Any


@dataclass
class FakeCluster:
    """The state the fake server serves. ``handle_after``: reads of an object after a reconcile request
    before it shows as handled (None: never, like a stuck controller). ``ready``: the Ready status the
    controller then reports."""

    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    handle_after: int | None = 1
    ready: str = "True"
    pending: dict[tuple[str, str, str], int] = field(default_factory=dict)
    uninstalled: set[str] = field(default_factory=set)  # plurals whose CRD is missing: 404
    deny_patch: bool = False  # answer PATCH with 403, as RBAC would
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, name: str, namespace: str = "flux-system", **extra: Any) -> dict[str, Any]:
        api_version, plural = PLURALS[kind]
        obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}
        obj.update(extra)
        self.objects[(plural, namespace, name)] = obj
        return obj

    def patches(self) -> list[Request]:
        return [r for r in self.requests if r.method == "PATCH"]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _status(code: int, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code,
            "reason": "NotFound" if code == 404 else "BadRequest"}  # fmt: skip


def _handler(state: FakeCluster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _parse(self) -> tuple[str | None, str, str | None]:
            # /apis/G/V/[namespaces/NS/]PLURAL[/NAME]
            parts = self.path.split("?")[0].strip("/").split("/")[3:]
            ns = None
            if parts[:1] == ["namespaces"]:
                ns, parts = parts[1], parts[2:]
            return ns, parts[0], parts[1] if len(parts) > 1 else None

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append(Request("GET", self.path, "", None))
                ns, plural, name = self._parse()
                if plural in state.uninstalled:
                    self._send(404, _status(404, "the server could not find the requested resource"))
                    return
                if name is None:
                    items = [
                        o for (p, n, _), o in sorted(state.objects.items()) if p == plural and ns in (None, n)
                    ]
                    self._send(200, {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": items})
                    return
                key = (plural, ns or "", name)
                obj = state.objects.get(key)
                if obj is None:
                    self._send(404, _status(404, f'{plural} "{name}" not found'))
                    return
                if key in state.pending:
                    state.pending[key] -= 1
                    if state.pending[key] <= 0:
                        del state.pending[key]
                        requested = obj["metadata"]["annotations"][REQUESTED_AT]
                        obj["status"] = merge_patch(obj.get("status"), {
                            "lastHandledReconcileAt": requested,
                            "conditions": [{"type": "Ready", "status": state.ready, "reason": "Done",
                                            "message": f"handled {requested}"}],
                        })  # fmt: skip
                self._send(200, obj)

        def do_PATCH(self) -> None:
            with state.lock:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                state.requests.append(Request("PATCH", self.path, self.headers["Content-Type"], body))
                ns, plural, name = self._parse()
                key = (plural, ns or "", name or "")
                if key not in state.objects:
                    self._send(404, _status(404, f'{plural} "{name}" not found'))
                    return
                if state.deny_patch:
                    self._send(403, _status(403, f'{plural} "{name}" is forbidden: no patch for you'))
                    return
                if self.headers["Content-Type"] != "application/merge-patch+json":
                    self._send(415, _status(415, "unsupported patch type"))
                    return
                state.objects[key] = merge_patch(state.objects[key], body)
                if state.handle_after is not None:
                    state.pending[key] = state.handle_after
                self._send(200, state.objects[key])

    return Handler


@contextmanager
def serve(state: FakeCluster) -> Iterator[str]:
    """Run the fake API server on 127.0.0.1 for the duration; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def free_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_kubeconfig(path: Path, server: str, context: str = "fake") -> Path:
    """A kubeconfig with one context pointing at ``server``."""
    conf = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "test-token"}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
    }
    path.write_text(yaml.safe_dump(conf), encoding="utf-8")
    return path
