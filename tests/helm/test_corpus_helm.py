"""On every corpus repository, with an empty chart store, the Helm stage runs to the end and gives every
HelmRelease a status: the charts of remote sources are "not in store" (naming `homeops charts pull`), the
local charts of this repository render (or are reported when they have no templates). Skipped without
../shared/corpus or without Helm v4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.flux.api import RepoOptions
from homeops.flux.cluster import build_cluster
from homeops.helm.render import HelmUnavailableError, find_helm
from tests.flux.fluxrepos import CORPUS

pytestmark = pytest.mark.corpus

_INDEX = CORPUS / "corpus.json"
_REPOS = [r["dir"] for r in json.loads(_INDEX.read_text())["repos"]] if _INDEX.is_file() else []

try:
    find_helm()
    _HELM = True
except HelmUnavailableError:
    _HELM = False


@pytest.mark.skipif(not _REPOS, reason=f"corpus not found at {CORPUS}")
@pytest.mark.skipif(not _HELM, reason="needs Helm v4 (`make` installs it into .venv/bin)")
@pytest.mark.parametrize("name", _REPOS)
def test_empty_store_names_every_helmrelease(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path / "cache"))  # an empty chart store
    cluster = build_cluster(RepoOptions(repo=CORPUS / name, helm=True).cluster_options())
    renders = cluster.helm
    assert renders is not None
    assert len(renders.releases) == len(cluster.helmreleases)  # nothing left out
    for r in renders.releases:
        assert r.status in ("not-in-store", "unresolved", "rendered", "no-templates"), (
            r.ref,
            r.status,
            r.message,
        )
        if r.status == "not-in-store":
            assert "homeops charts pull" in r.message
        if r.status == "rendered":
            assert r.item.chart_dir is not None  # only this repository's charts render from an empty store
    if name == "Apocrathia__homelab":
        empty = [r for r in renders.releases if r.status == "no-templates"]
        assert empty and all("templates/" in r.message for r in empty)
