"""kustomize's content hash and the ``-<hash>`` name suffix of generated ConfigMaps and Secrets.

The hash is the SHA-256 of a JSON encoding (Go ``encoding/json``: sorted keys, HTML-safe escaping) of a few
fields, shortened to 10 hex characters in which ``0 1 3 a e`` are replaced by ``g h k m t`` (so the suffix
never looks like a number or a word). kustomize v5.7.1 looks the name up under the path ``metadata/name``
as a single key, which never exists, so the name always enters the hash as ``""``: two generated objects of
the same kind and content get the same suffix whatever their names (checked against ``kubectl kustomize``).

* ConfigMap: ``{"data": D, "kind": "ConfigMap", "name": ""}`` plus ``"binaryData"`` when it is a mapping.
* Secret: ``{"data": D, "kind": "Secret", "name": "", "type": T}`` plus ``"stringData"`` when a mapping.

A missing field (or a null one) counts as ``""``; a mapping is re-encoded through Go's generic JSON values
(numbers become float64). Other kinds can only reach the hasher through generator plugins, which homeops
does not run; they are hashed from the JSON of the whole object (kustomize hashes its internal node
structure there, which cannot be reproduced).
"""

from __future__ import annotations

import hashlib
from typing import Any

from homeops.kustomize.gojson import go_json as go_json
from homeops.kustomize.gojson import go_json_float as go_json_float
from homeops.kustomize.gojson import go_json_string as go_json_string
from homeops.kustomize.kyamlpath import go_text
from homeops.kustomize.resource import ResMap, Resource

_HASH_MAP = str.maketrans("013ae", "ghkmt")


def encode_hash(hex_digest: str) -> str:
    """kustomize's 10-character suffix from a hex digest."""
    if len(hex_digest) < 10:
        raise ValueError("input length must be at least 10")
    return hex_digest[:10].translate(_HASH_MAP)


def content_hash(res: Resource) -> str:
    """The name suffix kustomize computes for ``res`` (without the leading dash)."""
    obj = res.obj
    kind = obj.get("kind")
    if kind == "ConfigMap":
        enc: dict[str, Any] = {"kind": "ConfigMap", "name": "", "data": _field_value(obj.get("data"))}
        if isinstance(obj.get("binaryData"), dict):
            enc["binaryData"] = obj["binaryData"]
    elif kind == "Secret":
        enc = {
            "kind": "Secret",
            "type": _field_value(obj.get("type")),
            "name": "",
            "data": _field_value(obj.get("data")),
        }
        if isinstance(obj.get("stringData"), dict):
            enc["stringData"] = obj["stringData"]
    else:
        enc = obj
    data = go_json(enc).encode("utf-8")
    return encode_hash(hashlib.sha256(data).hexdigest())


def add_hash_suffixes(resmap: ResMap) -> None:
    """Append ``-<content hash>`` to the name of every resource that asked for it.

    kustomize does this exactly once per build, at the top level, after every generator, transformer and
    patch of every level has run (``KustTarget.makeCustomizedResMap`` calls ``addHashesToNames`` after
    ``AccumulateTarget`` and just before ``FixBackReferences``). The renames go through
    ``Resource.set_name`` so the previous ids are kept and name references can be fixed afterwards.
    """
    for res in resmap:
        if res.needs_hash:
            res.set_name(f"{res.name}-{content_hash(res)}")


def _field_value(value: Any) -> Any:
    """How kustomize's hasher reads one field: a scalar's text, ``""`` when missing."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return value
    return go_text(value)
