"""The parse helper of a cold ``build all`` starts before the build's modules load: the build takes what it
parsed as its own helper's, the output is the one a run without helpers gives, nothing forks on a warm
cache, a helper for another root or pack is stopped unused, and one is never left running when the build
does not start. The caches are written once, by ``finish``, while the files are written."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homeops.cache import helper as helper_mod
from homeops.cache.helper import Helper, Send
from homeops.errors import UsageError
from homeops.flux.api import BuildAllOptions, RepoOptions, build_all
from homeops.flux.prefetch import start_prefetch
from tests.cache.counting import count_hits
from tests.cache.test_helper import _files, _let_finish, _roots, _tree, needs_helper


def _started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Helper]]:
    """Record each helper started (the qualified name of its work, and the helper)."""
    started: list[tuple[str, Helper]] = []
    start = Helper.start

    def recording(cls: type[Helper], work: Callable[[Send], None]) -> Helper | None:
        helper = start(work)
        if helper is not None:
            started.append((getattr(work, "__qualname__", ""), helper))
        return helper

    monkeypatch.setattr(Helper, "start", classmethod(recording))
    return started


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files this process parses (a helper's parses are its own)."""
    import homeops.kustomize.files as files_mod
    from homeops.yaml.loader import load_documents as load

    parsed: list[str] = []

    def counting(data: bytes, name: str) -> list[Any]:
        parsed.append(name)
        return load(data, name)

    monkeypatch.setattr(files_mod, "load_documents", counting)
    return parsed


_PREFETCH = "start_prefetch.<locals>.<lambda>"


@needs_helper
def test_a_cold_build_all_parses_in_a_helper_started_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _roots(tmp_path / "repo", 2, 40)
    alone = tmp_path / "alone"
    with monkeypatch.context() as m:
        m.setattr(helper_mod, "available", lambda: False)
        build_all(
            BuildAllOptions(
                output_dir=alone, repo=RepoOptions(repo=repo, cache=True, cache_dir=tmp_path / "c0")
            )
        )
    started = _started(monkeypatch)
    _let_finish(monkeypatch, lambda work: getattr(work, "__qualname__", "") == _PREFETCH)  # all in the pipe
    parsed = _parses(monkeypatch)
    shared = tmp_path / "shared"
    cache = tmp_path / "cache"
    build_all(BuildAllOptions(output_dir=shared, repo=RepoOptions(repo=repo, cache=True, cache_dir=cache)))
    works = [name for name, _ in started]
    assert works[0] == _PREFETCH
    assert not [w for w in works if "start_parse_helper" in w], (
        "the build took the prefetch as its parse helper"
    )
    assert parsed == [], "every file came parsed from the helper"
    assert all(h.finished for _, h in started)
    assert len(_files(alone)) == 2 + 2 * 40 + 1
    assert _files(shared) == _files(alone)
    hits = count_hits(monkeypatch)
    again = tmp_path / "again"
    build_all(BuildAllOptions(output_dir=again, repo=RepoOptions(repo=repo, cache=True, cache_dir=cache)))
    assert hits and all(hits), "the caches it wrote serve the next run"
    assert _files(again) == _files(alone)
    assert [name for name, _ in started].count(_PREFETCH) == 1, "no prefetch on a warm cache"


@needs_helper
def test_no_prefetch_on_a_warm_cache_or_without_one(tmp_path: Path) -> None:
    repo = _tree(tmp_path / "repo", 3, chained=False)
    assert RepoOptions(repo=repo).start_prefetch() is None  # the cache is off
    assert (
        RepoOptions(repo=tmp_path / "missing", cache=True, cache_dir=tmp_path / "c").start_prefetch() is None
    )
    cold = start_prefetch(repo.resolve(), tmp_path / "c")
    assert cold is not None
    cold.stop()
    build_all(BuildAllOptions(repo=RepoOptions(repo=repo, cache=True, cache_dir=tmp_path / "c")))
    assert start_prefetch(repo.resolve(), tmp_path / "c") is None  # its parse pack is stored now


@needs_helper
def test_a_prefetch_of_another_root_is_stopped_unused(tmp_path: Path) -> None:
    from homeops.flux.clustercache import load_repository
    from homeops.flux.clustertypes import ClusterOptions
    from homeops.kustomize.build import Builder

    repo = _tree(tmp_path / "repo", 3, chained=False)
    other = _tree(tmp_path / "other", 3, chained=False)
    for root, helpers in ((other, True), (repo, False)):  # another root; helpers turned off
        prefetch = start_prefetch(root.resolve(), tmp_path / "c")
        assert prefetch is not None
        options = ClusterOptions(repo=repo, cache_dir=tmp_path / "c", helpers=helpers)
        loaded, parses = load_repository(repo.resolve(), options, Builder(repo.resolve()), prefetch)
        assert prefetch.helper.finished and prefetch.helper.pid == 0
        assert parses is not None and not parses.helped
        assert len(loaded.entries) == 1 + 3 * 2


@needs_helper
def test_the_prefetch_is_stopped_when_the_build_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _tree(tmp_path / "repo", 3, chained=False)
    started = _started(monkeypatch)
    in_the_way = tmp_path / "file"
    in_the_way.write_text("")
    options = BuildAllOptions(
        output_dir=in_the_way, repo=RepoOptions(repo=repo, cache=True, cache_dir=tmp_path / "c")
    )
    with pytest.raises(UsageError, match="exists and is not a directory"):
        build_all(options)
    assert [name for name, _ in started] == [_PREFETCH]
    assert started[0][1].finished and started[0][1].pid == 0  # killed and reaped


def test_the_caches_are_written_once_by_finish(tmp_path: Path) -> None:
    from homeops.flux.cluster import ClusterOptions, build_cluster

    repo = _tree(tmp_path / "repo", 3, chained=False)
    cache = tmp_path / "cache"
    cluster = build_cluster(ClusterOptions(repo=repo, cache_dir=cache, helpers=False), flush=False)
    assert len(cluster.nodes) == 4
    assert not [p for p in cache.rglob("*") if p.is_file()], "nothing written before finish"
    cluster.finish()
    written = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    assert written
    cluster.finish()  # again: nothing
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == written
    flushed = build_cluster(ClusterOptions(repo=repo, cache_dir=tmp_path / "other", helpers=False))
    assert [p for p in (tmp_path / "other").rglob("*") if p.is_file()], "build_cluster writes by default"
    flushed.finish()


def test_with_a_helm_stage_the_caches_are_written_before_the_charts_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import homeops.helm.releases as releases
    from homeops.flux.cluster import ClusterOptions, build_cluster
    from homeops.helm.releases import HelmOptions

    repo = _tree(tmp_path / "repo", 3, chained=False)
    cache = tmp_path / "cache"
    seen: list[int] = []

    def interrupted(cluster: Any, options: HelmOptions) -> Any:
        seen.append(len([p for p in cache.rglob("*") if p.is_file()]))
        raise KeyboardInterrupt

    monkeypatch.setattr(releases, "render_tree", interrupted)
    helm = HelmOptions(store_dir=tmp_path / "charts", render_cache_dir=tmp_path / "render")
    options = ClusterOptions(repo=repo, cache_dir=cache, helpers=False, helm=helm)
    with pytest.raises(KeyboardInterrupt):
        build_cluster(options, flush=False)
    assert seen and seen[0] > 0, "the build's caches are on disk when the render starts"
    hits = count_hits(monkeypatch)
    build_cluster(ClusterOptions(repo=repo, cache_dir=cache, helpers=False))
    assert hits and all(hits), "the next run finds every build the interrupted one made"


_PROBE = """
import json, sys
import homeops.flux.api
print(json.dumps(sorted(m for m in sys.modules if m in WATCHED)))
"""


def test_the_build_api_loads_no_build_module_before_the_prefetch() -> None:
    watched = [
        "homeops.flux.cluster",
        "homeops.flux.buildout",
        "homeops.flux.masking",
        "homeops.kustomize.build",
    ]
    code = f"WATCHED = {watched!r}\n" + _PROBE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


@pytest.mark.parametrize("apps", [3, 80])  # alone; with a writer helper
def test_write_nodes_runs_meanwhile_once(tmp_path: Path, apps: int) -> None:
    from homeops.flux.buildout import output_names, write_nodes
    from homeops.flux.cluster import ClusterOptions, build_cluster

    repo = _tree(tmp_path / "repo", apps, chained=False)
    cluster = build_cluster(ClusterOptions(repo=repo, helpers=False))
    calls: list[int] = []
    out = tmp_path / "out"
    write_nodes(out, output_names(cluster.nodes), cluster.nodes, None, meanwhile=lambda: calls.append(1))
    assert calls == [1]
    assert len(_files(out)) == apps + 1


@needs_helper
def test_a_cold_validate_parses_in_the_prefetch_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from homeops.validate.engine import ValidateOptions, validate

    repo = _roots(tmp_path / "repo", 2, 40)
    with monkeypatch.context() as m:
        m.setattr(helper_mod, "available", lambda: False)
        alone = validate(ValidateOptions(repo=repo, cache=True))
    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path / "cache"))
    started = _started(monkeypatch)
    _let_finish(monkeypatch, lambda work: getattr(work, "__qualname__", "") == _PREFETCH)
    parsed = _parses(monkeypatch)
    shared = validate(ValidateOptions(repo=repo, cache=True))
    assert started[0][0] == _PREFETCH
    assert parsed == []
    assert all(h.finished for _, h in started)
    assert [f.to_json() for f in shared.findings] == [f.to_json() for f in alone.findings]
    assert alone.findings, "the fixture has findings to compare (its ConfigMaps use an unset variable)"
