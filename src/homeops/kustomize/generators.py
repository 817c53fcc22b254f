"""kustomize's ``configMapGenerator`` and ``secretGenerator`` (v5.7.1 semantics, checked with kubectl).

Per kustomization, every ``configMapGenerator`` entry runs first, then every ``secretGenerator`` entry, each
with its ``options`` merged with the kustomization's ``generatorOptions`` (see ``merge_options``). Each
generated object is then absorbed into the resource map according to its ``behavior`` (see
``homeops.kustomize.genmerge``). The content-hash name suffix is *not* added here: generated resources are
only marked (``Resource.needs_hash``); ``homeops.kustomize.hashing.add_hash_suffixes`` appends the suffixes
once, at the top level, after all transformers.

Generated objects have the layout kustomize gives them: ``apiVersion``, ``kind``, ``metadata`` (``name``,
``namespace`` when set, ``labels`` and ``annotations`` when non-empty), then for a Secret ``type`` (default
``Opaque``) and ``data`` (always present, values base64-encoded), for a ConfigMap ``data`` (only when it has
text entries) and ``binaryData`` (values that are not valid UTF-8, base64-encoded), and ``immutable: true``
when asked for. Data keys are sorted. Base64 of 70 characters or more is wrapped into 70-column lines, as
kyaml does (see ``_b64``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.context import KContext
from homeops.kustomize.envfile import parse_env_file, parse_file_source, parse_literal
from homeops.kustomize.files import is_remote
from homeops.kustomize.genmerge import absorb
from homeops.kustomize.remote import fetch_ref, is_url
from homeops.kustomize.resource import ResMap, Resource
from homeops.yaml.nodes import Pos, YMap, YSeq

_BEHAVIORS = frozenset({"create", "merge", "replace"})


@dataclass
class GenOptions:
    """A generator's options (``generatorOptions`` or an entry's ``options``)."""

    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    disable_name_suffix_hash: bool = False
    immutable: bool = False


def merge_options(local: GenOptions | None, global_: GenOptions | None) -> GenOptions | None:
    """kustomize's MergeGlobalOptionsIntoLocal: local labels/annotations win key by key; a global ``true``
    for ``disableNameSuffixHash`` or ``immutable`` wins over a local ``false``."""
    if global_ is None:
        return local
    merged = (
        GenOptions()
        if local is None
        else GenOptions(
            dict(local.labels) if local.labels is not None else None,
            dict(local.annotations) if local.annotations is not None else None,
            local.disable_name_suffix_hash,
            local.immutable,
        )
    )
    merged.labels = _override_map(merged.labels, global_.labels)
    merged.annotations = _override_map(merged.annotations, global_.annotations)
    merged.disable_name_suffix_hash = merged.disable_name_suffix_hash or global_.disable_name_suffix_hash
    merged.immutable = merged.immutable or global_.immutable
    return merged


def _override_map(local: dict[str, str] | None, global_: dict[str, str] | None) -> dict[str, str] | None:
    if local is None:
        return dict(global_) if global_ is not None else None
    for key, value in (global_ or {}).items():
        local.setdefault(key, value)
    return local


@dataclass
class _Source:
    """One literal/file/env entry and where it is written."""

    text: str
    where: Location


@dataclass
class _GenArgs:
    kind: str  # "ConfigMap" or "Secret"
    name: str
    namespace: str
    behavior: str
    where: Location
    origin: Pos | None = None
    envs: list[_Source] = field(default_factory=list)
    literals: list[_Source] = field(default_factory=list)
    files: list[_Source] = field(default_factory=list)
    secret_type: str = ""
    options: GenOptions | None = None


def run_generators(resmap: ResMap, kustomization: YMap, ctx: KContext) -> None:
    """Run the kustomization's ConfigMap and Secret generators into ``resmap``, honouring ``behavior``."""
    global_opts = _parse_options(
        kustomization.get("generatorOptions"), ctx, kustomization, "generatorOptions"
    )
    for field_name, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        entries = kustomization.get(field_name)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise BuildError(
                f"{field_name} must be a list of generator entries",
                location=ctx.where(kustomization, field_name),
            )
        for index, entry in enumerate(entries):
            where = ctx.where(entries, index) if isinstance(entries, YSeq) else ctx.field_location(field_name)
            args = _parse_entry(kind, entry, where, ctx)
            args.options = merge_options(args.options, global_opts)
            res = _generate(args, ctx)
            absorb(resmap, res, where)


# -- parsing the kustomization entries ---------------------------------------------------------------------


def _parse_entry(kind: str, entry: Any, where: Location, ctx: KContext) -> _GenArgs:
    field_name = "configMapGenerator" if kind == "ConfigMap" else "secretGenerator"
    if not isinstance(entry, dict):
        raise BuildError(
            f"each {field_name} entry must be a mapping (name, literals, files, envs...)", location=where
        )
    name = _opt_str(entry, "name", ctx, where)
    if not name:
        raise BuildError("a configmap must have a name", location=where)
    behavior = _opt_str(entry, "behavior", ctx, where)
    args = _GenArgs(
        kind=kind,
        name=name,
        namespace=_opt_str(entry, "namespace", ctx, where),
        behavior=behavior
        if behavior in _BEHAVIORS
        else "create",  # kustomize treats unknown values as create
        where=where,
        origin=entry.pos if isinstance(entry, YMap) else None,
        envs=_sources(entry, "envs", ctx, where),
        literals=_sources(entry, "literals", ctx, where),
        files=_sources(entry, "files", ctx, where),
        options=_parse_options(entry.get("options"), ctx, entry, "options"),
    )
    env = _opt_str(entry, "env", ctx, where)
    if env:  # the deprecated single env file goes after the envs list
        args.envs.append(_Source(env, _loc(ctx, entry, "env", where)))
    if kind == "Secret":
        args.secret_type = _opt_str(entry, "type", ctx, where)
    return args


def _loc(ctx: KContext, container: Any, key: str | int, fallback: Location) -> Location:
    loc = ctx.where(container, key)
    return loc if loc.line else fallback


def _opt_str(entry: dict[str, Any], key: str, ctx: KContext, where: Location) -> str:
    value = entry.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BuildError(
            f"{key} must be a string, not {_kind_of(value)}", location=_loc(ctx, entry, key, where)
        )
    return value


def _sources(entry: dict[str, Any], key: str, ctx: KContext, where: Location) -> list[_Source]:
    value = entry.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BuildError(
            f"{key} must be a list of strings, not {_kind_of(value)}", location=_loc(ctx, entry, key, where)
        )
    out: list[_Source] = []
    for index, item in enumerate(value):
        loc = _loc(ctx, value, index, where)
        if not isinstance(item, str):
            raise BuildError(f"{key} entries must be strings, not {_kind_of(item)}", location=loc)
        out.append(_Source(item, loc))
    return out


def _parse_options(value: Any, ctx: KContext, container: Any, key: str) -> GenOptions | None:
    if value is None:
        return None
    where = ctx.where(container, key)
    if not isinstance(value, dict):
        raise BuildError(f"{key} must be a mapping, not {_kind_of(value)}", location=where)
    return GenOptions(
        labels=_str_map(value, "labels", ctx, where),
        annotations=_str_map(value, "annotations", ctx, where),
        disable_name_suffix_hash=_opt_bool(value, "disableNameSuffixHash", ctx, where),
        immutable=_opt_bool(value, "immutable", ctx, where),
    )


def _str_map(options: dict[str, Any], key: str, ctx: KContext, where: Location) -> dict[str, str] | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BuildError(f"{key} must be a mapping of strings", location=_loc(ctx, options, key, where))
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise BuildError(
                f"{key}: the value of {k!r} must be a string, not {_kind_of(v)} (quote it)",
                location=_loc(ctx, value, k, where),
            )
        out[k] = v
    return out


def _opt_bool(options: dict[str, Any], key: str, ctx: KContext, where: Location) -> bool:
    value = options.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BuildError(
            f"{key} must be true or false, not {_kind_of(value)}", location=_loc(ctx, options, key, where)
        )
    return value


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else "a string"


# -- generating ------------------------------------------------------------------------------------------


def _read(ctx: KContext, source: _Source, ref: str, prefix: str) -> bytes:
    """Read a generator input file relative to the kustomization directory."""
    if is_remote(ref):
        if not is_url(ref):  # kustomize GETs only http(s) URLs here
            raise BuildError(f"{prefix}: remote file {ref!r} is not supported", location=source.where)
        try:
            return fetch_ref(ctx.loader, "file", ref, source.where).fetch(ref, source.where)
        except BuildError as exc:
            raise BuildError(f"{prefix}: {exc.message}", location=source.where, hint=exc.hint) from None
    path = ctx.loader.resolve(ctx.kdir, ref, source.where)
    if path.is_dir():
        raise BuildError(f"{prefix}: read {ctx.loader.display(path)}: is a directory", location=source.where)
    try:
        return ctx.loader.read_bytes(path, source.where)
    except BuildError as exc:
        raise BuildError(f"{prefix}: {exc.message}", location=source.where, hint=exc.hint) from None


def _load_pairs(args: _GenArgs, ctx: KContext) -> list[tuple[str, str | bytes, Location]]:
    """kustomize's KV loader: env files, then literals, then files."""
    pairs: list[tuple[str, str | bytes, Location]] = []
    prefix = "loading KV pairs: env source files: [" + " ".join(s.text for s in args.envs) + "]"
    for src in args.envs:
        content = _read(ctx, src, src.text, prefix)
        try:
            pairs.extend((k, v, src.where) for k, v in parse_env_file(content))
        except ValueError as exc:
            raise BuildError(f"{prefix}: {exc}", location=src.where) from None
    prefix = "loading KV pairs: literal sources [" + " ".join(s.text for s in args.literals) + "]"
    for src in args.literals:
        try:
            key, value = parse_literal(src.text)
        except ValueError as exc:
            raise BuildError(f"{prefix}: {exc}", location=src.where) from None
        pairs.append((key, value, src.where))
    prefix = "loading KV pairs: file sources: [" + " ".join(s.text for s in args.files) + "]"
    for src in args.files:
        try:
            key, ref = parse_file_source(src.text)
        except ValueError as exc:
            raise BuildError(f"{prefix}: {exc}", location=src.where) from None
        pairs.append((key, _read(ctx, src, ref, prefix), src.where))
    return pairs


def _data_map(args: _GenArgs, ctx: KContext) -> dict[str, str | bytes]:
    data: dict[str, str | bytes] = {}
    for key, value, where in _load_pairs(args, ctx):
        if key in data:
            raise BuildError(f"configmap {args.name} illegally repeats the key `{key}`", location=where)
        data[key] = value
    return data


def _generate(args: _GenArgs, ctx: KContext) -> Resource:
    data = _data_map(args, ctx)
    metadata = YMap([("name", args.name)])
    if args.namespace:
        metadata["namespace"] = args.namespace
    opts = args.options
    if opts is not None and opts.labels:
        metadata["labels"] = YMap(sorted(opts.labels.items()))
    if opts is not None and opts.annotations:
        metadata["annotations"] = YMap(sorted(opts.annotations.items()))
    obj = YMap([("apiVersion", "v1"), ("kind", args.kind), ("metadata", metadata)])
    if args.kind == "Secret":
        obj["type"] = args.secret_type or "Opaque"
        obj["data"] = YMap((k, _b64(data[k])) for k in sorted(data))
    else:
        text = YMap()
        binary = YMap()
        for key in sorted(data):
            value = data[key]
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    binary[key] = _b64(value)
                    continue
            text[key] = value
        if text:
            obj["data"] = text
        if binary:
            obj["binaryData"] = binary
    if opts is not None and opts.immutable:
        obj["immutable"] = True
    # Generated objects have no source text: their positions are the generator entry's.
    origin = args.origin or Pos(args.where.file, args.where.line, args.where.column)
    obj.pos = metadata.pos = origin
    for part in (obj.get("data"), obj.get("binaryData")):
        if isinstance(part, YMap):
            part.pos = origin
    res = Resource(obj, origin=origin)
    res.behavior = args.behavior
    res.needs_hash = opts is None or not opts.disable_name_suffix_hash
    return res


_B64_LINE = 70
"""kyaml's line length for generated base64 (``encodeBase64`` in kyaml/yaml/datamap.go, kyaml v0.20.1)."""


def _b64(value: str | bytes) -> str:
    """Base64 as kyaml writes generated ``data``/``binaryData``: wrapped once it reaches 70 characters.

    Below 70 characters the text is one line. From 70 on, it is cut into 70-character lines and *every*
    line, the last one included, ends with a newline, so it is emitted as a literal block (``|``). The
    content hash reads this text, newlines included (see ``homeops.kustomize.hashing``).
    """
    raw = value.encode("utf-8") if isinstance(value, str) else value
    text = base64.b64encode(raw).decode("ascii")
    if len(text) < _B64_LINE:
        return text
    return "".join(text[i : i + _B64_LINE] + "\n" for i in range(0, len(text), _B64_LINE))
