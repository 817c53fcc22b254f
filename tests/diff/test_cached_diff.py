"""diff with the build cache: the base ref's checkout finds the work tree's entries, objects of
Kustomizations whose build keys are equal are not compared again, and the result is the same as without
the cache, cold and warm."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.diff.api import DiffOptions, DiffResult, diff
from homeops.diff.objects import Item, ObjKey
from homeops.flux.api import RepoOptions
from tests.diff.gitrepo import edit, make_repo


def _run(repo: Path, cache: bool) -> DiffResult:
    return diff(DiffOptions(base="HEAD", repo=RepoOptions(repo=repo, cache=cache)))


def _shape(result: DiffResult) -> list[tuple[str, str, str, str]]:
    return [(c.ref, c.change, c.diff, c.values_diff) for c in result.changes]


def test_cached_diff_equals_the_uncached_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path / "cache"))
    repo = make_repo(tmp_path)
    edit(repo, "kubernetes/apps/db/app/statefulset.yaml", "postgres:16.1", "postgres:16.2")
    plain = _run(repo, cache=False)
    assert plain.changes and all("postgres" in c.ref for c in plain.changes)
    cold, warm = _run(repo, cache=True), _run(repo, cache=True)
    assert _shape(cold) == _shape(warm) == _shape(plain)
    assert [f.code for f in warm.findings] == [f.code for f in plain.findings]


def test_unchanged_kustomizations_share_build_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import homeops.diff.api as api

    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path / "cache"))
    repo = make_repo(tmp_path)
    edit(repo, "kubernetes/apps/db/app/statefulset.yaml", "postgres:16.1", "postgres:16.2")
    seen: list[frozenset[ObjKey]] = []
    original = api._unchanged

    def spy(base: dict[ObjKey, Item], head: dict[ObjKey, Item]) -> frozenset[ObjKey]:
        found = original(base, head)
        seen.append(found)
        return found

    monkeypatch.setattr(api, "_unchanged", spy)
    _run(repo, cache=True)
    (skipped,) = seen
    refs = {k.ref for k in skipped}
    assert "Deployment/default/web" in refs  # the web app did not change: not compared again
    assert "StatefulSet/default/postgres" not in refs


def test_markdown_groups_one_chart_bump_across_helmreleases(tmp_path: Path) -> None:
    from homeops.diff.render import render_markdown
    from tests.diff.gitrepo import commit_all, write

    hr = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: {name}, namespace: default}}
spec:
  interval: 1h
  chart:
    spec: {{chart: app-template, version: 5.0.1, sourceRef: {{kind: HelmRepository, name: bjw-s}}}}
"""
    repo = make_repo(tmp_path)
    names = [f"app{i}" for i in range(3)]
    write(repo, {f"kubernetes/apps/db/app/{n}.yaml": hr.format(name=n) for n in names})
    kfile = repo / "kubernetes/apps/db/app/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "".join(f"  - ./{n}.yaml\n" for n in names))
    commit_all(repo, "three apps")
    for n in names:
        edit(repo, f"kubernetes/apps/db/app/{n}.yaml", "version: 5.0.1", "version: 5.1.0")
    text = render_markdown(_run(repo, cache=False), 60000)
    assert "#### Charts" in text
    assert "| `app-template` | `5.0.1` | `5.1.0` | 3 HelmReleases: same bump |" in text


def test_values_from_a_configmap_are_shown_as_computed_values(tmp_path: Path) -> None:
    from tests.diff.gitrepo import commit_all, write

    repo = make_repo(tmp_path)
    hr = repo / "kubernetes/apps/web/app/helmrelease.yaml"
    hr.write_text(
        hr.read_text().replace(
            "  values:\n", "  valuesFrom:\n    - {kind: ConfigMap, name: web-values}\n  values:\n", 1
        )
    )
    values = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-values\n"
    values += "data:\n  values.yaml: 'replicas: 1'\n"
    write(repo, {"kubernetes/apps/web/app/web-values.yaml": values})
    kfile = repo / "kubernetes/apps/web/app/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "  - ./web-values.yaml\n")
    commit_all(repo, "values from a ConfigMap")
    edit(repo, "kubernetes/apps/web/app/web-values.yaml", "replicas: 1", "replicas: 3")
    result = _run(repo, cache=False)
    (change,) = [c for c in result.changes if c.kind == "HelmRelease"]
    assert "+replicas: 3" in change.values_diff  # the computed values show what the ConfigMap changed
