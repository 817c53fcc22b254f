"""The files ``new_app`` writes, as text (every value was validated before, so no YAML quoting is needed
beyond the quotes written here)."""

from __future__ import annotations

from dataclasses import dataclass

LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
RELOADER_ANNOTATION = "reloader.stakater.com/auto"


@dataclass(frozen=True, slots=True)
class ChartSource:
    """Where the chart comes from: an OCI artifact (``oci_url``) or a HelmRepository."""

    chart: str
    version: str
    oci_url: str | None = None
    helm_repository: str | None = None
    helm_repository_namespace: str | None = None

    @property
    def describe(self) -> str:
        """``OCIRepository oci://...`` or ``HelmRepository flux-system/bitnami``."""
        if self.oci_url is not None:
            return f"OCIRepository {self.oci_url}:{self.version}"
        ns = f"{self.helm_repository_namespace}/" if self.helm_repository_namespace else ""
        return f"HelmRepository {ns}{self.helm_repository} (chart {self.chart} {self.version})"


@dataclass(frozen=True, slots=True)
class Dependency:
    """A Flux Kustomization the app waits for, and why."""

    name: str
    namespace: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class AppSpec:
    """Everything the app's files are made from."""

    namespace: str
    name: str
    source: ChartSource
    ks_namespace: str | None
    depends_on: tuple[Dependency, ...] = ()
    secret_store: str | None = None
    pvc_size: str | None = None
    storage_class: str | None = None

    @property
    def secret_name(self) -> str:
        """The Secret the ExternalSecret produces."""
        return f"{self.name}-secret"

    @property
    def claim_name(self) -> str:
        """The PersistentVolumeClaim of the app's data."""
        return f"{self.name}-data"


def ks_yaml(spec: AppSpec) -> str:
    """The app's Flux Kustomization (``<ns>/<app>/ks.yaml``)."""
    lines = [
        "---",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        f"  name: {spec.name}",
    ]
    if spec.ks_namespace is not None:
        lines.append(f"  namespace: {spec.ks_namespace}")
    lines.append("spec:")
    if spec.depends_on:
        lines.append("  dependsOn:")
        for dep in spec.depends_on:
            lines.append(f"    - name: {dep.name} # {dep.reason}")
            if dep.namespace is not None:
                lines.append(f"      namespace: {dep.namespace}")
    lines += [
        f"  targetNamespace: {spec.namespace}",
        "  commonMetadata:",
        "    labels:",
        f"      app.kubernetes.io/name: {spec.name}",
        f"  path: ./kubernetes/apps/{spec.namespace}/{spec.name}/app",
        "  interval: 1h",
        "  retryInterval: 2m",
        "  timeout: 5m",
        "  prune: true",
        "  wait: false",
        "  sourceRef:",
        "    kind: GitRepository",
        "    name: flux-system",
        "    namespace: flux-system",
    ]
    return "\n".join(lines) + "\n"


def app_kustomization_yaml(spec: AppSpec) -> str:
    """``app/kustomization.yaml``, listing every file of the app."""
    return "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" + "".join(
        f"  - ./{name}\n" for name in app_files(spec)
    )


def app_files(spec: AppSpec) -> list[str]:
    """The file names of ``app/`` besides ``kustomization.yaml``, in the order they are listed."""
    files = []
    if spec.source.oci_url is not None:
        files.append("ocirepository.yaml")
    if spec.secret_store is not None:
        files.append("externalsecret.yaml")
    if spec.pvc_size is not None:
        files.append("pvc.yaml")
    files.append("helmrelease.yaml")
    return files


def ocirepository_yaml(spec: AppSpec) -> str:
    """``app/ocirepository.yaml`` for an ``oci://`` chart."""
    return (
        "---\n"
        "apiVersion: source.toolkit.fluxcd.io/v1\n"
        "kind: OCIRepository\n"
        "metadata:\n"
        f"  name: {spec.name}\n"
        "spec:\n"
        "  interval: 1h\n"
        "  layerSelector:\n"
        f"    mediaType: {LAYER_MEDIA_TYPE}\n"
        "    operation: copy\n"
        "  ref:\n"
        f'    tag: "{spec.source.version}"\n'
        f"  url: {spec.source.oci_url}\n"
    )


def helmrelease_yaml(spec: AppSpec) -> str:
    """``app/helmrelease.yaml``: the chart pinned to its version, values left to the user."""
    src = spec.source
    if src.oci_url is not None:
        chart = f"  chartRef:\n    kind: OCIRepository\n    name: {spec.name}\n"
    else:
        ns = f"        namespace: {src.helm_repository_namespace}\n" if src.helm_repository_namespace else ""
        chart = (
            "  chart:\n"
            "    spec:\n"
            f"      chart: {src.chart}\n"
            f'      version: "{src.version}"\n'
            "      sourceRef:\n"
            "        kind: HelmRepository\n"
            f"        name: {src.helm_repository}\n" + ns
        )
    notes = ["  # The chart's values. Pin every image tag you set here."]
    if spec.secret_store is not None:
        notes.append(
            f"  # The Secret {spec.secret_name} (externalsecret.yaml): mount it (e.g. envFrom) and annotate"
        )
        notes.append(
            f'  # its workload with {RELOADER_ANNOTATION}: "true" to restart it when the secret changes.'
        )
    if spec.pvc_size is not None:
        notes.append(
            f"  # The PersistentVolumeClaim {spec.claim_name} (pvc.yaml): mount it as an existing claim."
        )
    return (
        "---\n"
        "apiVersion: helm.toolkit.fluxcd.io/v2\n"
        "kind: HelmRelease\n"
        "metadata:\n"
        f"  name: {spec.name}\n"
        "spec:\n"
        "  interval: 1h\n" + chart + "  install:\n"
        "    remediation:\n"
        "      retries: 3\n"
        "  upgrade:\n"
        "    cleanupOnFail: true\n"
        "    remediation:\n"
        "      retries: 3\n" + "\n".join(notes) + "\n  values: {}\n"
    )


def externalsecret_yaml(spec: AppSpec) -> str:
    """``app/externalsecret.yaml``: the Secret ``<app>-secret`` from the store's item ``<app>``."""
    return (
        "---\n"
        f"# Produces the Secret {spec.secret_name} from the item `{spec.name}` of the store.\n"
        "apiVersion: external-secrets.io/v1\n"
        "kind: ExternalSecret\n"
        "metadata:\n"
        f"  name: {spec.name}\n"
        "spec:\n"
        "  refreshInterval: 1h\n"
        "  secretStoreRef:\n"
        "    kind: ClusterSecretStore\n"
        f"    name: {spec.secret_store}\n"
        "  target:\n"
        f"    name: {spec.secret_name}\n"
        "    creationPolicy: Owner\n"
        "  dataFrom:\n"
        "    - extract:\n"
        f"        key: {spec.name}\n"
    )


def pvc_yaml(spec: AppSpec) -> str:
    """``app/pvc.yaml``: the claim ``<app>-data``."""
    storage_class = f"  storageClassName: {spec.storage_class}\n" if spec.storage_class else ""
    return (
        "---\n"
        "apiVersion: v1\n"
        "kind: PersistentVolumeClaim\n"
        "metadata:\n"
        f"  name: {spec.claim_name}\n"
        "spec:\n"
        "  accessModes:\n"
        "    - ReadWriteOnce\n" + storage_class + "  resources:\n"
        "    requests:\n"
        f"      storage: {spec.pvc_size}\n"
    )


def namespace_yaml(namespace: str) -> str:
    """``<ns>/namespace.yaml`` of a new area."""
    return f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n"


def area_kustomization_yaml(app: str) -> str:
    """``<ns>/kustomization.yaml`` of a new area."""
    return (
        "---\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "resources:\n"
        "  - ./namespace.yaml\n"
        f"  - ./{app}/ks.yaml\n"
    )
