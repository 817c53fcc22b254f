"""`homeops diff` on a real home-ops repository (skipped without /work/shared): one chart version bump and
one image tag bump in a second commit must show exactly those two resources as changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from homeops.diff.api import DiffOptions, diff
from homeops.flux.api import RepoOptions
from tests.diff.gitrepo import commit_all, edit, git
from tests.flux.fluxrepos import CORPUS, isolate_keys

REPO = CORPUS / "onedr0p__home-ops"
OCI = "kubernetes/apps/o11y/kromgo/app/ocirepository.yaml"
HR = "kubernetes/apps/default/atuin/app/helmrelease.yaml"
OLD_IMAGE_TAG = "tag: 18.19.0@sha256:4d0ccca1d151f860b3f469c60df78bf1ab798f15e88dc1912d31d6741653eb99"


@pytest.mark.skipif(not (REPO / OCI).is_file(), reason="needs the shared corpus (/work/shared/corpus)")
def test_chart_and_image_bump_show_exactly_those(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_keys(monkeypatch, tmp_path)
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "base")
    edit(repo, OCI, "    tag: 0.16.0", "    tag: 0.17.0")
    edit(repo, HR, OLD_IMAGE_TAG, "tag: 18.20.0")
    commit_all(repo, "bump")
    result = diff(DiffOptions(base="HEAD~1", head="HEAD", repo=RepoOptions(repo=repo)))
    assert {c.ref: c.change for c in result.changes} == {
        "OCIRepository/o11y/kromgo": "changed",
        "HelmRelease/default/atuin": "changed",
    }
    assert [(i.object, i.new) for i in result.images] == [
        ("HelmRelease/default/atuin", "ghcr.io/atuinsh/atuin:18.20.0")
    ]
    assert [f.code for f in result.findings] == ["HO306"]  # 0.16 -> 0.17 is breaking below 1.0
    files = diff(DiffOptions(base="HEAD~1", head="HEAD", files_only=True, repo=RepoOptions(repo=repo))).files
    assert files is not None
    assert list(files.kustomizations) == ["Kustomization/default/atuin", "Kustomization/o11y/kromgo"]
    assert list(files.helmreleases) == ["HelmRelease/default/atuin"]
    same = diff(DiffOptions(base="HEAD", head="main", repo=RepoOptions(repo=repo)))
    assert not same.has_differences
