"""The age key pair of a new repository: ``age.key`` (private, git-ignored) and its ``age1...`` recipient."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

# The bech32 encoder is private to homeops.sops.age; the lead may expose a public generate_identity().
from homeops.sops.age import AgeError, _bech32_encode, identity_recipient, load_age_identities

AGE_KEY_FILE = "age.key"


def generate_identity() -> str:
    """A new random age X25519 identity (``AGE-SECRET-KEY-1...``)."""
    secret = X25519PrivateKey.generate().private_bytes_raw()
    return _bech32_encode("age-secret-key-", secret).upper()


def key_file_text(identity: str) -> str:
    """The contents of an identity file as ``age-keygen`` writes it."""
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    return f"# created: {created}\n# public key: {identity_recipient(identity)}\n{identity}\n"


def recipient_of_key_file(path: Path) -> str:
    """The recipient of the first identity of an existing identity file (AgeError when it has none)."""
    identities = load_age_identities(key_file=path, env={}, use_default_file=False)
    if not identities:
        raise AgeError("no age identity in the key file", hint="create one with age-keygen")
    return identity_recipient(identities[0])
