"""HTTP Helm repositories: index.yaml, version selection, relative URLs, digests, mirrors, credentials."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from homeops.helm.store import ChartStore, HelmStoreConfig
from homeops.helm.store.credentials import CredentialFiles
from homeops.helm.store.pull import PullOptions, pull
from homeops.helm.types import ChartRequest
from tests.helm.store.conftest import Endpoint
from tests.helm.store.helpers import Server, make_chart, serve

NO_CREDENTIALS = CredentialFiles()


def _write_repo(root: Path, versions: dict[str, bytes], *, bad_digest: str = "", absolute: str = "") -> None:
    (root / "charts").mkdir(exist_ok=True)
    entries = []
    for version, data in versions.items():
        name = f"app-{version}.tgz"
        (root / "charts" / name).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest() if version != bad_digest else "0" * 64
        url = f"{absolute}/charts/{name}" if absolute else f"charts/{name}"
        entries.append(
            {"apiVersion": "v2", "name": "app", "version": version, "urls": [url], "digest": digest}
        )
    index = {"apiVersion": "v1", "entries": {"app": entries}, "generated": "2024-01-01T00:00:00Z"}
    (root / "index.yaml").write_text(yaml.safe_dump(index), encoding="utf-8")


def _options(tmp_path: Path, config: HelmStoreConfig, files: CredentialFiles = NO_CREDENTIALS) -> PullOptions:
    return PullOptions(store_dir=tmp_path / "store", config=config, credentials=files, timeout=10)


def test_exact_version_and_ranges_resolve_as_source_controller(tmp_path: Path, http_repo: Endpoint) -> None:
    versions = {v: make_chart("app", v) for v in ("1.0.0", "1.5.0", "1.6.0-rc.1", "2.0.0")}
    _write_repo(http_repo.root, versions)
    config = HelmStoreConfig(plain_http=("127.0.0.1",))
    requests = [
        ("exact", ChartRequest("HelmRepository", url=http_repo.url + "/", chart="app", version="1.0.0")),
        ("range", ChartRequest("HelmRepository", url=http_repo.url, chart="app", version=">=1.0 <2")),
        ("latest", ChartRequest("HelmRepository", url=http_repo.url, chart="app", version="*")),
        ("pre", ChartRequest("HelmRepository", url=http_repo.url, chart="app", version="~1.6.0-0")),
    ]
    result = pull(requests, _options(tmp_path, config))
    assert [o.status for o in result.outcomes] == ["pulled"] * 4, [o.line() for o in result.outcomes]
    resolved = [o.entry.chart_version for o in result.outcomes if o.entry]
    assert resolved == ["1.0.0", "1.5.0", "2.0.0", "1.6.0-rc.1"]
    entry = result.outcomes[1].entry
    assert entry is not None
    assert entry.digest == "sha256:" + hashlib.sha256(versions["1.5.0"]).hexdigest()
    assert entry.fetched_from == f"{http_repo.url}/charts/app-1.5.0.tgz"  # the relative URL, resolved

    store = ChartStore(tmp_path / "store")
    found = store.lookup(requests[1][1])
    assert found is not None and found.version == "1.5.0" and found.name == "app"
    assert (found.path / "Chart.yaml").is_file() and (found.path / "templates" / "configmap.yaml").is_file()
    again = pull(requests, _options(tmp_path, config))
    assert [o.status for o in again.outcomes] == ["present"] * 4


def test_missing_chart_and_version_fail_with_reason(tmp_path: Path, http_repo: Endpoint) -> None:
    _write_repo(http_repo.root, {"1.0.0": make_chart("app", "1.0.0")})
    config = HelmStoreConfig(plain_http=("127.0.0.1",))
    result = pull(
        [
            ("a", ChartRequest("HelmRepository", url=http_repo.url, chart="nope", version="*")),
            ("b", ChartRequest("HelmRepository", url=http_repo.url, chart="app", version=">=3")),
            ("c", "spec.chartRef: OCIRepository/x/y is not defined"),
        ],
        _options(tmp_path, config),
    )
    assert [o.status for o in result.outcomes] == ["failed", "failed", "failed"]
    messages = " | ".join(o.message for o in result.outcomes)
    assert "'nope' is not in the index" in messages
    assert "no 'app' chart with version matching '>=3' found" in messages
    assert "is not defined" in messages
    assert result.failed == 3


def test_digest_mismatch_is_refused_and_nothing_stored(tmp_path: Path, http_repo: Endpoint) -> None:
    _write_repo(http_repo.root, {"1.0.0": make_chart("app", "1.0.0")}, bad_digest="1.0.0")
    request = ChartRequest("HelmRepository", url=http_repo.url, chart="app", version="1.0.0")
    result = pull([("hr", request)], _options(tmp_path, HelmStoreConfig(plain_http=("127.0.0.1",))))
    assert result.outcomes[0].status == "failed"
    assert "digest mismatch" in result.outcomes[0].message
    assert ChartStore(tmp_path / "store").lookup(request) is None


def test_loopback_and_plain_http_are_refused_unless_configured(tmp_path: Path, http_repo: Endpoint) -> None:
    _write_repo(http_repo.root, {"1.0.0": make_chart("app", "1.0.0")})
    plain = ChartRequest("HelmRepository", url=http_repo.url, chart="app", version="1.0.0")
    tls = ChartRequest("HelmRepository", url=f"https://{http_repo.host}", chart="app", version="1.0.0")
    result = pull([("plain", plain), ("tls", tls)], _options(tmp_path, HelmStoreConfig()))
    assert [o.status for o in result.outcomes] == ["failed", "failed"]
    assert "plain http:// to 127.0.0.1" in result.outcomes[0].message
    assert "refused to connect: loopback address 127.0.0.1" in result.outcomes[1].message


def test_mirror_is_fetched_but_the_chart_is_stored_under_the_original_url(
    tmp_path: Path, http_repo: Endpoint
) -> None:
    _write_repo(http_repo.root, {"1.0.0": make_chart("app", "1.0.0")})
    config = HelmStoreConfig.from_mapping({"mirrors": {"https://charts.example.org": http_repo.url}})
    request = ChartRequest("HelmRepository", url="https://charts.example.org", chart="app", version="1.0.0")
    result = pull([("hr", request)], _options(tmp_path, config))
    assert result.outcomes[0].status == "pulled", result.outcomes[0].line()
    entry = result.outcomes[0].entry
    assert entry is not None and entry.url == "https://charts.example.org"
    assert entry.fetched_from.startswith(http_repo.url)
    store = ChartStore(tmp_path / "store")
    assert store.lookup(request) is not None
    assert (
        store.lookup(ChartRequest("HelmRepository", url=http_repo.url, chart="app", version="1.0.0")) is None
    )


def test_credentials_never_reach_a_mirror_on_another_host(tmp_path: Path) -> None:
    data = make_chart("app", "1.0.0")
    index = {
        "apiVersion": "v1",
        "entries": {"app": [{"name": "app", "version": "1.0.0", "urls": ["app-1.0.0.tgz"]}]},
    }
    server = Server(routes={})
    server.static("/index.yaml", yaml.safe_dump(index).encode(), "text/yaml")
    server.static("/app-1.0.0.tgz", data)
    with serve(server):
        repos = tmp_path / "repositories.yaml"
        repos.write_text(
            yaml.safe_dump(
                {
                    "repositories": [
                        {
                            "name": "o",
                            "url": "https://charts.example.org",
                            "username": "u",
                            "password": "secret",
                        }
                    ]
                }
            ),
            encoding="utf-8",
        )
        files = CredentialFiles(helm_repositories=repos)
        config = HelmStoreConfig.from_mapping({"mirrors": {"https://charts.example.org": server.url}})
        request = ChartRequest(
            "HelmRepository", url="https://charts.example.org", chart="app", version="1.0.0"
        )
        result = pull([("hr", request)], _options(tmp_path, config, files))
        assert result.outcomes[0].status == "pulled", result.outcomes[0].line()
        assert [path for path, _ in server.requests] == ["/index.yaml", "/app-1.0.0.tgz"]
        assert all("authorization" not in headers for _, headers in server.requests)

        # The mirror's own credentials (an entry with its URL) are sent to it: the check above can fail.
        repos.write_text(
            json.dumps(
                {"repositories": [{"name": "m", "url": server.url, "username": "m", "password": "pw"}]}
            ),
            encoding="utf-8",
        )
        server.requests.clear()
        again = pull([("hr", request)], PullOptions(tmp_path / "store2", config, files, timeout=10))
        assert again.outcomes[0].status == "pulled"
        assert all(headers.get("authorization", "").startswith("Basic ") for _, headers in server.requests)
