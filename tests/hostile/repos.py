"""Hostile Flux repositories written to a directory: each case is one Flux Kustomization ``apps`` (path
``./apps``) applied by a ``flux-system`` root, with the hostile part in ``apps/`` or in its ``spec``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

_GIT_REPOSITORY = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  url: https://example.com/repo
  ref: {branch: main}
"""

_FLUX_KS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: NAME
  namespace: flux-system
spec:
  interval: 10m
  path: PATH
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n"
"""A ConfigMap whose next line (7) is where the hostile part goes."""


@dataclass(frozen=True)
class Case:
    """A hostile repository: files under ``apps/``, the ``apps`` Kustomization's ``spec.path`` and extra spec
    text; ``where`` is what the output must name (file and line) when a command fails."""

    name: str
    files: dict[str, str | bytes]
    where: str
    path: str = "./apps"
    spec: str = ""
    kustomize_ok: bool = False  # the plain kustomize build succeeds (the problem is in the Flux layer)
    pending: dict[str, str] = field(
        default_factory=dict
    )  # command -> the change outside homeops.yaml it needs


_ROOTS = (
    "flux/roots.py resolve_dirs: refuse a spec.path with kustomize.files.path_problem "
    "(an error at the Kustomization's file:line)"
)
_REGISTRY = (
    "schemas/registry.py validate: catch jsonschema_rs's ValueError('Recursion limit reached') on objects "
    "nested deeper than about 255 levels, as a finding at the object"
)
_RULE = "rules/validate/kustomization_lists_all_files.py use(): skip a ref with kustomize.files.path_problem"
_DEFAULTS = (
    "schemas/defaults.py load_default_schema: schemas.locations.is_schema_file(node), not node.is_file()"
)


def _cm(body: str | bytes) -> dict[str, str | bytes]:
    return {"kustomization.yaml": "resources:\n- cm.yaml\n", "cm.yaml": body}


def _laughs() -> str:
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for prev, cur in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return CM + "\n".join("  " + line for line in lines) + "\n"


def _block(depth: int) -> str:
    return CM + "".join(" " * (i + 2) + f"k{i}:\n" for i in range(depth)) + " " * (depth + 2) + "v: x\n"


CASES = [
    Case("deep-flow-map", _cm(CM + "  x: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n"), "cm.yaml:7:"),
    Case("deep-flow-seq", _cm(CM + "  x: " + "[" * 5000 + "]" * 5000 + "\n"), "cm.yaml:7:"),
    Case("deep-block-map", _cm(_block(1500)), "cm.yaml:1006:"),
    Case(
        "deep-but-accepted",
        _cm(CM + "  x: " + "[" * 600 + "]" * 600 + "\n"),
        "cm.yaml:1:",  # the schema check gives up on it: a warning at the object
    ),
    Case("nul-in-resources", {"kustomization.yaml": 'resources:\n- "cm\\0.yaml"\n'}, "kustomization.yaml:2:"),
    Case(
        "long-resource-name",
        {"kustomization.yaml": "resources:\n- " + "a" * 5000 + ".yaml\n"},
        "kustomization.yaml:2:",
    ),
    Case(
        "nul-in-generator-files",
        {"kustomization.yaml": 'configMapGenerator:\n- name: x\n  files:\n  - "a\\0b"\n'},
        "kustomization.yaml:4:",
    ),
    Case(
        "long-patch-path",
        {"kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- path: " + "p" * 300 + "\n", "cm.yaml": CM},
        "kustomization.yaml:4:",
    ),
    Case(
        "nul-in-spec-path",
        {"kustomization.yaml": "resources: []\n"},
        "apps.yaml:",
        path='"./apps\\0x"',
        kustomize_ok=True,
    ),
    Case(
        "long-spec-path",
        {"kustomization.yaml": "resources: []\n"},
        "apps.yaml:",
        path="./" + "b" * 5000,
        kustomize_ok=True,
    ),
    Case("huge-integer", _cm(CM + "  n: " + "9" * 5000 + "\n  f: 1.5e400\n  g: 1" + "0" * 400 + ".5\n"), ""),
    Case("unknown-tag", _cm(CM + "  x: !!binaaary abc\n  " + "!!binaaary y: " + "7" * 5000 + "\n"), ""),
    Case("bad-binary", _cm(CM + "  x: !!binary 'not base64!'\n"), "cm.yaml:7:"),
    Case("invalid-utf8", _cm(CM.encode() + b"  x: caf\xff\n"), "cm.yaml:7:"),
    Case("nul-byte", _cm(CM.encode() + b"  x: a\x00b\n"), "cm.yaml:7:"),
    Case("alias-bomb", _cm(_laughs()), "cm.yaml:"),
    Case(
        "envsubst-bomb",
        _cm(CM + '  x: "' + "${a:=" * 400 + "z" + "}" * 400 + '"\n'),
        "cm.yaml:7:",
        spec="  postBuild:\n    substitute:\n      b: c\n",
        kustomize_ok=True,
    ),
    Case(
        "garbage-apiversion",
        _cm("apiVersion: " + "g" * 5000 + "/v1\nkind: Foo\nmetadata:\n  name: x\n"),
        "",
    ),
    Case("tagged-merge-key", _cm(CM + "  !foo <<: {c: d}\n  e: f\n"), ""),
    Case("bad-merge-value", _cm(CM + "  <<: '3'\n"), "cm.yaml:7:"),
]


def write(case: Case, root: Path) -> Path:
    """Write ``case`` as a repository under ``root``; returns the repository directory."""
    repo = root / case.name
    flux = repo / "clusters" / "main" / "flux-system"
    flux.mkdir(parents=True)
    sync = _FLUX_KS.replace("NAME", "flux-system").replace("PATH", "./clusters/main")
    (flux / "gotk-sync.yaml").write_text(_GIT_REPOSITORY + "---\n" + sync)
    (flux / "kustomization.yaml").write_text("resources:\n- gotk-sync.yaml\n")
    apps = _FLUX_KS.replace("NAME", "apps").replace("PATH", case.path) + case.spec
    (repo / "clusters" / "main" / "apps.yaml").write_text(apps)
    for rel, content in case.files.items():
        target = repo / "apps" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return repo
