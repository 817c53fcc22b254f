"""The ``[makejinja]`` section of a repository's ``makejinja.toml``, read the way makejinja 2.x reads it.

Option names and defaults follow makejinja's ``Config``; dashes in keys are accepted like underscores and
unknown keys are refused, as typed-settings does. Relative paths are resolved against the directory of the
configuration file. The resulting object has the same attribute names as makejinja's ``Config`` so that
repository plugins that ask for ``config`` keep working.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from homeops.errors import Location, UsageError

SECTION = "makejinja"


class UndefinedMode(StrEnum):
    """makejinja's ``undefined`` option: which Jinja ``Undefined`` class the templates are rendered with."""

    DEFAULT = "default"
    CHAINABLE = "chainable"
    DEBUG = "debug"
    STRICT = "strict"


@dataclass(frozen=True, slots=True)
class Delimiter:
    """Jinja's block, variable and comment delimiters."""

    block_start: str = "{%"
    block_end: str = "%}"
    variable_start: str = "{{"
    variable_end: str = "}}"
    comment_start: str = "{#"
    comment_end: str = "#}"


@dataclass(frozen=True, slots=True)
class Prefix:
    """Jinja's line statement and line comment prefixes."""

    line_statement: str | None = None
    line_comment: str | None = None


@dataclass(frozen=True, slots=True)
class Whitespace:
    """Whitespace handling; note that makejinja's defaults differ from Jinja's."""

    trim_blocks: bool = True
    lstrip_blocks: bool = True
    newline_sequence: str = "\n"
    keep_trailing_newline: bool = True


@dataclass(frozen=True, slots=True)
class Internal:
    """Jinja environment internals that makejinja exposes."""

    optimized: bool = True
    autoescape: bool = False
    cache_size: int = 0
    auto_reload: bool = False
    enable_async: bool = False


@dataclass(frozen=True, slots=True)
class MakejinjaConfig:
    """A validated ``[makejinja]`` section. Paths are absolute."""

    config_file: Path
    inputs: tuple[Path, ...]
    output: Path
    include_patterns: tuple[str, ...] = ("**/*",)
    exclude_patterns: tuple[str, ...] = ()
    jinja_suffix: str | None = ".jinja"
    keep_jinja_suffix: bool = False
    keep_empty: bool = False
    copy_metadata: bool = False
    data: tuple[Path, ...] = ()
    data_vars: Mapping[str, str] = field(default_factory=dict)
    file_data: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    loaders: tuple[str, ...] = ()
    plugins: tuple[str, ...] = ()
    import_paths: tuple[Path, ...] = ()
    extensions: tuple[str, ...] = ()
    undefined: UndefinedMode = UndefinedMode.DEFAULT
    exec_pre: tuple[str, ...] = ()
    exec_post: tuple[str, ...] = ()
    clean: bool = False
    force: bool = False
    quiet: bool = False
    delimiter: Delimiter = field(default_factory=Delimiter)
    prefix: Prefix = field(default_factory=Prefix)
    whitespace: Whitespace = field(default_factory=Whitespace)
    internal: Internal = field(default_factory=Internal)


_PATH_TUPLES = frozenset({"inputs", "data", "import_paths"})
_STR_TUPLES = frozenset(
    {"include_patterns", "exclude_patterns", "loaders", "plugins", "extensions", "exec_pre", "exec_post"}
)
_BOOLS = frozenset({"keep_jinja_suffix", "keep_empty", "copy_metadata", "clean", "force", "quiet"})
_SUBSECTIONS: dict[str, type[Any]] = {
    "delimiter": Delimiter,
    "prefix": Prefix,
    "whitespace": Whitespace,
    "internal": Internal,
}
_NEWLINES = frozenset({"\n", "\r\n", "\r"})


def _norm_key(key: str) -> str:
    return key.replace("-", "_")


class _Reader:
    """Converts raw TOML values, raising UsageError that name the option and the file."""

    def __init__(self, config_file: Path, display: str) -> None:
        self.base = config_file.parent
        self.where = Location(display)

    def fail(self, option: str, expected: str, value: Any) -> UsageError:
        return UsageError(
            f"makejinja option {option!r} must be {expected}, not {type(value).__name__} {value!r}",
            location=self.where,
        )

    def path(self, option: str, value: Any) -> Path:
        if not isinstance(value, str) or not value:
            raise self.fail(option, "a non-empty path string", value)
        return Path(os.path.normpath(self.base / os.path.expanduser(value)))

    def str_tuple(self, option: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(option, "a list of strings", value)
        return tuple(value)

    def path_tuple(self, option: str, value: Any) -> tuple[Path, ...]:
        return tuple(self.path(option, v) for v in self.str_tuple(option, value))

    def boolean(self, option: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(option, "true or false", value)
        return value

    def sub(self, name: str, cls: type[Any], value: Any) -> Any:
        if not isinstance(value, dict):
            raise self.fail(name, "a table", value)
        defaults = cls()
        kwargs: dict[str, Any] = {}
        for raw_key, raw in value.items():
            key = _norm_key(raw_key)
            option = f"{name}.{key}"
            if not hasattr(defaults, key):
                raise UsageError(f"unknown makejinja option {option!r}", location=self.where)
            default = getattr(defaults, key)
            if isinstance(default, bool):
                kwargs[key] = self.boolean(option, raw)
            elif isinstance(default, int):
                if isinstance(raw, bool) or not isinstance(raw, int):
                    raise self.fail(option, "an integer", raw)
                kwargs[key] = raw
            elif name == "prefix":
                if not isinstance(raw, str):
                    raise self.fail(option, "a string", raw)
                kwargs[key] = raw or None
            else:
                if not isinstance(raw, str) or not raw:
                    raise self.fail(option, "a non-empty string", raw)
                if key == "newline_sequence" and raw not in _NEWLINES:
                    raise self.fail(option, 'one of "\\n", "\\r\\n" or "\\r"', raw)
                kwargs[key] = raw
        return cls(**kwargs)


def parse_makejinja_config(raw: Mapping[str, Any], config_file: Path, display: str) -> MakejinjaConfig:
    """Validates the ``[makejinja]`` table ``raw`` of ``config_file`` (shown to the user as ``display``)."""
    r = _Reader(config_file, display)
    values: dict[str, Any] = {}
    for raw_key, value in raw.items():
        key = _norm_key(raw_key)
        if key in _PATH_TUPLES:
            values[key] = r.path_tuple(key, value)
        elif key in _STR_TUPLES:
            values[key] = r.str_tuple(key, value)
        elif key in _BOOLS:
            values[key] = r.boolean(key, value)
        elif key in _SUBSECTIONS:
            values[key] = r.sub(key, _SUBSECTIONS[key], value)
        elif key == "output":
            values[key] = r.path(key, value)
        elif key == "jinja_suffix":
            if not isinstance(value, str):
                raise r.fail(key, "a string", value)
            values[key] = value or None
        elif key == "undefined":
            if value not in {m.value for m in UndefinedMode}:
                raise r.fail(key, "one of default, chainable, debug, strict", value)
            values[key] = UndefinedMode(value)
        elif key == "data_vars":
            if not isinstance(value, dict):
                raise r.fail(key, "a table of strings", value)
            values[key] = {str(k): v for k, v in value.items()}
        elif key == "file_data":
            if not isinstance(value, dict):
                raise r.fail(key, "a table of path lists", value)
            values[key] = {str(k): r.path_tuple(f"file_data.{k}", v) for k, v in value.items()}
        else:
            raise UsageError(f"unknown makejinja option {raw_key!r}", location=r.where)
    for required in ("inputs", "output"):
        if required not in values:
            raise UsageError(f"makejinja option {required!r} is required", location=r.where)
    values.setdefault("import_paths", (config_file.parent,))
    return MakejinjaConfig(config_file=config_file, **values)


def load_makejinja_config(repo_dir: Path, file_name: str = "makejinja.toml") -> MakejinjaConfig:
    """Reads ``repo_dir/file_name`` and returns its validated ``[makejinja]`` section."""
    config_file = repo_dir / file_name
    display = file_name
    try:
        data = config_file.read_bytes()
    except FileNotFoundError as exc:
        hint = "run configure from a template repository"
        raise UsageError(f"{display} not found in {repo_dir}", hint=hint) from exc
    except OSError as exc:
        raise UsageError(f"cannot read {display}: {exc.strerror}") from exc
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{display} is not valid TOML: {exc}", location=Location(display)) from exc
    section = doc.get(SECTION)
    if not isinstance(section, dict):
        raise UsageError(f"{display} has no [{SECTION}] table", location=Location(display))
    return parse_makejinja_config(section, config_file.absolute(), display)
