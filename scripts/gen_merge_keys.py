"""Generate src/homeops/kustomize/data/merge_keys.json from the Kubernetes OpenAPI definitions.

kustomize v5.7.1 embeds the Kubernetes v1.21.2 OpenAPI schema and reads the strategic-merge extensions
(``x-kubernetes-patch-strategy``, ``x-kubernetes-patch-merge-key``, ``x-kubernetes-list-map-keys``) from it.
The same definitions ship in the ``kubernetes-validate`` package (1.21.0 carries the v1.21.0 schema; the API
does not change between patch releases), as ``kubernetes-json-schema/v1.21.0-local/_definitions.json``.

Usage::

    python scripts/gen_merge_keys.py PATH/TO/_definitions.json   # or a kubernetes-validate sdist/wheel dir

The output keeps only what a strategic merge needs: for every definition reachable from a kind, the
properties that refer to other definitions (objects, maps of objects) and the arrays whose patch strategy
contains ``merge``, with their merge keys.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src/homeops/kustomize/data/merge_keys.json"
SCHEMA_VERSION = "v1.21.0"
SOURCE = "kubernetes-validate 1.21.0 (kubernetes-json-schema/v1.21.0-local/_definitions.json)"
_REF = "#/definitions/"


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF):
        return ref[len(_REF) :]
    return None


def _spec(schema: dict[str, Any]) -> Any:
    """Compact spec for one property, or None when it cannot influence a merge."""
    ref = _ref(schema)
    if ref is not None:
        return ref
    if schema.get("type") == "array":
        strategy = schema.get("x-kubernetes-patch-strategy")
        if not isinstance(strategy, str) or "merge" not in strategy.split(","):
            return None
        keys = schema.get("x-kubernetes-list-map-keys")
        if not isinstance(keys, list):
            mk = schema.get("x-kubernetes-patch-merge-key")
            keys = [mk] if isinstance(mk, str) else []
        items = schema.get("items")
        item = _ref(items) if isinstance(items, dict) else None
        return {"items": item, "strategy": strategy, "keys": keys}
    add = schema.get("additionalProperties")
    if isinstance(add, dict):
        value = _spec(add)
        if value is not None:
            return {"values": value}
    return None


def _refs_of(spec: Any) -> list[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        if "values" in spec:
            return _refs_of(spec["values"])
        if spec.get("items"):
            return [spec["items"]]
    return []


def build(definitions: dict[str, Any]) -> dict[str, Any]:
    """The compact table: kinds -> root definition, and the pruned definitions reachable from them."""
    kinds: dict[str, str] = {}
    for name, d in definitions.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            api_version = f"{group}/{version}" if group else version
            kinds[f"{api_version}|{kind}"] = name
    defs: dict[str, Any] = {}
    todo = sorted(set(kinds.values()))
    while todo:
        name = todo.pop()
        if name in defs or name not in definitions:
            continue
        d = definitions[name]
        entry: dict[str, Any] = {}
        props: dict[str, Any] = {}
        for field, schema in sorted(d.get("properties", {}).items()):
            spec = _spec(schema)
            if spec is not None:
                props[field] = spec
                todo.extend(_refs_of(spec))
        if props:
            entry["properties"] = props
        add = d.get("additionalProperties")
        if isinstance(add, dict):
            spec = _spec(add)
            if spec is not None:
                entry["values"] = spec
                todo.extend(_refs_of(spec))
        defs[name] = entry
    return {
        "source": SOURCE,
        "schemaVersion": SCHEMA_VERSION,
        "kinds": dict(sorted(kinds.items())),
        "definitions": dict(sorted(defs.items())),
    }


def _find(arg: str) -> Path:
    p = Path(arg)
    if p.is_dir():
        hits = sorted(p.rglob(f"{SCHEMA_VERSION}-local/_definitions.json"))
        if not hits:
            raise SystemExit(f"no {SCHEMA_VERSION}-local/_definitions.json under {p}")
        return hits[0]
    return p


def main(argv: list[str]) -> int:
    """Entry point: read the definitions file given on the command line and write the table."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = _find(argv[1])
    definitions = json.loads(src.read_text())["definitions"]
    table = build(definitions)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(table, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"wrote {OUT} ({len(table['kinds'])} kinds, {len(table['definitions'])} definitions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
