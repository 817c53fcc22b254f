"""homeops' own SOPS encryption: value types, the MAC, what sops refuses, age, and the YAML layout."""

from __future__ import annotations

import base64
import re

import pytest

from homeops.sops import decrypt_document
from homeops.sops.age import AgeError, age_decrypt, age_encrypt, generate_identity, identity_recipient
from homeops.sops.document import SopsError
from homeops.sops.emit import emit_yaml, format_go_float_g
from homeops.sops.encrypt import Selection, decrypt_text, encrypt_text, file_recipients
from homeops.sops.tree import Branch, Comment, GoTime, parse_yaml
from homeops.yaml.loader import load_documents
from tests.sops.fixtures_plain import ALL_TYPES, SECRET

DEFAULT = Selection("_unencrypted")


def test_round_trip_keeps_every_type(identity: tuple[str, str]) -> None:
    encrypted = encrypt_text(ALL_TYPES, [identity[1]], DEFAULT, file="x.yaml")
    docs = decrypt_text(encrypted, [identity[0]], file="x.yaml").branches
    assert len(docs) == 2
    data = docs[0].get("stringData")
    assert isinstance(data, Branch)
    assert data.get("port") == 5432 and type(data.get("port")) is int
    assert data.get("ratio") == 1.5 and type(data.get("ratio")) is float
    assert data.get("big") == 1e21 and data.get("enabled") is True
    assert data.get("empty") == "" and data.get("old_bool") == "yes"
    assert data.get("when") == GoTime("2024-01-01T00:00:00Z")
    assert data.get("hosts") == [
        "primary",
        Comment(" between"),
        2,
        Branch([("name", "replica"), ("ports", [1, 2])]),
        ["nested", "list"],
    ]
    assert data.get("block") == "line1\nline2\n"
    assert docs[0].get("metadata") == Branch([("name", "db"), ("annotations", Branch([("mode", 493)]))])
    assert docs[1] == Branch([("second", "doc"), ("n", 1000.0)])
    assert docs[0][0] == (Comment(" head comment"), None) and docs[0][1] == (Comment(" trailing"), None)


def test_values_are_encrypted_with_their_path_as_additional_data(identity: tuple[str, str]) -> None:
    encrypted = encrypt_text(SECRET, [identity[1]], Selection(encrypted_regex="^stringData$"), file="x.yaml")
    assert "name: app" in encrypted and "s3cr3t" not in encrypted
    token = re.search(r"TOKEN: (ENC\[.*type:str\])", encrypted)
    assert token is not None
    iv = base64.b64decode(re.search(r"iv:([^,]+)", token.group(1)).group(1))  # type: ignore[union-attr]
    assert len(iv) == 32
    assert re.search(r"PORT: ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:int\]", encrypted)
    moved = encrypted.replace("TOKEN: ENC", "OTHER: ENC")
    with pytest.raises(SopsError, match="stringData:OTHER"):
        decrypt_text(moved, [identity[0]], file="x.yaml")


def test_mac_covers_clear_values_unless_mac_only_encrypted(identity: tuple[str, str]) -> None:
    for selection, fails in (
        (Selection(encrypted_regex="^stringData$"), True),
        (Selection(encrypted_regex="^stringData$", mac_only_encrypted=True), False),
    ):
        encrypted = encrypt_text(SECRET, [identity[1]], selection, file="x.yaml")
        edited = encrypted.replace("namespace: default", "namespace: prod")
        if fails:
            with pytest.raises(SopsError, match="MAC mismatch"):
                decrypt_text(edited, [identity[0]], file="x.yaml")
        else:
            assert (
                decrypt_text(edited, [identity[0]], file="x.yaml")
                .branches[0]
                .get("metadata")
                .get("namespace")
                == "prod"
            )
        assert "mac_only_encrypted: true" in encrypted if not fails else "mac_only_encrypted" not in encrypted


def test_wrong_key_and_several_recipients(identity: tuple[str, str]) -> None:
    other = generate_identity()
    encrypted = encrypt_text(SECRET, [identity[1], identity_recipient(other)], DEFAULT, file="x.yaml")
    assert file_recipients(encrypted, "x.yaml") == (identity[1], identity_recipient(other))
    assert (
        decrypt_text(encrypted, [other], file="x.yaml").branches
        == decrypt_text(encrypted, [identity[0]], file="x.yaml").branches
    )
    with pytest.raises(SopsError, match="no age identity matches"):
        decrypt_text(encrypted, [generate_identity()], file="x.yaml")


def test_existing_document_decryption_reads_homeops_output(identity: tuple[str, str]) -> None:
    encrypted = encrypt_text(SECRET, [identity[1]], Selection(encrypted_regex="^stringData$"), file="x.yaml")
    doc = load_documents(encrypted, "x.yaml")[0]
    assert decrypt_document(doc, [identity[0]])["stringData"] == {"TOKEN": "s3cr3t-value", "PORT": 8080}


def test_decrypt_document_skips_encrypted_list_comments_and_reads_times(identity: tuple[str, str]) -> None:
    text = "a:\n  - x\n  # note\n  - 2024-05-01T10:00:00Z\n"
    encrypted = encrypt_text(text, [identity[1]], DEFAULT, file="x.yaml")
    assert "type:comment]" in encrypted and "type:time]" in encrypted
    doc = load_documents(encrypted, "x.yaml")[0]
    assert decrypt_document(doc, [identity[0]])["a"] == ["x", "2024-05-01T10:00:00Z"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "completely empty"),
        ("sops: 1\n", "already has a top-level 'sops'"),
        ("- a\n", "sequences are not supported"),
        ("just text\n", "values are not supported"),
        ("1: a\n", "string keys only"),
        ("a: 18446744073709551615\n", "uint64"),
        ("a: [\n", "invalid YAML"),
    ],
)
def test_what_sops_refuses(identity: tuple[str, str], text: str, message: str) -> None:
    with pytest.raises(SopsError, match=re.escape(message)):
        encrypt_text(text, [identity[1]], DEFAULT, file="x.yaml")


def test_bad_recipient() -> None:
    with pytest.raises(AgeError, match="recipient"):
        encrypt_text(SECRET, ["age1notarecipient"], DEFAULT, file="x.yaml")


def test_age_encrypt_round_trip_and_armor() -> None:
    key = generate_identity()
    armored = age_encrypt(b"k" * 32, [identity_recipient(key)])
    assert armored.startswith("-----BEGIN AGE ENCRYPTED FILE-----\n") and armored.endswith(
        "-----END AGE ENCRYPTED FILE-----\n"
    )
    assert all(len(line) <= 64 for line in armored.splitlines())
    assert age_decrypt(armored.encode(), [key]) == b"k" * 32
    big = bytes(range(256)) * 600  # several STREAM chunks
    assert age_decrypt(age_encrypt(big, [identity_recipient(key)]).encode(), [key]) == big


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e6, "1e+06"),
        (1e-6, "1e-06"),
        (123456789.5, "1.234567895e+08"),
        (-0.5, "-0.5"),
        (1000.0, "1000"),
        (100000.0, "100000"),
        (float("inf"), ".inf"),
        (float("nan"), ".nan"),
    ],
)
def test_go_float_format(value: float, text: str) -> None:
    assert format_go_float_g(value) == text


def test_emit_quotes_as_go_yaml_v3() -> None:
    text = 'a: "yes"\nb: "1:20"\nc: "- x"\nd: "tab\\there"\ne: ""\nf: " lead"\ng: "0x1F"\nh: plain text\n'
    assert (
        emit_yaml(parse_yaml(text, "x"))
        == 'a: "yes"\nb: "1:20"\nc: \'- x\'\nd: "tab\\there"\ne: ""\nf: \' lead\'\ng: "0x1F"\nh: plain text\n'
    )


def test_emit_layout_and_indent() -> None:
    text = "top:\n  - - a\n    - b\n  - |\n    lit\n  - k:\n      deep: 1\nempty: {}\nnone: []\n"
    assert (
        emit_yaml(parse_yaml(text, "x"))
        == "top:\n    - - a\n      - b\n    - |\n      lit\n    - k:\n        deep: 1\nempty: {}\nnone: []\n"
    )
    assert (
        emit_yaml(parse_yaml(text, "x"), 2)
        == "top:\n  - - a\n    - b\n  - |\n    lit\n  - k:\n      deep: 1\nempty: {}\nnone: []\n"
    )
