"""The simple built-in transformers, the default config and ``configurations:``.

Golden cases run the steps on fixtures under tests/fixtures/kustomize/tx-*/ and compare the objects with
the oracle's expected.yaml (object by object; document order and formatting are the emitter's business).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homeops.errors import BuildError
from homeops.kustomize.builtin_config import default_tconfig, load_configurations
from homeops.kustomize.context import KContext
from homeops.kustomize.files import FileLoader
from homeops.kustomize.images import ImageRule, image_matches, rewrite_image, split_image
from homeops.kustomize.resource import ResId, ResMap, Resource
from homeops.kustomize.tconfig import FieldSpec, NameBackRef, TransformerConfig
from homeops.kustomize.transformers import (
    apply_common_annotations,
    apply_common_labels,
    apply_images,
    apply_labels,
    apply_namespace,
    apply_prefix_suffix,
    apply_replicas,
)
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, from_plain, to_plain

FIXTURES = Path(__file__).parent.parent / "fixtures" / "kustomize"

# kustomize's order for these steps
_STEPS = (
    ("namespace", apply_namespace),
    ("namePrefix|nameSuffix", apply_prefix_suffix),
    ("labels", apply_labels),
    ("commonLabels", apply_common_labels),
    ("commonAnnotations", apply_common_annotations),
    ("replicas", apply_replicas),
    ("images", apply_images),
)


def _ctx(kdir: Path, kust: YMap, tconfig: TransformerConfig | None = None) -> KContext:
    loader = FileLoader(kdir, cwd=kdir)
    return KContext(loader, kdir, "kustomization.yaml", tconfig or default_tconfig(), kust)


def _build(kdir: Path) -> list[Any]:
    kust = load_documents((kdir / "kustomization.yaml").read_bytes(), "kustomization.yaml")[0]
    ctx = _ctx(kdir, kust)
    if "configurations" in kust:
        ctx.tconfig = load_configurations(ctx.tconfig, kust["configurations"], ctx)
    resmap = ResMap()
    for ref in kust["resources"]:
        for doc in load_documents((kdir / ref).read_bytes(), ref):
            resmap.append(Resource(doc))
    for key, step in _STEPS:
        names = key.split("|")
        if any(n in kust for n in names):
            step(resmap, kust.get(names[0]), ctx)
    return [to_plain(r.obj) for r in resmap]


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    return (obj.get("apiVersion", ""), obj["kind"], obj["metadata"]["name"])


@pytest.mark.parametrize(
    "case", sorted(p.name for p in FIXTURES.glob("tx-*") if (p / "expected.yaml").exists())
)
def test_golden(case: str) -> None:
    kdir = FIXTURES / case
    expected = [to_plain(d) for d in load_documents((kdir / "expected.yaml").read_bytes(), "expected.yaml")]
    got = _build(kdir)
    assert sorted(got, key=_key) == sorted(expected, key=_key)


@pytest.mark.parametrize(
    "case", sorted(p.name for p in FIXTURES.glob("tx-*") if (p / "expected.err").exists())
)
def test_golden_errors(case: str) -> None:
    kdir = FIXTURES / case
    expected = (kdir / "expected.err").read_text().strip().removeprefix("error: ")
    with pytest.raises(BuildError) as info:
        _build(kdir)
    assert info.value.message == expected


# -- default configuration ------------------------------------------------------------------------------


def test_default_config_contents() -> None:
    tc = default_tconfig()
    assert tc.name_prefix == [FieldSpec("metadata/name")]
    assert tc.name_suffix == [FieldSpec("metadata/name")]
    assert FieldSpec("spec/selector", version="v1", kind="Service", create=True) in tc.common_labels
    assert FieldSpec("spec/volumes[]/image/reference", create=True) in tc.images
    assert len(tc.common_labels) == 32 and len(tc.template_labels) == 10 and len(tc.var_reference) == 72
    assert [fs.kind for fs in tc.replicas] == [
        "Deployment",
        "StatefulSet",
        "ReplicaSet",
        "ReplicationController",
    ]
    by_kind = {(n.kind, n.group): n for n in tc.name_reference}
    assert len(tc.name_reference) == 16
    secret = by_kind[("Secret", "")]
    assert (
        FieldSpec("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret", kind="Ingress")
        in secret.referrers
    )
    assert by_kind[("IngressClass", "networking.k8s.io/v1")].referrers == (
        FieldSpec("spec/ingressClassName", kind="Ingress"),
    )
    assert sum(len(n.referrers) for n in tc.name_reference) == 167
    # fresh copies
    tc.images.clear()
    assert default_tconfig().images


def test_merge_dedupes_and_conflicts() -> None:
    a = TransformerConfig(common_labels=[FieldSpec("metadata/labels", kind="Deployment", create=True)])
    b = TransformerConfig(
        common_labels=[FieldSpec("metadata/labels", create=True), FieldSpec("spec/x", kind="W")]
    )
    assert a.merged(b).common_labels == [
        FieldSpec("metadata/labels", kind="Deployment", create=True),
        FieldSpec("spec/x", kind="W"),
    ]
    with pytest.raises(BuildError, match="failed to merge CommonLabels fieldSpec: conflicting fieldspecs"):
        a.merged(TransformerConfig(common_labels=[FieldSpec("metadata/labels")]))


def test_merge_name_references() -> None:
    a = TransformerConfig(
        name_reference=[NameBackRef("ConfigMap", version="v1", referrers=(FieldSpec("a", kind="X"),))]
    )
    b = TransformerConfig(
        name_reference=[
            NameBackRef(
                "ConfigMap", version="v1", referrers=(FieldSpec("a", kind="X"), FieldSpec("b", kind="Y"))
            ),
            NameBackRef("Secret", version="v1", referrers=(FieldSpec("c", kind="Z"),)),
        ]
    )
    merged = a.merged(b).name_reference
    assert [n.kind for n in merged] == ["ConfigMap", "Secret"]
    assert merged[0].referrers == (FieldSpec("a", kind="X"), FieldSpec("b", kind="Y"))


def test_config_document_strict() -> None:
    with pytest.raises(BuildError, match='unknown field "bogus"'):
        TransformerConfig.from_document({"bogus": []})
    doc = {"nameReference": [{"kind": "Thing", "fieldSpecs": [{"path": "spec/ref", "kind": "W"}]}]}
    assert TransformerConfig.from_document(doc).name_reference == [
        NameBackRef("Thing", referrers=(FieldSpec("spec/ref", kind="W"),))
    ]


def test_load_configurations_file_and_conflict(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("commonLabels:\n- path: spec/sel\n  kind: W\n  create: true\n")
    (tmp_path / "b.yaml").write_text("namePrefix:\n- path: metadata/name\n  create: true\n")
    ctx = _ctx(tmp_path, YMap())
    tc = load_configurations(ctx.tconfig, from_plain(["a.yaml"]), ctx)
    assert FieldSpec("spec/sel", kind="W", create=True) in tc.common_labels
    with pytest.raises(BuildError, match="failed to merge NamePrefix fieldSpec: conflicting fieldspecs"):
        load_configurations(ctx.tconfig, from_plain(["b.yaml"]), ctx)


# -- steps in isolation -----------------------------------------------------------------------------------


def _resmap(*objs: dict[str, Any]) -> ResMap:
    return ResMap(Resource(from_plain(o)) for o in objs)


def _step(step: Any, value: Any, *objs: dict[str, Any], kust: dict[str, Any] | None = None) -> ResMap:
    resmap = _resmap(*objs)
    step(resmap, from_plain(value), _ctx(Path("/tmp"), from_plain(kust or {})))
    return resmap


def test_namespace_records_previous_ids_and_skips_cluster_scoped() -> None:
    rm = _step(
        apply_namespace,
        "prod",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "old"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}},
    )
    cm, ns, cr = rm.resources()
    assert cm.namespace == "prod" and cm.prev_ids == [ResId("", "v1", "ConfigMap", "cm", "old")]
    assert ns.name == "prod" and ns.prev_ids == [ResId("", "v1", "Namespace", "ns")]
    assert "namespace" not in cr.metadata and cr.prev_ids == []


def test_namespace_conflict() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "a"}}
    cm2 = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "b"}}
    with pytest.raises(BuildError, match="namespace transformation produces ID conflict"):
        _step(apply_namespace, "x", cm, cm2)


def test_prefix_suffix_records_previous_id() -> None:
    rm = _step(
        apply_prefix_suffix,
        None,
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}},
        kust={"namePrefix": "a-", "nameSuffix": "-z"},
    )
    (res,) = rm.resources()
    assert res.name == "a-s-z" and res.prev_ids == [ResId("", "v1", "Secret", "s")]
    assert res.name_prefixes == ["a-"] and res.name_suffixes == ["-z"]


def test_prefix_suffix_are_recorded_innermost_first() -> None:
    rm = _resmap({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
    ctx = _ctx(Path("/tmp"), from_plain({"namePrefix": "inner-"}))
    apply_prefix_suffix(rm, None, ctx)
    ctx = _ctx(Path("/tmp"), from_plain({"namePrefix": "outer-", "nameSuffix": "-x"}))
    apply_prefix_suffix(rm, None, ctx)
    (res,) = rm.resources()
    assert res.name == "outer-inner-s-x"
    assert res.name_prefixes == ["inner-", "outer-"] and res.name_suffixes == ["-x"]
    copy = res.copy()
    copy.name_prefixes.append("more-")
    assert copy.name_prefixes == ["inner-", "outer-", "more-"] and res.name_prefixes == ["inner-", "outer-"]
    assert copy.name_suffixes == ["-x"]


@pytest.mark.parametrize(
    ("api_version", "kind", "cluster_scoped"),
    [
        ("v1", "Namespace", True),
        ("example.com/v1", "Namespace", False),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", True),
        ("rbac.authorization.k8s.io/v2", "ClusterRole", False),
        ("v1", "StorageClass", False),
        ("storage.k8s.io/v1", "StorageClass", True),
        ("policy/v1beta1", "PodSecurityPolicy", True),
        ("policy/v1", "PodSecurityPolicy", False),
        ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", True),
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", False),  # newer than kustomize's v1.21 schema
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", False),
        ("v1", "ConfigMap", False),
    ],
)
def test_cluster_scope_is_by_api_version_and_kind(api_version: str, kind: str, cluster_scoped: bool) -> None:
    res = Resource(from_plain({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}))
    rid = res.cur_id()
    assert res.is_cluster_scoped is cluster_scoped and rid.is_cluster_scoped is cluster_scoped
    assert rid.api_version == api_version
    assert rid.effective_namespace == ("_non_namespaceable_" if cluster_scoped else "default")
    rm = _step(apply_namespace, "prod", {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})
    assert ("namespace" in rm.resources()[0].metadata) is not cluster_scoped


@pytest.mark.parametrize("value", ["true", "1", "", "0x10", "null"])
def test_label_values_stay_strings(value: str) -> None:
    rm = _step(
        apply_common_labels, {"k": value}, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    )
    obj = to_plain(rm.resources()[0].obj)
    assert obj["metadata"]["labels"] == {"k": value} and obj["spec"]["selector"] == {"k": value}


def test_common_labels_refuse_non_strings() -> None:
    with pytest.raises(BuildError, match="commonLabels.k must be a string"):
        _step(
            apply_common_labels,
            {"k": True},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}},
        )


def test_label_on_scalar_selector_errors() -> None:
    np = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np"},
        "spec": {"podSelector": {"matchLabels": "x"}},
    }
    with pytest.raises(BuildError, match="considering field 'spec/podSelector/matchLabels' of object"):
        _step(apply_common_labels, {"a": "b"}, np)


def test_replicas_map_errors() -> None:
    ss = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "d"}, "spec": {"replicas": {}}}
    with pytest.raises(BuildError, match="wrong node kind: expected ScalarNode but got MappingNode"):
        _step(apply_replicas, [{"name": "d", "count": 3}], ss)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ("nginx", "", "")),
        ("nginx:1.0", ("nginx", "1.0", "")),
        ("nginx@sha256:abc", ("nginx", "", "sha256:abc")),
        ("nginx:1.0@sha256:abc", ("nginx", "1.0", "sha256:abc")),
        ("localhost:5000/nginx:2", ("localhost:5000/nginx", "2", "")),
        ("localhost:5000/nginx", ("localhost:5000/nginx", "", "")),
        ("ghcr.io/org/app:v1", ("ghcr.io/org/app", "v1", "")),
    ],
)
def test_split_image(image: str, expected: tuple[str, str, str]) -> None:
    assert split_image(image) == expected


@pytest.mark.parametrize(
    ("image", "name", "expected"),
    [
        ("nginx", "nginx", True),
        ("nginx:1", "nginx", True),
        ("nginxx:1", "nginx", False),
        ("docker.io/nginx", "nginx", False),
        ("nginx@sha256:a", "nginx", True),
        ("nginx\n", "nginx", False),
    ],
)
def test_image_matches(image: str, name: str, expected: bool) -> None:
    assert image_matches(image, name) is expected


@pytest.mark.parametrize(
    ("rule", "image", "expected"),
    [
        (ImageRule("nginx", new_tag="2"), "nginx:1@sha256:x", "nginx:2"),
        (ImageRule("nginx", digest="sha256:y"), "nginx:1", "nginx@sha256:y"),
        (ImageRule("nginx", new_tag="2", digest="sha256:y"), "nginx", "nginx:2@sha256:y"),
        (ImageRule("nginx", new_name="r/n"), "nginx:1", "r/n:1"),
        (ImageRule("nginx", tag_suffix="-x"), "nginx:1@sha256:x", "nginx:1-x"),
        (ImageRule("redis", new_tag="2"), "nginx:1", None),
    ],
)
def test_rewrite_image(rule: ImageRule, image: str, expected: str | None) -> None:
    assert rewrite_image(image, rule) == expected


def test_each_default_transformer_config_is_a_fresh_copy() -> None:
    # the defaults are built and sorted once: what default_tconfig hands out must not share its lists
    first = default_tconfig()
    first.images.clear()
    first.name_reference.append(first.name_reference[0])
    second = default_tconfig()
    assert second.images and second.images is not first.images
    assert len(second.name_reference) == len(first.name_reference) - 1
    resorted = second.copy()
    resorted.sort()
    assert resorted == second  # handed out sorted, as kustomize sorts its defaults
