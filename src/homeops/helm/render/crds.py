"""The CustomResourceDefinitions of a chart's ``crds/`` directories, as helm-controller applies them.

helm-controller installs with ``SkipCRDs`` and applies ``crds/`` itself (internal/action/crds.go
``applyCRDs``), before the release, unless ``install.crds`` is ``Skip`` (the default is ``Create``;
``CreateReplace`` also replaces existing ones, which makes no difference offline). It reads every document
of the ``crds/`` files of the chart and of its enabled subcharts (after ``ProcessDependencies``), keeps
only ``apiextensions.k8s.io`` CustomResourceDefinitions (it logs and ignores anything else), and merges the
origin labels into each one's ``metadata.labels``. No post-renderer and no commonMetadata touches them.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeops.helm.render.charts import CrdDocument
from homeops.helm.render.postrender import ORIGIN_GROUP
from homeops.yaml.nodes import YMap, deep_copy


def crd_objects(docs: Iterable[CrdDocument], hr_name: str, hr_namespace: str) -> tuple[list[YMap], list[str]]:
    """The CRDs to apply, with origin labels, and notes about the documents left out."""
    crds: list[YMap] = []
    ignored: list[str] = []
    for doc in docs:
        obj = doc.obj
        api = str(obj.get("apiVersion") or "") if isinstance(obj, dict) else ""
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if (
            not isinstance(obj, YMap)
            or kind != "CustomResourceDefinition"
            or not api.startswith("apiextensions.k8s.io/")
        ):
            md = obj.get("metadata") if isinstance(obj, dict) else None
            name = md.get("name") if isinstance(md, dict) else None
            ignored.append(f"{doc.source}: {kind or '?'}/{name or '?'}")
            continue
        crd = deep_copy(obj)
        md = crd.get("metadata")
        if not isinstance(md, YMap):
            md = YMap(md.items()) if isinstance(md, dict) else YMap()
            crd["metadata"] = md
        labels = md.get("labels")
        if not isinstance(labels, YMap):
            labels = YMap(labels.items()) if isinstance(labels, dict) else YMap()
            md["labels"] = labels
        labels[f"{ORIGIN_GROUP}/name"] = hr_name
        labels[f"{ORIGIN_GROUP}/namespace"] = hr_namespace
        crds.append(crd)
    notes = (
        [
            "ignoring non-CRD resources found in the chart's crds/ directory (helm-controller does too): "
            + ", ".join(ignored)
        ]
        if ignored
        else []
    )
    return crds, notes


__all__ = ["crd_objects"]
