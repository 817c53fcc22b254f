"""Just enough of age (https://age-encryption.org/v1) to open SOPS data keys with X25519 identities.

Implements: Bech32 identities (``AGE-SECRET-KEY-1...``) and recipients (``age1...``), the ASCII armor, the
header with its X25519 stanzas and HMAC, and the ChaCha20-Poly1305 STREAM payload, both ways (encryption
writes what ``age -a -r`` writes; every primitive comes from ``cryptography``). Plugin, scrypt and SSH
recipients are not supported (a file with only those simply finds no matching identity). Identities are
loaded from the same places sops looks: an explicit file, ``SOPS_AGE_KEY``, ``SOPS_AGE_KEY_FILE`` and the
user's ``sops/age/keys.txt``. Secret material never appears in error messages.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Mapping, Sequence
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

from homeops.errors import InputError, Location

if TYPE_CHECKING:  # cryptography is imported by the functions that use it: a run with no SOPS file skips it
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

__all__ = [
    "AgeError",
    "age_decrypt",
    "age_encrypt",
    "generate_identity",
    "identity_recipient",
    "load_age_identities",
    "parse_identity",
    "parse_recipient",
]

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_IDENTITY_HRP = "age-secret-key-"
_RECIPIENT_HRP = "age"
_INTRO = b"age-encryption.org/v1\n"
_ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
_ARMOR_END = "-----END AGE ENCRYPTED FILE-----"
_CHUNK = 64 * 1024
_TAG = 16


class AgeError(InputError):
    """An age identity or an age-encrypted blob is malformed, or no identity opens it."""


# --- Bech32 (BIP 173, without the 90-character limit, as age uses it) -------------------------------------


def _polymod(values: Sequence[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _bech32_decode(text: str) -> tuple[str, bytes]:
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    sep = text.rfind("1")
    if sep < 1 or sep + 7 > len(text):
        raise ValueError("bad separator")
    hrp = text[:sep]
    try:
        data = [_CHARSET.index(c) for c in text[sep + 1 :]]
    except ValueError:
        raise ValueError("bad character") from None
    if _polymod(_hrp_expand(hrp) + data) != 1:
        raise ValueError("bad checksum")
    acc = bits = 0
    out = bytearray()
    for v in data[:-6]:
        acc = (acc << 5) | v
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc & ((1 << bits) - 1)):
        raise ValueError("bad padding")
    return hrp, bytes(out)


def _bech32_encode(hrp: str, payload: bytes) -> str:
    acc = bits = 0
    data: list[int] = []
    for b in payload:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    mod = _polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data + checksum)


def parse_identity(text: str) -> X25519PrivateKey:
    """Parse an ``AGE-SECRET-KEY-1...`` identity. Raises AgeError (without echoing the key)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    try:
        hrp, key = _bech32_decode(text.strip())
    except ValueError as exc:
        raise AgeError(f"malformed age identity ({exc})") from None
    if hrp != _IDENTITY_HRP or len(key) != 32:
        raise AgeError("not an age X25519 identity (expected AGE-SECRET-KEY-1...)")
    return X25519PrivateKey.from_private_bytes(key)


def parse_recipient(text: str) -> X25519PublicKey:
    """Parse an ``age1...`` X25519 recipient. Raises AgeError naming the recipient (it is public)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    try:
        hrp, key = _bech32_decode(text.strip())
    except ValueError as exc:
        raise AgeError(f"malformed age recipient {text.strip()!r} ({exc})") from None
    if hrp != _RECIPIENT_HRP or len(key) != 32:
        raise AgeError(f"not an age X25519 recipient: {text.strip()!r} (expected age1...)")
    return X25519PublicKey.from_public_bytes(key)


def generate_identity() -> str:
    """A new random age X25519 identity (``AGE-SECRET-KEY-1...``), as ``age-keygen`` makes one."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    secret = X25519PrivateKey.generate().private_bytes_raw()
    return _bech32_encode(_IDENTITY_HRP, secret).upper()


def identity_recipient(identity: str) -> str:
    """The ``age1...`` recipient (public key) of an identity."""
    public = parse_identity(identity).public_key().public_bytes_raw()
    return _bech32_encode(_RECIPIENT_HRP, public)


# --- Identity files -----------------------------------------------------------------------------------------


def _parse_identities(text: str, display: str) -> list[str]:
    out: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parse_identity(line)
        except AgeError as exc:
            raise AgeError(exc.message, location=Location(display, number)) from None
        out.append(line)
    return out


def _read_identity_file(path: Path, display: str) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AgeError(
            f"cannot read age key file: {exc.strerror or exc}", location=Location(display)
        ) from None
    except UnicodeDecodeError:
        raise AgeError("age key file is not UTF-8 text", location=Location(display)) from None
    return _parse_identities(text, display)


def _default_key_file(env: Mapping[str, str]) -> Path | None:
    config = env.get("XDG_CONFIG_HOME") or (str(Path(env["HOME"]) / ".config") if env.get("HOME") else "")
    return Path(config) / "sops" / "age" / "keys.txt" if config else None


def load_age_identities(
    *, key_file: Path | None = None, env: Mapping[str, str] | None = None, use_default_file: bool = True
) -> list[str]:
    """Collect age identities the way sops does, without duplicates, in this order: ``key_file`` (e.g. a
    ``--age-key`` option), ``SOPS_AGE_KEY`` (one or more keys, newline separated), ``SOPS_AGE_KEY_FILE``,
    then ``$XDG_CONFIG_HOME/sops/age/keys.txt`` (or ``~/.config/...``) when it exists. Comment lines
    (``#``) and blank lines are skipped; anything else that is not an identity raises AgeError with the
    file and line. ``env`` defaults to the process environment."""
    environ: Mapping[str, str] = os.environ if env is None else env
    found: list[str] = []
    if key_file is not None:
        found += _read_identity_file(key_file, str(key_file))
    if environ.get("SOPS_AGE_KEY"):
        found += _parse_identities(environ["SOPS_AGE_KEY"], "$SOPS_AGE_KEY")
    if environ.get("SOPS_AGE_KEY_FILE"):
        found += _read_identity_file(Path(environ["SOPS_AGE_KEY_FILE"]), environ["SOPS_AGE_KEY_FILE"])
    default = _default_key_file(environ) if use_default_file else None
    if default is not None and default.is_file():
        found += _read_identity_file(default, str(default))
    return list(dict.fromkeys(found))


# --- Decryption ---------------------------------------------------------------------------------------------


def _b64_raw(text: bytes) -> bytes:
    if b"=" in text:
        raise ValueError("padded base64")
    return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)


def _hkdf(ikm: bytes, salt: bytes | None, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _dearmor(data: bytes) -> bytes:
    text = data.decode("ascii", "replace").strip()
    if not text.startswith(_ARMOR_BEGIN):
        return data
    if not text.endswith(_ARMOR_END):
        raise AgeError("age armor is not terminated")
    body = "".join(text[len(_ARMOR_BEGIN) : -len(_ARMOR_END)].split())
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise AgeError("age armor is not valid base64") from None


def _parse_header(data: bytes) -> tuple[list[tuple[list[bytes], bytes]], bytes, bytes, bytes]:
    """Returns the stanzas (arguments, body), the header text covered by the MAC, the MAC, the payload."""
    if not data.startswith(_INTRO):
        raise AgeError("not an age v1 file")
    pos = len(_INTRO)
    stanzas: list[tuple[list[bytes], bytes]] = []

    def next_line() -> bytes:
        nonlocal pos
        end = data.find(b"\n", pos)
        if end < 0:
            raise AgeError("truncated age header")
        line = data[pos:end]
        pos = end + 1
        return line

    while True:
        line_start = pos
        line = next_line()
        if line.startswith(b"---"):
            covered = data[: line_start + 3]
            if not line.startswith(b"--- "):
                raise AgeError("malformed age header MAC line")
            try:
                mac = _b64_raw(line[4:])
            except (binascii.Error, ValueError):
                raise AgeError("malformed age header MAC") from None
            return stanzas, covered, mac, data[pos:]
        if not line.startswith(b"-> "):
            raise AgeError("malformed age header")
        args = line[3:].split(b" ")
        body = b""
        while True:
            chunk = next_line()
            body += chunk
            if len(chunk) < 64:
                break
        try:
            stanzas.append((args, _b64_raw(body)))
        except (binascii.Error, ValueError):
            raise AgeError("malformed age stanza body") from None


def _unwrap_file_key(
    stanzas: list[tuple[list[bytes], bytes]], identities: Sequence[X25519PrivateKey]
) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    for args, body in stanzas:
        if len(args) != 2 or args[0] != b"X25519" or len(body) != 32:
            continue
        try:
            share = _b64_raw(args[1])
            peer = X25519PublicKey.from_public_bytes(share)
        except (binascii.Error, ValueError):
            continue
        for identity in identities:
            try:
                shared = identity.exchange(peer)
            except ValueError:
                continue
            salt = share + identity.public_key().public_bytes_raw()
            wrap_key = _hkdf(shared, salt, b"age-encryption.org/v1/X25519")
            try:
                return ChaCha20Poly1305(wrap_key).decrypt(b"\0" * 12, body, None)
            except InvalidTag:
                continue
    raise AgeError("no age identity matches any recipient of this file")


def _decrypt_payload(file_key: bytes, payload: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    if len(payload) < 16:
        raise AgeError("truncated age payload")
    key = ChaCha20Poly1305(_hkdf(file_key, payload[:16], b"payload"))
    body = payload[16:]
    out = bytearray()
    counter = 0
    size = _CHUNK + _TAG
    offset = 0
    while True:
        chunk = body[offset : offset + size]
        offset += len(chunk)
        last = offset >= len(body)
        if len(chunk) < _TAG or (last and len(chunk) == _TAG and counter > 0):
            raise AgeError("truncated or malformed age payload")
        nonce = counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            out += key.decrypt(nonce, chunk, None)
        except InvalidTag:
            raise AgeError("age payload failed authentication") from None
        if last:
            return bytes(out)
        counter += 1


def age_decrypt(data: bytes, identities: Sequence[str]) -> bytes:
    """Decrypt an age file (binary or ASCII-armored) with the first identity that opens it."""
    keys = [parse_identity(i) for i in identities]
    stanzas, covered, mac, payload = _parse_header(_dearmor(data))
    file_key = _unwrap_file_key(stanzas, keys)
    expected = hmac.new(_hkdf(file_key, None, b"header"), covered, sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise AgeError("age header failed authentication")
    return _decrypt_payload(file_key, payload)


# --- Encryption ---------------------------------------------------------------------------------------------


def _b64_raw_encode(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _wrapped(text: bytes) -> bytes:
    """A stanza body as age writes it: lines of 64 columns, the last one always shorter (maybe empty)."""
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append(b"")
    return b"\n".join(lines) + b"\n"


def _x25519_stanza(file_key: bytes, recipient: X25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(recipient)
    salt = share + recipient.public_bytes_raw()
    wrap_key = _hkdf(shared, salt, b"age-encryption.org/v1/X25519")
    body = ChaCha20Poly1305(wrap_key).encrypt(b"\0" * 12, file_key, None)
    return b"-> X25519 " + _b64_raw_encode(share) + b"\n" + _wrapped(_b64_raw_encode(body))


def _encrypt_payload(file_key: bytes, plaintext: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    nonce = os.urandom(16)
    key = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    chunks = [plaintext[i : i + _CHUNK] for i in range(0, len(plaintext), _CHUNK)] or [b""]
    out = bytearray(nonce)
    for counter, chunk in enumerate(chunks):
        last = counter == len(chunks) - 1
        out += key.encrypt(counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00"), chunk, None)
    return bytes(out)


def _armor(data: bytes) -> str:
    body = base64.b64encode(data).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([_ARMOR_BEGIN, *lines, _ARMOR_END]) + "\n"


def age_encrypt(data: bytes, recipients: Sequence[str]) -> str:
    """Encrypt ``data`` to X25519 ``recipients`` (``age1...``) as an ASCII-armored age v1 file, the way
    ``age -a -r`` (and sops) write it. Raises AgeError for a malformed recipient or none at all."""
    keys = [parse_recipient(r) for r in recipients]
    if not keys:
        raise AgeError("no age recipient to encrypt to")
    file_key = os.urandom(16)
    header = _INTRO + b"".join(_x25519_stanza(file_key, k) for k in keys) + b"---"
    mac = hmac.new(_hkdf(file_key, None, b"header"), header, sha256).digest()
    return _armor(header + b" " + _b64_raw_encode(mac) + b"\n" + _encrypt_payload(file_key, data))
