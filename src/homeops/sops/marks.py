"""What tells a SOPS-encrypted document, without the decryption machinery (the tree walk asks this of every
document; ``homeops.sops.document`` decrypts)."""

from __future__ import annotations

from typing import Any

ENCRYPTED_PLACEHOLDER = "<encrypted>"
"""What stands for a value that stays encrypted (no key)."""


def is_sops_encrypted(obj: Any) -> bool:
    """Whether a document carries SOPS metadata (a top-level ``sops`` mapping with a ``mac``)."""
    return isinstance(obj, dict) and isinstance(obj.get("sops"), dict) and "mac" in obj["sops"]
