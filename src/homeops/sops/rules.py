"""``.sops.yaml`` creation rules, read as sops 3.x reads them.

The first rule whose ``path_regex`` (RE2 syntax, unanchored) matches the file's path relative to the
directory holding ``.sops.yaml`` wins; a rule without ``path_regex`` matches every file. Keys come from
``age`` (a comma-separated string or a list) or from ``key_groups`` (each group's ``age`` list; ``merge``
groups are flattened). Only age is supported: a rule that names pgp, kms, gcp_kms, azure_keyvault or
hc_vault keys, or several key groups (Shamir secret sharing), is refused with an error naming it.

sops itself looks for ``.sops.yaml`` from the current directory upwards; homeops looks from the file's
directory upwards (``find_config``), which is the same for files under the repository root holding it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from homeops.errors import Location
from homeops.sops.document import SopsError, compile_go_regex
from homeops.sops.tree import Branch, Comment, parse_yaml

__all__ = ["CONFIG_NAMES", "CreationRule", "SopsConfig", "find_config", "is_config_file", "parse_config"]

CONFIG_NAMES = (".sops.yaml",)
_MAX_DEPTH = 100
_SELECTORS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
_OTHER_KEYS = {
    "pgp": "pgp",
    "kms": "kms",
    "gcp_kms": "gcp_kms",
    "azure_keyvault": "azure_keyvault",
    "hc_vault_transit_uri": "hc_vault",
    "hc_vault": "hc_vault",
}


@dataclass(frozen=True, slots=True)
class CreationRule:
    """One creation rule: which files it selects, its age recipients and what it encrypts."""

    path_regex: str
    age: tuple[str, ...]
    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    unencrypted_comment_regex: str = ""
    encrypted_comment_regex: str = ""
    mac_only_encrypted: bool = False
    unsupported: str = ""  # why this rule cannot be used (checked when it is selected)
    index: int = 0

    def matches(self, rel: str) -> bool:
        """Whether the rule selects ``rel`` (POSIX, relative to the config directory)."""
        return not self.path_regex or compile_go_regex(self.path_regex).search(rel) is not None


@dataclass(frozen=True, slots=True)
class SopsConfig:
    """A parsed ``.sops.yaml``: its directory, creation rules and YAML indent (``stores.yaml.indent``)."""

    path: Path
    rules: tuple[CreationRule, ...]
    indent: int = 4

    def rule_for(self, file: Path) -> CreationRule | None:
        """The first rule matching ``file``, or None. Raises SopsError when that rule cannot be used."""
        try:
            rel = file.resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            rel = file.as_posix()
        for rule in self.rules:
            if rule.matches(rel):
                if rule.unsupported:
                    which = f"creation rule {rule.index + 1} of {self.path.name}"
                    raise SopsError(
                        f"{which} matches {rel}: {rule.unsupported}",
                        location=Location(str(self.path)),
                    )
                return rule
        return None


def _keys(value: Any, name: str, where: Location) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v).strip() for v in value]
    raise SopsError(
        f"invalid {name} key configuration: expected a string or a list of strings", location=where
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Branch):
        return {k: _plain(v) for k, v in value if isinstance(k, str)}
    if isinstance(value, list):
        return [_plain(v) for v in value if not isinstance(v, Comment)]
    return value


def _group_keys(group: Any, where: Location, others: set[str]) -> list[str]:
    if not isinstance(group, dict):
        raise SopsError("a key group must be a mapping", location=where)
    found: list[str] = []
    for sub in group.get("merge") or []:
        found += _group_keys(sub, where, others)
    found += _keys(group.get("age"), "age", where)
    others.update(_OTHER_KEYS[k] for k in _OTHER_KEYS if group.get(k))
    return found


def _rule(raw: Any, index: int, where: Location) -> CreationRule:
    if not isinstance(raw, dict):
        raise SopsError(f"creation rule {index + 1} must be a mapping", location=where)
    others = {_OTHER_KEYS[k] for k in _OTHER_KEYS if raw.get(k)}
    groups = raw.get("key_groups") or []
    if not isinstance(groups, list):
        raise SopsError("key_groups must be a list", location=where)
    if groups:
        keys = [_group_keys(g, where, others) for g in groups]
        age = keys[0] if len(keys) == 1 else []
    else:
        age = _keys(raw.get("age"), "age", where)
    problems: list[str] = []
    if others:
        problems.append(f"{', '.join(sorted(others))} keys are not supported by homeops (age only)")
    if len(groups) > 1:
        problems.append("several key_groups (Shamir secret sharing) are not supported by homeops")
    if not problems and not age:
        problems.append("it names no age recipient")
    fields = {k: raw.get(k) or "" for k in _SELECTORS}
    if any(not isinstance(v, str) for v in fields.values()):
        raise SopsError(f"creation rule {index + 1}: suffixes and regexes must be strings", location=where)
    if sum(1 for v in fields.values() if v) > 1:
        raise SopsError(
            f"creation rule {index + 1}: cannot use more than one of {', '.join(_SELECTORS)}", location=where
        )
    for name in (
        "unencrypted_regex",
        "encrypted_regex",
        "unencrypted_comment_regex",
        "encrypted_comment_regex",
    ):
        if fields[name]:
            compile_go_regex(fields[name])
    path_regex = raw.get("path_regex") or ""
    if not isinstance(path_regex, str):
        raise SopsError(f"creation rule {index + 1}: path_regex must be a string", location=where)
    if path_regex:
        compile_go_regex(path_regex)
    return CreationRule(
        path_regex=path_regex,
        age=tuple(dict.fromkeys(age)),
        mac_only_encrypted=raw.get("mac_only_encrypted") is True,
        unsupported="; ".join(problems),
        index=index,
        **fields,
    )


def parse_config(text: str, path: Path) -> SopsConfig:
    """Parse the text of a ``.sops.yaml``. Raises SopsError (with the file) when it is malformed."""
    where = Location(str(path))
    docs = parse_yaml(text, str(path))
    doc = _plain(docs[0]) if docs else {}
    rules_raw = doc.get("creation_rules") or []
    if not isinstance(rules_raw, list):
        raise SopsError("creation_rules must be a list", location=where)
    stores = doc.get("stores") or {}
    indent = stores.get("yaml", {}).get("indent") if isinstance(stores, dict) else None
    if indent is not None and (not isinstance(indent, int) or isinstance(indent, bool) or indent < 0):
        raise SopsError("stores.yaml.indent must be a non-negative integer", location=where)
    rules = tuple(_rule(r, i, where) for i, r in enumerate(rules_raw))
    return SopsConfig(path=path, rules=rules, indent=indent or 4)


def find_config(
    file: Path, stop: Path | None = None, *, read: Callable[[Path], str | None] | None = None
) -> SopsConfig | None:
    """The ``.sops.yaml`` governing ``file``: the nearest one in its directory or above, up to ``stop``
    (inclusive) or 100 levels. ``read`` returns a candidate's text or None when it does not exist (default:
    the file system), so that callers can look at files about to be written."""

    def from_disk(candidate: Path) -> str | None:
        try:
            return candidate.read_text(encoding="utf-8") if candidate.is_file() else None
        except (OSError, UnicodeDecodeError) as exc:
            raise SopsError(f"cannot read {candidate}: {exc}") from None

    reader = read or from_disk
    directory = Path(file).absolute().parent
    for _ in range(_MAX_DEPTH):
        for name in CONFIG_NAMES:
            text = reader(directory / name)
            if text is not None:
                return parse_config(text, directory / name)
        if (stop is not None and directory == Path(stop).absolute()) or directory.parent == directory:
            return None
        directory = directory.parent
    return None


def is_config_file(path: PurePosixPath | Path) -> bool:
    """Whether ``path`` is a sops configuration file (never encrypted itself)."""
    return path.name in (*CONFIG_NAMES, ".sops.yml")
