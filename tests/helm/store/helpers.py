"""Test helpers: chart archives built with tarfile, an OCI push client, threaded HTTP servers on 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx2

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_tgz(files: Mapping[str, bytes | str], *, symlinks: Mapping[str, str] | None = None) -> bytes:
    """A gzip'd tar of ``files`` (path -> content), deterministic; ``symlinks``: path -> target."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def make_chart(name: str, version: str, *, marker: str = "") -> bytes:
    """A small application chart ``name-version.tgz``."""
    chart_yaml = f"apiVersion: v2\nname: {name}\nversion: {version}\ntype: application\n"
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n"
    cm += f"  version: {version!r}\n  marker: {marker!r}\n"
    return make_tgz(
        {
            f"{name}/Chart.yaml": chart_yaml,
            f"{name}/values.yaml": "replicas: 1\n",
            f"{name}/templates/configmap.yaml": cm,
        }
    )


# -- an OCI push client (the test side; the store itself only reads) ---------------------------------------


@dataclass
class Pushed:
    manifest_digest: str
    layer_digest: str


def oci_push(
    base: str,
    repository: str,
    tag: str,
    layer: bytes,
    *,
    layer_media_type: str = HELM_LAYER,
    config: bytes = b"{}",
    config_media_type: str = HELM_CONFIG,
    extra_layers: list[tuple[str, bytes]] | None = None,
) -> Pushed:
    """Push an artifact (config + layers + manifest) to a registry at ``base`` (``http://127.0.0.1:port``)."""
    layers = [*(extra_layers or []), (layer_media_type, layer)]
    with httpx2.Client(base_url=base, trust_env=False, timeout=30) as client:
        for blob in (config, *(data for _, data in layers)):
            _push_blob(client, repository, blob)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": config_media_type, "digest": sha256(config), "size": len(config)},
            "layers": [{"mediaType": m, "digest": sha256(d), "size": len(d)} for m, d in layers],
        }
        raw = json.dumps(manifest).encode()
        r = client.put(
            f"/v2/{repository}/manifests/{tag}", content=raw, headers={"Content-Type": OCI_MANIFEST}
        )
        assert r.status_code == 201, r.text
    return Pushed(sha256(raw), sha256(layer))


def _push_blob(client: httpx2.Client, repository: str, blob: bytes) -> None:
    r = client.post(f"/v2/{repository}/blobs/uploads/")
    assert r.status_code == 202, r.text
    location = r.headers["location"]
    sep = "&" if "?" in location else "?"
    r = client.put(
        f"{location}{sep}digest={sha256(blob)}",
        content=blob,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text


# -- threaded servers ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A threaded HTTP server answering ``routes`` (path -> handler); every request is recorded."""

    routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def static(self, path: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        self.routes[path] = lambda _h: (200, {"Content-Type": content_type}, body)


@contextmanager
def serve(server: Server) -> Iterator[Server]:
    state = server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = state.routes.get(self.path.split("?", 1)[0])
            status, headers, body = route(self) if route else (404, {}, b"not found")
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
