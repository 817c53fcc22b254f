"""Generated Secret ``data`` and ConfigMap ``binaryData``: kyaml's 70-column base64 wrapping.

kyaml (v0.20.1, kyaml/yaml/datamap.go ``encodeBase64``) writes base64 shorter than 70 characters on one
line; from 70 characters on it cuts the text into 70-character lines, each ending in a newline (the last
one too), and marks the node literal style. kustomize's hasher reads the node's text, so the newlines are
part of what is hashed. The goldens gen-base64-wrap and gen-base64-wrap-merge hold kubectl's own output.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from homeops.kustomize.build import Builder
from homeops.kustomize.hashing import encode_hash
from homeops.yaml.emitter import dump_documents

SHARED = Path(__file__).resolve().parents[3] / "shared"
ORACLE_BIN = SHARED / "tools" / "oracle-bin"


def _build(root: Path) -> list[dict[str, object]]:
    return [r.obj for r in Builder(root).build(root)]


def _secret_from_file(tmp_path: Path, content: bytes) -> dict[str, object]:
    (tmp_path / "blob").write_bytes(content)
    (tmp_path / "kustomization.yaml").write_text(
        "secretGenerator:\n  - name: s\n    files:\n      - blob\n", encoding="utf-8"
    )
    (obj,) = _build(tmp_path)
    return obj


@pytest.mark.parametrize(
    ("size", "lines"),
    [
        (0, [""]),
        (1, ["AA=="]),
        (51, ["A" * 68]),  # 68 characters: the longest single line
        (52, ["A" * 70, "=="]),  # 72 characters: the first wrapped length
        (105, ["A" * 70, "A" * 70]),  # 140 characters: exactly two full lines, nothing after
        (106, ["A" * 70, "A" * 70, "AA=="]),
    ],
)
def test_secret_file_wrapping(tmp_path: Path, size: int, lines: list[str]) -> None:
    obj = _secret_from_file(tmp_path, b"\0" * size)
    data = obj["data"]
    assert isinstance(data, dict)
    value = data["blob"]
    if len(lines) == 1:
        assert value == lines[0]
    else:
        assert value == "".join(line + "\n" for line in lines)
        assert base64.b64decode(value.replace("\n", "")) == b"\0" * size


def test_wrapped_value_is_a_literal_block(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "secretGenerator:\n  - name: s\n    literals:\n      - k=" + "x" * 60 + "\n", encoding="utf-8"
    )
    text = dump_documents(_build(tmp_path))
    encoded = base64.b64encode(b"x" * 60).decode()
    assert f"  k: |\n    {encoded[:70]}\n    {encoded[70:]}\n" in text


def test_binary_data_is_wrapped_text_data_is_not(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"\xff" * 60)
    (tmp_path / "txt").write_bytes(b"t" * 200)
    (tmp_path / "kustomization.yaml").write_text(
        "configMapGenerator:\n  - name: c\n    files:\n      - bin\n      - txt\n", encoding="utf-8"
    )
    (obj,) = _build(tmp_path)
    binary, data = obj["binaryData"], obj["data"]
    assert isinstance(binary, dict) and isinstance(data, dict)
    encoded = base64.b64encode(b"\xff" * 60).decode()
    assert binary["bin"] == f"{encoded[:70]}\n{encoded[70:]}\n"
    assert data["txt"] == "t" * 200


def _kustomize_hash(enc: dict[str, object]) -> str:
    # Go's json.Marshal of the hasher's map: sorted keys, no spaces (nothing here needs HTML escaping).
    return encode_hash(
        hashlib.sha256(json.dumps(enc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    )


def test_hash_covers_the_wrapped_text(tmp_path: Path) -> None:
    value = "postgres://app:correct-horse-battery-staple@db.example.internal:5432/app?sslmode=require"
    (tmp_path / "kustomization.yaml").write_text(
        f"secretGenerator:\n  - name: db\n    literals:\n      - url={value}\n", encoding="utf-8"
    )
    (obj,) = _build(tmp_path)
    encoded = base64.b64encode(value.encode()).decode()
    wrapped = f"{encoded[:70]}\n{encoded[70:]}\n"
    metadata = obj["metadata"]
    assert isinstance(metadata, dict)
    expected = _kustomize_hash({"data": {"url": wrapped}, "kind": "Secret", "name": "", "type": "Opaque"})
    unwrapped = _kustomize_hash({"data": {"url": encoded}, "kind": "Secret", "name": "", "type": "Opaque"})
    assert expected != unwrapped
    assert metadata["name"] == f"db-{expected}"


def _kubectl() -> Path | None:
    if not ORACLE_BIN.is_file() or shutil.which("bash") is None:
        return None
    proc = subprocess.run(["bash", str(ORACLE_BIN)], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    kubectl = Path(proc.stdout.strip().splitlines()[-1]) / "kubectl"
    return kubectl if kubectl.is_file() else None


@pytest.mark.oracle
def test_every_length_matches_kubectl(tmp_path: Path) -> None:
    kubectl = _kubectl()
    if kubectl is None:
        pytest.skip(f"the real kubectl is unavailable ({ORACLE_BIN} missing or failing)")
    files = []
    for size in range(0, 160):
        name = f"f{size:03d}"
        (tmp_path / name).write_bytes(bytes((i * 7 + size) % 256 for i in range(size)))
        files.append(name)
    listing = "".join(f"      - {n}\n" for n in files)
    (tmp_path / "kustomization.yaml").write_text(
        f"secretGenerator:\n  - name: s\n    files:\n{listing}"
        f"configMapGenerator:\n  - name: c\n    files:\n{listing}",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [str(kubectl), "kustomize", str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert dump_documents(_build(tmp_path)) == proc.stdout
