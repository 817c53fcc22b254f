"""SOPS-encrypted YAML documents: metadata, value decryption and MAC verification, as sops computes them.

A SOPS document keeps its keys in clear text and replaces each value with
``ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<str|int|float|bool|bytes>]`` (empty strings stay
empty). Values are AES-256-GCM with a 32-byte IV, keyed by the document's data key, with the value's path
(``key1:key2:...:``; list items add nothing) as additional data. The data key is age-encrypted for each
recipient under ``sops.age``. The MAC is the upper-case hex SHA-512 over every leaf's clear value in
document order (``True``/``False`` for booleans, Go's ``%f``-style shortest text for floats; with
``mac_only_encrypted`` only encrypted leaves count, after a fixed 32-byte prefix), itself encrypted with the
data key and ``lastmodified`` (RFC 3339) as additional data.

Note: Flux's kustomize-controller decrypts resources without checking the MAC (``checkSopsMac`` is off), so
``verify_mac`` is a homeops lint that catches hand-edited files, as ``sops --decrypt`` would.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from homeops.errors import InputError, Location
from homeops.sops.age import AgeError, age_decrypt
from homeops.sops.marks import ENCRYPTED_PLACEHOLDER, is_sops_encrypted
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy

__all__ = [
    "ENCRYPTED_PLACEHOLDER",
    "SopsError",
    "SopsMetadata",
    "compile_go_regex",
    "decrypt_document",
    "decrypt_documents",
    "is_sops_encrypted",
    "mask_encrypted",
    "parse_metadata",
]

_ENC = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]", re.DOTALL)
_MAC_ONLY_ENCRYPTED_INIT = hashlib.sha256(b"sops").digest()
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)
_DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"
_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
_GO_BOOLS.update({"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False})


class SopsError(InputError):
    """A SOPS document cannot be decrypted: bad metadata, no matching key, tampered value or MAC mismatch."""


@dataclass(frozen=True, slots=True)
class AgeStanza:
    """One ``sops.age`` entry: the recipient and the armored age file holding the data key."""

    recipient: str
    enc: str


@dataclass(frozen=True, slots=True)
class SopsMetadata:
    """The parts of the ``sops:`` block that decryption needs."""

    age: tuple[AgeStanza, ...]
    other_key_types: tuple[str, ...]
    lastmodified: str
    mac: str
    version: str
    unencrypted_suffix: str
    encrypted_suffix: str
    unencrypted_regex: str
    encrypted_regex: str
    encrypted_comment_regex: str
    mac_only_encrypted: bool


def _where(obj: Any, key: str | None = None) -> Location | None:
    pos: Pos | None = None
    if isinstance(obj, YMap):
        pos = obj.key_pos(key) if key is not None else obj.pos
    return Location(pos.file, pos.line, pos.column) if pos else None


def _text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise SopsError(f"sops metadata field {key!r} must be a scalar", location=_where(meta, key))
    return str(value)


def parse_metadata(obj: YMap) -> SopsMetadata:
    """Read the ``sops:`` block of a document. Raises SopsError when it is malformed."""
    meta = obj.get("sops")
    if not isinstance(meta, dict):
        raise SopsError("document has no sops metadata", location=_where(obj))
    if meta.get("key_groups"):
        raise SopsError("sops key_groups (Shamir secret sharing) are not supported", location=_where(meta))
    stanzas: list[AgeStanza] = []
    age_list = meta.get("age") or []
    if not isinstance(age_list, list):
        raise SopsError("sops metadata field 'age' must be a list", location=_where(meta, "age"))
    for entry in age_list:
        if not isinstance(entry, dict) or not isinstance(entry.get("enc"), str):
            raise SopsError("sops age entry needs 'recipient' and 'enc'", location=_where(meta, "age"))
        stanzas.append(AgeStanza(str(entry.get("recipient", "")), entry["enc"]))
    others = tuple(k for k in ("pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms") if meta.get(k))
    fields = {
        k: _text(meta, k)
        for k in (
            "unencrypted_suffix",
            "encrypted_suffix",
            "unencrypted_regex",
            "encrypted_regex",
            "unencrypted_comment_regex",
            "encrypted_comment_regex",
        )
    }
    unencrypted_suffix = fields["unencrypted_suffix"]
    if not any(fields.values()):
        unencrypted_suffix = _DEFAULT_UNENCRYPTED_SUFFIX
    mac_only = meta.get("mac_only_encrypted")
    return SopsMetadata(
        age=tuple(stanzas),
        other_key_types=others,
        lastmodified=_text(meta, "lastmodified"),
        mac=_text(meta, "mac"),
        version=_text(meta, "version"),
        unencrypted_suffix=unencrypted_suffix,
        encrypted_suffix=fields["encrypted_suffix"],
        unencrypted_regex=fields["unencrypted_regex"],
        encrypted_regex=fields["encrypted_regex"],
        encrypted_comment_regex=fields["encrypted_comment_regex"],
        mac_only_encrypted=mac_only is True or str(mac_only).lower() == "true",
    )


def _go_regex_to_python(pattern: str) -> str:
    """Rewrite RE2's mid-pattern flag groups ``(?i)`` (they apply to the rest of the enclosing group) as
    Python's scoped ``(?i:...)``; other syntax used in sops rules is the same in both engines."""
    out: list[str] = []
    closers: list[int] = [0]  # per open group: how many scoped groups to close with it
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "]":
                out.append("]")
                i += 1
        elif c == "(":
            m = re.match(r"\(\?([imsU-]+)\)", pattern[i:])
            if m:
                flags = m.group(1).replace("U", "")
                if flags and flags != "-":
                    out.append(f"(?{flags}:")
                    closers[-1] += 1
                i += m.end()
                continue
            closers.append(0)
            out.append(c)
        elif c == ")":
            out.append(")" * closers.pop() if len(closers) > 1 else "")
            out.append(c)
        else:
            out.append(c)
        i += 1
    out.append(")" * closers[0])
    return "".join(out)


@lru_cache(maxsize=64)
def compile_go_regex(pattern: str) -> re.Pattern[str]:
    """A Go (RE2) regular expression as sops uses it (``regexp.Match``: unanchored). Raises SopsError."""
    try:
        return re.compile(_go_regex_to_python(pattern))
    except re.error as exc:
        raise SopsError(f"sops metadata holds an invalid regular expression {pattern!r}: {exc}") from None


def _should_encrypt(meta: SopsMetadata, path: Sequence[str]) -> bool:
    """sops' shouldBeEncrypted (documents loaded here carry no comments)."""
    encrypted = True
    if meta.unencrypted_suffix and any(p.endswith(meta.unencrypted_suffix) for p in path):
        encrypted = False
    if meta.encrypted_suffix:
        encrypted = any(p.endswith(meta.encrypted_suffix) for p in path)
    if meta.unencrypted_regex and any(compile_go_regex(meta.unencrypted_regex).search(p) for p in path):
        encrypted = False
    if meta.encrypted_regex:
        encrypted = any(compile_go_regex(meta.encrypted_regex).search(p) for p in path)
    if meta.encrypted_comment_regex:
        encrypted = False
    return encrypted


def _leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...], Any, Any]]:
    """Yield (leaf, path, container, index-or-key) in document order, as sops walks a branch."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "sops" and not path:
                continue
            if isinstance(item, (dict, list)):
                yield from _leaves(item, (*path, str(key)))
            elif item is not None:
                yield item, (*path, str(key)), value, key
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, (dict, list)):
                yield from _leaves(item, path)
            elif item is not None:
                yield item, path, value, i


def _go_format_f(value: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return format(Decimal(repr(value)).normalize(), "f")


def _mac_bytes(value: Any) -> bytes:
    """sops' ToBytes."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return _go_format_f(value).encode()
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _decrypt_value(text: str, key: bytes, aad: str) -> tuple[Any, bytes | None]:
    """Decrypt one ENC[...] value: the typed value and its bytes for the MAC (None for a comment, which the
    MAC does not cover). Raises ValueError."""
    if text == "":
        return "", b""
    m = _ENC.match(text)
    if not m:
        raise ValueError("value is not in sops' ENC[AES256_GCM,...] format")
    try:
        data, iv, tag = _b64(m.group(1)), _b64(m.group(2)), _b64(m.group(3))
    except (binascii.Error, ValueError):
        raise ValueError("encrypted value is not valid base64") from None
    if len(iv) < 8 or len(tag) != 16:
        raise ValueError("encrypted value has a malformed iv or tag")
    from cryptography.exceptions import InvalidTag  # imported here: only a SOPS file needs it
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        plain = AESGCM(key).decrypt(iv, data + tag, aad.encode("utf-8", "surrogateescape"))
    except InvalidTag:
        raise ValueError("encrypted value failed authentication (tampered, moved or wrong key)") from None
    kind = m.group(4)
    clear = plain.decode("utf-8", "surrogateescape")
    if kind == "str":
        return clear, plain
    if kind in ("bytes", "time"):
        return clear, plain
    if kind == "comment":
        return clear, None
    if kind == "int":
        if not re.fullmatch(r"[+-]?[0-9]+", clear):
            raise ValueError("encrypted int value is not an integer")
        return int(clear), str(int(clear)).encode()
    if kind == "float":
        try:
            number = float(clear)
        except ValueError:
            raise ValueError("encrypted float value is not a number") from None
        return number, _mac_bytes(number)
    if kind == "bool":
        if clear not in _GO_BOOLS:
            raise ValueError("encrypted bool value is not a boolean")
        return _GO_BOOLS[clear], _mac_bytes(_GO_BOOLS[clear])
    raise ValueError(f"unknown encrypted value type {kind!r}")


def _data_key(meta: SopsMetadata, identities: Sequence[str], where: Location | None) -> bytes:
    if not meta.age:
        kinds = ", ".join(meta.other_key_types) or "none"
        raise SopsError(f"no age recipients in sops metadata (key types: {kinds})", location=where)
    for stanza in meta.age:
        try:
            key = age_decrypt(stanza.enc.encode("utf-8"), identities)
        except AgeError:
            continue
        if len(key) == 32:
            return key
    recipients = ", ".join(s.recipient for s in meta.age)
    raise SopsError(
        f"no age identity matches the document's recipients ({recipients})",
        location=where,
        hint="set SOPS_AGE_KEY_FILE or pass the age key file",
    )


def _normalized_lastmodified(text: str) -> str:
    m = _RFC3339.match(text.strip())
    if not m:
        return text
    zone = m.group(2).upper()
    return m.group(1) + ("Z" if zone in ("Z", "+00:00", "-00:00") else zone)


def _decrypt_values(obj: YMap, meta: SopsMetadata, key: bytes, digest: Any) -> YMap:
    where = _where(obj)
    out: YMap = deep_copy(obj)
    out.pop("sops", None)
    comments: list[tuple[Any, Any]] = []  # encrypted comments sops wrote as list items
    for leaf, path, container, index in list(_leaves(out, ())):
        encrypted = _should_encrypt(meta, path)
        mac_part: bytes | None = _mac_bytes(leaf)
        if encrypted:
            if not isinstance(leaf, str):
                raise SopsError(f"value at {':'.join(path)} should be encrypted but is not", location=where)
            try:
                value, mac_part = _decrypt_value(leaf, key, ":".join(path) + ":")
            except ValueError as exc:
                raise SopsError(f"cannot decrypt value at {':'.join(path)}: {exc}", location=where) from None
            container[index] = value
            if mac_part is None:
                comments.append((container, index))
        if (not meta.mac_only_encrypted or encrypted) and mac_part is not None:
            digest.update(mac_part)
    for container, index in reversed(comments):
        del container[index]
    return out


def _check_mac(meta: SopsMetadata, key: bytes, digest: Any, where: Location | None) -> None:
    try:
        stored, _ = _decrypt_value(meta.mac, key, _normalized_lastmodified(meta.lastmodified))
    except ValueError:
        raise SopsError(
            "sops MAC cannot be decrypted (tampered mac or lastmodified)", location=where
        ) from None
    if str(stored) != digest.hexdigest().upper():
        raise SopsError(
            "sops MAC mismatch: the document was changed after it was encrypted",
            location=where,
            hint="re-encrypt the file with sops instead of editing it by hand",
        )


def _new_digest(meta: SopsMetadata) -> Any:
    digest = hashlib.sha512()
    if meta.mac_only_encrypted:
        digest.update(_MAC_ONLY_ENCRYPTED_INIT)
    return digest


def decrypt_document(obj: YMap, identities: Sequence[str], *, verify_mac: bool = True) -> YMap:
    """Decrypt a SOPS-encrypted document with age identities; returns a new document without the ``sops``
    block (positions kept). Raises SopsError (an InputError) when no identity opens the data key, a value
    fails authentication, or (``verify_mac``) the MAC does not match. Never puts clear values in errors.

    The MAC of a multi-document file covers all its documents: use ``decrypt_documents`` for those."""
    meta = parse_metadata(obj)
    key = _data_key(meta, identities, _where(obj, "sops"))
    digest = _new_digest(meta)
    out = _decrypt_values(obj, meta, key, digest)
    if verify_mac:
        _check_mac(meta, key, digest, _where(obj))
    return out


def decrypt_documents(
    objs: Sequence[YMap], identities: Sequence[str], *, verify_mac: bool = True
) -> list[YMap]:
    """Decrypt every document of one SOPS-encrypted file, as sops does: the metadata of the first document,
    one data key and one MAC over all documents in order. Raises SopsError like ``decrypt_document``."""
    if not objs:
        return []
    meta = parse_metadata(objs[0])
    key = _data_key(meta, identities, _where(objs[0], "sops"))
    digest = _new_digest(meta)
    out = [_decrypt_values(obj, meta, key, digest) for obj in objs]
    if verify_mac:
        _check_mac(meta, key, digest, _where(objs[0]))
    return out


def mask_encrypted(obj: YMap) -> YMap:
    """A copy with every ``ENC[...]`` value replaced by ``<encrypted>`` and the ``sops`` block removed, for
    when no key is available."""
    out: YMap = deep_copy(obj)
    out.pop("sops", None)
    stack: list[Any] = [out]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, (YMap, dict)) else enumerate(node)
        for index, value in list(items):
            if isinstance(value, (YMap, YSeq, dict, list)):
                stack.append(value)
            elif isinstance(value, str) and value.startswith("ENC[AES256_GCM,"):
                node[index] = ENCRYPTED_PLACEHOLDER
    return out
