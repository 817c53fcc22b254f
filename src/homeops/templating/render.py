"""Rendering a makejinja tree into memory, the way makejinja renders it to disk.

Inputs are walked with makejinja's own pattern (``sorted(input.glob(pattern))`` per include pattern),
excluded with ``Path.match`` against ``exclude_patterns`` and the plugins' path filters. Files with the Jinja
suffix are rendered (the suffix stripped unless ``keep_jinja_suffix``), others copied; renders that are
blank are skipped unless ``keep_empty``; the first input providing an output path wins. The environment
has makejinja's options and defaults (``trim_blocks``, ``lstrip_blocks`` and ``keep_trailing_newline`` on),
the data as globals plus ``env`` (the process environment).

Nothing is written here: the result is a mapping from output path to bytes, plus findings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    TemplateNotFound,
    TemplateSyntaxError,
)

from homeops.errors import Location, UsageError
from homeops.templating.analysis import static_undefined
from homeops.templating.data import load_data_file
from homeops.templating.makejinja_config import MakejinjaConfig
from homeops.templating.plugins import PathFilter
from homeops.templating.report import Finding, FindingCode, Severity
from homeops.templating.safety import Confinement, template_link_finding
from homeops.templating.undefined import UndefinedUse


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One output file: its bytes and, when makejinja would copy metadata, the file to copy it from."""

    rel: str
    content: bytes
    source: Path
    stat_source: Path | None = None


@dataclass(slots=True)
class RenderOutcome:
    """Everything a render produced, in makejinja's order."""

    files: dict[str, RenderedFile] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    static: list[UndefinedUse] = field(default_factory=list)


class ConfinedLoader(FileSystemLoader):
    """makejinja's ``FileSystemLoader``, refusing templates (includes too) that resolve out of confinement."""

    def __init__(self, searchpath: list[Path], confinement: Confinement | None) -> None:
        super().__init__(searchpath)
        self.confinement = confinement

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if self.confinement is not None and not self.confinement.permits(Path(filename)):
            raise TemplateNotFound(
                template, f"{template} resolves to {os.path.realpath(filename)}, outside the repository"
            )
        return source, filename, uptodate


def build_environment(
    config: MakejinjaConfig,
    data: Mapping[str, Any],
    undefined: type[Any],
    confinement: Confinement | None = None,
) -> Environment:
    """The Jinja environment makejinja builds for ``config``, with ``undefined`` as the undefined class.
    With ``confinement``, templates resolving outside it cannot be loaded."""
    file_inputs = [p for p in config.inputs if p.is_file()]
    loaders: list[BaseLoader] = [
        DictLoader({p.name: p.read_text(encoding="utf-8") for p in file_inputs}),
        ConfinedLoader([p for p in config.inputs if p.is_dir()], confinement),
    ]
    d, w, i = config.delimiter, config.whitespace, config.internal
    env = Environment(
        loader=ChoiceLoader(loaders),
        extensions=list(config.extensions),
        block_start_string=d.block_start,
        block_end_string=d.block_end,
        variable_start_string=d.variable_start,
        variable_end_string=d.variable_end,
        comment_start_string=d.comment_start,
        comment_end_string=d.comment_end,
        line_statement_prefix=config.prefix.line_statement,
        line_comment_prefix=config.prefix.line_comment,
        trim_blocks=w.trim_blocks,
        lstrip_blocks=w.lstrip_blocks,
        newline_sequence=w.newline_sequence,  # type: ignore[arg-type]
        keep_trailing_newline=w.keep_trailing_newline,
        optimized=i.optimized,
        undefined=undefined,
        finalize=None,
        autoescape=i.autoescape,
        cache_size=i.cache_size,
        auto_reload=i.auto_reload,
        enable_async=i.enable_async,
    )
    env.globals.update(data)
    env.globals["env"] = os.environ
    return env


def output_rel(config: MakejinjaConfig, relative: PurePosixPath) -> str:
    """The output path (relative to ``output``) of an input path relative to its input directory."""
    if config.jinja_suffix and relative.suffix == config.jinja_suffix and not config.keep_jinja_suffix:
        relative = relative.with_suffix("")
    return relative.as_posix()


class TreeRenderer:
    """Renders the inputs of one makejinja configuration with a prepared environment."""

    def __init__(
        self,
        config: MakejinjaConfig,
        env: Environment,
        path_filters: list[PathFilter],
        display: Callable[[str], str],
        confinement: Confinement | None = None,
    ) -> None:
        self.config = config
        self.confinement = confinement
        self._refused: set[Path] = set()
        self.env = env
        self.path_filters = path_filters
        self.display = display
        self.out = RenderOutcome()
        self._seen_files: set[str] = set()
        self._seen_dirs: set[str] = set()

    def render_all(self) -> RenderOutcome:
        """Walks every input and renders it."""
        for user_input in self.config.inputs:
            if user_input.is_file():
                rel = output_rel(self.config, PurePosixPath(user_input.name))
                if rel not in self._seen_files:
                    self._seen_files.add(rel)
                    self.render_file(user_input, user_input.name, rel, enforce_suffix=False)
            elif user_input.is_dir():
                self.render_dir(user_input)
            else:
                raise UsageError(f"makejinja input {self.display(str(user_input))} does not exist")
        return self.out

    def render_dir(self, root: Path) -> None:
        """makejinja's directory walk."""
        enforce = bool(self.config.jinja_suffix)
        for pattern in self.config.include_patterns:
            for path in sorted(root.glob(pattern)):
                if not self.confined(root, path):
                    continue
                relative = PurePosixPath(path.relative_to(root).as_posix())
                rel = output_rel(self.config, relative)
                if any(path.match(x) for x in self.config.exclude_patterns):
                    continue
                if any(not f(path) for f in self.path_filters):
                    continue
                if path.is_file() and rel not in self._seen_files:
                    self._seen_files.add(rel)
                    self.render_file(path, str(relative), rel, enforce)
                elif path.is_dir() and rel not in self._seen_dirs:
                    self._seen_dirs.add(rel)
                    if self.config.keep_empty:
                        self.out.dirs.append(rel)

    def confined(self, root: Path, path: Path) -> bool:
        """False (with one finding per offending link) when ``path`` resolves out of the confinement."""
        if self.confinement is None or self.confinement.permits(path):
            return True
        link = self.confinement.offending_link(root, path)
        if link not in self._refused:
            self._refused.add(link)
            self.out.findings.append(template_link_finding(link, self.display))
        return False

    def render_file(self, path: Path, name: str, rel: str, enforce_suffix: bool) -> None:
        """Renders (or copies) one input file into the outcome."""
        if enforce_suffix and path.suffix != self.config.jinja_suffix:
            self.out.files[rel] = RenderedFile(rel, path.read_bytes(), path, path)
            return
        try:
            template = self.env.get_template(name)
            text = template.render(self.file_data(name))
        except TemplateSyntaxError as exc:
            where = Location(self.display(exc.filename or str(path)), exc.lineno)
            self.error(f"template syntax error: {exc.message}", where)
            return
        except Exception as exc:  # anything a template or a plugin function raises is a finding
            self.error(f"rendering failed: {type(exc).__name__}: {exc}", self._exc_location(exc, path))
            self.analyse(name)
            return
        self.analyse(name)
        if text.strip() == "" and not self.config.keep_empty:
            return
        stat_source = path if self.config.copy_metadata else None
        self.out.files[rel] = RenderedFile(rel, text.encode("utf-8"), path, stat_source)

    def file_data(self, name: str) -> dict[str, Any]:
        """makejinja's ``file_data`` for one template name."""
        data: dict[str, Any] = {}
        for data_path in self.config.file_data.get(name, ()):
            if data_path.exists():
                loaded = load_data_file(data_path, self.display(str(data_path)))
                if loaded is not None:
                    data |= loaded
        return data

    def analyse(self, name: str) -> None:
        """Static undefined-variable search over one top-level template."""
        try:
            source, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            tree = self.env.parse(source, name, filename)
        except Exception:  # already reported by the render
            return
        known = dict(self.env.globals)
        for key in self.file_data(name):
            known.setdefault(key, None)
        self.out.static.extend(static_undefined(tree, known, self.display(filename or name)))

    def error(self, message: str, location: Location | None) -> None:
        """Adds a template error finding."""
        self.out.findings.append(Finding(Severity.ERROR, FindingCode.TEMPLATE_ERROR, message, location))

    def _exc_location(self, exc: BaseException, path: Path) -> Location:
        """The innermost template line in the traceback of ``exc`` (or just the template file)."""
        tb = exc.__traceback__
        found: Location | None = None
        while tb is not None:
            frame_globals = tb.tb_frame.f_globals
            template = frame_globals.get("__jinja_template__")
            if (
                "__jinja_exception__" in frame_globals
            ):  # a frame rewritten by jinja2.debug: real template line
                found = Location(self.display(tb.tb_frame.f_code.co_filename), tb.tb_lineno)
            elif template is not None:
                name = template.filename or template.name or str(path)
                found = Location(self.display(name), template.get_corresponding_lineno(tb.tb_lineno))
            tb = tb.tb_next
        return found or Location(self.display(str(path)))
