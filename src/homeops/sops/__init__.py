"""In-process SOPS decryption and encryption of YAML (Secrets, ConfigMaps...) with age, as sops 3.x.

``document`` decrypts loaded documents; ``encrypt`` encrypts and decrypts whole files (comments included);
``rules`` reads ``.sops.yaml`` creation rules; ``files`` serves ``homeops sops`` and ``configure``.

Nothing here logs or reports clear values: errors name paths and files only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeops.lazy import reexports

if TYPE_CHECKING:
    from homeops.sops.age import (
        AgeError,
        age_decrypt,
        age_encrypt,
        generate_identity,
        identity_recipient,
        load_age_identities,
    )
    from homeops.sops.document import (
        SopsError,
        SopsMetadata,
        decrypt_document,
        decrypt_documents,
        mask_encrypted,
        parse_metadata,
    )
    from homeops.sops.marks import ENCRYPTED_PLACEHOLDER, is_sops_encrypted

_FROM = {
    **dict.fromkeys(
        (
            "AgeError",
            "age_decrypt",
            "age_encrypt",
            "generate_identity",
            "identity_recipient",
            "load_age_identities",
        ),
        "homeops.sops.age",
    ),
    **dict.fromkeys(
        (
            "SopsError",
            "SopsMetadata",
            "decrypt_document",
            "decrypt_documents",
            "mask_encrypted",
            "parse_metadata",
        ),
        "homeops.sops.document",
    ),
    **dict.fromkeys(("ENCRYPTED_PLACEHOLDER", "is_sops_encrypted"), "homeops.sops.marks"),
}

if not TYPE_CHECKING:  # for mypy, only the names imported above exist
    __getattr__ = reexports(__name__, _FROM)  # the tree walk needs only marks; decryption loads the rest


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
