"""A SOPS value substituted through every envsubst operator never shows in any output (issue 12).

The fixture is cluster-template's layout: ``cluster-secrets`` is SOPS-encrypted, sits in the repository,
is named in ``substituteFrom`` and is built by no Kustomization (it is applied at bootstrap). A ConfigMap,
a Deployment and a HelmRelease use its ``DB_PASS`` through each operator; a Secret holds the base64 of it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from homeops.cli.main import main
from homeops.flux.masking import SecretMasker, SecretValues, secret_forms, substitution_products
from homeops.flux.secrets import decrypted_values
from homeops.yaml.nodes import YMap
from tests.diff.gitrepo import commit_all, git, write
from tests.flux.fluxrepos import age_key, isolate_keys, needs_sops, sops_encrypt

MARKER = "smK9-marker-PASSWORD-8181x"
DERIVED = {
    "value": MARKER,
    "upper": MARKER.upper(),
    "lower": MARKER.lower(),
    "substring 0:14": MARKER[:14],
    "replace sm/XX": MARKER.replace("sm", "XX", 1),
    "base64": base64.b64encode(MARKER.encode()).decode(),
    "base64 unpadded": base64.b64encode(MARKER.encode()).decode().rstrip("="),
    "base64 of upper": base64.b64encode(MARKER.upper().encode()).decode(),
}

CLUSTER_SECRETS = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
stringData:
  DB_PASS: {MARKER}
"""

POST_BUILD = """\
  postBuild:
    substituteFrom:
      - kind: Secret
        name: cluster-secrets
"""

FILES = {
    "kubernetes/flux/cluster/ks.yaml": f"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
{POST_BUILD}""",
    "kubernetes/apps/kustomization.yaml": "resources:\n  - ./web/ks.yaml\n",
    "kubernetes/apps/web/ks.yaml": f"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/web/app
  prune: true
  targetNamespace: web
  sourceRef:
    kind: GitRepository
    name: flux-system
{POST_BUILD}""",
    "kubernetes/apps/web/app/kustomization.yaml": """\
resources:
  - ./configmap.yaml
  - ./secret.yaml
  - ./deployment.yaml
  - ./helmrelease.yaml
""",
    "kubernetes/apps/web/app/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
""",
    "kubernetes/apps/web/app/secret.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
data:
  OTHER: b3RoZXItdmFsdWUtMTIzNDU=
""",
    "kubernetes/apps/web/app/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0
""",
    "kubernetes/apps/web/app/helmrelease.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 1h
  chart:
    spec:
      chart: web
      version: 1.0.0
      sourceRef:
        kind: HelmRepository
        name: example
        namespace: flux-system
  values:
    greeting: hello
""",
}

# The head (work tree) change: every operator, in a ConfigMap, a Deployment image, a Secret and values.
HEAD_CHANGES = {
    "kubernetes/apps/web/app/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
  dsn: postgres://app:${DB_PASS}@db
  upper: "${DB_PASS^^}"
  lower: "${DB_PASS,,}"
  substring: "${DB_PASS:0:14}"
  replaced: "${DB_PASS/sm/XX}"
  defaulted: "${MISSING:=${DB_PASS}}"
""",
    "kubernetes/apps/web/app/secret.yaml": f"""\
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
data:
  OTHER: b3RoZXItdmFsdWUtMTIzNDU=
  PASSWORD: {DERIVED["base64"]}
""",
    "kubernetes/apps/web/app/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/${DB_PASS:0:14}
          env:
            - name: UPPER
              value: ${DB_PASS^^}
""",
    "kubernetes/apps/web/app/helmrelease.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 1h
  chart:
    spec:
      chart: web
      version: 1.0.0
      sourceRef:
        kind: HelmRepository
        name: example
        namespace: flux-system
  values:
    greeting: hello
    password: ${DB_PASS}
    shouting: ${DB_PASS^^}
    prefix: ${DB_PASS:0:14}
""",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(the repository, committed without the secret uses and changed in the work tree; the age key)."""
    isolate_keys(monkeypatch, tmp_path)
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, FILES)
    key_file, recipient = age_key(tmp_path)
    target = root / "kubernetes" / "bootstrap" / "cluster-secrets.sops.yaml"
    target.parent.mkdir(parents=True)
    sops_encrypt(CLUSTER_SECRETS, recipient, target)
    assert MARKER not in target.read_text()
    commit_all(root, "base")
    write(root, HEAD_CHANGES)
    monkeypatch.chdir(root)
    return root, key_file


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Exit code and stdout + stderr of ``homeops ARGS``."""
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    code = exc.value.code
    return code if isinstance(code, int) else 0, out.out + out.err


def leaked(text: str) -> list[str]:
    return [name for name, form in DERIVED.items() if form in text]


@needs_sops
def test_build_ks_masks_every_derived_form(
    repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, key = repo
    for fmt in ("yaml", "json"):
        code, out = run(capsys, "build", "ks", "web", "--age-key", str(key), "-o", fmt, "--no-cache")
        assert code == 0, out
        assert "postgres://app:**masked**@db" in out  # substituted, then masked
        assert leaked(out) == [], fmt


@needs_sops
def test_show_secrets_reveals_the_value(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, key = repo
    code, out = run(capsys, "build", "ks", "web", "--age-key", str(key), "--show-secrets", "--no-cache")
    assert code == 0, out
    assert f"postgres://app:{MARKER}@db" in out
    assert set(leaked(out)) >= {"value", "upper", "lower", "substring 0:14", "replace sm/XX", "base64"}


@needs_sops
def test_build_all_stdout_and_files(
    repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root, key = repo
    out_dir = tmp_path / "out"
    code, out = run(capsys, "build", "all", "--age-key", str(key), "-O", str(out_dir), "--no-cache")
    assert code == 0, out
    assert leaked(out) == []
    files = sorted(p for p in out_dir.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"summary.json", "web.yaml", "cluster-apps.yaml"}
    json.loads((out_dir / "summary.json").read_text())
    web = next(p for p in files if p.name == "web.yaml").read_text()
    assert "postgres://app:**masked**@db" in web
    for path in files:
        assert leaked(path.read_text()) == [], path


@needs_sops
def test_build_hr(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, key = repo
    for fmt in ("yaml", "json"):
        code, out = run(
            capsys, "build", "hr", "web", "-n", "web", "--age-key", str(key), "-o", fmt, "--no-cache"
        )
        assert "greeting" in out, out
        assert leaked(out) == [], fmt


@needs_sops
def test_get(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, key = repo
    for kind in ("ks", "hr", "sources"):
        code, out = run(capsys, "get", kind, "--age-key", str(key), "-o", "json", "--no-cache")
        assert leaked(out) == [], kind


@needs_sops
def test_diff_every_format(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, key = repo
    outputs = {}
    for fmt in ("text", "json", "markdown"):
        code, out = run(capsys, "diff", "--base", "main", "--age-key", str(key), "-o", fmt, "--no-cache")
        assert code == 1, out  # there are differences
        outputs[fmt] = out
        assert leaked(out) == [], fmt
    assert "dsn: postgres://app:**masked**@db" in outputs["text"]
    assert "web-config" in outputs["markdown"]
    assert json.loads(outputs["json"])["changes"]


def _validate_outputs(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    outputs = {}
    for fmt in ("text", "json", "github", "sarif", "junit"):
        code, out = run(capsys, "validate", *args, "-o", fmt, "--no-cache")
        assert code == 1, out
        assert "HO104" in out, out  # the unpinned image, named in the message, masked
        outputs[fmt] = out
    return outputs


@needs_sops
def test_validate_every_format(
    repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, key = repo
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key))
    outputs = _validate_outputs(capsys)
    assert "ghcr.io/example/**masked** has no tag" in outputs["text"]
    for fmt, out in outputs.items():
        assert leaked(out) == [], fmt


@needs_sops
def test_validate_with_age_key_option(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, key = repo
    for fmt, out in _validate_outputs(capsys, "--age-key", str(key)).items():
        assert leaked(out) == [], fmt


@needs_sops
def test_placeholders(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, key = repo
    for fmt in ("table", "json"):
        code, out = run(capsys, "placeholders", "--age-key", str(key), "-o", fmt)
        assert "DB_PASS" in out
        assert leaked(out) == [], fmt


# -- the collector and the masker, without sops ----------------------------------------------------------


def test_substitution_products_follow_each_operator() -> None:
    text = (
        "a: ${DB_PASS^^} b: ${DB_PASS,,} c: ${DB_PASS:0:14} d: ${DB_PASS/sm/XX} e: ${MISSING:=${DB_PASS}}"
        " f: ${DB_PASS^} g: ${#DB_PASS} h: ${OTHER} i: ${DB_PASS:-x}"
    )
    products = substitution_products([text], {"DB_PASS": {MARKER}})
    assert products >= {MARKER.upper(), MARKER.lower(), MARKER[:14], MARKER.replace("sm", "XX", 1), MARKER}
    assert str(len(MARKER)) not in products  # a length is no secret text
    assert substitution_products(["${OTHER^^} ${OTHER:0:3}"], {"DB_PASS": {MARKER}}) == set()


def test_masker_masks_forms_and_base64_and_is_idempotent() -> None:
    found = SecretValues(values={MARKER, "abc"}, products={MARKER[:14], MARKER[:5], DERIVED["replace sm/XX"]})
    mask = SecretMasker(secret_forms(found))
    assert "abc" not in mask.forms  # shorter than MIN_SECRET_LEN
    assert MARKER[:5] not in mask.forms  # a short product (MIN_DERIVED_LEN)
    text = " ".join(DERIVED.values()) + " " + MARKER[:14] + " abc"
    masked = mask.text(text)
    assert leaked(masked) == [] and MARKER[:14] not in masked and masked.endswith(" abc")
    assert mask.text(masked) == masked
    obj = YMap({"kind": "ConfigMap", "data": YMap({f"k-{MARKER}": f"x{MARKER.upper()}y"})})
    assert mask.obj(obj)["data"] == {"k-**masked**": "x**masked**y"}
    assert obj["data"] == {f"k-{MARKER}": f"x{MARKER.upper()}y"}  # the input is left alone
    assert mask.data({"a": [MARKER, 3]}) == {"a": ["**masked**", 3]}


def test_decrypted_values_reads_only_what_sops_encrypted() -> None:
    encrypted = {
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": "ENC[AES256_GCM,data:xx]"},
        "stringData": {"t": "ENC[AES256_GCM,data:yy]"},
        "sops": {"mac": "ENC[...]"},
    }
    plain = {
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": base64.b64encode(MARKER.encode()).decode()},
        "stringData": {"t": "token-value"},
        "sops": {"mac": "m"},
    }
    values = set(decrypted_values(encrypted, plain))
    assert values == {DERIVED["base64"], MARKER, "token-value"}
