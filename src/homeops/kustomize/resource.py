"""Resources and resource maps: the objects a kustomize build accumulates, with kustomize's bookkeeping.

A ``Resource`` wraps one object (a ``YMap``) and keeps what kustomize tracks beside it: where it came from,
the ids it had before names or namespaces changed (name references are fixed through them), and the
generator settings (merge behavior, whether a content-hash suffix is due).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from homeops.yaml.nodes import Pos, YMap

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "SelfSubjectAccessReview",
        "SelfSubjectRulesReview",
        "StorageClass",
        "SubjectAccessReview",
        "TokenReview",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
"""Kinds that kustomize's built-in schema knows as cluster-scoped. Everything else counts as namespaced."""


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    group, sep, version = api_version.partition("/")
    if sep:
        return group, version
    return "", api_version


@dataclass(frozen=True, slots=True)
class ResId:
    """Identity of a resource: group, version, kind, namespace and name."""

    group: str
    version: str
    kind: str
    name: str
    namespace: str = ""

    @property
    def is_cluster_scoped(self) -> bool:
        return self.kind in CLUSTER_SCOPED_KINDS

    def gvk_str(self) -> str:
        """kustomize's GVK string, e.g. ``apps_v1_Deployment`` or ``~G_v1_ConfigMap``."""
        g = self.group or "~G"
        v = self.version or "~V"
        k = self.kind or "~K"
        return f"{g}_{v}_{k}"

    def same_object(self, other: ResId) -> bool:
        """Equal gvk, name and namespace; for namespaced kinds an empty namespace equals ``default``."""
        if (self.group, self.version, self.kind, self.name) != (
            other.group,
            other.version,
            other.kind,
            other.name,
        ):
            return False
        return _ns_key(self) == _ns_key(other)

    def __str__(self) -> str:
        ns = self.namespace or ("" if self.is_cluster_scoped else "[noNs]")
        return f"{self.kind}.{self.version}.{self.group}/{self.name}.{ns}".replace("..", ".")


def _ns_key(rid: ResId) -> str:
    if rid.is_cluster_scoped:
        return ""
    return rid.namespace or "default"


class Resource:
    """One object in a build, with kustomize's bookkeeping."""

    __slots__ = ("behavior", "needs_hash", "obj", "origin", "prev_ids", "refby")

    def __init__(self, obj: YMap, origin: Pos | None = None) -> None:
        self.obj = obj
        self.origin = origin
        self.prev_ids: list[ResId] = []
        self.behavior = ""  # generators: "create", "merge" or "replace"; "" for plain resources
        self.needs_hash = False  # a generator asked for the content-hash name suffix
        self.refby: list[ResId] = []

    # -- accessors ---------------------------------------------------------------------------------
    @property
    def api_version(self) -> str:
        v = self.obj.get("apiVersion")
        return v if isinstance(v, str) else ""

    @property
    def kind(self) -> str:
        v = self.obj.get("kind")
        return v if isinstance(v, str) else ""

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def version(self) -> str:
        return split_api_version(self.api_version)[1]

    @property
    def metadata(self) -> YMap:
        md = self.obj.get("metadata")
        if not isinstance(md, YMap):
            md = YMap()
            self.obj["metadata"] = md
        return md

    @property
    def name(self) -> str:
        md = self.obj.get("metadata")
        v = md.get("name") if isinstance(md, dict) else None
        return v if isinstance(v, str) else ("" if v is None else str(v))

    @property
    def namespace(self) -> str:
        md = self.obj.get("metadata")
        v = md.get("namespace") if isinstance(md, dict) else None
        return v if isinstance(v, str) else ""

    def cur_id(self) -> ResId:
        g, v = split_api_version(self.api_version)
        return ResId(g, v, self.kind, self.name, self.namespace)

    def orig_id(self) -> ResId:
        """The id the resource had when it was first loaded or generated."""
        return self.prev_ids[0] if self.prev_ids else self.cur_id()

    def all_ids(self) -> list[ResId]:
        """Every id the resource has had, oldest first, ending with the current one."""
        return [*self.prev_ids, self.cur_id()]

    # -- mutation that kustomize tracks ---------------------------------------------------------------
    def set_name(self, name: str) -> None:
        if name != self.name:
            self.prev_ids.append(self.cur_id())
            self.metadata["name"] = name

    def set_namespace(self, namespace: str) -> None:
        if namespace != self.namespace:
            self.prev_ids.append(self.cur_id())
            self.metadata["namespace"] = namespace

    def labels(self) -> dict[str, Any]:
        v = self.metadata.get("labels")
        return v if isinstance(v, dict) else {}

    def annotations(self) -> dict[str, Any]:
        v = self.metadata.get("annotations")
        return v if isinstance(v, dict) else {}

    def copy(self) -> Resource:
        from homeops.yaml.nodes import deep_copy

        r = Resource(deep_copy(self.obj), self.origin)
        r.prev_ids = list(self.prev_ids)
        r.behavior = self.behavior
        r.needs_hash = self.needs_hash
        r.refby = list(self.refby)
        return r

    def __repr__(self) -> str:
        return f"Resource({self.cur_id()})"


class ResMap:
    """An ordered collection of resources, as kustomize's resource map."""

    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self._items: list[Resource] = list(resources)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def resources(self) -> list[Resource]:
        return list(self._items)

    def find(self, rid: ResId) -> list[Resource]:
        """Resources whose current id is ``rid``."""
        return [r for r in self._items if r.cur_id().same_object(rid)]

    def find_by_any_id(self, rid: ResId) -> list[Resource]:
        """Resources that have, or once had, id ``rid``."""
        return [r for r in self._items if any(i.same_object(rid) for i in r.all_ids())]

    def append(self, res: Resource) -> None:
        """Add a resource; raises ValueError if one with the same current id is already present."""
        rid = res.cur_id()
        for other in self._items:
            if other.cur_id().same_object(rid):
                raise ValueError(f"may not add resource with an already registered id: {rid}")
        self._items.append(res)

    def append_all(self, other: Iterable[Resource]) -> None:
        for r in other:
            self.append(r)

    def remove(self, res: Resource) -> None:
        self._items = [r for r in self._items if r is not res]

    def replace(self, old: Resource, new: Resource) -> None:
        self._items = [new if r is old else r for r in self._items]

    def set_all(self, resources: Iterable[Resource]) -> None:
        self._items = list(resources)
