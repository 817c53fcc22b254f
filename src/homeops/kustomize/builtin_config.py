"""kustomize's default transformer configuration (v5.7.1), as data.

Each field-spec line reads ``KIND GROUP VERSION PATH [+]`` ("-" for an empty GVK part, "+" for
``create: true``); a ``> KIND GROUP VERSION`` line starts a name-reference target whose referrers follow.
``{pref}`` and ``{req}`` abbreviate the two pod-affinity term paths. The data mirrors the field specs compiled
into kustomize (``api/internal/konfig/builtinpluginconsts``), including their quirks (e.g. the IngressClass
target's group ``networking.k8s.io/v1``, duplicated Ingress entries).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.context import KContext
from homeops.kustomize.tconfig import FieldSpec, NameBackRef, TransformerConfig, is_selected
from homeops.yaml.loader import load_documents

_ABBREV = {
    "{pref}": "preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm",
    "{req}": "requiredDuringSchedulingIgnoredDuringExecution",
}

_DEFAULTS = r"""
## namePrefix
- - - metadata/name
## nameSuffix
- - - metadata/name
## namespace
Namespace - - metadata/name +
APIService apiregistration.k8s.io - spec/service/namespace +
CustomResourceDefinition apiextensions.k8s.io - spec/conversion/webhook/clientConfig/service/namespace
## images
- - - spec/containers[]/image +
- - - spec/initContainers[]/image +
- - - spec/volumes[]/image/reference +
- - - spec/template/spec/containers[]/image +
- - - spec/template/spec/initContainers[]/image +
- - - spec/template/spec/volumes[]/image/reference +
## replicas
Deployment - - spec/replicas +
ReplicationController - - spec/replicas +
ReplicaSet - - spec/replicas +
StatefulSet - - spec/replicas +
## commonAnnotations
- - - metadata/annotations +
ReplicationController - v1 spec/template/metadata/annotations +
Deployment - - spec/template/metadata/annotations +
ReplicaSet - - spec/template/metadata/annotations +
DaemonSet - - spec/template/metadata/annotations +
StatefulSet - - spec/template/metadata/annotations +
Job batch - spec/template/metadata/annotations +
CronJob batch - spec/jobTemplate/metadata/annotations +
CronJob batch - spec/jobTemplate/spec/template/metadata/annotations +
## templateLabels
- - - metadata/labels +
ReplicationController - v1 spec/template/metadata/labels +
Deployment - - spec/template/metadata/labels +
ReplicaSet - - spec/template/metadata/labels +
DaemonSet - - spec/template/metadata/labels +
StatefulSet apps - spec/template/metadata/labels +
StatefulSet apps - spec/volumeClaimTemplates[]/metadata/labels +
Job batch - spec/template/metadata/labels +
CronJob batch - spec/jobTemplate/metadata/labels +
CronJob batch - spec/jobTemplate/spec/template/metadata/labels +
## commonLabelSelectors
Service - v1 spec/selector +
ReplicationController - v1 spec/selector +
Deployment - - spec/selector/matchLabels +
Deployment apps - spec/template/spec/affinity/podAffinity/{pref}/labelSelector/matchLabels
Deployment apps - spec/template/spec/affinity/podAffinity/{req}/labelSelector/matchLabels
Deployment apps - spec/template/spec/affinity/podAntiAffinity/{pref}/labelSelector/matchLabels
Deployment apps - spec/template/spec/affinity/podAntiAffinity/{req}/labelSelector/matchLabels
Deployment apps - spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels
ReplicaSet - - spec/selector/matchLabels +
DaemonSet - - spec/selector/matchLabels +
StatefulSet apps - spec/selector/matchLabels +
StatefulSet apps - spec/template/spec/affinity/podAffinity/{pref}/labelSelector/matchLabels
StatefulSet apps - spec/template/spec/affinity/podAffinity/{req}/labelSelector/matchLabels
StatefulSet apps - spec/template/spec/affinity/podAntiAffinity/{pref}/labelSelector/matchLabels
StatefulSet apps - spec/template/spec/affinity/podAntiAffinity/{req}/labelSelector/matchLabels
StatefulSet apps - spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels
Job batch - spec/selector/matchLabels
CronJob batch - spec/jobTemplate/spec/selector/matchLabels
PodDisruptionBudget policy - spec/selector/matchLabels
NetworkPolicy networking.k8s.io - spec/podSelector/matchLabels
NetworkPolicy networking.k8s.io - spec/ingress/from/podSelector/matchLabels
NetworkPolicy networking.k8s.io - spec/egress/to/podSelector/matchLabels
## varReference
CronJob - - spec/jobTemplate/spec/template/spec/containers/args
CronJob - - spec/jobTemplate/spec/template/spec/containers/command
CronJob - - spec/jobTemplate/spec/template/spec/containers/env/value
CronJob - - spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/args
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/command
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/env/value
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath
CronJob - - spec/jobTemplate/spec/template/volumes/nfs/server
DaemonSet - - spec/template/spec/containers/args
DaemonSet - - spec/template/spec/containers/command
DaemonSet - - spec/template/spec/containers/env/value
DaemonSet - - spec/template/spec/containers/volumeMounts/mountPath
DaemonSet - - spec/template/spec/initContainers/args
DaemonSet - - spec/template/spec/initContainers/command
DaemonSet - - spec/template/spec/initContainers/env/value
DaemonSet - - spec/template/spec/initContainers/volumeMounts/mountPath
DaemonSet - - spec/template/spec/volumes/nfs/server
Deployment - - spec/template/spec/containers/args
Deployment - - spec/template/spec/containers/command
Deployment - - spec/template/spec/containers/env/value
Deployment - - spec/template/spec/containers/volumeMounts/mountPath
Deployment - - spec/template/spec/initContainers/args
Deployment - - spec/template/spec/initContainers/command
Deployment - - spec/template/spec/initContainers/env/value
Deployment - - spec/template/spec/initContainers/volumeMounts/mountPath
Deployment - - spec/template/spec/volumes/nfs/server
Deployment - - spec/template/metadata/annotations
Ingress - - spec/rules/host
Ingress - - spec/tls/hosts
Ingress - - spec/tls/secretName
Job - - spec/template/spec/containers/args
Job - - spec/template/spec/containers/command
Job - - spec/template/spec/containers/env/value
Job - - spec/template/spec/containers/volumeMounts/mountPath
Job - - spec/template/spec/initContainers/args
Job - - spec/template/spec/initContainers/command
Job - - spec/template/spec/initContainers/env/value
Job - - spec/template/spec/initContainers/volumeMounts/mountPath
Job - - spec/template/spec/volumes/nfs/server
Pod - - spec/containers/args
Pod - - spec/containers/command
Pod - - spec/containers/env/value
Pod - - spec/containers/volumeMounts/mountPath
Pod - - spec/initContainers/args
Pod - - spec/initContainers/command
Pod - - spec/initContainers/env/value
Pod - - spec/initContainers/volumeMounts/mountPath
Pod - - spec/volumes/nfs/server
ReplicaSet - - spec/template/spec/containers/args
ReplicaSet - - spec/template/spec/containers/command
ReplicaSet - - spec/template/spec/containers/env/value
ReplicaSet - - spec/template/spec/containers/volumeMounts/mountPath
ReplicaSet - - spec/template/spec/initContainers/args
ReplicaSet - - spec/template/spec/initContainers/command
ReplicaSet - - spec/template/spec/initContainers/env/value
ReplicaSet - - spec/template/spec/initContainers/volumeMounts/mountPath
ReplicaSet - - spec/template/spec/volumes/nfs/server
Service - - spec/ports/port
Service - - spec/ports/targetPort
StatefulSet - - spec/template/spec/containers/args
StatefulSet - - spec/template/spec/containers/command
StatefulSet - - spec/template/spec/containers/env/value
StatefulSet - - spec/template/spec/containers/volumeMounts/mountPath
StatefulSet - - spec/template/spec/initContainers/args
StatefulSet - - spec/template/spec/initContainers/command
StatefulSet - - spec/template/spec/initContainers/env/value
StatefulSet - - spec/template/spec/initContainers/volumeMounts/mountPath
StatefulSet - - spec/volumeClaimTemplates/spec/nfs/server
PersistentVolume - - spec/nfs/server
- - - metadata/labels
- - - metadata/annotations
## nameReference
> Deployment - -
HorizontalPodAutoscaler - - spec/scaleTargetRef/name
> ReplicationController - -
HorizontalPodAutoscaler - - spec/scaleTargetRef/name
> ReplicaSet - -
HorizontalPodAutoscaler - - spec/scaleTargetRef/name
> StatefulSet - -
HorizontalPodAutoscaler - - spec/scaleTargetRef/name
> ConfigMap - v1
Pod - v1 spec/volumes/configMap/name
Pod - v1 spec/containers/env/valueFrom/configMapKeyRef/name
Pod - v1 spec/initContainers/env/valueFrom/configMapKeyRef/name
Pod - v1 spec/containers/envFrom/configMapRef/name
Pod - v1 spec/initContainers/envFrom/configMapRef/name
Pod - v1 spec/volumes/projected/sources/configMap/name
PodTemplate - - template/spec/volumes/configMap/name
PodTemplate - - template/spec/containers/env/valueFrom/configMapKeyRef/name
PodTemplate - - template/spec/initContainers/env/valueFrom/configMapKeyRef/name
PodTemplate - - template/spec/containers/envFrom/configMapRef/name
PodTemplate - - template/spec/initContainers/envFrom/configMapRef/name
PodTemplate - - template/spec/volumes/projected/sources/configMap/name
Deployment - - spec/template/spec/volumes/configMap/name
Deployment - - spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
Deployment - - spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
Deployment - - spec/template/spec/containers/envFrom/configMapRef/name
Deployment - - spec/template/spec/initContainers/envFrom/configMapRef/name
Deployment - - spec/template/spec/volumes/projected/sources/configMap/name
ReplicaSet - - spec/template/spec/volumes/configMap/name
ReplicaSet - - spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
ReplicaSet - - spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
ReplicaSet - - spec/template/spec/containers/envFrom/configMapRef/name
ReplicaSet - - spec/template/spec/initContainers/envFrom/configMapRef/name
ReplicaSet - - spec/template/spec/volumes/projected/sources/configMap/name
DaemonSet - - spec/template/spec/volumes/configMap/name
DaemonSet - - spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
DaemonSet - - spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
DaemonSet - - spec/template/spec/containers/envFrom/configMapRef/name
DaemonSet - - spec/template/spec/initContainers/envFrom/configMapRef/name
DaemonSet - - spec/template/spec/volumes/projected/sources/configMap/name
StatefulSet - - spec/template/spec/volumes/configMap/name
StatefulSet - - spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
StatefulSet - - spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
StatefulSet - - spec/template/spec/containers/envFrom/configMapRef/name
StatefulSet - - spec/template/spec/initContainers/envFrom/configMapRef/name
StatefulSet - - spec/template/spec/volumes/projected/sources/configMap/name
Job - - spec/template/spec/volumes/configMap/name
Job - - spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
Job - - spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
Job - - spec/template/spec/containers/envFrom/configMapRef/name
Job - - spec/template/spec/initContainers/envFrom/configMapRef/name
Job - - spec/template/spec/volumes/projected/sources/configMap/name
CronJob - - spec/jobTemplate/spec/template/spec/volumes/configMap/name
CronJob - - spec/jobTemplate/spec/template/spec/volumes/projected/sources/configMap/name
CronJob - - spec/jobTemplate/spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
CronJob - - spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/envFrom/configMapRef/name
Node - - spec/configSource/configMap
Role - - rules/resourceNames
ClusterRole - - rules/resourceNames
Ingress - - metadata/annotations/nginx.ingress.kubernetes.io\/fastcgi-params-configmap
> Secret - v1
Pod - v1 spec/volumes/secret/secretName
Pod - v1 spec/containers/env/valueFrom/secretKeyRef/name
Pod - v1 spec/initContainers/env/valueFrom/secretKeyRef/name
Pod - v1 spec/containers/envFrom/secretRef/name
Pod - v1 spec/initContainers/envFrom/secretRef/name
Pod - v1 spec/imagePullSecrets/name
Pod - v1 spec/volumes/projected/sources/secret/name
PodTemplate - - template/spec/volumes/secret/secretName
PodTemplate - - template/spec/containers/env/valueFrom/secretKeyRef/name
PodTemplate - - template/spec/initContainers/env/valueFrom/secretKeyRef/name
PodTemplate - - template/spec/containers/envFrom/secretRef/name
PodTemplate - - template/spec/initContainers/envFrom/secretRef/name
PodTemplate - - template/spec/imagePullSecrets/name
PodTemplate - - template/spec/volumes/projected/sources/secret/name
Deployment - - spec/template/spec/volumes/secret/secretName
Deployment - - spec/template/spec/containers/env/valueFrom/secretKeyRef/name
Deployment - - spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
Deployment - - spec/template/spec/containers/envFrom/secretRef/name
Deployment - - spec/template/spec/initContainers/envFrom/secretRef/name
Deployment - - spec/template/spec/imagePullSecrets/name
Deployment - - spec/template/spec/volumes/projected/sources/secret/name
ReplicaSet - - spec/template/spec/volumes/secret/secretName
ReplicaSet - - spec/template/spec/containers/env/valueFrom/secretKeyRef/name
ReplicaSet - - spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
ReplicaSet - - spec/template/spec/containers/envFrom/secretRef/name
ReplicaSet - - spec/template/spec/initContainers/envFrom/secretRef/name
ReplicaSet - - spec/template/spec/imagePullSecrets/name
ReplicaSet - - spec/template/spec/volumes/projected/sources/secret/name
DaemonSet - - spec/template/spec/volumes/secret/secretName
DaemonSet - - spec/template/spec/containers/env/valueFrom/secretKeyRef/name
DaemonSet - - spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
DaemonSet - - spec/template/spec/containers/envFrom/secretRef/name
DaemonSet - - spec/template/spec/initContainers/envFrom/secretRef/name
DaemonSet - - spec/template/spec/imagePullSecrets/name
DaemonSet - - spec/template/spec/volumes/projected/sources/secret/name
StatefulSet - - spec/template/spec/volumes/secret/secretName
StatefulSet - - spec/template/spec/containers/env/valueFrom/secretKeyRef/name
StatefulSet - - spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
StatefulSet - - spec/template/spec/containers/envFrom/secretRef/name
StatefulSet - - spec/template/spec/initContainers/envFrom/secretRef/name
StatefulSet - - spec/template/spec/imagePullSecrets/name
StatefulSet - - spec/template/spec/volumes/projected/sources/secret/name
Job - - spec/template/spec/volumes/secret/secretName
Job - - spec/template/spec/containers/env/valueFrom/secretKeyRef/name
Job - - spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
Job - - spec/template/spec/containers/envFrom/secretRef/name
Job - - spec/template/spec/initContainers/envFrom/secretRef/name
Job - - spec/template/spec/imagePullSecrets/name
Job - - spec/template/spec/volumes/projected/sources/secret/name
CronJob - - spec/jobTemplate/spec/template/spec/volumes/secret/secretName
CronJob - - spec/jobTemplate/spec/template/spec/volumes/projected/sources/secret/name
CronJob - - spec/jobTemplate/spec/template/spec/containers/env/valueFrom/secretKeyRef/name
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
CronJob - - spec/jobTemplate/spec/template/spec/containers/envFrom/secretRef/name
CronJob - - spec/jobTemplate/spec/template/spec/initContainers/envFrom/secretRef/name
CronJob - - spec/jobTemplate/spec/template/spec/imagePullSecrets/name
Ingress - - spec/tls/secretName
Ingress - - metadata/annotations/ingress.kubernetes.io\/auth-secret
Ingress - - metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret
Ingress - - metadata/annotations/nginx.ingress.kubernetes.io\/auth-tls-secret
Ingress - - spec/tls/secretName
ServiceAccount - - imagePullSecrets/name
StorageClass - - parameters/secretName
StorageClass - - parameters/adminSecretName
StorageClass - - parameters/userSecretName
StorageClass - - parameters/secretRef
Role - - rules/resourceNames
ClusterRole - - rules/resourceNames
Service serving.knative.dev v1 spec/template/spec/containers/env/valueFrom/secretKeyRef/name
PersistentVolume - - spec/azureFile/secretName
> Service - v1
StatefulSet apps - spec/serviceName
Ingress - - spec/rules/http/paths/backend/serviceName
Ingress - - spec/backend/serviceName
Ingress - - spec/rules/http/paths/backend/service/name
Ingress - - spec/defaultBackend/service/name
APIService apiregistration.k8s.io - spec/service/name
ValidatingWebhookConfiguration admissionregistration.k8s.io - webhooks/clientConfig/service
MutatingWebhookConfiguration admissionregistration.k8s.io - webhooks/clientConfig/service
> Role rbac.authorization.k8s.io -
RoleBinding rbac.authorization.k8s.io - roleRef/name
> ClusterRole rbac.authorization.k8s.io -
RoleBinding rbac.authorization.k8s.io - roleRef/name
ClusterRoleBinding rbac.authorization.k8s.io - roleRef/name
> ServiceAccount - v1
RoleBinding rbac.authorization.k8s.io - subjects
ClusterRoleBinding rbac.authorization.k8s.io - subjects
Pod - - spec/serviceAccountName
StatefulSet - - spec/template/spec/serviceAccountName
Deployment - - spec/template/spec/serviceAccountName
ReplicationController - - spec/template/spec/serviceAccountName
CronJob - - spec/jobTemplate/spec/template/spec/serviceAccountName
Job - - spec/template/spec/serviceAccountName
DaemonSet - - spec/template/spec/serviceAccountName
> PersistentVolumeClaim - v1
Pod - - spec/volumes/persistentVolumeClaim/claimName
StatefulSet - - spec/template/spec/volumes/persistentVolumeClaim/claimName
Deployment - - spec/template/spec/volumes/persistentVolumeClaim/claimName
ReplicationController - - spec/template/spec/volumes/persistentVolumeClaim/claimName
CronJob - - spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName
Job - - spec/template/spec/volumes/persistentVolumeClaim/claimName
DaemonSet - - spec/template/spec/volumes/persistentVolumeClaim/claimName
> PersistentVolume - v1
PersistentVolumeClaim - - spec/volumeName
ClusterRole - - rules/resourceNames
> StorageClass storage.k8s.io v1
PersistentVolume - - spec/storageClassName
PersistentVolumeClaim - - spec/storageClassName
StatefulSet - - spec/volumeClaimTemplates/spec/storageClassName
> PriorityClass scheduling.k8s.io v1
Pod - - spec/priorityClassName
StatefulSet - - spec/template/spec/priorityClassName
Deployment - - spec/template/spec/priorityClassName
ReplicationController - - spec/template/spec/priorityClassName
CronJob - - spec/jobTemplate/spec/template/spec/priorityClassName
Job - - spec/template/spec/priorityClassName
DaemonSet - - spec/template/spec/priorityClassName
> IngressClass networking.k8s.io/v1 v1
Ingress - - spec/ingressClassName
> ValidatingAdmissionPolicy admissionregistration.k8s.io -
ValidatingAdmissionPolicyBinding admissionregistration.k8s.io - spec/policyName
"""


def _field_spec(line: str) -> FieldSpec:
    parts = line.split()
    kind, group, version, path = (("" if p == "-" else p) for p in parts[:4])
    for short, full in _ABBREV.items():
        path = path.replace(short, full)
    return FieldSpec(path=path, group=group, version=version, kind=kind, create=parts[4:] == ["+"])


@cache
def _parse_defaults() -> tuple[dict[str, tuple[FieldSpec, ...]], tuple[NameBackRef, ...]]:
    """The default specs, parsed once (immutable: field specs are frozen and shared)."""
    sections: dict[str, list[FieldSpec]] = {}
    back_refs: list[NameBackRef] = []
    current = ""
    for raw in _DEFAULTS.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("## "):
            current = line[3:]
            sections[current] = []
        elif line.startswith("> "):
            kind, group, version = (("" if p == "-" else p) for p in line[2:].split())
            back_refs.append(NameBackRef(kind=kind, group=group, version=version))
        elif current == "nameReference":
            last = back_refs[-1]
            back_refs[-1] = NameBackRef(
                last.kind, last.group, last.version, (*last.referrers, _field_spec(line))
            )
        else:
            sections[current].append(_field_spec(line))
    return {k: tuple(v) for k, v in sections.items()}, tuple(back_refs)


def default_tconfig() -> TransformerConfig:
    """A fresh copy of kustomize's default transformer configuration (sorted as kustomize sorts it): new lists
    of the shared, frozen specs (every kustomization of a build starts from one; sorting them each time cost
    ~56 us, the copy ~3 us)."""
    return _sorted_defaults().copy()


def is_default_name_reference(refs: list[NameBackRef]) -> bool:
    """Whether ``refs`` is the default ``nameReference`` list (the same frozen rules, in the same order):
    a build whose kustomizations add no ``configurations:`` keeps it."""
    default = _sorted_defaults().name_reference
    return len(refs) == len(default) and all(a is b for a, b in zip(refs, default, strict=True))


@cache
def default_name_filters(group: str, version: str, kind: str) -> tuple[tuple[NameBackRef, FieldSpec], ...]:
    """The default rules' referrer field specs that select ``group/version/kind`` (found once per GVK)."""
    return name_filters(_sorted_defaults().name_reference, group, version, kind)


def name_filters(
    refs: list[NameBackRef], group: str, version: str, kind: str
) -> tuple[tuple[NameBackRef, FieldSpec], ...]:
    """Each (rule, referrer field spec) of ``refs`` whose spec selects ``group/version/kind``."""
    return tuple(
        (backref, spec)
        for backref in refs
        for spec in backref.referrers
        if is_selected(group, version, kind, spec)
    )


@cache
def _sorted_defaults() -> TransformerConfig:
    """The default configuration, built and sorted once; never handed out (``default_tconfig`` copies it)."""
    s, back_refs = _parse_defaults()
    config = TransformerConfig(
        name_prefix=list(s["namePrefix"]),
        name_suffix=list(s["nameSuffix"]),
        namespace=list(s["namespace"]),
        common_labels=[*s["commonLabelSelectors"], *s["templateLabels"]],
        template_labels=list(s["templateLabels"]),
        common_annotations=list(s["commonAnnotations"]),
        images=list(s["images"]),
        replicas=list(s["replicas"]),
        name_reference=list(back_refs),
        var_reference=list(s["varReference"]),
    )
    config.sort()
    return config


def load_configurations(tconfig: TransformerConfig, value: Any, ctx: KContext) -> TransformerConfig:
    """``configurations:``: ``tconfig`` merged with the listed transformer-config files.

    Entries containing a newline are inline configurations, merged first (as kustomize does); the files
    are merged together, then into the result. Unknown sections are errors, as in kustomize.
    """
    if value is None:
        return tconfig
    if not isinstance(value, list):
        raise BuildError("invalid Kustomization: configurations must be a list", location=ctx.where(value))
    result = tconfig
    from_files: TransformerConfig | None = None
    for i, ref in enumerate(value):
        where = ctx.where(value, i)
        if not isinstance(ref, str):
            raise BuildError("invalid Kustomization: configurations entries must be strings", location=where)
        if "\n" in ref or "\r" in ref:
            docs = load_documents(ref.encode(), ctx.kfile)
            result = _merge(result, TransformerConfig.from_document(docs[0] if docs else None, where), where)
            continue
        path = ctx.loader.resolve(ctx.kdir, ref, where)
        docs = ctx.loader.load_yaml(path, where)
        loaded = TransformerConfig.from_document(
            docs[0] if docs else None, Location(ctx.loader.display(path))
        )
        from_files = loaded if from_files is None else _merge(from_files, loaded, where)
    if from_files is not None:
        result = _merge(result, from_files, ctx.field_location("configurations"))
    return result


def _merge(a: TransformerConfig, b: TransformerConfig, where: Location) -> TransformerConfig:
    try:
        return a.merged(b)
    except BuildError as exc:
        raise BuildError(exc.message, location=exc.location or where) from None
