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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from homeops.errors import BuildError, Location
from homeops.flux.strfuncs import apply_function

__all__ = ["SubstResult", "SubstitutionError", "UnresolvedVar", "substitute"]

_EOF = "\0"
_RUNE_ERROR = "\ufffd"

# Scanner mode bits and escape bits, as in the Go scanner.
_SCAN_IDENT, _SCAN_LBRACK, _SCAN_RBRACK, _SCAN_ESCAPE = 1, 2, 4, 8
_ESC_DOLLAR, _ESC_BACKSLASH = 1, 2
_ESC_ALL = _ESC_DOLLAR | _ESC_BACKSLASH

_DEFAULT_OPS = frozenset({"-", "+", "=", "?", ":-", ":+", ":=", ":?"})

Accept = Callable[[str, int], bool]


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
# Parse tree


@dataclass(slots=True)
class _Text:
    value: bytes


@dataclass(slots=True)
class _Func:
    param: str
    name: str
    args: list[_Text | _Func]
    offset: int  # byte offset in the original input of the "$" that opens the expression


_Node = _Text | _Func


def _accept_rune(r: str, i: int) -> bool:
    return True


def _accept_ident(r: str, i: int) -> bool:
    return r == "_" or r.isalpha() or r.isdecimal()


def _accept_colon(r: str, i: int) -> bool:
    return r == ":"


def _accept_one_hash(r: str, i: int) -> bool:
    return r == "#" and i == 1


def _accept_not_closing(r: str, i: int) -> bool:
    return r != "}"


def _accept_hash_func(r: str, i: int) -> bool:
    return r == "#" and i < 3


def _accept_percent_func(r: str, i: int) -> bool:
    return r == "%" and i < 3


def _accept_default_func(r: str, i: int) -> bool:
    return (i == 1 and r == ":") or (i == 2 and r in "=-?+")


def _accept_replace_func(r: str, i: int) -> bool:
    return (i == 1 and r == "/") or (i == 2 and r in "/#%")


def _accept_one_equal(r: str, i: int) -> bool:
    return i == 1 and r == "="


def _accept_one_colon(r: str, i: int) -> bool:
    return i == 1 and r == ":"


def _reject_colon_close(r: str, i: int) -> bool:
    return r not in ":}"


def _accept_slash(r: str, i: int) -> bool:
    return r == "/"


def _accept_not_slash(r: str, i: int) -> bool:
    return r != "/"


def _accept_casing_func(r: str, i: int) -> bool:
    return r in ",^" and i < 3


_UTF8_LEN = {**dict.fromkeys(range(0xC2, 0xE0), 2), **dict.fromkeys(range(0xE0, 0xF0), 3)}
_UTF8_LEN.update(dict.fromkeys(range(0xF0, 0xF5), 4))


class _Scanner:
    """A byte scanner with Go's semantics: runes decoded from UTF-8, escapes removed from the buffer."""

    def __init__(self, data: bytes) -> None:
        self.buf = bytearray(data)
        self.orig = list(range(len(data)))  # original byte offset of each byte still in buf
        self.pos = 0
        self.start = 0
        self.width = 0
        self.mode = 0
        self.escape = 0
        self.accept: Accept = _accept_rune

    def read(self) -> str:
        if self.pos >= len(self.buf):
            self.width = 0
            return _EOF
        b0 = self.buf[self.pos]
        n = 1 if b0 < 0x80 else _UTF8_LEN.get(b0, 0)
        try:
            r = bytes(self.buf[self.pos : self.pos + n]).decode("utf-8") if n else _RUNE_ERROR
        except UnicodeDecodeError:
            r, n = _RUNE_ERROR, 1
        n = max(n, 1)
        self.width = n
        self.pos += n
        return r

    def unread(self) -> None:
        self.pos -= self.width

    def skip(self) -> None:
        del self.buf[self.pos - 1]
        del self.orig[self.pos - 1]

    def peek(self) -> str:
        r = self.read()
        self.unread()
        return r

    def token(self) -> bytes:
        return bytes(self.buf[self.start : self.pos])

    def offset(self, index: int) -> int:
        return self.orig[index] if index < len(self.orig) else (self.orig[-1] + 1 if self.orig else 0)

    def scan(self) -> str:
        """Return one of "eof", "lbrack", "rbrack", "ident", "illegal"."""
        self.start = self.pos
        r = self.read()
        if r == _EOF:
            return "eof"
        if self._scan_lbrack(r):
            return "lbrack"
        if self.mode & _SCAN_RBRACK and r == "}":
            return "rbrack"
        if self._scan_ident(r):
            return "ident"
        return "illegal"

    def _scan_ident(self, r: str) -> bool:
        if not self.mode & _SCAN_IDENT:
            return False
        if self._scan_escaped(r):
            self.skip()
        elif not self.accept(r, self.pos - self.start):
            return False
        while True:
            r = self.read()
            if r == _EOF:
                self.unread()
                return True
            if self._scan_lbrack(r):
                self.unread()
                self.unread()
                return True
            if self._scan_escaped(r):
                self.skip()
                continue
            if not self.accept(r, self.pos - self.start):
                self.unread()
                return True

    def _scan_lbrack(self, r: str) -> bool:
        if not self.mode & _SCAN_LBRACK or r != "$":
            return False
        if self.read() == "{":
            return True
        self.unread()
        return False

    def _scan_escaped(self, r: str) -> bool:
        if not self.mode & _SCAN_ESCAPE:
            return False
        if r == "$" and self.escape & _ESC_DOLLAR and self.peek() == "$":
            return True
        return r == "\\" and bool(self.escape & _ESC_BACKSLASH) and self.peek() in ("/", "\\")


class _ParseError(Exception):
    pass


class _Parser:
    """The fork's recursive-descent parser, one method per Go function."""

    def __init__(self, data: bytes) -> None:
        self.s = _Scanner(data)
        self.open_at = 0

    def parse_any(self) -> list[_Node]:
        nodes: list[_Node] = []
        s = self.s
        while True:
            s.accept, s.mode, s.escape = _accept_rune, _SCAN_IDENT | _SCAN_LBRACK | _SCAN_ESCAPE, _ESC_DOLLAR
            tok = s.scan()
            if tok == "ident":
                nodes.append(_Text(s.token()))
            elif tok == "eof":
                return nodes
            elif tok == "lbrack":
                self.open_at = s.offset(s.start)
                nodes.append(self.parse_func(s.offset(s.start)))
            else:
                raise _ParseError("bad substitution")

    def parse_func(self, at: int) -> _Func:
        s = self.s
        s.escape = _ESC_ALL
        if s.peek() == "#":
            return self.parse_len_func(at)
        s.accept, s.mode = _accept_ident, _SCAN_IDENT
        if s.scan() != "ident":
            raise _ParseError("unable to parse variable name")
        name = s.token().decode("utf-8", "replace")
        nxt = s.peek()
        if nxt == ":":
            return self.parse_default_or_substr(name, at)
        if nxt == "=":
            return self.parse_default_func(name, at)
        if nxt in (",", "^"):
            return self.parse_one_token_func(name, at, _accept_casing_func)
        if nxt == "/":
            return self.parse_replace_func(name, at)
        if nxt == "#":
            return self.parse_remove_func(name, at, _accept_hash_func)
        if nxt == "%":
            return self.parse_remove_func(name, at, _accept_percent_func)
        s.accept, s.mode = _accept_ident, _SCAN_RBRACK
        if s.scan() != "rbrack":
            raise _ParseError("missing closing brace")
        return _Func(name, "", [], at)

    def parse_param(self, accept: Accept, mode: int) -> _Node:
        s = self.s
        s.accept, s.mode = accept, mode | _SCAN_LBRACK
        tok = s.scan()
        if tok == "lbrack":
            return self.parse_func(s.offset(s.start))
        if tok in ("ident", "rbrack"):
            return _Text(s.token())
        raise _ParseError("unable to parse substitution within function")

    def _scan_op(self, accept: Accept, error: str = "bad substitution") -> str:
        s = self.s
        s.accept, s.mode = accept, _SCAN_IDENT
        if s.scan() != "ident":
            raise _ParseError(error)
        return s.token().decode("utf-8", "replace")

    def parse_default_or_substr(self, name: str, at: int) -> _Func:
        s = self.s
        s.read()
        r = s.peek()
        s.unread()
        if r in ("=", "-", "?", "+"):
            return self.parse_default_func(name, at)
        node = _Func(name, self._scan_op(_accept_one_colon), [], at)
        node.args.append(self.parse_param(_reject_colon_close, _SCAN_IDENT))
        s.accept, s.mode = _accept_colon, _SCAN_IDENT | _SCAN_RBRACK
        tok = s.scan()
        if tok == "rbrack":
            return node
        if tok != "ident":
            raise _ParseError("bad substitution")
        node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))
        self.consume_rbrack()
        return node

    def parse_remove_func(self, name: str, at: int, accept: Accept) -> _Func:
        node = _Func(name, self._scan_op(accept), [], at)
        node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))
        self.consume_rbrack()
        return node

    def parse_replace_func(self, name: str, at: int) -> _Func:
        s = self.s
        node = _Func(name, self._scan_op(_accept_replace_func), [], at)
        if s.peek() == "/":
            node.args.append(_Text(b""))
        else:
            node.args.append(self.parse_param(_accept_not_slash, _SCAN_IDENT | _SCAN_ESCAPE))
        self._scan_op(_accept_slash)
        if s.peek() == "}":
            self.consume_rbrack()
            return node
        node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT | _SCAN_ESCAPE))
        self.consume_rbrack()
        return node

    def parse_default_func(self, name: str, at: int) -> _Func:
        s = self.s
        accept = _accept_one_equal if s.peek() == "=" else _accept_default_func
        node = _Func(name, self._scan_op(accept, "unable to parse default function"), [], at)
        while True:
            if s.peek() == "}":
                self.consume_rbrack()
                return node
            node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))

    def parse_one_token_func(self, name: str, at: int, accept: Accept) -> _Func:
        node = _Func(name, self._scan_op(accept), [], at)
        self.consume_rbrack()
        return node

    def parse_len_func(self, at: int) -> _Func:
        op = self._scan_op(_accept_one_hash)
        param = self._scan_op(_accept_ident)
        self.consume_rbrack()
        return _Func(param, op, [], at)

    def consume_rbrack(self) -> None:
        self.s.mode = _SCAN_RBRACK
        if self.s.scan() != "rbrack":
            raise _ParseError("bad substitution")


# ---------------------------------------------------------------------------------------------------------
# Evaluation


class _Evaluator:
    def __init__(self, variables: Mapping[str, str], strict: bool) -> None:
        self.variables = variables
        self.strict = strict
        self.unresolved: list[tuple[str, int]] = []

    def text(self, nodes: list[_Node]) -> bytes:
        return b"".join(self.node(n) for n in nodes)

    def node(self, n: _Node) -> bytes:
        if isinstance(n, _Text):
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


def substitute(text: str, variables: Mapping[str, str], *, strict: bool, file: str = "") -> SubstResult:
    """Substitute ``${...}`` expressions in ``text`` exactly as Flux's envsubst fork does.

    ``variables`` maps names to values (unset names are absent). In strict mode every use of an unset
    variable without a default-providing operator is recorded in ``unresolved`` (Flux would fail); it
    renders as the empty string either way. Raises SubstitutionError (with ``file`` and the line and
    column of the offending ``${``) when Flux's parser rejects the text.
    """
    data = text.encode("utf-8", "surrogatepass")
    parser = _Parser(data)
    try:
        nodes = parser.parse_any()
    except _ParseError as exc:
        line, col = _line_col(data, parser.open_at)
        raise SubstitutionError(
            f"variable substitution failed: {exc}",
            location=Location(file or "<input>", line, col),
            hint="only ${var} forms Flux supports are allowed; write $${...} for a literal ${...}",
        ) from None
    ev = _Evaluator(variables, strict)
    out = ev.text(nodes)
    unresolved = [UnresolvedVar(name, *_line_col(data, off)) for name, off in ev.unresolved]
    return SubstResult(out.decode("utf-8", "replace"), unresolved)
