"""The library entry points behind `homeops get` and `homeops build`: exact JSON shapes (documented in
docs/json-output.md), HelmRelease values with helm-controller's precedence, `build all` files and summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.errors import UsageError
from homeops.flux.api import (
    BuildAllOptions,
    BuildHrOptions,
    BuildKsOptions,
    GetOptions,
    RepoOptions,
    build_all,
    build_hr,
    build_ks,
    get,
)
from tests.flux.fluxrepos import checkout, isolate_keys

KS_ROW_KEYS = [
    "name", "namespace", "path", "source", "status", "error", "file", "line", "parent", "cluster", "root",
    "synthesized", "dependsOn", "suspended", "prune", "objects", "notes", "unresolved",
]  # fmt: skip
UNRESOLVED_KEYS = ["variable", "object", "file", "line", "column", "reason"]


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


def _repo(feature: str, tmp_path: Path) -> RepoOptions:
    return RepoOptions(repo=checkout(feature, tmp_path))


def test_get_ks_json(tmp_path: Path) -> None:
    result = get(GetOptions("ks", repo=_repo("sources", tmp_path)))
    data = result.to_json()
    assert list(data) == ["kustomizations", "problems", "notes", "clusters"]
    assert data["clusters"] == [""]
    rows = data["kustomizations"]
    assert all(list(r) == KS_ROW_KEYS for r in rows)
    assert rows[1] == {
        "name": "ok",
        "namespace": "default",
        "path": "./kubernetes/apps/ok/app",
        "source": "GitRepository/flux-system/flux-system",
        "status": "ok",
        "error": "",
        "file": "kubernetes/apps/ok/ks.yaml",
        "line": 2,
        "parent": "flux-system/cluster-apps",
        "cluster": "",
        "root": "",
        "synthesized": False,
        "dependsOn": [],
        "suspended": False,
        "prune": True,
        "objects": 1,
        "notes": [],
        "unresolved": [],
    }
    assert [(r["name"], r["status"]) for r in rows] == [
        ("cluster-apps", "ok"),
        ("ok", "ok"),
        ("missing", "failed"),
        ("upstream-crds", "external"),
    ]
    json.dumps(data)  # plain JSON types only


def test_get_ks_namespace_filter_and_not_applied_rows(tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    kfile = repo / "kubernetes" / "apps" / "kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("  - ./missing/ks.yaml\n", ""))
    rows = get(GetOptions("ks", "flux-system", RepoOptions(repo=repo))).rows
    assert [(r["name"], r["status"]) for r in rows] == [
        ("cluster-apps", "ok"),
        ("upstream-crds", "external"),
        ("missing", "not-applied"),
    ]
    orphan = rows[-1]
    assert list(orphan) == KS_ROW_KEYS
    assert (orphan["file"], orphan["line"], orphan["parent"], orphan["objects"]) == (
        "kubernetes/apps/missing/ks.yaml",
        2,
        "",
        0,
    )
    assert get(GetOptions("ks", "nowhere", RepoOptions(repo=repo))).rows == []


def test_unresolved_rows(tmp_path: Path) -> None:
    rows = get(GetOptions("ks", repo=_repo("substitution", tmp_path))).rows
    strict = next(r for r in rows if r["name"] == "strict")
    assert strict["unresolved"] == [
        {
            "variable": "NOT_DEFINED_ANYWHERE",
            "object": "ConfigMap/strict",
            "file": "kubernetes/apps/strict/app/configmap.yaml",
            "line": 7,
            "column": 3,
            "reason": "not set",
        }
    ]
    assert list(strict["unresolved"][0]) == UNRESOLVED_KEYS


def test_get_hr_json(tmp_path: Path) -> None:
    data = get(GetOptions("hr", repo=_repo("helm-values", tmp_path))).to_json()
    assert data == {
        "helmreleases": [
            {
                "name": "web",
                "namespace": "web",
                "releaseName": "web",
                "targetNamespace": "",
                "chart": {"name": "web", "version": "4.5.6", "source": "HelmRepository/flux-system/charts"},
                "kustomization": "flux-system/cluster-apps",
                "dependsOn": [],
                "suspended": False,
                "file": "kubernetes/apps/web/helmrelease.yaml",
                "line": 2,
            }
        ],
        "problems": [],
        "notes": [],
        "clusters": [""],
    }


def test_get_hr_chart_ref(tmp_path: Path) -> None:
    rows = get(GetOptions("hr", "plain", _repo("kustomize-features", tmp_path))).rows
    assert [(r["name"], r["chart"]) for r in rows] == [
        ("plain", {"name": "", "version": "", "source": "OCIRepository/plain/plain"})
    ]


def test_get_sources_json(tmp_path: Path) -> None:
    data = get(GetOptions("sources", repo=_repo("sources", tmp_path))).to_json()
    assert data == {
        "sources": [
            {
                "kind": "GitRepository",
                "name": "upstream",
                "namespace": "flux-system",
                "url": "https://github.com/example/upstream",
                "ref": {"tag": "v1.2.3"},
                "local": False,
                "kustomization": "flux-system/cluster-apps",
                "file": "kubernetes/apps/external/ks.yaml",
                "line": 2,
            },
            {
                "kind": "GitRepository",
                "name": "flux-system",
                "namespace": "flux-system",
                "url": "",
                "ref": {},
                "local": True,
                "kustomization": "",
                "file": "",
                "line": 0,
            },
        ],
        "problems": [],
        "notes": [],
        "clusters": [""],
    }


def test_get_rejects_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown kind 'pods'"):
        get(GetOptions("pods", repo=_repo("sources", tmp_path)))


def test_build_ks_json_and_yaml(tmp_path: Path) -> None:
    result = build_ks(BuildKsOptions("ok", "default", repo=_repo("sources", tmp_path)))
    data = result.to_json()
    assert list(data) == [*KS_ROW_KEYS, "resources"]
    assert data["resources"] == [
        {
            "apiVersion": "v1",
            "data": {"key": "value"},
            "kind": "ConfigMap",
            "metadata": {
                "labels": {
                    "kustomize.toolkit.fluxcd.io/name": "ok",
                    "kustomize.toolkit.fluxcd.io/namespace": "default",
                },
                "name": "ok",
                "namespace": "default",
            },
        }
    ]
    assert result.to_yaml() == (
        "apiVersion: v1\ndata:\n  key: value\nkind: ConfigMap\nmetadata:\n  labels:\n"
        "    kustomize.toolkit.fluxcd.io/name: ok\n    kustomize.toolkit.fluxcd.io/namespace: default\n"
        "  name: ok\n  namespace: default\n"
    )


def test_build_ks_with_path_builds_another_directory(tmp_path: Path) -> None:
    options = _repo("sources", tmp_path)
    assert options.repo is not None
    other = options.repo / "kubernetes" / "apps" / "ok"
    result = build_ks(BuildKsOptions("missing", path=other, repo=options))
    assert result.node.status == "ok"
    assert sorted(o["kind"] for o in result.objects) == ["ConfigMap", "Kustomization"]
    labels = {o["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] for o in result.objects}
    assert labels == {"missing"}


def test_build_ks_unknown_or_ambiguous_name(tmp_path: Path) -> None:
    options = _repo("sources", tmp_path)
    with pytest.raises(UsageError, match="no Kustomization named 'nope'") as exc:
        build_ks(BuildKsOptions("nope", repo=options))
    assert exc.value.hint is not None and "cluster-apps" in exc.value.hint
    with pytest.raises(UsageError, match="no Kustomization named 'ok' in namespace flux-system"):
        build_ks(BuildKsOptions("ok", "flux-system", repo=options))


# -- HelmRelease values --------------------------------------------------------------------------------------

# helm-controller: valuesFrom in order (a later reference wins, maps merge key by key), a targetPath sets one
# value (quoted text stays a string), then the inline spec.values win over everything; an optional missing
# reference is skipped.
EXPECTED_VALUES = {
    "replicas": 3,  # values.yaml 1 < Secret targetPath "5" < inline 3
    "image": {"repository": "ghcr.io/example/web", "tag": "2.0", "pullPolicy": "Always"},
    "fromConfigMap": True,
    "fromSecret": True,
    "ingress": {"enabled": True, "host": "web.example.org"},
    "labels": {"version": "42"},
}


def test_build_hr_values_precedence(tmp_path: Path) -> None:
    result = build_hr(BuildHrOptions("web", "web", show_secrets=True, repo=_repo("helm-values", tmp_path)))
    data = result.to_json()
    assert data["values"] == EXPECTED_VALUES
    assert data["valuesFrom"] == [
        {"kind": "ConfigMap", "name": "web-base", "key": "values.yaml", "status": "used"},
        {"kind": "Secret", "name": "web-secret", "key": "secret.yaml", "status": "used"},
        {"kind": "ConfigMap", "name": "web-base", "key": "host", "status": "used"},
        {"kind": "Secret", "name": "web-secret", "key": "replicas", "status": "used"},
        {"kind": "ConfigMap", "name": "web-base", "key": "quoted", "status": "used"},
        {"kind": "ConfigMap", "name": "not-there", "key": "values.yaml", "status": "skipped"},
    ]
    assert data["problems"] == [
        "could not resolve optional ConfigMap chart values reference 'web/not-there' with key 'values.yaml': "
        'configmaps "not-there" not found'
    ]
    assert list(data) == [
        "name", "namespace", "releaseName", "targetNamespace", "chart", "kustomization", "dependsOn",
        "suspended", "file", "line", "helmrelease", "values", "valuesFrom", "problems",
    ]  # fmt: skip
    assert data["helmrelease"]["metadata"]["namespace"] == "web"
    assert result.values.ok


def test_build_hr_masks_values_when_a_secret_is_used(tmp_path: Path) -> None:
    data = build_hr(BuildHrOptions("web", repo=_repo("helm-values", tmp_path))).to_json()
    assert data["values"] == {
        "replicas": "**masked**",
        "image": {"repository": "**masked**", "tag": "**masked**", "pullPolicy": "**masked**"},
        "fromConfigMap": "**masked**",
        "fromSecret": "**masked**",
        "ingress": {"enabled": "**masked**", "host": "**masked**"},
        "labels": {"version": "**masked**"},
    }


def test_build_hr_missing_required_reference_fails(tmp_path: Path) -> None:
    options = _repo("helm-values", tmp_path)
    assert options.repo is not None
    hr = options.repo / "kubernetes" / "apps" / "web" / "helmrelease.yaml"
    hr.write_text(hr.read_text().replace("      optional: true\n", ""))
    result = build_hr(BuildHrOptions("web", show_secrets=True, repo=options))
    assert not result.values.ok
    assert result.to_json()["valuesFrom"][-1]["status"] == "failed"
    assert result.to_json()["values"] == EXPECTED_VALUES


def test_build_hr_values_are_read_as_yaml_1_1(tmp_path: Path) -> None:
    options = _repo("helm-values", tmp_path)
    assert options.repo is not None
    values = options.repo / "kubernetes" / "apps" / "web" / "values.yaml"
    values.write_text(values.read_text().replace("fromSecret: true", "fromSecret: yes"))
    result = build_hr(BuildHrOptions("web", show_secrets=True, repo=options))
    assert result.to_json()["values"]["fromSecret"] is True


# -- build all -----------------------------------------------------------------------------------------------


def test_build_all_writes_every_node_and_the_summary(tmp_path: Path) -> None:
    options = _repo("sources", tmp_path)
    out = tmp_path / "out"
    result = build_all(BuildAllOptions(out, repo=options))
    assert result.failed == 1
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        "default/ok.yaml",
        "flux-system/cluster-apps.yaml",
        "flux-system/missing.err",
        "flux-system/upstream-crds.err",
        "summary.json",
    ]
    assert (out / "flux-system" / "missing.err").read_text() == (
        "kubernetes/apps/missing/ks.yaml:2:1: path './kubernetes/apps/missing/app'"
        " not found in the source (expected a directory)\n"
    )
    assert "name: ok\n" in (out / "default" / "ok.yaml").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary == result.summary
    assert list(summary) == [
        "repository",
        "kustomizations",
        "clusters",
        "not_applied",
        "totals",
        "problems",
        "notes",
    ]
    assert summary["repository"] == str(options.repo)
    assert summary["kustomizations"][2] == {
        "name": "missing",
        "namespace": "flux-system",
        "cluster": "",
        "status": "failed",
        "file": "kubernetes/apps/missing/ks.yaml",
        "line": 2,
        "objects": 0,
        "unresolved": [],
        "error": "kubernetes/apps/missing/ks.yaml:2:1: path './kubernetes/apps/missing/app'"
        " not found in the source (expected a directory)",
        "output": "flux-system/missing",
    }
    assert summary["totals"] == {
        "kustomizations": 4,
        "applied": 4,
        "ok": 2,
        "failed": 1,
        "external": 1,
        "objects": 5,
        "unresolved": 0,
        "not_applied": 0,
    }
    assert summary["problems"] == []


def test_build_all_summary_lists_unresolved_names(tmp_path: Path) -> None:
    result = build_all(BuildAllOptions(None, repo=_repo("substitution", tmp_path)))
    rows = {r["name"]: r for r in result.summary["kustomizations"]}
    assert rows["strict"]["unresolved"] == ["NOT_DEFINED_ANYWHERE"]
    assert rows["missing-source"]["unresolved"] == ["<Secret flux-system/does-not-exist>"]
    assert result.summary["totals"]["unresolved"] == 2
    assert result.failed == 0


def test_build_all_rewrites_only_the_outputs_that_changed(tmp_path: Path) -> None:
    """A second ``build all -O`` into the same folder leaves an unchanged file as it was (same inode and
    modification time) and rewrites a file whose content differs (here: one edited by hand)."""
    repo = _repo("kustomize-features", tmp_path)
    out = tmp_path / "out"
    build_all(BuildAllOptions(output_dir=out, repo=repo))
    files = sorted(p for p in out.rglob("*.yaml"))
    assert len(files) >= 2
    edited, kept = files[0], files[1]
    expected = edited.read_bytes()
    edited.write_text("edited by hand\n", encoding="utf-8")
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}
    build_all(BuildAllOptions(output_dir=out, repo=repo))
    assert edited.read_bytes() == expected
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == before[kept]
    assert sorted(p for p in out.rglob("*.yaml")) == files
