"""A Secret committed to Git is SOPS-encrypted.

Why:
    A ``kind: Secret`` with literal ``data``/``stringData`` puts its values in the Git history for anyone who
    can read the repository. Encrypt it with SOPS (Flux decrypts it when it applies it), or let an
    ExternalSecret or a ``secretGenerator`` over an encrypted file produce it. Values that are Flux
    variables (``${DB_PASSWORD}``, filled from an encrypted source at apply time) or references to a
    secret manager (``op://vault/item/field``, ``ref+...``) are not plaintext.

Bad:
    apiVersion: v1
    kind: Secret
    metadata:
      name: db
    stringData:
      password: hunter2

Good:
    apiVersion: v1
    kind: Secret
    metadata:
      name: db
    stringData:
      password: ENC[AES256_GCM,data:...,type:str]
    sops:
      mac: ENC[AES256_GCM,data:...,type:str]
      # ...
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity, object_ref
from homeops.rules.base import finding
from homeops.sops.document import is_sops_encrypted
from homeops.validate.context import ValidateContext

CODE = "HO108"
NAME = "no-plaintext-secret"
SEVERITY = Severity.ERROR
KIND = "validate"


# Values that name a secret kept elsewhere, resolved by a tool before the Secret is applied:
# 1Password (``op inject``), vals, argocd-vault-plugin.
_REFERENCES = ("op://", "ref+", "<path:")


def _literal_keys(obj: dict[str, object]) -> list[str]:
    keys: list[str] = []
    for field in ("data", "stringData"):
        values = obj.get(field)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            text = "" if value is None else str(value)
            if text.strip() and "${" not in text and not text.startswith(_REFERENCES):
                keys.append(f"{field}.{key}")
    return keys


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Every committed v1 Secret with a literal value and no SOPS metadata."""
    for entry in ctx.entries("Secret"):
        if entry.api_version != "v1" or is_sops_encrypted(entry.obj):
            continue
        keys = _literal_keys(entry.obj)
        if not keys:
            continue
        shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
        yield finding(
            sys.modules[__name__],
            f"Secret {entry.name or '?'} is committed in plaintext ({shown})",
            file=entry.rel,
            line=entry.line,
            column=1,
            obj=object_ref("Secret", entry.namespace or "", entry.name or ""),
            field=keys[0],
            hint="encrypt it with `sops --encrypt --in-place`, or produce it with an ExternalSecret",
        )
