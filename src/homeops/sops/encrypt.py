"""SOPS encryption and decryption of whole YAML files, in the format sops 3.x writes (``sops.go``
``Tree.Encrypt``/``Tree.Decrypt``, ``aes/cipher.go``, ``stores/yaml``).

Every value a rule selects becomes ``ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]``: AES-256-GCM with a random
32-byte IV under the file's random 32-byte data key, the additional data being the value's key path joined
with ``:`` plus a trailing ``:`` (list items add nothing). Comments are encrypted too, with the path of their
block (type ``comment``; in a list sops writes an encrypted comment as a string item, and so does homeops).
The MAC is the upper-case hex SHA-512 of every non-comment value in tree order (with ``mac_only_encrypted``
only the encrypted ones, after a fixed prefix), encrypted with ``lastmodified`` (RFC 3339, UTC) as additional
data. The data key is age-encrypted for each recipient. Every document of a multi-document file shares the
data key and the MAC, and carries the same ``sops:`` block, as sops writes them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from homeops.sops.age import AgeError, age_decrypt, age_encrypt
from homeops.sops.document import (
    _DEFAULT_UNENCRYPTED_SUFFIX,
    _GO_BOOLS,
    _MAC_ONLY_ENCRYPTED_INIT,
    SopsError,
    _go_format_f,
    _normalized_lastmodified,
    compile_go_regex,
)
from homeops.sops.emit import emit_yaml
from homeops.sops.rules import CreationRule
from homeops.sops.tree import Branch, Comment, GoTime, parse_yaml

__all__ = [
    "SOPS_VERSION",
    "DecryptedFile",
    "Selection",
    "decrypt_text",
    "encrypt_text",
    "file_recipients",
    "is_encrypted_text",
]

SOPS_VERSION = "3.11.0"
"""The sops version written into ``sops.version`` (the format homeops writes is that of this release)."""

_ENC = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]", re.DOTALL)
_IV_SIZE = 32
_SELECTORS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
_OTHER_KEY_TYPES = ("kms", "gcp_kms", "azure_kv", "hc_vault", "pgp", "key_groups")


@dataclass(frozen=True, slots=True)
class Selection:
    """What a file encrypts: sops' suffix/regex selectors (at most one set) and ``mac_only_encrypted``."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    unencrypted_comment_regex: str = ""
    encrypted_comment_regex: str = ""
    mac_only_encrypted: bool = False

    @classmethod
    def of_rule(cls, rule: CreationRule) -> Selection:
        """The rule's selectors; ``_unencrypted`` as unencrypted suffix when it sets none (as sops does)."""
        sel = cls(
            rule.unencrypted_suffix,
            rule.encrypted_suffix,
            rule.unencrypted_regex,
            rule.encrypted_regex,
            rule.unencrypted_comment_regex,
            rule.encrypted_comment_regex,
            rule.mac_only_encrypted,
        )
        if not sel.has_selector:
            sel = cls(_DEFAULT_UNENCRYPTED_SUFFIX, mac_only_encrypted=sel.mac_only_encrypted)
        return sel

    @property
    def has_selector(self) -> bool:
        """Whether any suffix or regex is set."""
        return any(getattr(self, name) for name in _SELECTORS)

    def should_encrypt(self, path: Sequence[str], stack: Sequence[Sequence[str]], is_comment: bool) -> bool:
        """sops' shouldBeEncrypted, selector by selector in its order."""
        encrypted = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(p.endswith(self.encrypted_suffix) for p in path)
        if self.unencrypted_regex and any(compile_go_regex(self.unencrypted_regex).search(p) for p in path):
            encrypted = False
        if self.encrypted_regex:
            encrypted = any(compile_go_regex(self.encrypted_regex).search(p) for p in path)
        if self.unencrypted_comment_regex:
            regex = compile_go_regex(self.unencrypted_comment_regex)
            if any(regex.search(c) for cs in stack for c in cs):
                encrypted = False
        if self.encrypted_comment_regex:
            regex = compile_go_regex(self.encrypted_comment_regex)
            encrypted = False
            last = len(stack) - 1
            for i, cs in enumerate(stack):
                for j, c in enumerate(cs):
                    if is_comment and i == last and j == len(cs) - 1:
                        continue  # the matching comment line itself stays clear
                    if regex.search(c):
                        encrypted = True
        return encrypted


Leaf = Callable[[Any, list[str], list[list[str]]], Any]


def _walk(value: Any, path: list[str], stack: list[list[str]], leaf: Leaf) -> Any:
    """sops' walkValue/walkBranch/walkSlice: a new tree with ``leaf`` applied to every scalar and comment."""
    if isinstance(value, Branch):
        stack = [*stack, []]
        out = Branch()
        for key, item in value:
            if isinstance(key, Comment):
                stack[-1].append(key.value)
                new = leaf(key, path, stack)
                out.append((new if isinstance(new, Comment) else Comment(str(new)), None))
                continue
            out.append((key, _walk(item, [*path, key], stack, leaf)))
            stack[-1] = []
        return out
    if isinstance(value, list):
        stack = [*stack, []]
        items: list[Any] = []
        for item in value:
            if isinstance(item, Comment):
                stack[-1].append(item.value)
            items.append(_walk(item, path, stack, leaf))
            if not isinstance(item, Comment):
                stack[-1] = []
        return items
    if value is None:
        return None
    return leaf(value, path, stack)


def _to_bytes(value: Any) -> bytes:
    """sops' ToBytes (and the plaintext of each type)."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return _go_format_f(value).encode()
    if isinstance(value, GoTime):
        return value.text.encode()
    if isinstance(value, Comment):
        return value.value.encode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise SopsError(f"cannot encrypt a value of type {type(value).__name__}")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, GoTime):
        return "time"
    return "comment" if isinstance(value, Comment) else "str"


def encrypt_value(value: Any, key: bytes, aad: str) -> str:
    """aes.Cipher.Encrypt: an empty string (or comment) stays empty."""
    if value == "" or (isinstance(value, Comment) and not value.value):
        return ""
    iv = os.urandom(_IV_SIZE)
    sealed = AESGCM(key).encrypt(iv, _to_bytes(value), aad.encode("utf-8", "surrogateescape"))
    b64 = base64.b64encode
    return (
        f"ENC[AES256_GCM,data:{b64(sealed[:-16]).decode()},iv:{b64(iv).decode()},"
        f"tag:{b64(sealed[-16:]).decode()},type:{_type_name(value)}]"
    )


def decrypt_value(text: str, key: bytes, aad: str) -> Any:
    """aes.Cipher.Decrypt: the typed value (a ``Comment`` for type comment). Raises ValueError."""
    if text == "":
        return ""
    m = _ENC.match(text)
    if not m:
        raise ValueError("value is not in sops' ENC[AES256_GCM,...] format")
    try:
        data, iv, tag = (base64.b64decode(m.group(i), validate=True) for i in (1, 2, 3))
        plain = AESGCM(key).decrypt(iv, data + tag, aad.encode("utf-8", "surrogateescape"))
    except InvalidTag:
        raise ValueError("encrypted value failed authentication (tampered, moved or wrong key)") from None
    except ValueError:
        raise ValueError("encrypted value has malformed base64, iv or tag") from None
    clear = plain.decode("utf-8", "surrogateescape")
    kind = m.group(4)
    if kind in ("str", "bytes"):
        return clear
    if kind == "int" and re.fullmatch(r"[+-]?[0-9]+", clear):
        return int(clear)
    if kind == "float":
        return float(clear)
    if kind == "bool" and clear in _GO_BOOLS:
        return _GO_BOOLS[clear]
    if kind == "time":
        return GoTime(clear)
    if kind == "comment":
        return Comment(clear)
    raise ValueError(f"encrypted value of type {kind!r} cannot be read")


def _encrypt_branches(branches: list[Branch], key: bytes, sel: Selection) -> tuple[list[Branch], str]:
    digest = hashlib.sha512(_MAC_ONLY_ENCRYPTED_INIT if sel.mac_only_encrypted else b"")

    def leaf(value: Any, path: list[str], stack: list[list[str]]) -> Any:
        is_comment = isinstance(value, Comment)
        encrypted = sel.should_encrypt(path, stack, is_comment)
        if (not sel.mac_only_encrypted or encrypted) and not is_comment:
            digest.update(_to_bytes(value))
        if not encrypted:
            return value
        out = encrypt_value(value, key, ":".join(path) + ":")
        regex = sel.unencrypted_comment_regex
        if is_comment and regex and compile_go_regex(regex).search(out):
            raise SopsError("an encrypted comment matches unencrypted_comment_regex; change the regex")
        return out

    out = [_walk(b, [], [], leaf) for b in branches]
    return out, digest.hexdigest().upper()


def _metadata(sel: Selection, recipients: Sequence[str], key: bytes, mac: str, now: datetime) -> Branch:
    lastmodified = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = Branch()
    meta.append(("age", [Branch([("recipient", r), ("enc", age_encrypt(key, [r]))]) for r in recipients]))
    meta.append(("lastmodified", lastmodified))
    meta.append(("mac", encrypt_value(mac, key, lastmodified)))
    for name in _SELECTORS:
        if getattr(sel, name):
            meta.append((name, getattr(sel, name)))
    if sel.mac_only_encrypted:
        meta.append(("mac_only_encrypted", True))
    meta.append(("version", SOPS_VERSION))
    return meta


def encrypt_text(
    text: str,
    recipients: Sequence[str],
    selection: Selection,
    *,
    file: str,
    indent: int = 4,
    now: datetime | None = None,
) -> str:
    """Encrypt a plaintext YAML file for age ``recipients`` as ``sops --encrypt`` does. Raises SopsError
    (with ``file``) for what sops refuses: an empty file, a file that already has a ``sops`` key, a document
    that is not a mapping; AgeError for a malformed recipient."""
    branches = parse_yaml(text, file)
    if not branches:
        raise SopsError("file cannot be completely empty, it must contain at least one document")
    if any(k == "sops" for k, _ in branches[0]):
        raise SopsError("the file already has a top-level 'sops' key (already encrypted?)")
    if not recipients:
        raise SopsError("no age recipient to encrypt to")
    key = os.urandom(32)
    encrypted, mac = _encrypt_branches(branches, key, selection)
    meta = _metadata(selection, recipients, key, mac, now or datetime.now(UTC))
    return emit_yaml([Branch([*b, ("sops", meta)]) for b in encrypted], indent)


@dataclass(frozen=True, slots=True)
class DecryptedFile:
    """A decrypted file: its documents (without ``sops``), the recipients and selection it was made with."""

    branches: list[Branch]
    recipients: tuple[str, ...]
    selection: Selection

    def text(self, indent: int = 4) -> str:
        """The plaintext as ``sops --decrypt`` prints it."""
        return emit_yaml(self.branches, indent)


def _meta_text(meta: Branch, name: str) -> str:
    value = meta.get(name)
    if isinstance(value, (Branch, list)):
        raise SopsError(f"sops metadata field {name!r} must be a scalar")
    return "" if value is None else value.text if isinstance(value, GoTime) else str(value)


def _read_metadata(branches: list[Branch]) -> tuple[Branch, Selection, list[tuple[str, str]]]:
    meta = branches[0].get("sops") if branches else None
    if not isinstance(meta, Branch) or meta.get("mac") is None:
        raise SopsError("sops metadata not found (the file is not encrypted)")
    others = [k for k in _OTHER_KEY_TYPES if meta.get(k)]
    stanzas: list[tuple[str, str]] = []
    for entry in meta.get("age") or []:
        if isinstance(entry, Branch) and isinstance(entry.get("enc"), str):
            stanzas.append((str(entry.get("recipient") or ""), entry.get("enc")))
    if not stanzas:
        raise SopsError(f"no age recipients in sops metadata (key types: {', '.join(others) or 'none'})")
    mac_only = meta.get("mac_only_encrypted")
    texts = {name: _meta_text(meta, name) for name in _SELECTORS}
    sel = Selection(
        texts["unencrypted_suffix"],
        texts["encrypted_suffix"],
        texts["unencrypted_regex"],
        texts["encrypted_regex"],
        texts["unencrypted_comment_regex"],
        texts["encrypted_comment_regex"],
        mac_only_encrypted=mac_only is True or str(mac_only).lower() == "true",
    )
    if not sel.has_selector:
        sel = Selection(_DEFAULT_UNENCRYPTED_SUFFIX, mac_only_encrypted=sel.mac_only_encrypted)
    return meta, sel, stanzas


def file_recipients(text: str, file: str) -> tuple[str, ...]:
    """The age recipients in an encrypted file's metadata (no key needed)."""
    _, _, stanzas = _read_metadata(parse_yaml(text, file))
    return tuple(r for r, _ in stanzas)


def is_encrypted_text(text: str) -> bool:
    """A quick test: the text has a top-level ``sops:`` block with a MAC."""
    return "\nsops:" in f"\n{text}" and "ENC[AES256_GCM," in text


def decrypt_text(
    text: str, identities: Sequence[str], *, file: str, verify_mac: bool = True
) -> DecryptedFile:
    """Decrypt a sops-encrypted YAML file (every document) with age identities, checking the MAC as
    ``sops --decrypt`` does. Raises SopsError with ``file`` when no identity opens the data key, a value
    fails authentication or the MAC does not match; never puts clear values in errors."""
    branches = parse_yaml(text, file)
    meta, sel, stanzas = _read_metadata(branches)
    key = b""
    for _, enc in stanzas:
        try:
            key = age_decrypt(enc.encode("utf-8"), identities)
        except AgeError:
            continue
        if len(key) == 32:
            break
    if len(key) != 32:
        raise SopsError(
            f"no age identity matches the file's recipients ({', '.join(r for r, _ in stanzas)})",
            hint="set SOPS_AGE_KEY_FILE or pass --age-key",
        )
    digest = hashlib.sha512(_MAC_ONLY_ENCRYPTED_INIT if sel.mac_only_encrypted else b"")

    def leaf(value: Any, path: list[str], stack: list[list[str]]) -> Any:
        is_comment = isinstance(value, Comment)
        encrypted = sel.should_encrypt(path, stack, is_comment)
        out = value
        if encrypted:
            aad = ":".join(path) + ":"
            if is_comment:
                try:
                    out = decrypt_value(value.value, key, aad)
                except ValueError:
                    out = value  # a comment that was never encrypted (older sops), as sops assumes
            elif not isinstance(value, str):
                raise SopsError(f"value at {':'.join(path)} should be encrypted but is not")
            else:
                try:
                    out = decrypt_value(value, key, aad)
                except ValueError as exc:
                    raise SopsError(f"cannot decrypt value at {':'.join(path)}: {exc}") from None
        if (not sel.mac_only_encrypted or encrypted) and not isinstance(out, Comment):
            digest.update(_to_bytes(out))
        return out

    plain = [_walk(Branch((k, v) for k, v in b if k != "sops"), [], [], leaf) for b in branches]
    if verify_mac:
        lastmodified = _normalized_lastmodified(_meta_text(meta, "lastmodified"))
        try:
            stored = decrypt_value(_meta_text(meta, "mac"), key, lastmodified)
        except ValueError:
            raise SopsError("sops MAC cannot be decrypted (tampered mac or lastmodified)") from None
        if str(stored) != digest.hexdigest().upper():
            raise SopsError(
                "sops MAC mismatch: the file was changed after it was encrypted",
                hint="re-encrypt the file with sops instead of editing it by hand",
            )
    return DecryptedFile(plain, tuple(r for r, _ in stanzas), sel)
