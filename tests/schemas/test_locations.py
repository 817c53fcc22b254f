"""Schema locations: directory layout, templates, and URL fetching (loopback only) with its disk cache."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from homeops.schemas import SCHEMA_ERROR, SCHEMA_MISSING, SchemaRegistry
from homeops.schemas.locations import LookupStatus, SchemaLocation
from homeops.schemas.model import GroupVersionKind
from homeops.yaml.loader import load_documents

GADGET = GroupVersionKind("example.com", "v1", "Gadget")
SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {"type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": False}
    },
}
OBJECT = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec:\n  n: one\n"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json", "example.com/gadget_v1.json"),
        ("s/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/"
         "{{ .ResourceKind }}{{ .KindSuffix }}.json",
         "s/v1.33.0-standalone-strict/gadget-example-v1.json"),
    ],
)  # fmt: skip
def test_expand_templates(template: str, expected: str) -> None:
    assert SchemaLocation.parse(template).expand(GADGET, "1.33.0") == expected


def test_directory_layout(tmp_path: Path) -> None:
    (tmp_path / "example.com").mkdir()
    (tmp_path / "example.com" / "gadget_v1.json").write_text(json.dumps(SCHEMA))
    registry = SchemaRegistry.create(locations=[str(tmp_path)])
    (obj,) = load_documents(OBJECT, "g.yaml")
    assert [(f.code, f.field, f.pos.line if f.pos else 0) for f in registry.validate(obj)] == [
        (SCHEMA_ERROR, "spec.n", 5)
    ]
    (other,) = load_documents("apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g}\n", "g.yaml")
    assert [f.code for f in registry.validate(other)] == [SCHEMA_MISSING]


def test_invalid_json_is_reported(tmp_path: Path) -> None:
    (tmp_path / "example.com").mkdir()
    (tmp_path / "example.com" / "gadget_v1.json").write_text("{nope")
    found = SchemaLocation.parse(str(tmp_path)).lookup(GADGET, "1.33.0", allow_network=False, cache_dir=None)
    assert found.status is LookupStatus.FAILED


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    (root / "example.com").mkdir(parents=True)
    (root / "example.com" / "gadget_v1.json").write_text(json.dumps(SCHEMA))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_url_fetched_when_allowed_then_served_from_cache(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    template = base + "/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
    cache = tmp_path / "cache"
    (obj,) = load_documents(OBJECT, "g.yaml")
    online = SchemaRegistry.create(locations=[template], allow_network=True, cache_dir=cache)
    assert [f.field for f in online.validate(obj)] == ["spec.n"]
    assert len(list(cache.glob("*.json"))) == 1
    (root / "example.com" / "gadget_v1.json").unlink()
    offline = SchemaRegistry.create(locations=[template], allow_network=False, cache_dir=cache)
    assert [f.field for f in offline.validate(obj)] == ["spec.n"]


def test_url_not_found_is_a_missing_schema(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    registry = SchemaRegistry.create(locations=[base], allow_network=True, cache_dir=tmp_path)
    (obj,) = load_documents("apiVersion: example.com/v1\nkind: Other\nmetadata: {name: o}\n", "o.yaml")
    assert [f.code for f in registry.validate(obj)] == [SCHEMA_MISSING]
