"""Every StorageClass a claim asks for exists.

Why:
    A PersistentVolumeClaim whose ``storageClassName`` names no StorageClass stays ``Pending``: nothing
    provisions it. Checked on PersistentVolumeClaims, StatefulSet ``volumeClaimTemplates`` and HelmRelease
    values (``storageClass``/``storageClassName`` strings). A class exists when the tree builds it, when a
    HelmRelease's values define it (``storageClass: {name: ...}``, ``hostpathClass: {name: ...}`` or
    ``storageClasses: [{name: ...}]``, as rook-ceph-cluster, openebs and democratic-csi do), or when
    ``.homeops.yaml`` lists it under ``storageClasses``. ``""`` and ``-`` mean "no class" and are skipped.

Bad:
    # no StorageClass ceph-block anywhere
    spec:
      storageClassName: ceph-block

Good:
    apiVersion: storage.k8s.io/v1
    kind: StorageClass
    metadata:
      name: ceph-block
    provisioner: rook-ceph.rbd.csi.ceph.com
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.validate._common import as_map, as_seq, at, has_variable, hr_ref, item_pos, key_pos, walk
from homeops.validate.context import ValidateContext
from homeops.yaml.nodes import Pos

CODE = "HO111"
NAME = "storage-class-defined"
SEVERITY = Severity.ERROR
KIND = "validate"

_KEYS = ("storageClass", "storageClassName")


def _defined(ctx: ValidateContext) -> set[str]:
    names = {b.name for b in ctx.built("StorageClass")} | set(ctx.config.storage_classes)
    for hrn in ctx.helmreleases():
        if hrn.hr.values is None:
            continue
        for _, key, value, _ in walk(hrn.hr.values):
            if key.endswith("Class") and isinstance(value, dict) and isinstance(value.get("name"), str):
                if value.get("enabled", True) is not False:
                    names.add(value["name"])
            elif key == "storageClasses":
                for item in as_seq(value):
                    if isinstance(as_map(item).get("name"), str):
                        names.add(item["name"])
    return names


def _uses(ctx: ValidateContext) -> Iterator[tuple[str, str, str, Pos | None, Pos | None]]:
    """(class, referrer, field, position, fallback) of every StorageClass reference."""
    for b in ctx.built("PersistentVolumeClaim"):
        spec = as_map(b.obj.get("spec"))
        if isinstance(spec.get("storageClassName"), str):
            yield (
                spec["storageClassName"],
                b.ref,
                "spec.storageClassName",
                key_pos(spec, "storageClassName"),
                b.obj.pos,
            )
    for b in ctx.built("StatefulSet"):
        templates = as_map(b.obj.get("spec")).get("volumeClaimTemplates")
        for i, tpl in enumerate(as_seq(templates)):
            spec = as_map(as_map(tpl).get("spec"))
            if isinstance(spec.get("storageClassName"), str):
                field = f"spec.volumeClaimTemplates[{i}].spec.storageClassName"
                pos = key_pos(spec, "storageClassName") or item_pos(templates, i)
                yield spec["storageClassName"], b.ref, field, pos, b.obj.pos
    for hrn in ctx.helmreleases():
        if hrn.hr.values is None:
            continue
        for parent, key, value, path in walk(hrn.hr.values, "spec.values"):
            if key in _KEYS and isinstance(value, str):
                yield value, hr_ref(hrn), path, key_pos(parent, key), hrn.obj.pos


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """StorageClass names that neither the tree nor the configuration defines."""
    defined = _defined(ctx)
    seen: set[tuple[str, int, str]] = set()
    for name, referrer, field, pos, fallback in _uses(ctx):
        if name.strip() in ("", "-") or has_variable(name) or name in defined:
            continue
        where = at(ctx, pos, fallback)
        key = (where["file"], where["line"], name)
        if key in seen:
            continue
        seen.add(key)
        yield finding(
            sys.modules[__name__],
            f"{referrer} asks for StorageClass {name!r}, which neither the tree nor .homeops.yaml defines",
            **where,
            obj=referrer,
            field=field,
            hint=f"add the StorageClass to the tree, or list {name!r} under storageClasses: in .homeops.yaml",
        )
