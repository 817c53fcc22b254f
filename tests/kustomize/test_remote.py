"""Remote kustomize inputs: HTTPS only, never to private addresses, size/time/redirect limits, disk cache.

No traffic leaves 127.0.0.1: an autouse guard fails any other connection attempt, and the positive path uses
a loopback HTTPS server with a certificate made at test time.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from homeops.errors import BuildError, HomeopsError
from homeops.kustomize.api import KustomizeOptions, kustomize
from homeops.kustomize.build import Builder
from homeops.kustomize.remote import RemoteFetcher, address_problem
from homeops.yaml.emitter import dump_documents

HOST = "remote.test"  # resolved only by the stub resolver, so a success proves our resolution was used
APP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote-app\ndata:\n  from: remote\n"
CONF = "log_level = debug\nport = 8080\n"


# -- no traffic except 127.0.0.1 -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] != "127.0.0.1":
            raise AssertionError(f"test tried to connect to {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


def stub_resolver(table: dict[str, Sequence[str]]) -> Callable[[str, int], Sequence[str]]:
    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"stub resolver: unknown host {host}")
        return table[host]

    return resolve


# -- a loopback HTTPS server ---------------------------------------------------------------------------------


@dataclass
class TLS:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLS:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "homeops test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (directory / "cert.pem").write_bytes(cert_pem)
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return TLS(server, client)


Route = tuple[int, dict[str, str], bytes]


@dataclass
class Server:
    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = HOST) -> str:
        return f"https://{host}:{self.port}{path}"


def _handler(state: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            if self.path == "/stream-big":  # no Content-Length: the body ends when the connection closes
                self.send_response(200)
                self.end_headers()
                for _ in range(64):
                    self.wfile.write(b"x" * 1024)
                return
            status, headers, body = state.routes.get(self.path, (404, {}, b"not found\n"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gives up mid-handshake (the tests do) is not worth a traceback


@pytest.fixture
def server(tls: TLS) -> Iterator[Server]:
    state = Server(port=0)
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    httpd.socket = tls.server.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    state.routes["/app.yaml"] = (200, {}, APP.encode())
    state.routes["/app.conf"] = (200, {}, CONF.encode())
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def make_fetcher(tls: TLS, tmp_path: Path) -> Iterator[Callable[..., RemoteFetcher]]:
    made: list[RemoteFetcher] = []

    def make(**kwargs: Any) -> RemoteFetcher:
        kwargs.setdefault("cache_dir", tmp_path / "cache")
        kwargs.setdefault("verify", tls.client)
        kwargs.setdefault("allow_addresses", frozenset({"127.0.0.1"}))
        kwargs.setdefault("resolver", stub_resolver({HOST: ["127.0.0.1"]}))
        fetcher = RemoteFetcher(**kwargs)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


def fetch_error(fetcher: RemoteFetcher, url: str) -> str:
    with pytest.raises(BuildError) as info:
        fetcher.fetch(url)
    return info.value.message


# -- forbidden addresses -------------------------------------------------------------------------------------

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("100.64.0.1", "CGNAT"),
    ("100.127.255.254", "CGNAT"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("::ffff:10.0.0.1", "private address 10.0.0.1"),
    ("::ffff:127.0.0.1", "loopback address 127.0.0.1"),
    ("2002:a00:1::", "private address 10.0.0.1"),
    ("64:ff9b::7f00:1", "loopback address 127.0.0.1"),
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_forbidden_address_classes(address: str, reason: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and reason in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_ip_literal_hosts_are_refused_before_connecting(
    address: str, reason: str, make_fetcher: Callable[..., RemoteFetcher]
) -> None:
    host = f"[{address}]" if ":" in address else address
    message = fetch_error(make_fetcher(allow_addresses=frozenset()), f"https://{host}/app.yaml")
    assert "refused to connect" in message and reason in message


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_resolved_addresses_are_refused_before_connecting(
    address: str, reason: str, make_fetcher: Callable[..., RemoteFetcher]
) -> None:
    fetcher = make_fetcher(allow_addresses=frozenset(), resolver=stub_resolver({"evil.test": [address]}))
    message = fetch_error(fetcher, "https://evil.test/app.yaml")
    assert "evil.test resolves to" in message and reason in message


def test_every_resolved_address_is_checked(make_fetcher: Callable[..., RemoteFetcher]) -> None:
    resolver = stub_resolver({"mixed.test": ["93.184.216.34", "10.1.2.3"]})
    message = fetch_error(make_fetcher(resolver=resolver), "https://mixed.test/app.yaml")
    assert "private address 10.1.2.3" in message


def test_allow_addresses_does_not_widen_to_other_loopback(
    server: Server, make_fetcher: Callable[..., RemoteFetcher]
) -> None:
    resolver = stub_resolver({HOST: ["127.0.0.2"]})
    assert "loopback address 127.0.0.2" in fetch_error(
        make_fetcher(resolver=resolver), server.url("/app.yaml")
    )
    assert server.hits == []


# -- schemes, limits, redirects ------------------------------------------------------------------------------


def test_plain_http_is_refused(make_fetcher: Callable[..., RemoteFetcher]) -> None:
    assert "plain http:// is refused" in fetch_error(make_fetcher(), f"http://{HOST}/app.yaml")


def test_credentials_in_url_are_refused(make_fetcher: Callable[..., RemoteFetcher]) -> None:
    assert "credentials" in fetch_error(make_fetcher(), f"https://user:pw@{HOST}/app.yaml")


def test_fetch_over_https(server: Server, make_fetcher: Callable[..., RemoteFetcher]) -> None:
    assert make_fetcher().fetch(server.url("/app.yaml")) == APP.encode()
    assert server.hits == ["/app.yaml"]


def test_untrusted_certificate_is_refused(server: Server, make_fetcher: Callable[..., RemoteFetcher]) -> None:
    fetcher = make_fetcher(verify=ssl.create_default_context())
    assert "connection failed" in fetch_error(fetcher, server.url("/app.yaml"))


@pytest.mark.parametrize("path", ["/big", "/stream-big"])
def test_size_limit(path: str, server: Server, make_fetcher: Callable[..., RemoteFetcher]) -> None:
    server.routes["/big"] = (200, {}, b"x" * 4096)
    message = fetch_error(make_fetcher(max_bytes=1024), server.url(path))
    assert "too large" in message and "1024" in message


def test_time_limit_on_a_stalled_server(make_fetcher: Callable[..., RemoteFetcher]) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # the kernel completes the TCP handshake; nobody ever answers the TLS hello
    try:
        port = listener.getsockname()[1]
        started = time.monotonic()
        message = fetch_error(make_fetcher(timeout=0.5), f"https://{HOST}:{port}/app.yaml")
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert "timed out" in message and "0.5s" in message
    assert elapsed < 2.0


def test_redirects_are_followed_and_limited(
    server: Server, make_fetcher: Callable[..., RemoteFetcher]
) -> None:
    for n in range(1, 8):
        server.routes[f"/hop/{n}"] = (302, {"Location": f"/hop/{n - 1}"}, b"")
    server.routes["/hop/0"] = (200, {}, APP.encode())
    assert make_fetcher(max_redirects=5).fetch(server.url("/hop/5")) == APP.encode()
    assert "more than 5 redirects" in fetch_error(make_fetcher(max_redirects=5), server.url("/hop/6"))


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://10.0.0.1/app.yaml", "private address 10.0.0.1"),
        ("https://[::1]:443/app.yaml", "loopback address ::1"),
        ("https://metadata.test/latest", "link-local address 169.254.169.254"),
        (f"http://{HOST}/app.yaml", "plain http:// is refused"),
    ],
)
def test_each_redirect_hop_is_checked(
    location: str, reason: str, server: Server, make_fetcher: Callable[..., RemoteFetcher]
) -> None:
    server.routes["/go"] = (302, {"Location": location}, b"")
    resolver = stub_resolver({HOST: ["127.0.0.1"], "metadata.test": ["169.254.169.254"]})
    assert reason in fetch_error(make_fetcher(resolver=resolver), server.url("/go"))
    assert server.hits == ["/go"]


def test_http_error_status(server: Server, make_fetcher: Callable[..., RemoteFetcher]) -> None:
    assert "status code 404" in fetch_error(make_fetcher(), server.url("/missing.yaml"))


# -- the cache -----------------------------------------------------------------------------------------------


def test_cache_hit_needs_no_request(server: Server, make_fetcher: Callable[..., RemoteFetcher]) -> None:
    url = server.url("/app.yaml")
    assert make_fetcher().fetch(url) == APP.encode()
    server.routes["/app.yaml"] = (500, {}, b"")  # the server is now broken: only the cache can answer
    assert make_fetcher().fetch(url) == APP.encode()
    assert server.hits == ["/app.yaml"]


@pytest.mark.parametrize("damage", ["data", "json", "truncate"])
def test_corrupt_cache_entry_is_refetched(
    damage: str, server: Server, make_fetcher: Callable[..., RemoteFetcher], tmp_path: Path
) -> None:
    url = server.url("/app.yaml")
    make_fetcher().fetch(url)
    (data_file,) = (tmp_path / "cache").glob("*.data")
    meta_file = data_file.with_suffix(".json")
    meta = json.loads(meta_file.read_text())
    assert meta["url"] == url and meta["size"] == len(APP)
    if damage == "data":
        data_file.write_bytes(APP.replace("remote", "evil!!").encode())
    elif damage == "json":
        meta_file.write_text("{not json")
    else:
        data_file.write_bytes(APP.encode()[:10])
    assert make_fetcher().fetch(url) == APP.encode()
    assert server.hits == ["/app.yaml", "/app.yaml"]
    assert data_file.read_bytes() == APP.encode()
    assert not list((tmp_path / "cache").glob("*.tmp")) and not list((tmp_path / "cache").glob(".*"))


def test_expired_entry_is_refetched_and_never_used_stale(
    server: Server, make_fetcher: Callable[..., RemoteFetcher]
) -> None:
    url = server.url("/app.yaml")
    make_fetcher().fetch(url)
    server.routes["/app.yaml"] = (503, {}, b"")
    assert "status code 503" in fetch_error(make_fetcher(max_age=0), url)
    assert server.hits == ["/app.yaml", "/app.yaml"]


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path))
    assert RemoteFetcher().cache.dir == tmp_path / "remote"
    monkeypatch.delenv("HOMEOPS_CACHE_DIR")
    assert RemoteFetcher().cache.dir == Path.home() / ".cache" / "homeops" / "remote"


# -- builds --------------------------------------------------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def build_text(root: Path, kdir: str, remote: RemoteFetcher | None = None) -> str:
    return dump_documents(r.obj for r in Builder(root, remote=remote).build(root / kdir))


def build_error(root: Path, kdir: str, remote: RemoteFetcher | None = None) -> HomeopsError:
    with pytest.raises(HomeopsError) as info:
        Builder(root, remote=remote).build(root / kdir)
    return info.value


LOCAL = "apiVersion: v1\nkind: Service\nmetadata:\n  name: local-svc\nspec:\n  ports:\n    - port: 80\n"
KUSTOMIZATION = """\
namespace: apps
resources:
  - {app}
  - svc.yaml
configMapGenerator:
  - name: app-config
    files:
      - app.conf={conf}
"""


def test_build_with_url_resource_and_generator_file(
    server: Server, make_fetcher: Callable[..., RemoteFetcher], tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    write(
        root,
        {
            "remote/kustomization.yaml": KUSTOMIZATION.format(
                app=server.url("/app.yaml"), conf=server.url("/app.conf")
            ),
            "remote/svc.yaml": LOCAL,
            # the same inputs vendored: the build must come out identical
            "local/kustomization.yaml": KUSTOMIZATION.format(app="app.yaml", conf="app.conf"),
            "local/svc.yaml": LOCAL,
            "local/app.yaml": APP,
            "local/app.conf": CONF,
        },
    )
    out = build_text(root, "remote", make_fetcher())
    assert out == build_text(root, "local")
    assert "name: remote-app\n  namespace: apps\n" in out
    assert "app.conf: |\n    log_level = debug\n" in out
    assert sorted(server.hits) == ["/app.conf", "/app.yaml"]


def test_remote_resource_errors_name_the_url(
    server: Server, make_fetcher: Callable[..., RemoteFetcher], tmp_path: Path
) -> None:
    server.routes["/nokind.yaml"] = (200, {}, b"apiVersion: v1\nmetadata:\n  name: x\n")
    write(tmp_path, {"app/kustomization.yaml": f"resources:\n  - {server.url('/nokind.yaml')}\n"})
    assert "has no kind" in str(build_error(tmp_path, "app", make_fetcher()))


def test_default_offline_error_names_the_way_to_allow_it(tmp_path: Path) -> None:
    write(tmp_path, {"app/kustomization.yaml": "resources:\n  - https://example.com/deploy.yaml\n"})
    err = build_error(tmp_path, "app")
    assert "remote resource 'https://example.com/deploy.yaml' is not fetched" in err.message
    assert "--allow-network" in err.message and "allowNetwork: true" in err.message
    assert str(err.location).endswith("app/kustomization.yaml:2:5")


def test_offline_generator_file_names_the_way_to_allow_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/kustomization.yaml": "configMapGenerator:\n  - name: c\n    files:\n      - https://e.com/a.conf\n"
        },
    )
    err = build_error(tmp_path, "app")
    assert "is not fetched" in err.message and "--allow-network" in err.message


def test_plain_http_resource_is_refused_in_a_build(
    make_fetcher: Callable[..., RemoteFetcher], tmp_path: Path
) -> None:
    write(tmp_path, {"app/kustomization.yaml": f"resources:\n  - http://{HOST}/app.yaml\n"})
    assert "plain http:// is refused" in build_error(tmp_path, "app", make_fetcher()).message


@pytest.mark.parametrize(
    "ref",
    [
        "github.com/org/repo//deploy?ref=v1",
        "git::https://github.com/org/repo.git//deploy?ref=v1",
        "ssh://git@github.com/org/repo.git//deploy",
        "git@github.com:org/repo.git//deploy",
    ],
)
def test_git_bases_are_not_cloned_even_with_network(
    ref: str, make_fetcher: Callable[..., RemoteFetcher], tmp_path: Path
) -> None:
    write(tmp_path, {"app/kustomization.yaml": f"resources:\n  - {ref}\n"})
    for remote in (None, make_fetcher()):
        message = build_error(tmp_path, "app", remote).message
        assert "git repository" in message and "not even with --allow-network" in message


def test_failed_url_that_kustomize_would_clone(
    server: Server, make_fetcher: Callable[..., RemoteFetcher], tmp_path: Path
) -> None:
    write(tmp_path, {"app/kustomization.yaml": f"resources:\n  - {server.url('/org/repo/missing')}\n"})
    message = build_error(tmp_path, "app", make_fetcher()).message
    assert "status code 404" in message and "clone it as a git repository" in message


def test_api_reads_allow_network_from_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".homeops.yaml": "allowNetwork: true\n",
            "app/kustomization.yaml": "resources:\n  - https://127.0.0.1:9/app.yaml\n",
        },
    )
    (allowed,) = kustomize(KustomizeOptions(dirs=(tmp_path / "app",), cache_dir=tmp_path / "c")).results
    assert allowed.error is not None and "loopback address 127.0.0.1" in allowed.error
    options = KustomizeOptions(dirs=(tmp_path / "app",), allow_network=False, cache_dir=tmp_path / "c")
    (refused,) = kustomize(options).results
    assert refused.error is not None and "--allow-network" in refused.error


def test_cli_allow_network_flag(tmp_path: Path) -> None:
    write(tmp_path, {"app/kustomization.yaml": "resources:\n  - https://127.0.0.1:9/app.yaml\n"})
    env = {**os.environ, "HOMEOPS_CACHE_DIR": str(tmp_path / "cache")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        code = "from homeops.cli.main import main; main()"
        return subprocess.run(
            [sys.executable, "-c", code, "kustomize", "app", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    offline = run()
    assert offline.returncode == 1 and "--allow-network" in offline.stderr
    online = run("--allow-network")
    assert online.returncode == 1 and "refused to connect: loopback address 127.0.0.1" in online.stderr
