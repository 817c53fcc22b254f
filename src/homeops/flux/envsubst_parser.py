"""Scanner and parser of ``${...}`` expressions, as in Flux's envsubst fork (``fluxcd/pkg/envsubst``).

The scanner reads UTF-8 runes from bytes with Go's semantics and removes escapes from its buffer as it goes
(``$$`` outside expressions, ``\\/`` and ``\\\\`` in replace patterns); the parser is the fork's recursive
descent, one method per Go function, producing ``Text`` and ``Func`` nodes for ``envsubst`` to evaluate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MAX_NESTING", "Func", "Node", "ParseError", "Parser", "Text"]

MAX_NESTING = 100
"""Deepest nesting of ``${...}`` inside ``${...}`` defaults homeops parses (Flux's Go parser has no limit;
real files nest two or three deep). Deeper input fails with a ParseError instead of exhausting the stack."""

_EOF = "\0"
_RUNE_ERROR = "\ufffd"

# Scanner mode bits and escape bits, as in the Go scanner.
_SCAN_IDENT, _SCAN_LBRACK, _SCAN_RBRACK, _SCAN_ESCAPE = 1, 2, 4, 8
_ESC_DOLLAR, _ESC_BACKSLASH = 1, 2
_ESC_ALL = _ESC_DOLLAR | _ESC_BACKSLASH

Accept = Callable[[str, int], bool]


# ---------------------------------------------------------------------------------------------------------
# Parse tree


@dataclass(slots=True)
class Text:
    """Literal bytes of the input."""

    value: bytes


@dataclass(slots=True)
class Func:
    """A ``${...}`` expression: the variable, the operator (``""`` for ``${var}``) and its arguments."""

    param: str
    name: str
    args: list[Text | Func]
    offset: int  # byte offset in the original input of the "$" that opens the expression


Node = Text | Func


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
        self.removed: list[int] = []  # original offsets of the bytes escapes removed from buf, ascending
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
        self.removed.append(self._original(self.pos - 1))  # ascending: the scanner only moves forward
        del self.buf[self.pos - 1]

    def peek(self) -> str:
        r = self.read()
        self.unread()
        return r

    def token(self) -> bytes:
        return bytes(self.buf[self.start : self.pos])

    def offset(self, index: int) -> int:
        """The original byte offset of ``buf[index]`` (one past the last byte for an index beyond it)."""
        if index < len(self.buf):
            return self._original(index)
        return self._original(len(self.buf) - 1) + 1 if self.buf else 0

    def _original(self, index: int) -> int:
        """The offset in the input of the byte now at ``buf[index]``: the index-th byte not removed."""
        original = index
        for gone in self.removed:  # escapes are rare: a handful at most
            if gone <= original:
                original += 1
        return original

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
        # Plain text accepts every rune: only "$" (a "${" or a "$$" escape) can end or change the token,
        # so jump to the next one instead of decoding rune by rune (same result, much faster).
        plain = (
            self.accept is _accept_rune
            and self.mode & _SCAN_LBRACK
            and not (self.mode & _SCAN_ESCAPE and self.escape & _ESC_BACKSLASH)
        )
        while True:
            if plain:
                nxt = self.buf.find(b"$", self.pos)
                self.pos = len(self.buf) if nxt < 0 else nxt
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


class ParseError(Exception):
    """The input holds a ``${...}`` the fork's parser rejects (the message is the fork's)."""


class Parser:
    """The fork's recursive-descent parser, one method per Go function."""

    def __init__(self, data: bytes) -> None:
        self.s = _Scanner(data)
        self.open_at = 0  # byte offset of the last "${" opened, for error locations
        self.depth = 0  # "${" open around the current position

    def parse_any(self) -> list[Node]:
        """Parse the whole input into text and expression nodes."""
        nodes: list[Node] = []
        s = self.s
        while True:
            s.accept, s.mode, s.escape = _accept_rune, _SCAN_IDENT | _SCAN_LBRACK | _SCAN_ESCAPE, _ESC_DOLLAR
            tok = s.scan()
            if tok == "ident":
                nodes.append(Text(s.token()))
            elif tok == "eof":
                return nodes
            elif tok == "lbrack":
                self.open_at = s.offset(s.start)
                nodes.append(self.parse_func(s.offset(s.start)))
            else:
                raise ParseError("bad substitution")

    def parse_func(self, at: int) -> Func:
        if self.depth >= MAX_NESTING:
            self.open_at = at
            raise ParseError(f"expressions nested more than {MAX_NESTING} deep")
        self.depth += 1
        try:
            return self._parse_func(at)
        finally:
            self.depth -= 1

    def _parse_func(self, at: int) -> Func:
        s = self.s
        s.escape = _ESC_ALL
        if s.peek() == "#":
            return self.parse_len_func(at)
        s.accept, s.mode = _accept_ident, _SCAN_IDENT
        if s.scan() != "ident":
            raise ParseError("unable to parse variable name")
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
            raise ParseError("missing closing brace")
        return Func(name, "", [], at)

    def parse_param(self, accept: Accept, mode: int) -> Node:
        s = self.s
        s.accept, s.mode = accept, mode | _SCAN_LBRACK
        tok = s.scan()
        if tok == "lbrack":
            return self.parse_func(s.offset(s.start))
        if tok in ("ident", "rbrack"):
            return Text(s.token())
        raise ParseError("unable to parse substitution within function")

    def _scan_op(self, accept: Accept, error: str = "bad substitution") -> str:
        s = self.s
        s.accept, s.mode = accept, _SCAN_IDENT
        if s.scan() != "ident":
            raise ParseError(error)
        return s.token().decode("utf-8", "replace")

    def parse_default_or_substr(self, name: str, at: int) -> Func:
        s = self.s
        s.read()
        r = s.peek()
        s.unread()
        if r in ("=", "-", "?", "+"):
            return self.parse_default_func(name, at)
        node = Func(name, self._scan_op(_accept_one_colon), [], at)
        node.args.append(self.parse_param(_reject_colon_close, _SCAN_IDENT))
        s.accept, s.mode = _accept_colon, _SCAN_IDENT | _SCAN_RBRACK
        tok = s.scan()
        if tok == "rbrack":
            return node
        if tok != "ident":
            raise ParseError("bad substitution")
        node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))
        self.consume_rbrack()
        return node

    def parse_remove_func(self, name: str, at: int, accept: Accept) -> Func:
        node = Func(name, self._scan_op(accept), [], at)
        node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))
        self.consume_rbrack()
        return node

    def parse_replace_func(self, name: str, at: int) -> Func:
        s = self.s
        node = Func(name, self._scan_op(_accept_replace_func), [], at)
        if s.peek() == "/":
            node.args.append(Text(b""))
        else:
            node.args.append(self.parse_param(_accept_not_slash, _SCAN_IDENT | _SCAN_ESCAPE))
        self._scan_op(_accept_slash)
        if s.peek() == "}":
            self.consume_rbrack()
            return node
        node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT | _SCAN_ESCAPE))
        self.consume_rbrack()
        return node

    def parse_default_func(self, name: str, at: int) -> Func:
        s = self.s
        accept = _accept_one_equal if s.peek() == "=" else _accept_default_func
        node = Func(name, self._scan_op(accept, "unable to parse default function"), [], at)
        while True:
            if s.peek() == "}":
                self.consume_rbrack()
                return node
            node.args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))

    def parse_one_token_func(self, name: str, at: int, accept: Accept) -> Func:
        node = Func(name, self._scan_op(accept), [], at)
        self.consume_rbrack()
        return node

    def parse_len_func(self, at: int) -> Func:
        op = self._scan_op(_accept_one_hash)
        param = self._scan_op(_accept_ident)
        self.consume_rbrack()
        return Func(param, op, [], at)

    def consume_rbrack(self) -> None:
        self.s.mode = _SCAN_RBRACK
        if self.s.scan() != "rbrack":
            raise ParseError("bad substitution")
