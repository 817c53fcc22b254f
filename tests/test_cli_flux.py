"""`homeops get` and `homeops build` end to end (in process): exit codes, output formats, SOPS keys from
--age-key, Secret masking in every output, and `build all` files."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import yaml
from homeops.cli.main import main
from tests.flux.fluxrepos import (
    PLAIN_B64_VALUE,
    SECRET_STRINGS,
    SOPS_DOMAIN,
    SOPS_TOKEN,
    VALUES_PASSWORD,
    checkout,
    isolate_keys,
    needs_sops,
    sops_repo,
)


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


class Cli:
    """Runs `homeops ARGS` in process from a directory; returns (exit code, stdout, stderr)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, cwd: Path, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.chdir(cwd)
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        out = self.capsys.readouterr()
        code = exc.value.code
        return (code if isinstance(code, int) else 0), out.out, out.err


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


# -- masking -----------------------------------------------------------------------------------------------

FORBIDDEN = (*SECRET_STRINGS, base64.b64encode(PLAIN_B64_VALUE.encode()).decode())


def _every_output(cli: Cli, repo: Path, tmp_path: Path, *extra: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for kind in ("ks", "hr", "sources"):
        for fmt in ("json", "yaml", "table"):
            code, out, err = cli(repo, "get", kind, "-A", "-o", fmt, *extra)
            assert code == 0, err
            outputs[f"get {kind} -o {fmt}"] = out + err
    for name in ("cluster-apps", "app"):
        for fmt in ("yaml", "json"):
            code, out, err = cli(repo, "build", "ks", name, "-o", fmt, *extra)
            assert code == 0, err
            outputs[f"build ks {name} -o {fmt}"] = out + err
    for fmt in ("yaml", "json"):
        code, out, err = cli(repo, "build", "hr", "web", "-n", "default", "-o", fmt, *extra)
        assert code == 0, err
        outputs[f"build hr -o {fmt}"] = out + err
    out_dir = tmp_path / ("out" + "".join(extra).replace("/", "_"))
    code, out, err = cli(repo, "build", "all", "--output-dir", str(out_dir), *extra)
    assert code == 0, out + err
    outputs["build all"] = out + err
    for file in sorted(out_dir.rglob("*")):
        if file.is_file():
            outputs[f"build all: {file.relative_to(out_dir)}"] = file.read_text()
    assert "build all: summary.json" in outputs
    return outputs


@needs_sops
def test_no_secret_value_in_any_output_without_show_secrets(cli: Cli, tmp_path: Path) -> None:
    repo, key_file = sops_repo(tmp_path)
    outputs = _every_output(cli, repo, tmp_path, "--age-key", str(key_file))
    leaks = {name: [s for s in FORBIDDEN if s in text] for name, text in outputs.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    assert "**masked**" in outputs["build ks cluster-apps -o yaml"]


@needs_sops
def test_show_secrets_reveals_them(cli: Cli, tmp_path: Path) -> None:
    repo, key_file = sops_repo(tmp_path)
    key = ("--age-key", str(key_file))
    code, out, _ = cli(repo, "build", "ks", "cluster-apps", "--show-secrets", *key)
    assert code == 0
    for value in (SOPS_DOMAIN, SOPS_TOKEN, "plain-pw-ZORK-5127"):
        assert value in out
    code, out, _ = cli(repo, "build", "ks", "app", "--show-secrets", "-o", "json", *key)
    assert code == 0 and SOPS_DOMAIN in out and VALUES_PASSWORD in out
    code, out, _ = cli(repo, "build", "hr", "web", "--show-secrets", "-o", "json", *key)
    assert code == 0
    assert json.loads(out)["values"] == {
        "auth": {"password": VALUES_PASSWORD},
        "ingress": {"host": f"web.{SOPS_DOMAIN}"},
    }
    out_dir = tmp_path / "shown"
    code, _, _ = cli(repo, "build", "all", "--output-dir", str(out_dir), "--show-secrets", *key)
    assert code == 0
    assert SOPS_TOKEN in (out_dir / "flux-system" / "cluster-apps.yaml").read_text()
    assert SOPS_DOMAIN in (out_dir / "flux-system" / "app.yaml").read_text()


# -- get / build ---------------------------------------------------------------------------------------------


def test_get_ks_formats_and_exit_code(cli: Cli, tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    code, out, _ = cli(repo, "get", "ks", "-A", "-o", "json")
    assert code == 1  # one Kustomization failed
    rows = json.loads(out)["kustomizations"]
    assert [(r["name"], r["status"]) for r in rows] == [
        ("cluster-apps", "ok"),
        ("ok", "ok"),
        ("missing", "failed"),
        ("upstream-crds", "external"),
    ]
    code, out, _ = cli(repo, "get", "ks", "-o", "yaml")
    assert code == 1 and yaml.safe_load(out) == {
        "kustomizations": rows,
        "problems": [],
        "notes": [],
        "clusters": [""],
    }
    code, out, _ = cli(repo, "get", "ks", "-n", "default")
    assert code == 0
    assert out.split("\n")[0].split() == [
        "NAMESPACE",
        "NAME",
        "PATH",
        "STATUS",
        "OBJECTS",
        "UNRESOLVED",
        "MESSAGE",
    ]
    assert out.split("\n")[1].split()[:2] == ["default", "ok"]


def test_get_uses_the_work_tree_of_the_current_directory(cli: Cli, tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    code, out, _ = cli(repo / "kubernetes" / "apps", "get", "ks", "-n", "default", "-o", "json")
    assert code == 0
    assert [r["name"] for r in json.loads(out)["kustomizations"]] == ["ok"]


def test_get_rejects_all_namespaces_with_namespace(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli(checkout("sources", tmp_path), "get", "ks", "-A", "-n", "default")
    assert code == 2 and "either -A or -n" in err


def test_build_ks_reports_unresolved_on_stderr(cli: Cli, tmp_path: Path) -> None:
    repo = checkout("substitution", tmp_path)
    code, out, err = cli(repo, "build", "ks", "strict")
    assert code == 0
    assert "unknown: prefix-\n" in out
    assert err == (
        "kubernetes/apps/strict/app/configmap.yaml:7:3: "
        "unresolved ${NOT_DEFINED_ANYWHERE} in ConfigMap/strict: not set\n"
    )
    code, out, err = cli(repo, "build", "ks", "other", "-o", "json")
    assert code == 0 and err == ""
    assert json.loads(out)["resources"][0]["data"] == {"plain": "value"}


def test_build_ks_failed_and_external_exit_1(cli: Cli, tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    code, out, err = cli(repo, "build", "ks", "missing")
    assert (code, out) == (1, "")
    assert err == (
        "error: Kustomization/flux-system/missing: "
        "kubernetes/apps/missing/ks.yaml:2:1: path './kubernetes/apps/missing/app'"
        " not found in the source (expected a directory)\n"
    )
    code, _, err = cli(repo, "build", "ks", "upstream-crds")
    assert code == 1 and "is another repository (this one is github.com/example/home-ops); not fetched" in err
    code, _, err = cli(repo, "build", "ks", "nope")
    assert code == 2 and "no Kustomization named 'nope'" in err


def test_build_hr_json_values(cli: Cli, tmp_path: Path) -> None:
    repo = checkout("helm-values", tmp_path)
    code, out, err = cli(repo, "build", "hr", "web", "-n", "web", "-o", "json", "--show-secrets")
    assert code == 0
    assert json.loads(out)["values"] == {
        "replicas": 3,
        "image": {"repository": "ghcr.io/example/web", "tag": "2.0", "pullPolicy": "Always"},
        "fromConfigMap": True,
        "fromSecret": True,
        "ingress": {"enabled": True, "host": "web.example.org"},
        "labels": {"version": "42"},
    }
    assert err.endswith('configmaps "not-there" not found\n')
    assert "kubernetes/apps/web/helmrelease.yaml:34:7: " in err


def test_build_all_exit_code_and_files(cli: Cli, tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    out_dir = tmp_path / "out"
    code, out, _ = cli(repo, "build", "all", "--output-dir", str(out_dir))
    assert code == 1
    assert "4 Kustomizations: 2 ok, 1 failed, 1 external; 5 objects" in out.replace("\n", " ")
    assert (out_dir / "default" / "ok.yaml").is_file()
    assert (out_dir / "flux-system" / "cluster-apps.yaml").is_file()
    assert (out_dir / "flux-system" / "missing.err").is_file()
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["totals"]["failed"] == 1
    code, _, _ = cli(checkout("substitution", tmp_path), "build", "all")
    assert code == 0
