"""Options, findings and results of ``homeops configure`` (the library side; the CLI only formats them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from homeops.errors import Location

UNDEFINED_HINT = "add it to bootstrap/config.yaml, or document it as optional in TEMPLATE_GUIDE.md"
"""The hint every undefined-variable finding carries."""


class Severity(StrEnum):
    """How bad a finding is. Any ``ERROR`` finding stops ``configure`` from writing anything."""

    ERROR = "error"
    WARNING = "warning"


class FindingCode(StrEnum):
    """What kind of problem a finding reports."""

    UNDEFINED_VARIABLE = "undefined-variable"
    TEMPLATE_ERROR = "template-error"
    CONFIG_INVALID = "config-invalid"
    UNMANAGED_FILE = "unmanaged-file"
    MODIFIED_FILE = "modified-file"
    PATH_ESCAPE = "path-escape"
    UNSUPPORTED_OPTION = "unsupported-option"
    OUTSIDE_REPOSITORY = "outside-repository"
    GIT_DIRECTORY = "git-directory"
    RECOVERED = "recovered"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by ``configure``.

    ``name`` is the undefined variable (dotted, e.g. ``cloudflare.token``), the configuration key path
    (e.g. ``nodes[0].address``) or the output path, depending on ``code``.
    """

    severity: Severity
    code: FindingCode
    message: str
    location: Location | None = None
    name: str | None = None
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Findings are reported by file, line, column, name and message."""
        loc = self.location
        return (
            loc.file if loc else "",
            loc.line if loc else 0,
            loc.column if loc else 0,
            self.name or "",
            self.message,
        )

    def __str__(self) -> str:
        text = f"{self.location}: " if self.location else ""
        text += f"{self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


@dataclass(frozen=True, slots=True)
class ConfigFinding:
    """A problem that a configuration validator found in the merged template data.

    ``key_path`` is the path of the offending key, e.g. ``("nodes", 0, "address")``; ``configure`` turns it
    into a file:line in the data file that defines it.
    """

    key_path: tuple[str | int, ...]
    message: str
    severity: Severity = Severity.ERROR


ConfigValidator = Callable[[Mapping[str, Any]], Sequence[ConfigFinding]]
"""Checks the data loaded from the makejinja ``data`` files (before plugins add defaults)."""


@dataclass(frozen=True, slots=True)
class ConfigureOptions:
    """What ``configure`` should do.

    ``repo_dir`` holds ``makejinja.toml``. ``force`` allows overwriting (and pruning) files that homeops
    did not render or that were edited since. ``dry_run`` computes everything and writes nothing.
    ``prune`` removes files that an earlier run rendered and this run no longer produces (only when
    unmodified, unless ``force``). ``optional_variables`` are names documented as optional: they are not
    warned about when only tested (``#% if name %#``) or used in branches that were not rendered.
    ``allow_outside`` are directories outside the repository that templates, data files and import paths
    may come from (anything else outside is refused). ``lock_timeout`` is how many seconds a configure
    waits for another one of the same output directory to finish.
    """

    repo_dir: Path
    force: bool = False
    dry_run: bool = False
    prune: bool = True
    validator: ConfigValidator | None = None
    optional_variables: frozenset[str] = frozenset()
    config_file: str = "makejinja.toml"
    allow_outside: tuple[Path, ...] = ()
    lock_timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class ConfigureResult:
    """What ``configure`` did (or, with ``dry_run`` or on errors, would have done).

    Paths are POSIX paths relative to ``output_dir``. ``stale`` lists files an earlier run rendered that this
    run does not produce; ``pruned`` those of them that were (or would be) removed. ``written`` is true when
    files were actually changed on disk.
    """

    output_dir: Path
    created: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    pruned: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    dry_run: bool = False
    written: bool = False
    manifest_path: Path | None = field(default=None)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The error findings."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The warning findings."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)
