"""Helpers for the Flux repository layout tests (tests/flux/test_layouts.py): the fixture repositories under
tests/fixtures/fluxrepos/layouts/<layout>/, copied to a temporary work tree; the ``get ks`` rows; the CLI run
in process; and the files ``build all --output-dir`` writes, parsed."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import yaml
from homeops.cli.main import cli
from homeops.flux.api import GetOptions, GetResult, RepoOptions, get

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "fluxrepos" / "layouts"

Row = dict[str, Any]


def checkout(layout: str, dest: Path, *, remote: str | None = None) -> Path:
    """A copy of layout fixture ``layout`` at ``dest/layout`` with an empty ``.git`` dir (a work tree); with
    ``remote``, a ``.git/config`` whose ``origin`` remote has that URL."""
    repo = dest / layout
    shutil.copytree(LAYOUTS / layout, repo)
    (repo / ".git").mkdir()
    if remote is not None:
        (repo / ".git" / "config").write_text(
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
            f'[remote "origin"]\n\turl = {remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n',
            encoding="utf-8",
        )
    return repo


def isolate_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No age identity from the environment or the user's config (none of these layouts is encrypted)."""
    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def repo_options(repo: Path, cluster: str | None = None) -> RepoOptions:
    """Every root of ``repo`` (or of one cluster), found by homeops itself."""
    return RepoOptions(repo=repo, roots=(), cluster=cluster)


def get_ks(repo: Path, cluster: str | None = None) -> GetResult:
    """``homeops get ks -A`` of ``repo`` as the library returns it."""
    return get(GetOptions(what="ks", repo=repo_options(repo, cluster)))


def one(rows: list[Row], name: str, namespace: str = "flux-system", cluster: str | None = None) -> Row:
    """The one row named ``namespace/name`` (in ``cluster`` when given)."""
    found = [
        r
        for r in rows
        if r["name"] == name and r["namespace"] == namespace and (cluster is None or r["cluster"] == cluster)
    ]
    assert len(found) == 1, [(r["cluster"], r["namespace"], r["name"], r["status"]) for r in rows]
    return found[0]


def roots(rows: list[Row]) -> list[Row]:
    """The rows taken as roots (a non-empty ``root`` reason)."""
    return [r for r in rows if r["root"]]


def refs(rows: list[Row]) -> list[tuple[str, str, str]]:
    """(cluster, namespace, name) of each row, sorted."""
    return sorted((r["cluster"], r["namespace"], r["name"]) for r in rows)


def run_cli(*args: str) -> tuple[int, str]:
    """``homeops ARGS`` in process: (the command's exit code, its stdout)."""
    # click < 8.2 mixes stderr into stdout unless told not to; 8.2 keeps them apart and dropped the option.
    wants_split = "mix_stderr" in inspect.signature(CliRunner).parameters
    runner = CliRunner(mix_stderr=False) if wants_split else CliRunner()
    result = runner.invoke(cli, list(args), standalone_mode=False, catch_exceptions=False)
    code = result.return_value if isinstance(result.return_value, int) else result.exit_code
    return code, result.stdout


def get_ks_json(repo: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """``homeops get ks -A -o json --repo REPO [EXTRA...]``: exit code and parsed output."""
    code, out = run_cli("get", "ks", "-A", "-o", "json", "--repo", str(repo), *extra)
    data = json.loads(out)
    assert isinstance(data, dict)
    return code, data


def build_all_cli(repo: Path, out: Path) -> tuple[int, dict[str, Any]]:
    """``homeops build all --repo REPO --output-dir OUT``: exit code and OUT/summary.json."""
    code, _ = run_cli("build", "all", "--repo", str(repo), "--output-dir", str(out))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(summary, dict)
    return code, summary


def outputs(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Every ``.yaml`` file ``build all`` wrote under OUT, by its path relative to OUT without ``.yaml``,
    parsed into its documents."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(out.rglob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
        found[path.relative_to(out).with_suffix("").as_posix()] = docs
    return found


def output_of(out: Path, name: str) -> list[dict[str, Any]]:
    """The documents of the one output file of Kustomization ``name`` (whatever folders hold it)."""
    found = [docs for stem, docs in outputs(out).items() if stem.rsplit("/", 1)[-1] == name]
    assert len(found) == 1, sorted(outputs(out))
    return found[0]


def objects_named(docs: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    """The documents of ``kind`` named ``name``."""
    return [d for d in docs if d.get("kind") == kind and (d.get("metadata") or {}).get("name") == name]
