"""How homeops finds and applies Flux Kustomizations, one repository layout per fixture
(tests/fixtures/fluxrepos/layouts/<layout>/, written from the Flux and flux-operator documentation):

- ``flux bootstrap``'s own layout, whose root Kustomization (flux-system) is in its own build;
- cluster-template's cycle (cluster-apps applies flux, which applies cluster-apps);
- a flux-operator FluxInstance syncing the repository, and a ResourceSet generating Kustomizations;
- an OCI artifact pushed from a subfolder; two source names for this repository; a root that is another
  repository; several clusters in one repository; a Kustomization no parent lists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homeops.validate.engine import ValidateOptions, validate
from tests.flux.layouts_helpers import (
    build_all_cli,
    checkout,
    get_ks,
    get_ks_json,
    isolate_keys,
    objects_named,
    one,
    output_of,
    outputs,
    refs,
    roots,
)


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


# -- 1. flux bootstrap: the root is in its own build ---------------------------------------------------


def test_bootstrap_root_is_flux_system_and_contains_itself(tmp_path: Path) -> None:
    result = get_ks(checkout("bootstrap-self-root", tmp_path))
    rows = result.rows
    assert refs(rows) == [
        ("", "flux-system", "apps"),
        ("", "flux-system", "flux-system"),
        ("", "flux-system", "infrastructure"),
    ]
    root = one(rows, "flux-system")
    assert roots(rows) == [root]
    assert re.search(r"itself|its own", root["root"]), root["root"]
    assert (root["status"], root["error"], root["parent"]) == ("ok", "", "")
    assert (root["file"], root["line"], root["path"]) == (
        "clusters/home/flux-system/gotk-sync.yaml",
        16,
        "./clusters/home",
    )
    for name in ("infrastructure", "apps"):
        child = one(rows, name)
        assert (child["status"], child["error"], child["parent"], child["root"]) == (
            "ok",
            "",
            "flux-system/flux-system",
            "",
        )
        assert child["file"] == f"clusters/home/{name}.yaml"
    assert one(rows, "apps")["path"] == "./apps"
    assert result.problems == []  # in particular, flux-system is not "defined more than once"


def test_bootstrap_build_all_cli(tmp_path: Path) -> None:
    repo = checkout("bootstrap-self-root", tmp_path)
    out = tmp_path / "out"
    code, summary = build_all_cli(repo, out)
    assert code == 0
    totals = summary["totals"]
    assert {k: totals[k] for k in ("applied", "ok", "failed", "external", "not_applied")} == {
        "applied": 3,
        "ok": 3,
        "failed": 0,
        "external": 0,
        "not_applied": 0,
    }
    flux_system = output_of(out, "flux-system")
    assert objects_named(flux_system, "Deployment", "kustomize-controller")
    assert objects_named(flux_system, "Kustomization", "apps")
    assert objects_named(output_of(out, "infrastructure"), "Namespace", "monitoring")
    [hello] = objects_named(output_of(out, "apps"), "ConfigMap", "hello")
    assert hello["data"] == {"greeting": "hello-from-apps"}


def test_bootstrap_get_ks_cli(tmp_path: Path) -> None:
    code, data = get_ks_json(checkout("bootstrap-self-root", tmp_path))
    assert code == 0
    rows = data["kustomizations"]
    assert [r["name"] for r in rows if r["root"]] == ["flux-system"]
    assert {r["name"]: (r["status"], r["parent"]) for r in rows} == {
        "flux-system": ("ok", ""),
        "infrastructure": ("ok", "flux-system/flux-system"),
        "apps": ("ok", "flux-system/flux-system"),
    }


# -- 2. cluster-template: cluster-apps -> flux -> cluster-apps -----------------------------------------


def test_cycle_one_root_each_built_once(tmp_path: Path) -> None:
    result = get_ks(checkout("bootstrap-cycle", tmp_path))
    rows = result.rows
    assert refs(rows) == [
        ("", "flux-system", "cluster-apps"),
        ("", "flux-system", "echo"),
        ("", "flux-system", "flux"),
    ]
    [root] = roots(rows)
    assert root["name"] in ("cluster-apps", "flux")
    other = one(rows, "flux" if root["name"] == "cluster-apps" else "cluster-apps")
    assert "cycle" in root["root"].lower(), root["root"]
    assert other["name"] in root["root"], root["root"]
    assert (root["status"], root["parent"]) == ("ok", "")
    assert (other["status"], other["parent"]) == ("ok", f"flux-system/{root['name']}")
    echo = one(rows, "echo")
    assert (echo["status"], echo["parent"]) == ("ok", "flux-system/cluster-apps")
    assert not [p for p in result.problems if "more than once" in p]


# -- 3. flux-operator FluxInstance -----------------------------------------------------------------------


def test_fluxinstance_sync_is_the_root(tmp_path: Path) -> None:
    result = get_ks(checkout("fluxinstance", tmp_path))
    rows = result.rows
    assert refs(rows) == [
        ("", "flux-system", "apps"),
        ("", "flux-system", "common"),
        ("", "flux-system", "flux-system"),
        ("", "flux-system", "podinfo"),
    ]
    root = one(rows, "flux-system")
    assert roots(rows) == [root]
    assert "FluxInstance" in root["root"], root["root"]
    assert root["file"] == "clusters/home/flux-instance.yaml"
    assert root["path"] in ("clusters/home", "./clusters/home")
    assert (root["status"], root["parent"]) == ("ok", "")
    assert (one(rows, "apps")["status"], one(rows, "apps")["parent"]) == ("ok", "flux-system/flux-system")
    # podinfo has no metadata.namespace: its directory's kustomization.yaml gives it flux-system
    podinfo = one(rows, "podinfo", "flux-system")
    assert (podinfo["status"], podinfo["error"], podinfo["parent"]) == ("ok", "", "flux-system/apps")
    assert podinfo["file"] == "apps/podinfo/ks.yaml"
    assert not [r for r in rows if r["namespace"] == ""]


def test_fluxinstance_namespace_from_kustomize_gives_no_false_errors(tmp_path: Path) -> None:
    repo = checkout("fluxinstance", tmp_path)
    findings = validate(ValidateOptions(repo=repo)).findings
    wrong = [f for f in findings if f.code in ("HO001", "HO005", "HO112", "HO201")]
    assert wrong == []


# -- 4. flux-operator ResourceSet --------------------------------------------------------------------------


def test_resourceset_static_inputs_generate_kustomizations(tmp_path: Path) -> None:
    repo = checkout("resourceset-static", tmp_path)
    result = get_ks(repo)
    rows = result.rows
    assert refs(rows) == [
        ("", "flux-system", "apps"),
        ("", "flux-system", "tenant-team1"),
        ("", "flux-system", "tenant-team2"),
    ]
    for tenant in ("team1", "team2"):
        row = one(rows, f"tenant-{tenant}")
        assert (row["status"], row["parent"], row["path"]) == (
            "ok",
            "flux-system/apps",
            f"./tenants/{tenant}",
        )
        assert row["file"] == "apps/tenants.yaml"
    assert not [r for r in rows if "<<" in r["name"] or r["name"].startswith("preview")]
    dynamic = [n for n in result.notes if "previews" in n]
    assert len(dynamic) == 1, result.notes
    assert "home-pull-requests" in dynamic[0]
    assert "resolve" in dynamic[0].lower(), dynamic[0]


def test_resourceset_generated_kustomizations_build_their_own_input(tmp_path: Path) -> None:
    repo = checkout("resourceset-static", tmp_path)
    out = tmp_path / "out"
    build_all_cli(repo, out)
    team1 = output_of(out, "tenant-team1")
    assert objects_named(team1, "ConfigMap", "team1-settings")
    assert not objects_named(team1, "ConfigMap", "team2-settings")
    assert objects_named(output_of(out, "tenant-team2"), "ConfigMap", "team2-settings")


# -- 5. an OCI artifact pushed from kubernetes/ -------------------------------------------------------------


def test_oci_artifact_paths_start_in_its_subfolder(tmp_path: Path) -> None:
    repo = checkout("oci-subfolder", tmp_path)
    result = get_ks(repo)
    rows = result.rows
    root = one(rows, "cluster-apps")
    assert roots(rows) == [root]
    assert (root["status"], root["error"], root["path"]) == ("ok", "", "./apps")
    hello = one(rows, "hello")
    assert (hello["status"], hello["error"], hello["parent"]) == ("ok", "", "flux-system/cluster-apps")
    # the source root, named as a folder of its own (not as part of kubernetes/flux/cluster/ks.yaml)
    assert [n for n in result.notes if re.search(r"(?<![\w./-])kubernetes/?(?![\w-]|[./][\w.-])", n)], (
        result.notes
    )
    out = tmp_path / "out"
    build_all_cli(repo, out)
    [cm] = objects_named(output_of(out, "hello"), "ConfigMap", "hello")
    assert cm["data"] == {"greeting": "hello-from-oci"}


# -- 6. two names for this repository -----------------------------------------------------------------------


def test_two_source_names_with_one_url_are_both_this_repository(tmp_path: Path) -> None:
    repo = checkout("two-source-names", tmp_path)
    rows = get_ks(repo).rows
    assert {r["name"]: r["status"] for r in rows} == {
        "cluster-apps": "ok",
        "alpha": "ok",
        "beta": "ok",
        "gamma": "external",
    }
    assert one(rows, "beta")["error"] == ""
    assert "upstream" in one(rows, "gamma")["error"]
    out = tmp_path / "out"
    build_all_cli(repo, out)
    assert objects_named(output_of(out, "alpha"), "ConfigMap", "alpha-settings")
    assert objects_named(output_of(out, "beta"), "ConfigMap", "beta-settings")
    every = [d for docs in outputs(out).values() for d in docs]
    assert not objects_named(every, "ConfigMap", "gamma-settings")


# -- 7. several clusters in one repository ------------------------------------------------------------------


def test_multi_cluster_two_trees(tmp_path: Path) -> None:
    rows = get_ks(checkout("multi-cluster", tmp_path)).rows
    assert refs(rows) == [
        ("production", "flux-system", "apps"),
        ("production", "flux-system", "flux-system"),
        ("staging", "flux-system", "apps"),
        ("staging", "flux-system", "flux-system"),
    ]
    for cluster in ("staging", "production"):
        root = one(rows, "flux-system", cluster=cluster)
        assert root["root"]
        assert (root["status"], root["file"]) == ("ok", f"clusters/{cluster}/flux-system/gotk-sync.yaml")
        apps = one(rows, "apps", cluster=cluster)
        assert (apps["status"], apps["parent"], apps["root"]) == ("ok", "flux-system/flux-system", "")
        assert (apps["file"], apps["path"]) == (f"clusters/{cluster}/apps.yaml", f"./apps/{cluster}")


def test_multi_cluster_select_one(tmp_path: Path) -> None:
    repo = checkout("multi-cluster", tmp_path)
    assert refs(get_ks(repo, cluster="staging").rows) == [
        ("staging", "flux-system", "apps"),
        ("staging", "flux-system", "flux-system"),
    ]
    code, data = get_ks_json(repo, "--cluster", "production")
    assert code == 0
    assert refs(data["kustomizations"]) == [
        ("production", "flux-system", "apps"),
        ("production", "flux-system", "flux-system"),
    ]


def test_multi_cluster_build_all_keeps_clusters_apart(tmp_path: Path) -> None:
    repo = checkout("multi-cluster", tmp_path)
    out = tmp_path / "out"
    code, summary = build_all_cli(repo, out)
    assert code == 0
    totals = summary["totals"]
    assert {k: totals[k] for k in ("applied", "ok", "failed", "external", "not_applied")} == {
        "applied": 4,
        "ok": 4,
        "failed": 0,
        "external": 0,
        "not_applied": 0,
    }
    settings = {
        stem: [d["data"]["environment"] for d in objects_named(docs, "ConfigMap", "settings")]
        for stem, docs in outputs(out).items()
        if objects_named(docs, "ConfigMap", "settings")
    }
    assert sorted(settings.values()) == [["production"], ["staging"]], settings
    for stem, [environment] in settings.items():
        assert environment in stem.split("/"), stem  # each cluster's output in its own folder
        assert stem.rsplit("/", 1)[-1] == "apps"


# -- 8. a Kustomization no parent lists --------------------------------------------------------------------


def test_unlisted_kustomization_is_not_applied(tmp_path: Path) -> None:
    rows = get_ks(checkout("not-applied", tmp_path)).rows
    assert refs(rows) == [
        ("", "flux-system", "cluster-apps"),
        ("", "flux-system", "forgotten"),
        ("", "flux-system", "listed"),
    ]
    forgotten = one(rows, "forgotten")
    assert forgotten["status"] == "not-applied"
    assert "cluster-apps" in forgotten["error"], forgotten["error"]
    assert (forgotten["file"], forgotten["root"], forgotten["parent"]) == (
        "kubernetes/apps/forgotten/ks.yaml",
        "",
        "",
    )
    listed = one(rows, "listed")
    assert (listed["status"], listed["parent"]) == ("ok", "flux-system/cluster-apps")


def test_unlisted_kustomization_only_reported_by_ho005(tmp_path: Path) -> None:
    repo = checkout("not-applied", tmp_path)
    findings = validate(ValidateOptions(repo=repo)).findings
    about = [
        f
        for f in findings
        if f.file.startswith("kubernetes/apps/forgotten/")
        or "forgotten" in f.message
        or "does-not-exist" in f.message
        or "nowhere" in f.message
    ]
    assert [(f.code, f.file) for f in about] == [("HO005", "kubernetes/apps/forgotten/ks.yaml")], about


# -- 10. a root that is another repository ----------------------------------------------------------------


def test_root_from_another_repository_is_external(tmp_path: Path) -> None:
    repo = checkout("external-root", tmp_path, remote="https://github.com/example/home.git")
    rows = get_ks(repo).rows
    assert refs(rows) == [("", "flux-system", "cluster-apps"), ("", "flux-system", "other-apps")]
    other = one(rows, "other-apps")
    assert other["root"]
    assert other["status"] == "external"
    assert re.search(r"\bother\b", other["error"].replace("other-apps", "")), other["error"]  # not "another"
    local = one(rows, "cluster-apps")
    assert (local["status"], local["error"]) == ("ok", "")
    out = tmp_path / "out"
    code, summary = build_all_cli(repo, out)
    assert code == 0
    assert (summary["totals"]["ok"], summary["totals"]["external"]) == (1, 1)
    every = [d for docs in outputs(out).values() for d in docs]
    assert objects_named(every, "ConfigMap", "home-settings")
    assert not objects_named(every, "ConfigMap", "decoy-settings")  # never built from this repository
