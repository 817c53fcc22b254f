"""In-process SOPS decryption of YAML documents (Secrets, ConfigMaps, ...) with age identities.

Nothing here logs or reports clear values: errors name paths and files only.
"""

from homeops.sops.age import AgeError, age_decrypt, identity_recipient, load_age_identities
from homeops.sops.document import (
    ENCRYPTED_PLACEHOLDER,
    SopsError,
    SopsMetadata,
    decrypt_document,
    is_sops_encrypted,
    mask_encrypted,
    parse_metadata,
)

__all__ = [
    "ENCRYPTED_PLACEHOLDER",
    "AgeError",
    "SopsError",
    "SopsMetadata",
    "age_decrypt",
    "decrypt_document",
    "identity_recipient",
    "is_sops_encrypted",
    "load_age_identities",
    "mask_encrypted",
    "parse_metadata",
]
