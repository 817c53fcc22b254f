"""HO108: committed Secrets are SOPS-encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.rules.validate import no_plaintext_secret as rule
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/secret.yaml"
HEAD = head("v1", "Secret", "s", "apps")

BAD = [
    ("stringData", HEAD + "stringData:\n  password: hunter2\n", 1),
    ("data", HEAD + "data:\n  password: aHVudGVyMg==\n", 1),
    (
        "second document",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n" + HEAD + "data:\n  a: Yg==\n",
        7,
    ),
]
GOOD = [
    (
        "sops",
        HEAD + "stringData:\n  password: ENC[AES256_GCM,data:x]\nsops:\n  mac: ENC[AES256_GCM,data:y]\n",
    ),
    ("only variables", HEAD + "stringData:\n  password: ${DB_PASSWORD}\n"),
    ("1Password references", HEAD + "stringData:\n  token: op://vault/item/token\n"),
    ("no data", HEAD + "type: kubernetes.io/service-account-token\n"),
]


@pytest.mark.parametrize(("case", "text", "line"), BAD, ids=[c[0] for c in BAD])
def test_bad(case: str, text: str, line: int, tmp_path: Path) -> None:
    assert where(run(rule, write_repo(tmp_path, {F: text}))) == [("HO108", F, line)]


@pytest.mark.parametrize(("case", "text"), GOOD, ids=[c[0] for c in GOOD])
def test_good(case: str, text: str, tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: text})) == []


def test_generated_secrets_are_not_committed_objects(tmp_path: Path) -> None:
    files = {
        "kubernetes/apps/app/kustomization.yaml": "secretGenerator:\n  - name: g\n    envs:\n      - s.env\n",
        "kubernetes/apps/app/s.env": "A=b\n",
    }
    assert run(rule, write_repo(tmp_path, files)) == []


def test_file_sops_is_set_up_to_encrypt_says_so(tmp_path: Path) -> None:
    rel = "kubernetes/apps/s.sops.yaml"
    sops = "creation_rules:\n  - path_regex: kubernetes/.+\\.sops\\.ya?ml\n"
    found = run(rule, write_repo(tmp_path, {rel: BAD[0][1], ".sops.yaml": sops}))
    assert where(found) == [("HO108", rel, 1)]
    assert "not encrypted yet" in found[0].message and f"sops --encrypt --in-place {rel}" in found[0].hint
