"""The real sops 3.x binary against homeops: each decrypts (MAC checked) what the other encrypts, and the
encrypted layout is the same once the random parts (ciphertexts, IVs, tags, age blocks, time) are masked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homeops.sops.emit import emit_yaml
from homeops.sops.encrypt import Selection, decrypt_text, encrypt_text
from homeops.sops.tree import parse_yaml
from tests.sops.conftest import needs_sops, run_sops
from tests.sops.fixtures_plain import ALL_TYPES, SECRET

pytestmark = needs_sops

# (sops command-line flags, the same selection for homeops)
SELECTIONS = [
    ((), Selection("_unencrypted")),
    (("--encrypted-regex", "^(data|stringData)$"), Selection(encrypted_regex="^(data|stringData)$")),
    (("--unencrypted-suffix", "_clear"), Selection(unencrypted_suffix="_clear")),
    (("--encrypted-suffix", "word"), Selection(encrypted_suffix="word")),
    (
        ("--unencrypted-regex", "^(apiVersion|kind|metadata)$"),
        Selection(unencrypted_regex="^(apiVersion|kind|metadata)$"),
    ),
    (
        ("--encrypted-regex", "^stringData$", "--mac-only-encrypted"),
        Selection(encrypted_regex="^stringData$", mac_only_encrypted=True),
    ),
    (("--encrypted-comment-regex", "^ inside"), Selection(encrypted_comment_regex="^ inside")),
]
IDS = [
    "default",
    "encrypted_regex",
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "mac_only",
    "comment_regex",
]


def _mask(text: str) -> str:
    text = re.sub(r"ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]", r"ENC[\1]", text)
    text = re.sub(
        r"-----BEGIN AGE ENCRYPTED FILE-----\n(.*\n)*?\s*-----END AGE ENCRYPTED FILE-----", "AGE", text
    )
    text = re.sub(r'lastmodified: "[^"]*"', "lastmodified: T", text)
    return re.sub(r"version: .*", "version: V", text)


@pytest.mark.parametrize(("flags", "selection"), SELECTIONS, ids=IDS)
@pytest.mark.parametrize("plain", [ALL_TYPES, SECRET], ids=["all-types", "secret"])
def test_sops_decrypts_what_homeops_writes(
    tmp_path: Path,
    identity: tuple[str, str],
    key_file: Path,
    flags: tuple[str, ...],
    selection: Selection,
    plain: str,
) -> None:
    encrypted = encrypt_text(plain, [identity[1]], selection, file="x.yaml")
    target = tmp_path / "x.sops.yaml"
    target.write_text(encrypted)
    done = run_sops("--decrypt", str(target), key_file=key_file)
    assert done.returncode == 0, done.stderr
    expected = emit_yaml(parse_yaml(plain, "plain.yaml"))
    assert done.stdout == expected
    assert decrypt_text(encrypted, [identity[0]], file="x.yaml").text() == expected


@pytest.mark.parametrize(("flags", "selection"), SELECTIONS, ids=IDS)
@pytest.mark.parametrize("plain", [ALL_TYPES, SECRET], ids=["all-types", "secret"])
def test_homeops_decrypts_what_sops_writes_with_the_same_layout(
    tmp_path: Path,
    identity: tuple[str, str],
    key_file: Path,
    flags: tuple[str, ...],
    selection: Selection,
    plain: str,
) -> None:
    source = tmp_path / "plain.yaml"
    source.write_text(plain)
    done = run_sops("--encrypt", "--age", identity[1], *flags, str(source))
    assert done.returncode == 0, done.stderr
    theirs = done.stdout
    sops_plain = tmp_path / "enc.yaml"
    sops_plain.write_text(theirs)
    clear = run_sops("--decrypt", str(sops_plain), key_file=key_file)
    assert clear.returncode == 0, clear.stderr
    decrypted = decrypt_text(theirs, [identity[0]], file="enc.yaml")
    assert decrypted.text() == clear.stdout
    assert decrypted.recipients == (identity[1],)
    ours = encrypt_text(plain, [identity[1]], selection, file="x.yaml")
    assert _mask(ours) == _mask(theirs)


def test_sops_rejects_a_tampered_homeops_file(
    tmp_path: Path, identity: tuple[str, str], key_file: Path
) -> None:
    encrypted = encrypt_text(SECRET, [identity[1]], Selection(encrypted_regex="^stringData$"), file="x.yaml")
    tampered = encrypted.replace("name: app", "name: other")
    assert tampered != encrypted
    target = tmp_path / "x.yaml"
    target.write_text(tampered)
    done = run_sops("--decrypt", str(target), key_file=key_file)
    assert done.returncode != 0 and "MAC mismatch" in done.stderr


def test_sops_encrypts_with_a_rule_homeops_reads(
    tmp_path: Path, identity: tuple[str, str], key_file: Path
) -> None:
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - path_regex: .*\\.sops\\.yaml$\n    encrypted_regex: ^stringData$\n"
        f"    age: {identity[1]}\n"
    )
    target = tmp_path / "app.sops.yaml"
    target.write_text(SECRET)
    done = run_sops("--encrypt", "--in-place", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    decrypted = decrypt_text(target.read_text(), [identity[0]], file="app.sops.yaml")
    assert decrypted.selection == Selection(encrypted_regex="^stringData$")
    assert decrypted.text() == emit_yaml(parse_yaml(SECRET, "x"))
