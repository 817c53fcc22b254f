"""ResourceSet expansion: one row per behaviour of flux-operator's ResourceSet docs
(docs/api/v1/resourceset.md) and builder (internal/builder/resourceset.go, internal/inputs); each row names
the doc section."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from homeops.flux.kinds import FluxKustomization, is_flux_kustomization
from homeops.flux.resourceset import ResourceSetExpansion, expand_resourceset, is_resourceset
from homeops.yaml.loader import load_documents, load_file
from homeops.yaml.nodes import YMap, to_plain

from .fluxrepos import FIXTURES

HEAD = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: rset
  namespace: apps
"""


def expand(spec: str, head: str = HEAD) -> ResourceSetExpansion:
    doc = load_documents(head + textwrap.dedent(spec), "rset.yaml")[0]
    assert isinstance(doc, YMap) and is_resourceset(doc)
    return expand_resourceset(doc)


def plain(result: ResourceSetExpansion) -> list[Any]:
    assert not result.problems, result.problems
    return [to_plain(o) for o in result.objects]


def names(result: ResourceSetExpansion) -> list[str]:
    return [
        f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}" for o in plain(result)
    ]


PODINFO = """\
spec:
  inputs:
    - tenant: "team1"
      app:
       version: "6.7.x"
       replicas: 2
    - tenant: "team2"
      app:
       version: "6.6.x"
       replicas: 3
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: podinfo-<< inputs.tenant >>
        namespace: default
      spec:
        url: oci://ghcr.io/stefanprodan/charts/podinfo
        ref:
          semver: << inputs.app.version | quote >>
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: podinfo-<< inputs.tenant >>
        namespace: default
      spec:
        chartRef:
          kind: OCIRepository
          name: podinfo-<< inputs.tenant >>
        values:
          replicaCount: << inputs.app.replicas | int >>
"""


# (doc section, spec, expected "Kind/namespace/name" list)
NAMES_TABLE = [
    # "Example": every resource is rendered for every input set, resource by resource.
    (
        "example",
        PODINFO,
        [
            "OCIRepository/default/podinfo-team1",
            "OCIRepository/default/podinfo-team2",
            "HelmRelease/default/podinfo-team1",
            "HelmRelease/default/podinfo-team2",
        ],
    ),
    # "Inputs configuration": a single static input set.
    (
        "single input",
        """\
        spec:
          inputs:
            - tenant: team1
          resources:
            - apiVersion: v1
              kind: Namespace
              metadata:
                name: << inputs.tenant >>
        """,
        ["Namespace//team1"],
    ),
    # "Resource deduplication": a resource without templating is generated once.
    (
        "dedup",
        """\
        spec:
          inputs: [{tenant: team1}, {tenant: team2}]
          resources:
            - apiVersion: source.toolkit.fluxcd.io/v1
              kind: OCIRepository
              metadata: {name: podinfo, namespace: default}
            - apiVersion: helm.toolkit.fluxcd.io/v2
              kind: HelmRelease
              metadata: {name: "podinfo-<< inputs.tenant >>", namespace: default}
        """,
        [
            "OCIRepository/default/podinfo",
            "HelmRelease/default/podinfo-team1",
            "HelmRelease/default/podinfo-team2",
        ],
    ),
    # "Conditional resource exclusion": fluxcd.controlplane.io/reconcile: disabled drops the object.
    (
        "exclusion",
        """\
        spec:
          inputs: [{tenant: team1}, {tenant: team2}]
          resources:
            - apiVersion: v1
              kind: ServiceAccount
              metadata:
                name: flux
                namespace: << inputs.tenant >>
                annotations:
                  fluxcd.controlplane.io/reconcile: >-
                    << if eq inputs.tenant "team1" >>enabled<< else >>disabled<< end >>
        """,
        ["ServiceAccount/team1/flux"],
    ),
    # "Resources template": range and if in a multi-document template.
    (
        "resourcesTemplate",
        """\
        spec:
          inputs:
            - bundle: addons
              decryption: false
              components: [ingress-nginx, cert-manager]
            - bundle: apps
              decryption: true
              components: [frontend, backend]
          resourcesTemplate: |
            ---
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: OCIRepository
            metadata:
              name: << inputs.bundle >>
              namespace: flux-system
            <<- range $component := inputs.components >>
            ---
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: << $component >>
              namespace: flux-system
            spec:
              <<- if inputs.decryption >>
              decryption:
                provider: sops
              <<- end >>
              path: ./<< $component >>
            <<- end >>
        """,
        [
            "OCIRepository/flux-system/addons",
            "Kustomization/flux-system/ingress-nginx",
            "Kustomization/flux-system/cert-manager",
            "OCIRepository/flux-system/apps",
            "Kustomization/flux-system/frontend",
            "Kustomization/flux-system/backend",
        ],
    ),
    # "Resources template": when both are set, spec.resources win duplicates (they are built first).
    (
        "resources and resourcesTemplate",
        """\
        spec:
          inputs: [{n: x}]
          resources:
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: "cm-<< inputs.n >>", namespace: a}}
          resourcesTemplate: |
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: "cm-<< inputs.n >>", namespace: a}
            data: {from: template}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: other, namespace: a}
        """,
        ["ConfigMap/a/cm-x", "ConfigMap/a/other"],
    ),
    # builder: without inputs, each resource is rendered once (testdata/resourceset/noinputs.yaml).
    (
        "no inputs",
        """\
        spec:
          resources:
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: plain, namespace: a}}
        """,
        ["ConfigMap/a/plain"],
    ),
    # "Input strategy": Permute nests the ResourceSet's own inputs under its normalized name, with a new id.
    (
        "permute",
        """\
        spec:
          inputStrategy: {name: Permute}
          inputs: [{v: one}, {v: two}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: "cm-<< inputs.rset.v >>-<< inputs.id >>", namespace: a}
        """,
        # adler32("rset=0"), adler32("rset=1")
        ["ConfigMap/a/cm-one-143327788", "ConfigMap/a/cm-two-143393325"],
    ),
    # "Steps configuration": each step's resources, in order.
    (
        "steps",
        """\
        spec:
          inputs: [{version: v1}]
          steps:
            - name: migrate
              resources:
                - apiVersion: batch/v1
                  kind: Job
                  metadata: {name: "migrate-<< inputs.version >>", namespace: a}
            - name: deploy
              resourcesTemplate: |
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata: {name: app, namespace: a}
        """,
        ["Job/a/migrate-v1", "Kustomization/a/app"],
    ),
]


@pytest.mark.parametrize(("section", "spec", "expected"), NAMES_TABLE, ids=[r[0] for r in NAMES_TABLE])
def test_generated_objects(section: str, spec: str, expected: list[str]) -> None:
    result = expand(spec)
    assert names(result) == expected
    assert result.unresolved == []


def test_values_keep_yaml_typing() -> None:
    # "Templating functions": quote keeps a string, int makes an int; the rendered text is read again as YAML
    # by go-yaml v2, so a plain "yes" is a bool and an unquoted number an int.
    result = expand(
        """\
        spec:
          inputs: [{n: 3, word: "yes", version: "1.10"}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: typed, namespace: a}
              spec:
                replicas: << inputs.n >>
                enabled: << inputs.word >>
                version: << inputs.version >>
                quoted: << inputs.version | quote >>
                int: << "7" | int >>
        """
    )
    assert plain(result)[0]["spec"] == {
        "replicas": 3,
        "enabled": True,
        "version": 1.1,
        "quoted": "1.10",
        "int": 7,
    }


def test_example_types() -> None:
    # "Example": semver through quote stays a string, replicaCount through int is an int.
    hr = plain(expand(PODINFO))[3]
    oci = plain(expand(PODINFO))[0]
    assert oci["spec"]["ref"]["semver"] == "6.7.x"
    assert hr["spec"]["values"]["replicaCount"] == 3


def test_functions() -> None:
    # "Templating functions": slugify, get | default, toYaml | nindent.
    result = expand(
        """\
        spec:
          inputs:
            - namespace: team1
              semver: ">=1.0.0-rc.0"
              layerSelector:
                mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
                operation: copy
          resources:
            - apiVersion: source.toolkit.fluxcd.io/v1
              kind: OCIRepository
              metadata:
                name: << get inputs "name" | default inputs.namespace >>
                namespace: << inputs.namespace >>
                labels:
                  semver: << inputs.semver | slugify >>
              spec:
                layerSelector: << inputs.layerSelector | toYaml | nindent 4 >>
        """
    )
    obj = plain(result)[0]
    assert obj["metadata"]["name"] == "team1"
    assert obj["metadata"]["labels"]["semver"] == "1-0-0-rc-0"
    assert obj["spec"]["layerSelector"] == {
        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        "operation": "copy",
    }


def test_builtin_provider_fields_owner_labels_and_common_metadata() -> None:
    # "Built-in input fields" (inputs.provider.*) and "Common metadata"; the owner labels the reconciler sets.
    result = expand(
        """\
        spec:
          commonMetadata:
            labels: {team: platform}
            annotations: {fluxcd.controlplane.io/prune: disabled}
          inputs: [{x: 1}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata:
                name: << inputs.provider.kind | lower >>-<< inputs.provider.name >>
                namespace: << inputs.provider.namespace >>
                labels: {own: "yes"}
        """
    )
    meta = plain(result)[0]["metadata"]
    assert meta["name"] == "resourceset-rset" and meta["namespace"] == "apps"
    assert meta["labels"] == {
        "own": "yes",
        "resourceset.fluxcd.controlplane.io/name": "rset",
        "resourceset.fluxcd.controlplane.io/namespace": "apps",
        "team": "platform",
    }
    assert meta["annotations"] == {"fluxcd.controlplane.io/prune": "disabled"}


def test_namespace_is_not_defaulted() -> None:
    # builder testdata nestedinputs.yaml, flux-operator issue #183: no namespace is defaulted.
    result = expand(
        """\
        spec:
          inputs: [{foo: {bar: {k1: v1}}}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: configmap1}
              data: << inputs.foo.bar | toYaml | nindent 2 >>
        """
    )
    obj = plain(result)[0]
    assert "namespace" not in obj["metadata"]
    assert obj["data"] == {"k1": "v1"}


def test_generated_flux_kustomization() -> None:
    result = expand(
        """\
        spec:
          inputs: [{app: web, ns: web}]
          resources:
            - apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata: {name: "<< inputs.app >>", namespace: flux-system}
              spec:
                interval: 10m
                path: ./apps/<< inputs.app >>
                prune: true
                targetNamespace: << inputs.ns >>
                sourceRef: {kind: GitRepository, name: flux-system}
        """
    )
    (obj,) = result.objects
    assert is_flux_kustomization(obj)
    ks = FluxKustomization.from_obj(obj)
    assert (ks.name, ks.namespace, ks.path, ks.target_namespace, ks.prune) == (
        "web",
        "flux-system",
        "./apps/web",
        "web",
        True,
    )


def test_positions_point_at_the_template() -> None:
    result = expand(PODINFO)
    hr = result.objects[3]
    assert hr.pos is not None and (hr.pos.file, hr.pos.line) == ("rset.yaml", 26)  # the "- apiVersion" item
    values = hr["spec"]["values"]
    assert values.kpos["replicaCount"].line == 36  # where "replicaCount:" is written


@pytest.mark.parametrize(
    ("spec", "unresolved"),
    [
        # "Inputs configuration": inputsFrom by name and by selector are runtime inputs.
        (
            """\
            spec:
              inputsFrom:
                - {kind: ResourceSetInputProvider, name: prs}
                - selector: {matchLabels: {app: podinfo}}
              resources:
                - {apiVersion: v1, kind: ConfigMap, metadata: {name: "cm-<< inputs.id >>", namespace: a}}
            """,
            [
                "ResourceSet apps/rset: inputsFrom ResourceSetInputProvider/apps/prs: inputs come from the "
                "cluster at run time; not expanded",
                'ResourceSet apps/rset: inputsFrom ResourceSetInputProvider selector {"matchLabels": {"app": '
                '"podinfo"}} in namespace apps: inputs come from the cluster at run time; not expanded',
            ],
        ),
    ],
)
def test_dynamic_providers_are_reported(spec: str, unresolved: list[str]) -> None:
    result = expand(spec)
    assert result.objects == [] and result.problems == []
    assert result.unresolved == unresolved


def test_static_part_is_expanded_with_a_provider() -> None:
    # "Inputs configuration": with both, the inputs are the static sets followed by the providers' sets.
    result = expand(
        """\
        spec:
          inputs: [{n: static}]
          inputsFrom: [{name: prs}]
          resources:
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: "cm-<< inputs.n >>", namespace: a}}
        """
    )
    assert names(result) == ["ConfigMap/a/cm-static"]
    assert len(result.unresolved) == 2
    assert "ResourceSetInputProvider/apps/prs" in result.unresolved[0]
    assert "only the 1 static input set(s)" in result.unresolved[1]


# (case, spec, message fragment, line of the problem in rset.yaml)
PROBLEMS = [
    # builder testdata missing-inputs.yaml: missingkey=error.
    (
        "missing key",
        """\
        spec:
          inputs: [{tenant: team1, semver: "1.x"}, {tenant: team2}]
          resources:
            - apiVersion: source.toolkit.fluxcd.io/v1
              kind: OCIRepository
              metadata: {name: "app1-<< inputs.tenant >>", namespace: apps}
              spec:
                ref:
                  semver: << inputs.semver >>
        """,
        "resources[0] (input set 1): template: executing at <inputs.semver>: map has no entry for key",
        14,
    ),
    # Go's parser rejects a function it does not know.
    (
        "unknown function",
        """\
        spec:
          inputs: [{a: b}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: cm, namespace: a}
              data:
                x: << inputs.a | frobnicate >>
        """,
        'template: function "frobnicate" not defined',
        13,
    ),
    # builder testdata invalid-output.yaml: the rendered text is not valid YAML.
    (
        "invalid output",
        """\
        spec:
          inputs: [{semver: ">=1.0.0-rc.0"}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: cm, namespace: a}
              data:
                semver: << inputs.semver >>
        """,
        "failed to read object: error converting YAML to JSON",
        13,
    ),
    # "Resources template": an error inside the template string points at its line in the file.
    (
        "template error line",
        """\
        spec:
          inputs: [{a: b}]
          resourcesTemplate: |
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: << inputs.missing >>
        """,
        'map has no entry for key "missing"',
        12,
    ),
    # "Steps configuration": a resource defined in two steps.
    (
        "duplicate across steps",
        """\
        spec:
          steps:
            - name: one
              resources: [{apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: a}}]
            - name: two
              resources: [{apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: a}}]
        """,
        'duplicate resource ConfigMap/a/cm in step "two", already defined in step "one"',
        11,
    ),
    # Bounded execution (homeops limits): a huge loop stops with a problem, it does not hang.
    (
        "huge range",
        """\
        spec:
          inputs: [{a: b}]
          resourcesTemplate: |
            << range $i := until 100000 >><< range $j := until 100000 >>x<< end >><< end >>
        """,
        "exceeds 1000000 steps (homeops limit); not expanded",
        9,
    ),
    # Bounded recursion: a template that calls itself.
    (
        "recursion",
        """\
        spec:
          inputs: [{a: b}]
          resourcesTemplate: |
            << define "loop" >><< template "loop" . >><< end >><< template "loop" . >>
        """,
        "maximum template depth (100, homeops limit); not expanded",
        9,
    ),
]


@pytest.mark.parametrize(("case", "spec", "fragment", "line"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_problems_are_reported_with_their_location(case: str, spec: str, fragment: str, line: int) -> None:
    result = expand(spec)
    assert result.objects == []  # a build error fails the whole ResourceSet
    assert len(result.problems) == 1, result.problems
    problem = result.problems[0]
    assert fragment in problem.message
    assert "homeops limit" in problem.message or "flux-operator fails the build" in problem.message
    assert (problem.location.file, problem.location.line) == ("rset.yaml", line)


def test_unsupported_function_is_unresolved_not_wrong() -> None:
    result = expand(
        """\
        spec:
          inputs: [{a: b}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: "<< toDate \\"2006\\" \\"2024\\" >>", namespace: a}
        """
    )
    assert result.objects == [] and result.problems == []
    assert "toDate is not supported by homeops" in result.unresolved[0]


def test_disabled_resourceset_is_not_expanded() -> None:
    # "Reconciliation configuration": fluxcd.controlplane.io/reconcile: disabled pauses the ResourceSet.
    head = HEAD + "  annotations:\n    fluxcd.controlplane.io/reconcile: disabled\n"
    result = expand("spec:\n  resources: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]\n", head)
    assert result.objects == []
    assert "reconciliation is disabled" in result.unresolved[0]


def test_fixture_repository() -> None:
    root = FIXTURES / "resourceset"
    (ks,) = load_file(root / "kubernetes/flux/cluster/ks.yaml", "kubernetes/flux/cluster/ks.yaml")
    assert FluxKustomization.from_obj(ks).path == "./apps"
    sets = {}
    for path in sorted((root / "apps/sets").glob("*.yaml")):
        display = str(path.relative_to(root))
        (doc,) = load_file(Path(path), display)
        sets[doc["metadata"]["name"]] = expand_resourceset(doc)
    apps = sets["apps"]
    assert apps.problems == [] and apps.unresolved == []
    generated = [FluxKustomization.from_obj(o) for o in apps.objects]
    assert [(k.name, k.namespace, k.path, k.target_namespace, k.interval) for k in generated] == [
        ("app-a", "flux-system", "./apps/a", "team-a", "10m"),
        ("app-b", "flux-system", "./apps/b", "team-b", "30m"),
    ]
    assert apps.objects[0].pos is not None and apps.objects[0].pos.file == "apps/sets/resourceset-apps.yaml"
    assert apps.objects[0]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "apps-resourceset"
    previews = sets["previews"]
    assert previews.objects == [] and previews.problems == []
    assert previews.unresolved == [
        "ResourceSet flux-system/previews: inputsFrom ResourceSetInputProvider/flux-system/preview-branches: "
        "inputs come from the cluster at run time; not expanded"
    ]


def test_copy_from_is_reported() -> None:
    # "Copying data from existing ConfigMaps and Secrets": the data comes from the cluster.
    result = expand(
        """\
        spec:
          inputs: [{tenant: team1}]
          resources:
            - apiVersion: v1
              kind: ConfigMap
              metadata:
                name: runtime-info
                namespace: << inputs.tenant >>
                annotations:
                  fluxcd.controlplane.io/copyFrom: "flux-system/runtime-info"
        """
    )
    assert names(result) == ["ConfigMap/team1/runtime-info"]
    assert result.unresolved == [
        "ResourceSet apps/rset: ConfigMap/team1/runtime-info: fluxcd.controlplane.io/copyFrom: "
        "flux-system/runtime-info: the data is copied from the cluster at run time; not expanded"
    ]
