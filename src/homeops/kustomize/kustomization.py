"""Reading a kustomization file: find it, parse it with positions, check its fields and their types."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.files import FileLoader
from homeops.yaml.nodes import YMap, YSeq

KUSTOMIZATION_FILE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_VERSION = "kustomize.config.k8s.io/v1beta1"
COMPONENT_VERSION = "kustomize.config.k8s.io/v1alpha1"

# Every field kustomize's Kustomization type accepts, with the YAML shape it must have.
_FIELD_SHAPES: dict[str, type | tuple[type, ...]] = {
    "apiVersion": str,
    "kind": str,
    "metadata": dict,
    "openapi": dict,
    "namePrefix": str,
    "nameSuffix": str,
    "namespace": str,
    "commonLabels": dict,
    "labels": list,
    "commonAnnotations": dict,
    "patchesStrategicMerge": list,
    "patchesJson6902": list,
    "patches": list,
    "images": list,
    "imageTags": list,
    "replacements": list,
    "replicas": list,
    "vars": list,
    "sortOptions": dict,
    "resources": list,
    "components": list,
    "crds": list,
    "bases": list,
    "configMapGenerator": list,
    "secretGenerator": list,
    "helmGlobals": dict,
    "helmCharts": list,
    "helmChartInflationGenerator": list,
    "generatorOptions": dict,
    "configurations": list,
    "generators": list,
    "transformers": list,
    "validators": list,
    "inventory": dict,
    "buildMetadata": list,
}

_SHAPE_NAMES: dict[type, str] = {str: "a string", dict: "a mapping", list: "a list"}

UNSUPPORTED_FIELDS = {
    "generators": "generator plugins run external code",
    "transformers": "transformer plugins run external code",
    "validators": "validator plugins run external code",
    "helmCharts": "Helm chart inflation needs the helm binary and chart downloads",
    "helmChartInflationGenerator": "Helm chart inflation needs the helm binary and chart downloads",
    "helmGlobals": "Helm chart inflation needs the helm binary and chart downloads",
    "crds": "the crds field is not supported yet",
    "vars": "vars are deprecated in kustomize; use replacements",
    "openapi": "custom OpenAPI schemas are not supported yet",
}


@dataclass
class Kustomization:
    """A parsed kustomization file."""

    dir: Path
    file: Path
    display: str
    data: YMap

    @property
    def kind(self) -> str:
        kind = self.data.get("kind")
        return kind if isinstance(kind, str) and kind else "Kustomization"

    @property
    def is_component(self) -> bool:
        return self.kind == "Component"

    def where(self, key: str | None = None) -> Location:
        pos = self.data.key_pos(key) if key else self.data.pos
        if pos is None:
            return Location(self.display)
        return Location(pos.file, pos.line, pos.column)

    def strings(self, key: str) -> list[tuple[str, Location]]:
        """A list-of-strings field with the location of each item."""
        value = self.data.get(key)
        if value is None:
            return []
        out: list[tuple[str, Location]] = []
        assert isinstance(value, list)
        for i, item in enumerate(value):
            pos = value.item_pos(i) if isinstance(value, YSeq) else None
            loc = Location(pos.file, pos.line, pos.column) if pos else self.where(key)
            if not isinstance(item, str):
                raise BuildError(f"{key}[{i}] must be a string path, got {_describe(item)}", location=loc)
            out.append((item, loc))
        return out


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def find_kustomization_file(kdir: Path, loader: FileLoader | None = None) -> Path | None:
    """The kustomization file of ``kdir``; None when there is none. Several files is an error. ``loader``
    remembers what it found for the rest of its run (a build looks at the same directories many times)."""
    found = loader.kustomization_files.get(kdir) if loader is not None else None
    if found is None:
        found = [kdir / name for name in KUSTOMIZATION_FILE_NAMES if (kdir / name).is_file()]
        if loader is not None:
            loader.kustomization_files[kdir] = found
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise BuildError(f"found several kustomization files in {kdir}: {names}; keep one")
    return found[0] if found else None


def load_kustomization(loader: FileLoader, kdir: Path, where: Location | None = None) -> Kustomization:
    """Find, parse and check the kustomization file of ``kdir``."""
    path = find_kustomization_file(kdir, loader)
    if path is None:
        raise BuildError(
            f"no kustomization file in {loader.display(kdir)} "
            "(expected one of kustomization.yaml, kustomization.yml or Kustomization)",
            location=where,
        )
    display = loader.display(path)
    docs = [d for d in loader.load_yaml(path) if d is not None]
    if not docs:
        data = YMap()
    elif len(docs) > 1:
        raise BuildError(
            "a kustomization file must hold exactly one YAML document", location=Location(display)
        )
    elif not isinstance(docs[0], YMap):
        raise BuildError("a kustomization file must be a YAML mapping", location=Location(display, 1, 1))
    else:
        data = docs[0]
    k = Kustomization(dir=kdir, file=path, display=display, data=data)
    check_fields(k)
    return k


def check_fields(k: Kustomization) -> None:
    """Check the fields of a kustomization and their shapes; raise BuildError on the first problem."""
    for key, value in k.data.items():
        shape = _FIELD_SHAPES.get(key)
        if shape is None:
            raise BuildError(
                f"unknown field {key!r} in kustomization",
                location=k.where(key),
                hint="kubectl.docs.kubernetes.io/references/kustomize/kustomization/ lists the fields",
            )
        if value is None:
            continue
        if not isinstance(value, shape):
            expected = _SHAPE_NAMES.get(shape, "a value") if isinstance(shape, type) else "a value"
            raise BuildError(
                f"field {key!r} must be {expected}, got {_describe(value)}",
                location=k.where(key),
            )
    kind = k.data.get("kind")
    if kind not in (None, "", "Kustomization", "Component"):
        raise BuildError(f"kind should be Kustomization or Component, got {kind!r}", location=k.where("kind"))
    required = COMPONENT_VERSION if k.is_component else KUSTOMIZATION_VERSION
    api_version = k.data.get("apiVersion")
    if api_version not in (None, "", required):
        raise BuildError(
            f"apiVersion for {k.kind} should be {required}, got {api_version!r}",
            location=k.where("apiVersion"),
        )
    for key, why in UNSUPPORTED_FIELDS.items():
        if k.data.get(key):
            raise BuildError(f"field {key!r} is not supported by homeops: {why}", location=k.where(key))
