"""The kustomization fields ``patches``, ``patchesStrategicMerge`` and ``patchesJson6902``.

A ``patches`` entry holds a patch inline (``patch:``) or in a file (``path:``). It is a JSON 6902 patch
when it parses as a list of operations, otherwise a strategic merge patch (one or more YAML documents). With a
``target`` the patch applies to every selected resource (a target that selects nothing is not an error);
a strategic merge patch without one applies to the resource with its own apiVersion, kind, name and
namespace, which must exist. A merge never renames the resource, changes its kind or its namespace unless
``options`` allows it (``allowNameChange``, ``allowKindChange``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from homeops.errors import BuildError, HomeopsError, Location
from homeops.kustomize.context import KContext
from homeops.kustomize.jsonpatch import apply_json6902
from homeops.kustomize.kyamlpath import go_text
from homeops.kustomize.resource import ResId, ResMap, Resource, id_string, split_api_version
from homeops.kustomize.selectors import LabelSelector, SelectorError, parse_label_selector
from homeops.kustomize.smp import strategic_merge
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, deep_copy, from_plain


@dataclass
class _Patch:
    """One loaded patch: JSON 6902 operations, or strategic merge documents."""

    text: str
    ops: list[Any] | None
    smps: list[YMap]


@dataclass
class Selector:
    """A patch ``target``: group/version/kind/name/namespace regexes (anchored) and label selectors.

    As kustomize, the label and annotation selectors are parsed when a resource passing the id tests is
    matched against them (a bad selector is only an error then), the label selector first.
    """

    patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)
    label_selector: str = ""
    annotation_selector: str = ""
    where: Location = field(default_factory=lambda: Location(""))
    _parsed: dict[str, LabelSelector] = field(default_factory=dict, init=False, repr=False)

    def _ok(self, name: str, *candidates: str) -> bool:
        pat = self.patterns.get(name)
        return pat is None or any(pat.match(c) for c in candidates)

    def _selector(self, text: str) -> LabelSelector:
        parsed = self._parsed.get(text)
        if parsed is None:
            try:
                parsed = self._parsed[text] = parse_label_selector(text)
            except SelectorError as exc:
                raise BuildError(str(exc), location=self.where) from None
        return parsed

    def matches(self, res: Resource) -> bool:
        """Whether ``res`` is selected (name and namespace match its original or current id)."""
        cur, org = res.cur_id(), res.orig_id()
        if not self._ok("namespace", org.effective_namespace, cur.effective_namespace):
            return False
        if not self._ok("name", org.name, cur.name):
            return False
        if not (
            self._ok("group", cur.group) and self._ok("version", cur.version) and self._ok("kind", cur.kind)
        ):
            return False
        return self._selector(self.label_selector).matches(res.labels()) and self._selector(
            self.annotation_selector
        ).matches(res.annotations())

    def select(self, resmap: ResMap) -> list[Resource]:
        """The selected resources, in build order."""
        return [r for r in resmap if self.matches(r)]


def parse_selector(raw: Any, where: Location) -> Selector:
    """Parse a ``target:`` map into a Selector."""
    if not isinstance(raw, dict):
        raise BuildError(
            "'target' must be a map (group, version, kind, name, namespace, ...)", location=where
        )
    sel = Selector(where=where)
    for key in ("group", "version", "kind", "name", "namespace"):
        v = raw.get(key)
        if v is None or v == "":
            continue
        try:
            sel.patterns[key] = re.compile(f"^(?:{v})$")
        except re.error as exc:
            raise BuildError(
                f"target {key} {v!r} is not a valid regular expression: {exc}", location=where
            ) from None
    for key in ("labelSelector", "annotationSelector"):
        v = raw.get(key)
        if isinstance(v, (dict, list)):
            raise BuildError(f"target {key} must be a string", location=where)
    sel.label_selector = go_text(raw.get("labelSelector"))
    sel.annotation_selector = go_text(raw.get("annotationSelector"))
    return sel


def _load_text(entry: YMap, ctx: KContext, where: Location) -> str:
    patch, path = entry.get("patch"), entry.get("path")
    text = patch.strip() if isinstance(patch, str) else ""
    if text and path:
        raise BuildError("a patch entry may set 'patch' or 'path', not both", location=where)
    if path:
        if not isinstance(path, str):
            raise BuildError(f"'path' must be a file name, got {path!r}", location=where)
        resolved = ctx.loader.resolve(ctx.kdir, path, where)
        return ctx.loader.read_bytes(resolved, where).decode("utf-8", errors="replace")
    if not text:
        raise BuildError("a patch entry must set 'patch' (inline text) or 'path' (a file)", location=where)
    return text


class _Yaml11Loader(yaml.CSafeLoader):
    """YAML 1.1 typing as sigs.k8s.io/yaml (go-yaml v2) reads a JSON 6902 patch: ``yes``/``on`` are bools.
    libyaml parses (the text has just been read by libyaml as a patch document); the typing is Python's."""


_Yaml11Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml11Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))  # type: ignore[no-untyped-call]


def _yaml11_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(node.value).lower() in ("y", "yes", "true", "on")


_Yaml11Loader.add_constructor("tag:yaml.org,2002:bool", _yaml11_bool)


@lru_cache(maxsize=512)
def _json_patch_parsed(text: str) -> tuple[Any, str | None]:
    """The operations of a JSON 6902 patch's text, or why it cannot be read, once a run for each text (a
    parent's patches reach every child Kustomization, and PyYAML reads YAML 1.1 in Python)."""
    try:
        raw = json.loads(text) if text.lstrip().startswith("[") else yaml.load(text, Loader=_Yaml11Loader)
    except (ValueError, yaml.YAMLError) as exc:
        return None, str(exc)
    return from_plain(raw), None


def _json_patch_ops(text: str, where: Location) -> list[Any]:
    """Operations of a JSON 6902 patch: JSON when it starts with ``[``, else YAML read as YAML 1.1 (each
    call gets copies of them)."""
    ops, error = _json_patch_parsed(text)
    if error is not None:
        raise BuildError(f"unable to parse JSON patch: {error}", location=where)
    return [deep_copy(op) for op in ops] if isinstance(ops, list) else []


@lru_cache(maxsize=512)
def _patch_documents(text: str, file: str) -> tuple[Any, ...]:
    """The documents of a patch's text, parsed once a run for each text and file (a parent's patches reach
    every child Kustomization: the same text is parsed for each); callers get copies (``parse_patch``)."""
    return tuple(d for d in load_documents(text.encode(), file) if d is not None)


def parse_patch(text: str, where: Location, *, json_only: bool = False) -> _Patch:
    """Decide whether ``text`` is a JSON 6902 patch or strategic merge patch(es), and parse it."""
    try:
        docs = [deep_copy(d) for d in _patch_documents(text, where.file)]
    except HomeopsError as exc:
        raise BuildError(f"unable to parse SM or JSON patch: {exc.message}", location=where) from None
    if docs and isinstance(docs[0], list):
        ops = _json_patch_ops(text, where)
        if not all(isinstance(op, dict) for op in ops):
            raise BuildError("a JSON 6902 patch must be a list of operations (maps)", location=where)
        return _Patch(text, ops, [])
    if json_only:
        raise BuildError("expected a JSON 6902 patch (a list of operations)", location=where)
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise BuildError(
            "unable to parse SM or JSON patch: expected a list of JSON 6902 operations or YAML objects",
            location=where,
        )
    return _Patch(text, None, [d if isinstance(d, YMap) else YMap(d.items()) for d in docs])


def _meta(obj: YMap, field: str) -> str:
    md = obj.get("metadata")
    v = md.get(field) if isinstance(md, dict) else None
    return v if isinstance(v, str) else ""


def _set_meta(obj: YMap, field: str, value: str) -> None:
    md = obj.get("metadata")
    if not isinstance(md, dict):
        md = YMap()
        obj["metadata"] = md
    if value:
        md[field] = value
    else:
        md.pop(field, None)


def apply_smp_to(
    resmap: ResMap, res: Resource, patch: YMap, *, allow_name: bool = False, allow_kind: bool = False
) -> None:
    """Merge ``patch`` into ``res`` as kustomize does (keeps name, kind, namespace unless allowed)."""
    old_id = res.cur_id()
    name, namespace, kind = res.name, res.namespace, res.kind
    merged = strategic_merge(res.obj, patch)
    if merged is None or not merged:
        resmap.remove(res)
        return
    res.obj = merged
    if not allow_kind:
        merged["kind"] = kind
    if not allow_name:
        _set_meta(merged, "name", name)
    _set_meta(merged, "namespace", namespace)
    if res.cur_id() != old_id:
        res.prev_ids.append(old_id)


def _find_own_target(resmap: ResMap, patch: YMap, where: Location) -> Resource:
    api_version = patch.get("apiVersion")
    api_version = api_version if isinstance(api_version, str) else ""
    kind = patch.get("kind")
    kind = kind if isinstance(kind, str) else ""
    name, namespace = _meta(patch, "name"), _meta(patch, "namespace")
    group, version = split_api_version(api_version)
    found = resmap.find_by_any_id(ResId(group, version, kind, name, namespace))
    if len(found) == 1:
        return found[0]
    rid = id_string(group, version, kind, name, namespace)
    what = "no matches" if not found else "multiple matches"
    raise BuildError(
        f'no resource matches strategic merge patch "{rid}": {what} for Id {rid}; '
        f"failed to find unique target for patch {rid}",
        location=where,
    )


def _apply_smp(
    resmap: ResMap, patch: YMap, sel: Selector | None, opts: dict[str, bool], where: Location
) -> None:
    allow_name, allow_kind = opts.get("allowNameChange", False), opts.get("allowKindChange", False)
    if sel is None:
        target = _find_own_target(resmap, patch, where)
        apply_smp_to(resmap, target, deep_copy(patch), allow_name=allow_name, allow_kind=allow_kind)
        return
    for res in sel.select(resmap):
        copy = deep_copy(patch)
        copy["apiVersion"] = res.api_version
        try:
            apply_smp_to(resmap, res, copy, allow_name=allow_name, allow_kind=allow_kind)
        except BuildError as exc:
            raise BuildError(exc.message, location=where) from None


def _apply_json(resmap: ResMap, ops: list[Any], sel: Selector, where: Location) -> None:
    for res in sel.select(resmap):
        old_id = res.cur_id()
        try:
            res.obj = apply_json6902(res.obj, ops)
        except BuildError as exc:
            raise BuildError(exc.message, location=where) from None
        if res.cur_id() != old_id:
            res.prev_ids.append(old_id)


def _options(entry: YMap, where: Location) -> dict[str, bool]:
    raw = entry.get("options")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, bool) for v in raw.values()):
        raise BuildError("'options' must map option names to true/false", location=where)
    return {str(k): bool(v) for k, v in raw.items()}


def _entries(value: Any, ctx: KContext, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BuildError(f"'{field}' must be a list", location=ctx.field_location(field))
    return list(value)


def apply_patches(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """The ``patches:`` field: inline or file patches, JSON 6902 or strategic merge, with optional target."""
    for i, entry in enumerate(_entries(value, ctx, "patches")):
        where = ctx.where(value, i)
        if not isinstance(entry, YMap):
            raise BuildError("a 'patches' entry must be a map with 'patch' or 'path'", location=where)
        text = _load_text(entry, ctx, where)
        patch = parse_patch(text, where)
        opts = _options(entry, where)
        sel = parse_selector(entry.get("target"), ctx.where(entry, "target")) if "target" in entry else None
        if patch.ops is not None:
            if sel is None:
                raise BuildError("a JSON 6902 patch needs a 'target'", location=where)
            _apply_json(resmap, patch.ops, sel, where)
            continue
        for doc in patch.smps:
            _apply_smp(resmap, doc, sel, opts, where)


def apply_patches_strategic_merge(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """The deprecated ``patchesStrategicMerge:`` field: file paths or inline YAML, applied by own id."""
    for i, entry in enumerate(_entries(value, ctx, "patchesStrategicMerge")):
        where = ctx.where(value, i)
        if not isinstance(entry, str) or not entry.strip():
            raise BuildError(
                "a 'patchesStrategicMerge' entry must be a file path or YAML text", location=where
            )
        docs: list[Any] = []
        try:
            docs = [d for d in load_documents(entry.encode(), where.file) if d is not None]
        except HomeopsError:
            docs = []
        if not docs or not all(isinstance(d, dict) for d in docs):
            path = ctx.loader.resolve(ctx.kdir, entry.strip(), where)
            docs = [d for d in ctx.loader.load_yaml(path, where) if d is not None]
            if not all(isinstance(d, dict) for d in docs):
                raise BuildError(
                    f"{entry.strip()} must hold YAML objects (strategic merge patches)", location=where
                )
        for doc in docs:
            _apply_smp(resmap, doc, None, {}, where)


def apply_patches_json6902(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """The deprecated ``patchesJson6902:`` field: a target plus an inline or file JSON 6902 patch."""
    for i, entry in enumerate(_entries(value, ctx, "patchesJson6902")):
        where = ctx.where(value, i)
        if not isinstance(entry, YMap):
            raise BuildError(
                "a 'patchesJson6902' entry must be a map with 'target' and 'path' or 'patch'", location=where
            )
        if "target" not in entry:
            raise BuildError("a 'patchesJson6902' entry needs a 'target'", location=where)
        sel = parse_selector(entry.get("target"), ctx.where(entry, "target"))
        patch = parse_patch(_load_text(entry, ctx, where), where, json_only=True)
        _apply_json(resmap, patch.ops or [], sel, where)
