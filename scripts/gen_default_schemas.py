"""Generate homeops' bundled default schemas of Flux's and external-secrets' kinds from pinned npm packages.

    python scripts/gen_default_schemas.py            # writes src/homeops/schemas/data/default/
    python scripts/gen_default_schemas.py --check    # fails when the committed files differ

The ``@kubernetes-models`` packages (maintained, MIT) are generated from the projects' Go API types and ship,
for each type, a validator compiled by Ajv (standalone code: one function per sub-schema, every error carrying
a one-level ``schemaPath`` such as ``#/required``). This script reads that code back into JSON Schema: type,
enum, required, properties, items, map values, string and size limits, pattern and format, with the shared
types (``ObjectMeta``, ``Condition``...) taken from the pinned dependency packages. Every construct it does
not know stops the generation, so a new package version can never be read wrong silently.

As kubeconform's ``openapi2jsonschema`` does for CRDs (the CRD catalogs), every object schema with
``properties`` except the root gets ``additionalProperties: false``; types without properties (Helm values,
``apiextensions JSON``) stay open, as ``x-kubernetes-preserve-unknown-fields`` makes them in the CRDs.
Because the packages lag the projects' releases, two things that grow with each release are not enforced:
the ``enum`` of ``kind`` references below the root, and the provider unions in :data:`OPEN_OBJECTS`. The
output is the catalog layout ``{group}/{kind}_{version}.json`` (kind in lower case), minified.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "homeops" / "schemas" / "data" / "default"

MODEL_PACKAGES = (("@kubernetes-models/flux-cd", "4.0.0"), ("@kubernetes-models/external-secrets", "2.0.0"))
"""Packages whose kinds become default schemas (name, pinned version)."""
TYPE_PACKAGES = (("@kubernetes-models/apimachinery", "3.0.2"), ("kubernetes-models", "5.1.0"))
"""Packages that only provide shared types the model packages import (their dependencies, pinned)."""

_FUNC = re.compile(r"function (validate\d+)\(data,\{[^)]*\}=\{\}\)\{")
_IMPORT = re.compile(r'import\{validate as (validate\d+)\}from"([^"]+)"')
_EXPORT = re.compile(r"export const validate=(validate\d+);")
_ENUM_VAR = re.compile(r"let (schema\d+_enum)=(\[[^\]]*\]);")
_STR = r'"(?:[^"\\]|\\.)*"'
_ERROR = re.compile(
    r'schemaPath:"#/(\w+)",keyword:"(\w+)",params:\{(\w+):(' + _STR + r"|[\w$]+|\[[^\]]*\])\}"
)
_DEEP_PATH = re.compile(r'schemaPath:"#/\w+/')
_PROPERTY = re.compile(r"void 0!==data(?:\.([A-Za-z_$][\w$]*)|\[(" + _STR + r")\])&&\(?(validate\d+)\(data")
_ITEMS = re.compile(r"for\(let i0=0;i0<len0;i0\+\+\)\(?(validate\d+)\(data\[i0\]")
_VALUES = re.compile(r"for\(let key0 in data\)\(?(validate\d+)\(data\[key0\]")
_WHOLE = re.compile(r"(validate\d+)\(data,\{instancePath,parentData")
_LOOP = re.compile(r"for\(")
_KIND_FILE = re.compile(
    r'from"\.\./\.\./_schemas/(\w+)\.js".*this\.apiVersion="([^"]+)"\}static\{this\.kind="(\w+)"\}', re.S
)
_LIMITS = frozenset({"maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"})
_KEYWORDS = _LIMITS | {"type", "enum", "required", "pattern", "format"}


class ReadError(Exception):
    """The compiled code holds a construct this script does not read (the package changed)."""


def _js_string(literal: str) -> str:
    value = json.loads(literal)
    if not isinstance(value, str):
        raise ReadError(f"not a string literal: {literal}")
    return value


def _functions(code: str) -> dict[str, str]:
    """Body of each ``function validateN(...){...}`` of a compiled module (braces in strings skipped)."""
    out: dict[str, str] = {}
    for m in _FUNC.finditer(code):
        depth, i, in_string = 1, m.end(), False
        while depth:
            c = code[i]
            if in_string:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_string = False
            elif c == '"':
                in_string = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        out[m.group(1)] = code[m.end() : i - 1]
    return out


@dataclass
class Module:
    """One compiled schema module: its functions, imports (local name -> module id) and enum constants."""

    ident: str
    export: str
    functions: dict[str, str]
    imports: dict[str, str]
    enums: dict[str, list[Any]]

    @classmethod
    def parse(cls, ident: str, package: str, code: str) -> Module:
        """Read one ``_schemas/*.js`` file of ``package``."""
        export = _EXPORT.search(code)
        if export is None:
            raise ReadError(f"{ident}: no exported validator")
        imports: dict[str, str] = {}
        for local, target in _IMPORT.findall(code):
            if target.startswith("./"):
                imports[local] = f"{package}/_schemas/{target[2:].removesuffix('.js')}"
            else:
                imports[local] = target.removesuffix(".js")
        enums = {name: json.loads(values) for name, values in _ENUM_VAR.findall(code)}
        return cls(ident, export.group(1), _functions(code), imports, enums)


@dataclass
class Decompiler:
    """Turns compiled modules back into JSON schemas, each sub-schema inlined."""

    modules: dict[str, Module]
    _stack: list[tuple[str, str]] = field(default_factory=list)

    def module_schema(self, ident: str) -> dict[str, Any]:
        """The schema exported by module ``ident``."""
        module = self.modules.get(ident)
        if module is None:
            raise ReadError(f"module {ident} is not in the pinned packages")
        return self._function(module, module.export)

    def _ref(self, module: Module, name: str) -> dict[str, Any]:
        target = module.imports.get(name)
        if target is not None:
            return self.module_schema(target)
        return self._function(module, name)

    def _function(self, module: Module, name: str) -> dict[str, Any]:
        key = (module.ident, name)
        if key in self._stack:
            raise ReadError(f"recursive schema through {module.ident}:{name}")
        body = module.functions.get(name)
        if body is None:
            raise ReadError(f"{module.ident}: no function {name}")
        self._stack.append(key)
        try:
            return self._read(module, name, body)
        finally:
            self._stack.pop()

    def _read(self, module: Module, name: str, body: str) -> dict[str, Any]:
        where = f"{module.ident}:{name}"
        if _DEEP_PATH.search(body):
            raise ReadError(f"{where}: an inlined sub-schema")
        schema: dict[str, Any] = {}
        required: list[str] = []
        errors = _ERROR.findall(body)
        if len(errors) != body.count("keyword:"):
            raise ReadError(f"{where}: an error of an unknown shape")
        for path, keyword, _param, value in errors:
            if path != keyword or keyword not in _KEYWORDS:
                raise ReadError(f"{where}: keyword {keyword!r} is not read")
            if keyword == "required":
                required.append(_js_string(value))
            elif keyword == "enum":
                options = module.enums.get(value) if value.startswith("schema") else json.loads(value)
                if options is None:
                    raise ReadError(f"{where}: enum {value} not found")
                schema["enum"] = options
            elif keyword in ("type", "pattern", "format"):
                text = _js_string(value)
                if schema.get(keyword, text) != text:
                    raise ReadError(f"{where}: two different {keyword} checks")
                schema[keyword] = text
            else:
                schema[keyword] = int(value)
        properties: dict[str, Any] = {}
        loops = len(_LOOP.findall(body))
        found = _PROPERTY.findall(body)
        if len(found) != body.count("void 0!==data"):
            raise ReadError(f"{where}: a property check of an unknown shape")
        for plain, quoted, target in found:
            properties[plain or _js_string(quoted)] = self._ref(module, target)
        if properties:
            schema["properties"] = properties
        if required:
            schema["required"] = required
        items = _ITEMS.findall(body)
        values = _VALUES.findall(body)
        if len(items) + len(values) != loops or len(items) > 1 or len(values) > 1:
            raise ReadError(f"{where}: a loop that is not items or map values")
        if items:
            schema["items"] = self._ref(module, items[0])
        if values:
            schema["additionalProperties"] = self._ref(module, values[0])
        whole = _WHOLE.findall(body)
        for target in whole:  # a $ref alone, beside other keywords, or embedded Go structs: merged
            _merge(schema, self._ref(module, target), where)
        return schema


def _merge(schema: dict[str, Any], other: dict[str, Any], where: str) -> None:
    """Add ``other``'s keywords to ``schema`` (both must hold): properties and required are united."""
    for key, value in other.items():
        if key == "properties" and key in schema:
            for name, sub in value.items():
                if schema[key].setdefault(name, sub) != sub:
                    raise ReadError(f"{where}: property {name!r} defined twice")
        elif key == "required" and key in schema:
            schema[key] += [name for name in value if name not in schema[key]]
        elif schema.setdefault(key, value) != value:
            raise ReadError(f"{where}: a reference that conflicts with its siblings on {key!r}")


OPEN_OBJECTS = frozenset(
    {
        ("external-secrets.io", "SecretStore", "spec.provider"),
        ("external-secrets.io", "ClusterSecretStore", "spec.provider"),
    }
)
"""Unions of providers that grow with nearly every release (group, kind, path): known members are checked,
others are left to the controller (a newer controller than the pinned package is not an error)."""


def strict(
    schema: dict[str, Any], open_paths: frozenset[str] = frozenset(), path: str = ""
) -> dict[str, Any]:
    """Forbid unknown fields in every object schema with properties except the root (kubeconform's rule).

    Two exceptions keep a newer controller than the pinned package from being reported wrong: the objects at
    ``open_paths`` stay open, and a ``kind`` field below the root (a reference to another object: its list of
    kinds grows with each release, e.g. the Flux operator's ``FluxInstance`` in alert event sources) loses its
    ``enum``.
    """
    for name, sub in schema.get("properties", {}).items():
        strict(sub, open_paths, f"{path}.{name}" if path else name)
        if path and name == "kind":
            sub.pop("enum", None)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            strict(schema[key], open_paths, f"{path}[]")
    if path and path not in open_paths and "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    return schema


def npm_pack(name: str, version: str, into: Path) -> dict[str, bytes]:
    """The files of ``name@version`` (``package/`` stripped) fetched with ``npm pack`` (kept in ``into``)."""
    archive = into / f"{name.removeprefix('@').replace('/', '-')}-{version}.tgz"
    if not archive.is_file():
        proc = subprocess.run(
            ["npm", "pack", "--silent", f"{name}@{version}"],
            cwd=into,
            check=True,
            capture_output=True,
            text=True,
        )
        archive = into / proc.stdout.strip().splitlines()[-1]
    files: dict[str, bytes] = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                files[member.name.removeprefix("package/")] = handle.read()
    return files


def generate(packages: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    """Output files (path relative to the data directory -> minified JSON) from the unpacked packages."""
    modules: dict[str, Module] = {}
    for package, files in packages.items():
        for path, data in files.items():
            if path.startswith("_schemas/") and path.endswith(".js"):
                ident = f"{package}/{path.removesuffix('.js')}"
                modules[ident] = Module.parse(ident, package, data.decode())
    decompiler = Decompiler(modules)
    out: dict[str, bytes] = {}
    for package, pinned in MODEL_PACKAGES:
        for path, data in sorted(packages[package].items()):
            m = _KIND_FILE.search(data.decode()) if path.endswith(".js") else None
            if m is None or m.group(3).endswith("List"):
                continue
            group, _, version = m.group(2).rpartition("/")
            schema = {
                "$comment": f"{package}@{pinned}",
                **strict(
                    decompiler.module_schema(f"{package}/_schemas/{m.group(1)}"),
                    frozenset(p for g, k, p in OPEN_OBJECTS if (g, k) == (group, m.group(3))),
                ),
            }
            name = f"{group}/{m.group(3).lower()}_{version}.json"
            out[name] = json.dumps(schema, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    return out


def source_note(packages: dict[str, dict[str, bytes]], outputs: dict[str, bytes]) -> bytes:
    """SOURCE.md: where the files come from, with each package's version and license."""
    lines = [
        "# Default schemas",
        "",
        "Generated by `scripts/gen_default_schemas.py` (never edited by hand) from the compiled validators",
        "of these npm packages, pinned:",
        "",
        "| package | version | license | role |",
        "| --- | --- | --- | --- |",
    ]
    for (name, version), role in [(p, "kinds") for p in MODEL_PACKAGES] + [
        (p, "types") for p in TYPE_PACKAGES
    ]:
        meta = json.loads(packages[name]["package.json"])
        lines.append(f"| {name} | {version} | {meta.get('license', '?')} | {role} |")
    groups = sorted({path.split("/")[0] for path in outputs})
    lines += ["", f"{len(outputs)} schemas of the groups: " + ", ".join(groups) + ".", ""]
    return "\n".join(lines).encode()


def main(argv: list[str] | None = None) -> int:
    """Fetch the pinned packages, generate the schemas, write them (or compare with --check)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files, write nothing"
    )
    parser.add_argument("--download-dir", type=Path, help="keep (and reuse) the package archives here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="homeops-schemas-") as tmp:
        where = args.download_dir or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        packages = {name: npm_pack(name, version, where) for name, version in MODEL_PACKAGES + TYPE_PACKAGES}
    outputs = generate(packages)
    outputs["SOURCE.md"] = source_note(packages, outputs)
    out: Path = args.out
    existing = (
        {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        if out.is_dir()
        else {}
    )
    if args.check:
        stale = sorted(set(existing) ^ set(outputs) | {k for k in outputs if existing.get(k) != outputs[k]})
        for name in stale:
            print(f"differs: {name}", file=sys.stderr)
        return 1 if stale else 0
    for name in set(existing) - set(outputs):
        (out / name).unlink()
    for name, data in outputs.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    total = sum(len(d) for d in outputs.values())
    print(f"wrote {len(outputs)} files ({total} bytes) to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
