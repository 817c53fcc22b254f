"""How a generated ConfigMap or Secret joins the resource map: kustomize's ``behavior`` option.

The generated object is looked up by its id among the current *and previous* ids of the resources already
accumulated (so an overlay can name a base object by its original name, before prefixes, suffixes or a
namespace change). Then, as kustomize v5.7.1 does (``resWrangler.appendReplaceOrMerge``):

* no match: ``create`` (the default; unknown behaviors count as create) appends it; ``merge`` and
  ``replace`` are errors;
* one match: ``create`` is an error; ``replace`` and ``merge`` put the generated object in the matched
  one's place, with the matched object's name and namespace, its labels and annotations merged under the
  generated ones (generated values win, keys sorted) and its name history kept; ``merge`` also merges
  ``data`` and ``binaryData`` the same way. Every other field (``type``, ``immutable``...) comes from the
  generated object alone. The result needs a hash suffix only when both objects asked for one (observed
  with kubectl: a ``disableNameSuffixHash`` on either side wins).
* several matches: an error.
"""

from __future__ import annotations

from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.kyamlpath import go_text
from homeops.kustomize.resource import ResId, ResMap, Resource
from homeops.yaml.nodes import YMap


def describe(rid: ResId) -> str:
    """A readable id, e.g. ``ConfigMap v1 app/settings`` (namespace/name, namespace omitted when empty)."""
    gv = f"{rid.group}/{rid.version}" if rid.group else rid.version
    where = f"{rid.namespace}/{rid.name}" if rid.namespace else rid.name
    return f"{rid.kind} {gv} {where}"


def absorb(resmap: ResMap, res: Resource, where: Location) -> None:
    """Add generated ``res`` to ``resmap`` according to ``res.behavior``."""
    rid = res.cur_id()
    matches = resmap.find_by_any_id(rid)
    if not matches:
        if res.behavior in ("merge", "replace"):
            raise BuildError(
                f"id {describe(rid)} does not exist; cannot merge or replace",
                location=where,
                hint="behavior merge/replace needs an object with this kind, name and namespace in the "
                "resources or bases listed before",
            )
        try:
            resmap.append(res)
        except ValueError as exc:  # pragma: no cover - a current-id match is found above
            raise BuildError(str(exc), location=where) from None
        return
    if len(matches) > 1:
        found = ", ".join(describe(m.cur_id()) for m in matches)
        raise BuildError(
            f"found multiple objects [{found}] that could accept merge of {describe(rid)}", location=where
        )
    old = matches[0]
    if res.behavior == "replace":
        _copy_merge_metadata(res, old)
    elif res.behavior == "merge":
        _copy_merge_metadata(res, old)
        _merge_map_field(res.obj, old.obj, "data")
        _merge_map_field(res.obj, old.obj, "binaryData")
    else:
        raise BuildError(
            f"id {describe(rid)} exists; behavior must be merge or replace",
            location=where,
            hint="add behavior: merge (or replace) to change an object generated or listed elsewhere",
        )
    resmap.replace(old, res)


def _copy_merge_metadata(res: Resource, old: Resource) -> None:
    """kustomize's CopyMergeMetaDataFieldsFrom, with homeops' bookkeeping fields."""
    md = res.metadata
    for key in ("labels", "annotations"):
        merged = _string_map(old.metadata.get(key))
        merged.update(_string_map(md.get(key)))
        _set_sorted(md, key, merged)
    md["name"] = old.name
    if old.namespace:
        md["namespace"] = old.namespace
    else:
        md.pop("namespace", None)
    res.prev_ids = list(old.prev_ids)
    res.refby = list(old.refby)
    res.name_prefixes = list(old.name_prefixes)
    res.name_suffixes = list(old.name_suffixes)
    res.needs_hash = res.needs_hash and old.needs_hash
    res.origin = old.origin if old.origin is not None else res.origin


def _merge_map_field(obj: YMap, old_obj: YMap, key: str) -> None:
    merged = _string_map(old_obj.get(key))
    merged.update(_string_map(obj.get(key)))
    obj.pop(key, None)
    if merged:
        obj[key] = YMap(sorted(merged.items()))


def _set_sorted(md: YMap, key: str, values: dict[str, str]) -> None:
    if values:
        md[key] = YMap(sorted(values.items()))
    else:
        md.pop(key, None)


def _string_map(value: Any) -> dict[str, str]:
    """A mapping read as kustomize reads labels or data: every value as its scalar text (null -> "")."""
    if not isinstance(value, dict):
        return {}
    return {str(k): go_text(v) for k, v in value.items()}
