"""``validate --base REF`` reports only what the change reaches: the Kustomizations it changes, those that
depend on them (dependsOn, substitution sources, Secrets/ConfigMaps their objects use), and changed files.
Real git repositories made at test time."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.validate.engine import ValidateOptions, ValidateResult, validate
from tests.diff.gitrepo import commit_all, edit, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def _run(repo: Path, base: str | None = "HEAD") -> ValidateResult:
    return validate(ValidateOptions(repo=repo, base=base, cache=True))


def _files(result: ValidateResult) -> set[str]:
    return {f.file for f in result.findings}


def test_no_change_reports_nothing(repo: Path) -> None:
    full = _run(repo, None)
    assert full.findings, "the fixture has findings to hide"
    scoped = _run(repo)
    assert scoped.findings == []
    assert scoped.extra["base"]["changed"] == []
    assert scoped.extra["base"]["findings_outside"] == len(full.findings)


def test_a_change_in_one_app_keeps_its_findings_only(repo: Path) -> None:
    edit(repo, "kubernetes/apps/db/app/statefulset.yaml", "postgres:16.1", "postgres:16.2")
    result = _run(repo)
    assert result.extra["base"]["changed"] == ["Kustomization/flux-system/db"]
    assert result.extra["base"]["affected"] == ["Kustomization/flux-system/db"]
    full = {f.file for f in _run(repo, None).findings}
    assert _files(result) == {f for f in full if f.startswith("kubernetes/apps/db/")}
    assert any(f.startswith("kubernetes/apps/web/") for f in full)


def test_dependents_through_depends_on_are_reached(repo: Path) -> None:
    crd = repo / "kubernetes/apps/crds/app/crd.yaml"
    crd.write_text(crd.read_text().replace("  names:", "  # a changed CRD\n  names:", 1))
    assert "# a changed CRD" in crd.read_text()
    result = _run(repo)
    assert "Kustomization/flux-system/crds" in result.extra["base"]["changed"]
    assert "Kustomization/flux-system/web" in result.extra["base"]["affected"]  # dependsOn crds
    assert "Kustomization/flux-system/db" not in result.extra["base"]["affected"]
    assert any(f.startswith("kubernetes/apps/web/") for f in _files(result))


def test_a_committed_change_against_an_older_ref(repo: Path) -> None:
    edit(repo, "kubernetes/apps/db/app/statefulset.yaml", "postgres:16.1", "postgres:16.2")
    commit_all(repo, "bump postgres")
    result = _run(repo, "HEAD~1")
    assert result.extra["base"]["changed"] == ["Kustomization/flux-system/db"]


def test_a_substitution_source_reaches_its_users(repo: Path) -> None:
    edit(repo, "kubernetes/apps/settings.yaml", "Europe/Paris", "Europe/Berlin")
    result = _run(repo)
    reach = result.extra["base"]
    assert "Kustomization/flux-system/web" in reach["affected"]  # substituteFrom cluster-settings
    assert "Kustomization/flux-system/db" not in reach["affected"]
