"""The parse tree of the Go ``text/template`` subset that ``gotemplate`` parses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeops.errors import HomeopsError

__all__ = [
    "Action",
    "Arg",
    "Branch",
    "Chain",
    "Cmd",
    "Control",
    "Field",
    "Ident",
    "LimitError",
    "Lit",
    "Nil",
    "Node",
    "Pipe",
    "Sub",
    "Template",
    "TemplateCall",
    "TemplateError",
    "Text",
    "Var",
]


class TemplateError(HomeopsError):
    """A template parse or execution error at a 1-based ``line``/``col`` of the template text."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


class LimitError(TemplateError):
    """A homeops bound was exceeded (steps, output, nesting): the result is unknown, not an engine error."""


@dataclass(frozen=True, slots=True)
class Ident:
    """A function name."""

    name: str


@dataclass(frozen=True, slots=True)
class Field:
    """``.a.b`` on dot; ``names == ()`` is dot itself."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Var:
    """``$x.a.b``; ``$`` is the root data."""

    name: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lit:
    """A string, number or bool constant."""

    value: Any


@dataclass(frozen=True, slots=True)
class Nil:
    """The ``nil`` constant."""


@dataclass(frozen=True, slots=True)
class Sub:
    """A parenthesized pipeline."""

    pipe: Pipe


@dataclass(frozen=True, slots=True)
class Chain:
    """Fields applied to the result of a term: ``inputs.a``, ``(pipe).a``."""

    node: Arg
    names: tuple[str, ...]


Arg = Ident | Field | Var | Lit | Nil | Sub | Chain


@dataclass(frozen=True, slots=True)
class Cmd:
    """One command of a pipeline: a function or a value, then its arguments. ``src`` is its text."""

    args: tuple[Arg, ...]
    src: str
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Pipe:
    """Commands joined by ``|``, with the variables it declares (``:=``) or assigns (``=``)."""

    decl: tuple[str, ...]
    assign: bool
    cmds: tuple[Cmd, ...]
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text starting at template ``line``."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Action:
    """``<< pipeline >>``: the value is printed unless the pipeline declares variables."""

    pipe: Pipe
    line: int


@dataclass(frozen=True, slots=True)
class Branch:
    """``if``, ``with`` or ``range`` with its body and optional ``else`` body."""

    kind: str
    pipe: Pipe
    body: tuple[Node, ...]
    else_body: tuple[Node, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Control:
    """``break`` or ``continue``."""

    kind: str
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class TemplateCall:
    """``template "name" pipeline``."""

    name: str
    pipe: Pipe | None
    line: int
    col: int


Node = Text | Action | Branch | Control | TemplateCall


@dataclass(slots=True)
class Template:
    """A parsed template: its main body and the templates it defines."""

    body: tuple[Node, ...]
    defines: dict[str, tuple[Node, ...]] = field(default_factory=dict)
