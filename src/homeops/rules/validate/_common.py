"""Helpers shared by validate rules: positions, workload pod specs, HelmRelease values walks, Secrets.

Not a rule (the leading underscore keeps the registry away).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from homeops.findings import object_ref
from homeops.flux.cluster import HelmReleaseNode
from homeops.flux.secrets import external_secret_target
from homeops.validate.context import Built, ValidateContext
from homeops.yaml.nodes import Pos, YMap, YSeq
from homeops.yaml.nodes import as_map as as_map  # re-exported for the rule modules
from homeops.yaml.nodes import as_seq as as_seq

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def key_pos(m: Any, key: str) -> Pos | None:
    """Where ``key`` of mapping ``m`` is written (the mapping itself when unknown)."""
    if isinstance(m, YMap):
        return m.key_pos(key)
    return None


def item_pos(s: Any, index: int) -> Pos | None:
    """Where item ``index`` of sequence ``s`` is written."""
    return s.item_pos(index) if isinstance(s, YSeq) else None


def at(ctx: ValidateContext, pos: Pos | None, fallback: Pos | None = None) -> dict[str, Any]:
    """``file``/``line``/``column`` keyword arguments of ``finding`` for a position."""
    file, line, column = ctx.where(pos or fallback)
    return {"file": file, "line": line, "column": column}


def has_variable(text: str) -> bool:
    """Whether a string still holds a substitution or a template (its final value is unknown here)."""
    return "${" in text or "{{" in text


# -- workloads --------------------------------------------------------------------------------------------


def pod_spec(obj: YMap) -> tuple[YMap, str] | None:
    """The pod spec of a workload object and its field path, else None."""
    kind = obj.get("kind")
    if kind not in WORKLOAD_KINDS:
        return None
    spec = as_map(obj.get("spec"))
    if kind == "Pod":
        return spec, "spec"
    if kind == "CronJob":
        job = as_map(as_map(spec.get("jobTemplate")).get("spec"))
        return as_map(as_map(job.get("template")).get("spec")), "spec.jobTemplate.spec.template.spec"
    return as_map(as_map(spec.get("template")).get("spec")), "spec.template.spec"


def containers(podspec: YMap, prefix: str) -> Iterator[tuple[YMap, str]]:
    """Every container of a pod spec (init, regular, ephemeral) with its field path."""
    for list_name in CONTAINER_LISTS:
        for i, c in enumerate(as_seq(podspec.get(list_name))):
            if isinstance(c, YMap):
                yield c, f"{prefix}.{list_name}[{i}]"


@dataclass(frozen=True, slots=True)
class SecretUse:
    """A reference to a Secret by name, where it is written and the field that holds it."""

    name: str
    pos: Pos | None
    field: str


def pod_secret_uses(podspec: YMap, prefix: str, *, pull: bool = True) -> Iterator[SecretUse]:
    """The Secrets a pod spec needs: envFrom, env secretKeyRef, secret and projected volumes, pull secrets.
    References marked ``optional: true`` are left out (the pod starts without them)."""
    for c, path in containers(podspec, prefix):
        for i, ef in enumerate(as_seq(c.get("envFrom"))):
            ref = as_map(as_map(ef).get("secretRef"))
            if _named(ref):
                yield SecretUse(ref["name"], key_pos(ref, "name"), f"{path}.envFrom[{i}].secretRef.name")
        for i, ev in enumerate(as_seq(c.get("env"))):
            ref = as_map(as_map(as_map(ev).get("valueFrom")).get("secretKeyRef"))
            if _named(ref):
                yield SecretUse(
                    ref["name"], key_pos(ref, "name"), f"{path}.env[{i}].valueFrom.secretKeyRef.name"
                )
    for i, vol in enumerate(as_seq(podspec.get("volumes"))):
        vol = as_map(vol)
        secret = as_map(vol.get("secret"))
        name = secret.get("secretName")
        if isinstance(name, str) and name and secret.get("optional") is not True:
            yield SecretUse(name, key_pos(secret, "secretName"), f"{prefix}.volumes[{i}].secret.secretName")
        for j, source in enumerate(as_seq(as_map(vol.get("projected")).get("sources"))):
            ref = as_map(as_map(source).get("secret"))
            if _named(ref):
                yield SecretUse(
                    ref["name"], key_pos(ref, "name"), f"{prefix}.volumes[{i}].projected.sources[{j}].secret"
                )
    if pull:
        for i, ref in enumerate(as_seq(podspec.get("imagePullSecrets"))):
            if _named(as_map(ref)):
                yield SecretUse(ref["name"], key_pos(ref, "name"), f"{prefix}.imagePullSecrets[{i}].name")


def _named(ref: YMap) -> bool:
    name = ref.get("name")
    return isinstance(name, str) and bool(name) and ref.get("optional") is not True


def walk(node: Any, path: str = "") -> Iterator[tuple[YMap, str, Any, str]]:
    """Every (mapping, key, value, field path) below ``node``, depth first, in document order."""
    stack: list[tuple[Any, str]] = [(node, path)]
    while stack:
        current, here = stack.pop()
        children: list[tuple[Any, str]] = []
        if isinstance(current, YMap):
            for key, value in current.items():
                sub = f"{here}.{key}" if here else str(key)
                yield current, key, value, sub
                children.append((value, sub))
        elif isinstance(current, list):
            children.extend((v, f"{here}[{i}]") for i, v in enumerate(current))
        stack.extend(reversed(children))


_RELEASE_NAME = re.compile(r"\{\{-?\s*\.Release\.Name\s*-?\}\}")


def render_release(text: str, release: str) -> str:
    """``text`` with ``{{ .Release.Name }}`` replaced (app-template runs names through ``tpl``)."""
    return _RELEASE_NAME.sub(release, text) if release and "{{" in text else text


def values_secret_uses(values: YMap, release: str = "", prefix: str = "spec.values") -> Iterator[SecretUse]:
    """Secrets named in HelmRelease values: ``existingSecret``/``existingSecretName``/``secretName`` strings
    (ingress ``tls`` entries excepted: cert-manager or the ingress controller provides those), ``secretRef``
    and ``secretKeyRef`` mappings and app-template's ``envFrom: [{secret: name}]`` (envFrom/env in any
    shape), and app-template ``persistence`` items of ``type: secret``. ``{{ .Release.Name }}`` is rendered
    with ``release``; names still templated are left out."""
    for parent, key, value, path in walk(values, prefix):
        name: Any = None
        pos, field = key_pos(parent, key), path
        if key in ("existingSecret", "existingSecretName", "secretName") and isinstance(value, str):
            if ".tls[" not in path and not path.endswith(".tls"):
                name = value
        elif key in ("secretRef", "secretKeyRef") and isinstance(value, YMap) and _named(value):
            name, pos, field = value["name"], key_pos(value, "name"), f"{path}.name"
        elif key == "secret" and isinstance(value, str) and ".envFrom[" in path:
            name = value
        elif key == "type" and value == "secret" and ".persistence." in path:
            name, pos, field = parent.get("name"), key_pos(parent, "name"), path.rsplit(".", 1)[0] + ".name"
        if isinstance(name, str) and name:
            name = render_release(name, release)
            if not has_variable(name):
                yield SecretUse(name, pos, field)


def release_namespace(hrn: HelmReleaseNode) -> str:
    """The namespace the chart's objects land in (``targetNamespace``, else the HelmRelease's)."""
    return hrn.hr.release_namespace


def hr_ref(hrn: HelmReleaseNode) -> str:
    """``HelmRelease/namespace/name``."""
    return object_ref("HelmRelease", hrn.hr.namespace, hrn.hr.name)


def is_app_template(values: YMap | None) -> bool:
    """Whether values have bjw-s app-template's shape: ``controllers.<name>.containers``."""
    controllers = as_map(values.get("controllers")) if values else YMap()
    return any(isinstance(c, YMap) and "containers" in c for c in controllers.values())


# -- Secret producers -------------------------------------------------------------------------------------


def external_secret_names(ctx: ValidateContext) -> dict[str, dict[str, Built]]:
    """namespace -> Secret name -> the ExternalSecret that produces it (``*`` for ClusterExternalSecret)."""
    out: dict[str, dict[str, Built]] = {}
    for kind in ("ExternalSecret", "ClusterExternalSecret"):
        for b in ctx.built(kind):
            ns = b.namespace if kind == "ExternalSecret" else "*"
            target = external_secret_target(b.obj, b.namespace)
            if target is not None:
                out.setdefault(ns, {})[target[0]] = b
    return out


def built_ref(b: Built) -> str:
    """``Kind/namespace/name`` of a built object."""
    return b.ref
