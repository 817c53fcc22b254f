"""Static search for undefined variables, so that uses in branches a render did not take are found too.

Walks a template's syntax tree and reports every variable (or dotted path into the data, such as
``cloudflare.token``) that is neither in the template data nor bound in the template. Uses guarded by
``is defined`` / ``is undefined`` tests or the ``default`` filter are not reported. The result is a list of
warnings: a branch that was not rendered may well be meant for settings this configuration lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import nodes

from homeops.errors import Location
from homeops.templating.report import Severity
from homeops.templating.undefined import UndefinedUse

IMPLICIT_NAMES = frozenset({"loop", "caller", "varargs", "kwargs", "self", "super", "true", "false", "none"})
_GUARD_TESTS = frozenset({"defined", "undefined"})
_GUARD_FILTERS = frozenset({"default", "d"})


def bound_names(tree: nodes.Template) -> set[str]:
    """Every name a template binds anywhere (set, for, macro, import...): treated as always defined."""
    bound: set[str] = set()
    for node in tree.find_all((nodes.Name, nodes.Macro, nodes.Import, nodes.FromImport, nodes.NSRef)):
        if (isinstance(node, nodes.Name) and node.ctx in ("store", "param")) or isinstance(node, nodes.Macro):
            bound.add(node.name)
        elif isinstance(node, nodes.Import):
            bound.add(node.target)
        elif isinstance(node, nodes.FromImport):
            for item in node.names:
                bound.add(item[1] if isinstance(item, tuple) else item)
        elif isinstance(node, nodes.NSRef):
            bound.add(node.name)
    return bound


def expr_parts(node: nodes.Node) -> list[str | int] | None:
    """``a.b[0]['c']`` -> ``["a", "b", 0, "c"]``; None when the expression is not such a path."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        base = expr_parts(node.node)
        return None if base is None else [*base, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        key = node.arg.value
        base = expr_parts(node.node)
        if base is None or not isinstance(key, (str, int)) or isinstance(key, bool):
            return None
        return [*base, key]
    return None


def join_parts(parts: list[str | int]) -> str:
    """``["nodes", 0, "name"]`` -> ``nodes[0].name``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def missing_prefix(parts: list[str | int], known: Mapping[str, Any]) -> list[str | int] | None:
    """The shortest prefix of ``parts`` that does not exist in ``known``; None if all exist or can't tell."""
    root = parts[0]
    if not isinstance(root, str) or root not in known:
        return parts[:1]
    value = known[root]
    for index, part in enumerate(parts[1:], start=1):
        if isinstance(part, str) and hasattr(value, part):
            return None  # a method or attribute, as Jinja's getattr tries it first
        if isinstance(value, Mapping):
            if part not in value:
                return parts[: index + 1]
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int):
            if not -len(value) <= part < len(value):
                return parts[: index + 1]
            value = value[part]
        else:
            return None
    return None


def _guards(test: nodes.Node) -> set[str]:
    """Paths checked with ``is defined``/``is undefined`` anywhere in an ``if`` test."""
    found: set[str] = set()
    tests = [test] if isinstance(test, nodes.Test) else []
    for node in [*tests, *test.find_all(nodes.Test)]:
        if node.name in _GUARD_TESTS:
            parts = expr_parts(node.node)
            if parts is not None:
                found.add(join_parts(parts))
    return found


def _is_guarded(path: str, guarded: frozenset[str]) -> bool:
    return any(path == g or path.startswith((g + ".", g + "[")) for g in guarded)


class _Walker:
    def __init__(self, known: Mapping[str, Any], bound: set[str], file: str) -> None:
        self.known = known
        self.bound = bound
        self.file = file
        self.found: dict[tuple[int, str], UndefinedUse] = {}

    def report(self, parts: list[str | int], lineno: int) -> None:
        name = join_parts(parts)
        message = f"{name!r} is not defined by the template data"
        self.found.setdefault(
            (lineno, name),
            UndefinedUse(
                Location(self.file, lineno),
                name,
                message + " (not rendered, or only tested)",
                Severity.WARNING,
            ),
        )

    def walk(self, node: nodes.Node, guarded: frozenset[str]) -> None:
        if isinstance(node, nodes.Test) and node.name in _GUARD_TESTS:
            for arg in [*node.args, *node.kwargs]:
                self.walk(arg, guarded)
            return
        if isinstance(node, nodes.Filter) and node.name in _GUARD_FILTERS and node.node is not None:
            for arg in [*node.args, *node.kwargs]:
                self.walk(arg, guarded)
            return
        if isinstance(node, (nodes.If, nodes.CondExpr)):
            inner = guarded | _guards(node.test)
            self.walk(node.test, guarded)
            for child in node.iter_child_nodes():
                if child is not node.test:
                    self.walk(child, inner)
            return
        if isinstance(node, nodes.And):
            self.walk(node.left, guarded)
            self.walk(node.right, guarded | _guards(node.left))
            return
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            parts = expr_parts(node)
            if parts is not None and not (isinstance(node, nodes.Name) and node.ctx != "load"):
                self.check(parts, node.lineno, guarded)
                return
        for child in node.iter_child_nodes():
            self.walk(child, guarded)

    def check(self, parts: list[str | int], lineno: int, guarded: frozenset[str]) -> None:
        root = parts[0]
        if not isinstance(root, str) or root in self.bound or root in IMPLICIT_NAMES:
            return
        missing = missing_prefix(parts, self.known)
        if missing is not None and not _is_guarded(join_parts(missing), guarded):
            self.report(missing, lineno)


def static_undefined(tree: nodes.Template, known: Mapping[str, Any], file: str) -> list[UndefinedUse]:
    """Undefined variables referenced anywhere in ``tree`` (a parsed template shown as ``file``)."""
    walker = _Walker(known, bound_names(tree), file)
    walker.walk(tree, frozenset())
    return list(walker.found.values())
