"""A parser of a Go ``text/template`` subset, with configurable delimiters (flux-operator: ``<<`` ``>>``).

Supported: text and actions with trim markers (``<<-`` / ``->>``), comments, pipelines (``|``), variables
(``$x := ...``, ``$x = ...``, ``$i, $e := ...`` in range), fields (``.a.b``, ``$x.a``, ``inputs.a``,
``(pipe).a``), string/raw/char/number/bool/nil literals, parenthesized pipelines, ``if``/``else if``,
``with``/``else with``, ``range`` (with ``else``, ``break``, ``continue``), ``define``/``template``/``block``.
As in Go, calling a function the template does not know is a parse error. Parse errors are
``TemplateError`` with the 1-based line and column in the template text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from homeops.flux.gotemplate_nodes import (
    Action,
    Arg,
    Branch,
    Chain,
    Cmd,
    Control,
    Field,
    Ident,
    LimitError,
    Lit,
    Nil,
    Node,
    Pipe,
    Sub,
    Template,
    TemplateCall,
    TemplateError,
    Text,
    Var,
)

__all__ = [
    "Action",
    "Arg",
    "Branch",
    "Chain",
    "Cmd",
    "Control",
    "Field",
    "Ident",
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
    "parse",
]


# ---------------------------------------------------------------------------------------------------------
# Lexer

MAX_NESTING = 100
"""Deepest nesting of blocks and parenthesized pipelines homeops parses."""
_SPACE = " \t\r\n"
_KEYWORDS = frozenset("block break continue define else end if range template with".split())
_TOKEN = re.compile(
    r"""(?P<ws>[ \t\r\n]+)
    |(?P<str>"(?:[^"\\\n]|\\.)*")
    |(?P<raw>`[^`]*`)
    |(?P<char>'(?:[^'\\\n]|\\.)+')
    |(?P<num>[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?))
    |(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
    |(?P<var>\$[A-Za-z0-9_]*)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<declare>:=)
    |(?P<op>[|(),=.])""",
    re.VERBOSE,
)
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)")


def _unquote(text: str, quote: str) -> str:
    def one(m: re.Match[str]) -> str:
        esc = m.group(0)[1:]
        if esc in _ESCAPES:
            return _ESCAPES[esc]
        if esc == quote:
            return quote
        if esc[0] in "xuU":
            return chr(int(esc[1:], 16))
        if esc[0] in "01234567" and len(esc) == 3:
            return chr(int(esc, 8))
        raise ValueError(f"invalid syntax: {text}")

    return _ESCAPE_RE.sub(one, text[1:-1])


def _number(text: str) -> int | float:
    plain = text.replace("_", "")
    try:
        return int(plain, 0) if not re.search(r"[.eE]", plain) or plain[:2].lower() == "0x" else float(plain)
    except ValueError:
        if re.fullmatch(r"[+-]?0[0-7]+", plain):
            return int(plain.replace("0", "0o", 1), 0)
        raise


@dataclass(slots=True)
class _Tok:
    kind: str
    value: Any
    pos: int


class _Parser:
    def __init__(self, src: str, left: str, right: str, funcs: Collection[str]) -> None:
        self.src = src
        self.left = left
        self.right = right
        self.funcs = funcs
        self.newlines = [i for i, c in enumerate(src) if c == "\n"]
        self.pos = 0
        self.toks: list[_Tok] = []
        self.i = 0
        self.defines: dict[str, tuple[Node, ...]] = {}
        self.trim_next = False
        self.depth = 0

    def nest(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            line, col = self.where(pos)
            raise LimitError(f"template nesting exceeds {MAX_NESTING} levels (homeops limit)", line, col)

    # -- positions and errors
    def where(self, pos: int) -> tuple[int, int]:
        line = bisect.bisect_left(self.newlines, pos)
        start = self.newlines[line - 1] + 1 if line > 0 else 0
        return line + 1, pos - start + 1

    def fail(self, message: str, pos: int) -> TemplateError:
        line, col = self.where(pos)
        return TemplateError(message, line, col)

    # -- splitting text and actions
    def left_trim(self, i: int) -> bool:
        """Whether a left trim marker (``-`` then a space) starts at ``i``."""
        return self.src.startswith("-", i) and i + 1 < len(self.src) and self.src[i + 1] in _SPACE

    def next_item(self) -> tuple[str, Any, int]:
        """('text', str, pos), ('action', [tokens], pos) or ('eof', None, pos)."""
        src, left = self.src, self.left
        start = self.pos
        if start >= len(src):
            return "eof", None, start
        at = src.find(left, start)
        if at != start:
            end = len(src) if at < 0 else at
            text = src[start:end]
            if self.trim_next:
                stripped = text.lstrip(_SPACE)
                start += len(text) - len(stripped)
                text = stripped
                self.trim_next = False
            if at >= 0 and self.left_trim(at + len(left)):
                text = text.rstrip(_SPACE)
            self.pos = end
            return "text", (text, start), start
        self.trim_next = False
        i = at + len(left)
        if self.left_trim(i):
            i += 2
        if src.startswith("/*", i):
            close = src.find("*/", i)
            if close < 0:
                raise self.fail("unclosed comment", at)
            j = close + 2
            if src.startswith(" -" + self.right, j):
                self.trim_next = True
                j += 2
            if not src.startswith(self.right, j):
                raise self.fail("comment ends before closing delimiter", at)
            self.pos = j + len(self.right)
            return "comment", None, at
        toks: list[_Tok] = []
        while True:
            if i >= len(src):
                raise self.fail("unclosed action", at)
            if src.startswith(self.right, i):
                self.pos = i + len(self.right)
                break
            if src[i] in _SPACE and src.startswith("-" + self.right, i + 1):
                self.trim_next = True
                self.pos = i + 2 + len(self.right)
                break
            m = _TOKEN.match(src, i)
            if m is None:
                raise self.fail(f"unexpected {src[i]!r} in command", i)
            kind = m.lastgroup or ""
            text = m.group(0)
            if kind != "ws":
                toks.append(self.token(kind, text, i))
            i = m.end()
        toks.append(_Tok("end", None, i))
        return "action", toks, at

    def token(self, kind: str, text: str, pos: int) -> _Tok:
        try:
            if kind == "str":
                return _Tok("lit", _unquote(text, '"'), pos)
            if kind == "raw":
                return _Tok("lit", text[1:-1], pos)
            if kind == "char":
                value = _unquote(text, "'")
                if len(value) != 1:
                    raise ValueError(f"malformed character constant: {text}")
                return _Tok("lit", ord(value), pos)
            if kind == "num":
                return _Tok("lit", _number(text), pos)
        except ValueError as exc:
            raise self.fail(
                str(exc) if "syntax" in str(exc) else f"bad number syntax: {text!r}", pos
            ) from None
        if kind == "ident":
            if text in ("true", "false"):
                return _Tok("lit", text == "true", pos)
            if text == "nil":
                return _Tok("nil", None, pos)
            if text in _KEYWORDS:
                return _Tok("kw", text, pos)
        return _Tok(kind, text, pos)

    # -- token helpers
    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def expect_end(self, context: str) -> None:
        tok = self.peek()
        if tok.kind != "end":
            raise self.fail(f"unexpected {self.describe(tok)} in {context}", tok.pos)

    def describe(self, tok: _Tok) -> str:
        if tok.kind == "end":
            return "end of action"
        words = self.src[tok.pos : tok.pos + 40].split()
        return f'"{words[0]}"' if words else "token"

    # -- parsing
    def parse(self) -> Template:
        body, stop = self.item_list(top=True)
        if stop is not None:
            raise self.fail(f"unexpected {{{{{stop[0]}}}}}", stop[1])
        return Template(body, self.defines)

    def item_list(self, top: bool = False) -> tuple[tuple[Node, ...], tuple[str, int] | None]:
        """Nodes up to ``end``/``else`` (returned as the stop keyword and its position) or EOF."""
        nodes: list[Node] = []
        while True:
            kind, value, pos = self.next_item()
            if kind == "eof":
                if not top:
                    raise self.fail("unexpected EOF", pos)
                return tuple(nodes), None
            if kind == "comment":
                continue
            if kind == "text":
                text, start = value
                if text:
                    nodes.append(Text(text, self.where(start)[0]))
                continue
            self.toks, self.i = value, 0
            tok = self.peek()
            if tok.kind == "kw":
                word = tok.value
                if word in ("end", "else"):
                    if top:
                        raise self.fail(f"unexpected {{{{{word}}}}}", tok.pos)
                    self.take()
                    return tuple(nodes), (word, tok.pos)
                node = self.keyword(word, tok)
                if node is not None:
                    nodes.append(node)
                continue
            pipe = self.pipeline("command")
            nodes.append(Action(pipe, self.where(pos)[0]))

    def keyword(self, word: str, tok: _Tok) -> Node | None:
        self.take()
        line, col = self.where(tok.pos)
        if word in ("break", "continue"):
            self.expect_end(word)
            return Control(word, line, col)
        if word in ("if", "with", "range"):
            return self.branch(word, tok)
        if word in ("template", "block"):
            name_tok = self.take()
            if name_tok.kind != "lit" or not isinstance(name_tok.value, str):
                raise self.fail(f"unexpected {self.describe(name_tok)} in {word} clause", name_tok.pos)
            pipe = None if self.peek().kind == "end" else self.pipeline(word)
            if word == "block":
                body, stop = self.item_list()
                if stop is None or stop[0] != "end":
                    raise self.fail("unexpected {{else}} in block", tok.pos)
                self.defines[name_tok.value] = body
            return TemplateCall(name_tok.value, pipe, line, col)
        if word == "define":
            name_tok = self.take()
            if name_tok.kind != "lit" or not isinstance(name_tok.value, str):
                raise self.fail("unexpected value in define clause", name_tok.pos)
            self.expect_end("define clause")
            body, stop = self.item_list()
            if stop is None or stop[0] != "end":
                raise self.fail("unexpected {{else}} in define", tok.pos)
            self.defines[name_tok.value] = body
            return None
        raise self.fail(f"unexpected {{{{{word}}}}}", tok.pos)

    def branch(self, word: str, tok: _Tok) -> Branch:
        self.nest(tok.pos)
        pipe = self.pipeline(word)
        body, stop = self.item_list()
        else_body: tuple[Node, ...] = ()
        if stop is not None and stop[0] == "else":
            nxt = self.peek()
            if word in ("if", "with") and nxt.kind == "kw" and nxt.value == word:
                # "else if" / "else with": a nested branch that shares this one's end.
                self.take()
                else_body = (self.branch(word, nxt),)
            else:
                self.expect_end("else")
                else_body, stop = self.item_list()
                if stop is None or stop[0] != "end":
                    raise self.fail(f"expected end; found {{{{{stop[0] if stop else 'EOF'}}}}}", tok.pos)
        self.depth -= 1
        return Branch(word, pipe, body, else_body, self.where(tok.pos)[0])

    def pipeline(self, context: str, sub: bool = False) -> Pipe:
        start = self.peek()
        line, col = self.where(start.pos)
        decl: list[str] = []
        assign = False
        # Variable declarations: $x := / $x = / $i, $e :=
        j = self.i
        names: list[str] = []
        while self.toks[j].kind == "var":
            names.append(self.toks[j].value)
            nxt = self.toks[j + 1]
            if nxt.kind == "op" and nxt.value == "," and context == "range" and len(names) < 2:
                j += 2
                continue
            if nxt.kind == "declare" or (nxt.kind == "op" and nxt.value == "="):
                decl, assign = names, nxt.kind != "declare"
                self.i = j + 2
            break
        cmds: list[Cmd] = []
        while True:
            cmds.append(self.command())
            tok = self.peek()
            if tok.kind == "op" and tok.value == "|":
                self.take()
                continue
            break
        end = self.peek()
        if sub:
            if not (end.kind == "op" and end.value == ")"):
                raise self.fail("unclosed left paren", start.pos)
        elif end.kind != "end":
            raise self.fail(f"unexpected {self.describe(end)} in {context}", end.pos)
        return Pipe(tuple(decl), assign, tuple(cmds), line, col)

    def command(self) -> Cmd:
        first = self.peek()
        args: list[Arg] = []
        while True:
            tok = self.peek()
            if tok.kind == "end" or (tok.kind == "op" and tok.value in "|)"):
                break
            args.append(self.operand())
        if not args:
            raise self.fail("missing value for command", first.pos)
        line, col = self.where(first.pos)
        stop = self.peek().pos
        return Cmd(tuple(args), self.src[first.pos : stop].strip(), line, col)

    def operand(self) -> Arg:
        node = self.term()
        fields: list[str] = []
        while self.peek().kind == "field":
            fields.append(self.take().value[1:])
        if not fields:
            return node
        if isinstance(node, Field):
            return Field(node.names + tuple(fields))
        if isinstance(node, Var):
            return Var(node.name, node.names + tuple(fields))
        if isinstance(node, (Lit, Nil)):
            raise self.fail("unexpected . after term", self.peek().pos)
        return Chain(node, tuple(fields))

    def term(self) -> Arg:
        tok = self.take()
        if tok.kind == "ident":
            if tok.value not in self.funcs:
                raise self.fail(f'function "{tok.value}" not defined', tok.pos)
            return Ident(tok.value)
        if tok.kind == "field":
            return Field((tok.value[1:],))
        if tok.kind == "op" and tok.value == ".":
            return Field(())
        if tok.kind == "var":
            return Var(tok.value)
        if tok.kind == "lit":
            return Lit(tok.value)
        if tok.kind == "nil":
            return Nil()
        if tok.kind == "op" and tok.value == "(":
            self.nest(tok.pos)
            pipe = self.pipeline("parenthesized pipeline", sub=True)
            self.depth -= 1
            self.take()
            return Sub(pipe)
        raise self.fail(f"unexpected {self.describe(tok)} in operand", tok.pos)


def parse(src: str, funcs: Collection[str], left: str = "{{", right: str = "}}") -> Template:
    """Parse ``src``; ``funcs`` are the function names the template may call. Raises TemplateError."""
    return _Parser(src, left, right, funcs).parse()
