"""Old Flux API versions: Kustomization v1beta1/v1beta2, HelmRelease v2beta1/v2beta2, sources v1beta1/v1beta2.

What the controllers of those versions did with their fields, from their source:

* kustomize-controller v0.13.0 and v0.26.0, controllers/kustomization_generator.go ``WriteFile`` (and
  fluxcd/pkg kustomize/v1.35.4 kustomize/kustomize_generator.go ``GenerateManifest``, used since): every
  ``patchesStrategicMerge`` object becomes ``kustypes.PatchStrategicMerge(m.Raw)``, i.e. its JSON text;
  every ``patchesJson6902`` entry becomes ``{patch: json.Marshal(m.Patch), target}`` (operations as the
  ``JSON6902`` struct: op, path, from, value); an ``images`` entry whose name the kustomization already
  lists replaces it in place (``checkKustomizeImageExists``), else is appended; ``patches`` keep only
  ``patch`` and ``target``;
* helm-controller v0.37.4 internal/postrender/kustomize.go ``Run``: the same conversion for a
  post-renderer, over one resource ``helm-output.yaml``; api/v2beta1 ``PostRenderer.Kustomize`` holds
  patches, patchesStrategicMerge, patchesJson6902 and images, api/v2 only patches and images;
* the CRDs (config/crd/bases) say which versions each release served.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from homeops.flux.apiversions import removed_in
from homeops.flux.generator import flux_kustomization_file
from homeops.flux.kinds import FluxKustomization, HelmRelease, flux_kind, is_source
from homeops.flux.kustomizetypes import Image, Json6902Patch, Selector, go_json_object
from homeops.kustomize.build import Builder
from homeops.yaml.emitter import dump_documents
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, to_plain

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fluxrepos" / "old-api"
ORACLE_BIN = Path(__file__).resolve().parents[3] / "shared" / "tools" / "oracle-bin"


def _obj(text: str, file: str = "ks.yaml") -> YMap:
    (doc,) = [d for d in load_documents(text.encode(), file) if d is not None]
    assert isinstance(doc, YMap)
    return doc


def _ks(api: str, spec: str) -> FluxKustomization:
    head = f"apiVersion: kustomize.toolkit.fluxcd.io/{api}\nkind: Kustomization\n"
    return FluxKustomization.from_obj(_obj(head + "metadata: {name: app, namespace: flux-system}\n" + spec))


def _line(text: str, start: str) -> int:
    """The 1-based line of ``text`` that starts with ``start``."""
    (found,) = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return found


def _hr(api: str, spec: str, name: str = "podinfo") -> HelmRelease:
    head = f"apiVersion: helm.toolkit.fluxcd.io/{api}\nkind: HelmRelease\n"
    return HelmRelease.from_obj(_obj(head + f"metadata: {{name: {name}, namespace: apps}}\n" + spec))


# -- served versions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "kind", "known", "gone"),
    [
        ("kustomize.toolkit.fluxcd.io/v1beta1", "Kustomization", True, "kustomize-controller v1.7.0"),
        ("kustomize.toolkit.fluxcd.io/v1beta2", "Kustomization", True, "kustomize-controller v1.8.0"),
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization", True, None),
        ("kustomize.toolkit.fluxcd.io/v1alpha1", "Kustomization", False, None),
        ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", True, "helm-controller v1.4.0"),
        ("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease", True, "helm-controller v1.5.0"),
        ("helm.toolkit.fluxcd.io/v2alpha1", "HelmRelease", False, None),
        ("source.toolkit.fluxcd.io/v1beta1", "GitRepository", True, "source-controller v1.7.0"),
        ("source.toolkit.fluxcd.io/v1beta2", "GitRepository", True, "source-controller v1.8.0"),
        ("source.toolkit.fluxcd.io/v1beta1", "HelmRepository", True, "source-controller v1.7.0"),
        ("source.toolkit.fluxcd.io/v1beta2", "HelmChart", True, "source-controller v1.8.0"),
        ("source.toolkit.fluxcd.io/v1beta1", "Bucket", True, "source-controller v1.7.0"),
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", True, "source-controller v1.8.0"),
        ("source.toolkit.fluxcd.io/v1beta1", "OCIRepository", False, None),  # OCIRepository began at v1beta2
        ("source.toolkit.fluxcd.io/v1beta2", "ExternalArtifact", False, None),
    ],
)
def test_served_versions(api_version: str, kind: str, known: bool, gone: str | None) -> None:
    assert (flux_kind(api_version, kind) == kind) is known
    assert removed_in(api_version, kind) == gone
    if kind not in ("Kustomization", "HelmRelease"):
        assert is_source({"apiVersion": api_version, "kind": kind}) is known


# -- Kustomization model -----------------------------------------------------------------------------------

_OLD_SPEC = """spec:
  interval: 5m
  path: ./app
  prune: true
  validation: client
  targetNamespace: web
  sourceRef: {kind: GitRepository, name: flux-system}
  decryption: {provider: sops, secretRef: {name: sops-age}}
  images: [{name: nginx, newTag: "1.25"}]
  patchesStrategicMerge:
    - {apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: "1"}}
  patchesJson6902:
    - target: {version: v1, kind: ConfigMap, name: settings}
      patch: [{op: add, path: /data/b, value: "2"}]
"""


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_old_kustomization_fields(api: str) -> None:
    ks = _ks(api, _OLD_SPEC)
    assert (ks.path, ks.target_namespace, ks.prune, ks.validation) == ("./app", "web", True, "client")
    assert ks.source_ref is not None and (ks.source_ref.kind, ks.source_ref.namespace) == (
        "GitRepository",
        "flux-system",
    )
    assert (ks.decryption_provider, ks.decryption_secret) == ("sops", "sops-age")
    assert to_plain(ks.images) == [{"name": "nginx", "newTag": "1.25"}]
    assert to_plain(ks.patches_strategic_merge)[0]["metadata"] == {"name": "settings"}
    assert to_plain(ks.patches_json6902)[0]["patch"] == [{"op": "add", "path": "/data/b", "value": "2"}]
    notes = "\n".join(ks.notes)
    assert "spec.validation (client) is ignored since kustomize-controller v0.15.0" in notes
    assert "spec.patchesStrategicMerge is deprecated" in notes
    assert "spec.patchesJson6902 is deprecated" in notes
    gone = "v1.7.0" if api == "v1beta1" else "v1.8.0"
    served = f"kustomize.toolkit.fluxcd.io/{api} Kustomization is no longer served since"
    assert f"{served} kustomize-controller {gone}" in notes


def test_v1_has_no_legacy_patches() -> None:
    # kustomize.toolkit.fluxcd.io/v1 (kustomize-controller v1.0.0 api/v1) has neither field: the API server
    # prunes them, the controller never applies them.
    ks = _ks("v1", _OLD_SPEC)
    assert ks.patches_strategic_merge == [] and ks.patches_json6902 == []
    assert any(
        "spec.patchesStrategicMerge is not a field of kustomize.toolkit.fluxcd.io/v1" in n for n in ks.notes
    )
    assert any(n.startswith("spec.validation (client) is ignored") for n in ks.notes)
    assert not any("no longer served" in n for n in ks.notes)


@pytest.mark.parametrize(("api", "noted"), [("v1beta2", True), ("v1", False)])
def test_targetless_patch_note(api: str, noted: bool) -> None:
    ks = _ks(api, "spec:\n  patches:\n    - patch: '{kind: ConfigMap, metadata: {name: x}}'\n")
    assert any(n.startswith("spec.patches[0] has no target") for n in ks.notes) is noted


def test_current_kustomization_has_no_notes() -> None:
    assert _ks("v1", "spec: {path: ./app, patches: [{patch: x, target: {kind: ConfigMap}}]}\n").notes == ()


# -- HelmRelease model -------------------------------------------------------------------------------------

_HR_SPEC = """spec:
  interval: 30m
  releaseName: podinfo-web
  targetNamespace: web
  chart:
    spec:
      chart: podinfo
      version: "6.5.x"
      sourceRef: {kind: HelmRepository, name: podinfo, namespace: flux-system}
      valuesFile: values-prod.yaml
  valuesFrom:
    - {kind: ConfigMap, name: podinfo-values, valuesKey: overrides.yaml}
    - {kind: Secret, name: podinfo-secret, targetPath: redis.password, optional: true}
  postRenderers:
    - kustomize:
        patches:
          - patch: "- {op: add, path: /metadata/labels/x, value: y}"
            target: {kind: Service, bogus: dropped}
          - patch: "kind: Deployment"
        patchesStrategicMerge:
          - {apiVersion: apps/v1, kind: Deployment, metadata: {name: podinfo-web}}
        patchesJson6902:
          - target: {group: apps, version: v1, kind: Deployment, name: podinfo-web}
            patch: [{op: remove, path: /spec/replicas}]
        images:
          - name: ghcr.io/stefanprodan/podinfo
            newName: registry.example.invalid/podinfo
            digest: "sha256:00"
    - {}
"""


@pytest.mark.parametrize("api", ["v2beta1", "v2beta2"])
def test_old_helmrelease_fields(api: str) -> None:
    hr = _hr(api, _HR_SPEC)
    assert (hr.release_name, hr.target_namespace, hr.release_namespace, hr.storage_namespace) == (
        "podinfo-web",
        "web",
        "web",
        "apps",
    )
    assert hr.chart is not None
    assert (hr.chart.chart, hr.chart.version, hr.chart.values_file) == (
        "podinfo",
        "6.5.x",
        "values-prod.yaml",
    )
    assert hr.chart.source_ref is not None and hr.chart.source_ref.namespace == "flux-system"
    assert [(v.kind, v.name, v.values_key, v.target_path, v.optional) for v in hr.values_from] == [
        ("ConfigMap", "podinfo-values", "overrides.yaml", "", False),
        ("Secret", "podinfo-secret", "values.yaml", "redis.password", True),
    ]
    first, second = hr.post_renderers
    assert first.kustomize and not second.kustomize
    assert [p.target for p in first.patches] == [Selector(kind="Service"), None]
    assert [to_plain(p) for p in first.patches_strategic_merge] == [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "podinfo-web"}}
    ]
    (json_patch,) = first.patches_json6902
    assert json_patch.target == Selector(group="apps", version="v1", kind="Deployment", name="podinfo-web")
    assert json_patch.patch_text() == '[{"op":"remove","path":"/spec/replicas"}]'
    assert first.images == (
        Image(
            "ghcr.io/stefanprodan/podinfo",
            new_name="registry.example.invalid/podinfo",
            digest="sha256:00",
            location=first.images[0].location,
        ),
    )
    # positions kept: where each entry is written (the spec starts on line 4 of the document)
    assert first.location is not None and first.location.line == 3 + _line(_HR_SPEC, "    - kustomize:")
    assert [p.location.line for p in first.patches if p.location] == [
        3 + _line(_HR_SPEC, '          - patch: "- {op'),
        3 + _line(_HR_SPEC, '          - patch: "kind'),
    ]
    assert json_patch.location is not None
    assert json_patch.location.line == 3 + _line(_HR_SPEC, "          - target: {group: apps")
    assert first.patches_strategic_merge[0].pos is not None
    assert any("postRenderers[0].kustomize.patchesStrategicMerge is deprecated" in n for n in hr.notes)


def test_v2_post_renderer_has_no_legacy_patches() -> None:
    hr = _hr("v2", _HR_SPEC)
    first = hr.post_renderers[0]
    assert first.patches_strategic_merge == () and first.patches_json6902 == ()
    assert first.ignored == ("patchesStrategicMerge", "patchesJson6902")
    assert len(first.patches) == 2 and len(first.images) == 1
    assert any("is not a field of helm.toolkit.fluxcd.io/v2" in n for n in hr.notes)


@pytest.mark.parametrize(("api", "noted"), [("v2beta1", True), ("v2beta2", False), ("v2", False)])
def test_long_release_name(api: str, noted: bool) -> None:
    hr = _hr(
        api, "spec: {targetNamespace: a-very-long-target-namespace-name}\n", name="an-equally-long-release"
    )
    assert len(hr.release_name) == 53  # shortened as helm-controller v0.37.0 and later do
    assert any("longer than 53 characters" in n for n in hr.notes) is noted


def test_post_renderer_kustomization() -> None:
    """helm-controller v0.37.4 internal/postrender/kustomize.go: one resource, the lists converted."""
    pr = _hr("v2beta1", _HR_SPEC).post_renderers[0]
    got = to_plain(pr.kustomization())
    assert got == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["helm-output.yaml"],
        "images": [
            {
                "name": "ghcr.io/stefanprodan/podinfo",
                "newName": "registry.example.invalid/podinfo",
                "digest": "sha256:00",
            }
        ],
        "patches": [
            {"patch": "- {op: add, path: /metadata/labels/x, value: y}", "target": {"kind": "Service"}},
            {"patch": "kind: Deployment"},
        ],
        "patchesStrategicMerge": [
            '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"podinfo-web"}}'
        ],
        "patchesJson6902": [
            {
                "patch": '[{"op":"remove","path":"/spec/replicas"}]',
                "target": {"group": "apps", "version": "v1", "kind": "Deployment", "name": "podinfo-web"},
            }
        ],
    }


# -- the generated kustomization ---------------------------------------------------------------------------


def _generate(tmp_path: Path, ks: FluxKustomization, kustomization: str | None = None) -> dict[str, Any]:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n")
    if kustomization is not None:
        (tmp_path / "app" / "kustomization.yaml").write_text(kustomization)
    data = flux_kustomization_file(ks, tmp_path / "app", Builder(tmp_path).loader)
    out = to_plain(data)
    assert isinstance(out, dict)
    return out


def test_generator_writes_legacy_patches_as_flux_does(tmp_path: Path) -> None:
    ks = _ks(
        "v1beta2",
        """spec:
  path: ./app
  patchesStrategicMerge:
    - {kind: ConfigMap, apiVersion: v1, metadata: {name: settings}, data: {z: "1", a: 2, "<b>": true, f: 1.5}}
  patchesJson6902:
    - target: {version: v1, kind: ConfigMap, name: settings, extra: dropped}
      patch:
        - {value: "2", path: /data/b, op: add, unknown: dropped}
        - {from: /data/a, path: /data/c, op: copy}
        - {op: add, path: /data/n, value: null}
""",
    )
    data = _generate(tmp_path, ks, "resources: [cm.yaml]\npatchesStrategicMerge:\n  - own.yaml\n")
    # the kustomization's own entries first, then Flux's, as JSON text (keys sorted, HTML-escaped)
    assert data["patchesStrategicMerge"] == [
        "own.yaml",
        '{"apiVersion":"v1","data":{"\\u003cb\\u003e":true,"a":2,"f":1.5,"z":"1"},"kind":"ConfigMap",'
        '"metadata":{"name":"settings"}}',
    ]
    # op, path, from, value in struct order; unknown keys dropped; a null value omitted (nil *JSON)
    assert data["patchesJson6902"] == [
        {
            "patch": '[{"op":"add","path":"/data/b","value":"2"},'
            '{"op":"copy","path":"/data/c","from":"/data/a"},{"op":"add","path":"/data/n"}]',
            "target": {"version": "v1", "kind": "ConfigMap", "name": "settings"},
        }
    ]


def test_generator_images_replace_by_name(tmp_path: Path) -> None:
    ks = _ks(
        "v1beta1", "spec:\n  path: ./app\n  images: [{name: b, newTag: '2'}, {name: c, digest: 'sha256:1'}]\n"
    )
    data = _generate(
        tmp_path, ks, "resources: [cm.yaml]\nimages:\n  - {name: a, newTag: '1'}\n  - {name: b, newName: x}\n"
    )
    # checkKustomizeImageExists: b replaced in place (its newName is gone), c appended
    assert data["images"] == [
        {"name": "a", "newTag": "1"},
        {"name": "b", "newTag": "2"},
        {"name": "c", "digest": "sha256:1"},
    ]


def test_generator_patches_keep_patch_and_target_only(tmp_path: Path) -> None:
    ks = _ks(
        "v1beta2",
        "spec:\n  path: ./app\n  patches:\n"
        "    - {patch: 'p1', target: {kind: ConfigMap, labelSelector: 'a=b', nope: 1},\n"
        "       options: {allowNameChange: true}}\n"
        "    - {patch: 'p2'}\n",
    )
    data = _generate(tmp_path, ks)
    assert data["patches"] == [
        {"patch": "p1", "target": {"kind": "ConfigMap", "labelSelector": "a=b"}},
        {"patch": "p2"},
    ]
    assert data["resources"] == ["./cm.yaml"]


def test_generated_entries_point_at_the_flux_kustomization(tmp_path: Path) -> None:
    ks = _ks(
        "v1beta2",
        "spec:\n  path: ./app\n  patchesJson6902:\n    - target: {kind: ConfigMap}\n      patch: []\n",
    )
    data = flux_kustomization_file(ks, _app(tmp_path), Builder(tmp_path).loader)
    pos = data["patchesJson6902"].item_pos(0)
    assert pos is not None and (pos.file, pos.line) == ("ks.yaml", 7)


def _app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    return app


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None, 1.0, 2.5, "x"]}, '{"a":[true,null,1,2.5,"x"],"b":1}'),
        ({"s": "a&b<c>"}, '{"s":"a\\u0026b\\u003cc\\u003e"}'),
        ({"big": 12345678901234567890}, '{"big":12345678901234567890}'),
    ],
)
def test_go_json(value: Any, text: str) -> None:
    assert go_json_object(value) == text


def test_json6902_value_kinds() -> None:
    op = YMap([("op", "replace"), ("path", "/a"), ("value", YMap([("k", [1, "2"])]))])
    assert (
        Json6902Patch((op,), Selector()).patch_text()
        == '[{"op":"replace","path":"/a","value":{"k":[1,"2"]}}]'
    )


# -- the fixture repository, end to end --------------------------------------------------------------------

# Checked against the oracle: kubectl kustomize on workloads/web with the kustomization.yaml Flux
# generates for Kustomization flux-system/web (test_fixture_generator_matches_kubectl) gives these objects;
# homeops adds the ownership labels of ``flux build``.
WEB_YAML = """apiVersion: v1
data:
  copied-mode: production
  mode: production
kind: ConfigMap
metadata:
  labels:
    kustomize.toolkit.fluxcd.io/name: web
    kustomize.toolkit.fluxcd.io/namespace: flux-system
  name: web-settings
  namespace: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    example.invalid/owner: team-web
  labels:
    kustomize.toolkit.fluxcd.io/name: web
    kustomize.toolkit.fluxcd.io/namespace: flux-system
  name: web
  namespace: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - args:
        - --port
        - "8080"
        image: registry.example.invalid/nginx:1.25.3
        name: nginx
        resources:
          limits:
            memory: 256Mi
      - image: busybox:1.36
        name: sidecar
"""


def _checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "old-api"
    shutil.copytree(FIXTURE, repo)
    (repo / ".git").mkdir()
    return repo


def test_fixture_builds_end_to_end(tmp_path: Path) -> None:
    from homeops.flux.cluster import ClusterOptions, build_cluster

    # cluster.py's root discovery is being reworked concurrently: a failure here that only says the root
    # (flux-system/apps, clusters/main/apps.yaml) was not found, or a NameError inside cluster.py, is that
    # rework, not the old-API handling (this test passed with cluster.py importing os).
    cluster = build_cluster(ClusterOptions(repo=_checkout(tmp_path)))
    by_name = {n.name: n for n in cluster.nodes}
    assert set(by_name) >= {"apps", "web"}, [n.ref for n in cluster.nodes]
    apps, web = by_name["apps"], by_name["web"]
    assert apps.status == "ok" and web.status == "ok", (apps.error, web.error)
    assert apps.ks.meta.api_version == "kustomize.toolkit.fluxcd.io/v1beta2"
    assert any(n.startswith("spec.validation (client) is ignored") for n in apps.ks.notes)
    assert web.ks.meta.api_version == "kustomize.toolkit.fluxcd.io/v1beta1"
    assert dump_documents(web.objects) == WEB_YAML
    (release,) = [h for h in cluster.helmreleases if h.hr.name == "podinfo"]
    hr = release.hr
    assert (hr.release_name, hr.release_namespace) == ("podinfo-web", "web")
    assert [len(p.patches_strategic_merge) for p in hr.post_renderers] == [1, 0]
    assert [i.new_tag for p in hr.post_renderers for i in p.images] == ["", "6.5.4"]
    assert {o["kind"] for o in apps.objects} >= {
        "Kustomization",
        "HelmRelease",
        "HelmRepository",
        "ConfigMap",
    }


def _kubectl() -> Path | None:
    if not ORACLE_BIN.is_file():
        return None
    proc = subprocess.run(["bash", str(ORACLE_BIN)], capture_output=True, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    kubectl = Path(lines[-1]) / "kubectl" if proc.returncode == 0 and lines else None
    return kubectl if kubectl is not None and kubectl.is_file() else None


def _kubectl_build(kdir: Path) -> str:
    kubectl = _kubectl()
    if kubectl is None:
        pytest.skip(f"the real kubectl is unavailable ({ORACLE_BIN} missing or failing)")
    return subprocess.run(
        [str(kubectl), "kustomize", str(kdir)], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.oracle
def test_fixture_generator_matches_kubectl(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)
    (doc,) = [d for d in load_documents((repo / "apps" / "web.yaml").read_bytes(), "apps/web.yaml") if d]
    ks = FluxKustomization.from_obj(doc)
    kdir = repo / "workloads" / "web"
    builder = Builder(repo)
    data = flux_kustomization_file(ks, kdir, builder.loader)
    ours = dump_documents(r.obj for r in builder.build(kdir, data))
    (kdir / "kustomization.yaml").write_text(dump_documents([data]), encoding="utf-8")
    assert _kubectl_build(kdir) == ours


HELM_OUTPUT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo-web
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
      - name: podinfo
        image: ghcr.io/stefanprodan/podinfo:6.5.4
---
apiVersion: v1
kind: Service
metadata:
  name: podinfo-web
  labels:
    app: podinfo
spec:
  ports:
  - port: 9898
"""


@pytest.mark.oracle
def test_post_renderers_chain_matches_kubectl(tmp_path: Path) -> None:
    """Each post-renderer in turn over the previous output (helm-controller's Combined post-renderer)."""
    (doc, _) = [
        d for d in load_documents((FIXTURE / "apps" / "podinfo.yaml").read_bytes(), "podinfo.yaml") if d
    ]
    hr = HelmRelease.from_obj(doc)
    manifests = HELM_OUTPUT
    for i, pr in enumerate(hr.post_renderers):
        kdir = tmp_path / f"pr{i}"
        kdir.mkdir()
        (kdir / "helm-output.yaml").write_text(manifests, encoding="utf-8")
        (kdir / "kustomization.yaml").write_text(dump_documents([pr.kustomization()]), encoding="utf-8")
        ours = dump_documents(r.obj for r in Builder(tmp_path).build(kdir, pr.kustomization()))
        assert _kubectl_build(kdir) == ours
        manifests = ours
    # the second post-renderer's newTag replaced the first one's digest (kustomize's image transformer)
    assert "image: registry.example.invalid/podinfo:6.5.4\n" in manifests
    assert "patched-by: post-renderer" in manifests and "tier: frontend" in manifests
