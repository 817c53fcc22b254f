"""The kustomization's ``replacements:`` field, as kustomize v5.7.1's replacement transformer runs it.

Each entry is either inline (``source`` + ``targets``) or ``path:`` naming a file that holds one replacement
(a mapping) or a list of them. All entries are loaded before any is applied (kustomize configures the
transformer first), then applied in order, each seeing the results of the previous ones.

Faithful quirks of kustomize worth knowing:

* a resource is selected by any of its ids, current or previous (names before prefix/suffix/namespace),
  and a ``reject`` matching any of them rejects it; namespaces compare as kyaml's replacement filter
  builds the ids: the current one without a scope (a Namespace or a ClusterRole is in ``default``), the
  previous ones as recorded (none for a cluster-scoped type), the selector's never cluster-scoped;
* target field paths go through kyaml's PathMatcher, where ``[key=value]`` is an *unanchored regular
  expression* on the value (``[name=app]`` also selects ``app-sidecar``) and ``*`` visits list items;
* a missing target field is an error unless ``options.create`` is set;
* writing into an existing scalar copies only the text and keeps the target's YAML type, so ``"3"`` into
  ``replicas: 1`` gives ``3`` and a text that doesn't fit the type fails as kustomize's decoder does; a
  freshly created scalar takes the type the text resolves to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.context import KContext
from homeops.kustomize.kyamlpath import (
    Mistyped,
    PathError,
    Slot,
    go_text,
    lookup,
    match_paths,
    scalar_with_type,
    split_field_path,
)
from homeops.kustomize.resource import ResId, ResMap, Resource, effective_namespace, id_string
from homeops.kustomize.selectors import SelectorError, matches_label_selector
from homeops.kustomize.tconfig import is_selected
from homeops.yaml.nodes import YMap, YSeq, deep_copy

DEFAULT_FIELD_PATH = "metadata.name"


@dataclass(frozen=True, slots=True)
class IdSelector:
    """kustomize's ResId used as a selector: empty fields match anything."""

    group: str = ""
    version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""

    def is_empty(self) -> bool:
        return not (self.group or self.version or self.kind or self.name or self.namespace)

    def selects(self, rid: ResId, rid_namespace: str) -> bool:
        """kyaml's ``ResId.IsSelectedBy``: name exact, namespace by effective namespace, gvk by fields.

        ``rid_namespace`` is the id's effective namespace as the replacement filter sees it (see
        ``_select_ids``); the selector, decoded from YAML, never counts as cluster-scoped.
        """
        if self.name and self.name != rid.name:
            return False
        if self.namespace and effective_namespace(self.namespace) != rid_namespace:
            return False
        return is_selected(rid.group, rid.version, rid.kind, self)

    def __str__(self) -> str:
        return id_string(self.group, self.version, self.kind, self.name, self.namespace)


@dataclass(frozen=True, slots=True)
class FieldOptions:
    """``options:`` of a source or target."""

    delimiter: str = ""
    index: int = 0
    create: bool = False

    def __str__(self) -> str:
        if not self.delimiter and not self.create:
            return ""
        return f"{self.delimiter}({self.index}), create={'true' if self.create else 'false'}"


@dataclass(frozen=True, slots=True)
class Selector:
    """A target ``select``/``reject`` entry: an id selector plus label and annotation selectors."""

    rid: IdSelector
    label_selector: str = ""
    annotation_selector: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    select: Selector | None
    reject: tuple[Selector, ...]
    field_paths: tuple[str, ...]
    options: FieldOptions | None


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replacement, with where it was written (for error locations)."""

    source: tuple[IdSelector, str, FieldOptions | None] | None
    targets: tuple[Target, ...] | None
    where: Location = field(default_factory=lambda: Location(""))


def apply_replacements(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """Apply the kustomization's ``replacements:`` (``value``) to ``resmap`` in place."""
    if value is None:
        return
    if not isinstance(value, list):
        raise BuildError(
            "replacements must be a list of replacements", location=ctx.field_location("replacements")
        )
    entries = load_replacements(value, ctx)
    written: list[tuple[Slot, Location]] = []
    for repl in entries:
        try:
            for slot in _apply_one(resmap, repl):
                written.append((slot, repl.where))
        except (BuildError, PathError) as exc:
            message = exc.message if isinstance(exc, BuildError) else str(exc)
            raise BuildError(message, location=repl.where) from None
    for slot, where in written:
        held = slot.get()
        if isinstance(held, Mistyped):
            raise BuildError(held.message, location=where)


def load_replacements(value: list[Any], ctx: KContext) -> list[Replacement]:
    """Parse every entry of ``replacements:``, reading ``path:`` files (kustomize's Config step)."""
    result: list[Replacement] = []
    for i, entry in enumerate(value):
        where = ctx.where(value, i)
        if not isinstance(entry, dict):
            raise BuildError("each replacements entry must be a mapping", location=where)
        path = entry.get("path")
        if path not in (None, ""):
            if entry.get("source") is not None or entry.get("targets"):
                raise BuildError("cannot specify both path and inline replacement", location=where)
            result.extend(_load_path(str(path), ctx, where))
        else:
            result.append(_parse_replacement(entry, where))
    return result


def _load_path(path: str, ctx: KContext, where: Location) -> list[Replacement]:
    file = ctx.loader.resolve(ctx.kdir, path, where)
    docs = ctx.loader.load_yaml(file, where)
    doc = docs[0] if docs else None
    if isinstance(doc, list):
        return [_parse_replacement(item, _item_where(doc, i, where)) for i, item in enumerate(doc)]
    if isinstance(doc, dict):
        return [_parse_replacement(doc, _item_where(doc, None, where))]
    kind = "invalid" if doc is None else ("string" if isinstance(doc, str) else type(doc).__name__)
    raise BuildError(
        f"unsupported replacement type encountered within replacement path: {kind}", location=where
    )


def _item_where(container: Any, index: int | None, fallback: Location) -> Location:
    pos = None
    if isinstance(container, YSeq) and index is not None:
        pos = container.item_pos(index)
    elif isinstance(container, YMap):
        pos = container.pos
    return Location(pos.file, pos.line, pos.column) if pos else fallback


def _parse_replacement(entry: Any, where: Location) -> Replacement:
    if not isinstance(entry, dict):
        raise BuildError("a replacement must be a mapping with source and targets", location=where)
    src = entry.get("source")
    source = None
    if isinstance(src, dict):
        source = (
            _id_selector(src, where),
            _str(src.get("fieldPath"), "source.fieldPath", where),
            _options(src, where),
        )
    elif src is not None:
        raise BuildError("replacement source must be a mapping", location=where)
    raw_targets = entry.get("targets")
    targets = None
    if isinstance(raw_targets, list):
        targets = tuple(_target(t, where) for t in raw_targets)
    elif raw_targets is not None:
        raise BuildError("replacement targets must be a list", location=where)
    return Replacement(source, targets, where)


def _target(raw: Any, where: Location) -> Target:
    if not isinstance(raw, dict):
        raise BuildError("each replacement target must be a mapping", location=where)
    sel = raw.get("select")
    select = _selector(sel, where) if isinstance(sel, dict) else None
    rejects = raw.get("reject") or []
    if not isinstance(rejects, list):
        raise BuildError("target reject must be a list of selectors", location=where)
    paths = raw.get("fieldPaths") or []
    if not isinstance(paths, list) or any(isinstance(p, (dict, list)) for p in paths):
        raise BuildError("target fieldPaths must be a list of strings", location=where)
    return Target(
        select,
        tuple(_selector(r, where) for r in rejects if isinstance(r, dict)),
        tuple(go_text(p) for p in paths),
        _options(raw, where),
    )


def _selector(raw: dict[str, Any], where: Location) -> Selector:
    return Selector(
        _id_selector(raw, where),
        _str(raw.get("labelSelector"), "labelSelector", where),
        _str(raw.get("annotationSelector"), "annotationSelector", where),
    )


def _id_selector(raw: dict[str, Any], where: Location) -> IdSelector:
    return IdSelector(
        *(_str(raw.get(k), k, where) for k in ("group", "version", "kind", "name", "namespace"))
    )


def _options(raw: dict[str, Any], where: Location) -> FieldOptions | None:
    opts = raw.get("options")
    if opts is None:
        return None
    if not isinstance(opts, dict):
        raise BuildError("options must be a mapping", location=where)
    index = opts.get("index", 0)
    if index is None:
        index = 0
    if isinstance(index, bool) or not isinstance(index, int):
        raise BuildError(f"options.index must be an integer, not {index!r}", location=where)
    create = opts.get("create", False)
    if not isinstance(create, bool) and create is not None:
        raise BuildError(f"options.create must be true or false, not {create!r}", location=where)
    return FieldOptions(_str(opts.get("delimiter"), "options.delimiter", where), index, bool(create))


def _str(value: Any, name: str, where: Location) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise BuildError(f"{name} must be a string", location=where)
    return go_text(value)


# -- the filter ---------------------------------------------------------------------------------------
def _source_str(sel: IdSelector, fpath: str, opts: FieldOptions | None) -> str:
    parts = [str(sel)]
    if fpath:
        parts.append(fpath)
    if opts is not None and str(opts):
        parts.append(str(opts))
    return ":".join(parts)


def _apply_one(resmap: ResMap, repl: Replacement) -> list[Slot]:
    if repl.source is None or repl.targets is None:
        raise BuildError("replacements must specify a source and at least one target")
    sel, fpath, opts = repl.source
    matches: list[Resource] = []
    for res in resmap:
        if any(sel.selects(rid, ns) for rid, ns in _select_ids(res)):
            if matches:
                raise BuildError(f"multiple matches for selector {_source_str(sel, fpath, opts)}")
            matches.append(res)
    if not matches:
        raise BuildError(f"nothing selected by {_source_str(sel, fpath, opts)}")
    fpath = fpath or DEFAULT_FIELD_PATH
    try:
        found = lookup(matches[0].obj, split_field_path(fpath))
    except PathError as exc:
        raise BuildError(f"error looking up replacement source: {exc}") from None
    if _is_nil_or_empty(found):
        raise BuildError(f"fieldPath `{fpath}` is missing for replacement source {sel}")
    value = _refine(found[0] if found else None, opts)
    written: list[Slot] = []
    for target in repl.targets:
        written.extend(_apply_target(resmap, value, target))
    return written


def _is_nil_or_empty(found: tuple[Any] | None) -> bool:
    if found is None:
        return True
    node = found[0]
    return node is None or (isinstance(node, (dict, list)) and len(node) == 0)


def _refine(node: Any, opts: FieldOptions | None) -> Any:
    if opts is None or not opts.delimiter:
        return node
    if isinstance(node, (dict, list)):
        raise BuildError("delimiter option can only be used with scalar nodes")
    text = go_text(node)
    parts = text.split(opts.delimiter)
    if opts.index >= len(parts) or opts.index < 0:
        raise BuildError(f"options.index {opts.index} is out of bounds for value {text}")
    return scalar_with_type(parts[opts.index], node)


def _apply_target(resmap: ResMap, value: Any, target: Target) -> list[Slot]:
    if target.select is None:
        raise BuildError("target must specify resources to select")
    paths = target.field_paths or (DEFAULT_FIELD_PATH,)
    written: list[Slot] = []
    for res in resmap:
        if not _matches_meta(res, target.select):
            continue
        if any(_matches_meta(res, r) for r in target.reject if r.label_selector or r.annotation_selector):
            continue
        ids = _select_ids(res)
        if any(target.select.rid.selects(rid, ns) for rid, ns in ids) and not any(
            not r.rid.is_empty() and r.rid.selects(rid, ns) for r in target.reject for rid, ns in ids
        ):
            for fp in paths:
                written.extend(_copy_to(res, fp, value, target.options))
    return written


def _select_ids(res: Resource) -> list[tuple[ResId, str]]:
    """The ids a replacement selects a resource by, with their effective namespaces.

    kyaml's ``MakeResIds`` builds the current id without looking up its scope, so even a Namespace or a
    ClusterRole is in ``default`` there; a previous id keeps the effective namespace recorded when the
    resource was renamed (none for a cluster-scoped type).
    """
    cur = res.cur_id()
    return [(cur, effective_namespace(cur.namespace)), *((p, p.effective_namespace) for p in res.prev_ids)]


def _matches_meta(res: Resource, sel: Selector) -> bool:
    """kustomize's ``matchesAnnoAndLabelSelector``: both selectors are parsed (and may fail) every time."""
    try:
        annotations_match = matches_label_selector(sel.annotation_selector, res.annotations())
        labels_match = matches_label_selector(sel.label_selector, res.labels())
    except SelectorError as exc:
        raise BuildError(str(exc)) from None
    return annotations_match and labels_match


def _copy_to(res: Resource, fp: str, value: Any, opts: FieldOptions | None) -> list[Slot]:
    create = opts is not None and opts.create
    create_kind = "map" if isinstance(value, dict) else "seq" if isinstance(value, list) else "scalar"
    try:
        slots = match_paths(res.obj, split_field_path(fp), create_kind if create else None)
    except PathError as exc:
        if create:
            raise BuildError(f'unable to find or create field "{fp}" in replacement target: {exc}') from None
        raise BuildError(f"error finding field in replacement target: {exc}") from None
    if not slots:
        verb = "find or create" if create else "find"
        raise BuildError(f'unable to {verb} field "{fp}" in replacement target')
    for slot in slots:
        _set_slot(slot, value, opts)
    return slots


def _set_slot(slot: Slot, value: Any, opts: FieldOptions | None) -> None:
    current = slot.get()
    new_value = value
    if opts is not None and opts.delimiter:
        if isinstance(current, (dict, list)):
            raise BuildError("delimiter option can only be used with scalar nodes")
        parts = ("" if slot.fresh else go_text(current)).split(opts.delimiter)
        text = go_text(value)
        if opts.index < 0:
            parts.insert(0, text)
        elif opts.index >= len(parts):
            parts.append(text)
        else:
            parts[opts.index] = text
        joined = opts.delimiter.join(parts)
        new_value = scalar_with_type(joined, value) if not isinstance(value, (dict, list)) else joined
    if isinstance(current, (dict, list)):
        slot.set(deep_copy(new_value))
        return
    # A scalar target keeps its type: only the text is copied.
    slot.set(scalar_with_type(go_text(new_value), None if slot.fresh else current, fresh=slot.fresh))
