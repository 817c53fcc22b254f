"""Packs: one store entry of many blobs; entries a run did not use survive KEEP_GENERATIONS writing runs, a
run that adds nothing writes nothing, a damaged or foreign pack reads as empty, and forget drops a blob."""

from __future__ import annotations

from pathlib import Path

from homeops.cache.packs import KEEP_GENERATIONS, Pack
from homeops.cache.store import Store


def _reopen(store: Store) -> Pack[str]:
    return Pack(store, "ntest")


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
    first = _reopen(store)
    first.put("kept-by-others", b"x")
    first.flush()
    for i in range(KEEP_GENERATIONS - 1):  # runs that use only their own entry
        run = _reopen(store)
        run.put(f"run-{i}", b"y")
        run.flush()
    assert _reopen(store).get("kept-by-others") == b"x"
    last = _reopen(store)
    last.put("one-more", b"z")
    last.flush()
    after = _reopen(store)
    assert after.get("kept-by-others") is None  # unused for KEEP_GENERATIONS writing runs
    assert after.get("one-more") == b"z"
    assert after.get(f"run-{KEEP_GENERATIONS - 2}") == b"y"


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
    store.put("ntest", b"not a pickle")
    assert _reopen(store).get("a") is None
    import pickle

    store.put("ntest", pickle.dumps({"a": b"old format"}))
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
