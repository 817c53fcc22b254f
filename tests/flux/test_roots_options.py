"""--root (several), --cluster and --source-root as the user gives them, local charts, and the output of a
tree with nothing applied: every case is either done or said (usage errors exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.cli.main import main
from homeops.errors import UsageError
from homeops.flux.api import BuildAllOptions, GetOptions, RepoOptions, build_all, get
from homeops.flux.sources import git_remote_urls, normalize_url
from tests.flux.layouts_helpers import checkout


def _statuses(repo: Path, **kw: object) -> list[tuple[str, str, str]]:
    rows = get(GetOptions("ks", repo=RepoOptions(repo=repo, **kw))).rows  # type: ignore[arg-type]
    return sorted((r["cluster"], r["name"], r["status"]) for r in rows)


def test_several_roots_are_all_kept(tmp_path: Path) -> None:
    repo = checkout("multi-cluster", tmp_path)
    both = _statuses(repo, roots=("clusters/staging", "clusters/production"))
    one = _statuses(repo, roots=("clusters/staging",))
    assert both == sorted((c, n, "ok") for c in ("production", "staging") for n in ("flux-system", "apps"))
    # the other cluster's Kustomizations are said to be outside the selection, not silently dropped
    assert one == [
        ("", "apps", "not-selected"),
        ("", "apps", "ok"),
        ("", "flux-system", "not-selected"),
        ("", "flux-system", "ok"),
    ]


@pytest.mark.parametrize("root", ["/etc", "../outside", "clusters/nowhere"])
def test_a_root_outside_the_repository_or_missing_is_a_usage_error(tmp_path: Path, root: str) -> None:
    repo = checkout("multi-cluster", tmp_path)
    (tmp_path / "outside").mkdir()
    with pytest.raises(UsageError, match=r"--root .* (is outside|does not exist)"):
        get(GetOptions("ks", repo=RepoOptions(repo=repo, roots=(root,))))
    with pytest.raises(SystemExit) as exc:
        main(["get", "ks", "-A", "--repo", str(repo), "--root", root])
    assert exc.value.code == 2


def test_a_root_without_kustomizations_is_a_usage_error(tmp_path: Path) -> None:
    repo = checkout("multi-cluster", tmp_path)
    with pytest.raises(UsageError, match="no Flux Kustomization or FluxInstance is defined under apps/base"):
        get(GetOptions("ks", repo=RepoOptions(repo=repo, roots=("apps/base",))))


def test_unknown_cluster_names_the_known_ones(tmp_path: Path) -> None:
    repo = checkout("multi-cluster", tmp_path)
    with pytest.raises(UsageError, match="no cluster named 'qa'") as exc:
        get(GetOptions("ks", repo=RepoOptions(repo=repo, cluster="qa")))
    assert exc.value.hint is not None and "production" in exc.value.hint and "staging" in exc.value.hint


def test_empty_tree_still_writes_the_summary(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    out = tmp_path / "out" / "nested"
    result = build_all(BuildAllOptions(out, repo=RepoOptions(repo=repo)))
    summary = json.loads((out / "summary.json").read_text())
    assert summary == result.summary
    assert summary["totals"]["applied"] == 0 and summary["kustomizations"] == []


def test_output_dir_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    repo = checkout("bootstrap-self-root", tmp_path)
    target = tmp_path / "file"
    target.write_text("keep me\n")
    with pytest.raises(UsageError, match="exists and is not a directory"):
        build_all(BuildAllOptions(target, repo=RepoOptions(repo=repo)))
    assert target.read_text() == "keep me\n"


def _chart_repo(tmp_path: Path, templates: bool) -> Path:
    repo = checkout("bootstrap-self-root", tmp_path)
    (repo / "charts" / "app").mkdir(parents=True)
    (repo / "charts" / "app" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    if templates:
        (repo / "charts" / "app" / "templates").mkdir()
    (repo / "apps" / "release.yaml").write_text(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata: {name: app, namespace: default}\n"
        "spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: ./charts/app\n"
        "      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}\n"
    )
    return repo


def test_a_chart_of_this_repository_resolves_to_its_directory(tmp_path: Path) -> None:
    repo = _chart_repo(tmp_path, templates=True)
    (row,) = get(GetOptions("hr", repo=RepoOptions(repo=repo))).rows
    assert row["chart"]["local"] == "charts/app" and row["chart"]["problem"] == ""


def test_a_local_chart_without_templates_is_said(tmp_path: Path) -> None:
    repo = _chart_repo(tmp_path, templates=False)
    (row,) = get(GetOptions("hr", repo=RepoOptions(repo=repo))).rows
    assert "has no templates/ directory" in row["chart"]["problem"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/Owner/Repo.git", "github.com/Owner/Repo"),
        ("ssh://git@github.com/Owner/Repo", "github.com/Owner/Repo"),
        ("git@github.com:Owner/Repo.git", "github.com/Owner/Repo"),
        ("https://user:token@GitHub.com:443/Owner/Repo/", "github.com/Owner/Repo"),
        ("oci://ghcr.io/owner/manifests", "ghcr.io/owner/manifests"),
        ("", ""),
    ],
)
def test_url_spellings_of_one_repository_compare_equal(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_remote_urls_skip_local_paths(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = git@github.com:me/home.git\n[remote "local"]\n\turl = /srv/mirror\n'
    )
    assert git_remote_urls(tmp_path) == ("github.com/me/home",)
