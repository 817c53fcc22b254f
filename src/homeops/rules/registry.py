"""The one registry of rules: every module of ``homeops.rules.validate`` and ``homeops.rules.diff``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from homeops.errors import UsageError
from homeops.rules.base import Rule, rule_from_module

_PACKAGES = ("homeops.rules.validate", "homeops.rules.diff")


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by code. Codes and names are unique (checked here)."""
    rules: list[Rule] = []
    for package_name in _PACKAGES:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            rules.append(rule_from_module(importlib.import_module(f"{package_name}.{info.name}")))
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    dupes = {c for c in codes if codes.count(c) > 1} | {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate rule codes or names: {sorted(dupes)}")
    return tuple(sorted(rules, key=lambda r: r.code))


def rules_of_kind(kind: str) -> tuple[Rule, ...]:
    return tuple(r for r in all_rules() if r.kind == kind)


def find_rule(code_or_name: str) -> Rule:
    """A rule by code (case-insensitive) or name."""
    wanted = code_or_name.strip()
    for rule in all_rules():
        if rule.code.lower() == wanted.lower() or rule.name == wanted:
            return rule
    raise UsageError(f"no rule {code_or_name!r}", hint="`homeops rules` lists them")
