"""``homeops new app``: a new app under ``kubernetes/apps/<namespace>/<app>/``, listed in its area."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from homeops.errors import UsageError
from homeops.flux.kinds import FluxKustomization, is_flux_kustomization
from homeops.flux.repository import ObjectEntry, Repository
from homeops.scaffold import manifests as m
from homeops.scaffold.files import FileWrite, write_all
from homeops.scaffold.kedit import add_resource, top_level_scalar

APPS_DIR = "kubernetes/apps"
DEFAULT_KS_NAMESPACE = "flux-system"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_CHART_NAME = re.compile(r"[a-z0-9]([-a-z0-9._]*[a-z0-9])?")
_OCI = re.compile(r"oci://[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+")
_PINNED = re.compile(r"v?[0-9]+(\.[0-9]+){0,2}([-+][0-9A-Za-z.+-]+)?")
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?")


@dataclass(frozen=True, slots=True)
class NewAppOptions:
    """What ``new_app`` should create.

    ``chart`` is ``oci://registry/path/chart`` (an OCIRepository and a ``chartRef`` are written) or
    ``repository/chart`` naming a HelmRepository of the repository. ``version`` must be an exact version.
    ``secret`` adds an ExternalSecret producing ``<name>-secret``; ``pvc`` (a size such as ``10Gi``) adds
    the PersistentVolumeClaim ``<name>-data`` of ``storage_class`` (default: the repository's default
    StorageClass).
    """

    repo: Path
    namespace: str
    name: str
    chart: str
    version: str
    secret: bool = False
    pvc: str | None = None
    storage_class: str | None = None


@dataclass(frozen=True, slots=True)
class NewAppResult:
    """What ``new_app`` wrote. Paths are POSIX paths relative to the repository."""

    repo: Path
    app_dir: str
    created: tuple[str, ...]
    updated: tuple[str, ...]
    source: str
    depends_on: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A short human-readable account of the new app."""
        lines = [f"created {self.app_dir} (chart from {self.source})"]
        lines += [f"  + {rel}" for rel in self.created]
        lines += [f"  ~ {rel}" for rel in self.updated]
        if self.depends_on:
            lines.append(f"depends on: {', '.join(self.depends_on)}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _check_options(o: NewAppOptions) -> None:
    for what, value, limit in (("namespace", o.namespace, 63), ("name", o.name, 53)):
        if not _DNS_LABEL.fullmatch(value) or len(value) > limit:
            raise UsageError(
                f"invalid app {what} {value!r}",
                hint=f"lowercase letters, digits and dashes, at most {limit} characters",
            )
    if not _PINNED.fullmatch(o.version):
        raise UsageError(
            f"chart version {o.version!r} is not an exact version",
            hint="pin the chart: a version such as 1.2.3 (no ranges, no latest)",
        )
    if o.pvc is not None and not _QUANTITY.fullmatch(o.pvc):
        raise UsageError(f"invalid volume size {o.pvc!r}", hint="a Kubernetes quantity such as 10Gi")
    if o.storage_class is not None and not _DNS_LABEL.fullmatch(o.storage_class):
        raise UsageError(f"invalid StorageClass name {o.storage_class!r}")


def _entry_ns(entry: ObjectEntry) -> str:
    return entry.namespace or ""


def _chart_source(chart: str, version: str, repo: Repository) -> m.ChartSource:
    if chart.startswith("oci://"):
        if not _OCI.fullmatch(chart):
            raise UsageError(f"invalid OCI chart {chart!r}", hint="oci://registry/path/chart, in lowercase")
        return m.ChartSource(chart.rsplit("/", 1)[1], version, oci_url=chart)
    parts = chart.split("/")
    if len(parts) != 2 or not all(_CHART_NAME.fullmatch(p) for p in parts):
        raise UsageError(
            f"invalid chart {chart!r}",
            hint="oci://registry/path/chart, or REPOSITORY/CHART for a HelmRepository",
        )
    repo_name, chart_name = parts
    found = [
        e
        for e in repo.objects(kind="HelmRepository", group="source.toolkit.fluxcd.io")
        if e.name == repo_name
    ]
    if not found:
        known = sorted({e.name or "" for e in repo.objects(kind="HelmRepository")})
        raise UsageError(
            f"no HelmRepository named {repo_name!r} in the repository",
            hint=f"known: {', '.join(known)}" if known else "add one, or use an oci:// chart",
        )
    return m.ChartSource(
        chart_name, version, helm_repository=repo_name, helm_repository_namespace=found[0].namespace
    )


def _norm_path(path: str) -> str:
    return os.path.normpath(path.strip().removeprefix("./")) if path.strip() not in ("", ".", "./") else "."


def _owner(entry: ObjectEntry, kss: list[FluxKustomization]) -> FluxKustomization | None:
    """The Flux Kustomization whose path holds ``entry``'s file (the deepest one)."""
    best: tuple[int, FluxKustomization] | None = None
    for ks in kss:
        path = _norm_path(ks.path)
        if path == "." or "${" in path:
            continue
        if entry.rel.startswith(path + "/") and (best is None or len(path) > best[0]):
            best = (len(path), ks)
    return best[1] if best else None


class _Context:
    """What new_app needs to know about the repository."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.kss = [FluxKustomization.from_obj(e.obj) for e in repo.entries if is_flux_kustomization(e.obj)]

    def dependency(self, entry: ObjectEntry, reason: str, ks_namespace: str) -> m.Dependency | None:
        owner = _owner(entry, self.kss)
        if owner is None:
            return None
        ns = None if owner.namespace in (ks_namespace, "") else owner.namespace
        return m.Dependency(owner.name, ns, reason)

    def secret_store(self) -> ObjectEntry:
        stores = self.repo.objects(kind="ClusterSecretStore", group="external-secrets.io")
        if not stores:
            raise UsageError(
                "no ClusterSecretStore in the repository for the app's ExternalSecret",
                hint="create one first, or scaffold the app without a secret",
            )
        return stores[0]

    def storage_class(self, wanted: str | None, notes: list[str]) -> ObjectEntry | None:
        classes = self.repo.objects(kind="StorageClass", group="storage.k8s.io")
        if wanted is not None:
            match = next((c for c in classes if c.name == wanted), None)
            if match is None:
                notes.append(f"StorageClass {wanted} is not defined in the repository")
            return match
        defaults = [c for c in classes if _is_default_class(c)]
        if len(defaults) == 1:
            return defaults[0]
        if len(classes) == 1:
            return classes[0]
        notes.append("no single default StorageClass in the repository: pvc.yaml uses the cluster's default")
        return None


def _is_default_class(entry: ObjectEntry) -> bool:
    md = entry.obj.get("metadata")
    annotations = md.get("annotations") if isinstance(md, dict) else None
    return isinstance(annotations, dict) and str(annotations.get(DEFAULT_CLASS_ANNOTATION)) == "true"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def new_app(options: NewAppOptions) -> NewAppResult:
    """Scaffolds ``kubernetes/apps/<namespace>/<name>/`` (``ks.yaml``, ``app/kustomization.yaml``,
    ``app/helmrelease.yaml`` and, as asked, ``app/ocirepository.yaml``, ``app/externalsecret.yaml``,
    ``app/pvc.yaml``) and lists ``./<name>/ks.yaml`` in the area's ``kustomization.yaml``, creating the area
    (``namespace.yaml`` + ``kustomization.yaml``) when it is new. The area file is edited by inserting one
    line, so its comments and other entries stay as they are.

    Raises ``UsageError``, changing nothing, when the app (or a Flux Kustomization of that name) already
    exists, an option is invalid, or the chart's HelmRepository or a ClusterSecretStore is missing.
    """
    _check_options(options)
    root = Path(options.repo).absolute()
    apps = root / APPS_DIR
    if not apps.is_dir():
        raise UsageError(
            f"{APPS_DIR} not found in {root}", hint="run it in a repository made by homeops init"
        )
    area = apps / options.namespace
    app_rel = f"{APPS_DIR}/{options.namespace}/{options.name}"
    if (root / app_rel).exists():
        raise UsageError(f"{app_rel} already exists; nothing was changed", hint="choose another name")
    if area.exists() and not (area / "kustomization.yaml").is_file():
        raise UsageError(
            f"{APPS_DIR}/{options.namespace} exists but has no kustomization.yaml; nothing was changed",
            hint="add one listing the area's resources first",
        )
    area_text = _read(area / "kustomization.yaml") if area.exists() else None
    area_rel = f"{APPS_DIR}/{options.namespace}/kustomization.yaml"
    ks_namespace = DEFAULT_KS_NAMESPACE
    if area_text is not None and top_level_scalar(area_text, "namespace", area_rel) is not None:
        ks_namespace = str(top_level_scalar(area_text, "namespace", area_rel))

    ctx = _Context(Repository.load(root))
    taken = [ks for ks in ctx.kss if ks.name == options.name and ks.namespace in (ks_namespace, "")]
    if taken:
        raise UsageError(
            f"a Flux Kustomization {options.name!r} already exists in {ks_namespace}; nothing was changed",
            hint="Flux Kustomization names must be unique in their namespace",
        )
    notes: list[str] = []
    source = _chart_source(options.chart, options.version, ctx.repo)
    deps: list[m.Dependency] = []
    store_name: str | None = None
    if options.secret:
        store = ctx.secret_store()
        store_name = store.name
        dep = ctx.dependency(store, f"the ClusterSecretStore {store.name}", ks_namespace)
        if dep is not None:
            deps.append(dep)
    storage_class = options.storage_class
    if options.pvc is not None:
        sc = ctx.storage_class(options.storage_class, notes)
        if sc is not None:
            storage_class = sc.name
            dep = ctx.dependency(sc, f"the StorageClass {sc.name}", ks_namespace)
            if dep is not None and dep not in deps:
                deps.append(dep)
    spec = m.AppSpec(
        namespace=options.namespace,
        name=options.name,
        source=source,
        ks_namespace=None if area_text is not None and ks_namespace != DEFAULT_KS_NAMESPACE else ks_namespace,
        depends_on=tuple(deps),
        secret_store=store_name,
        pvc_size=options.pvc,
        storage_class=storage_class,
    )

    files: dict[str, str] = {
        f"{app_rel}/ks.yaml": m.ks_yaml(spec),
        f"{app_rel}/app/kustomization.yaml": m.app_kustomization_yaml(spec),
    }
    builders = {
        "ocirepository.yaml": m.ocirepository_yaml,
        "externalsecret.yaml": m.externalsecret_yaml,
        "pvc.yaml": m.pvc_yaml,
        "helmrelease.yaml": m.helmrelease_yaml,
    }
    for name in m.app_files(spec):
        files[f"{app_rel}/app/{name}"] = builders[name](spec)
    writes = {rel: FileWrite(rel, text.encode("utf-8")) for rel, text in files.items()}
    updated: list[str] = []
    entry = f"./{options.name}/ks.yaml"
    if area_text is None:
        ns_rel = f"{APPS_DIR}/{options.namespace}/namespace.yaml"
        writes[ns_rel] = FileWrite(ns_rel, m.namespace_yaml(options.namespace).encode("utf-8"))
        writes[area_rel] = FileWrite(area_rel, m.area_kustomization_yaml(options.name).encode("utf-8"))
        top = apps / "kustomization.yaml"
        if top.is_file():
            top_rel = f"{APPS_DIR}/kustomization.yaml"
            top_text = _read(top)
            edited = add_resource(top_text, f"./{options.namespace}", top_rel)
            if edited != top_text:
                writes[top_rel] = FileWrite(top_rel, edited.encode("utf-8"), replace=True)
                updated.append(top_rel)
    else:
        edited = add_resource(area_text, entry, area_rel)
        if edited != area_text:
            writes[area_rel] = FileWrite(area_rel, edited.encode("utf-8"), replace=True)
            updated.append(area_rel)
    write_all(root, writes)
    return NewAppResult(
        repo=root,
        app_dir=app_rel,
        created=tuple(rel for rel in writes if rel not in updated),
        updated=tuple(updated),
        source=source.describe,
        depends_on=tuple(d.name for d in deps),
        notes=tuple(notes),
    )
