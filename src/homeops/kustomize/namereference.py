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
from typing import Any

from homeops.errors import BuildError
from homeops.kustomize.resource import CLUSTER_SCOPED_KINDS, ResId, ResMap, Resource, split_api_version
from homeops.kustomize.tconfig import FieldSpec, NameBackRef, TransformerConfig
from homeops.yaml.nodes import YMap

_NOT_NS = "_non_namespaceable_"

Sieve = Callable[[Resource], bool]


def fix_name_references(resmap: ResMap, tconfig: TransformerConfig) -> None:
    """Rewrite name references in ``resmap`` to the current names of the resources they refer to."""
    resources = resmap.resources()
    for referrer in resources:
        org = referrer.orig_id()
        filters = [
            (backref, spec)
            for backref in tconfig.name_reference
            for spec in backref.referrers
            if _gvk_selected(org.group, org.version, org.kind, spec.group, spec.version, spec.kind)
        ]
        if not filters:
            continue
        candidates = _subset_referable(resources, referrer)
        for backref, spec in filters:
            fixer = _Fixer(referrer, spec, backref, candidates)
            try:
                _walk(referrer.obj, _split_path(spec.path), fixer.set)
            except _NameRefError as exc:
                rid = kyaml_id(referrer.cur_id())
                raise BuildError(
                    f"updating name reference in '{spec.path}' field of '{rid}': {exc}"
                ) from None


class _NameRefError(Exception):
    pass


# -- ids ----------------------------------------------------------------------------------------------
def kyaml_id(rid: ResId) -> str:
    """A ResId as kustomize prints it: ``Kind.version.group/name.namespace`` with ``[noX]`` fillers."""
    gvk = ".".join([rid.kind or "[noKind]", rid.version or "[noVer]", rid.group or "[noGrp]"])
    return f"{gvk}/{rid.name or '[noName]'}.{rid.namespace or '[noNs]'}"


def _gvk_selected(
    group: str, version: str, kind: str, sel_group: str, sel_version: str, sel_kind: str
) -> bool:
    return (
        (not sel_group or sel_group == group)
        and (not sel_version or sel_version == version)
        and (not sel_kind or sel_kind == kind)
    )


def _effective_ns(rid: ResId) -> str:
    if rid.kind in CLUSTER_SCOPED_KINDS:
        return _NOT_NS
    return rid.namespace if rid.namespace not in ("", "default") else "default"


def _prev_ids(res: Resource) -> list[ResId]:
    """Previous ids as kustomize rebuilds them: current group/version, the recorded kind/name/namespace."""
    group, version = split_api_version(res.api_version)
    return [ResId(group, version, p.kind, p.name, p.namespace) for p in res.prev_ids]


def _affixes(res: Resource, which: str) -> list[str]:
    value = getattr(res, which, None)
    return [str(v) for v in value] if isinstance(value, list) else []


def _same_ending(a: list[str], b: list[str]) -> bool:
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
            or _effective_ns(cid) == _effective_ns(rid)
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
                    f'Invalid Input: namespace is blank for resource "{kyaml_id(referrer.cur_id())}"'
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
        old = _text(holder[key])
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
            candidates = self._by_namespace(_text(node["namespace"]))
        old = _text(node["name"])
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
            by_orig.setdefault(_effective_ns(res.orig_id()), []).append(res)
            by_cur.setdefault(_effective_ns(res.cur_id()), []).append(res)
        by_orig.pop(_NOT_NS, None)
        by_cur.pop(_NOT_NS, None)
        if namespace in by_orig:
            return by_orig[namespace]
        return by_cur.get(namespace, [])

    def _select(self, old: str, candidates: list[Resource], *, with_namespace: bool) -> Resource | None:
        """kustomize's ``selectReferral``: sieve the candidates; more than one distinct is an error."""
        t = self.target
        sieves: list[Sieve] = [
            lambda r: any(p.name == old for p in r.prev_ids),
            lambda r: any(
                _gvk_selected(p.group, p.version, p.kind, t.group, t.version, t.kind) for p in _prev_ids(r)
            ),
            self._role_ref_sieve(),
            self._same_namespace_sieve(),
        ]
        for sieve in sieves:
            candidates = [r for r in candidates if sieve(r)]
        if len(candidates) == 1:
            return candidates[0]
        prefixes = _affixes(self.referrer, "name_prefixes")
        suffixes = _affixes(self.referrer, "name_suffixes")
        candidates = [
            r
            for r in candidates
            if _same_ending(_affixes(r, "name_prefixes"), prefixes)
            and _same_ending(_affixes(r, "name_suffixes"), suffixes)
        ]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        first = candidates[0]
        if all(
            r.name == first.name and (not with_namespace or r.namespace == first.namespace)
            for r in candidates
        ):
            return first
        ids = ", ".join(kyaml_id(r.cur_id()) for r in candidates)
        raise _NameRefError(f" found multiple possible referrals: {ids}")

    def _role_ref_sieve(self) -> Sieve:
        if not self.spec.path.endswith("roleRef/name"):
            return _accept_all
        role_ref = self.referrer.obj.get("roleRef")
        if not isinstance(role_ref, dict) or role_ref.get("apiGroup") is None or role_ref.get("kind") is None:
            return _accept_all
        group, kind = _text(role_ref["apiGroup"]), _text(role_ref["kind"])
        return lambda r: any(_gvk_selected(p.group, p.version, p.kind, group, "", kind) for p in _prev_ids(r))

    def _same_namespace_sieve(self) -> Sieve:
        rid = self.referrer.cur_id()
        if rid.is_cluster_scoped:
            return _accept_all
        ns = _effective_ns(rid)
        return (
            lambda r: r.cur_id().is_cluster_scoped
            or r.kind == "ServiceAccount"
            or _effective_ns(r.cur_id()) == ns
        )


def _accept_all(_: Resource) -> bool:
    return True


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


# -- field spec paths (kustomize's fieldspec filter, without creation) -----------------------------------
def _split_path(path: str) -> list[str]:
    """Split a field spec path on ``/``; ``\\/`` escapes a slash."""
    parts: list[str] = []
    for piece in path.split("/"):
        if parts and parts[-1].endswith("\\"):
            parts[-1] = parts[-1][:-1] + "/" + piece
        else:
            parts.append(piece)
    return parts


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
    if not isinstance(node, YMap | dict):
        raise _NameRefError(f"at path '{'/'.join(parts)}': expected sequence or mapping node")
    name = parts[0][:-2] if parts[0].endswith("[]") else parts[0]
    if name not in node:
        return
    if node[name] is None and len(parts) > 1:
        return
    _walk_at(node, name, parts[1:], setter)
