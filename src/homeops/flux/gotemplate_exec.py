"""Execution of a parsed Go ``text/template`` (see ``gotemplate``) over plain Python values.

Values are what a JSON document decodes to in Go: ``str``, ``int`` (int64), ``float`` (float64), ``bool``,
``None`` (nil), ``list`` and ``dict`` (``map[string]interface{}``). Map fields are read with
``missingkey=error``, as flux-operator sets it. Execution is bounded (steps, output size, template call
depth): past a bound it stops with a TemplateError, never hangs. The output comes with the template line each
output line started from, so positions in what the template produced can be traced back to the template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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
from homeops.yaml.goscalars import go_format_float

__all__ = [
    "FuncError",
    "Limit",
    "Limits",
    "Rendered",
    "Unsupported",
    "UnsupportedError",
    "execute",
    "go_str",
    "go_type",
    "truth",
]


class FuncError(Exception):
    """Raised by a template function: the error Go's function would return (message only)."""


class Unsupported(FuncError):
    """Raised by a function Go has but homeops does not implement."""


class Limit(FuncError):
    """Raised by a function asked for more than homeops allows."""


class UnsupportedError(TemplateError):
    """Execution reached a function homeops does not implement: the result is unknown, not wrong."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one execution."""

    max_steps: int = 1_000_000
    max_output: int = 8 * 1024 * 1024
    max_depth: int = 100


@dataclass(frozen=True, slots=True)
class Rendered:
    """The output text and, for each of its lines (0-based index), the template line it started from."""

    text: str
    origins: tuple[int, ...]


class _Missing:
    """Go's invalid reflect.Value: no value at all (printed ``<no value>``)."""

    __slots__ = ()


_MISSING = _Missing()
Func = Callable[..., Any]


def go_type(value: Any) -> str:
    """The Go type name of a decoded JSON value, as Go's error messages print it."""
    if value is None or isinstance(value, _Missing):
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def go_str(value: Any) -> str:
    """``fmt.Sprint(value)``: Go's ``%v``."""
    if value is None or isinstance(value, _Missing):
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(go_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_str(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def truth(value: Any) -> bool:
    """Go template truth: false for nil, false, 0, "" and empty lists and maps."""
    if value is None or isinstance(value, _Missing):
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _State:
    def __init__(self, tmpl: Template, funcs: Mapping[str, Func], limits: Limits) -> None:
        self.tmpl = tmpl
        self.funcs = funcs
        self.limits = limits
        self.out: list[str] = []
        self.size = 0
        self.origins: list[int] = []
        self.steps = 0
        self.depth = 0
        self.vars: list[tuple[str, Any]] = []

    # -- output
    def emit(self, text: str, line: int, is_text: bool) -> None:
        if not text:
            return
        self.size += len(text)
        if self.size > self.limits.max_output:
            raise LimitError(f"output exceeds {self.limits.max_output} bytes (homeops limit)", line)
        if not self.origins:
            self.origins.append(line)
        newlines = text.count("\n")
        if newlines:
            if is_text:
                self.origins.extend(range(line + 1, line + newlines + 1))
            else:
                self.origins.extend([line] * newlines)
        self.out.append(text)

    def step(self, line: int) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise LimitError(
                f"template execution exceeds {self.limits.max_steps} steps (homeops limit)", line
            )

    # -- variables
    def lookup(self, name: str, cmd: Cmd) -> Any:
        for vname, value in reversed(self.vars):
            if vname == name:
                return value
        raise TemplateError(f"undefined variable: {name}", cmd.line, cmd.col)

    def assign(self, name: str, value: Any, pipe: Pipe) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        raise TemplateError(f"undefined variable: {name}", pipe.line, pipe.col)

    # -- nodes
    def walk(self, nodes: tuple[Node, ...], dot: Any) -> None:
        for node in nodes:
            self.node(node, dot)

    def node(self, node: Node, dot: Any) -> None:
        if isinstance(node, Text):
            self.step(node.line)
            self.emit(node.text, node.line, True)
        elif isinstance(node, Action):
            self.step(node.line)
            value = self.pipe(node.pipe, dot)
            if not node.pipe.decl:
                none = value is None or isinstance(value, _Missing)
                self.emit("<no value>" if none else go_str(value), node.line, False)
        elif isinstance(node, Branch):
            self.branch(node, dot)
        elif isinstance(node, Control):
            raise _Break() if node.kind == "break" else _Continue()
        else:
            self.call_template(node, dot)

    def scoped(self, nodes: tuple[Node, ...], dot: Any) -> None:
        mark = len(self.vars)
        try:
            self.walk(nodes, dot)
        finally:
            del self.vars[mark:]

    def branch(self, node: Branch, dot: Any) -> None:
        self.step(node.line)
        mark = len(self.vars)
        try:
            if node.kind == "range":
                self.range(node, dot)
                return
            value = self.pipe(node.pipe, dot, declare=node.kind != "range")
            if truth(value):
                self.scoped(node.body, value if node.kind == "with" else dot)
            else:
                self.scoped(node.else_body, dot)
        finally:
            del self.vars[mark:]

    def range(self, node: Branch, dot: Any) -> None:
        pipe = node.pipe
        value = self.pipe(Pipe((), False, pipe.cmds, pipe.line, pipe.col), dot)
        items = self.range_items(value, node, len(pipe.decl))
        ran = False
        for key, elem in items:
            ran = True
            self.step(node.line)
            mark = len(self.vars)
            if len(pipe.decl) == 1:
                self.vars.append((pipe.decl[0], elem))
            elif len(pipe.decl) == 2:
                self.vars.extend([(pipe.decl[0], key), (pipe.decl[1], elem)])
            try:
                self.walk(node.body, elem)
            except _Break:
                break
            except _Continue:
                continue
            finally:
                del self.vars[mark:]
        if not ran:
            self.scoped(node.else_body, dot)

    def range_items(self, value: Any, node: Branch, nvars: int) -> Iterator[tuple[Any, Any]]:
        if isinstance(value, list):
            return iter(list(enumerate(value)))
        if isinstance(value, dict):
            return iter([(k, value[k]) for k in sorted(value)])
        if isinstance(value, int) and not isinstance(value, bool):
            if nvars > 1:
                raise TemplateError(
                    "can't use int to iterate over more than one variable", node.pipe.line, node.pipe.col
                )
            return iter([(i, i) for i in range(max(value, 0))])
        if value is None or isinstance(value, _Missing):
            return iter(())
        raise TemplateError(f"range can't iterate over {go_str(value)}", node.pipe.line, node.pipe.col)

    def call_template(self, node: TemplateCall, dot: Any) -> None:
        self.step(node.line)
        body = self.tmpl.defines.get(node.name)
        if body is None:
            raise TemplateError(f'no such template "{node.name}"', node.line, node.col)
        new_dot = self.pipe(node.pipe, dot) if node.pipe is not None else None
        if self.depth >= self.limits.max_depth:
            raise LimitError(
                f"exceeded maximum template depth ({self.limits.max_depth}, homeops limit)",
                node.line,
                node.col,
            )
        saved = self.vars
        self.vars = [("$", new_dot)]
        self.depth += 1
        try:
            self.walk(body, new_dot)
        finally:
            self.depth -= 1
            self.vars = saved

    # -- pipelines
    def pipe(self, pipe: Pipe, dot: Any, declare: bool = True) -> Any:
        value: Any = _MISSING
        for cmd in pipe.cmds:
            value = self.command(cmd, dot, value)
        for name in pipe.decl:
            if pipe.assign:
                self.assign(name, value, pipe)
            elif declare:
                self.vars.append((name, value))
        return value

    def command(self, cmd: Cmd, dot: Any, final: Any) -> Any:
        first, rest = cmd.args[0], cmd.args[1:]
        if isinstance(first, Ident):
            return self.call(first.name, rest, dot, final, cmd)
        if rest or not isinstance(final, _Missing):
            raise TemplateError(
                f"executing at <{cmd.src}>: can't give argument to non-function", cmd.line, cmd.col
            )
        if isinstance(first, Nil):
            raise TemplateError(f"executing at <{cmd.src}>: nil is not a command", cmd.line, cmd.col)
        return self.arg(first, dot, cmd)

    def arg(self, arg: Arg, dot: Any, cmd: Cmd) -> Any:
        if isinstance(arg, Lit):
            return arg.value
        if isinstance(arg, Nil):
            return None
        if isinstance(arg, Field):
            return self.fields(dot, arg.names, cmd)
        if isinstance(arg, Var):
            return self.fields(self.lookup(arg.name, cmd), arg.names, cmd)
        if isinstance(arg, Sub):
            return self.pipe(arg.pipe, dot)
        if isinstance(arg, Ident):
            return self.call(arg.name, (), dot, _MISSING, cmd)
        assert isinstance(arg, Chain)
        return self.fields(self.arg(arg.node, dot, cmd), arg.names, cmd)

    def fields(self, value: Any, names: tuple[str, ...], cmd: Cmd) -> Any:
        for name in names:
            if isinstance(value, dict):
                if name not in value:
                    raise TemplateError(
                        f'executing at <{cmd.src}>: map has no entry for key "{name}"', cmd.line, cmd.col
                    )
                value = value[name]
            elif value is None or isinstance(value, _Missing):
                raise TemplateError(
                    f"executing at <{cmd.src}>: nil pointer evaluating interface {{}}.{name}",
                    cmd.line,
                    cmd.col,
                )
            else:
                raise TemplateError(
                    f"executing at <{cmd.src}>: can't evaluate field {name} in type {go_type(value)}",
                    cmd.line,
                    cmd.col,
                )
        return value

    def call(self, name: str, argnodes: tuple[Arg, ...], dot: Any, final: Any, cmd: Cmd) -> Any:
        if name in ("and", "or"):
            return self.and_or(name, argnodes, dot, final, cmd)
        args = [self.arg(a, dot, cmd) for a in argnodes]
        if not isinstance(final, _Missing):
            args.append(final)
        func = self.funcs[name]
        try:
            return func(*args)
        except Limit as exc:
            raise LimitError(f"executing at <{cmd.src}>: {exc}", cmd.line, cmd.col) from None
        except Unsupported as exc:
            raise UnsupportedError(f"executing at <{cmd.src}>: {exc}", cmd.line, cmd.col) from None
        except FuncError as exc:
            raise TemplateError(
                f"executing at <{cmd.src}>: error calling {name}: {exc}", cmd.line, cmd.col
            ) from None
        except TypeError:
            raise TemplateError(
                f"executing at <{cmd.src}>: wrong number of args for {name}: got {len(args)}",
                cmd.line,
                cmd.col,
            ) from None

    def and_or(self, name: str, argnodes: tuple[Arg, ...], dot: Any, final: Any, cmd: Cmd) -> Any:
        count = len(argnodes) + (0 if isinstance(final, _Missing) else 1)
        if count == 0:
            raise TemplateError(
                f"executing at <{cmd.src}>: wrong number of args for {name}: want at least 1 got 0",
                cmd.line,
                cmd.col,
            )
        value: Any = None
        for i in range(count):
            value = self.arg(argnodes[i], dot, cmd) if i < len(argnodes) else final
            if truth(value) == (name == "or"):
                return value
        return value


def execute(
    tmpl: Template, funcs: Mapping[str, Func], data: Any = None, limits: Limits | None = None
) -> Rendered:
    """Run ``tmpl`` with ``data`` as dot. Raises TemplateError (with the template line) on any error."""
    state = _State(tmpl, funcs, limits or Limits())
    state.vars.append(("$", data))
    try:
        state.walk(tmpl.body, data)
    except (_Break, _Continue):
        raise TemplateError("{{break}} or {{continue}} outside {{range}}") from None
    except RecursionError:
        raise LimitError("template nesting too deep (homeops limit)") from None
    return Rendered("".join(state.out), tuple(state.origins))
