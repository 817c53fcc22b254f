"""Flux's post-build variable substitution engine (``github.com/fluxcd/pkg/envsubst``), reimplemented.

The fork of drone/envsubst that kustomize-controller uses works on the bytes of a whole YAML document. Only
``${...}`` forms are expressions: a bare ``$var`` is plain text, and ``$$`` outside an expression is an
escape that drops one ``$`` (so ``$${var}`` renders ``${var}``). Supported forms, with the fork's semantics
(not always bash's):

* ``${var}``; ``${#var}`` (length in bytes); ``${var^}``, ``${var^^}``, ``${var,}``, ``${var,,}``;
* ``${var:pos}``, ``${var:pos:len}`` (byte offsets, negative offset and negative length count from the end);
* ``${var#pat}``, ``${var##pat}``, ``${var%pat}``, ``${var%%pat}`` (glob patterns; ``*`` also matches ``/``);
* ``${var/old/new}``, ``${var//old/new}``, ``${var/#old/new}``, ``${var/%old/new}`` (literal ``old``;
  ``\\/`` and ``\\\\`` escape inside them);
* ``${var=default}``, ``${var:=default}``, ``${var:-default}``, ``${var:+x}``, ``${var:?x}``: all of them
  mean "the value if it is non-empty, else the default", which may nest further ``${...}``.

``${var-default}`` and ``${var+x}`` are not supported by the parser: like any other unexpected character
after the name (``${foo.bar}``), they fail with "missing closing brace". In strict mode an unset variable
used without a default-providing operator is an error in Flux ("variable not set (strict mode)"); here it
is recorded as an unresolved use and renders as the empty string, as in non-strict mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from homeops.errors import BuildError, Location
from homeops.flux.envsubst_parser import Node, ParseError, Parser, Text
from homeops.flux.strfuncs import apply_function

__all__ = ["SubstResult", "SubstitutionError", "UnresolvedVar", "substitute"]

_DEFAULT_OPS = frozenset({"-", "+", "=", "?", ":-", ":+", ":=", ":?"})


@dataclass(frozen=True, slots=True)
class UnresolvedVar:
    """A use of a variable that is not set, where Flux's strict mode fails. Line and column are 1-based."""

    name: str
    line: int
    column: int


@dataclass(slots=True)
class SubstResult:
    """The substituted text and the unresolved uses found (only recorded in strict mode)."""

    text: str
    unresolved: list[UnresolvedVar] = field(default_factory=list)


class SubstitutionError(BuildError):
    """The text holds a ``${...}`` that Flux's parser rejects (Flux fails the whole Kustomization)."""


# ---------------------------------------------------------------------------------------------------------
# Evaluation


class _Evaluator:
    def __init__(self, variables: Mapping[str, str], strict: bool) -> None:
        self.variables = variables
        self.strict = strict
        self.unresolved: list[tuple[str, int]] = []

    def text(self, nodes: list[Node]) -> bytes:
        return b"".join(self.node(n) for n in nodes)

    def node(self, n: Node) -> bytes:
        if isinstance(n, Text):
            return n.value
        args = [self.node(a).decode("utf-8", "surrogateescape") for a in n.args]
        value = self.variables.get(n.param)
        if value is None:
            if self.strict and n.name not in _DEFAULT_OPS:
                self.unresolved.append((n.param, n.offset))
            value = ""
        return apply_function(n.name, value, args).encode("utf-8", "surrogateescape")


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    col_bytes = before[before.rfind(b"\n") + 1 :]
    return line, len(col_bytes.decode("utf-8", "replace")) + 1


_SHORT = 512
"""Texts up to this many bytes have their parse memoised: one expression (``${REPLICAS:=1}`` in a component
every app includes) is substituted hundreds of times a run, and its parse is most of the work."""


def _parse(data: bytes) -> tuple[list[Node], tuple[str, int] | None]:
    """The nodes of ``data``, or (when the fork's parser rejects it) the message and the offset of the
    ``${`` last opened. The evaluator only reads the nodes, so a memoised parse is shared."""
    parser = Parser(data)
    try:
        return parser.parse_any(), None
    except ParseError as exc:
        return [], (str(exc), parser.open_at)


_parse_short = lru_cache(maxsize=4096)(_parse)


def substitute(text: str, variables: Mapping[str, str], *, strict: bool, file: str = "") -> SubstResult:
    """Substitute ``${...}`` expressions in ``text`` exactly as Flux's envsubst fork does.

    ``variables`` maps names to values (unset names are absent). In strict mode every use of an unset
    variable without a default-providing operator is recorded in ``unresolved`` (Flux would fail); it
    renders as the empty string either way. Raises SubstitutionError (with ``file`` and the line and
    column of the offending ``${``) when Flux's parser rejects the text.
    """
    data = text.encode("utf-8", "surrogatepass")
    nodes, error = _parse_short(data) if len(data) <= _SHORT else _parse(data)
    if error is not None:
        message, open_at = error
        line, col = _line_col(data, open_at)
        raise SubstitutionError(
            f"variable substitution failed: {message}",
            location=Location(file or "<input>", line, col),
            hint="only ${var} forms Flux supports are allowed; write $${...} for a literal ${...}",
        )
    ev = _Evaluator(variables, strict)
    out = ev.text(nodes)
    unresolved = [UnresolvedVar(name, *_line_col(data, off)) for name, off in ev.unresolved]
    return SubstResult(out.decode("utf-8", "replace"), unresolved)
