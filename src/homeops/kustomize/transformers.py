"""The simple built-in kustomize steps: ``namespace:``, ``namePrefix:``/``nameSuffix:``
and ``replicas:`` (labels, annotations and images live in their own modules).

Each step acts where ``ctx.tconfig`` says (so ``configurations:`` files extend it) and mirrors kustomize
v5.7.1's transformer of the same name, including its special cases.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from homeops.errors import BuildError
from homeops.kustomize.context import KContext
from homeops.kustomize.fieldpath import CreateKind
from homeops.kustomize.images import apply_images
from homeops.kustomize.kyamlpath import go_text
from homeops.kustomize.labels import apply_common_annotations, apply_common_labels, apply_labels
from homeops.kustomize.resource import ResId, ResMap, Resource
from homeops.kustomize.tconfig import gvk_string, is_selected
from homeops.kustomize.txcommon import (
    NodeKindError,
    apply_spec,
    expect_entry,
    expect_list,
    expect_str,
    orig_selected,
    record_rename,
)

__all__ = [
    "apply_common_annotations",
    "apply_common_labels",
    "apply_images",
    "apply_labels",
    "apply_name_prefix",
    "apply_name_suffix",
    "apply_namespace",
    "apply_prefix_suffix",
    "apply_replicas",
]


# -- namespace: --------------------------------------------------------------------------------------

_ROLE_BINDINGS = ("RoleBinding", "ClusterRoleBinding")


def apply_namespace(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``namespace:``: set metadata.namespace of namespaced resources, and the configured namespace fields.

    As kustomize: cluster-scoped kinds keep no namespace; a core ``v1`` Namespace is renamed to the
    namespace; RoleBinding/ClusterRoleBinding subjects named ``default`` get the namespace (whatever their
    kind); existing namespaces are overwritten.
    """
    where = ctx.field_location("namespace")
    namespace = expect_str(value, "namespace", where)
    if not namespace:
        return

    def setter(_current: Any) -> Any:
        return namespace

    # How many resources hold each identity; only the resource being transformed changes its own.
    held = Counter(_same_object_key(r.cur_id()) for r in resmap)
    for res in resmap:
        if not res.obj:
            continue
        before = res.cur_id()
        held[_same_object_key(before)] -= 1
        specs = [
            fs
            for fs in ctx.tconfig.namespace
            if fs.path != "metadata/namespace" and (res.api_version == "v1" or fs.path != "metadata/name")
        ]
        if not res.is_cluster_scoped:
            # kustomize stores the previous id of every resource it visits, changed or not: name references
            # (a binding's ServiceAccount subject) then follow the resource even when its namespace stays.
            res.prev_ids.append(res.cur_id())
            res.metadata["namespace"] = namespace
        before = res.cur_id()
        if res.kind in _ROLE_BINDINGS:
            specs = [
                fs for fs in specs if not (fs.kind in _ROLE_BINDINGS and fs.path == "subjects/namespace")
            ]
            _set_default_subjects(res, namespace, where)
        for fs in specs:
            apply_spec(res, fs, setter, CreateKind.SCALAR, where)
        record_rename(res, before)  # a v1 Namespace renamed to the namespace
        cur = res.cur_id()
        held[_same_object_key(cur)] += 1
        if held[_same_object_key(cur)] != 1:
            matches = [r for r in resmap if r.cur_id().same_object(cur)]
            raise BuildError(
                f"namespace transformation produces ID conflict: {[str(r.cur_id()) for r in matches]}",
                location=where,
            )


def _same_object_key(rid: ResId) -> tuple[str, str, str, str, str]:
    """What ``ResId.same_object`` compares."""
    return rid.group, rid.version, rid.kind, rid.name, rid.effective_namespace


def _set_default_subjects(res: Resource, namespace: str, where: Any) -> None:
    subjects = res.obj.get("subjects")
    if subjects is None:
        return
    if not isinstance(subjects, list):
        raise BuildError(
            f"setting namespace on (cluster)role binding subjects of {res.cur_id()}: "
            f"wrong node kind: expected SequenceNode but got {type(subjects).__name__}",
            location=where,
        )
    for subject in subjects:
        if not isinstance(subject, dict):
            raise BuildError(
                f"looking up name on (cluster)role binding subject of {res.cur_id()}: "
                "wrong node kind: expected MappingNode but got ScalarNode",
                location=where,
            )
        if subject.get("name") == "default":
            subject["namespace"] = namespace


# -- namePrefix: / nameSuffix: -------------------------------------------------------------------------

# kustomize never renames these (by the resource's original id)
_AFFIX_SKIP = (("", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"), ("", "Namespace"))


def apply_prefix_suffix(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``namePrefix:`` and ``nameSuffix:`` together, as kustomize's PrefixSuffixTransformer.

    Both are read from ``ctx.kustomization`` (``value`` is not used). Both use the ``namePrefix`` field
    specs of ``ctx.tconfig`` (kustomize ignores ``nameSuffix`` specs). CustomResourceDefinitions,
    Namespaces and ``apiregistration.k8s.io`` APIServices keep their names.
    """
    del value
    _prefix_suffix(resmap, ctx.kustomization.get("namePrefix"), ctx.kustomization.get("nameSuffix"), ctx)


def _prefix_suffix(resmap: ResMap, prefix: Any, suffix: Any, ctx: KContext) -> None:
    pre = expect_str(prefix, "namePrefix", ctx.field_location("namePrefix"))
    suf = expect_str(suffix, "nameSuffix", ctx.field_location("nameSuffix"))
    if not pre and not suf:
        return  # kustomize rewrites each name to itself: nothing changes
    where = ctx.field_location("namePrefix" if pre else "nameSuffix")

    def setter(current: Any) -> Any:
        return f"{pre}{go_text(current)}{suf}"  # a mapping or a list counts as empty

    for res in resmap:
        oid = res.orig_id()
        if any(oid.kind == kind and (not group or oid.group == group) for group, kind in _AFFIX_SKIP):
            continue
        for fs in ctx.tconfig.name_prefix:
            if not orig_selected(res, fs):
                continue
            before = res.cur_id()
            if fs.path == "metadata/name":  # kustomize records the affixes once per such spec
                if pre:
                    res.name_prefixes.append(pre)
                if suf:
                    res.name_suffixes.append(suf)
            apply_spec(res, fs, setter, CreateKind.SCALAR, where)
            if fs.path == "metadata/name":
                record_rename(res, before)


def apply_name_prefix(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``namePrefix:`` alone (see ``apply_prefix_suffix``; use that one when both are set)."""
    _prefix_suffix(resmap, value, "", ctx)


def apply_name_suffix(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``nameSuffix:`` alone (see ``apply_prefix_suffix``; use that one when both are set)."""
    _prefix_suffix(resmap, "", value, ctx)


# -- replicas: ---------------------------------------------------------------------------------------


def apply_replicas(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``replicas:``: set the count on resources named ``name`` (original or current name).

    Acts at ``ctx.tconfig.replicas`` (creating the field); an entry matching no resource is an error, as
    in kustomize. A string count field stays a string.
    """
    for i, item in enumerate(expect_list(value, "replicas", ctx)):
        where = ctx.where(value, i)
        entry = expect_entry(item, "replicas", value, i, ctx)
        name = expect_str(entry.get("name"), "replicas[].name", where)
        count = entry.get("count", 0)
        if count is None:
            count = 0
        if isinstance(count, bool) or not isinstance(count, int):
            raise BuildError(
                f"invalid Kustomization: replicas[].count must be an integer, not {go_text(count)!r}",
                location=ctx.where(entry, "count"),
            )
        _apply_replica(resmap, name, count, ctx, where)


def _apply_replica(resmap: ResMap, name: str, count: int, ctx: KContext, where: Any) -> None:
    def setter(current: Any) -> Any:
        if isinstance(current, (dict, list)):
            raise NodeKindError("ScalarNode", current)
        return str(count) if isinstance(current, str) else count

    found = False
    for fs in ctx.tconfig.replicas:
        for res in resmap:
            ids = (res.orig_id(), res.cur_id())
            if any(rid.name == name and is_selected(rid.group, rid.version, rid.kind, fs) for rid in ids):
                found = True
                apply_spec(res, fs, setter, CreateKind.SCALAR, where)
    if not found:
        gvks = " ".join(gvk_string(fs.group, fs.version, fs.kind) for fs in ctx.tconfig.replicas)
        raise BuildError(
            f"resource with name {name} does not match a config with the following GVK [{gvks}]",
            location=where,
        )
