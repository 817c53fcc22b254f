"""The parse cache: a repository's files parsed once, then loaded from the pack with the same documents and
positions; a changed file is parsed again, a damaged pack is ignored."""

from __future__ import annotations

from pathlib import Path

from homeops.cache.parses import ParseStore
from homeops.cache.store import Store
from homeops.kustomize.files import FileLoader
from homeops.yaml.nodes import to_plain

DOC = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"


def _load(root: Path, cache: Path, name: str = "cm.yaml") -> tuple[list[object], ParseStore]:
    loader = FileLoader(root)
    store = ParseStore(Store(cache), str(root), str(root), str(root) + "/")
    loader.parse_store = store
    docs = loader.parsed(root / name)
    store.flush()
    return docs, store


def test_second_run_loads_the_same_documents(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "cm.yaml").write_text(DOC)
    cache = tmp_path / "cache"
    first, store = _load(root, cache)
    assert store.added == 1
    second, store = _load(root, cache)
    assert store.added == 0  # served from the pack
    assert to_plain(second) == to_plain(first)
    a, b = first[0], second[0]
    assert a.pos == b.pos and a["metadata"].kpos == b["metadata"].kpos  # type: ignore[attr-defined,index]


def test_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "cm.yaml").write_text(DOC)
    cache = tmp_path / "cache"
    _load(root, cache)
    (root / "cm.yaml").write_text(DOC.replace("k: v", "k: changed"))
    docs, store = _load(root, cache)
    assert store.added == 1 and to_plain(docs)[0]["data"] == {"k": "changed"}


def test_a_damaged_pack_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "cm.yaml").write_text(DOC)
    cache = tmp_path / "cache"
    _, store = _load(root, cache)
    shards = [p for p in cache.rglob(store.key + "*") if p.is_file()]
    assert shards
    for pack in shards:
        pack.write_bytes(pack.read_bytes()[:-20] + b"x" * 20)
    docs, store = _load(root, cache)
    assert store.added == 1 and to_plain(docs)[0]["metadata"] == {"name": "a"}
