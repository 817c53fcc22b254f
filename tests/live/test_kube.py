"""Kubeconfig loading and the clear errors: no kubeconfig, unreachable API server, unknown context."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import yaml
from homeops.live.kube import Kube, KubeError, KubeOptions, kubeconfig_paths, load_kubeconfig
from tests.live.conftest import Cli
from tests.live.fakeapi import FakeCluster, free_port, write_kubeconfig


def test_no_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    code, out, err = cli("status", "--no-compare")
    assert code == 1 and out == ""
    assert err == (
        f"error: no kubeconfig found (looked at {tmp_path}/.kube/config) "
        "(hint: set KUBECONFIG or pass --kubeconfig to reach the cluster)\n"
    )


@pytest.mark.parametrize("args", [("status", "--no-compare"), ("reconcile", "ks", "cluster-apps")])
def test_unreachable_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli, args: tuple[str, ...]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kc", url)))
    code, out, err = cli(*args)
    assert code == 1 and out == ""
    assert err.startswith(
        f"error: cannot reach the Kubernetes API server {url} (context 'fake'): ConnectError"
    )
    assert "Traceback" not in err and err.count("\n") == 1


def test_server_that_never_answers_times_out(tmp_path: Path) -> None:
    with socket.socket() as sock:  # listens, never accepts: connect succeeds, no answer comes
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        path = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{sock.getsockname()[1]}")
        options = KubeOptions(kubeconfig=path, connect_timeout=0.2, request_timeout=0.2)
        with Kube(options) as kube, pytest.raises(KubeError, match="cannot reach .*ReadTimeout"):
            kube.list("Kustomization", None)


def test_kubeconfig_paths_order(tmp_path: Path) -> None:
    env = {"KUBECONFIG": f"{tmp_path}/a:{tmp_path}/b", "HOME": str(tmp_path)}
    assert kubeconfig_paths(KubeOptions(), env) == [tmp_path / "a", tmp_path / "b"]
    assert kubeconfig_paths(KubeOptions(kubeconfig=tmp_path / "x"), env) == [tmp_path / "x"]
    assert kubeconfig_paths(KubeOptions(), {"HOME": str(tmp_path)}) == [tmp_path / ".kube" / "config"]


def test_kubeconfig_merge_first_wins_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    first = {
        "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://one", "certificate-authority": "ca.pem"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c"}}],
    }
    second = {
        "current-context": "b",
        "clusters": [{"name": "c", "cluster": {"server": "https://two"}},
                     {"name": "d", "cluster": {"server": "https://three"}}],
        "contexts": [{"name": "b", "context": {"cluster": "d"}}],
    }  # fmt: skip
    (tmp_path / "one" / "config").write_text(yaml.safe_dump(first))
    (tmp_path / "config2").write_text(yaml.safe_dump(second))
    env = {"KUBECONFIG": f"{tmp_path}/one/config:{tmp_path}/missing:{tmp_path}/config2"}
    merged = load_kubeconfig(KubeOptions(), env)
    assert merged["current-context"] == "a"
    assert [c["name"] for c in merged["clusters"]] == ["c", "d"]
    assert merged["clusters"][0]["cluster"] == {
        "server": "https://one", "certificate-authority": f"{tmp_path}/one/ca.pem",
    }  # fmt: skip
    assert [c["name"] for c in merged["contexts"]] == ["a", "b"]
    kube = Kube(KubeOptions(context="b"), env)
    try:
        assert (kube.context, kube.server) == ("b", "https://three")
    finally:
        kube.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clusters: [\n", "cannot read kubeconfig"),
        ("- a\n", "a kubeconfig must be a mapping"),
        ("clusters: []\ncontexts: []\n", "the kubeconfig has no current-context"),
        ("current-context: x\nclusters: []\ncontexts: [{name: x, context: {cluster: nope}}]\n", "KeyError"),
    ],
)
def test_bad_kubeconfig(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "kc").write_text(text)
    with pytest.raises(KubeError, match=message):
        Kube(KubeOptions(kubeconfig=tmp_path / "kc"))


def test_list_of_an_uninstalled_crd_is_empty(fake: FakeCluster, kubeconfig: Path) -> None:
    fake.add("Kustomization", "a")
    fake.uninstalled.add("helmreleases")
    with Kube(KubeOptions()) as kube:
        assert kube.list("HelmRelease", None) == []
        assert [o["metadata"]["name"] for o in kube.list("Kustomization", "flux-system")] == ["a"]
        with pytest.raises(KubeError, match="HelmRelease flux-system/x not found"):
            kube.get("HelmRelease", "x", "flux-system")


def test_api_error_is_a_clear_error(fake: FakeCluster, kubeconfig: Path) -> None:
    fake.add("Kustomization", "a")
    fake.deny_patch = True
    with Kube(KubeOptions()) as kube, pytest.raises(KubeError) as exc:
        kube.merge_patch("Kustomization", "a", "flux-system", {})
    assert str(exc.value) == (
        "Kustomization flux-system/a: the API server answered 403: "
        'kustomizations "a" is forbidden: no patch for you'
    )
