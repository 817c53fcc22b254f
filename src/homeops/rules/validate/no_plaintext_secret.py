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

import re
import sys
from collections.abc import Iterator

from homeops.errors import HomeopsError
from homeops.findings import Finding, Severity, object_ref
from homeops.rules.base import finding
from homeops.rules.validate._common import as_map, as_seq
from homeops.sops.document import is_sops_encrypted
from homeops.validate.context import ValidateContext
from homeops.yaml.loader import load_file

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


def _sops_paths(ctx: ValidateContext) -> list[re.Pattern[str]]:
    """The ``path_regex`` of each ``.sops.yaml`` creation rule (files SOPS is set up to encrypt)."""
    try:
        docs = load_file(ctx.root / ".sops.yaml", ".sops.yaml")
    except (HomeopsError, OSError):
        return []
    out: list[re.Pattern[str]] = []
    for rule in as_seq(as_map(docs[0] if docs else None).get("creation_rules")):
        regex = as_map(rule).get("path_regex")
        if isinstance(regex, str):
            try:
                out.append(re.compile(regex))
            except re.error:
                continue
    return out


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Every committed v1 Secret with a literal value and no SOPS metadata."""
    sops_paths = _sops_paths(ctx) if (ctx.root / ".sops.yaml").is_file() else []
    for entry in ctx.entries("Secret"):
        if entry.api_version != "v1" or is_sops_encrypted(entry.obj):
            continue
        keys = _literal_keys(entry.obj)
        if not keys:
            continue
        shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
        pending = any(r.search(entry.rel) for r in sops_paths)
        hint = (
            f"run `sops --encrypt --in-place {entry.rel}` (task sops:encrypt) before committing"
            if pending
            else "encrypt it with `sops --encrypt --in-place`, or produce it with an ExternalSecret"
        )
        yield finding(
            sys.modules[__name__],
            f"Secret {entry.name or '?'} is in plaintext ({shown})"
            + (": .sops.yaml would encrypt this file, but it is not encrypted yet" if pending else ""),
            file=entry.rel,
            line=entry.line,
            column=1,
            obj=object_ref("Secret", entry.namespace or "", entry.name or ""),
            field=keys[0],
            hint=hint,
        )
