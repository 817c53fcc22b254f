"""The schema of the bundled template's ``bootstrap/config.yaml``, and the validator ``configure`` runs.

The schema is plain data (``Key`` trees) checked by a small walker: every problem is reported at once as a
``ConfigFinding`` with the key path of the offending value (``storage.nodes[1].devices[0]``), which
``configure`` turns into a file and line. Unknown keys are reported with their key path too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from homeops.templating import ConfigFinding

KeyPath = tuple[str | int, ...]


class KeyType(StrEnum):
    """The YAML type a key must hold."""

    STRING = "string"
    INTEGER = "integer"
    MAPPING = "mapping"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class Key:
    """One key of the configuration.

    A ``MAPPING`` lists its keys in ``children``; a ``LIST`` describes its items with ``item`` (whose
    ``name`` is unused). Strings may be constrained by ``pattern`` (a full match, explained by
    ``pattern_hint``) and integers by ``minimum``/``maximum``. An optional key may be absent or empty.
    """

    name: str
    type: KeyType
    doc: str = ""
    required: bool = True
    children: tuple[Key, ...] = ()
    item: Key | None = None
    pattern: str | None = None
    pattern_hint: str = ""
    minimum: int | None = None
    maximum: int | None = None
    min_items: int = 0


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_DNS_NAME = rf"{_DNS_LABEL}(\.{_DNS_LABEL})*"
_HOST = r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*"


def _s(name: str, doc: str, pattern: str | None = None, hint: str = "", required: bool = True) -> Key:
    return Key(name, KeyType.STRING, doc, required=required, pattern=pattern, pattern_hint=hint)


def _m(name: str, doc: str, *children: Key) -> Key:
    return Key(name, KeyType.MAPPING, doc, children=children)


CONFIG_SCHEMA: Key = _m(
    "",
    "bootstrap/config.yaml",
    _m(
        "cluster",
        "The cluster",
        _s("name", "The cluster's short name", _DNS_LABEL, "lowercase letters, digits and dashes"),
        _s("domain", "The domain apps are served under", rf"{_DNS_LABEL}(\.{_DNS_LABEL})+", "a domain name"),
        _s("timezone", "The IANA time zone", r"[A-Za-z_]+(/[A-Za-z0-9_+-]+)*", "e.g. Europe/Paris"),
    ),
    _m(
        "git",
        "This repository, as Flux clones it",
        _s("url", "The clone URL", r"(https|ssh)://\S+", "an https:// or ssh:// URL"),
        _s("branch", "The branch Flux follows", r"[^\s~^:?*\[\\]+", "a branch name"),
        _s("secret_name", "Credentials of a private repository", _DNS_NAME, "a Secret name", required=False),
    ),
    _m(
        "sops",
        "SOPS encryption",
        _s("age_public_key", "The age recipient", r"age1[02-9ac-hj-np-z]{58}", "an age public key (age1...)"),
    ),
    _m(
        "onepassword",
        "The ClusterSecretStore's 1Password Connect server",
        _s("connect_host", "Its URL", r"https?://\S+", "an http:// or https:// URL"),
        _s("connect_token", "Its access token", r"\S+", "a token without spaces"),
        _s("vault", "The vault of the apps' items"),
    ),
    _m(
        "storage",
        "Rook-Ceph",
        Key("replicas", KeyType.INTEGER, "Copies of every block", minimum=1, maximum=9),
        Key(
            "nodes",
            KeyType.LIST,
            "Nodes giving disks to Ceph",
            min_items=1,
            item=_m(
                "",
                "A storage node",
                _s("name", "A Kubernetes node name", _DNS_NAME, "a node name"),
                Key(
                    "devices",
                    KeyType.LIST,
                    "Raw disks",
                    min_items=1,
                    item=_s("", "A disk", r"/dev/\S+", "a device path under /dev/"),
                ),
            ),
        ),
    ),
    _m(
        "media",
        "The NFS media library",
        _s("nfs_server", "The NFS server", _HOST, "a host name or IP address"),
        _s("nfs_path", "The exported path", r"/\S*", "an absolute path"),
    ),
    _m(
        "romm",
        "RomM",
        _s("db_uri", "The database URI", r"[a-z][a-z0-9+.-]*://\S+", "a URI such as mariadb://user@host/db"),
    ),
)
"""The keys of ``bootstrap/config.yaml`` (the root is a mapping with an empty name)."""

_UNSAFE = re.compile(r'["\\\n\r\t]')


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


def _display(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the configuration"


class _Checker:
    def __init__(self) -> None:
        self.found: list[ConfigFinding] = []

    def add(self, path: KeyPath, message: str) -> None:
        self.found.append(ConfigFinding(path, f"{_display(path)}: {message}"))

    def check(self, key: Key, value: Any, path: KeyPath) -> None:
        if key.type is KeyType.MAPPING:
            self.mapping(key, value, path)
        elif key.type is KeyType.LIST:
            self.sequence(key, value, path)
        elif key.type is KeyType.INTEGER:
            self.integer(key, value, path)
        else:
            self.string(key, value, path)

    def mapping(self, key: Key, value: Any, path: KeyPath) -> None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping, not {_type_name(value)}")
            return
        known = {child.name: child for child in key.children}
        for name in value:
            if name not in known:
                expected = ", ".join(known) or "no keys"
                self.add((*path, str(name)), f"unknown key (expected one of: {expected})")
        for child in key.children:
            if child.name not in value or value[child.name] is None:
                if child.required:
                    self.add((*path, child.name), f"is required ({child.doc})")
                continue
            self.check(child, value[child.name], (*path, child.name))

    def sequence(self, key: Key, value: Any, path: KeyPath) -> None:
        if not isinstance(value, list):
            self.add(path, f"must be a list, not {_type_name(value)}")
            return
        if len(value) < key.min_items:
            self.add(path, f"needs at least {key.min_items} item(s)")
        if key.item is not None:
            for index, item in enumerate(value):
                self.check(key.item, item, (*path, index))

    def integer(self, key: Key, value: Any, path: KeyPath) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"must be an integer, not {_type_name(value)}")
            return
        if key.minimum is not None and value < key.minimum:
            self.add(path, f"must be at least {key.minimum}, not {value}")
        if key.maximum is not None and value > key.maximum:
            self.add(path, f"must be at most {key.maximum}, not {value}")

    def string(self, key: Key, value: Any, path: KeyPath) -> None:
        if not isinstance(value, str):
            self.add(path, f"must be a string, not {_type_name(value)}")
            return
        if value == "":
            if key.required:
                self.add(path, f"must not be empty ({key.doc})")
            return
        if _UNSAFE.search(value):
            self.add(path, "must not contain quotes, backslashes, tabs or line breaks")
        elif key.pattern is not None and re.fullmatch(key.pattern, value) is None:
            self.add(path, f"{value!r} is not {key.pattern_hint or 'valid'}")


def validate_config(data: Mapping[str, Any], schema: Key = CONFIG_SCHEMA) -> list[ConfigFinding]:
    """Every problem of ``data`` against ``schema``, plus the template's cross-key rules.

    This is the ``validator`` the bundled template passes to ``configure``.
    """
    checker = _Checker()
    checker.check(schema, data, ())
    storage = data.get("storage")
    if isinstance(storage, Mapping):
        replicas, nodes = storage.get("replicas"), storage.get("nodes")
        if isinstance(replicas, int) and isinstance(nodes, list) and nodes and replicas > len(nodes):
            checker.add(
                ("storage", "replicas"),
                f"{replicas} copies need at least {replicas} storage nodes, not {len(nodes)}",
            )
        if isinstance(nodes, list):
            names = [n.get("name") for n in nodes if isinstance(n, Mapping)]
            for index, name in enumerate(names):
                if name and names.index(name) != index:
                    checker.add(("storage", "nodes", index, "name"), f"node {name!r} is listed twice")
    return checker.found


def schema_key_paths(schema: Key = CONFIG_SCHEMA) -> list[str]:
    """Every key path holding a value (``storage.nodes[].name``; sections excluded), depth first."""
    out: list[str] = []

    def walk(key: Key, prefix: str) -> None:
        for child in key.children:
            path = f"{prefix}.{child.name}" if prefix else child.name
            if child.type is not KeyType.MAPPING:
                out.append(path)
            item = child.item
            if item is not None and item.type is KeyType.MAPPING:
                walk(item, path + "[]")
            elif child.type is KeyType.MAPPING:
                walk(child, path)

    walk(schema, "")
    return out
