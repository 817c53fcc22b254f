"""The parse cache: a repository's files parsed once, then loaded from the pack with the same documents and
positions; a changed file is parsed again, a damaged pack is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_load_yaml_hands_a_stored_parse_to_its_first_user_and_copies_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import homeops.kustomize.files as files

    root = tmp_path / "repo"
    root.mkdir()
    (root / "cm.yaml").write_text(DOC)
    cache = tmp_path / "cache"
    _load(root, cache)  # the pack holds the file's parse
    loader = FileLoader(root)
    loader.parse_store = ParseStore(Store(cache), str(root), str(root), str(root) + "/")
    from homeops.yaml.nodes import deep_copy

    copies: list[object] = []

    def counting(value: object) -> object:
        copies.append(value)
        return deep_copy(value)

    monkeypatch.setattr(files, "deep_copy", counting)
    first = loader.load_yaml(root / "cm.yaml")
    assert copies == []  # loaded from the pack: nothing else holds it, nothing to copy
    first[0]["data"]["k"] = "changed by the first user"
    second = loader.load_yaml(root / "cm.yaml")
    third = loader.load_yaml(root / "cm.yaml")
    assert len(copies) == 2  # then copies of the shared parse, as for a file this run parsed
    assert to_plain(second) == to_plain(third) and to_plain(second)[0]["data"] == {"k": "v"}
    assert second[0] is not third[0] and second[0]["metadata"].kpos == third[0]["metadata"].kpos
    assert second[0]["metadata"].kpos["name"].line == 4
    fresh = FileLoader(root)  # without a parse store: the shared parse, copied at every use
    fresh.load_yaml(root / "cm.yaml")
    assert len(copies) == 3
