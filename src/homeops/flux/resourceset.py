"""Expansion of flux-operator ``ResourceSet`` objects (``fluxcd.controlplane.io/v1``) whose inputs are static.

Follows flux-operator's builder (``internal/builder/resourceset.go``, ``internal/inputs``) and its ResourceSet
reconciler:

- Inputs: ``spec.inputs`` (a list of maps), each given the built-in ``provider`` field (``apiVersion``,
  ``kind: ResourceSet``, ``name``, ``namespace``). ``inputStrategy`` ``Flatten`` (default) keeps them as they
  are; ``Permute`` nests each under the normalized ResourceSet name and adds the permutation ``id``.
  ``inputsFrom`` providers are read from the cluster at run time: never expanded, always reported.
- Each ``spec.resources`` entry is printed as YAML (``sigs.k8s.io/yaml``, keys sorted) and that text is one Go
  template (delimiters ``<< >>``, ``missingkey=error``) rendered per input set, then decoded again (go-yaml v2
  typing: ``replicas: << inputs.n >>`` is an int when ``n`` is). Without inputs it is rendered once.
  ``spec.resourcesTemplate`` is one multi-document template per input set. ``spec.steps`` hold either.
- Objects annotated ``fluxcd.controlplane.io/reconcile: disabled`` are dropped; duplicates (group, kind,
  namespace, name) are kept once, the first wins; documents without apiVersion, kind or name are dropped.
- Generated objects get the owner labels ``resourceset.fluxcd.controlplane.io/name`` and ``/namespace``, then
  ``spec.commonMetadata``. Their namespace is never defaulted (flux-operator issue #183).

A template or decoding error fails the whole build in flux-operator (``BuildFailed``, Stalled): it is
reported with its file:line and no object of that ResourceSet is returned.
"""

from __future__ import annotations

import json
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from homeops.errors import HomeopsError, Location
from homeops.flux.gotemplate import parse
from homeops.flux.gotemplate_exec import Limits, Rendered, UnsupportedError, execute
from homeops.flux.gotemplate_nodes import LimitError, TemplateError
from homeops.flux.gotemplate_sprig import resourceset_funcs
from homeops.flux.resourceset_yaml import (
    JSONValueError,
    emitted_positions,
    load_v2,
    source_positions,
    split_documents,
)
from homeops.yaml.emitter import dump_document
from homeops.yaml.nodes import Pos, YMap, YSeq, as_map, as_seq, to_plain

__all__ = ["API_VERSION", "KIND", "Problem", "ResourceSetExpansion", "expand_resourceset", "is_resourceset"]

API_VERSION = "fluxcd.controlplane.io/v1"
KIND = "ResourceSet"
GROUP = "fluxcd.controlplane.io"
OWNER_NAME_LABEL = f"resourceset.{GROUP}/name"
OWNER_NAMESPACE_LABEL = f"resourceset.{GROUP}/namespace"
RECONCILE_ANNOTATION = f"{GROUP}/reconcile"
RUNTIME_ANNOTATIONS = {
    f"{GROUP}/copyFrom": "the data is copied from the cluster at run time",
    f"{GROUP}/convertKubeConfigFrom": "address and ca.crt are read from a cluster Secret at run time",
}
MAX_PERMUTATIONS = 10_000
MAX_OBJECTS = 10_000
_LIMIT = "not expanded"
_FAILS = "flux-operator fails the build (BuildFailed, Stalled) and applies none of the ResourceSet's objects"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a ResourceSet, where it was written."""

    message: str
    location: Location


@dataclass(frozen=True, slots=True)
class ResourceSetExpansion:
    """The objects a ResourceSet generates, what is wrong with it, and what could not be expanded (why)."""

    objects: list[YMap] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def is_resourceset(obj: Any) -> bool:
    """Whether ``obj`` is a flux-operator ResourceSet."""
    return isinstance(obj, dict) and obj.get("apiVersion") == API_VERSION and obj.get("kind") == KIND


class _Abort(HomeopsError):
    """Stops the expansion of one ResourceSet (already recorded)."""


class _Expander:
    def __init__(self, obj: YMap) -> None:
        meta = as_map(obj.get("metadata"))
        self.name = str(meta.get("name") or "")
        self.namespace = str(meta.get("namespace") or "")
        self.obj = obj
        self.file = obj.pos.file if obj.pos else f"ResourceSet/{self.namespace}/{self.name}"
        self.problems: list[Problem] = []
        self.unresolved: list[str] = []
        self.failed = False
        self.limits = Limits()

    @property
    def label(self) -> str:
        return f"ResourceSet {self.namespace}/{self.name}"

    def loc(self, pos: Pos | None) -> Location:
        if pos is None:
            pos = self.obj.pos
        return Location(pos.file, pos.line, pos.column) if pos else Location(self.file)

    def problem(self, message: str, pos: Pos | None, fatal: bool = True) -> None:
        self.problems.append(Problem(f"{self.label}: {message}", self.loc(pos)))
        self.failed = self.failed or fatal

    # -- inputs
    def inputs(self, spec: YMap) -> list[dict[str, Any]] | None:
        """The combined input sets, or None when they cannot be known offline."""
        static: list[dict[str, Any]] = []
        items = spec.get("inputs")
        seq = items if isinstance(items, YSeq) else YSeq(as_seq(items))
        for i, item in enumerate(seq):
            if not isinstance(item, dict):
                self.problem(
                    f"spec.inputs[{i}] is not a map; the API server rejects the ResourceSet", seq.item_pos(i)
                )
                raise _Abort("bad inputs")
            values = {str(k): _go_json(v) for k, v in to_plain(item).items()}
            values["provider"] = {
                "apiVersion": API_VERSION,
                "kind": KIND,
                "name": self.name,
                "namespace": self.namespace,
            }
            static.append(values)
        strategy_spec = as_map(spec.get("inputStrategy"))
        strategy = str(strategy_spec.get("name") or "Flatten")
        if strategy not in ("Flatten", "Permute"):
            self.problem(f"unknown input strategy: '{strategy}'; {_FAILS}", spec.key_pos("inputStrategy"))
            raise _Abort("bad strategy")
        dynamic = self.providers(spec)
        if dynamic and strategy == "Permute":
            self.unresolved.append(
                f"{self.label}: inputStrategy Permute combines the static inputs with the providers' inputs "
                "at run time; nothing expanded"
            )
            return None
        if dynamic:
            if not static:
                return None
            self.unresolved.append(
                f"{self.label}: only the {len(static)} static input set(s) of spec.inputs are expanded; "
                "the objects generated from the providers' inputs are not"
            )
        if strategy == "Permute" and static:
            key = _normalize_key(self.name)
            if not key:
                self.problem(
                    f"normalized provider name is empty: '{self.name}'; {_FAILS}", spec.key_pos("inputs")
                )
                raise _Abort("bad name")
            if len(static) > MAX_PERMUTATIONS:
                self.problem(f"more than {MAX_PERMUTATIONS} permutations; {_FAILS}", spec.key_pos("inputs"))
                raise _Abort("too many")
            return [{key: s, "id": str(zlib.adler32(f"{key}={i}".encode()))} for i, s in enumerate(static)]
        return static

    def providers(self, spec: YMap) -> bool:
        refs = spec.get("inputsFrom")
        seq = refs if isinstance(refs, YSeq) else YSeq(as_seq(refs))
        for i, ref in enumerate(seq):
            ref = as_map(ref)
            kind = str(ref.get("kind") or "ResourceSetInputProvider")
            name, selector = ref.get("name"), ref.get("selector")
            if bool(name) == (selector is not None):
                self.problem(
                    f"spec.inputsFrom[{i}] must set exactly one of name and selector; "
                    "the API server rejects it",
                    seq.item_pos(i),
                )
                continue
            if name:
                what = f"{kind}/{self.namespace}/{name}"
            else:
                labels = json.dumps(to_plain(selector), sort_keys=True)
                what = f"{kind} selector {labels} in namespace {self.namespace}"
            self.unresolved.append(
                f"{self.label}: inputsFrom {what}: inputs come from the cluster at run time; not expanded"
            )
        return len(seq) > 0

    # -- building
    def build(self, holder: YMap, inputs: list[dict[str, Any]], where: str) -> list[YMap]:
        """Objects of one ``spec`` or step: ``resources`` then ``resourcesTemplate``, deduplicated."""
        out: list[YMap] = []
        keys: set[tuple[str, str, str, str]] = set()

        def add(obj: YMap, dedup: bool) -> None:
            key = _object_key(obj)
            if dedup and key in keys:
                return
            keys.add(key)
            out.append(obj)
            if len(out) > MAX_OBJECTS:
                self.problem(
                    f"more than {MAX_OBJECTS} generated objects (homeops limit); {_LIMIT}", holder.pos
                )
                raise _Abort("too many objects")

        resources = holder.get("resources")
        seq = resources if isinstance(resources, YSeq) else YSeq(as_seq(resources))
        for i, entry in enumerate(seq):
            label = f"{where}resources[{i}]"
            if not isinstance(entry, YMap):
                self.problem(
                    f"{label} is not an object; the API server rejects the ResourceSet", seq.item_pos(i)
                )
                continue
            for obj in self.render_resource(entry, inputs, label, seq.item_pos(i) or entry.pos):
                if not inputs:
                    add(obj, dedup=False)
                elif not _disabled(obj):
                    add(obj, dedup=True)
        text = holder.get("resourcesTemplate")
        if isinstance(text, str) and text:
            kpos = holder.key_pos("resourcesTemplate")
            for obj in self.render_template(text, inputs, f"{where}resourcesTemplate", kpos):
                if not _disabled(obj):
                    add(obj, dedup=True)
        return out

    def execute(
        self, src: str, inputs: list[dict[str, Any]], label: str, at: Callable[[int], Pos]
    ) -> list[Rendered]:
        results: list[Rendered] = []
        try:
            tmpl = parse(src, resourceset_funcs(None), "<<", ">>")
        except LimitError as exc:
            self.problem(f"{label}: template: {exc.message}; {_LIMIT}", at(exc.line))
            return []
        except TemplateError as exc:
            self.problem(f"{label}: template: {exc.message}; {_FAILS}", at(exc.line))
            return []
        sets: list[dict[str, Any] | None] = [*inputs] if inputs else [None]
        for n, input_set in enumerate(sets):
            try:
                results.append(execute(tmpl, resourceset_funcs(input_set), None, self.limits))
            except LimitError as exc:
                self.problem(f"{label}: template: {exc.message}; {_LIMIT}", at(exc.line))
                return []
            except UnsupportedError as exc:
                self.unresolved.append(f"{self.label}: {label}: {exc.message}; not expanded")
                self.failed = True
                return []
            except TemplateError as exc:
                which = f" (input set {n})" if inputs else ""
                self.problem(f"{label}{which}: template: {exc.message}; {_FAILS}", at(exc.line))
                return []
        return results

    def decode(
        self, rendered: Rendered, where: Callable[[int, int], Pos], label: str, single: bool
    ) -> list[YMap]:
        def at(line: int) -> Pos:
            return where(line, 1)

        try:
            docs = split_documents(rendered.text)
            if single:
                docs = docs[:1]
            values = [(line0, load_v2(chunk, line0, where)) for line0, chunk in docs]
        except LimitError as exc:
            self.problem(f"{label}: {exc.message}; {_LIMIT}", at(exc.line))
            return []
        except JSONValueError as exc:
            self.problem(f"{label}: failed to read object: {exc.message}; {_FAILS}", exc.pos)
            return []
        except TemplateError as exc:
            self.problem(f"{label}: failed to read object: {exc.message}; {_FAILS}", at(exc.line))
            return []
        objects: list[YMap] = []
        for line0, value in values:
            if value is None:
                continue
            if not isinstance(value, YMap):
                self.problem(f"{label}: the rendered document is not an object; {_FAILS}", at(line0 + 1))
                return []
            if not value.get("kind") or not isinstance(value.get("kind"), str):
                self.problem(f"{label}: failed to read object: Object 'Kind' is missing; {_FAILS}", value.pos)
                return []
            items = value.get("items")
            for obj in [i for i in items if isinstance(i, YMap)] if isinstance(items, list) else [value]:
                if single or _is_kubernetes_object(obj):
                    objects.append(obj)
                elif not _is_kustomize_config(obj):
                    self.problem(
                        f"{label}: a rendered {obj.get('kind')} without apiVersion or metadata.name is "
                        "dropped silently by flux-operator",
                        obj.pos,
                        fatal=False,
                    )
        return objects

    def render_resource(
        self, entry: YMap, inputs: list[dict[str, Any]], label: str, pos: Pos | None
    ) -> list[YMap]:
        fallback = pos or Pos(self.file, 0, 0)
        try:
            emitted = dump_document(entry)
        except HomeopsError as exc:
            self.problem(f"{label}: {exc.message}; {_FAILS}", fallback)
            return []
        table = emitted_positions(entry, emitted, fallback)

        def at(line: int) -> Pos:
            return table[min(max(line, 1), len(table)) - 1]

        objects: list[YMap] = []
        for rendered in self.execute(emitted, inputs, label, at):
            where = source_positions(rendered.origins, at)
            for obj in self.decode(rendered, where, label, single=True):
                obj.pos = fallback
                objects.append(obj)
        return objects

    def render_template(
        self, text: str, inputs: list[dict[str, Any]], label: str, kpos: Pos | None
    ) -> list[YMap]:
        base = kpos or Pos(self.file, 0, 0)
        first = base.line + 1 if "\n" in text.rstrip("\n") or text.endswith("\n") else base.line

        def at(line: int, col: int = 1) -> Pos:
            return Pos(base.file, first + max(line, 1) - 1, base.column + 1 + col)

        objects: list[YMap] = []
        for rendered in self.execute(text, inputs, label, at):
            objects.extend(self.decode(rendered, source_positions(rendered.origins, at), label, single=False))
        return objects

    # -- metadata
    def finish(self, objects: list[YMap], spec: YMap) -> None:
        common = as_map(spec.get("commonMetadata"))
        owner = {OWNER_NAME_LABEL: self.name, OWNER_NAMESPACE_LABEL: self.namespace}
        for obj in objects:
            self.runtime_annotations(obj)
            self.merge_metadata(obj, "labels", owner)
            for field_name in ("labels", "annotations"):
                extra = as_map(common.get(field_name))
                if extra:
                    self.merge_metadata(obj, field_name, {str(k): str(v) for k, v in extra.items()})

    def runtime_annotations(self, obj: YMap) -> None:
        """Report the annotations whose effect needs the cluster (copied data, checksums)."""
        meta = as_map(obj.get("metadata"))
        what = f"{obj.get('kind')}/{meta.get('namespace') or ''}/{meta.get('name')}"
        for key, value in as_map(meta.get("annotations")).items():
            if key in RUNTIME_ANNOTATIONS:
                self.unresolved.append(
                    f"{self.label}: {what}: {key}: {value}: {RUNTIME_ANNOTATIONS[key]}; not expanded"
                )

    def merge_metadata(self, obj: YMap, field_name: str, extra: dict[str, str]) -> None:
        meta = obj.get("metadata")
        if not isinstance(meta, YMap):
            meta = YMap(pos=obj.pos)
            obj["metadata"] = meta
        current = meta.get(field_name)
        if isinstance(current, dict) and any(not isinstance(v, str) for v in current.values()):
            bad = next(k for k, v in current.items() if not isinstance(v, str))
            self.problem(
                f"{obj.get('kind')}/{meta.get('name')}: {field_name} value of {bad} is not a string; "
                f"flux-operator drops all of the object's own {field_name} when it adds its own",
                current.kpos.get(bad) if isinstance(current, YMap) else obj.pos,
                fatal=False,
            )
            current = None
        merged = current if isinstance(current, YMap) else YMap(current or {}, pos=meta.pos)
        merged.update(extra)
        meta[field_name] = merged

    def run(self) -> list[YMap]:
        spec = as_map(self.obj.get("spec"))
        annotations = as_map(as_map(self.obj.get("metadata")).get("annotations"))
        if str(annotations.get(RECONCILE_ANNOTATION, "")).lower() == "disabled":
            self.unresolved.append(
                f"{self.label}: reconciliation is disabled ({RECONCILE_ANNOTATION}: disabled); "
                "nothing is generated"
            )
            return []
        steps = spec.get("steps")
        step_seq = steps if isinstance(steps, YSeq) else YSeq(as_seq(steps))
        if step_seq and (spec.get("resources") or spec.get("resourcesTemplate")):
            self.problem(
                f"spec.steps is mutually exclusive with spec.resources and spec.resourcesTemplate; {_FAILS}",
                spec.key_pos("steps"),
            )
            return []
        if not step_seq and not spec.get("resources") and not spec.get("resourcesTemplate"):
            return []
        inputs = self.inputs(spec)
        if inputs is None:
            return []
        if not step_seq:
            objects = self.build(spec, inputs, "spec.")
        else:
            objects = []
            owner: dict[tuple[str, str, str, str], str] = {}
            for i, step in enumerate(step_seq):
                step_map = as_map(step)
                step_name = str(step_map.get("name") or "")
                if not step_map.get("resources") and not step_map.get("resourcesTemplate"):
                    self.problem(
                        f'step "{step_name}": at least one of resources or resourcesTemplate must be set; '
                        f"{_FAILS}",
                        step_seq.item_pos(i),
                    )
                    continue
                for obj in self.build(step_map, inputs, f"spec.steps[{i}]."):
                    key = _object_key(obj)
                    if owner.get(key, step_name) != step_name:
                        self.problem(
                            f'duplicate resource {key[1]}/{key[2]}/{key[3]} in step "{step_name}", '
                            f'already defined in step "{owner[key]}"; {_FAILS}',
                            obj.pos,
                        )
                    elif key not in owner:
                        owner[key] = step_name
                        objects.append(obj)
        if self.failed:
            return []
        self.finish(objects, spec)
        return objects


def _go_json(value: Any) -> Any:
    """An input value after the Kubernetes JSON round trip: integral floats become ints."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _go_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_json(v) for v in value]
    return value


def _normalize_key(name: str) -> str:
    """flux-operator's NormalizeKeyForTemplate."""
    chars: list[str] = []
    for c in name:
        c = c.lower()
        if c.isspace() or unicodedata.category(c).startswith("P"):
            chars.append("_")
        elif ("a" <= c <= "z") or ("0" <= c <= "9"):
            chars.append(c)
    return "_".join(w for w in "".join(chars).split("_") if w)


def _object_key(obj: YMap) -> tuple[str, str, str, str]:
    api = obj.get("apiVersion")
    group = api.rpartition("/")[0] if isinstance(api, str) else ""
    meta = as_map(obj.get("metadata"))
    kind, ns, name = obj.get("kind"), meta.get("namespace"), meta.get("name")
    return group, str(kind or ""), ns if isinstance(ns, str) else "", name if isinstance(name, str) else ""


def _disabled(obj: YMap) -> bool:
    annotations = as_map(as_map(obj.get("metadata")).get("annotations"))
    return annotations.get(RECONCILE_ANNOTATION) == "disabled"


def _is_kubernetes_object(obj: YMap) -> bool:
    name = as_map(obj.get("metadata")).get("name")
    return all(isinstance(v, str) and v for v in (name, obj.get("kind"), obj.get("apiVersion")))


def _is_kustomize_config(obj: YMap) -> bool:
    kind, api = obj.get("kind"), obj.get("apiVersion")
    return (
        isinstance(kind, str)
        and kind.lower() == "kustomization"
        and isinstance(api, str)
        and api.startswith("kustomize.config.k8s.io/")
    )


def expand_resourceset(obj: YMap) -> ResourceSetExpansion:
    """The objects a static ResourceSet generates, with its problems and what cannot be expanded offline.

    Never raises for a bad ResourceSet: template and decoding errors are problems with their file:line.
    """
    expander = _Expander(obj)
    try:
        objects = expander.run()
    except _Abort:
        objects = []
    return ResourceSetExpansion(objects, expander.problems, expander.unresolved)
