"""``configure --check``: would ``configure`` change the tree? Renders in memory, writes nothing.

The check is ``configure`` itself in dry-run mode (the render, the SOPS step and the change plan are the
same code), read as a verdict: the files it would create, overwrite or prune, and whether the manifest it
keeps would list other files. Used by the ``homeops-configure-check`` pre-commit hook: a commit whose
rendered files do not match its templates and ``bootstrap/config.yaml`` fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from homeops.templating.configure import configure
from homeops.templating.manifest import MANIFEST_REL, read_manifest
from homeops.templating.report import ConfigureOptions, ConfigureResult

__all__ = ["ChangeKind", "ConfigureCheck", "PendingChange", "check_configure"]


class ChangeKind(StrEnum):
    """What ``configure`` would do to one path."""

    CREATE = "create"
    CHANGE = "change"
    PRUNE = "prune"
    MANIFEST = "update"


@dataclass(frozen=True, slots=True)
class PendingChange:
    """One path ``configure`` would write or remove (POSIX, relative to the output directory)."""

    kind: ChangeKind
    path: str

    def __str__(self) -> str:
        return f"would {self.kind}: {self.path}"


@dataclass(frozen=True, slots=True)
class ConfigureCheck:
    """The dry-run result, and the changes it implies. ``up_to_date`` is the hook's verdict."""

    result: ConfigureResult
    changes: tuple[PendingChange, ...]

    @property
    def up_to_date(self) -> bool:
        """True when the render succeeds and configure would change nothing on disk."""
        return self.result.ok and not self.changes


def _manifest_change(result: ConfigureResult) -> bool:
    """Whether the manifest configure would write lists other files than the one on disk.

    ``ConfigureResult`` does not carry the new manifest, so only its file list is compared: the rendered
    files, plus the stale ones that are kept. A missing manifest next to rendered files counts as a change.
    Only asked when no file would change (the manifest is rewritten along with any file).
    """
    rendered = {*result.created, *result.changed, *result.unchanged}
    kept_stale = set(result.stale) - set(result.pruned)
    expected = rendered | kept_stale
    manifest_file = result.output_dir / MANIFEST_REL
    if not manifest_file.is_file():
        return bool(expected)
    return set(read_manifest(result.output_dir).files) != expected


def check_configure(options: ConfigureOptions, *, age_key: Path | None = None) -> ConfigureCheck:
    """Runs ``configure`` as a dry run (whatever ``options.dry_run`` says) and lists what it would change.

    Raises what ``configure`` raises (``UsageError`` for a missing or invalid ``makejinja.toml``, ...).
    Render errors are in ``result.findings``; the check is then not up to date either.
    """
    result = configure(replace(options, dry_run=True), age_key=age_key)
    changes = [
        *(PendingChange(ChangeKind.CREATE, p) for p in result.created),
        *(PendingChange(ChangeKind.CHANGE, p) for p in result.changed),
        *(PendingChange(ChangeKind.PRUNE, p) for p in result.pruned),
    ]
    if result.ok and not changes and _manifest_change(result):
        changes.append(PendingChange(ChangeKind.MANIFEST, MANIFEST_REL))
    changes.sort(key=lambda c: (c.path, c.kind))
    return ConfigureCheck(result, tuple(changes))
