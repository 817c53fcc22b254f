"""The placeholder inventory: uses, definitions, defaults, documentation, --check and --write."""

from __future__ import annotations

from pathlib import Path

from homeops.placeholders import END, START, PlaceholderOptions, inventory

ROOT_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  path: ./kubernetes/apps
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute:
      TIMEZONE: Europe/Paris
      UNUSED_ONE: x
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
"""

SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  SECRET_DOMAIN: example.com
"""

APP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: romm
  namespace: games
data:
  host: romm.${SECRET_DOMAIN}
  tz: ${TIMEZONE}
  db: ${DB_URI}
  media: ${MEDIA_SERVER:=nas.lan}
  escaped: $${NOT_A_PLACEHOLDER}
"""

GUIDE = f"""# Template guide

Intro text that must survive.

`SECRET_DOMAIN` is your public domain.

{START}
| Placeholder | Used | Defined in | Default | Description |
| --- | --- | --- | --- | --- |
| `${{TIMEZONE}}` | 1 | substitute | | The cluster time zone. |
{END}

Closing text that must survive too.
"""


def make(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "kubernetes/flux/cluster").mkdir(parents=True)
    (root / "kubernetes/flux/cluster/ks.yaml").write_text(ROOT_KS)
    (root / "kubernetes/flux/cluster/settings.yaml").write_text(SETTINGS)
    (root / "kubernetes/apps").mkdir(parents=True)
    (root / "kubernetes/apps/romm.yaml").write_text(APP)
    (root / "TEMPLATE_GUIDE.md").write_text(GUIDE)
    return root


def test_inventory_lists_uses_definitions_defaults_and_docs(tmp_path: Path) -> None:
    root = make(tmp_path)
    result = inventory(PlaceholderOptions(repo=root))
    by_name = {p.name: p for p in result.placeholders}
    assert sorted(by_name) == ["DB_URI", "MEDIA_SERVER", "SECRET_DOMAIN", "TIMEZONE", "UNUSED_ONE"]
    assert [(u.file, u.line) for u in by_name["SECRET_DOMAIN"].uses] == [("kubernetes/apps/romm.yaml", 7)]
    assert [(d.kind, d.source) for d in by_name["SECRET_DOMAIN"].definitions] == [
        ("ConfigMap", "ConfigMap/flux-system/cluster-settings")
    ]
    assert [d.kind for d in by_name["TIMEZONE"].definitions] == ["substitute"]
    assert by_name["MEDIA_SERVER"].defaults == ["nas.lan"]
    assert by_name["DB_URI"].problems == ["used but not defined", "not documented in TEMPLATE_GUIDE.md"]
    assert by_name["SECRET_DOMAIN"].documented  # mentioned in the prose
    assert by_name["TIMEZONE"].documented  # described in the table
    assert by_name["UNUSED_ONE"].problems == ["defined but not used"]
    assert "NOT_A_PLACEHOLDER" not in by_name
    summary = result.to_json()["summary"]
    assert summary == {"placeholders": 5, "undefined": 1, "undocumented": 2, "unused": 1, "encrypted_only": 0}


def test_write_regenerates_only_the_table(tmp_path: Path) -> None:
    root = make(tmp_path)
    result = inventory(PlaceholderOptions(repo=root, write=True))
    assert result.guide_written
    text = (root / "TEMPLATE_GUIDE.md").read_text()
    before, rest = text.split(START)
    table, after = rest.split(END)
    assert before == GUIDE.split(START)[0]
    assert after == GUIDE.split(END)[1]
    assert "| `${DB_URI}` | 1 (kubernetes/apps/romm.yaml:9) | **undefined** |  |  |" in table
    assert "The cluster time zone." in table  # descriptions are kept
    again = inventory(PlaceholderOptions(repo=root, write=True))
    assert (root / "TEMPLATE_GUIDE.md").read_text() == text  # idempotent
    assert again.problem_count == result.problem_count


def test_write_appends_a_section_when_markers_are_missing(tmp_path: Path) -> None:
    root = make(tmp_path)
    (root / "TEMPLATE_GUIDE.md").write_text("# Guide\n\nMy notes.\n")
    inventory(PlaceholderOptions(repo=root, write=True))
    text = (root / "TEMPLATE_GUIDE.md").read_text()
    assert text.startswith("# Guide\n\nMy notes.\n\n## Placeholders\n\n" + START)
    assert text.rstrip().endswith(END)
