"""OCI: HelmRepository type oci and OCIRepository against Debian's docker-registry, and the token flow."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from homeops.helm.store import ChartStore, HelmStoreConfig
from homeops.helm.store.credentials import CredentialFiles
from homeops.helm.store.pull import PullOptions, pull
from homeops.helm.types import ChartRequest
from tests.helm.store.conftest import Endpoint
from tests.helm.store.helpers import HELM_LAYER, OCI_MANIFEST, Server, make_chart, oci_push, serve, sha256

NO_CREDENTIALS = CredentialFiles()
FLUX_LAYER = "application/vnd.cncf.flux.content.v1.tar+gzip"


def _options(tmp_path: Path, config: HelmStoreConfig, files: CredentialFiles = NO_CREDENTIALS) -> PullOptions:
    return PullOptions(store_dir=tmp_path / "store", config=config, credentials=files, timeout=20)


def test_helm_oci_repository_exact_and_range(tmp_path: Path, registry: Endpoint) -> None:
    for version in ("1.0.0", "1.2.0", "1.3.0-rc.1", "2.0.0", "1.2.1+build.7"):
        oci_push(registry.url, "helm/app", version.replace("+", "_"), make_chart("app", version))
    config = HelmStoreConfig(plain_http=(registry.host,))
    url = f"oci://{registry.host}/helm"
    requests = [
        ("exact", ChartRequest("HelmRepository", url=url, chart="app", version="1.2.0", repo_type="oci")),
        ("range", ChartRequest("HelmRepository", url=url, chart="app", version="~1.2", repo_type="oci")),
        ("latest", ChartRequest("HelmRepository", url=url, chart="app", version="*", repo_type="oci")),
        (
            "meta",
            ChartRequest("HelmRepository", url=url, chart="app", version="1.2.1+build.7", repo_type="oci"),
        ),
    ]
    result = pull(requests, _options(tmp_path, config))
    # The exact 1.2.1+build.7 is what ~1.2 resolved to a moment before: already in the store.
    statuses = [o.status for o in result.outcomes]
    assert statuses == ["pulled", "pulled", "pulled", "present"], [o.line() for o in result.outcomes]
    assert [o.entry.chart_version for o in result.outcomes if o.entry] == [
        "1.2.0",
        "1.2.1+build.7",
        "2.0.0",
        "1.2.1+build.7",
    ]
    store = ChartStore(tmp_path / "store")
    found = store.lookup(requests[1][1])
    assert found is not None and found.version == "1.2.1+build.7" and found.source_kind == "HelmRepository"


def test_oci_repository_tag_digest_semver_and_layer_selector(tmp_path: Path, registry: Endpoint) -> None:
    chart = make_chart("app-template", "4.2.0")
    pushed = oci_push(registry.url, "bjw-s/app-template", "4.2.0", chart)
    oci_push(registry.url, "bjw-s/app-template", "4.1.0", make_chart("app-template", "4.1.0"))
    oci_push(registry.url, "bjw-s/app-template", "5.0.0-beta.1", make_chart("app-template", "5.0.0-beta.1"))
    # A Flux artifact with another layer first: the selector must pick the Helm layer.
    flux = oci_push(
        registry.url,
        "flux/multi",
        "latest",
        make_chart("multi", "0.1.0"),
        config_media_type="application/vnd.cncf.flux.config.v1+json",
        extra_layers=[(FLUX_LAYER, b"not a chart")],
    )
    config = HelmStoreConfig(plain_http=(registry.host,))
    url = f"oci://{registry.host}/bjw-s/app-template"
    by_tag = ChartRequest(
        "OCIRepository", url=url, version="4.2.0", layer_media_type=HELM_LAYER, layer_operation="copy"
    )
    by_digest = ChartRequest("OCIRepository", url=url, version="", digest=pushed.manifest_digest)
    by_semver = ChartRequest("OCIRepository", url=url, version=">=4.0.0 <5.0.0", layer_media_type=HELM_LAYER)
    multi_url = f"oci://{registry.host}/flux/multi"
    selected = ChartRequest("OCIRepository", url=multi_url, version="latest", layer_media_type=HELM_LAYER)
    missing_layer = ChartRequest("OCIRepository", url=multi_url, version="latest", layer_media_type="x/y")
    first_layer = ChartRequest("OCIRepository", url=multi_url, version="latest")
    requests = [
        ("tag", by_tag),
        ("digest", by_digest),
        ("semver", by_semver),
        ("sel", selected),
        ("missing", missing_layer),
        ("first", first_layer),
    ]
    result = pull(requests, _options(tmp_path, config))
    statuses = [o.status for o in result.outcomes]
    assert statuses == ["pulled", "pulled", "pulled", "pulled", "failed", "failed"], [
        o.line() for o in result.outcomes
    ]
    assert "failed to find layer with media type 'x/y'" in result.outcomes[4].message
    assert "Chart.yaml" in result.outcomes[5].message or "archive" in result.outcomes[5].message
    tag_entry, digest_entry, semver_entry, sel_entry = (o.entry for o in result.outcomes[:4])
    assert tag_entry and digest_entry and semver_entry and sel_entry
    assert tag_entry.digest == pushed.manifest_digest == digest_entry.digest  # the manifest digest
    assert tag_entry.blob == pushed.layer_digest.split(":")[1]
    assert semver_entry.version == "4.2.0"  # the prerelease 5.0.0-beta.1 and 4.1.0 are not picked
    assert sel_entry.digest == flux.manifest_digest

    store = ChartStore(tmp_path / "store")
    found = store.lookup(by_digest)
    assert found is not None and found.source_kind == "OCIRepository"
    assert found.helm_controller_version == "4.2.0+" + pushed.manifest_digest.split(":")[1][:12]
    other = ChartRequest("OCIRepository", url=url, version="", digest="sha256:" + "0" * 64)
    assert store.lookup(other) is None


def test_anonymous_bearer_token_flow(tmp_path: Path) -> None:
    """A registry that answers 401 + WWW-Authenticate Bearer; the token comes from its realm."""
    chart = make_chart("app", "1.0.0")
    config_blob = b"{}"
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.cncf.helm.config.v1+json",
                "digest": sha256(config_blob),
                "size": 2,
            },
            "layers": [{"mediaType": HELM_LAYER, "digest": sha256(chart), "size": len(chart)}],
        }
    ).encode()
    server = Server(routes={})

    def guarded(body: bytes, content_type: str):
        def handler(h):
            if h.headers.get("Authorization") != "Bearer tok-123":
                challenge = (
                    f'Bearer realm="{server.url}/token",service="test-registry",'
                    'scope="repository:charts/app:pull"'
                )
                return 401, {"WWW-Authenticate": challenge}, b'{"errors":[{"code":"UNAUTHORIZED"}]}'
            return 200, {"Content-Type": content_type, "Docker-Content-Digest": sha256(body)}, body

        return handler

    server.routes["/v2/charts/app/manifests/1.0.0"] = guarded(manifest, OCI_MANIFEST)
    server.routes[f"/v2/charts/app/blobs/{sha256(chart)}"] = guarded(chart, "application/octet-stream")
    server.routes["/token"] = lambda h: (200, {"Content-Type": "application/json"}, b'{"token": "tok-123"}')
    with serve(server):
        config = HelmStoreConfig(plain_http=("127.0.0.1",))
        request = ChartRequest(
            "HelmRepository",
            url=f"oci://127.0.0.1:{server.port}/charts",
            chart="app",
            version="1.0.0",
            repo_type="oci",
        )
        result = pull([("hr", request)], _options(tmp_path, config))
        assert result.outcomes[0].status == "pulled", result.outcomes[0].line()
        token_requests = [(p, h) for p, h in server.requests if p.startswith("/token")]
        assert len(token_requests) == 1  # the token is reused for the blob
        assert "service=test-registry" in token_requests[0][0]
        assert "scope=repository%3Acharts%2Fapp%3Apull" in token_requests[0][0]
        assert "authorization" not in token_requests[0][1]  # anonymous: no credentials configured


def test_registry_credentials_are_not_sent_to_a_mirror(tmp_path: Path) -> None:
    """Docker config credentials for ghcr.io never reach the mirror (another host), token realm included."""
    server = Server(routes={})
    challenge = 'Bearer realm="{url}/token",service="mirror"'
    server.routes["/v2/charts/app/manifests/1.0.0"] = lambda h: (
        401,
        {"WWW-Authenticate": challenge.format(url=server.url)},
        b"",
    )
    server.routes["/token"] = lambda h: (200, {}, b'{"token": "t"}')
    docker = tmp_path / "docker.json"
    auth = base64.b64encode(b"ghuser:ghp_secret").decode()
    docker.write_text(json.dumps({"auths": {"ghcr.io": {"auth": auth}}}), encoding="utf-8")
    with serve(server):
        config = HelmStoreConfig.from_mapping(
            {"mirrors": {"oci://ghcr.io/org": f"oci://127.0.0.1:{server.port}"}, "plainHTTP": ["127.0.0.1"]}
        )
        request = ChartRequest(
            "HelmRepository", url="oci://ghcr.io/org/charts", chart="app", version="1.0.0", repo_type="oci"
        )
        result = pull([("hr", request)], _options(tmp_path, config, CredentialFiles(docker=docker)))
        assert result.outcomes[0].status == "failed"  # the mirror keeps refusing the anonymous token
        assert server.requests, "the mirror was asked"
        seen = [h.get("authorization", "") for _, h in server.requests]
        assert any(p.startswith("/token?service=mirror") for p, _ in server.requests)
        assert "Bearer t" in seen  # the anonymous token was used: the check below sees real headers
        assert not any(auth in value for value in seen)
        assert not any(h.get("authorization", "").startswith("Basic ") for _, h in server.requests)


@pytest.mark.oracle
def test_chart_pushed_by_the_real_helm_is_pulled(tmp_path: Path, registry: Endpoint) -> None:
    try:
        bindir = subprocess.run(["/work/shared/tools/oracle-bin"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the oracle helm is not available (/work/shared/tools/oracle-bin)")
    helm = Path(bindir.stdout.strip()) / "helm"
    if not helm.exists() and shutil.which("helm") is None:
        pytest.skip("the oracle helm binary is missing")
    archive = tmp_path / "app-0.3.0.tgz"
    archive.write_bytes(make_chart("app", "0.3.0"))
    env = {
        "HOME": str(tmp_path),
        "HELM_CACHE_HOME": str(tmp_path / "c"),
        "HELM_CONFIG_HOME": str(tmp_path / "h"),
        "HELM_DATA_HOME": str(tmp_path / "d"),
        "PATH": "/usr/bin:/bin",
    }
    push = subprocess.run(
        [str(helm), "push", str(archive), f"oci://{registry.host}/charts", "--plain-http"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert push.returncode == 0, push.stderr
    config = HelmStoreConfig(plain_http=(registry.host,))
    request = ChartRequest(
        "HelmRepository", url=f"oci://{registry.host}/charts", chart="app", version="0.x", repo_type="oci"
    )
    result = pull([("hr", request)], _options(tmp_path, config))
    assert result.outcomes[0].status == "pulled", result.outcomes[0].line()
    found = ChartStore(tmp_path / "store").lookup(request)
    assert found is not None and found.version == "0.3.0"
