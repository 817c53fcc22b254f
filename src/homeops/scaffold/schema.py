"""The schema of the bundled template's ``bootstrap/config.yaml``, and the validator ``configure`` runs.

The schema is a tree of pydantic models (``BootstrapConfig``; strict, unknown keys forbidden). Every problem
pydantic finds is reported at once as a ``ConfigFinding`` with the key path of the offending value
(``storage.nodes[1].devices[0]``), which ``configure`` turns into a file and line. ``CONFIG_SCHEMA`` is the
same schema as plain data (``Key`` trees) derived from the models, for the guide and README checks.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import Ge, Le, MinLen
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema

from homeops.templating import ConfigFinding

KeyPath = tuple[str | int, ...]

_UNSAFE = re.compile(r'["\\\n\r\t]')


@dataclass(frozen=True, slots=True)
class Text:
    """Constraints of a string value, as ``Annotated`` metadata of a ``str`` field.

    The value must not hold characters that would break the rendered YAML, must fully match ``pattern``
    (explained by ``hint``) when one is given, and must not be empty unless ``optional`` (then ``""`` is
    validated as ``None``).
    """

    pattern: str | None = None
    hint: str = ""
    optional: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Run ``check`` after pydantic's own (strict) string validation."""
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def check(self, value: str | None) -> str | None:
        """``value`` if it is acceptable; raises a ``PydanticCustomError`` saying why it is not."""
        if value is None:
            return None
        if value == "":
            if self.optional:
                return None
            raise PydanticCustomError("text_empty", "must not be empty")
        if _UNSAFE.search(value):
            raise PydanticCustomError(
                "text_unsafe", "must not contain quotes, backslashes, tabs or line breaks"
            )
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            message = f"{value!r} is not {self.hint or 'valid'}"
            raise PydanticCustomError("text_pattern", "{message}", {"message": message})
        return value


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_DNS_NAME = rf"{_DNS_LABEL}(\.{_DNS_LABEL})*"
_HOST = r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ClusterConfig(_Section):
    """The cluster."""

    name: Annotated[str, Text(_DNS_LABEL, "lowercase letters, digits and dashes")] = Field(
        description="The cluster's short name"
    )
    domain: Annotated[str, Text(rf"{_DNS_LABEL}(\.{_DNS_LABEL})+", "a domain name")] = Field(
        description="The domain apps are served under"
    )
    timezone: Annotated[str, Text(r"[A-Za-z_]+(/[A-Za-z0-9_+-]+)*", "e.g. Europe/Paris")] = Field(
        description="The IANA time zone"
    )


class GitConfig(_Section):
    """This repository, as Flux clones it."""

    url: Annotated[str, Text(r"(https|ssh)://\S+", "an https:// or ssh:// URL")] = Field(
        description="The clone URL"
    )
    branch: Annotated[str, Text(r"[^\s~^:?*\[\\]+", "a branch name")] = Field(
        description="The branch Flux follows"
    )
    secret_name: Annotated[str | None, Text(_DNS_NAME, "a Secret name", optional=True)] = Field(
        default=None, description="Credentials of a private repository"
    )


class SopsConfig(_Section):
    """SOPS encryption."""

    age_public_key: Annotated[str, Text(r"age1[02-9ac-hj-np-z]{58}", "an age public key (age1...)")] = Field(
        description="The age recipient"
    )


class OnePasswordConfig(_Section):
    """The ClusterSecretStore's 1Password Connect server."""

    connect_host: Annotated[str, Text(r"https?://\S+", "an http:// or https:// URL")] = Field(
        description="Its URL"
    )
    connect_token: Annotated[str, Text(r"\S+", "a token without spaces")] = Field(
        description="Its access token"
    )
    vault: Annotated[str, Text()] = Field(description="The vault of the apps' items")


_Device = Annotated[str, Text(r"/dev/\S+", "a device path under /dev/"), Field(description="A disk")]


class StorageNode(_Section):
    """A storage node."""

    name: Annotated[str, Text(_DNS_NAME, "a node name")] = Field(description="A Kubernetes node name")
    devices: list[_Device] = Field(min_length=1, description="Raw disks")


class StorageConfig(_Section):
    """Rook-Ceph."""

    replicas: int = Field(ge=1, le=9, description="Copies of every block")
    nodes: list[StorageNode] = Field(min_length=1, description="Nodes giving disks to Ceph")


class MediaConfig(_Section):
    """The NFS media library."""

    nfs_server: Annotated[str, Text(_HOST, "a host name or IP address")] = Field(description="The NFS server")
    nfs_path: Annotated[str, Text(r"/\S*", "an absolute path")] = Field(description="The exported path")


class RommConfig(_Section):
    """RomM."""

    db_uri: Annotated[str, Text(r"[a-z][a-z0-9+.-]*://\S+", "a URI such as mariadb://user@host/db")] = Field(
        description="The database URI"
    )


class BootstrapConfig(_Section):
    """bootstrap/config.yaml."""

    cluster: ClusterConfig = Field(description="The cluster")
    git: GitConfig = Field(description="This repository, as Flux clones it")
    sops: SopsConfig = Field(description="SOPS encryption")
    onepassword: OnePasswordConfig = Field(description="The ClusterSecretStore's 1Password Connect server")
    storage: StorageConfig = Field(description="Rook-Ceph")
    media: MediaConfig = Field(description="The NFS media library")
    romm: RommConfig = Field(description="RomM")


class KeyType(StrEnum):
    """The YAML type a key must hold."""

    STRING = "string"
    INTEGER = "integer"
    MAPPING = "mapping"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class Key:
    """One key of the configuration, as plain data (derived from the pydantic models).

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


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0].rstrip(".") if (doc or "").strip() else ""


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _key_of(name: str, annotation: Any, metadata: list[Any], doc: str, required: bool) -> Key:
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        described = (m.description for m in extra if isinstance(m, FieldInfo) and m.description)
        return _key_of(name, base, [*metadata, *extra], doc or next(described, ""), required)
    annotation = _without_none(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_key(annotation, name, doc or _first_line(annotation.__doc__))
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        min_items = next((m.min_length for m in metadata if isinstance(m, MinLen)), 0)
        item_key = _key_of("", item, [], "", True)
        return Key(name, KeyType.LIST, doc, required=required, item=item_key, min_items=min_items)
    if annotation is int:
        minimum = next((m.ge for m in metadata if isinstance(m, Ge) and isinstance(m.ge, int)), None)
        maximum = next((m.le for m in metadata if isinstance(m, Le) and isinstance(m.le, int)), None)
        return Key(name, KeyType.INTEGER, doc, required=required, minimum=minimum, maximum=maximum)
    if annotation is str:
        text = next((m for m in metadata if isinstance(m, Text)), Text())
        required = required and not text.optional
        return Key(name, KeyType.STRING, doc, required, pattern=text.pattern, pattern_hint=text.hint)
    raise TypeError(f"no key type for {annotation!r}")


def _field_key(name: str, field: FieldInfo) -> Key:
    return _key_of(name, field.annotation, list(field.metadata), field.description or "", field.is_required())


def model_key(model: type[BaseModel], name: str = "", doc: str = "") -> Key:
    """The ``MAPPING`` key describing ``model`` and, recursively, its fields."""
    children = tuple(_field_key(field_name, field) for field_name, field in model.model_fields.items())
    return Key(name, KeyType.MAPPING, doc or _first_line(model.__doc__), children=children)


CONFIG_SCHEMA: Key = model_key(BootstrapConfig)
"""The keys of ``bootstrap/config.yaml`` (the root is a mapping with an empty name)."""


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


def _key_at(schema: Key, path: KeyPath) -> Key | None:
    key: Key | None = schema
    for part in path:
        if key is None:
            return None
        if isinstance(part, int):
            key = key.item
        else:
            key = next((child for child in key.children if child.name == part), None)
    return key


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "model_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
}


def _finding(error: ErrorDetails, schema: Key) -> ConfigFinding:
    """The ``ConfigFinding`` of one pydantic error: its ``loc`` as the key path and a message in our words."""
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    path: KeyPath = tuple(error["loc"])
    if kind in ("extra_forbidden", "invalid_key"):
        path = (*path[:-1], str(path[-1])) if path else path
        parent = _key_at(schema, path[:-1])
        expected = ", ".join(child.name for child in parent.children) if parent is not None else ""
        message = f"unknown key (expected one of: {expected or 'no keys'})"
    else:
        key = _key_at(schema, path)
        doc = key.doc if key is not None else ""
        field = bool(path) and isinstance(path[-1], str)
        if kind == "missing" or (kind in _EXPECTED and value is None and field):
            message = f"is required ({doc})"
        elif kind in _EXPECTED:
            message = f"must be {_EXPECTED[kind]}, not {_type_name(value)}"
        elif kind == "greater_than_equal":
            message = f"must be at least {ctx['ge']}, not {value}"
        elif kind == "less_than_equal":
            message = f"must be at most {ctx['le']}, not {value}"
        elif kind == "too_short":
            message = f"needs at least {ctx['min_length']} item(s)"
        elif kind == "text_empty":
            message = f"must not be empty ({doc})"
        else:
            message = error["msg"]
    return ConfigFinding(path, f"{_display(path)}: {message}")


def _cross_key_findings(data: Mapping[str, Any]) -> list[ConfigFinding]:
    """The template's rules spanning several keys, checked on whatever parts of ``data`` are usable."""
    found: list[ConfigFinding] = []
    storage = data.get("storage")
    if not isinstance(storage, Mapping):
        return found
    replicas, nodes = storage.get("replicas"), storage.get("nodes")
    if isinstance(replicas, int) and isinstance(nodes, list) and nodes and replicas > len(nodes):
        path: KeyPath = ("storage", "replicas")
        message = f"{replicas} copies need at least {replicas} storage nodes, not {len(nodes)}"
        found.append(ConfigFinding(path, f"{_display(path)}: {message}"))
    if isinstance(nodes, list):
        names = [n.get("name") for n in nodes if isinstance(n, Mapping)]
        for index, name in enumerate(names):
            if name and names.index(name) != index:
                path = ("storage", "nodes", index, "name")
                found.append(ConfigFinding(path, f"{_display(path)}: node {name!r} is listed twice"))
    return found


def validate_config(data: Mapping[str, Any]) -> list[ConfigFinding]:
    """Every problem of ``data`` against ``BootstrapConfig``, plus the template's cross-key rules.

    This is the ``validator`` the bundled template passes to ``configure``.
    """
    found: list[ConfigFinding] = []
    try:
        BootstrapConfig.model_validate(data)
    except ValidationError as error:
        found.extend(_finding(detail, CONFIG_SCHEMA) for detail in error.errors(include_url=False))
    if isinstance(data, Mapping):
        found.extend(_cross_key_findings(data))
    return found


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
