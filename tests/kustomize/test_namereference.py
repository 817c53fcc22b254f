"""Tests for name-reference fixing (expected values come from kustomize v5.7.1 runs)."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.errors import BuildError
from homeops.kustomize.builtin_config import (
    default_name_filters,
    default_tconfig,
    is_default_name_reference,
    name_filters,
)
from homeops.kustomize.namereference import fix_name_references
from homeops.kustomize.resource import ResMap, Resource
from homeops.kustomize.tconfig import FieldSpec, NameBackRef, TransformerConfig
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import to_plain

APP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
---
apiVersion: v1
kind: Secret
metadata: {name: registry}
---
apiVersion: v1
kind: Service
metadata: {name: app}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      imagePullSecrets: [{name: registry}]
      containers:
      - name: app
        envFrom: [{configMapRef: {name: app-config}}]
        env:
        - name: LEVEL
          valueFrom: {configMapKeyRef: {name: app-config, key: LOG_LEVEL}}
        - name: OTHER
          valueFrom: {configMapKeyRef: {name: not-generated, key: x}}
      volumes:
      - name: config
        configMap: {name: app-config}
      - name: projected
        projected:
          sources:
          - configMap: {name: app-config}
          - secret: {name: registry}
      - name: empty
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: app}
spec:
  rules:
  - http:
      paths:
      - backend: {service: {name: app, port: {number: 80}}}
"""


def _resmap(text: str) -> ResMap:
    return ResMap(Resource(d) for d in load_documents(text, "res.yaml"))


def _by_name(resmap: ResMap) -> dict[str, Any]:
    return {f"{r.kind}/{r.name}": to_plain(r.obj) for r in resmap}


def test_prefix_and_hash_names_follow() -> None:
    resmap = _resmap(APP)
    renames = {"app-config": "dev-app-config-47668c6k28", "registry": "dev-registry-bm4mtdbm8c"}
    for res in resmap:
        res.set_name("dev-" + res.name)
        if res.name[4:] in renames:
            res.set_name(renames[res.name[4:]])
    fix_name_references(resmap, default_tconfig())
    out = _by_name(resmap)
    pod = out["Deployment/dev-app"]["spec"]["template"]["spec"]
    cm, secret = renames["app-config"], renames["registry"]
    assert pod["imagePullSecrets"] == [{"name": secret}]
    container = pod["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": cm}}]
    assert container["env"][0]["valueFrom"]["configMapKeyRef"]["name"] == cm
    assert container["env"][1]["valueFrom"]["configMapKeyRef"]["name"] == "not-generated"
    assert pod["volumes"][0]["configMap"]["name"] == cm
    assert pod["volumes"][1]["projected"]["sources"] == [
        {"configMap": {"name": cm}},
        {"secret": {"name": secret}},
    ]
    backend = out["Ingress/dev-app"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == "dev-app"
    cm_res = next(r for r in resmap if r.kind == "ConfigMap")
    assert [str(i.name) for i in cm_res.refby] == ["dev-app"] * 4


RBAC = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules:
- resourceNames: [settings]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: runner-reader}
subjects:
- {kind: ServiceAccount, name: runner, namespace: somewhere-else}
- {kind: ServiceAccount, name: runner}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: runner-view}
subjects:
- {kind: ServiceAccount, name: runner, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: job}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: runner
"""


def test_rbac_subjects_roleref_and_namespaces() -> None:
    resmap = _resmap(RBAC)
    for res in resmap:
        if res.kind != "ClusterRoleBinding":
            res.set_namespace("apps")
        res.set_name(res.name + "-v2")
    fix_name_references(resmap, default_tconfig())
    out = _by_name(resmap)
    rb = out["RoleBinding/runner-reader-v2"]
    assert rb["subjects"] == [
        {"kind": "ServiceAccount", "name": "runner", "namespace": "somewhere-else"},
        {"kind": "ServiceAccount", "name": "runner-v2", "namespace": "apps"},
    ]
    assert rb["roleRef"]["name"] == "reader-v2"
    crb = out["ClusterRoleBinding/runner-view-v2"]
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "runner-v2", "namespace": "apps"}]
    assert crb["roleRef"]["name"] == "view"
    assert out["Role/reader-v2"]["rules"][0]["resourceNames"] == ["settings-v2"]
    job = out["CronJob/job-v2"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert job["serviceAccountName"] == "runner-v2"


def _backrefs(kind: str, *paths: tuple[str, str]) -> TransformerConfig:
    specs = tuple(FieldSpec(path=p, kind=k) for k, p in paths)
    return TransformerConfig(name_reference=[NameBackRef(kind=kind, version="v1", referrers=specs)])


TWO_NS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: b}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: b}
spec: {ref: cm}
"""


def test_namespace_narrows_candidates() -> None:
    resmap = _resmap(TWO_NS)
    resources = resmap.resources()
    resources[0].set_name("cm-a")
    resources[1].set_name("cm-b")
    fix_name_references(resmap, _backrefs("ConfigMap", ("Pod", "spec/ref")))
    assert resources[2].obj["spec"]["ref"] == "cm-b"


def test_unrenamed_resources_are_not_candidates() -> None:
    resmap = _resmap(TWO_NS)
    fix_name_references(resmap, _backrefs("ConfigMap", ("Pod", "spec/ref")))
    assert resmap.resources()[2].obj["spec"]["ref"] == "cm"


AMBIGUOUS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm2}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules:
- resourceNames: [cm]
"""


def test_ambiguous_referral_is_an_error() -> None:
    resmap = _resmap(AMBIGUOUS)
    a, b, _ = resmap.resources()
    a.set_name("x")
    b.set_name("cm")  # b once had the name "cm" too
    b.set_name("y")
    with pytest.raises(BuildError) as info:
        fix_name_references(resmap, _backrefs("ConfigMap", ("ClusterRole", "rules/resourceNames")))
    assert "found multiple possible referrals" in info.value.message
    assert "updating name reference in 'rules/resourceNames' field of 'ClusterRole." in info.value.message


@pytest.mark.parametrize(
    ("referrer_prefixes", "referrer_suffixes", "expected"),
    [
        (["a-"], [], "a-cm"),
        (["b-"], ["-v2"], "b-cm-v2"),
        (["inner-", "b-"], ["-v2"], "b-cm-v2"),  # the candidate's affixes end the referrer's
        ([], [], None),  # no candidate has the referrer's (empty) affixes: the reference is left alone
    ],
)
def test_prefixes_and_suffixes_break_ties(
    referrer_prefixes: list[str], referrer_suffixes: list[str], expected: str | None
) -> None:
    resmap = _resmap(AMBIGUOUS)
    a, b, role = resmap.resources()
    b.set_name("cm")
    for res, prefix, suffix in ((a, "a-", ""), (b, "b-", "-v2")):
        res.set_name(f"{prefix}cm{suffix}")
        res.name_prefixes.append(prefix)
        if suffix:
            res.name_suffixes.append(suffix)
    role.name_prefixes.extend(referrer_prefixes)
    role.name_suffixes.extend(referrer_suffixes)
    fix_name_references(resmap, _backrefs("ConfigMap", ("ClusterRole", "rules/resourceNames")))
    assert role.obj["rules"][0]["resourceNames"] == [expected or "cm"]


def test_identical_candidates_take_the_first() -> None:
    resmap = _resmap(AMBIGUOUS)
    a, b, role = resmap.resources()
    a.set_name("same")
    b.set_name("cm")
    b.set_name("same2")
    b.metadata["name"] = "same"
    b.metadata["namespace"] = "other"
    fix_name_references(resmap, _backrefs("ConfigMap", ("ClusterRole", "rules/resourceNames")))
    assert role.obj["rules"][0]["resourceNames"] == ["same"]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ("spec: {ref: [{namespace: x}]}", "spec/ref", "path config error; no 'name' field in node"),
        ("spec: scalar", "spec/ref/name", "expected sequence or mapping node"),
    ],
)
def test_config_errors(body: str, path: str, message: str) -> None:
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\n"
    resmap = _resmap(f"{head}kind: Pod\nmetadata: {{name: p}}\n{body}\n")
    resmap.resources()[0].set_name("cm2")
    with pytest.raises(BuildError) as info:
        fix_name_references(resmap, _backrefs("ConfigMap", ("Pod", path)))
    assert message in info.value.message


@pytest.mark.parametrize(
    "gvk",
    [("apps", "v1", "Deployment"), ("", "v1", "Pod"), ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
     ("batch", "v1", "CronJob"), ("example.com", "v1", "Unknown")],
)  # fmt: skip
def test_the_default_rules_filters_are_found_once_and_equal_the_plain_ones(gvk: tuple[str, str, str]) -> None:
    """A build with kustomize's default ``nameReference`` rules takes the filters of each GVK from a memo;
    they are those the rules select, and a configuration that changes one rule is not taken for them."""
    refs = default_tconfig().name_reference
    assert is_default_name_reference(refs)
    assert default_name_filters(*gvk) == name_filters(refs, *gvk)
    assert default_name_filters(*gvk) is default_name_filters(*gvk)
    changed = [NameBackRef(kind=refs[0].kind, group=refs[0].group, version=refs[0].version), *refs[1:]]
    assert not is_default_name_reference(changed) and not is_default_name_reference(refs[1:])
    if gvk[2] == "Deployment":  # the fixture's point: Deployments refer to ConfigMaps by name
        assert any(b.kind == "ConfigMap" for b, _ in default_name_filters(*gvk))
