"""The ``--api-versions`` helm renders with: what ``.Capabilities.APIVersions.Has`` answers.

In the cluster, helm-controller's Helm reads the API server's discovery and gets every served group/version
and every ``group/version/Kind``. Offline, ``helm template`` only knows the group/versions compiled into its
client-go; we add, with ``--api-versions``:

* the APIs a default Kubernetes 1.33 cluster serves (GA APIs, beta APIs are off by default), each as
  ``group/version`` and ``group/version/Kind``;
* every version of every CustomResourceDefinition the caller knows (the tree's and the charts'), the same
  two ways, served versions only;
* the extra entries of the configuration, verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_KUBERNETES_VERSION = "1.33.0"

BUILTIN_APIS: Mapping[str, tuple[str, ...]] = {
    "v1": (
        "Binding",
        "ComponentStatus",
        "ConfigMap",
        "Endpoints",
        "Event",
        "LimitRange",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Pod",
        "PodTemplate",
        "ReplicationController",
        "ResourceQuota",
        "Secret",
        "Service",
        "ServiceAccount",
    ),
    "admissionregistration.k8s.io/v1": (
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
    ),
    "apiextensions.k8s.io/v1": ("CustomResourceDefinition",),
    "apiregistration.k8s.io/v1": ("APIService",),
    "apps/v1": ("ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"),
    "authentication.k8s.io/v1": ("SelfSubjectReview", "TokenReview"),
    "authorization.k8s.io/v1": (
        "LocalSubjectAccessReview",
        "SelfSubjectAccessReview",
        "SelfSubjectRulesReview",
        "SubjectAccessReview",
    ),
    "autoscaling/v1": ("HorizontalPodAutoscaler",),
    "autoscaling/v2": ("HorizontalPodAutoscaler",),
    "batch/v1": ("CronJob", "Job"),
    "certificates.k8s.io/v1": ("CertificateSigningRequest",),
    "coordination.k8s.io/v1": ("Lease",),
    "discovery.k8s.io/v1": ("EndpointSlice",),
    "events.k8s.io/v1": ("Event",),
    "flowcontrol.apiserver.k8s.io/v1": ("FlowSchema", "PriorityLevelConfiguration"),
    "networking.k8s.io/v1": ("IPAddress", "Ingress", "IngressClass", "NetworkPolicy", "ServiceCIDR"),
    "node.k8s.io/v1": ("RuntimeClass",),
    "policy/v1": ("PodDisruptionBudget",),
    "rbac.authorization.k8s.io/v1": ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
    "scheduling.k8s.io/v1": ("PriorityClass",),
    "storage.k8s.io/v1": ("CSIDriver", "CSINode", "CSIStorageCapacity", "StorageClass", "VolumeAttachment"),
}
"""Group/versions and kinds a default Kubernetes 1.33 API server serves (``kubectl api-resources``)."""


def builtin_api_versions() -> list[str]:
    """The built-in set: each group/version, then each of its ``group/version/Kind``."""
    out: list[str] = []
    for gv, kinds in BUILTIN_APIS.items():
        out.append(gv)
        out.extend(f"{gv}/{kind}" for kind in kinds)
    return out


def crd_api_versions(crd: Mapping[str, Any]) -> list[str]:
    """``group/version`` and ``group/version/Kind`` of each served version of a CustomResourceDefinition."""
    if crd.get("kind") != "CustomResourceDefinition":
        return []
    spec = crd.get("spec")
    if not isinstance(spec, Mapping):
        return []
    group, names = spec.get("group"), spec.get("names")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    if not isinstance(group, str) or not group:
        return []
    versions = spec.get("versions")
    out: list[str] = []
    if isinstance(versions, list):
        for v in versions:
            if not isinstance(v, Mapping) or v.get("served") is False:
                continue
            name = v.get("name")
            if isinstance(name, str) and name:
                out.append(f"{group}/{name}")
                if isinstance(kind, str) and kind:
                    out.append(f"{group}/{name}/{kind}")
    elif isinstance(spec.get("version"), str):  # apiextensions.k8s.io/v1beta1
        out.append(f"{group}/{spec['version']}")
        if isinstance(kind, str) and kind:
            out.append(f"{group}/{spec['version']}/{kind}")
    return out


def api_versions(
    crds: Iterable[Mapping[str, Any]] = (), extra: Iterable[str] = (), *, builtin: bool = True
) -> tuple[str, ...]:
    """The ``--api-versions`` list: built-in set, CRD versions, extra entries; deduplicated, sorted."""
    found: set[str] = set(builtin_api_versions()) if builtin else set()
    for crd in crds:
        found.update(crd_api_versions(crd))
    found.update(e.strip() for e in extra if e.strip())
    return tuple(sorted(found))


__all__ = [
    "BUILTIN_APIS",
    "DEFAULT_KUBERNETES_VERSION",
    "api_versions",
    "builtin_api_versions",
    "crd_api_versions",
]
