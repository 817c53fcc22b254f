"""In-process SOPS decryption and encryption of YAML (Secrets, ConfigMaps...) with age, as sops 3.x.

``document`` decrypts loaded documents; ``encrypt`` encrypts and decrypts whole files (comments included);
``rules`` reads ``.sops.yaml`` creation rules; ``files`` serves ``homeops sops`` and ``configure``.

Nothing here logs or reports clear values: errors name paths and files only.
"""

from homeops.sops.age import (
    AgeError,
    age_decrypt,
    age_encrypt,
    generate_identity,
    identity_recipient,
    load_age_identities,
)
from homeops.sops.document import (
    ENCRYPTED_PLACEHOLDER,
    SopsError,
    SopsMetadata,
    decrypt_document,
    decrypt_documents,
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
    "age_encrypt",
    "decrypt_document",
    "decrypt_documents",
    "generate_identity",
    "identity_recipient",
    "is_sops_encrypted",
    "load_age_identities",
    "mask_encrypted",
    "parse_metadata",
]
