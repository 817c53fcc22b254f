"""`homeops diff` never hides a failure: a Kustomization that fails to build on the base, the head or both is
a finding (HO308) in every output format, its objects are neither added nor removed because of it, an
external Kustomization is listed as not compared, and a side that builds nothing is an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.cli.diff_cmd import diff_command
from homeops.diff.api import DiffOptions, DiffResult, diff
from homeops.diff.render import render_json, render_markdown, render_text
from homeops.errors import BuildError, HomeopsError, UsageError
from homeops.findings import Severity
from homeops.flux.api import RepoOptions
from tests.diff.gitrepo import FILES, commit_all, configmap, edit, git, make_repo, write
from tests.flux.fluxrepos import isolate_keys

WEB = "kubernetes/apps/web/app"
DB = "kubernetes/apps/db/app"
REMOTE_GENERATOR = (
    "configMapGenerator:\n  - name: remote\n    files:\n      - https://example.com/config.ini\n"
)
EXTRA_ROOT = {
    "kubernetes/flux/cluster/extra.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: extra
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/extra
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "kubernetes/extra/cm.yaml": configmap("extra", "default"),
}


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def run(repo: Path, base: str = "HEAD", **kwargs: object) -> DiffResult:
    return diff(DiffOptions(base=base, repo=RepoOptions(repo=repo), **kwargs))  # type: ignore[arg-type]


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    res = CliRunner().invoke(
        diff_command, [*args, "--repo", str(repo)], standalone_mode=False, catch_exceptions=False
    )
    return (res.return_value if isinstance(res.return_value, int) else 0), res.output


def failures(result: DiffResult) -> dict[str, str]:
    """object -> message of every HO308 finding."""
    return {f.object: f.message for f in result.findings if f.code == "HO308"}


def break_web(repo: Path) -> None:
    """web's kustomization.yaml still lists pvc.yaml, which is gone."""
    (repo / f"{WEB}/pvc.yaml").unlink()


def break_db(repo: Path) -> None:
    """db generates a ConfigMap from a remote URL (never fetched)."""
    edit(repo, f"{DB}/kustomization.yaml", "resources:", REMOTE_GENERATOR + "resources:")


def assert_in_every_format(result: DiffResult, *words: str) -> None:
    for out in (render_text(result), render_json(result), render_markdown(result)):
        for word in words:
            assert word in out, (word, out)


# -- one side fails ---------------------------------------------------------------------------------------


def test_head_failure_is_a_finding_and_hides_nothing_as_removed(repo: Path) -> None:
    break_web(repo)
    edit(repo, f"{DB}/configmap.yaml", '"100"', '"200"')  # an unrelated change is still reported
    result = run(repo)
    assert {c.ref: c.change for c in result.changes} == {"ConfigMap/db/postgres-conf": "changed"}
    found = [f for f in result.findings if f.code == "HO308"]
    assert len(found) == 1
    f = found[0]
    assert (f.severity, f.rule, f.object) == (Severity.ERROR, "build-failed", "Kustomization/flux-system/web")
    assert (f.file, f.line) == ("kubernetes/apps/web/ks.yaml", 1)
    assert "fails to build on the head" in f.message and "pvc.yaml" in f.message
    assert "could not compare 6 objects under it" in f.message  # what the base applies under web
    assert "/tmp" not in f.message and str(repo) not in f.message
    assert [f.code for f in result.findings] == ["HO308"]  # nothing of web reported as pruned (HO304)
    [entry] = result.to_json()["not_compared"]
    assert entry == {
        "object": "Kustomization/flux-system/web",
        "cluster": "",
        "side": "head",
        "status": "failed",
        "error": entry["error"],
        "objects": 6,
        "file": "kubernetes/apps/web/ks.yaml",
        "line": 1,
    }
    assert "pvc.yaml" in entry["error"]
    assert_in_every_format(result, "HO308", "Kustomization/flux-system/web", "fails to build on the head")
    for fmt in ("text", "json", "markdown"):
        code, out = invoke(repo, "--base", "HEAD", "-o", fmt)
        assert code == 1 and "HO308" in out and "pvc.yaml" in out


def test_base_failure_objects_are_not_added(repo: Path) -> None:
    break_db(repo)
    commit_all(repo, "broken db")
    edit(repo, f"{DB}/kustomization.yaml", REMOTE_GENERATOR, "")  # the work tree fixes it
    result = run(repo)
    assert result.changes == []  # the StatefulSet and ConfigMap of db are not "added"
    message = failures(result)["Kustomization/flux-system/db"]
    assert "fails to build on the base" in message and "https://example.com/config.ini" in message
    assert "could not compare 2 objects under it" in message
    assert result.has_differences
    assert_in_every_format(result, "HO308", "fails to build on the base", "example.com/config.ini")
    assert [n["side"] for n in result.to_json()["not_compared"]] == ["base"]


def test_failure_on_both_sides_with_different_errors(repo: Path) -> None:
    break_web(repo)
    commit_all(repo, "broken web")
    write(repo, {f"{WEB}/pvc.yaml": FILES[f"{WEB}/pvc.yaml"]})  # fixed on the head, but another is missing
    edit(repo, f"{WEB}/kustomization.yaml", "  - ./widget.yaml\n", "  - ./widget.yaml\n  - ./gone.yaml\n")
    edit(repo, f"{DB}/configmap.yaml", '"100"', '"300"')
    result = run(repo)
    message = failures(result)["Kustomization/flux-system/web"]
    assert "fails to build on both sides" in message
    assert "base: " in message and "pvc.yaml" in message and "; head: " in message and "gone.yaml" in message
    assert "its objects could not be compared" in message
    assert {c.ref for c in result.changes} == {"ConfigMap/db/postgres-conf"}
    assert result.to_json()["not_compared"][0]["side"] == "both"
    assert_in_every_format(result, "fails to build on both sides")


def test_same_failure_on_both_sides_is_still_reported(repo: Path) -> None:
    break_web(repo)
    commit_all(repo, "broken web")
    edit(repo, f"{DB}/configmap.yaml", '"100"', '"300"')
    result = run(repo)
    message = failures(result)["Kustomization/flux-system/web"]
    assert "fails to build on both sides: " in message and "base:" not in message  # one error, said once
    assert "pvc.yaml" in message
    assert invoke(repo, "--base", "HEAD", "-o", "json")[0] == 1


def test_failing_parent_leaves_its_whole_subtree_out(repo: Path) -> None:
    write(repo, EXTRA_ROOT)
    commit_all(repo, "a second root")
    (repo / "kubernetes/apps/settings.yaml").unlink()  # cluster-apps (web, db and crds under it) fails
    edit(repo, "kubernetes/extra/cm.yaml", "name: extra", "name: extra2")
    result = run(repo)
    assert {c.ref: c.change for c in result.changes} == {
        "ConfigMap/default/extra2": "added",
        "ConfigMap/default/extra": "removed",
    }
    assert list(failures(result)) == ["Kustomization/flux-system/cluster-apps"]
    # cluster-apps' own 5 objects, then crds 1, web 6 and db 2 on the base
    assert (
        "could not compare 14 objects under it" in failures(result)["Kustomization/flux-system/cluster-apps"]
    )
    # nothing because of the failure (no HO301 for its variables, no HO304 for its objects)
    assert [(f.code, f.object) for f in result.findings] == [
        ("HO304", "ConfigMap/default/extra"),
        ("HO308", "Kustomization/flux-system/cluster-apps"),
    ]


def test_scoped_diff_keeps_the_failure_of_its_kustomization(repo: Path) -> None:
    break_web(repo)
    edit(repo, f"{DB}/configmap.yaml", '"100"', '"200"')
    assert list(failures(run(repo, target="ks", name="web"))) == ["Kustomization/flux-system/web"]
    assert failures(run(repo, target="ks", name="db")) == {}
    assert list(failures(run(repo, target="hr", name="web-app"))) == ["Kustomization/flux-system/web"]
    assert list(failures(run(repo, namespace="db"))) == ["Kustomization/flux-system/web"]  # all -n: kept


# -- external Kustomizations ------------------------------------------------------------------------------

EXTERNAL_KS = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: upstream
  namespace: flux-system
spec:
  interval: 1h
  url: https://github.com/example/upstream
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: upstream
  namespace: flux-system
spec:
  interval: 1h
  path: ./deploy
  prune: true
  sourceRef:
    kind: GitRepository
    name: upstream
"""


def test_external_on_both_sides_is_listed_not_failed(repo: Path) -> None:
    write(repo, {"kubernetes/apps/upstream.yaml": EXTERNAL_KS})
    edit(
        repo,
        "kubernetes/apps/kustomization.yaml",
        "  - ./db/ks.yaml\n",
        "  - ./db/ks.yaml\n  - ./upstream.yaml\n",
    )
    commit_all(repo, "upstream")
    (repo / "README.md").write_text("# notes\n")
    result = run(repo)
    assert result.changes == [] and result.findings == []
    assert not result.has_differences
    [entry] = result.to_json()["not_compared"]
    assert (entry["object"], entry["status"], entry["side"]) == (
        "Kustomization/flux-system/upstream",
        "external",
        "both",
    )
    assert "Not compared" in render_text(result) and "Kustomization/flux-system/upstream" in render_text(
        result
    )
    assert "Not compared" in render_markdown(result) and "No differences." in render_markdown(result)
    assert invoke(repo, "--base", "HEAD")[0] == 0


def test_external_on_one_side_is_not_reported_as_removed(repo: Path) -> None:
    write(repo, {"kubernetes/apps/upstream.yaml": EXTERNAL_KS.split("---\n")[0]})
    edit(
        repo,
        "kubernetes/apps/kustomization.yaml",
        "  - ./db/ks.yaml\n",
        "  - ./db/ks.yaml\n  - ./upstream.yaml\n",
    )
    commit_all(repo, "upstream source")
    edit(repo, "kubernetes/apps/db/ks.yaml", "name: flux-system", "name: upstream")
    result = run(repo)
    assert {c.ref: c.change for c in result.changes} == {"Kustomization/flux-system/db": "changed"}
    assert failures(result) == {}
    [entry] = [n for n in result.not_compared if n.ref == "Kustomization/flux-system/db"]
    assert (entry.status, entry.side, entry.objects) == ("external", "head", 2)
    assert "could not compare 2 objects" in render_text(result)


# -- a side that builds nothing ---------------------------------------------------------------------------


def test_head_builds_nothing_is_an_error(repo: Path) -> None:
    (repo / "kubernetes/apps/settings.yaml").unlink()  # the only root fails: nothing builds on the head
    with pytest.raises(BuildError) as info:
        run(repo)
    assert (
        "the head (work tree)" in info.value.message
        and "every Flux Kustomization fails" in info.value.message
    )
    assert "settings.yaml" in info.value.message
    assert info.value.hint and "homeops build all" in info.value.hint
    with pytest.raises(BuildError):
        run(repo, files_only=True)


def test_base_reaching_no_kustomization_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "README.md": "# empty\n",
            "kubernetes/apps/cm.yaml": configmap("x"),
        },
    )
    edit(repo, "kubernetes/apps/cm.yaml", "name: x", "name: y")
    with pytest.raises(HomeopsError) as info:
        run(repo)
    assert not isinstance(info.value, UsageError)
    assert "reaches no Flux Kustomization" in info.value.message
    assert "the base (HEAD)" in info.value.message and "the head (work tree)" in info.value.message
    assert info.value.hint and "--root" in info.value.hint


def test_cli_nothing_built_exits_one_with_the_error(repo: Path) -> None:
    from homeops.cli.main import main

    (repo / "kubernetes/apps/settings.yaml").unlink()
    with pytest.raises(SystemExit) as info:
        main(["diff", "--base", "HEAD", "--repo", str(repo)])
    assert info.value.code == 1


def test_json_shape_with_failure(repo: Path) -> None:
    break_web(repo)
    data = json.loads(invoke(repo, "--base", "HEAD", "-o", "json")[1])
    assert set(data) == {"changes", "images", "findings", "not_compared"}
    assert [f["code"] for f in data["findings"]] == ["HO308"]


def test_a_source_known_by_its_remote_url_is_this_repository_on_both_sides(tmp_path: Path) -> None:
    files = dict(FILES)
    files["kubernetes/apps/self.yaml"] = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: home-ops
  namespace: flux-system
spec:
  interval: 1h
  url: https://github.com/example/home-ops
  ref:
    branch: main
"""
    files["kubernetes/apps/kustomization.yaml"] += "  - ./self.yaml\n"
    files["kubernetes/apps/db/ks.yaml"] = files["kubernetes/apps/db/ks.yaml"].replace(
        "    name: flux-system\n", "    name: home-ops\n"
    )
    repo = make_repo(tmp_path, files)
    git(repo, "remote", "add", "origin", "git@github.com:example/home-ops.git")
    edit(repo, f"{DB}/configmap.yaml", '"100"', '"200"')
    for head in (None, "HEAD"):
        if head is not None:
            commit_all(repo, "head")
        result = run(repo, base="HEAD" if head is None else "HEAD~1", head=head)
        assert result.not_compared == []  # the base, read from Git's objects, knows the remote too
        assert {c.ref: c.change for c in result.changes} == {"ConfigMap/db/postgres-conf": "changed"}
