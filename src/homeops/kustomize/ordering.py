"""kustomize's output order: the "legacy" kind order (the default) or FIFO, set by ``sortOptions``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cmp_to_key

from homeops.kustomize.resource import ResId, Resource, gvk_string

DEFAULT_ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
DEFAULT_ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def _type_orders(first: Sequence[str], last: Sequence[str]) -> dict[str, int]:
    orders: dict[str, int] = {}
    for i, kind in enumerate(first):
        orders[kind] = -len(first) + i
    for i, kind in enumerate(last):
        orders[kind] = 1 + i
    return orders


_DEFAULT_TYPE_ORDERS = _type_orders(DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST)


def _gvk_sort_string(group: str, version: str, kind: str) -> str:
    """kyaml's ``Gvk.legacySortString``, e.g. ``apps_v1_Deployment`` or ``~G_v1_ConfigMap``."""
    return f"{group or '~G'}_{version or '~V'}_{kind or '~K'}"


def gvk_sort_key(group: str, version: str, kind: str) -> tuple[int, str]:
    """Sort key equivalent to kyaml's ``Gvk.IsLessThan`` (the default kind order, then the GVK)."""
    return (_DEFAULT_TYPE_ORDERS.get(kind, 0), _gvk_sort_string(group, version, kind))


def _id_sort_string(rid: ResId) -> str:
    return f"{gvk_string(rid.group, rid.version, rid.kind)}|{rid.namespace or '~X'}|{rid.name or '~N'}"


def legacy_sort(
    resources: Sequence[Resource],
    order_first: Sequence[str] = DEFAULT_ORDER_FIRST,
    order_last: Sequence[str] = DEFAULT_ORDER_LAST,
) -> list[Resource]:
    """Sort as kustomize's legacy order: kind priority, then GVK string, then namespace and name."""
    orders = _type_orders(order_first, order_last)
    ids = {id(r): r.cur_id() for r in resources}

    def compare(a: Resource, b: Resource) -> int:
        ia, ib = ids[id(a)], ids[id(b)]
        if (ia.group, ia.version, ia.kind) != (ib.group, ib.version, ib.kind):
            oa, ob = orders.get(ia.kind, 0), orders.get(ib.kind, 0)
            if oa != ob:
                return -1 if oa < ob else 1
            sa = _gvk_sort_string(ia.group, ia.version, ia.kind)
            sb = _gvk_sort_string(ib.group, ib.version, ib.kind)
            if ia.kind == "Namespace" and ib.kind == "Namespace" and (not ia.group or not ib.group):
                sa, sb = sb, sa
            return (sa > sb) - (sa < sb)
        sa, sb = _id_sort_string(ia), _id_sort_string(ib)
        return (sa > sb) - (sa < sb)

    return sorted(resources, key=cmp_to_key(compare))
