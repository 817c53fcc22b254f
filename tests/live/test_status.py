"""`homeops status` against the fake API server: live objects with their Ready condition, and the
comparison with the repository's tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.flux.api import RepoOptions
from homeops.live.kube import KubeOptions
from homeops.live.status import StatusOptions, live_object, status
from tests.live.conftest import Cli
from tests.live.fakeapi import FakeCluster

GIT_REF = {"kind": "GitRepository", "name": "flux-system"}


def _ready(status: str, message: str, **extra: object) -> dict[str, object]:
    return {"conditions": [{"type": "Ready", "status": status, "reason": "R", "message": message}], **extra}


def _populate(fake: FakeCluster) -> None:
    fake.add(
        "Kustomization", "cluster-apps", spec={"sourceRef": GIT_REF},
        status=_ready("True", "Applied revision: main@sha1:abc", lastAppliedRevision="main@sha1:abc"),
    )  # fmt: skip
    fake.add("Kustomization", "flux-system", spec={"sourceRef": GIT_REF}, status=_ready("True", "ok"))
    fake.add(
        "HelmRelease", "romm", "games", spec={"suspend": True},
        status=_ready("False", "install retries exhausted", history=[{"chartVersion": "1.2.3"}]),
    )  # fmt: skip


def test_status_lists_and_compares(fake: FakeCluster, kubeconfig: Path, repo: Path, cli: Cli) -> None:
    _populate(fake)
    code, out, _ = cli("status", "--repo", str(repo), "-o", "json")
    data = json.loads(out)
    assert code == 1  # romm is Ready=False and Kustomization romm is missing
    assert data["context"] == "fake" and data["compared"] is True
    rows = {(o["kind"], o["namespace"], o["name"]): o for o in data["objects"]}
    assert list(rows) == [
        ("Kustomization", "flux-system", "cluster-apps"),
        ("Kustomization", "flux-system", "flux-system"),
        ("HelmRelease", "games", "romm"),
    ]
    apps = rows[("Kustomization", "flux-system", "cluster-apps")]
    assert (apps["ready"], apps["revision"], apps["suspended"], apps["inGit"]) == (
        "True", "main@sha1:abc", False, True,
    )  # fmt: skip
    assert apps["message"] == "Applied revision: main@sha1:abc"
    hr = rows[("HelmRelease", "games", "romm")]
    assert (hr["ready"], hr["revision"], hr["suspended"], hr["inGit"]) == ("False", "1.2.3", True, True)
    assert data["notInGit"] == ["Kustomization/flux-system/flux-system"]
    assert data["missing"] == [
        {"kind": "Kustomization", "namespace": "flux-system", "name": "romm",
         "file": "kubernetes/apps/games/ks.yaml", "line": 1},
    ]  # fmt: skip


def test_status_table(fake: FakeCluster, kubeconfig: Path, repo: Path, cli: Cli) -> None:
    _populate(fake)
    code, out, _ = cli("status", "--repo", str(repo))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == [
        "KIND",
        "NAMESPACE",
        "NAME",
        "READY",
        "SUSPENDED",
        "REVISION",
        "GIT",
        "MESSAGE",
    ]
    assert any(line.split()[:4] == ["HelmRelease", "games", "romm", "False"] for line in lines)
    assert any("flux-system" in line and "not in Git" in line for line in lines)
    assert "In Git but not in the cluster (1):" in out
    assert "Kustomization/flux-system/romm  kubernetes/apps/games/ks.yaml:1" in out


def test_status_namespace_filters_both_sides(fake: FakeCluster, kubeconfig: Path, repo: Path) -> None:
    _populate(fake)
    result = status(StatusOptions(namespace="games", repo=RepoOptions(repo=repo)))
    assert [(o.kind, o.name, o.in_git) for o in result.objects] == [("HelmRelease", "romm", True)]
    assert result.missing == ()
    assert fake.requests[0].path == "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/games/kustomizations"


def test_status_all_in_sync_is_ok(fake: FakeCluster, kubeconfig: Path, repo: Path, cli: Cli) -> None:
    fake.add("Kustomization", "cluster-apps", status=_ready("True", "ok"))
    fake.add("Kustomization", "romm", status=_ready("True", "ok"))
    fake.add("HelmRelease", "romm", "games", status=_ready("True", "ok"))
    code, out, _ = cli("status", "-A", "--repo", str(repo), "-o", "json")
    assert code == 0
    assert json.loads(out)["missing"] == [] and json.loads(out)["notInGit"] == []
    assert [r.path for r in fake.requests] == [
        "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
    ]


def test_status_without_compare(fake: FakeCluster, kubeconfig: Path) -> None:
    _populate(fake)
    result = status(StatusOptions(compare=False, kube=KubeOptions(kubeconfig=kubeconfig)))
    assert result.compared is False and result.missing == ()
    assert all(o.in_git is None for o in result.objects) and len(result.objects) == 3


def test_live_object_without_status() -> None:
    obj = live_object("Kustomization", {"metadata": {"name": "a", "namespace": "b"}})
    assert (obj.ready, obj.message, obj.revision, obj.suspended) == ("", "", "", False)


def test_missing_helmrelease_with_a_relative_repo(
    fake: FakeCluster, kubeconfig: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add("Kustomization", "cluster-apps", status=_ready("True", "ok"))
    fake.add("Kustomization", "romm", status=_ready("Unknown", "Reconciliation in progress"))
    monkeypatch.chdir(repo.parent)
    result = status(StatusOptions(repo=RepoOptions(repo=Path(repo.name))))
    assert [m.to_json() for m in result.missing] == [
        {"kind": "HelmRelease", "namespace": "games", "name": "romm",
         "file": "kubernetes/apps/games/romm/app/helmrelease.yaml", "line": 1},
    ]  # fmt: skip
    assert not result.ok and result.not_in_git == ()
    assert [o.ready for o in result.objects] == ["True", "Unknown"]


@pytest.mark.parametrize(
    ("kind", "status_", "expected"),
    [
        ("Kustomization", {"lastAppliedRevision": "main@sha1:1", "lastAttemptedRevision": "main@sha1:2"},
         "main@sha1:1"),
        ("Kustomization", {"lastAttemptedRevision": "main@sha1:2"}, ""),
        ("HelmRelease", {"history": [{"chartVersion": "2.0.0"}, {"chartVersion": "1.0.0"}],
                         "lastAttemptedRevision": "2.0.1"}, "2.0.0"),
        ("HelmRelease", {"lastAttemptedRevision": "2.0.1"}, "2.0.1"),
    ],
)  # fmt: skip
def test_revision(kind: str, status_: dict[str, object], expected: str) -> None:
    assert live_object(kind, {"metadata": {}, "status": status_}).revision == expected
