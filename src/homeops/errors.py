"""The one error root of homeops and its few subclasses.

Exceptions mean "cannot continue". Problems that still let a run go on are recorded as findings instead.
The CLI's single error boundary maps these to exit codes: UsageError -> 2, any other HomeopsError -> 1,
anything else -> 3 (internal error).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file: 1-based line and column. ``file`` is a path as the user should see it."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


class HomeopsError(Exception):
    """Root of every error homeops raises on purpose. Carries an optional location and a hint."""

    exit_code = 1

    def __init__(self, message: str, *, location: Location | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class UsageError(HomeopsError):
    """The command line or configuration asked for something impossible."""

    exit_code = 2


class InputError(HomeopsError):
    """An input file is malformed, missing, hostile (a YAML bomb, a huge file) or points outside the root."""


class BuildError(HomeopsError):
    """A kustomize or Flux build cannot produce output."""
