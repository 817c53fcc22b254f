"""Applying a configure plan all-or-nothing across files, even when the process is killed.

``commit`` stages every new file (and the new manifest) in a work directory under the output's ``.homeops/``,
copies every file it will replace to a backup there, and writes a journal (``configure-journal.json``,
fsynced) listing each step before it moves anything. Then it moves the staged files into place, removes the
journal, and the work directory with the backups. A configure that finds a journal (a run was killed while
moving) finishes it when every staged file is still there (or already in place), and rolls it back from the
backups otherwise; it says which. ``configure_lock`` serialises configures of one output directory with an
exclusive ``flock`` on ``.homeops/configure.lock``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.errors import BuildError, Location
from homeops.templating.manifest import MANIFEST_REL, STATE_DIR, manifest_bytes, sha256
from homeops.templating.report import Finding, FindingCode, Severity

if TYPE_CHECKING:
    from homeops.templating.writer import Plan

JOURNAL_REL = f"{STATE_DIR}/configure-journal.json"
LOCK_REL = f"{STATE_DIR}/configure.lock"
JOURNAL_VERSION = 1
COMPLETED = "an interrupted configure was completed"
ROLLED_BACK = "an interrupted configure was rolled back"


def move(src: Path, dst: Path) -> None:
    """Moves one file into place (atomically on one file system). Tests replace it to simulate a kill."""
    os.replace(src, dst)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with suppress(OSError):  # some file systems cannot fsync a directory
        _fsync_file(path)


def _state_dir(output_dir: Path) -> Path:
    state = output_dir / STATE_DIR
    if state.is_symlink():
        raise BuildError(f"{state} is a symbolic link; refusing to use it")
    return state


@contextmanager
def configure_lock(output_dir: Path, timeout: float) -> Iterator[None]:
    """Holds the exclusive configure lock of ``output_dir``, waiting up to ``timeout`` seconds for it."""
    state = _state_dir(output_dir)
    state.mkdir(parents=True, exist_ok=True)
    fd = os.open(state / "configure.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildError(
                        f"another configure of {output_dir} is running: gave up waiting after {timeout:g} s",
                        location=Location(LOCK_REL),
                        hint="wait for it to finish and run configure again",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _write_journal(output_dir: Path, doc: dict[str, Any]) -> None:
    path = output_dir / JOURNAL_REL
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(json.dumps(doc, indent=1).encode("utf-8"))
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _stage(work: Path, name: str, content: bytes) -> Path:
    path = work / name
    path.write_bytes(content)
    _fsync_file(path)
    return path


def _hash_of(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes()) if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def commit(output_dir: Path, plan: Plan) -> None:
    """Applies ``plan`` through a journal: every file or none, even across a kill (see the module doc)."""
    state = _state_dir(output_dir)
    state.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="configure-", dir=state))
    steps: list[dict[str, Any]] = []
    try:
        targets: list[tuple[str, bytes, Path | None]] = [
            (r.rel, r.content, r.stat_source) for r in plan.writes
        ]
        targets.append((MANIFEST_REL, manifest_bytes(plan.manifest), None))
        for index, (rel, content, stat_source) in enumerate(targets):
            target = output_dir / rel
            staged = _stage(work, f"new-{index}", content)
            if stat_source is not None:
                shutil.copystat(stat_source, staged)
            elif target.exists():
                os.chmod(staged, stat.S_IMODE(target.stat().st_mode))
            backup: str | None = None
            if target.exists():
                shutil.copy2(target, work / f"old-{index}")
                _fsync_file(work / f"old-{index}")
                backup = f"{work.name}/old-{index}"
            step = {"op": "move", "staged": f"{work.name}/new-{index}", "target": rel, "backup": backup}
            steps.append(step | {"sha256": sha256(content)})
        manifest_step = steps.pop()
        for index, rel in enumerate(plan.deletes):
            steps.append({"op": "delete", "target": rel, "backup": f"{work.name}/del-{index}"})
        steps.extend({"op": "mkdir", "target": rel} for rel in plan.dirs)
        steps.append(manifest_step)
        _fsync_dir(work)
        _write_journal(output_dir, {"version": JOURNAL_VERSION, "work": work.name, "steps": steps})
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise BuildError(f"cannot stage the rendered files, nothing was changed: {exc}") from exc
    try:
        _finish(output_dir, steps)
    except OSError as exc:
        _rollback(output_dir, steps)
        _cleanup(output_dir, work.name)
        raise BuildError(f"cannot write the rendered files, nothing was changed: {exc}") from exc
    _cleanup(output_dir, work.name)
    for rel in plan.deletes:
        _remove_empty_parents(output_dir, rel)


def _finish(output_dir: Path, steps: list[dict[str, Any]]) -> None:
    state = output_dir / STATE_DIR
    for step in steps:
        target = output_dir / step["target"]
        if step["op"] == "move":
            staged = state / step["staged"]
            if staged.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                move(staged, target)
        elif step["op"] == "delete":
            if target.exists() or target.is_symlink():
                move(target, state / step["backup"])
        else:
            target.mkdir(parents=True, exist_ok=True)


def _rollback(output_dir: Path, steps: list[dict[str, Any]]) -> None:
    state = output_dir / STATE_DIR
    for step in reversed(steps):
        target = output_dir / step["target"]
        backup = state / step["backup"] if step.get("backup") else None
        if step["op"] == "move":
            if backup is not None:
                if backup.exists():
                    os.replace(backup, target)
            elif _hash_of(target) == step["sha256"]:
                target.unlink()
                _remove_empty_parents(output_dir, step["target"])
        elif step["op"] == "delete":
            if backup is not None and backup.exists() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(backup, target)
        else:
            with suppress(OSError):
                target.rmdir()


def _cleanup(output_dir: Path, work_name: str) -> None:
    journal = output_dir / JOURNAL_REL
    journal.unlink(missing_ok=True)
    _fsync_dir(journal.parent)
    if work_name and "/" not in work_name and work_name not in (".", ".."):
        shutil.rmtree(output_dir / STATE_DIR / work_name, ignore_errors=True)


def _remove_empty_parents(output_dir: Path, rel: str) -> None:
    parent = (output_dir / rel).parent
    while parent != output_dir and parent.is_relative_to(output_dir):
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def _read_journal(path: Path) -> tuple[str, list[dict[str, Any]]]:
    where = Location(JOURNAL_REL)
    try:
        doc = json.loads(path.read_bytes())
        steps = doc["steps"]
        work = doc["work"]
        if doc.get("version") != JOURNAL_VERSION or not isinstance(steps, list) or not isinstance(work, str):
            raise ValueError("unknown format")
        for step in steps:
            if step["op"] not in ("move", "delete", "mkdir") or not isinstance(step["target"], str):
                raise ValueError("unknown step")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BuildError(
            f"the journal of an interrupted configure cannot be read: {exc}",
            location=where,
            hint=f"check the output directory by hand, then delete {JOURNAL_REL}",
        ) from exc
    return work, steps


def _can_finish(output_dir: Path, steps: list[dict[str, Any]]) -> bool:
    state = output_dir / STATE_DIR
    return all(
        (state / s["staged"]).is_file() or _hash_of(output_dir / s["target"]) == s["sha256"]
        for s in steps
        if s["op"] == "move"
    )


def recover(output_dir: Path) -> Finding | None:
    """Finishes or rolls back the configure a journal in ``output_dir`` records (the caller holds the lock).

    Returns the notice saying which was done, or None when there was no journal."""
    journal = output_dir / JOURNAL_REL
    if not journal.is_file():
        return None
    work, steps = _read_journal(journal)
    try:
        if _can_finish(output_dir, steps):
            _finish(output_dir, steps)
            message = f"{COMPLETED} (every staged file was still there)"
        else:
            _rollback(output_dir, steps)
            message = f"{ROLLED_BACK} (staged files were missing); the files are those of the run before"
    except OSError as exc:
        raise BuildError(
            f"cannot recover the interrupted configure: {exc}", location=Location(JOURNAL_REL)
        ) from exc
    _cleanup(output_dir, work)
    for step in steps:
        if step["op"] == "delete":
            _remove_empty_parents(output_dir, step["target"])
    return Finding(Severity.WARNING, FindingCode.RECOVERED, message, Location(JOURNAL_REL))


def recover_if_interrupted(output_dir: Path, timeout: float) -> Finding | None:
    """``recover`` under the configure lock, when a journal is there (nothing is created otherwise)."""
    if not (output_dir / JOURNAL_REL).is_file():
        return None
    with configure_lock(output_dir, timeout):
        return recover(output_dir)
