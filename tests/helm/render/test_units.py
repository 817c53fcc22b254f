"""Pieces of the renderer that need no helm: names, settings, errors, sort order, API versions, cache."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

import pytest

from homeops.errors import Location
from homeops.helm.render import (
    HelmUnavailableError,
    ReleaseSettings,
    find_helm,
    release_name_of,
    shorten_name,
)
from homeops.helm.render.apiversions import api_versions, crd_api_versions
from homeops.helm.render.cache import CachedRun, RenderCache, render_key
from homeops.helm.render.postrender import sort_manifests
from homeops.helm.render.template import parse_errors
from homeops.yaml.nodes import YMap


def _y(**kw: object) -> YMap:
    return YMap(kw)


def test_release_name_defaults_and_shortening() -> None:
    obj = _y(metadata=_y(name="podinfo", namespace="flux-system"), spec=_y(targetNamespace="apps"))
    assert release_name_of(obj) == "apps-podinfo"
    long = "a-very-long-target-namespace-name-for-the-tests"
    obj["spec"]["targetNamespace"] = long
    full = f"{long}-podinfo"
    assert len(full) > 53
    expected = full[:40] + "-" + hashlib.sha256(full.encode()).hexdigest()[:12]
    assert release_name_of(obj) == expected
    assert len(expected) == 53
    assert shorten_name("x" * 53) == "x" * 53
    obj["spec"]["releaseName"] = "explicit"
    assert release_name_of(obj) == "explicit"


def test_settings_from_spec() -> None:
    spec = _y(
        install=_y(crds="CreateReplace", disableSchemaValidation=True, disableOpenAPIValidation=True),
        test=_y(enable=True),
        commonMetadata=_y(labels=_y(team="a")),
    )
    s = ReleaseSettings.from_obj(_y(apiVersion="helm.toolkit.fluxcd.io/v2", spec=spec))
    assert (s.crds, s.include_tests, s.skip_schema_validation, s.disable_openapi_validation) == (
        "CreateReplace",
        True,
        True,
        True,
    )
    assert s.common_labels == (("team", "a"),) and s.common_annotations is None
    default = ReleaseSettings.from_obj(_y(apiVersion="helm.toolkit.fluxcd.io/v2", spec=_y()))
    assert (default.crds, default.include_tests, default.post_render_strategy) == (
        "Create",
        False,
        "combined",
    )
    bad = ReleaseSettings.from_obj(_y(spec=_y(install=_y(crds="Always"))))
    assert bad.invalid and "invalid CRD upgrade policy 'Always'" in bad.invalid[0]
    upgrade = ReleaseSettings.from_obj(_y(spec=_y(upgrade=_y(disableSchemaValidation=True))))
    assert upgrade.skip_schema_validation


def test_schema_error_parsing_names_values_paths() -> None:
    stderr = (
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
        "app:\n- at '/image/tag': got number, want string\n- at '/replicas': got string, want integer\n"
        "sub:\n- at '/greeting': got number, want string\n"
    )
    loc = Location("hr.yaml", 3, 1)
    problems = parse_errors(stderr, "app", loc, subchart_paths={"sub": "sub."})
    assert [p.values_path for p in problems] == ["image.tag", "replicas", "sub.greeting"]
    assert all(p.rule == "chart-values-valid" and p.location == loc and p.kind == "schema" for p in problems)
    assert "got number, want string" in problems[0].message


def test_other_errors_are_render_problems() -> None:
    (p,) = parse_errors("Error: chart requires kubeVersion: >=1.40 which is incompatible", "app", None)
    assert p.kind == "render" and p.rule == "" and "kubeVersion" in p.message


def _obj(kind: str, name: str, hook: str = "") -> YMap:
    md = _y(name=name)
    if hook:
        md["annotations"] = YMap({"helm.sh/hook": hook})
    return _y(apiVersion="v1", kind=kind, metadata=md)


def test_sort_manifests_follows_helm() -> None:
    files = [
        ("c/templates/b.yaml", _obj("Deployment", "d")),
        ("c/templates/a.yaml", _obj("Service", "s")),
        ("c/templates/a.yaml", _obj("Widget", "w")),
        ("c/templates/a.yaml", _obj("Alpha", "x")),
        ("c/templates/z.yaml", _obj("Job", "j", "pre-install")),
        ("c/templates/b.yaml", _obj("ConfigMap", "cm")),
        ("c/templates/y.yaml", _obj("Pod", "p", "weird-event")),
    ]
    out = sort_manifests(files)
    assert [o["metadata"]["name"] for o in out.manifests] == ["cm", "s", "d", "x", "w"]
    assert [o["metadata"]["name"] for o in out.hooks] == ["j"]
    assert out.skipped_hooks == ["Pod/p"]


def test_api_versions() -> None:
    crd = _y(
        apiVersion="apiextensions.k8s.io/v1",
        kind="CustomResourceDefinition",
        spec=_y(
            group="example.com",
            names=_y(kind="Widget"),
            versions=[_y(name="v1", served=True), _y(name="v2", served=False)],
        ),
    )
    assert crd_api_versions(crd) == ["example.com/v1", "example.com/v1/Widget"]
    apis = api_versions([crd], ["extra.example.org/v2"])
    assert {"apps/v1", "apps/v1/Deployment", "example.com/v1/Widget", "extra.example.org/v2"} <= set(apis)
    assert "example.com/v2" not in apis and list(apis) == sorted(set(apis))


def test_cache_roundtrip_and_corruption(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    args = {
        "helm_version": "v4.1.4",
        "chart_id": "sha256:x",
        "release_name": "r",
        "namespace": "n",
        "values": {"b": 1, "a": [1, 2]},
        "kube_version": "1.33.0",
        "api_versions": ["v1"],
        "flags": ["--skip-crds"],
    }
    key = render_key(**args)  # type: ignore[arg-type]
    assert key == render_key(**{**args, "values": {"a": [1, 2], "b": 1}})  # type: ignore[arg-type]
    assert key != render_key(**{**args, "flags": ["--skip-crds", "--skip-tests"]})  # type: ignore[arg-type]
    assert cache.get(key) is None
    run = CachedRun(0, "---\n# Source: x\nkind: A\n" * 50, "")
    cache.put(key, run)
    entry = tmp_path / key[:2] / key
    assert entry.stat().st_size < len(run.stdout)  # compressed
    assert cache.get(key) == run
    data = bytearray(entry.read_bytes())
    data[-3] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert cache.get(key) is None and not entry.exists()


def test_missing_helm_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # no helm beside homeops either
    with pytest.raises(HelmUnavailableError, match="HOMEOPS_HELM is not set, there is no `helm` on PATH"):
        find_helm({"PATH": str(tmp_path)})
    with pytest.raises(HelmUnavailableError, match="not a file"):
        find_helm({"HOMEOPS_HELM": str(tmp_path / "nope")})


def test_helm_beside_the_interpreter_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "helm"
    fake.write_text("#!/bin/sh\necho v4.1.4+g05fa379\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    found = find_helm({"PATH": str(tmp_path / "empty")})
    assert (found.path, found.version) == (fake.resolve(), "v4.1.4+g05fa379")


def test_helm_v3_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "helm"
    fake.write_text("#!/bin/sh\necho v3.16.2+g13654a5\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(HelmUnavailableError, match="needs Helm v4"):
        find_helm({"HOMEOPS_HELM": str(fake), "PATH": os.defpath})
    with pytest.raises(HelmUnavailableError, match="needs Helm v4"):
        find_helm({"PATH": str(tmp_path)})


def test_helm_version_is_remembered(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    fake = tmp_path / "helm"
    fake.write_text(f"#!/bin/sh\necho x >> {calls}\necho v4.1.4+g05fa379\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    memo = tmp_path / "memo"
    env = {"HOMEOPS_HELM": str(fake), "PATH": os.defpath}
    assert find_helm(env, memo).version == find_helm(env, memo).version == "v4.1.4+g05fa379"
    assert calls.read_text().count("x") == 1  # the second run did not start helm
    fake.write_text(f"#!/bin/sh\necho x >> {calls}\necho v4.2.0+gabcdef0\n", encoding="utf-8")  # replaced
    assert find_helm(env, memo).version == "v4.2.0+gabcdef0"
