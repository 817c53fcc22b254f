"""The files Flux's source-controller keeps in a GitRepository artifact.

source-controller archives a checkout through a gitignore matcher (fluxcd/pkg ``sourceignore`` on top of
go-git v5's ``plumbing/format/gitignore``), reproduced here:

* patterns come from every ``.sourceignore`` file (the root one first, then each subdirectory's, depth
  first in name order, each scoped to its own directory), then from ``GitRepository.spec.ignore``;
* the VCS patterns (``.git/``, ``.gitignore``, ``.gitmodules``, ``.gitattributes``) always apply, at the
  lowest priority; the default patterns (images, archives, CI files, ``.sops.yaml``...) apply only when no
  user pattern exists at all: any ``.sourceignore`` line or ``spec.ignore`` replaces them;
* the last matching pattern decides (``!`` re-includes), and every path is matched on its own: an ignored
  directory does not hide a file below it that a later ``!`` pattern re-includes;
* symbolic links never enter the artifact.

Each pattern segment is matched with Go's ``filepath.Match`` (``*``, ``?``, ``[...]`` with ``^`` negation,
``\\`` escapes; a malformed segment never matches), as go-git does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

IGNORE_FILE = ".sourceignore"
EXCLUDE_VCS = ".git/,.gitignore,.gitmodules,.gitattributes"
EXCLUDE_EXT = "*.jpg,*.jpeg,*.gif,*.png,*.wmv,*.flv,*.tar.gz,*.zip"
EXCLUDE_CI = (
    ".github/,.circleci/,.travis.yml,.gitlab-ci.yml,appveyor.yml,.drone.yml,cloudbuild.yaml,"
    "codeship-services.yml,codeship-steps.yml"
)
EXCLUDE_EXTRA = "**/.goreleaser.yml,**/.sops.yaml,**/.flux.yaml"

NO_MATCH = 0
EXCLUDE = 1
INCLUDE = 2

_YAML_SUFFIXES = (".yaml", ".yml")


class _BadPattern(Exception):
    """A segment Go's filepath.Match rejects with ErrBadPattern."""


def _esc_char(text: str, i: int) -> tuple[str, int]:
    """One class character at ``text[i]`` (Go's getEsc): returns it and the index after it."""
    if i >= len(text) or text[i] in "-]":
        raise _BadPattern
    if text[i] == "\\":
        i += 1
        if i >= len(text):
            raise _BadPattern
    if i + 1 >= len(text):  # a class must still be closed after this character
        raise _BadPattern
    return text[i], i + 1


def _class_regex(text: str, i: int) -> tuple[str, int]:
    """Translate the class starting after ``[`` at ``text[i]``: its regex and the index after ``]``."""
    negated = i < len(text) and text[i] == "^"
    if negated:
        i += 1
    ranges: list[tuple[str, str]] = []
    while True:
        if i < len(text) and text[i] == "]" and ranges:
            i += 1
            break
        lo, i = _esc_char(text, i)
        hi = lo
        if text[i] == "-":
            hi, i = _esc_char(text, i + 1)
        ranges.append((lo, hi))
    body = "".join(
        f"\\U{ord(lo):08x}" if lo == hi else f"\\U{ord(lo):08x}-\\U{ord(hi):08x}"
        for lo, hi in ranges
        if lo <= hi
    )
    if not body:
        return ("." if negated else "(?!)"), i
    return (f"[^{body}]" if negated else f"[{body}]"), i


@lru_cache(maxsize=4096)
def _segment_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile one Go filepath.Match pattern (for a single path segment), or None when it is malformed."""
    out: list[str] = []
    i = 0
    try:
        while i < len(pattern):
            c = pattern[i]
            if c == "*":
                out.append("[^/]*")
                i += 1
            elif c == "?":
                out.append("[^/]")
                i += 1
            elif c == "\\":
                if i + 1 >= len(pattern):
                    raise _BadPattern
                out.append(re.escape(pattern[i + 1]))
                i += 2
            elif c == "[":
                part, i = _class_regex(pattern, i + 1)
                out.append(part)
            else:
                out.append(re.escape(c))
                i += 1
    except _BadPattern:
        return None
    return re.compile("".join(out), re.DOTALL)


def go_match(pattern: str, name: str) -> bool:
    """Go's ``filepath.Match(pattern, name)`` on Unix, with a malformed pattern never matching."""
    rx = _segment_regex(pattern)
    return rx is not None and rx.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    """One parsed gitignore line, scoped to the directory (``domain``) whose ignore file held it."""

    text: str
    domain: tuple[str, ...]
    parts: tuple[str, ...]
    inclusion: bool
    dir_only: bool
    is_glob: bool

    def match(self, path: Sequence[str], is_dir: bool) -> int:
        """NO_MATCH, EXCLUDE or INCLUDE for ``path`` (segments from the repository root)."""
        nd = len(self.domain)
        if len(path) <= nd or tuple(path[:nd]) != self.domain:
            return NO_MATCH
        rest = path[nd:]
        ok = self._glob_match(rest, is_dir) if self.is_glob else self._name_match(rest, is_dir)
        if not ok:
            return NO_MATCH
        return INCLUDE if self.inclusion else EXCLUDE

    def _name_match(self, path: Sequence[str], is_dir: bool) -> bool:
        pat = self.parts[0]
        last = len(path) - 1
        for i, name in enumerate(path):
            if not go_match(pat, name):
                continue
            return not (self.dir_only and not is_dir and i == last)
        return False

    def _glob_match(self, path: Sequence[str], is_dir: bool) -> bool:
        rest = list(path)
        matched = False
        traverse = False
        for i, pat in enumerate(self.parts):
            if pat == "":
                traverse = False
                continue
            if pat == "**":
                if i == len(self.parts) - 1:
                    break
                traverse = True
                continue
            if "**" in pat:
                return False
            if not rest:
                return False
            if traverse:
                traverse = False
                while rest:
                    seg = rest.pop(0)
                    if go_match(pat, seg):
                        matched = True
                        break
                    if not rest:
                        matched = False
            else:
                if not go_match(pat, rest[0]):
                    return False
                matched = True
                rest.pop(0)
        if matched and self.dir_only and not is_dir and not rest:
            matched = False
        return matched


def parse_pattern(line: str, domain: Sequence[str] = ()) -> IgnorePattern:
    """Parse one gitignore pattern as go-git's ParsePattern does."""
    p = line
    inclusion = p.startswith("!")
    if inclusion:
        p = p[1:]
    if not p.endswith("\\ "):
        p = p.rstrip(" ")
    dir_only = p.endswith("/")
    if dir_only:
        p = p[:-1]
    return IgnorePattern(
        text=line,
        domain=tuple(domain),
        parts=tuple(p.split("/")),
        inclusion=inclusion,
        dir_only=dir_only,
        is_glob="/" in p,
    )


def read_patterns(text: str, domain: Sequence[str] = ()) -> list[IgnorePattern]:
    """Patterns of an ignore file: one per line, skipping blank lines and lines starting with ``#``."""
    out: list[IgnorePattern] = []
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line.startswith("#") or not line.strip():
            continue
        out.append(parse_pattern(line, domain))
    return out


def _split(spec: str) -> list[IgnorePattern]:
    return [parse_pattern(p) for p in spec.split(",")]


def vcs_patterns() -> list[IgnorePattern]:
    """The patterns source-controller always applies."""
    return _split(EXCLUDE_VCS)


def default_patterns() -> list[IgnorePattern]:
    """The patterns applied when the repository and the GitRepository give none."""
    return _split(",".join((EXCLUDE_EXT, EXCLUDE_CI, EXCLUDE_EXTRA)))


Listings = dict[str, list[os.DirEntry[str]]]
"""Directory entries by directory path, as one walk listed them (``load_ignore_files``, ``_walk``)."""


def load_ignore_files(root: Path, listings: Listings | None = None) -> list[IgnorePattern]:
    """Every ``.sourceignore`` under ``root`` in Flux's order (not entering ``.git`` or symlinked dirs);
    each directory's entries go to ``listings`` when given (the walk of the files then lists none again)."""
    out: list[IgnorePattern] = []

    def visit(directory: str, domain: tuple[str, ...]) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        if listings is not None:
            listings[directory] = entries
        for entry in entries:
            if entry.name == IGNORE_FILE and entry.is_file(follow_symlinks=False):  # not a symbolic link
                try:
                    with open(entry.path, "rb") as fh:
                        text = fh.read().decode("utf-8", "surrogateescape")
                except OSError:
                    text = ""
                out.extend(read_patterns(text, domain))
        for entry in entries:
            if entry.name != ".git" and entry.is_dir(follow_symlinks=False):
                visit(entry.path, (*domain, entry.name))

    visit(str(root), ())
    return out


class SourceIgnore:
    """The ignore matcher for one GitRepository artifact."""

    __slots__ = ("_globs", "_listed", "_simple", "patterns", "user_patterns")

    def __init__(self, user_patterns: Sequence[IgnorePattern] = ()) -> None:
        self._listed: tuple[str, Listings] | None = None  # the root from_repo walked, and its listings
        self.user_patterns: tuple[IgnorePattern, ...] = tuple(user_patterns)
        base = vcs_patterns() if self.user_patterns else vcs_patterns() + default_patterns()
        self.patterns: tuple[IgnorePattern, ...] = (*base, *self.user_patterns)
        self._globs = tuple(p for p in self.patterns if p.is_glob and not _any_depth_name(p))
        self._simple = _group_simple(p for p in self.patterns if not p.is_glob or _any_depth_name(p))

    @classmethod
    def from_repo(cls, root: Path, extra: str | None = None) -> SourceIgnore:
        """The matcher for a checkout at ``root``; ``extra`` is ``GitRepository.spec.ignore`` when set."""
        listings: Listings = {}
        ps = load_ignore_files(root, listings)
        if extra is not None:
            ps.extend(read_patterns(extra))
        found = cls(ps)
        found._listed = (str(root), listings)
        return found

    def listings_of(self, root: Path) -> Listings | None:
        """The directory listings ``from_repo`` made walking ``root`` (taken once: a later walk lists the
        directories again, as they are then)."""
        listed, self._listed = self._listed, None
        return listed[1] if listed is not None and listed[0] == str(root) else None

    @property
    def has_inclusions(self) -> bool:
        """Whether any pattern re-includes paths (then an ignored directory may still hold kept files)."""
        return any(p.inclusion for p in self.patterns)

    def match_parts(self, parts: Sequence[str], is_dir: bool) -> bool:
        """Whether the path made of ``parts`` (from the root) is left out of the artifact."""
        for pattern in reversed(self.patterns):
            result = pattern.match(parts, is_dir)
            if result != NO_MATCH:
                return result == EXCLUDE
        return False

    def pruned_ignored(self, parts: Sequence[str], is_dir: bool) -> bool:
        """``match_parts`` for a walk that skips ignored directories when no pattern re-includes.

        Then no ancestor directory matched any pattern, so a name-only pattern can only match the last
        segment, and any matching pattern excludes. ``**/NAME`` matches a path when any of its segments
        matches NAME; an ancestor's segment would have pruned that ancestor, so in such a walk it is a
        name-only pattern too.
        """
        name = parts[-1]
        for domain, (any_rx, file_rx) in self._simple.items():
            nd = len(domain)
            if len(parts) <= nd or tuple(parts[:nd]) != domain:
                continue
            rx = any_rx if is_dir else file_rx
            if rx is not None and rx.fullmatch(name):
                return True
        return any(p.match(parts, is_dir) == EXCLUDE for p in self._globs)

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        """Whether ``rel_path`` (relative to the root, ``/``-separated) is left out of the artifact."""
        parts = [p for p in rel_path.split("/") if p not in ("", ".")]
        if not parts:
            return False
        return self.match_parts(parts, is_dir)


def _any_depth_name(p: IgnorePattern) -> bool:
    """``**/NAME`` (NAME one segment, with no ``**``): in a pruned walk, a pattern on the last segment."""
    return len(p.parts) == 2 and p.parts[0] == "**" and p.parts[1] != "" and "**" not in p.parts[1]


def _alternation(patterns: Sequence[IgnorePattern]) -> re.Pattern[str] | None:
    parts = [rx.pattern for p in patterns if (rx := _segment_regex(p.parts[-1])) is not None]
    return re.compile("|".join(f"(?:{x})" for x in parts), re.DOTALL) if parts else None


def _group_simple(
    patterns: Iterable[IgnorePattern],
) -> dict[tuple[str, ...], tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
    """Name-only patterns by domain: one regex for directories (all of them), one for files (not ``dir/``)."""
    by_domain: dict[tuple[str, ...], list[IgnorePattern]] = {}
    for p in patterns:
        by_domain.setdefault(p.domain, []).append(p)
    return {
        d: (_alternation(ps), _alternation([p for p in ps if not p.dir_only])) for d, ps in by_domain.items()
    }


def walk_files(root: Path, ignore: SourceIgnore | None = None) -> list[Path]:
    """Every regular file the artifact of ``root`` holds, in Go's walk order (by path segments).

    Symbolic links are never followed nor returned, as source-controller's archiver skips them.
    """
    return [root.joinpath(*parts) for parts in _walk(root, ignore)]


def _walk(root: Path, ignore: SourceIgnore | None) -> list[tuple[str, ...]]:
    """The path segments (from ``root``) of every file ``walk_files`` returns, in its order."""
    matcher = ignore if ignore is not None else SourceIgnore.from_repo(root)
    prune = not matcher.has_inclusions
    keep_git = any(p.inclusion and ".git" in p.text for p in matcher.patterns)
    found: list[tuple[str, ...]] = []
    test = matcher.pruned_ignored if prune else matcher.match_parts
    listings = matcher.listings_of(root) or {}

    def visit(directory: str, parts: tuple[str, ...]) -> None:
        entries = listings.get(directory)
        if entries is None:
            try:
                entries = list(os.scandir(directory))
            except OSError:
                return
        for entry in entries:
            sub = (*parts, entry.name)
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name == ".git" and not keep_git:
                    continue
                if prune and matcher.pruned_ignored(sub, True):
                    continue
                visit(entry.path, sub)
            elif entry.is_file(follow_symlinks=False) and not test(sub, False):
                found.append(sub)

    visit(str(root), ())
    found.sort()
    return found


def walk_yaml_files(root: Path, ignore: SourceIgnore | None = None) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files of the artifact of ``root``, sorted by path segments."""
    return [path for _, path in walk_yaml_rel(root, ignore)]


def walk_yaml_rel(root: Path, ignore: SourceIgnore | None = None) -> list[tuple[str, Path]]:
    """``walk_yaml_files`` with each file's path relative to ``root`` (``/``-separated) beside it."""
    return [
        ("/".join(parts), root.joinpath(*parts))
        for parts in _walk(root, ignore)
        if parts[-1].endswith(_YAML_SUFFIXES)
    ]
