"""The helper process: what it sends arrives in order and whole, a helper that fails or never ends costs the
parent nothing (no hang, no output), and a build with helpers equals one without, entry for entry, on a tree
whose Kustomizations depend on each other's substitution sources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    pid = helper.pid
    started = time.monotonic()
    helper.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped


@needs_helper
def test_stopping_twice_signals_nothing_the_second_time(monkeypatch: pytest.MonkeyPatch) -> None:
    helper = Helper.start(lambda send: send("k", b"v"))
    assert helper is not None
    helper.stop()
    killed: list[int] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: killed.append(pid))
    helper.stop()  # the reaped pid may belong to another process by now: it is not signalled
    assert killed == []
    assert helper.finished


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


def _roots(root: Path, roots: int, apps: int) -> Path:
    """``roots`` root Kustomizations (``cluster-apps-r``), each applying ``apps`` Kustomizations."""
    (root / ".git").mkdir(parents=True)
    flux = root / "kubernetes/flux"
    flux.mkdir(parents=True)
    for r in range(roots):
        (flux / f"apps-{r}.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            f"metadata: {{name: cluster-apps-{r}, namespace: flux-system}}\n"
            f"spec: {{interval: 1h, path: ./kubernetes/apps-{r}, prune: true,"
            " sourceRef: {kind: GitRepository, name: flux-system}}\n"
        )
        for i in range(apps):
            apps_dir = root / f"kubernetes/apps-{r}"
            app = apps_dir / f"app-{r}-{i}"
            app.mkdir(parents=True)
            (apps_dir / f"app-{r}-{i}.yaml").write_text(
                _APP.format(i=f"{r}-{i}", source="missing-settings").replace("apps/app", f"apps-{r}/app")
            )
            (app / "cm.yaml").write_text(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings-{r}-{i}, namespace: default}}\n"
                f"data: {{VALUE: v{i}, HOST: '${{SECRET_DOMAIN:=example.com}}'}}\n"
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


def _wait_exit(pid: int, timeout: float = 20) -> None:
    """Wait until helper ``pid`` has left (what it sent stays in the pipe), at most ``timeout`` seconds; it is
    left to ``Helper.stop`` to reap."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return
        time.sleep(0.01)


def _let_finish(monkeypatch: pytest.MonkeyPatch, when: Callable[[Callable[[Send], None]], bool]) -> None:
    """Make ``Helper.start`` wait, for each helper whose work ``when`` picks, until it has left."""
    start = Helper.start

    def start_and_let_finish(cls: type[Helper], work: Callable[[Send], None]) -> Helper | None:
        helper = start(work)
        if helper is not None and when(work):
            _wait_exit(helper.pid)
        return helper

    monkeypatch.setattr(Helper, "start", classmethod(start_and_let_finish))


@needs_helper
def test_the_pipe_holds_a_megabyte_where_linux_allows() -> None:
    fcntl = pytest.importorskip("fcntl")
    getsize = getattr(fcntl, "F_GETPIPE_SZ", None)
    if getsize is None:
        pytest.skip("no F_GETPIPE_SZ on this system")
    if int(Path("/proc/sys/fs/pipe-max-size").read_text()) < 1 << 20:
        pytest.skip("pipe-max-size is below 1 MiB here")
    helper = Helper.start(lambda send: send("k", b"v"))
    assert helper is not None
    try:
        assert fcntl.fcntl(helper.fd, getsize) == 1 << 20
    finally:
        helper.stop()


@needs_helper
def test_what_the_parse_helper_sent_is_read_only_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse helper sends each file's index with its documents: the parent knows the objects of those
    files without unpickling them (but those discovery reads), and what it reads on use equals a load
    without helper."""
    from homeops.flux.clustercache import load_repository
    from homeops.kustomize.build import Builder
    from homeops.yaml.nodes import to_plain

    repo = _roots(tmp_path / "repo", 2, 40)

    def summary(cache: Path, helpers: bool) -> tuple[list[tuple[object, ...]], int]:
        loaded, parses = load_repository(
            repo, ClusterOptions(repo=repo, cache_dir=cache, helpers=helpers), Builder(repo)
        )
        unread = sum(1 for e in loaded.entries if e.docs.docs is None and e.kind == "ConfigMap")
        # what discovering the roots reads (Flux Kustomizations) is read during the load
        assert not [e for e in loaded.entries if e.docs.docs is None and e.kind == "Kustomization"]
        rows: list[tuple[object, ...]] = [
            (e.kind, e.namespace, e.name, e.rel, e.line, e.index, to_plain(e.obj)) for e in loaded.entries
        ]
        return rows, unread

    expected, _ = summary(tmp_path / "alone", helpers=False)
    _let_finish(monkeypatch, lambda work: True)  # everything it parsed waits in the pipe
    rows, unread = summary(tmp_path / "shared", helpers=True)  # (unread: counted before the rows read)
    assert len(expected) == 2 + 2 * 40 * 2  # two roots, and per app its Kustomization and ConfigMap
    assert rows == expected
    assert unread > 40, "the ConfigMaps of the files the helper parsed wait unread"


class _Cache:
    """What ``helper_roots`` reads of a build cache."""

    def __init__(self, cold: bool, misses: int, handed: set[int]) -> None:
        self.cold = cold
        self.recent = [True] * misses + [False] * (8 - misses)
        self.handed = handed


_A, _B = object(), object()


@pytest.mark.parametrize(
    ("cold", "misses", "handed", "waiting", "later", "expected"),
    [
        (True, 0, set(), 0, [_A, _B], [_A, _B]),  # cold: at once, for the other roots
        (True, 0, {id(_A)}, 0, [_A, _B], [_B]),  # ...those no helper took yet
        (True, 0, {id(_A), id(_B)}, 20, [_A, _B], None),  # nothing missed yet
        (True, 1, {id(_A), id(_B)}, 20, [_A, _B], []),  # the queue, after the first miss
        (True, 1, set(), 7, [], None),  # too little waits
        (False, 0, set(), 0, [_A, _B], None),  # warm: only once builds miss
        (False, 2, set(), 100, [], None),
        (False, 3, set(), 100, [], []),
        (False, 3, set(), 6, [_A, _B], [_A, _B]),
        (False, 3, set(), 5, [_A, _B], None),
    ],
)
def test_when_a_build_helper_pays(
    cold: bool, misses: int, handed: set[int], waiting: int, later: list[Any], expected: list[Any] | None
) -> None:
    from homeops.flux.clustercache import helper_roots

    assert helper_roots(_Cache(cold, misses, handed), waiting, later) == expected  # type: ignore[arg-type]


@needs_helper
def test_a_cold_build_of_several_roots_forks_at_once_and_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build hands the other roots to a helper before it builds the first; once that helper is
    done, another takes the queue from its end; the result is the build without helpers, and the cache it
    filled serves every Kustomization next time."""
    from homeops.flux import clustercache

    repo = _roots(tmp_path / "repo", 3, 30)
    expected = _outputs(repo, None, helpers=False)
    assert len(expected) == 3 + 3 * 30
    hits = count_hits(monkeypatch)
    plans: list[tuple[int, int | None]] = []
    plan = clustercache.helper_roots

    def recording_plan(cache: Any, waiting: int, later: list[Any]) -> list[Any] | None:
        found = plan(cache, waiting, later)
        if found is not None:
            plans.append((len(hits), len(found)))  # the lookups made before it, the roots it is given
        return found

    monkeypatch.setattr(clustercache, "helper_roots", recording_plan)
    # the first build helper is done before the parent goes on
    _let_finish(
        monkeypatch, lambda work: work.__qualname__ == "start_helper.<locals>.work" and len(plans) == 1
    )
    assert _outputs(repo, tmp_path / "cache", helpers=True) == expected
    assert plans[0] == (0, 2), "the other two roots, before the first lookup"
    assert len(plans) >= 2 and plans[1][1] == 0, "then one for the queue, given no root again"
    hits.clear()
    assert _outputs(repo, tmp_path / "cache", helpers=True) == expected
    assert hits and all(hits)


_IMPORTED_AFTER_THE_FORK = """
import json, sys
from pathlib import Path
from homeops.cache.helper import Helper
from homeops.flux.cluster import ClusterOptions, build_cluster

at_fork = []
start = Helper.start.__func__

def recording(cls, work):
    if work.__qualname__ == "start_helper.<locals>.work" and not at_fork:
        at_fork.append(set(sys.modules))
    return start(cls, work)

Helper.start = classmethod(recording)
repo = Path(sys.argv[1])
built = build_cluster(ClusterOptions(repo=repo, cache_dir=Path(sys.argv[2])))
assert at_fork, "no build helper"
late = sorted(m for m in set(sys.modules) - at_fork[0] if m.startswith("homeops."))
print(json.dumps([late, sorted({n.status for n in built.nodes})]))
"""

_EVERY_STEP = {
    "kustomization.yaml": """\
namespace: web
namePrefix: p-
labels: [{pairs: {app: web}}]
commonLabels: {team: a}
commonAnnotations: {note: x}
resources: [deploy.yaml]
patches:
  - patch: '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}'
  - target: {kind: Deployment}
    patch: '[{"op": "add", "path": "/metadata/annotations/j", "value": "1"}]'
patchesStrategicMerge: [smp.yaml]
patchesJson6902:
  - target: {group: apps, version: v1, kind: Deployment, name: web}
    patch: '[{"op": "add", "path": "/metadata/annotations/k", "value": "2"}]'
replicas: [{name: web, count: 2}]
images: [{name: nginx, newTag: "1.27"}]
configMapGenerator: [{name: settings, literals: ["HOST=web.${SECRET_DOMAIN:=example.com}"]}]
secretGenerator: [{name: creds, literals: [k=v]}]
replacements:
  - source: {kind: ConfigMap, name: settings, fieldPath: metadata.name}
    targets: [{select: {kind: Deployment}, fieldPaths: [metadata.annotations.cm], options: {create: true}}]
""",
    "deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {a: b}}
spec:
  selector: {matchLabels: {app: web}}
  template: {spec: {containers: [{name: web, image: nginx}]}}
""",
    "smp.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n",
}


@needs_helper
def test_a_build_helper_forks_with_what_builds_import(tmp_path: Path) -> None:
    """What building imports on first use (kustomize's steps, substitution, the emitter) is loaded before
    the first build helper forks, so that the helper shares it instead of importing it again."""
    repo = _roots(tmp_path / "repo", 3, 25)
    for rel, text in _EVERY_STEP.items():  # the first app of the first root uses every kustomize step
        (repo / "kubernetes/apps-0/app-0-0" / rel).write_text(text)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "HOMEOPS_HELPERS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED_AFTER_THE_FORK, str(repo), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    late, statuses = json.loads(done.stdout)
    assert statuses == ["ok"]
    building = [m for m in late if m.startswith(("homeops.kustomize.", "homeops.yaml.emitter"))]
    building += [m for m in late if m.split(".")[-1] in ("generator", "varsub", "substtree", "envsubst")]
    assert building == [], f"imported by the parent after the helper forked: {late}"
