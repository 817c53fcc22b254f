"""Resources and resource maps: the objects a kustomize build accumulates, with kustomize's bookkeeping.

A ``Resource`` wraps one object (a ``YMap``) and keeps what kustomize tracks beside it: where it came from,
the ids it had before names or namespaces changed (name references are fixed through them), and the
generator settings (merge behavior, whether a content-hash suffix is due).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from homeops.kustomize.gvk import split_api_version as split_api_version
from homeops.yaml.nodes import Pos, YMap

# Resource types that kustomize's built-in schema (Kubernetes v1.21.2, plus kyaml's precomputed scopes) knows
# as cluster-scoped, by apiVersion and kind: openapi.IsCertainlyClusterScoped. Any other type, a custom
# ``example.com/v1`` Namespace or a ``flowcontrol.apiserver.k8s.io/v1`` FlowSchema alike, is namespaced.
_WEBHOOKS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_CLUSTER_SCOPED_BY_VERSION: dict[str, tuple[str, ...]] = {
    "admissionregistration.k8s.io/v1": _WEBHOOKS,
    "admissionregistration.k8s.io/v1beta1": _WEBHOOKS,
    "apiextensions.k8s.io/v1": ("CustomResourceDefinition",),
    "apiextensions.k8s.io/v1beta1": ("CustomResourceDefinition",),
    "apiregistration.k8s.io/v1": ("APIService",),
    "apiregistration.k8s.io/v1beta1": ("APIService",),
    "certificates.k8s.io/v1": ("CertificateSigningRequest",),
    "certificates.k8s.io/v1beta1": ("CertificateSigningRequest",),
    "flowcontrol.apiserver.k8s.io/v1beta1": ("FlowSchema", "PriorityLevelConfiguration"),
    "networking.k8s.io/v1": ("IngressClass",),
    "networking.k8s.io/v1beta1": ("IngressClass",),
    "node.k8s.io/v1": ("RuntimeClass",),
    "node.k8s.io/v1beta1": ("RuntimeClass",),
    "policy/v1beta1": ("PodSecurityPolicy",),
    "rbac.authorization.k8s.io/v1": ("ClusterRole", "ClusterRoleBinding"),
    "rbac.authorization.k8s.io/v1beta1": ("ClusterRole", "ClusterRoleBinding"),
    "scheduling.k8s.io/v1": ("PriorityClass",),
    "scheduling.k8s.io/v1beta1": ("PriorityClass",),
    "storage.k8s.io/v1": ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
    "storage.k8s.io/v1beta1": ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
    "v1": ("ComponentStatus", "Namespace", "Node", "NodeProxyOptions", "PersistentVolume"),
}
CLUSTER_SCOPED_TYPES: frozenset[tuple[str, str]] = frozenset(
    (api_version, kind) for api_version, kinds in _CLUSTER_SCOPED_BY_VERSION.items() for kind in kinds
)
"""(apiVersion, kind) pairs kustomize knows as cluster-scoped; every other type counts as namespaced."""

NOT_NAMESPACEABLE = "_non_namespaceable_"
"""kyaml's effective namespace of a cluster-scoped id (``resid.TotallyNotANamespace``)."""


def is_cluster_scoped_type(api_version: str, kind: str) -> bool:
    """kyaml's ``openapi.IsCertainlyClusterScoped`` for the built-in schema: by apiVersion and kind."""
    return (api_version, kind) in CLUSTER_SCOPED_TYPES


def join_api_version(group: str, version: str) -> str:
    """kyaml's ``Gvk.ApiVersion``: ``group/version``, or ``version`` alone for the core group."""
    return f"{group}/{version}" if group else version


def effective_namespace(namespace: str, cluster_scoped: bool = False) -> str:
    """kyaml's ``ResId.EffectiveNamespace``: none for cluster-scoped ids, ``default`` for an empty one."""
    if cluster_scoped:
        return NOT_NAMESPACEABLE
    return namespace if namespace not in ("", "default") else "default"


def gvk_string(group: str, version: str, kind: str) -> str:
    """kyaml's ``Gvk.String()``, e.g. ``Deployment.v1.apps`` or ``ConfigMap.[noVer].[noGrp]``."""
    return f"{kind or '[noKind]'}.{version or '[noVer]'}.{group or '[noGrp]'}"


def id_string(group: str, version: str, kind: str, name: str, namespace: str) -> str:
    """kyaml's ``ResId.String()``, e.g. ``ConfigMap.v1.[noGrp]/settings.[noNs]``."""
    return f"{gvk_string(group, version, kind)}/{name or '[noName]'}.{namespace or '[noNs]'}"


class ResId(NamedTuple):
    """Identity of a resource: group, version, kind, namespace and name (a named tuple: a build makes tens
    of thousands, and a frozen dataclass sets each field through ``object.__setattr__``)."""

    group: str
    version: str
    kind: str
    name: str
    namespace: str = ""

    @property
    def api_version(self) -> str:
        """``group/version`` (``version`` alone for the core group)."""
        return join_api_version(self.group, self.version)

    @property
    def is_cluster_scoped(self) -> bool:
        """Whether kustomize knows the id's type (apiVersion and kind) as cluster-scoped."""
        return is_cluster_scoped_type(self.api_version, self.kind)

    @property
    def effective_namespace(self) -> str:
        """kyaml's ``EffectiveNamespace``: ``_non_namespaceable_`` if cluster-scoped, empty -> ``default``."""
        return effective_namespace(self.namespace, self.is_cluster_scoped)

    def kyaml_str(self) -> str:
        """The id as kustomize prints it in messages: ``Kind.version.group/name.namespace`` with fillers."""
        return id_string(self.group, self.version, self.kind, self.name, self.namespace)

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
        return self.effective_namespace == other.effective_namespace

    def __str__(self) -> str:
        ns = self.namespace or ("" if self.is_cluster_scoped else "[noNs]")
        return f"{self.kind}.{self.version}.{self.group}/{self.name}.{ns}".replace("..", ".")


class Resource:
    """One object in a build, with kustomize's bookkeeping."""

    __slots__ = (
        "behavior",
        "name_prefixes",
        "name_suffixes",
        "needs_hash",
        "obj",
        "origin",
        "prev_ids",
        "refby",
    )

    def __init__(self, obj: YMap, origin: Pos | None = None) -> None:
        self.obj = obj
        self.origin = origin
        self.prev_ids: list[ResId] = []
        self.behavior = ""  # generators: "create", "merge" or "replace"; "" for plain resources
        self.needs_hash = False  # a generator asked for the content-hash name suffix
        self.refby: list[ResId] = []
        # namePrefix/nameSuffix values applied to the name, innermost kustomization first (kustomize's
        # prefixes/suffixes build annotations); name references use them to tell candidates apart
        self.name_prefixes: list[str] = []
        self.name_suffixes: list[str] = []

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

    @property
    def is_cluster_scoped(self) -> bool:
        """Whether kustomize knows the resource's type (apiVersion and kind) as cluster-scoped."""
        return is_cluster_scoped_type(self.api_version, self.kind)

    def cur_id(self) -> ResId:
        obj = self.obj  # the accessors' reads, inline: a build asks for ids tens of thousands of times
        api_version, kind, md = obj.get("apiVersion"), obj.get("kind"), obj.get("metadata")
        g, v = split_api_version(api_version if isinstance(api_version, str) else "")
        name = md.get("name") if isinstance(md, dict) else None
        namespace = md.get("namespace") if isinstance(md, dict) else None
        return ResId(
            g,
            v,
            kind if isinstance(kind, str) else "",
            name if isinstance(name, str) else ("" if name is None else str(name)),
            namespace if isinstance(namespace, str) else "",
        )

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
        r.name_prefixes = list(self.name_prefixes)
        r.name_suffixes = list(self.name_suffixes)
        return r

    def __repr__(self) -> str:
        return f"Resource({self.cur_id()})"


def _registered(rid: ResId) -> ValueError:
    """kustomize's error for a resource whose id the map holds already."""
    return ValueError(f"may not add resource with an already registered id: {rid}")


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
        name = rid.name
        for other in self._items:  # ``other.name`` inlined: a build makes tens of thousands of these tests
            md = other.obj.get("metadata")
            v = md.get("name") if isinstance(md, dict) else None
            if v != name and (isinstance(v, str) or ("" if v is None else str(v)) != name):
                continue
            if other.cur_id().same_object(rid):
                raise _registered(rid)
        self._items.append(res)

    def appender(self) -> Appender:
        """An ``append`` for a run of appends during which no resource of the map changes (see
        ``Appender``)."""
        return Appender(self)

    def append_all(self, other: Iterable[Resource]) -> None:
        for r in other:
            self.append(r)

    def remove(self, res: Resource) -> None:
        self._items = [r for r in self._items if r is not res]

    def replace(self, old: Resource, new: Resource) -> None:
        self._items = [new if r is old else r for r in self._items]

    def set_all(self, resources: Iterable[Resource]) -> None:
        self._items = list(resources)


class Appender:
    """Appends to a ``ResMap`` as ``ResMap.append`` does, finding an already registered id through an index
    of the map's resources by name instead of a scan of them all (a kustomization of hundreds of resources
    made that quadratic). The index is made when the appender is, so it serves only while no resource of
    the map changes: the resources of one kustomization as they are loaded, before any transformer."""

    def __init__(self, resmap: ResMap) -> None:
        self.resmap = resmap
        self._by_name: dict[str, list[Resource]] = {}
        for res in resmap:
            self._by_name.setdefault(res.cur_id().name, []).append(res)

    def append(self, res: Resource) -> None:
        """Add ``res``; raises ValueError if one with the same current id is already present."""
        rid = res.cur_id()
        named = self._by_name.setdefault(rid.name, [])
        for other in named:
            if other.cur_id().same_object(rid):
                raise _registered(rid)
        self.resmap._items.append(res)
        named.append(res)
