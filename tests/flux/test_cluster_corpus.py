"""Discovery on the real-world corpus (skipped without ../shared/corpus): `get ks -A -o json` lists every
Flux Kustomization object of each repository (tree nodes plus `not-applied` rows, as many as corpus.json
counts), and each locally sourced one either builds or fails with a reason naming the cause."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from homeops.cli.main import main
from homeops.flux.api import GetOptions, RepoOptions, get
from homeops.flux.repository import Repository
from tests.flux.fluxrepos import CORPUS, isolate_keys

pytestmark = pytest.mark.corpus

_INDEX = CORPUS / "corpus.json"
_REPOS: list[dict[str, Any]] = json.loads(_INDEX.read_text())["repos"] if _INDEX.is_file() else []
_PARAMS = [pytest.param(r, id=r["dir"]) for r in _REPOS] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"), id="no-corpus")
]
_STATUSES = {"ok", "failed", "external", "not-applied"}
# A failure names its cause: a file:line:col location, a quoted path, or a source reference.
_CAUSE = re.compile(r"(\S+\.ya?ml:\d+|'[^']+'|\b(?:GitRepository|OCIRepository|Bucket)/\S+)")

_cache: dict[str, dict[str, Any]] = {}


def _get_ks(entry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    if entry["dir"] not in _cache:
        isolate_keys(monkeypatch, tmp_path)
        data = get(GetOptions("ks", None, RepoOptions(repo=CORPUS / entry["dir"]))).to_json()
        _cache[entry["dir"]] = json.loads(json.dumps(data))
    return _cache[entry["dir"]]


@pytest.mark.parametrize("entry", _PARAMS)
def test_every_flux_kustomization_is_listed(
    entry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rows = _get_ks(entry, monkeypatch, tmp_path)["kustomizations"]
    objects = [r for r in rows if not r["synthesized"]]
    assert {r["status"] for r in rows} <= _STATUSES
    listed = {(r["file"], r["line"]) for r in objects}
    # each object once, except where two clusters apply the same shared file
    assert len(objects) == entry["flux_kustomizations"] or len({r["cluster"] for r in rows}) > 1
    repo = Repository.load(CORPUS / entry["dir"])
    defined = {(e.rel, e.line) for e in repo.objects("Kustomization", "kustomize.toolkit.fluxcd.io")}
    assert defined == listed


@pytest.mark.parametrize("entry", _PARAMS)
def test_each_kustomization_builds_or_names_the_cause(
    entry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rows = _get_ks(entry, monkeypatch, tmp_path)["kustomizations"]
    for row in rows:
        where = f"{row['namespace']}/{row['name']} ({row['file']}:{row['line']})"
        if row["status"] == "ok":
            assert row["error"] == "", where
            assert row["objects"] > 0 or row["path"], where
        elif row["status"] == "failed":
            assert _CAUSE.search(row["error"]), f"{where}: {row['error']}"
        elif row["status"] == "external":
            assert row["source"] and row["source"] in row["error"].replace("source ", "", 1), where
            assert row["objects"] == 0
        else:
            assert row["error"].startswith(("in the path of Kustomization/", "nothing applies it")), where
        for u in row["unresolved"]:
            assert u["variable"] and u["object"] and u["reason"], (where, u)


def test_every_unresolved_use_has_a_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not _REPOS:
        pytest.skip(f"no corpus at {CORPUS}")
    missing = [
        (entry["dir"], row["name"], u["variable"], u["object"])
        for entry in _REPOS
        for row in _get_ks(entry, monkeypatch, tmp_path)["kustomizations"]
        for u in row["unresolved"]
        if not u["file"] or u["line"] <= 0
    ]
    assert missing == []


def test_cli_get_ks_on_the_smallest_repository(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    small = [r for r in _REPOS if r["dir"] == "billimek__k8s-gitops"]
    if not small:
        pytest.skip(f"no corpus at {CORPUS}")
    isolate_keys(monkeypatch, tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["get", "ks", "-A", "-o", "json", "--repo", str(CORPUS / small[0]["dir"])])
    rows = json.loads(capsys.readouterr().out)["kustomizations"]
    assert exc.value.code == (1 if any(r["status"] == "failed" for r in rows) else 0)
    assert len(rows) == small[0]["flux_kustomizations"]
