"""The helper process: what it sends arrives in order and whole, a helper that fails or never ends costs the
parent nothing (no hang, no output), and a build with helpers equals one without, entry for entry, on a tree
whose Kustomizations depend on each other's substitution sources."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from homeops.cache import helper as helper_mod
from homeops.cache.helper import Helper, Send, available
from homeops.flux.cluster import ClusterOptions, build_cluster
from homeops.yaml.emitter import dump_documents
from tests.cache.counting import count_hits

needs_helper = pytest.mark.skipif(not available(), reason="no fork, one CPU, or several threads here")


def _drain(helper: Helper, until: int, timeout: float = 30) -> list[tuple[object, bytes]]:
    got: list[tuple[object, bytes]] = []
    deadline = time.monotonic() + timeout
    while len(got) < until and time.monotonic() < deadline:
        got.extend(helper.receive())
        if helper.fd < 0:
            break
        time.sleep(0.005)
    return got


@needs_helper
def test_entries_arrive_whole_and_in_order() -> None:
    def work(send: Send) -> None:
        for i in range(300):
            send(("k", i), bytes([i % 256]) * (i * 97))  # several pipe buffers' worth

    helper = Helper.start(work)
    assert helper is not None
    try:
        got = _drain(helper, 300)
    finally:
        helper.stop()
    assert got == [(("k", i), bytes([i % 256]) * (i * 97)) for i in range(300)]


@needs_helper
def test_a_failing_helper_sends_what_it_had() -> None:
    def work(send: Send) -> None:
        send("first", b"1")
        raise RuntimeError("boom")

    helper = Helper.start(work)
    assert helper is not None
    try:
        assert _drain(helper, 2, timeout=10) == [("first", b"1")]
    finally:
        helper.stop()


@needs_helper
def test_stop_ends_a_helper_that_never_finishes() -> None:
    def work(send: Send) -> None:
        while True:
            time.sleep(1)

    helper = Helper.start(work)
    assert helper is not None
    started = time.monotonic()
    helper.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(helper.pid, os.WNOHANG)  # reaped


_SILENT = """
import sys, time
from homeops.cache.helper import Helper
def work(send):
    print("from the helper")
    print("from the helper", file=sys.stderr)
    send("k", b"v")
h = Helper.start(work)
got = []
for _ in range(2000):
    got.extend(h.receive())
    if got:
        break
    time.sleep(0.005)
h.stop()
print("parent", got)
"""


@needs_helper
def test_the_helper_writes_nothing_but_its_pipe() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _SILENT], capture_output=True, text=True, timeout=60, env=env, check=True
    )
    assert done.stdout == "parent [('k', b'v')]\n"
    assert done.stderr == ""


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_homeops_helpers_0_turns_helpers_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HOMEOPS_HELPERS", value)
    assert not available()
    assert Helper.start(lambda send: None) is None


def test_no_helper_without_fork_or_with_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not available()
    assert Helper.start(lambda send: None) is None


_APP = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: app-{i}, namespace: flux-system}}
spec:
  interval: 1h
  path: ./kubernetes/apps/app-{i}
  prune: true
  sourceRef: {{kind: GitRepository, name: flux-system}}
  postBuild:
    substituteFrom:
      - {{kind: ConfigMap, name: {source}}}
"""


def _tree(root: Path, apps: int, chained: bool) -> Path:
    """A root, and ``apps`` Kustomizations; when ``chained``, app-i substitutes from a ConfigMap that
    app-(i-1) applies (a helper building from the end sees none of them yet)."""
    (root / ".git").mkdir(parents=True)
    flux = root / "kubernetes/flux"
    flux.mkdir(parents=True)
    (flux / "apps.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: cluster-apps, namespace: flux-system}\n"
        "spec: {interval: 1h, path: ./kubernetes/apps, prune: true,"
        " sourceRef: {kind: GitRepository, name: flux-system}}\n"
    )
    (root / "kubernetes/apps").mkdir(parents=True)
    for i in range(apps):
        source = f"settings-{i - 1}" if i and chained else "missing-settings"
        previous = f"${{VALUE_{i - 1}:=none}}" if i and chained else "first"
        (root / f"kubernetes/apps/app-{i}.yaml").write_text(_APP.format(i=i, source=source))
        app = root / f"kubernetes/apps/app-{i}"
        app.mkdir()
        (app / "cm.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings-{i}, namespace: flux-system}}\n"
            f"data: {{VALUE_{i}: v{i}, PREVIOUS: '{previous}'}}\n"
        )
    return root


def _outputs(repo: Path, cache: Path | None, helpers: bool) -> dict[str, str]:
    cluster = build_cluster(ClusterOptions(repo=repo, cache_dir=cache, helpers=helpers))
    return {n.ref: n.status + n.error + dump_documents(n.objects) + repr(n.unresolved) for n in cluster.nodes}


@needs_helper
@pytest.mark.parametrize("chained", [False, True])
def test_a_build_with_helpers_equals_one_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chained: bool
) -> None:
    repo = _tree(tmp_path / "repo", 40, chained)
    expected = _outputs(repo, None, helpers=False)
    assert len(expected) == 41  # cluster-apps and its 40 apps
    received: list[int] = []
    stop = Helper.stop

    def counting_stop(self: Helper) -> None:
        received.append(self.received)
        stop(self)

    monkeypatch.setattr(Helper, "stop", counting_stop)
    hits = count_hits(monkeypatch)
    assert _outputs(repo, tmp_path / "cache", helpers=True) == expected
    assert received and sum(received) > 0, "a cold build of 41 Kustomizations starts a helper that sends"
    if not chained:
        assert any(hits), "the parent takes builds the helper made"
    hits.clear()
    assert _outputs(repo, tmp_path / "cache", helpers=True) == expected  # the cache it filled is right
    assert all(hits)
    assert _outputs(repo, tmp_path / "cache-off", helpers=False) == expected


@needs_helper
def test_wait_gives_up_after_its_timeout() -> None:
    def work(send: Send) -> None:
        send("one", b"1")
        while True:
            time.sleep(1)

    helper = Helper.start(work)
    assert helper is not None
    started = time.monotonic()
    assert list(helper.wait(timeout=0.5)) == [("one", b"1")]
    assert time.monotonic() - started < 5
    assert helper.fd == -1


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@needs_helper
@pytest.mark.parametrize("helper_works", [True, False])
def test_build_all_output_is_the_same_with_a_writer_helper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper_works: bool
) -> None:
    from homeops.flux.api import BuildAllOptions, RepoOptions, build_all

    repo = _tree(tmp_path / "repo", 80, chained=False)
    alone = tmp_path / "alone"
    monkeypatch.setattr(helper_mod, "available", lambda: False)
    build_all(BuildAllOptions(output_dir=alone, repo=RepoOptions(repo=repo)))
    monkeypatch.undo()
    started: list[bool] = []
    start = Helper.start

    def start_helper(cls: type[Helper], work: Callable[[Send], None]) -> Helper | None:
        started.append(True)
        return start(work if helper_works else (lambda send: None))  # a helper that writes nothing

    monkeypatch.setattr(Helper, "start", classmethod(start_helper))
    shared = tmp_path / "shared"
    build_all(BuildAllOptions(output_dir=shared, repo=RepoOptions(repo=repo)))
    assert started
    assert len(_files(alone)) == 82  # 81 Kustomizations and summary.json
    assert _files(shared) == _files(alone)


@needs_helper
@pytest.mark.parametrize(
    ("changed", "helpers"),
    [((20, 60), []), (tuple(range(0, 80, 2)), ["start_helper.<locals>.work"])],
    ids=["two apps", "every other app"],
)
def test_a_helper_forks_only_when_many_recent_builds_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: tuple[int, ...], helpers: list[str]
) -> None:
    # a helper pays when most builds are to be made: a cold run forks both; a run that rebuilds two apps
    # among 80 cached ones forks none; one that rebuilds every other app forks the build helper
    repo = _tree(tmp_path / "repo", 80, chained=False)
    started: list[str] = []
    start = Helper.start

    def recording_start(cls: type[Helper], work: Callable[[Send], None]) -> Helper | None:
        started.append(getattr(work, "__qualname__", ""))
        return start(work)

    monkeypatch.setattr(Helper, "start", classmethod(recording_start))
    cold = _outputs(repo, tmp_path / "cache", helpers=True)
    assert len(started) == 2, started  # the parse helper and the build helper
    started.clear()
    for i in changed:
        app = repo / f"kubernetes/apps/app-{i}/cm.yaml"
        app.write_text(app.read_text().replace(f"v{i}", "changed"))
    warm = _outputs(repo, tmp_path / "cache", helpers=True)
    assert started == helpers
    assert warm != cold and set(warm) == set(cold)
    assert warm == _outputs(repo, None, helpers=False)  # and the result is the one a run without cache gives
