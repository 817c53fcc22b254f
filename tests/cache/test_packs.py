"""Packs: a few store entries (shards) of many blobs; entries a run did not use survive KEEP_GENERATIONS runs
writing their shard, a run writes only the shards it added to (nothing when it added nothing), a damaged or
foreign shard reads as empty, and forget drops a blob."""

from __future__ import annotations

import pickle
from pathlib import Path

from homeops.cache.packs import KEEP_GENERATIONS, SHARDS, Pack, shard_of
from homeops.cache.store import Store


def _reopen(store: Store) -> Pack[str]:
    return Pack(store, "ntest")


def _same_shard(count: int) -> list[str]:
    """``count`` keys that fall into one shard."""
    by_shard: dict[int, list[str]] = {}
    i = 0
    while True:
        key = f"k{i}"
        found = by_shard.setdefault(shard_of(key), [])
        found.append(key)
        if len(found) == count:
            return found
        i += 1


def test_round_trip_and_no_write_without_additions(tmp_path: Path) -> None:
    store = Store(tmp_path)
    pack = _reopen(store)
    assert pack.get("a") is None
    pack.put("a", b"alpha")
    pack.flush()
    written = store.written
    again = _reopen(store)
    assert again.get("a") == b"alpha"
    again.put("a", b"alpha")  # the same blob: nothing added
    again.flush()
    assert store.written == written


def test_unused_entries_survive_partial_runs_then_age_out(tmp_path: Path) -> None:
    store = Store(tmp_path)
    kept, *runs, one_more = _same_shard(KEEP_GENERATIONS + 1)
    first = _reopen(store)
    first.put(kept, b"x")
    first.flush()
    for key in runs:  # KEEP_GENERATIONS - 1 runs that write the shard, using only their own entry
        run = _reopen(store)
        run.put(key, b"y")
        run.flush()
    assert _reopen(store).get(kept) == b"x"
    last = _reopen(store)
    last.put(one_more, b"z")
    last.flush()
    after = _reopen(store)
    assert after.get(kept) is None  # unused for KEEP_GENERATIONS writes of its shard
    assert after.get(one_more) == b"z"
    assert after.get(runs[-1]) == b"y"


def test_writes_to_other_shards_do_not_age_an_entry(tmp_path: Path) -> None:
    store = Store(tmp_path)
    (kept,) = _same_shard(1)
    others = [f"o{i}" for i in range(200) if shard_of(f"o{i}") != shard_of(kept)]
    first = _reopen(store)
    first.put(kept, b"x")
    first.flush()
    for key in others[: 2 * KEEP_GENERATIONS]:
        run = _reopen(store)
        run.put(key, b"y")
        run.flush()
    assert _reopen(store).get(kept) == b"x"


def test_a_run_rewrites_only_the_shards_it_added_to(tmp_path: Path) -> None:
    store = Store(tmp_path)
    pack = _reopen(store)
    keys = [f"k{i}" for i in range(400)]
    for key in keys:
        pack.put(key, key.encode() * 100)
    pack.flush()
    files = sorted(p for p in tmp_path.rglob("ntest*") if p.is_file())
    assert len(files) == SHARDS  # 400 keys reach every shard
    inodes = {p.name: p.stat().st_ino for p in files}  # a rewrite renames a new file into place
    run = _reopen(store)
    assert all(run.get(k) == k.encode() * 100 for k in keys)
    written = store.written
    run.put("new", b"n")
    run.flush()
    rewritten = [p.name for p in files if p.stat().st_ino != inodes[p.name]]
    assert rewritten == [pack.shard_key(shard_of("new"))]
    assert store.written - written < sum(len(k) * 100 for k in keys) / 4  # a shard, not the pack
    assert _reopen(store).get("new") == b"n"


def test_use_renews_an_entry(tmp_path: Path) -> None:
    store = Store(tmp_path)
    pack = _reopen(store)
    pack.put("old", b"o")
    pack.flush()
    for i in range(2 * KEEP_GENERATIONS):
        run = _reopen(store)
        assert run.get("old") == b"o"  # used by every run: never ages out
        run.put(f"new-{i}", b"n")
        run.flush()
    assert _reopen(store).get("old") == b"o"


def test_damaged_or_foreign_pack_reads_empty(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shard = _reopen(store).shard_key(shard_of("a"))
    store.put(shard, b"not a pickle")
    assert _reopen(store).get("a") is None
    store.put(shard, pickle.dumps({"a": b"old format"}))
    pack = _reopen(store)
    assert pack.get("a") is None
    pack.put("a", b"new")
    pack.flush()
    assert _reopen(store).get("a") == b"new"


def test_forget_drops_a_blob_and_rewrites(tmp_path: Path) -> None:
    store = Store(tmp_path)
    pack = _reopen(store)
    pack.put("bad", b"damaged")
    pack.put("good", b"fine")
    pack.flush()
    run = _reopen(store)
    assert run.get("bad") == b"damaged"
    run.forget("bad")
    run.flush()
    after = _reopen(store)
    assert after.get("bad") is None
    assert after.get("good") == b"fine"
