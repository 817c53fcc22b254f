"""The one registry of rules: every module of ``homeops.rules.validate`` and ``homeops.rules.diff``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from homeops.errors import UsageError
from homeops.rules.base import Rule, rule_from_module

_PACKAGES = ("homeops.rules.validate", "homeops.rules.diff")


@cache
def _package_rules(package_name: str) -> tuple[Rule, ...]:
    """The rules of one package, in module order."""
    package = importlib.import_module(package_name)
    rules = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            rules.append(rule_from_module(importlib.import_module(f"{package_name}.{info.name}")))
    return tuple(rules)


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by code. Codes and names are unique (checked here)."""
    rules = [r for package_name in _PACKAGES for r in _package_rules(package_name)]
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    dupes = {c for c in codes if codes.count(c) > 1} | {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate rule codes or names: {sorted(dupes)}")
    return tuple(sorted(rules, key=lambda r: r.code))


def rules_of_kind(kind: str) -> tuple[Rule, ...]:
    """The rules of ``kind`` (``validate`` or ``diff``), sorted by code; only their package is imported
    (``diff`` never loads the schema machinery of the validate rules)."""
    package_name = f"homeops.rules.{kind}"
    if package_name not in _PACKAGES:
        return ()
    return tuple(sorted((r for r in _package_rules(package_name) if r.kind == kind), key=lambda r: r.code))


def find_rule(code_or_name: str) -> Rule:
    """A rule by code (case-insensitive) or name."""
    wanted = code_or_name.strip()
    for rule in all_rules():
        if rule.code.lower() == wanted.lower() or rule.name == wanted:
            return rule
    raise UsageError(f"no rule {code_or_name!r}", hint="`homeops rules` lists them")
