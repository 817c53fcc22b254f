"""Semantic versions and constraints as Masterminds/semver v3 (the library Helm and Flux use) has them.

- :func:`parse_version` is ``semver.NewVersion`` (coercing: ``1``, ``1.2`` and a ``v`` prefix are accepted).
- :func:`parse_flux_version` is fluxcd/pkg ``version.ParseVersion``: strict ``MAJOR.MINOR.PATCH`` with an
  optional ``v`` prefix. source-controller only considers chart versions and tags that pass it.
- :class:`Constraints` is ``semver.NewConstraint``: ``||`` alternatives of space- or comma-separated
  comparisons (``=``, ``!=``, ``>``, ``<``, ``>=``, ``<=``, ``~``, ``~>``, ``^``), ``x``/``X``/``*``
  wildcards, partial versions and hyphen ranges (``1.2 - 1.4.5``). A prerelease version only satisfies an
  alternative that names a prerelease itself.
- :func:`select_version` is source-controller's ``getLastMatchingVersionOrConstraint``: an exact string
  match first, then the highest version satisfying the constraint (``""`` and ``*`` mean the latest stable).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cmp_to_key

_NUM = "0123456789"
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-" + _NUM)
_LOOSE = re.compile(
    r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$"
)
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CONSTRAINT = re.compile(rf"^\s*({_OPS})\s*({_CV})\s*$")
_RANGE = re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*")
_FIND = re.compile(rf"({_OPS})\s*({_CV})")
_VALID = re.compile(rf"^(\s*({_OPS})\s*({_CV})\s*)((?:\s+|,\s*)({_OPS})\s*({_CV})\s*)*$")


class SemverError(ValueError):
    """A version or constraint that does not parse."""


@dataclass(frozen=True, slots=True)
class Version:
    """A parsed version; ``original`` is the text it came from (``Original()`` in Go)."""

    major: int
    minor: int
    patch: int
    pre: str = ""
    metadata: str = ""
    original: str = ""

    def compare(self, other: Version) -> int:
        """-1, 0 or 1; build metadata is ignored, a prerelease sorts before its release."""
        for a, b in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if a != b:
                return -1 if a < b else 1
        if not self.pre and not other.pre:
            return 0
        if not self.pre:
            return 1
        if not other.pre:
            return -1
        return _compare_prerelease(self.pre, other.pre)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += f"-{self.pre}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text


def _only(text: str, chars: Iterable[str]) -> bool:
    allowed = set(chars)
    return all(c in allowed for c in text)


def _validate_pre(pre: str) -> None:
    for part in pre.split("."):
        if not part:
            raise SemverError("invalid prerelease string")
        if _only(part, _NUM):
            if len(part) > 1 and part[0] == "0":
                raise SemverError("version segment starts with 0")
        elif not _only(part, _ALLOWED):
            raise SemverError("invalid prerelease string")


def _validate_meta(meta: str) -> None:
    for part in meta.split("."):
        if not part or not _only(part, _ALLOWED):
            raise SemverError("invalid metadata string")


def parse_version(text: str) -> Version:
    """``semver.NewVersion`` (coercing): missing minor/patch are 0, a leading ``v`` is allowed."""
    m = _LOOSE.match(text)
    if m is None:
        raise SemverError(f"invalid semantic version {text!r}")
    pre, meta = m.group(5) or "", m.group(8) or ""
    if pre:
        _validate_pre(pre)
    if meta:
        _validate_meta(meta)
    minor = int(m.group(2)[1:]) if m.group(2) else 0
    patch = int(m.group(3)[1:]) if m.group(3) else 0
    return Version(int(m.group(1)), minor, patch, pre, meta, text)


def parse_strict(text: str) -> Version:
    """``semver.StrictNewVersion``: exactly ``MAJOR.MINOR.PATCH[-pre][+meta]``, no leading zeros, no ``v``."""
    if not text:
        raise SemverError("version string empty")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise SemverError(f"invalid semantic version {text!r}")
    meta = pre = ""
    if "+" in parts[2]:
        parts[2], meta = parts[2].split("+", 1)
        _validate_meta(meta)
    if "-" in parts[2]:
        parts[2], pre = parts[2].split("-", 1)
        _validate_pre(pre)
    for p in parts:
        if not p or not _only(p, _NUM):
            raise SemverError(f"invalid characters in version {text!r}")
        if len(p) > 1 and p[0] == "0":
            raise SemverError(f"version segment starts with 0 in {text!r}")
    return Version(int(parts[0]), int(parts[1]), int(parts[2]), pre, meta, text)


def parse_flux_version(text: str) -> Version:
    """fluxcd/pkg ``version.ParseVersion``: strict semver, a leading ``v`` allowed; ``original`` kept."""
    strict = parse_strict(text[1:] if text.startswith("v") else text)
    return Version(strict.major, strict.minor, strict.patch, strict.pre, strict.metadata, text)


def is_flux_version(text: str) -> bool:
    try:
        parse_flux_version(text)
    except SemverError:
        return False
    return True


def _compare_prerelease(a: str, b: str) -> int:
    sa, sb = a.split("."), b.split(".")
    for i in range(max(len(sa), len(sb))):
        d = _compare_part(sa[i] if i < len(sa) else "", sb[i] if i < len(sb) else "")
        if d:
            return d
    return 0


def _compare_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    s_num, o_num = s.isdigit() and s.isascii(), o.isdigit() and o.isascii()
    if not s_num and not o_num:
        return 1 if s > o else -1
    if not o_num:
        return -1
    if not s_num:
        return 1
    return 1 if int(s) > int(o) else -1


# -- constraints -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Constraint:
    op: str
    con: Version
    orig: str
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool


def _is_x(text: str) -> bool:
    return text in ("x", "X", "*")


def _parse_constraint(text: str) -> _Constraint:
    m = _CONSTRAINT.match(text)
    if m is None:
        raise SemverError(f"improper constraint: {text!r}")
    op, orig = m.group(1), m.group(2)
    major, minor, patch, pre = m.group(3), m.group(4) or "", m.group(5) or "", m.group(6) or ""
    dirty = minor_dirty = patch_dirty = False
    ver = orig
    if _is_x(major):
        ver, dirty = f"0.0.0{pre}", True
    elif minor == "" or _is_x(minor[1:]):
        ver, dirty, minor_dirty = f"{major}.0.0{pre}", True, True
    elif patch == "" or _is_x(patch[1:]):
        ver, dirty, patch_dirty = f"{major}{minor}.0{pre}", True, True
    try:
        con = parse_version(ver)
    except SemverError:
        raise SemverError("constraint parser error") from None
    return _Constraint(op, con, orig, dirty, minor_dirty, patch_dirty)


def _not_equal(v: Version, c: _Constraint) -> bool:
    if c.dirty:
        if c.con.major != v.major:
            return True
        if c.con.minor != v.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if c.con.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            if v.pre or c.con.pre:
                return _compare_prerelease(v.pre, c.con.pre) != 0
            return False
    return v.compare(c.con) != 0


def _greater(v: Version, c: _Constraint) -> bool:
    if not c.dirty:
        return v.compare(c.con) == 1
    if v.major != c.con.major:
        return v.major > c.con.major
    if c.minor_dirty:
        return False
    if c.patch_dirty:
        return v.minor > c.con.minor
    return v.compare(c.con) == 1


def _less_equal(v: Version, c: _Constraint) -> bool:
    if not c.dirty:
        return v.compare(c.con) <= 0
    if v.major > c.con.major:
        return False
    return not (v.major == c.con.major and v.minor > c.con.minor and not c.minor_dirty)


def _tilde(v: Version, c: _Constraint) -> bool:
    if v.compare(c.con) < 0:
        return False
    con = c.con
    if con.major == 0 and con.minor == 0 and con.patch == 0 and not c.minor_dirty and not c.patch_dirty:
        return True
    if v.major != con.major:
        return False
    return not (v.minor != con.minor and not c.minor_dirty)


def _tilde_or_equal(v: Version, c: _Constraint) -> bool:
    return _tilde(v, c) if c.dirty else v.compare(c.con) == 0


def _caret(v: Version, c: _Constraint) -> bool:
    con = c.con
    if v.compare(con) < 0:
        return False
    if con.major > 0 or c.minor_dirty:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.patch_dirty:
        return v.minor == con.minor
    if v.minor > 0:
        return False
    return con.patch == v.patch


_OPERATORS: dict[str, Callable[[Version, _Constraint], bool]] = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater,
    "<": lambda v, c: v.compare(c.con) < 0,
    ">=": lambda v, c: v.compare(c.con) >= 0,
    "=>": lambda v, c: v.compare(c.con) >= 0,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _rewrite_range(text: str) -> str:
    out = text
    for m in _RANGE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    return out


@dataclass(frozen=True, slots=True)
class Constraints:
    """A parsed constraint: alternatives (``||``) of comparisons that must all hold."""

    text: str
    alternatives: tuple[tuple[_Constraint, ...], ...]
    with_pre: tuple[bool, ...]

    @classmethod
    def parse(cls, text: str) -> Constraints:
        """``semver.NewConstraint``; raises SemverError."""
        alternatives: list[tuple[_Constraint, ...]] = []
        with_pre: list[bool] = []
        for part in _rewrite_range(text).split("||"):
            if not _VALID.match(part):
                raise SemverError(f"improper constraint: {part!r}")
            found = [m.group(0) for m in _FIND.finditer(part)] or [part]
            parsed = tuple(_parse_constraint(s) for s in found)
            alternatives.append(parsed)
            with_pre.append(any(c.con.pre for c in parsed))
        return cls(text, tuple(alternatives), tuple(with_pre))

    def check(self, version: Version) -> bool:
        """Whether ``version`` satisfies some alternative."""
        for group, pre_ok in zip(self.alternatives, self.with_pre, strict=True):
            if version.pre and not pre_ok:
                continue
            if all(_OPERATORS[c.op](version, c) for c in group):
                return True
        return False


def is_constraint(text: str) -> bool:
    try:
        Constraints.parse(text)
    except SemverError:
        return False
    return True


def _descending(a: Version, b: Version) -> int:
    return b.compare(a)


def sort_descending(versions: Iterable[Version]) -> list[Version]:
    """Highest first (stable for equal versions)."""
    return sorted(versions, key=cmp_to_key(_descending))


def select_version(candidates: Iterable[str], wanted: str) -> str | None:
    """source-controller's ``getLastMatchingVersionOrConstraint``: ``wanted`` itself when it is one of the
    candidates, else the highest candidate (fluxcd ``ParseVersion``-valid) that satisfies the constraint
    ``wanted`` (``""`` and ``*``: the latest stable). Raises SemverError for a bad constraint."""
    items = list(candidates)
    if wanted and wanted in items:
        return wanted
    constraint = Constraints.parse("*" if wanted in ("", "*") else wanted)
    matching = []
    for item in items:
        try:
            version = parse_flux_version(item)
        except SemverError:
            continue
        if constraint.check(version):
            matching.append(version)
    if not matching:
        return None
    return sort_descending(matching)[0].original
