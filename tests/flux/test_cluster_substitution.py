"""Post-build substitution in the tree: substituteFrom ConfigMap then Secret (a later source wins), inline
``substitute`` over all, optional and non-optional missing sources, ``${VAR:=default}``, the ``$${VAR}``
escape, the ``disabled`` label and annotation, and strict mode reporting each unset variable with the file and
line that uses it while every other Kustomization still builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.flux.cluster import ClusterBuild, Unresolved
from homeops.yaml.nodes import to_plain
from tests.flux.fluxrepos import NAME_LABEL, NAMESPACE_LABEL, build, checkout, node


@pytest.fixture
def cluster(tmp_path: Path) -> ClusterBuild:
    return build(checkout("substitution", tmp_path))


def _labels(name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {NAME_LABEL: name, NAMESPACE_LABEL: "flux-system", **(extra or {})}


def test_every_kustomization_builds(cluster: ClusterBuild) -> None:
    assert [(n.name, n.status) for n in cluster.nodes] == [
        ("cluster-apps", "ok"),
        ("missing-source", "ok"),
        ("other", "ok"),
        ("strict", "ok"),
        ("subst", "ok"),
    ]


def test_sources_in_order_inline_wins_default_and_escape(cluster: ClusterBuild) -> None:
    subst = node(cluster, "subst")
    assert subst.unresolved == []
    by_name = {o["metadata"]["name"]: to_plain(o) for o in subst.objects}
    assert by_name["substituted"] == {
        "apiVersion": "v1",
        "data": {
            "cmAndSecret": "from-secret",  # the Secret comes after the ConfigMap
            "defaulted": "fallback",  # ${UNSET_WITH_DEFAULT:=fallback}
            "encoded": "from-base64",  # Secret data is base64-decoded
            "escaped": "${FROM_CM}",  # $${FROM_CM}
            "everywhere": "from-inline",  # inline substitute wins over every source
            "fromCm": "cm-only",
        },
        "kind": "ConfigMap",
        "metadata": {"labels": _labels("subst"), "name": "substituted"},
    }


@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_substitution_disabled_by_label_or_annotation(cluster: ClusterBuild, field: str) -> None:
    by_name = {o["metadata"]["name"]: to_plain(o) for o in node(cluster, "subst").objects}
    obj = by_name[f"disabled-by-{field[:-1] if field == 'labels' else 'annotation'}"]
    assert obj["data"] == {"raw": "${FROM_CM}"}
    assert obj["metadata"][field]["kustomize.toolkit.fluxcd.io/substitute"] == "disabled"


def test_strict_unset_variable_is_reported_at_its_source_line(cluster: ClusterBuild) -> None:
    strict = node(cluster, "strict")
    assert strict.unresolved == [
        Unresolved(
            variable="NOT_DEFINED_ANYWHERE",
            object="ConfigMap/strict",
            file="kubernetes/apps/strict/app/configmap.yaml",
            line=7,
            column=3,
            reason="not set",
        )
    ]
    source = Path(cluster.repo.root, "kubernetes/apps/strict/app/configmap.yaml").read_text().splitlines()
    assert source[7 - 1] == "  unknown: prefix-${NOT_DEFINED_ANYWHERE}"
    assert to_plain(strict.objects[0]["data"]) == {"known": "cm-only", "unknown": "prefix-"}


def test_non_optional_missing_source_is_reported(cluster: ClusterBuild) -> None:
    missing = node(cluster, "missing-source")
    assert missing.unresolved == [
        Unresolved(
            variable="<Secret flux-system/does-not-exist>",
            object="Kustomization/flux-system/missing-source",
            file="kubernetes/apps/missing-source/ks.yaml",
            line=2,
            column=1,
            reason="substituteFrom Secret flux-system/does-not-exist not found",
        )
    ]
    assert to_plain(missing.objects[0]["data"]) == {"local": "here"}


def test_optional_missing_source_is_fine(cluster: ClusterBuild) -> None:
    # subst lists ConfigMap not-there with optional: true: nothing reported, the others still apply.
    assert node(cluster, "subst").unresolved == []


def test_unset_variable_without_post_build_is_left_alone(tmp_path: Path) -> None:
    repo = checkout("substitution", tmp_path)
    cm = repo / "kubernetes" / "apps" / "other" / "app" / "configmap.yaml"
    cm.write_text(cm.read_text() + "  untouched: ${NO_POST_BUILD}\n")
    other = node(build(repo), "other")
    assert other.unresolved == []
    assert other.objects[0]["data"]["untouched"] == "${NO_POST_BUILD}"


def test_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    repo = checkout("substitution", tmp_path)
    (repo / "kubernetes" / "apps" / "strict" / "app" / "configmap.yaml").write_text("kind: [broken\n")
    cluster = build(repo)
    assert node(cluster, "strict").status == "failed"
    assert "kubernetes/apps/strict/app/configmap.yaml" in node(cluster, "strict").error
    assert {n.name: n.status for n in cluster.nodes if n.name != "strict"} == {
        "cluster-apps": "ok",
        "missing-source": "ok",
        "other": "ok",
        "subst": "ok",
    }
