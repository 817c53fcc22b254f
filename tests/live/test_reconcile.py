"""`homeops reconcile` against the fake API server: the right URL, the right annotation, sources first,
--wait, suspended objects, errors."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path

import pytest

from homeops.errors import UsageError
from homeops.live.kube import KubeError, KubeOptions
from homeops.live.reconcile import (
    REQUESTED_AT,
    ReconcileOptions,
    ReconcileTarget,
    go_rfc3339nano,
    parse_target,
    reconcile,
    source_of,
)
from tests.live.conftest import Cli
from tests.live.fakeapi import FakeCluster

KS_URL = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations"
GIT_URL = "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories"
HR_URL = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/games/helmreleases"
RFC3339NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?(Z|[+-]\d\d:\d\d)$")
GIT_REF = {"kind": "GitRepository", "name": "flux-system"}


def _populate(fake: FakeCluster) -> None:
    fake.add("GitRepository", "flux-system", spec={"url": "https://example.invalid/repo"})
    fake.add("Kustomization", "cluster-apps", spec={"path": "./kubernetes/apps", "sourceRef": GIT_REF})
    fake.add("Kustomization", "romm", spec={"path": "./x", "sourceRef": GIT_REF, "suspend": True})
    fake.add("HelmRelease", "romm", "games", spec={"chartRef": {"kind": "OCIRepository", "name": "romm"}})
    fake.add("OCIRepository", "romm", "games")


def _annotation(body: object) -> str:
    assert isinstance(body, dict)
    value = body["metadata"]["annotations"][REQUESTED_AT]
    assert isinstance(value, str)
    return value


def test_reconcile_ks_patches_the_annotation(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    _populate(fake)
    code, out, err = cli("reconcile", "ks", "cluster-apps")
    assert (code, err) == (0, "")
    [patch] = fake.patches()
    assert patch.path == f"{KS_URL}/cluster-apps"
    assert patch.content_type == "application/merge-patch+json"
    assert list(patch.body) == ["metadata"] and list(patch.body["metadata"]) == ["annotations"]
    assert RFC3339NANO.match(_annotation(patch.body))
    stored = fake.objects[("kustomizations", "flux-system", "cluster-apps")]
    assert stored["metadata"]["annotations"][REQUESTED_AT] == _annotation(patch.body)
    assert stored["spec"]["path"] == "./kubernetes/apps"  # a merge patch leaves the rest alone
    assert "Kustomization/flux-system/cluster-apps: requested" in out
    assert "--wait" in out


def test_with_source_patches_the_source_first(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    _populate(fake)
    code, out, _ = cli("reconcile", "ks", "cluster-apps", "--with-source", "-o", "json")
    assert code == 0
    assert [p.path for p in fake.patches()] == [f"{GIT_URL}/flux-system", f"{KS_URL}/cluster-apps"]
    steps = json.loads(out)["steps"]
    assert [(s["kind"], s["isSource"], s["outcome"]) for s in steps] == [
        ("GitRepository", True, "requested"),
        ("Kustomization", False, "requested"),
    ]


def test_default_reconciles_the_roots_with_their_source(
    fake: FakeCluster, kubeconfig: Path, repo: Path, cli: Cli
) -> None:
    _populate(fake)
    code, out, err = cli("reconcile", "--repo", str(repo))
    assert (code, err) == (0, "")
    assert [p.path for p in fake.patches()] == [f"{GIT_URL}/flux-system", f"{KS_URL}/cluster-apps"]


def test_hr_with_chart_ref_source(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    _populate(fake)
    code, _, _ = cli("reconcile", "hr", "romm", "-n", "games", "--with-source")
    assert code == 0
    assert [p.path for p in fake.patches()] == [
        "/apis/source.toolkit.fluxcd.io/v1/namespaces/games/ocirepositories/romm",
        f"{HR_URL}/romm",
    ]


def test_source_target(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    _populate(fake)
    code, _, _ = cli("reconcile", "source", "git/flux-system")
    assert code == 0
    assert [p.path for p in fake.patches()] == [f"{GIT_URL}/flux-system"]


def test_wait_sees_the_status_update(fake: FakeCluster, kubeconfig: Path) -> None:
    _populate(fake)
    fake.handle_after = 3  # the "controller" answers on the third read after the request
    sleeps: list[float] = []
    options = ReconcileOptions(
        targets=(ReconcileTarget("Kustomization", "cluster-apps"),), with_source=True, wait=True,
        poll_interval=0.25,
    )  # fmt: skip
    result = reconcile(options, sleep=sleeps.append)
    assert result.ok
    assert [(s.target.kind, s.outcome, s.ready) for s in result.steps] == [
        ("GitRepository", "reconciled", "True"),
        ("Kustomization", "reconciled", "True"),
    ]
    assert sleeps == [0.25] * 4  # two polls that saw nothing yet, per object
    ks = result.steps[1]
    assert ks.message == f"handled {ks.requested_at}"
    ks_obj = fake.objects[("kustomizations", "flux-system", "cluster-apps")]
    assert ks_obj["status"]["lastHandledReconcileAt"] == ks.requested_at


def test_wait_reports_ready_false_and_exit_1(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    _populate(fake)
    fake.ready = "False"
    code, out, _ = cli("reconcile", "ks", "cluster-apps", "--wait", "--timeout", "10s")
    assert code == 1
    assert "Kustomization/flux-system/cluster-apps: failed" in out and "Ready=False" in out


def test_source_not_ready_skips_the_target(fake: FakeCluster, kubeconfig: Path) -> None:
    _populate(fake)
    fake.ready = "False"
    options = ReconcileOptions((ReconcileTarget("Kustomization", "cluster-apps"),), True, True)
    result = reconcile(options, sleep=lambda _: None)
    assert [s.outcome for s in result.steps] == ["failed", "skipped"]
    assert [p.path for p in fake.patches()] == [f"{GIT_URL}/flux-system"]


def test_wait_times_out(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    _populate(fake)
    fake.handle_after = None
    code, out, err = cli("reconcile", "ks", "cluster-apps", "--wait", "--timeout", "0")
    assert (code, err) == (1, "")
    assert out.startswith("Kustomization/flux-system/cluster-apps: timeout (requestedAt ")
    assert "not handled within 0s (lastHandledReconcileAt: None)" in out


def test_suspended_is_not_annotated(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    _populate(fake)
    code, out, _ = cli("reconcile", "ks", "romm")
    assert code == 1
    assert fake.patches() == []
    assert "suspended" in out


def test_missing_object_is_a_clear_error(fake: FakeCluster, kubeconfig: Path, cli: Cli) -> None:
    code, _, err = cli("reconcile", "ks", "nope")
    assert code == 1
    assert err.startswith("error: Kustomization flux-system/nope not found in the cluster (context 'fake')")


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("ks", "apps", ReconcileTarget("Kustomization", "apps", "flux-system")),
        ("hr", "romm", ReconcileTarget("HelmRelease", "romm", "flux-system")),
        ("source", "git/flux-system", ReconcileTarget("GitRepository", "flux-system")),
        ("source", "oci/romm", ReconcileTarget("OCIRepository", "romm")),
        ("source", "HelmChart/x", ReconcileTarget("HelmChart", "x")),
        ("source", "bucket/b", ReconcileTarget("Bucket", "b")),
    ],
)
def test_parse_target(kind: str, name: str, expected: ReconcileTarget) -> None:
    assert parse_target(kind, name) == expected


@pytest.mark.parametrize(("kind", "name"), [("source", "flux-system"), ("source", "svn/x"), ("deploy", "x")])
def test_parse_target_rejects(kind: str, name: str) -> None:
    with pytest.raises(UsageError):
        parse_target(kind, name)


@pytest.mark.parametrize(
    ("obj", "target", "expected"),
    [
        ({"spec": {"sourceRef": {"kind": "OCIRepository", "name": "o", "namespace": "x"}}},
         ReconcileTarget("Kustomization", "k"), ReconcileTarget("OCIRepository", "o", "x")),
        ({"spec": {"chart": {"spec": {"sourceRef": {"kind": "HelmRepository", "name": "h", "namespace": "s"}}}}},  # noqa: E501
         ReconcileTarget("HelmRelease", "app", "games"), ReconcileTarget("HelmChart", "games-app", "s")),
        ({"spec": {}, "status": {"helmChart": "flux-system/games-app"}},
         ReconcileTarget("HelmRelease", "app", "games"), ReconcileTarget("HelmChart", "games-app")),
        ({"spec": {}}, ReconcileTarget("Kustomization", "k"), None),
    ],
)  # fmt: skip
def test_source_of(obj: dict[str, object], target: ReconcileTarget, expected: ReconcileTarget | None) -> None:
    assert source_of(obj, target) == expected


def test_with_source_rejects_a_source_target(kubeconfig: Path) -> None:
    with pytest.raises(UsageError):
        reconcile(ReconcileOptions((ReconcileTarget("GitRepository", "x"),), with_source=True))


@pytest.mark.parametrize(
    ("ns", "tz", "expected"),
    [
        (1_700_000_000_123_456_789, "UTC", "2023-11-14T22:13:20.123456789Z"),
        (1_700_000_000_120_000_000, "UTC", "2023-11-14T22:13:20.12Z"),
        (1_700_000_000_000_000_000, "UTC", "2023-11-14T22:13:20Z"),
        (1_700_000_000_000_000_500, "Asia/Kolkata", "2023-11-15T03:43:20.0000005+05:30"),
        (1_700_000_000_000_000_000, "America/New_York", "2023-11-14T17:13:20-05:00"),
    ],
)
def test_go_rfc3339nano(ns: int, tz: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        assert go_rfc3339nano(ns) == expected
    finally:
        monkeypatch.undo()
        time.tzset()


def test_go_rfc3339nano_now() -> None:
    text = go_rfc3339nano()
    assert RFC3339NANO.match(text)
    # Python parses at most microseconds: cut the fraction to 6 digits.
    short = re.sub(r"(\.\d{1,6})\d*", r"\1", text).replace("Z", "+00:00")
    assert abs(datetime.fromisoformat(short).timestamp() - time.time()) < 5


def test_unknown_context(kubeconfig: Path) -> None:
    with pytest.raises(KubeError, match="Context 'other' not found"):
        reconcile(
            ReconcileOptions((ReconcileTarget("Kustomization", "x"),), kube=KubeOptions(context="other"))
        )
