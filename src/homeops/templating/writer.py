"""Deciding what a render changes on disk, refusing unsafe changes, and applying them all or not at all.

``plan_changes`` compares the rendered files with the output directory and the manifest: files homeops
did not write before (or that were edited since) are never overwritten or pruned without ``force``, and a
target whose path leaves the output directory (``..``, an absolute path, a symbolic link pointing outside,
the state directory) is refused. ``commit`` stages every new file next to its destination, then moves
them into place; if a move fails, the files already replaced are restored from backups.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from homeops.errors import BuildError, Location
from homeops.templating.manifest import MANIFEST_REL, STATE_DIR, Manifest, manifest_bytes, sha256
from homeops.templating.render import RenderedFile, RenderOutcome
from homeops.templating.report import Finding, FindingCode, Severity


@dataclass(slots=True)
class Plan:
    """The changes a render implies, and the findings that forbid applying them."""

    writes: list[RenderedFile] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    manifest: dict[str, str] = field(default_factory=dict)
    manifest_changed: bool = False

    @property
    def has_changes(self) -> bool:
        """True when applying the plan changes anything on disk."""
        return bool(self.writes or self.deletes or self.manifest_changed or self.dirs)


def target_problem(output_dir: Path, rel: str) -> str | None:
    """Why writing ``rel`` under ``output_dir`` would be unsafe, or None when it is safe."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or not pure.parts or any(p in ("..", ".", "") for p in pure.parts):
        return "its path leaves the output directory"
    if pure.parts[0] == STATE_DIR:
        return f"{STATE_DIR}/ is reserved for homeops"
    root = output_dir.resolve()
    current = output_dir
    for index, part in enumerate(pure.parts):
        current = current / part
        last = index == len(pure.parts) - 1
        if current.is_symlink():
            if not current.resolve().is_relative_to(root):
                what = "it" if last else str(PurePosixPath(*pure.parts[: index + 1]))
                return f"{what} is a symbolic link out of the output directory"
            if last:
                return "it is a symbolic link"
        elif not current.exists():
            return None
        elif last and current.is_dir():
            return "it is a directory"
        elif not last and not current.is_dir():
            return f"{PurePosixPath(*pure.parts[: index + 1])} is not a directory"
    return None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _sops_encrypted(content: bytes) -> bool:
    return b"\nsops:" in content and b"ENC[AES256_GCM," in content


def plan_changes(
    output_dir: Path,
    outcome: RenderOutcome,
    manifest: Manifest,
    *,
    force: bool,
    prune: bool,
    display: str,
    plain_hashes: Mapping[str, str] | None = None,
) -> Plan:
    """What applying ``outcome`` to ``output_dir`` means. ``display`` is how the output dir is shown.
    ``plain_hashes`` are the hashes of the plaintext of the files configure SOPS-encrypted."""
    plain = plain_hashes or {}
    plan = Plan()

    def where(rel: str) -> Location:
        return Location(f"{display}/{rel}" if display not in ("", ".") else rel)

    def refuse(code: FindingCode, rel: str, message: str, hint: str | None = None) -> None:
        plan.findings.append(Finding(Severity.ERROR, code, message, where(rel), rel, hint))

    for rel, rendered in outcome.files.items():
        problem = target_problem(output_dir, rel)
        if problem is not None:
            refuse(FindingCode.PATH_ESCAPE, rel, f"refusing to write {rel}: {problem}")
            continue
        new_hash = sha256(rendered.content)
        plan.manifest[rel] = new_hash
        current = _read(output_dir / rel)
        if current is None:
            plan.created.append(rel)
            plan.writes.append(rendered)
        elif current == rendered.content:
            plan.unchanged.append(rel)
        elif manifest.files.get(rel) in (new_hash, plain.get(rel, new_hash)) and _sops_encrypted(current):
            # Rendered as last time, then encrypted in place with sops (task configure does that): the
            # encrypted file is the user's to keep.
            plan.manifest[rel] = manifest.files[rel]
            plan.unchanged.append(rel)
        elif force or manifest.files.get(rel) == sha256(current):
            plan.changed.append(rel)
            plan.writes.append(rendered)
        elif rel in manifest.files:
            refuse(
                FindingCode.MODIFIED_FILE,
                rel,
                f"{rel} was edited since configure wrote it",
                "move your edits into the template, or pass --force to overwrite them",
            )
        else:
            refuse(
                FindingCode.UNMANAGED_FILE,
                rel,
                f"{rel} exists and was not written by configure",
                "pass --force to overwrite it",
            )
    for rel in outcome.dirs:
        if target_problem(output_dir, rel) is None and not (output_dir / rel).is_dir():
            plan.dirs.append(rel)
    for rel, old_hash in sorted(manifest.files.items()):
        if rel in outcome.files:
            continue
        if target_problem(output_dir, rel) is not None:
            continue  # never follow a manifest entry out of the output directory
        current = _read(output_dir / rel)
        if current is None:
            continue
        plan.stale.append(rel)
        if prune and (force or sha256(current) == old_hash):
            plan.deletes.append(rel)
        else:
            plan.manifest[rel] = old_hash
            if prune:
                plan.findings.append(
                    Finding(
                        Severity.WARNING,
                        FindingCode.MODIFIED_FILE,
                        f"{rel} is no longer rendered but was edited since configure wrote it; kept",
                        where(rel),
                        rel,
                        "delete it yourself, or pass --force to prune it",
                    )
                )
    plan.manifest_changed = dict(manifest.files) != plan.manifest
    return plan


def _remove_empty_parents(output_dir: Path, rel: str) -> None:
    parent = (output_dir / rel).parent
    while parent != output_dir and parent.is_relative_to(output_dir):
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def commit(output_dir: Path, plan: Plan) -> None:
    """Applies ``plan``: every file or none (backups restore replaced files if a move fails)."""
    state = output_dir / STATE_DIR
    if state.is_symlink():
        raise BuildError(f"{state} is a symbolic link; refusing to use it")
    state.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="configure-", dir=state))
    done: list[tuple[Path, Path | None]] = []  # (target, backup or None when the target was new)
    try:
        staged: list[tuple[Path, Path]] = []
        for index, rendered in enumerate(plan.writes):
            target = output_dir / rendered.rel
            tmp = work / f"new-{index}"
            tmp.write_bytes(rendered.content)
            if rendered.stat_source is not None:
                shutil.copystat(rendered.stat_source, tmp)
            elif target.exists():
                os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
            staged.append((tmp, target))
        manifest_tmp = work / "manifest"
        manifest_tmp.write_bytes(manifest_bytes(plan.manifest))
        for index, (tmp, target) in enumerate(staged):
            backup: Path | None = None
            if target.exists():
                backup = work / f"old-{index}"
                shutil.copy2(target, backup)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            done.append((target, backup))
        for index, rel in enumerate(plan.deletes):
            target = output_dir / rel
            backup = work / f"del-{index}"
            os.replace(target, backup)
            done.append((target, backup))
        for rel in plan.dirs:
            (output_dir / rel).mkdir(parents=True, exist_ok=True)
        os.replace(manifest_tmp, output_dir / MANIFEST_REL)
    except OSError as exc:
        for target, backup in reversed(done):
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        shutil.rmtree(work, ignore_errors=True)
        raise BuildError(f"cannot write the rendered files, nothing was changed: {exc}") from exc
    shutil.rmtree(work, ignore_errors=True)
    for rel in plan.deletes:
        _remove_empty_parents(output_dir, rel)
