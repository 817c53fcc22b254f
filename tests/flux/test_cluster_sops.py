"""SOPS in the tree: a cluster-secrets Secret encrypted at test time with the real sops binary for a fresh
age-keygen key. With the key (identities, SOPS_AGE_KEY_FILE or --age-key) the variables resolve; without
it every use is reported as ``unresolved: encrypted`` and the build still succeeds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from homeops.flux.api import BuildKsOptions, RepoOptions, build_ks
from homeops.flux.cluster import Unresolved
from homeops.sops import load_age_identities
from homeops.yaml.nodes import YMap, to_plain
from tests.flux.fluxrepos import SOPS_DOMAIN, SOPS_TOKEN, build, isolate_keys, needs_sops, node, sops_repo

pytestmark = needs_sops


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


def _settings(objects: Sequence[YMap]) -> dict[str, Any]:
    found: dict[str, Any] = next(to_plain(o) for o in objects if o["metadata"]["name"] == "app-settings")
    return found


def test_with_the_key_variables_resolve(tmp_path: Path) -> None:
    repo, key_file = sops_repo(tmp_path)
    cluster = build(repo, identities=tuple(load_age_identities(key_file=key_file)))
    app = node(cluster, "app")
    assert (app.status, app.unresolved) == ("ok", [])
    assert _settings(app.objects)["data"] == {
        "domain": SOPS_DOMAIN,
        "public": "not-a-secret",
        "token": SOPS_TOKEN,
    }
    secret = next(
        o for o in node(cluster, "cluster-apps").objects if o["metadata"]["name"] == "cluster-secrets"
    )
    assert to_plain(secret["stringData"]) == {"SECRET_DOMAIN": SOPS_DOMAIN, "SECRET_TOKEN": SOPS_TOKEN}
    assert "sops" not in secret


def test_key_from_sops_age_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, key_file = sops_repo(tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key_file))
    result = build_ks(BuildKsOptions("app", "flux-system", show_secrets=True, repo=RepoOptions(repo=repo)))
    assert result.node.unresolved == []
    assert _settings(result.objects)["data"]["domain"] == SOPS_DOMAIN


def test_key_from_age_key_option(tmp_path: Path) -> None:
    repo, key_file = sops_repo(tmp_path)
    options = RepoOptions(repo=repo, age_key=key_file)
    result = build_ks(BuildKsOptions("app", show_secrets=True, repo=options))
    assert _settings(result.objects)["data"]["token"] == SOPS_TOKEN


def test_without_the_key_each_use_is_reported_encrypted(tmp_path: Path) -> None:
    repo, _ = sops_repo(tmp_path)
    cluster = build(repo)
    app = node(cluster, "app")
    assert app.status == "ok", app.error
    configmap = "kubernetes/workloads/app/configmap.yaml"
    hr = "kubernetes/workloads/app/helmrelease.yaml"
    assert sorted(app.unresolved, key=lambda u: (u.file, u.line, u.variable)) == [
        Unresolved(
            "SECRET_DOMAIN", "ConfigMap/default/app-settings", configmap, 7, 3, "unresolved: encrypted"
        ),
        Unresolved(
            "SECRET_TOKEN", "ConfigMap/default/app-settings", configmap, 8, 3, "unresolved: encrypted"
        ),
        Unresolved("SECRET_DOMAIN", "HelmRelease/default/web", hr, 21, 7, "unresolved: encrypted"),
    ]
    data = _settings(app.objects)["data"]
    assert SOPS_DOMAIN not in str(data) and SOPS_TOKEN not in str(data)
    assert node(cluster, "cluster-apps").status == "ok"


def test_a_wrong_key_behaves_like_no_key(tmp_path: Path) -> None:
    repo, _ = sops_repo(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    from tests.flux.fluxrepos import age_key

    wrong, _ = age_key(other)
    cluster = build(repo, identities=tuple(load_age_identities(key_file=wrong)))
    app = node(cluster, "app")
    assert app.status == "ok"
    assert {u.reason for u in app.unresolved} == {"unresolved: encrypted"}
    assert {u.variable for u in app.unresolved} == {"SECRET_DOMAIN", "SECRET_TOKEN"}


def test_decrypted_values_never_reach_the_build_cache(tmp_path: Path) -> None:
    from homeops.flux.cluster import ClusterOptions, build_cluster

    repo, key_file = sops_repo(tmp_path)
    identities = tuple(load_age_identities(key_file=key_file))
    without_key = tmp_path / "cache-without-key"
    build_cluster(ClusterOptions(repo=repo, cache_dir=without_key))
    assert [p for p in without_key.rglob("*") if p.is_file()], "without the key, builds are cached"
    cache = tmp_path / "cache"
    for _ in range(2):
        cluster = build_cluster(ClusterOptions(repo=repo, identities=identities, cache_dir=cache))
        assert _settings(node(cluster, "app").objects)["data"]["token"] == SOPS_TOKEN
    for blob in (p.read_bytes() for p in cache.rglob("*") if p.is_file()):
        assert SOPS_TOKEN.encode() not in blob and SOPS_DOMAIN.encode() not in blob


def test_a_multi_document_sops_file_decrypts_with_its_one_mac(tmp_path: Path) -> None:
    # sops writes one MAC over every document of a file: each document alone fails the check
    from tests.flux.fluxrepos import CLUSTER_SECRETS, age_key, checkout, sops_encrypt

    repo = checkout("sops", tmp_path)
    key_file, recipient = age_key(tmp_path)
    other = CLUSTER_SECRETS.replace("name: cluster-secrets", "name: other-secrets")
    target = repo / "kubernetes" / "apps" / "cluster-secrets.sops.yaml"
    sops_encrypt(other + "---\n" + CLUSTER_SECRETS, recipient, target)
    assert target.read_text().count("sops:") == 2
    cluster = build(repo, identities=tuple(load_age_identities(key_file=key_file)))
    assert cluster.problems == [] and [p for p in cluster.nodes if p.status != "ok"] == []
    app = node(cluster, "app")
    assert app.unresolved == [] and _settings(app.objects)["data"]["token"] == SOPS_TOKEN
    tampered = target.read_text().replace("name: other-secrets", "name: other-secretz")
    target.write_text(tampered)
    broken = build(repo, identities=tuple(load_age_identities(key_file=key_file)))
    assert any("MAC" in p or "mac" in p for p in broken.problems), broken.problems
