"""Deciding what a render changes on disk, refusing unsafe changes, and applying them all or not at all.

``plan_changes`` compares the rendered files with the output directory and the manifest: files homeops
did not write before (or that were edited since) are never overwritten or pruned without ``force``, and a
target whose path leaves the output directory (``..``, an absolute path, a symbolic link pointing outside,
the state directory) is refused, and so is one under a ``.git`` directory. ``journal.commit`` applies a
plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from homeops.errors import Location
from homeops.templating.manifest import STATE_DIR, Manifest, sha256
from homeops.templating.render import RenderedFile, RenderOutcome
from homeops.templating.report import Finding, FindingCode, Severity
from homeops.templating.safety import git_problem


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
    git_dir: Path | None = None,
) -> Plan:
    """What applying ``outcome`` to ``output_dir`` means. ``display`` is how the output dir is shown.
    ``plain_hashes`` are the hashes of the plaintext of the files configure SOPS-encrypted. Nothing is
    written under a ``.git`` directory, nor anywhere that resolves into ``git_dir`` (the repository's)."""
    plain = plain_hashes or {}
    plan = Plan()

    def where(rel: str) -> Location:
        return Location(f"{display}/{rel}" if display not in ("", ".") else rel)

    def refuse(code: FindingCode, rel: str, message: str, hint: str | None = None) -> None:
        plan.findings.append(Finding(Severity.ERROR, code, message, where(rel), rel, hint))

    for rel, rendered in outcome.files.items():
        git = git_problem(output_dir, rel, git_dir)
        if git is not None:
            refuse(FindingCode.GIT_DIRECTORY, rel, f"refusing to write {rel}: {git}")
            continue
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
        if git_problem(output_dir, rel, git_dir) is not None:
            refuse(FindingCode.GIT_DIRECTORY, rel, f"refusing to create {rel}/: it is under .git/")
        elif target_problem(output_dir, rel) is None and not (output_dir / rel).is_dir():
            plan.dirs.append(rel)
    for rel, old_hash in sorted(manifest.files.items()):
        if rel in outcome.files:
            continue
        if target_problem(output_dir, rel) is not None or git_problem(output_dir, rel, git_dir) is not None:
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
