"""kustomize's name-reference fixing (the ``nameReference`` transformer), as kustomize v5.7.1 runs it.

When a build renames a resource (``namePrefix``/``nameSuffix``, the content-hash suffix of generated
ConfigMaps and Secrets...), every field that refers to it by name has to follow. The transformer config
lists, per referred-to GVK (a ``NameBackRef``), the referrer field specs (``spec/volumes/configMap/name`` of
Deployments, ``subjects`` of RoleBindings...). For each referrer field holding a name, the candidates are
the resources that *previously* had that name (their ``prev_ids``) and a matching GVK; kustomize narrows
them by the referrer's namespace and name prefixes/suffixes and writes the candidate's current name (and,
for ``{name, namespace}`` maps, its namespace).

kustomize runs this once, at the top of the build only: ``KustTarget.makeCustomizedResMap`` accumulates the
whole tree, adds the content hashes to generated names, then calls ``ResAccumulator.FixBackReferences``
with the merged transformer config of every kustomization in the tree. Call ``fix_name_references`` at the
same point, before vars are resolved.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from homeops.errors import BuildError
from homeops.kustomize.builtin_config import default_name_filters, is_default_name_reference, name_filters
from homeops.kustomize.fieldpath import split_path
from homeops.kustomize.kyamlpath import go_text
from homeops.kustomize.resource import NOT_NAMESPACEABLE, ResId, ResMap, Resource, split_api_version
from homeops.kustomize.tconfig import FieldSpec, NameBackRef, TransformerConfig, is_selected
from homeops.yaml.nodes import YMap

Sieve = Callable[[Resource], bool]


def fix_name_references(resmap: ResMap, tconfig: TransformerConfig) -> None:
    """Rewrite name references in ``resmap`` to the current names of the resources they refer to."""
    resources = resmap.resources()
    refs = tconfig.name_reference
    select = default_name_filters if is_default_name_reference(refs) else partial(name_filters, refs)
    by_gvk: dict[tuple[str, str, str], tuple[tuple[NameBackRef, FieldSpec], ...]] = {}
    for referrer in resources:
        org = referrer.orig_id()
        gvk = (org.group, org.version, org.kind)
        filters = by_gvk.get(gvk)
        if filters is None:
            filters = by_gvk[gvk] = select(*gvk)
        if not filters:
            continue
        candidates = _subset_referable(resources, referrer)
        for backref, spec in filters:
            fixer = _Fixer(referrer, spec, backref, candidates)
            try:
                _walk(referrer.obj, split_path(spec.path), fixer.set)
            except _NameRefError as exc:
                rid = referrer.cur_id().kyaml_str()
                raise BuildError(
                    f"updating name reference in '{spec.path}' field of '{rid}': {exc}"
                ) from None


class _NameRefError(Exception):
    pass


# -- ids ----------------------------------------------------------------------------------------------
def _prev_ids(res: Resource) -> list[ResId]:
    """Previous ids as kustomize rebuilds them: current group/version, the recorded kind/name/namespace."""
    group, version = split_api_version(res.api_version)
    return [ResId(group, version, p.kind, p.name, p.namespace) for p in res.prev_ids]


def _same_ending(a: list[str], b: list[str]) -> bool:
    """kustomize's ``SameEndingSubSlice``: one list ends with the other; an empty one only matches empty."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if not short:
        return not long_
    return long_[len(long_) - len(short) :] == short


# -- candidates -----------------------------------------------------------------------------------------
def _subset_referable(resources: list[Resource], referrer: Resource) -> list[Resource]:
    """kustomize's ``SubsetThatCouldBeReferencedByResource``."""
    rid = referrer.cur_id()
    if rid.is_cluster_scoped:
        return list(resources)
    rb_namespaces = _rolebinding_sa_namespaces(referrer)
    result = []
    for res in resources:
        cid = res.cur_id()
        if (
            cid.is_cluster_scoped
            or cid.effective_namespace == rid.effective_namespace
            or res.namespace in rb_namespaces
        ):
            result.append(res)
    return result


def _rolebinding_sa_namespaces(referrer: Resource) -> set[str]:
    if referrer.kind != "RoleBinding":
        return set()
    subjects = referrer.obj.get("subjects")
    result: set[str] = set()
    if not isinstance(subjects, list):
        return result
    for subject in subjects:
        if isinstance(subject, dict) and "namespace" in subject and subject.get("kind") == "ServiceAccount":
            ns = subject["namespace"]
            if not isinstance(ns, str):
                raise BuildError(
                    f'Invalid Input: namespace is blank for resource "{referrer.cur_id().kyaml_str()}"'
                )
            result.add(ns)
    return result


class _Fixer:
    """The nameref filter for one referrer field spec."""

    def __init__(self, referrer: Resource, spec: FieldSpec, target: NameBackRef, candidates: list[Resource]):
        self.referrer = referrer
        self.spec = spec
        self.target = target
        self.candidates = candidates

    # The setter receives the holder of the node found at the field spec's path.
    def set(self, holder: Any, key: Any) -> None:
        node = holder[key]
        if node is None:
            return
        if isinstance(node, dict):
            self._set_mapping(node)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, dict):
                    self._set_mapping(item)
                elif item is not None and not isinstance(item, list):
                    self._set_scalar(node, i)
        else:
            self._set_scalar(holder, key)

    def _set_scalar(self, holder: Any, key: Any) -> None:
        old = go_text(holder[key])
        referral = self._select(old, self.candidates, with_namespace=False)
        if referral is None:
            return
        referral.refby.append(self.referrer.cur_id())
        if referral.name != old:
            holder[key] = referral.name

    def _set_mapping(self, node: dict[str, Any]) -> None:
        if "name" not in node:
            raise _NameRefError("path config error; no 'name' field in node")
        candidates = self.candidates
        if "namespace" in node:
            candidates = self._by_namespace(go_text(node["namespace"]))
        old = go_text(node["name"])
        referral = self._select(old, candidates, with_namespace=True)
        if referral is None:
            return
        referral.refby.append(self.referrer.cur_id())
        if referral.name == old and referral.namespace == "":
            return
        node["name"] = referral.name
        if referral.namespace:
            node["namespace"] = referral.namespace

    def _by_namespace(self, namespace: str) -> list[Resource]:
        by_orig: dict[str, list[Resource]] = {}
        by_cur: dict[str, list[Resource]] = {}
        for res in self.candidates:
            by_orig.setdefault(res.orig_id().effective_namespace, []).append(res)
            by_cur.setdefault(res.cur_id().effective_namespace, []).append(res)
        by_orig.pop(NOT_NAMESPACEABLE, None)
        by_cur.pop(NOT_NAMESPACEABLE, None)
        if namespace in by_orig:
            return by_orig[namespace]
        return by_cur.get(namespace, [])

    def _select(self, old: str, candidates: list[Resource], *, with_namespace: bool) -> Resource | None:
        """kustomize's ``selectReferral``: sieve the candidates; more than one distinct is an error."""
        t = self.target
        sieves: list[Sieve] = [
            lambda r: any(p.name == old for p in r.prev_ids),
            lambda r: any(is_selected(p.group, p.version, p.kind, t) for p in _prev_ids(r)),
            self._role_ref_sieve(),
            self._same_namespace_sieve(),
        ]
        for sieve in sieves:
            candidates = [r for r in candidates if sieve(r)]
        if len(candidates) == 1:
            return candidates[0]
        referrer = self.referrer
        candidates = [
            r
            for r in candidates
            if _same_ending(r.name_prefixes, referrer.name_prefixes)
            and _same_ending(r.name_suffixes, referrer.name_suffixes)
        ]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        first = candidates[0]
        if all(
            r.name == first.name and (not with_namespace or r.namespace == first.namespace)
            for r in candidates
        ):
            return first
        ids = ", ".join(r.cur_id().kyaml_str() for r in candidates)
        raise _NameRefError(f" found multiple possible referrals: {ids}")

    def _role_ref_sieve(self) -> Sieve:
        if not self.spec.path.endswith("roleRef/name"):
            return _accept_all
        role_ref = self.referrer.obj.get("roleRef")
        if not isinstance(role_ref, dict) or role_ref.get("apiGroup") is None or role_ref.get("kind") is None:
            return _accept_all
        gvk = ResId(go_text(role_ref["apiGroup"]), "", go_text(role_ref["kind"]), "")
        return lambda r: any(is_selected(p.group, p.version, p.kind, gvk) for p in _prev_ids(r))

    def _same_namespace_sieve(self) -> Sieve:
        rid = self.referrer.cur_id()
        if rid.is_cluster_scoped:
            return _accept_all
        ns = rid.effective_namespace
        return lambda r: (
            r.is_cluster_scoped or r.kind == "ServiceAccount" or r.cur_id().effective_namespace == ns
        )


def _accept_all(_: Resource) -> bool:
    return True


# -- field spec paths (kustomize's fieldspec filter, without creation) -----------------------------------
def _walk(node: Any, parts: list[str], setter: Callable[[Any, Any], None]) -> None:
    """Visit every node at ``parts`` (lists are traversed without consuming a part), calling
    ``setter(holder, key)`` on each; missing fields are skipped."""
    holder: list[Any] = [node]
    _walk_at(holder, 0, parts, setter)


def _walk_at(holder: Any, key: Any, parts: list[str], setter: Callable[[Any, Any], None]) -> None:
    if not parts:
        setter(holder, key)
        return
    node = holder[key]
    if isinstance(node, list):
        for i in range(len(node)):
            _walk_at(node, i, parts, setter)
        return
    if not isinstance(node, (YMap, dict)):
        raise _NameRefError(f"at path '{'/'.join(parts)}': expected sequence or mapping node")
    name = parts[0][:-2] if parts[0].endswith("[]") else parts[0]
    if name not in node:
        return
    if node[name] is None and len(parts) > 1:
        return
    _walk_at(node, name, parts[1:], setter)
