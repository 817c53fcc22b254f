"""Each breaking-change rule on a real Git repository: the edit made on the head, the rule it must trigger
(with severity and the words its message must hold), and edits that must not trigger it."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.diff.api import DiffOptions, diff
from homeops.diff.render import render_json, render_markdown, render_text
from homeops.findings import Finding, Severity
from homeops.flux.api import RepoOptions
from homeops.rules.registry import find_rule, rules_of_kind
from tests.diff.gitrepo import edit, make_repo
from tests.flux.fluxrepos import isolate_keys

WEB = "kubernetes/apps/web/app"
Edit = tuple[str, str, str]


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


def findings_after(tmp_path: Path, edits: list[Edit]) -> list[Finding]:
    repo = make_repo(tmp_path)
    for rel, old, new in edits:
        edit(repo, rel, old, new)
    result = diff(DiffOptions(base="HEAD", repo=RepoOptions(repo=repo)))
    for out in (render_text(result), render_json(result), render_markdown(result)):
        for f in result.findings:
            assert f.code in out
    return result.findings


RENAME_SETTING = ("kubernetes/apps/settings.yaml", "TIMEZONE: Europe/Paris", "TZ: Europe/Paris")

BREAKING: list[tuple[str, list[Edit], str, Severity, tuple[str, ...]]] = [
    ("placeholder renamed in one place", [RENAME_SETTING], "HO301", Severity.ERROR,
     ("${TIMEZONE}", "renamed to ${TZ}", "deployment.yaml")),
    ("placeholder removed", [("kubernetes/apps/settings.yaml", "  TIMEZONE: Europe/Paris\n", "  OTHER: x\n")],
     "HO301", Severity.ERROR, ("${TIMEZONE}", "removed or renamed")),
    ("pvc storage class", [(f"{WEB}/pvc.yaml", "ceph-block", "nfs-csi")], "HO302", Severity.ERROR,
     ("PVC migration required", "web-data", "ceph-block", "nfs-csi")),
    ("pvc shrinks", [(f"{WEB}/pvc.yaml", "10Gi", "5Gi")], "HO302", Severity.ERROR,
     ("PVC migration required", "web-data", "shrinks")),
    ("persistence pvc to emptyDir",
     [(f"{WEB}/helmrelease.yaml", "existingClaim: web-config", "type: emptyDir")],
     "HO302", Severity.ERROR, ("PVC migration required", "web-config", "from PVC to emptyDir")),
    ("deployment selector", [(f"{WEB}/deployment.yaml", "app: web\n  template", "app: web2\n  template")],
     "HO303", Severity.ERROR, ("spec.selector", "Deployment/default/web", "Flux will wedge")),
    ("service to ExternalName", [(f"{WEB}/service.yaml", "type: ClusterIP", "type: ExternalName")],
     "HO303", Severity.ERROR, ("spec.type", "Service/default/web")),
    ("statefulset serviceName",
     [("kubernetes/apps/db/app/statefulset.yaml", "serviceName: postgres", "serviceName: pg")],
     "HO303", Severity.ERROR, ("spec.serviceName", "StatefulSet/db/postgres")),
    ("pvc access modes", [(f"{WEB}/pvc.yaml", "ReadWriteOnce", "ReadWriteMany")], "HO303", Severity.ERROR,
     ("spec.accessModes",)),
    ("pruned pvc", [(f"{WEB}/kustomization.yaml", "  - ./pvc.yaml\n", "")], "HO304", Severity.ERROR,
     ("PersistentVolumeClaim/default/web-data", "prune: true", "data is lost")),
    ("orphaned configmap", [("kubernetes/apps/db/app/kustomization.yaml", "  - ./configmap.yaml\n", "")],
     "HO304", Severity.WARNING, ("ConfigMap/db/postgres-conf", "prune: false", "orphaned")),
    ("suspended", [("kubernetes/apps/web/ks.yaml", "  prune: true\n", "  prune: true\n  suspend: true\n")],
     "HO305", Severity.WARNING, ("Kustomization/flux-system/web", "suspended")),
    ("chart major bump", [(f"{WEB}/helmrelease.yaml", "version: 3.7.3", "version: 4.0.1")], "HO306",
     Severity.WARNING, ("app-template", "3.7.3 -> 4.0.1")),
    ("dependency removed", [("kubernetes/apps/web/ks.yaml", "  dependsOn:\n    - name: crds\n", "")], "HO307",
     Severity.ERROR, ("Kustomization/flux-system/crds", "Widget")),
]  # fmt: skip


@pytest.mark.parametrize(("edits", "code", "severity", "words"), [c[1:] for c in BREAKING],
                         ids=[c[0] for c in BREAKING])  # fmt: skip
def test_breaking_change_is_flagged(
    tmp_path: Path, edits: list[Edit], code: str, severity: Severity, words: tuple[str, ...]
) -> None:
    found = [f for f in findings_after(tmp_path, edits) if f.code == code]
    assert found, f"{code} not reported"
    assert {f.severity for f in found} == {severity}
    text = " ".join(f"{f.message} {f.object} {f.file} {f.field}" for f in found)
    for word in words:
        assert word in text, (word, text)
    assert all(f.file and f.line > 0 for f in found)


def test_placeholder_use_in_template_guide_is_flagged(tmp_path: Path) -> None:
    found = findings_after(tmp_path, [RENAME_SETTING, (f"{WEB}/deployment.yaml", "${TIMEZONE}", "${TZ}")])
    assert [(f.code, f.file, f.line) for f in found] == [("HO301", "TEMPLATE_GUIDE.md", 3)]


NOT_BREAKING: list[tuple[str, list[Edit]]] = [
    ("placeholder renamed everywhere", [
        RENAME_SETTING,
        (f"{WEB}/deployment.yaml", "${TIMEZONE}", "${TZ}"),
        ("TEMPLATE_GUIDE.md", "${TIMEZONE}", "${TZ}"),
    ]),
    ("pvc grows", [(f"{WEB}/pvc.yaml", "10Gi", "20Gi")]),
    ("chart minor bump", [(f"{WEB}/helmrelease.yaml", "version: 3.7.3", "version: 3.8.0")]),
    ("image bump", [(f"{WEB}/deployment.yaml", "nginx:1.25.0", "nginx:1.26.0")]),
    ("dependency kept", [("kubernetes/apps/web/ks.yaml", "  interval: 1h\n", "  interval: 2h\n")]),
]  # fmt: skip


@pytest.mark.parametrize("edits", [c[1] for c in NOT_BREAKING], ids=[c[0] for c in NOT_BREAKING])
def test_safe_change_is_not_flagged(tmp_path: Path, edits: list[Edit]) -> None:
    assert findings_after(tmp_path, edits) == []


def test_every_diff_rule_is_documented() -> None:
    rules = rules_of_kind("diff")
    assert [r.code for r in rules] == [f"HO30{i}" for i in range(1, 9)]
    for rule in rules:
        assert rule.section("Why") and rule.section("Bad") and rule.section("Good")
        assert find_rule(rule.name) is rule


def test_rules_of_a_kind_are_those_of_the_registry() -> None:
    # rules_of_kind imports one package only: every rule of a kind must live in the package of that kind
    from homeops.rules.registry import all_rules

    for kind in ("validate", "diff"):
        assert rules_of_kind(kind) == tuple(r for r in all_rules() if r.kind == kind)
        assert rules_of_kind(kind)
    assert rules_of_kind("nothing") == ()
