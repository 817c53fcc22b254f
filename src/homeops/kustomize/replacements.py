"""The kustomization's ``replacements:`` field, as kustomize v5.7.1's replacement transformer runs it.

Each entry is either inline (``source`` + ``targets``) or ``path:`` naming a file that holds one replacement
(a mapping) or a list of them. All entries are loaded before any is applied (kustomize configures the
transformer first), then applied in order, each seeing the results of the previous ones.

Faithful quirks of kustomize worth knowing:

* a resource is selected by any of its ids, current or previous (names before prefix/suffix/namespace);
* target field paths go through kyaml's PathMatcher, where ``[key=value]`` is an *unanchored regular
  expression* on the value (``[name=app]`` also selects ``app-sidecar``) and ``*`` visits list items;
* a missing target field is an error unless ``options.create`` is set;
* writing into an existing scalar copies only the text and keeps the target's YAML type, so ``"3"`` into
  ``replicas: 1`` gives ``3`` and a text that doesn't fit the type fails as kustomize's decoder does; a
  freshly created scalar takes the type the text resolves to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.context import KContext
from homeops.kustomize.resource import CLUSTER_SCOPED_KINDS, ResId, ResMap, Resource
from homeops.yaml.loader import resolve_plain
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

    def selects(self, rid: ResId) -> bool:
        """kyaml's ``ResId.IsSelectedBy``: name exact, namespace by effective namespace, gvk by fields."""
        if self.name and self.name != rid.name:
            return False
        if self.namespace and effective_namespace(self.kind, self.namespace) != effective_namespace(
            rid.kind, rid.namespace
        ):
            return False
        return (
            (not self.group or self.group == rid.group)
            and (not self.version or self.version == rid.version)
            and (not self.kind or self.kind == rid.kind)
        )

    def __str__(self) -> str:
        gvk = ".".join([self.kind or "[noKind]", self.version or "[noVer]", self.group or "[noGrp]"])
        return f"{gvk}/{self.name or '[noName]'}.{self.namespace or '[noNs]'}"


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
    if not isinstance(paths, list):
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
    if isinstance(value, dict | list):
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
        if any(sel.selects(rid) for rid in res.all_ids()):
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
    return node is None or (isinstance(node, dict | list) and len(node) == 0)


def _refine(node: Any, opts: FieldOptions | None) -> Any:
    if opts is None or not opts.delimiter:
        return node
    if isinstance(node, dict | list):
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
        for rid in res.all_ids():
            if target.select.rid.selects(rid) and not any(
                not r.rid.is_empty() and r.rid.selects(rid) for r in target.reject
            ):
                for fp in paths:
                    written.extend(_copy_to(res, fp, value, target.options))
                break
    return written


def _matches_meta(res: Resource, sel: Selector) -> bool:
    try:
        return matches_label_selector(sel.annotation_selector, res.annotations()) and matches_label_selector(
            sel.label_selector, res.labels()
        )
    except ValueError as exc:
        raise BuildError(str(exc)) from None


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
        if isinstance(current, dict | list):
            raise BuildError("delimiter option can only be used with scalar nodes")
        parts = ("" if slot.fresh else go_text(current)).split(opts.delimiter)
        text = go_text(value) if not isinstance(value, dict | list) else ""
        if opts.index < 0:
            parts.insert(0, text)
        elif opts.index >= len(parts):
            parts.append(text)
        else:
            parts[opts.index] = text
        joined = opts.delimiter.join(parts)
        new_value = scalar_with_type(joined, value) if not isinstance(value, dict | list) else joined
    if isinstance(current, dict | list):
        slot.set(deep_copy(new_value))
        return
    # A scalar target keeps its type: only the text is copied.
    text = "" if isinstance(new_value, dict | list) else go_text(new_value)
    slot.set(scalar_with_type(text, None if slot.fresh else current, fresh=slot.fresh))


# -- kyaml field paths ----------------------------------------------------------------------------------
class PathError(Exception):
    """A field path cannot be walked (wrong node kind, bad index, bad list selector...)."""


class Slot:
    """A place holding one node: ``parent[key]``. ``fresh`` marks a scalar the walk has just created."""

    __slots__ = ("fresh", "key", "parent")

    def __init__(self, parent: Any, key: Any, fresh: bool = False) -> None:
        self.parent = parent
        self.key = key
        self.fresh = fresh

    def get(self) -> Any:
        return self.parent[self.key]

    def set(self, value: Any) -> None:
        self.parent[self.key] = value


_NOT_NS = "_non_namespaceable_"
_GO_INT = re.compile(r"^[+-]?[0-9]+$")


def effective_namespace(kind: str, namespace: str) -> str:
    """kyaml's ``ResId.EffectiveNamespace``: cluster-scoped kinds have none; empty means ``default``."""
    if kind in CLUSTER_SCOPED_KINDS:
        return _NOT_NS
    return namespace if namespace not in ("", "default") else "default"


def go_text(value: Any) -> str:
    """The text of a scalar as go-yaml holds it (``Node.Value``), as near as a decoded value allows."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
    return str(value)


def _yaml_tag(value: Any) -> str:
    if value is None:
        return "!!null"
    if isinstance(value, bool):
        return "!!bool"
    if isinstance(value, int):
        return "!!int"
    if isinstance(value, float):
        return "!!float"
    return "!!str"


class Mistyped(str):
    """Text held by a scalar whose YAML tag it does not fit (e.g. ``abc`` in an ``!!int`` node).

    kustomize only fails when it decodes the resource for output, so a later replacement may still fix
    the value; ``apply_replacements`` raises ``message`` if one is left at the end.
    """

    __slots__ = ("message", "tag")

    def __new__(cls, text: str, tag: str, message: str) -> Mistyped:
        obj = super().__new__(cls, text)
        obj.tag = tag
        obj.message = message
        return obj

    tag: str
    message: str


def scalar_with_type(text: str, current: Any, *, fresh: bool = False) -> Any:
    """The value a scalar node of ``current``'s type holds once its text becomes ``text``.

    kustomize copies only the text into an existing scalar; the node keeps its tag, and decoding then
    fails when the text does not fit it (``cannot decode !!str `x` as a !!int``): such a value comes back
    as ``Mistyped``. A fresh node has no tag, so the text resolves as a plain scalar would.
    """
    if fresh:
        return resolve_plain(text)
    tag = current.tag if isinstance(current, Mistyped) else _yaml_tag(current)
    if tag == "!!str":
        return text
    resolved = resolve_plain(text)
    rtag = _yaml_tag(resolved)
    if tag == "!!float" and rtag in ("!!int", "!!float"):
        return float(resolved)
    if rtag == tag:
        return resolved
    message = f"map[string]interface {{}}(nil): yaml: cannot decode {rtag} `{text}` as a {tag}"
    return Mistyped(text, tag, message)


def split_field_path(path: str) -> list[str]:
    """kyaml's SmarterPathSplitter on ``.``: ``\\.`` escapes a dot, ``[a=b.c]`` stays one part."""
    raw = path.split(".")
    if len(raw) > 1 and raw[0] == "":
        raw = raw[1:]
    parts: list[str] = [raw[0]]
    for piece in raw[1:]:
        if parts[-1].endswith("\\"):
            parts[-1] = parts[-1][:-1] + "." + piece
        else:
            parts.append(piece)
    result: list[str] = []
    i = 0
    while i < len(parts):
        elem = parts[i]
        if elem.startswith("[") and not elem.endswith("]"):
            bracketed = [elem]
            while i < len(parts) - 1:
                i += 1
                bracketed.append(parts[i])
                if parts[i].endswith("]"):
                    break
            joined = ".".join(bracketed)
            result.append(joined if "=" in joined else joined.strip("[]"))
        else:
            result.append(elem)
        i += 1
    return result


def _split_index(part: str) -> tuple[str, str]:
    inner = part[1:-1]
    if "=" not in inner:
        raise PathError("list path element must contain fieldName=fieldValue for element to match")
    name, _, value = inner.partition("=")
    return name, value


def _kind_name(node: Any) -> str:
    return (
        "MappingNode"
        if isinstance(node, dict)
        else "SequenceNode"
        if isinstance(node, list)
        else "ScalarNode"
    )


def lookup(node: Any, parts: list[str]) -> tuple[Any] | None:
    """kyaml's PathGetter without create: ``(value,)`` at the path, or None when it is missing."""
    done: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        is_elem = part.startswith("[") and part.endswith("]")
        name, value = _split_index(part) if is_elem else ("", "")
        if node is None:
            return None
        if _GO_INT.match(part) or part == "-" or is_elem:
            if not isinstance(node, list):
                raise PathError(
                    f"wrong Node Kind for {'.'.join(done)} expected: SequenceNode was {_kind_name(node)}"
                )
            if part == "-":
                if not node:
                    return None
                node = node[-1]
            elif is_elem:
                node = _first_element(node, name, value)
                if node is None:
                    return None
                node = node[0]
            else:
                idx = int(part)
                if idx < 0:
                    raise PathError(f"array index {idx} cannot be negative")
                if idx >= len(node):
                    return None
                node = node[idx]
            continue
        if not isinstance(node, dict):
            raise PathError(
                f"wrong Node Kind for {'.'.join(done)} expected: MappingNode was {_kind_name(node)}"
            )
        if part not in node:
            return None
        done.append(part)
        node = node[part]
    return (node,)


def _first_element(seq: list[Any], name: str, value: str) -> tuple[Any] | None:
    for elem in seq:
        if not name:
            if not isinstance(elem, dict | list) and go_text(elem) == value:
                return (elem,)
        elif isinstance(elem, dict) and name in elem and go_text(elem[name]) == value:
            return (elem,)
    return None


def _match_text(node: Any) -> str:
    return "null" if node is None else go_text(node) if not isinstance(node, dict | list) else ""


def _new_node(next_part: str, create: str) -> Any:
    if (next_part.startswith("[") and next_part.endswith("]")) or (
        _GO_INT.match(next_part) and int(next_part) >= 0
    ):
        return YSeq()
    if next_part == "":
        return YMap() if create == "map" else YSeq() if create == "seq" else None
    return YMap()


def match_paths(root: YMap, parts: list[str], create: str | None) -> list[Slot]:
    """kyaml's PathMatcher: every place matching ``parts`` (``[k=regex]``, ``*``, indexes, fields).

    With ``create`` (``"scalar"``, ``"map"`` or ``"seq"``: the kind of the value to write), missing fields
    and unmatched list entries are created as kustomize creates them.
    """
    holder: list[Any] = [root]
    out: list[Slot] = []
    _walk(Slot(holder, 0), parts, create, out)
    return out


def _elements(slot: Slot) -> list[Any]:
    node = slot.get()
    if node is None:
        return []
    if not isinstance(node, list):
        raise PathError(f"wrong node kind: expected SequenceNode but got {_kind_name(node)}")
    return node


def _walk(slot: Slot, parts: list[str], create: str | None, out: list[Slot]) -> None:
    if not parts:
        out.append(slot)
        return
    part, rest = parts[0], parts[1:]
    nxt = rest[0] if rest else ""
    if _GO_INT.match(part) and int(part) >= 0:
        elems = _elements(slot)
        idx = int(part)
        fresh = False
        if len(elems) == idx and create is not None:
            elems = _ensure_seq(slot)
            elems.append(_new_node(nxt, create))
            fresh = not rest and create == "scalar"
        if len(elems) < idx + 1:
            raise PathError(f"index {idx} specified but only {len(elems)} elements found")
        _walk(Slot(elems, idx, fresh), rest, create, out)
    elif part.startswith("[") and part.endswith("]"):
        _walk_seq(slot, part, rest, create, out)
    elif part == "*":
        elems = _elements(slot)
        for i in range(len(elems)):
            _walk(Slot(elems, i), rest, create, out)
    else:
        node = slot.get()
        if node is None and create is not None:
            node = YMap()
            slot.set(node)
        if node is None:
            return
        if not isinstance(node, dict):
            raise PathError(f"wrong Node Kind for {part} expected: MappingNode was {_kind_name(node)}")
        if part in node:
            _walk(Slot(node, part), rest, create, out)
        elif create is not None:
            node[part] = _new_node(nxt, create)
            _walk(Slot(node, part, not rest and create == "scalar"), rest, create, out)


def _ensure_seq(slot: Slot) -> list[Any]:
    node = slot.get()
    if node is None:
        node = YSeq()
        slot.set(node)
    return node  # type: ignore[no-any-return]


def _walk_seq(slot: Slot, part: str, rest: list[str], create: str | None, out: list[Slot]) -> None:
    name, pattern = _split_index(part)
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise PathError(f"error parsing regexp: {exc}") from None
    for attempt in range(2):
        elems = _elements(slot)
        before = len(out)
        for i, elem in enumerate(elems):
            if not name:
                if regex.search(_match_text(elem)):
                    out.append(Slot(elems, i, attempt == 1 and create == "scalar" and not rest))
            elif isinstance(elem, dict) and name in elem and regex.search(_match_text(elem[name])):
                _walk(Slot(elems, i), rest, create, out)
        if len(out) > before or create is None or attempt == 1:
            return
        new_value = resolve_plain(pattern)
        _ensure_seq(slot).append(new_value if not name else YMap([(name, new_value)]))


# -- label selectors (k8s labels.Parse) ---------------------------------------------------------------
_REQ = re.compile(
    r"^\s*(!)?\s*([^\s!=<>,()]+)\s*(?:(==|=|!=|<|>)\s*([^\s,()]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$"
)


def _split_requirements(selector: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    cur = ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def matches_label_selector(selector: str, labels: dict[str, Any]) -> bool:
    """Whether ``labels`` satisfy a Kubernetes label selector string (empty selects everything)."""
    if not selector.strip():
        return True
    for req in _split_requirements(selector):
        m = _REQ.match(req)
        if not m:
            raise ValueError(f"unable to parse requirement: {req.strip()!r} in selector {selector!r}")
        neg, key, op, val, set_op, set_vals = m.groups()
        present = key in labels
        have = go_text(labels[key]) if present else ""
        if neg:
            ok = not present and op is None and set_op is None
        elif set_op:
            values = {v.strip() for v in set_vals.split(",")}
            ok = (present and have in values) if set_op == "in" else (not present or have not in values)
        elif op in ("=", "=="):
            ok = present and have == val
        elif op == "!=":
            ok = not present or have != val
        elif op in ("<", ">"):
            try:
                ok = present and (int(have) < int(val) if op == "<" else int(have) > int(val))
            except ValueError:
                ok = False
        else:
            ok = present
        if not ok:
            return False
    return True
