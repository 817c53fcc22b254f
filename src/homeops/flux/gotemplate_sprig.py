"""slim-sprig's hermetic functions (``sprig.HermeticTxtFuncMap``), as flux-operator offers them, plus its own
``toYaml``, ``mustToYaml`` and ``slugify``.

Every name slim-sprig defines is known (so the parser accepts it, as Go's does); the few that homeops does not
implement (dates, URLs, ``round``...) raise ``Unsupported`` when called, never a wrong value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import posixpath
import re
import unicodedata
import zlib
from collections.abc import Callable
from typing import Any

from homeops.errors import HomeopsError
from homeops.flux.gotemplate_exec import FuncError, Limit, Unsupported, go_str, go_type, truth
from homeops.flux.gotemplate_funcs import BUILTINS, as_int, as_str, go_quote
from homeops.yaml.emitter import dump_document

__all__ = ["resourceset_funcs"]

Func = Callable[..., Any]

_UNIMPLEMENTED = (
    "ago duration durationRound mustToDate toDate unixEpoch seq toDecimal round "
    "typeIsLike urlParse urlJoin regexFindAll mustRegexFindAll chunk mustChunk"
).split()


def _strval(v: Any) -> str:
    return v if isinstance(v, str) else go_str(v)


def _to_int64(v: Any) -> int:
    if isinstance(v, str):
        return int(v) if re.fullmatch(r"[+-]?[0-9]+", v) and -(2**63) <= int(v) < 2**63 else 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if math.isfinite(v) else -(2**63)
    return 0


def _to_float64(v: Any) -> float:
    if isinstance(v, str):
        try:
            return (
                float(v)
                if re.fullmatch(r"[+-]?(?:inf(?:inity)?|nan|[0-9._]*[0-9][0-9._eE+-]*)", v, re.I)
                else 0.0
            )
        except ValueError:
            return 0.0
    if isinstance(v, (bool, int, float)):
        return float(v)
    return 0.0


def _empty(v: Any) -> bool:
    return not truth(v)


def _strslice(v: Any) -> list[str]:
    if isinstance(v, list):
        return [_strval(x) for x in v if x is not None]
    return [] if v is None else [_strval(v)]


def _list_arg(v: Any, name: str) -> list[Any]:
    if isinstance(v, list):
        return v
    raise FuncError(f"Cannot find {name} on type {go_type(v)}")


def _dict_arg(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    raise FuncError(f"wrong type for value; expected map[string]interface {{}}; got {go_type(v)}")


def _go_json(v: Any, escape_html: bool, indent: int | None = None) -> str:
    def norm(x: Any) -> Any:
        if isinstance(x, float):
            if not math.isfinite(x):
                raise FuncError(f"json: unsupported value: {go_str(x)}")
            return int(x) if x.is_integer() and abs(x) < 1e21 else x
        if isinstance(x, dict):
            return {k: norm(val) for k, val in x.items()}
        if isinstance(x, list):
            return [norm(val) for val in x]
        return x

    text = json.dumps(
        norm(v),
        sort_keys=True,
        ensure_ascii=False,
        indent=indent,
        separators=(",", ": ") if indent else (",", ":"),
    )
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


def _must_to_yaml(v: Any) -> str:
    try:
        _go_json(v, False)
        return dump_document(v)
    except (FuncError, HomeopsError) as exc:
        raise FuncError(str(exc)) from None


def _to_yaml(v: Any) -> str:
    try:
        return _must_to_yaml(v)
    except FuncError:
        return ""


def _from_json(v: Any) -> Any:
    try:
        return json.loads(as_str(v))
    except json.JSONDecodeError as exc:
        raise FuncError(str(exc)) from None


_SLUG_SUB = {
    "&": "and",
    "@": "at",
    '"': "",
    "'": "",
    "\u2019": "",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
}


def _slugify(v: Any) -> str:
    """gosimple/slug ``Make`` with MaxLength 63 and smart truncation, as flux-operator configures it.

    Non-ASCII letters are transliterated by stripping their accents (gosimple/unidecode knows more).
    """
    text = "".join(_SLUG_SUB.get(c, c) for c in as_str(v).strip())
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9\-_]", "-", text)).strip("-_")
    if len(text) > 63:
        cut = text.rfind("-", 0, 64)
        text = text[:cut] if cut >= 0 else text[:63]
    return text


def _title(v: Any) -> str:
    out, prev_sep = [], True
    for c in as_str(v):
        out.append(c.upper() if prev_sep else c)
        prev_sep = not (c.isalnum() or c == "_")
    return "".join(out)


def _trunc(c: Any, s: Any) -> str:
    n, text = as_int(c), as_str(s)
    if n < 0 and len(text) + n > 0:
        return text[len(text) + n :]
    return text[:n] if 0 <= n < len(text) else text


def _substr(start: Any, end: Any, s: Any) -> str:
    a, b, text = as_int(start), as_int(end), as_str(s)
    if a < 0:
        return text[:b]
    return text[a:] if b < 0 or b > len(text) else text[a:b]


def _indent(n: Any, s: Any) -> str:
    pad = " " * as_int(n)
    return pad + as_str(s).replace("\n", "\n" + pad)


def _default(d: Any, *given: Any) -> Any:
    return d if not given or _empty(given[0]) else given[0]


def _dict(*kv: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(kv), 2):
        out[_strval(kv[i])] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise FuncError("dig needs at least three arguments")
    node, default = _dict_arg(args[-1]), args[-2]
    keys = [as_str(k) for k in args[:-2]]
    for i, key in enumerate(keys):
        if key not in node:
            return default
        if i == len(keys) - 1:
            return node[key]
        node = _dict_arg(node[key])
    return default


def _until_step(start: Any, stop: Any, step: Any) -> list[int]:
    a, b, s = as_int(start), as_int(stop), as_int(step)
    if s == 0 or (s > 0 and a >= b) or (s < 0 and a <= b):
        return []
    if abs((b - a) // s) > 100_000:
        raise Limit("untilStep: more than 100000 items (homeops limit)")
    return list(range(a, b, s))


def _repeat(n: Any, s: Any) -> str:
    count, text = as_int(n), as_str(s)
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    if count * len(text) > 1_000_000:
        raise Limit("repeat: result over 1000000 bytes (homeops limit)")
    return text * count


def _regex(pattern: Any) -> re.Pattern[str]:
    try:
        return re.compile(as_str(pattern))
    except re.error as exc:
        raise FuncError(f"error parsing regexp: {exc}") from None


def _expand(repl: str) -> str:
    return re.sub(
        r"\$(\{(\w+)\}|(\w+))", lambda m: f"\\g<{m.group(2) or m.group(3)}>", repl.replace("\\", "\\\\")
    )


def _uniq(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in _list_arg(v, "uniq"):
        if x not in out:
            out.append(x)
    return out


def _mul(a: Any, *v: Any) -> int:
    out = _to_int64(a)
    for b in v:
        out *= _to_int64(b)
    return out


def _div(a: Any, b: Any) -> int:
    x, y = _to_int64(a), _to_int64(b)
    if y == 0:
        raise FuncError("runtime error: integer divide by zero")
    return abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)


def _mod(a: Any, b: Any) -> int:
    x, y = _to_int64(a), _to_int64(b)
    if y == 0:
        raise FuncError("runtime error: integer divide by zero")
    return x - _div(x, y) * y


def _clean(p: Any) -> str:
    text = as_str(p)
    if not text:
        return "."
    out = posixpath.normpath(text)
    return "/" + out.lstrip("/") if out.startswith("//") else out


def _kind_of(v: Any) -> str:
    if v is None:
        return "invalid"
    return {"[]interface {}": "slice", "map[string]interface {}": "map"}.get(go_type(v), go_type(v))


def _set(d: Any, k: Any, v: Any) -> dict[str, Any]:
    out = _dict_arg(d)
    out[as_str(k)] = v
    return out


def _unset(d: Any, k: Any) -> dict[str, Any]:
    out = _dict_arg(d)
    out.pop(as_str(k), None)
    return out


def _fail(msg: Any) -> str:
    raise FuncError(as_str(msg))


def _b64dec(v: Any) -> str:
    try:
        return base64.b64decode(as_str(v), validate=True).decode("utf-8", "replace")
    except ValueError as exc:
        return str(exc)


_SPRIG: dict[str, Func] = {
    "hello": lambda: "Hello!",
    "trunc": _trunc,
    "trim": lambda s: as_str(s).strip(" \t\n\r\v\f\u0085\u00a0"),
    "upper": lambda s: as_str(s).upper(),
    "lower": lambda s: as_str(s).lower(),
    "title": _title,
    "substr": _substr,
    "repeat": _repeat,
    "trimall": lambda a, b: as_str(b).strip(as_str(a)),
    "trimAll": lambda a, b: as_str(b).strip(as_str(a)),
    "trimSuffix": lambda a, b: as_str(b).removesuffix(as_str(a)),
    "trimPrefix": lambda a, b: as_str(b).removeprefix(as_str(a)),
    "contains": lambda a, b: as_str(a) in as_str(b),
    "hasPrefix": lambda a, b: as_str(b).startswith(as_str(a)),
    "hasSuffix": lambda a, b: as_str(b).endswith(as_str(a)),
    "quote": lambda *a: " ".join(go_quote(_strval(x)) for x in a if x is not None),
    "squote": lambda *a: " ".join(f"'{_strval(x)}'" for x in a if x is not None),
    "cat": lambda *a: " ".join(_strval(x) for x in a if x is not None),
    "indent": _indent,
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "replace": lambda old, new, src: as_str(src).replace(as_str(old), as_str(new)),
    "plural": lambda one, many, n: as_str(one) if as_int(n) == 1 else as_str(many),
    "sha1sum": lambda s: hashlib.sha1(as_str(s).encode()).hexdigest(),
    "sha256sum": lambda s: hashlib.sha256(as_str(s).encode()).hexdigest(),
    "adler32sum": lambda s: str(zlib.adler32(as_str(s).encode())),
    "toString": _strval,
    "atoi": lambda s: _to_int64(as_str(s)),
    "int64": _to_int64,
    "int": _to_int64,
    "float64": _to_float64,
    "split": lambda sep, s: {f"_{i}": p for i, p in enumerate(as_str(s).split(as_str(sep)))},
    "splitList": lambda sep, s: as_str(s).split(as_str(sep)),
    "splitn": lambda sep, n, s: {
        f"_{i}": p for i, p in enumerate(as_str(s).split(as_str(sep), as_int(n) - 1))
    },
    "toStrings": _strslice,
    "until": lambda n: _until_step(0, n, 1 if as_int(n) >= 0 else -1),
    "untilStep": _until_step,
    "add1": lambda i: _to_int64(i) + 1,
    "add": lambda *a: sum(_to_int64(x) for x in a),
    "sub": lambda a, b: _to_int64(a) - _to_int64(b),
    "div": _div,
    "mod": _mod,
    "mul": _mul,
    "biggest": lambda a, *r: max([_to_int64(a), *map(_to_int64, r)]),
    "max": lambda a, *r: max([_to_int64(a), *map(_to_int64, r)]),
    "min": lambda a, *r: min([_to_int64(a), *map(_to_int64, r)]),
    "maxf": lambda a, *r: max([_to_float64(a), *map(_to_float64, r)]),
    "minf": lambda a, *r: min([_to_float64(a), *map(_to_float64, r)]),
    "ceil": lambda a: float(math.ceil(_to_float64(a))),
    "floor": lambda a: float(math.floor(_to_float64(a))),
    "join": lambda sep, v: as_str(sep).join(_strslice(v)),
    "sortAlpha": lambda v: sorted(_strslice(v)),
    "default": _default,
    "empty": _empty,
    "coalesce": lambda *a: next((x for x in a if not _empty(x)), None),
    "all": lambda *a: all(not _empty(x) for x in a),
    "any": lambda *a: any(not _empty(x) for x in a),
    "compact": lambda v: [x for x in _list_arg(v, "compact") if not _empty(x)],
    "fromJson": lambda v: _from_json(v) if _valid_json(v) else None,
    "mustFromJson": _from_json,
    "toJson": lambda v: _go_json(v, True),
    "toPrettyJson": lambda v: _go_json(v, True, 2),
    "toRawJson": lambda v: _go_json(v, False),
    "ternary": lambda vt, vf, cond: vt if cond is True else vf,
    "typeOf": go_type,
    "typeIs": lambda t, v: as_str(t) == go_type(v),
    "kindOf": _kind_of,
    "kindIs": lambda k, v: as_str(k) == _kind_of(v),
    "deepEqual": lambda a, b: a == b and type(a) is type(b),
    "base": lambda p: posixpath.basename(as_str(p).rstrip("/"))
    or ("/" if as_str(p).startswith("/") else "."),
    "dir": lambda p: _clean(posixpath.dirname(as_str(p))),
    "clean": _clean,
    "ext": lambda p: posixpath.splitext("x" + posixpath.basename(as_str(p)))[1],
    "isAbs": lambda p: as_str(p).startswith("/"),
    "b64enc": lambda s: base64.b64encode(as_str(s).encode()).decode(),
    "b64dec": _b64dec,
    "b32enc": lambda s: base64.b32encode(as_str(s).encode()).decode(),
    "b32dec": lambda s: base64.b32decode(as_str(s)).decode("utf-8", "replace"),
    "tuple": lambda *a: list(a),
    "list": lambda *a: list(a),
    "dict": _dict,
    "get": lambda d, k: _dict_arg(d).get(as_str(k), ""),
    "set": _set,
    "unset": _unset,
    "hasKey": lambda d, k: as_str(k) in _dict_arg(d),
    "pluck": lambda k, *ds: [_dict_arg(d)[as_str(k)] for d in ds if as_str(k) in _dict_arg(d)],
    "keys": lambda *ds: [k for d in ds for k in sorted(_dict_arg(d))],
    "pick": lambda d, *ks: {k: v for k, v in _dict_arg(d).items() if k in ks},
    "omit": lambda d, *ks: {k: v for k, v in _dict_arg(d).items() if k not in ks},
    "values": lambda d: [_dict_arg(d)[k] for k in sorted(_dict_arg(d))],
    "append": lambda v, x: [*_list_arg(v, "push"), x],
    "push": lambda v, x: [*_list_arg(v, "push"), x],
    "prepend": lambda v, x: [x, *_list_arg(v, "prepend")],
    "first": lambda v: _list_arg(v, "first")[0] if _list_arg(v, "first") else None,
    "rest": lambda v: _list_arg(v, "rest")[1:] if _list_arg(v, "rest") else None,
    "last": lambda v: _list_arg(v, "last")[-1] if _list_arg(v, "last") else None,
    "initial": lambda v: _list_arg(v, "initial")[:-1] if _list_arg(v, "initial") else None,
    "reverse": lambda v: list(reversed(_list_arg(v, "reverse"))),
    "uniq": _uniq,
    "without": lambda v, *o: [x for x in _list_arg(v, "without") if x not in o],
    "has": lambda needle, v: needle in _list_arg(v, "has") if v is not None else False,
    "concat": lambda *ls: [x for v in ls for x in _list_arg(v, "concat")],
    "dig": _dig,
    "fail": _fail,
    "regexMatch": lambda r, s: _regex(r).search(as_str(s)) is not None,
    "regexFind": lambda r, s: (m.group(0) if (m := _regex(r).search(as_str(s))) else ""),
    "regexReplaceAll": lambda r, s, repl: _regex(r).sub(_expand(as_str(repl)), as_str(s)),
    "regexReplaceAllLiteral": lambda r, s, repl: _regex(r).sub(lambda _m: as_str(repl), as_str(s)),
    "regexSplit": lambda r, s, n: _regex(r).split(as_str(s), max(as_int(n) - 1, 0)) if as_int(n) != 0 else [],
    "regexQuoteMeta": lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", as_str(s)),
    "toYaml": _to_yaml,
    "mustToYaml": _must_to_yaml,
    "slugify": _slugify,
}

# The "must" variants: same results here, as the plain ones above already fail where Go's must variant does.
for _name in "Compact Push Append Prepend First Rest Last Initial Reverse Uniq Without Has Slice".split():
    _SPRIG["must" + _name] = _SPRIG.get(_name[0].lower() + _name[1:], BUILTINS["slice"])
_SPRIG.update(
    {
        "mustToJson": _SPRIG["toJson"],
        "mustToPrettyJson": _SPRIG["toPrettyJson"],
        "mustToRawJson": _SPRIG["toRawJson"],
        "mustRegexMatch": _SPRIG["regexMatch"],
        "mustRegexFind": _SPRIG["regexFind"],
        "mustRegexReplaceAll": _SPRIG["regexReplaceAll"],
        "mustRegexReplaceAllLiteral": _SPRIG["regexReplaceAllLiteral"],
        "mustRegexSplit": _SPRIG["regexSplit"],
        "osBase": _SPRIG["base"],
        "osClean": _SPRIG["clean"],
        "osDir": _SPRIG["dir"],
        "osExt": _SPRIG["ext"],
        "osIsAbs": _SPRIG["isAbs"],
    }
)


def _valid_json(v: Any) -> bool:
    try:
        json.loads(as_str(v))
    except (json.JSONDecodeError, FuncError):
        return False
    return True


def _unsupported(name: str) -> Func:
    def call(*_args: Any) -> Any:
        raise Unsupported(f"{name} is not supported by homeops")

    return call


for _name in [*_UNIMPLEMENTED, "must_date_modify", "mustDateModify", "js", "call"]:
    _SPRIG[_name] = _unsupported(_name)


def resourceset_funcs(inputs: Any) -> dict[str, Func]:
    """The functions of a ResourceSet template: Go's builtins, slim-sprig's hermetic set, toYaml, slugify,
    and ``inputs`` returning the input set."""
    funcs: dict[str, Func] = {**BUILTINS, **_SPRIG}
    funcs["inputs"] = lambda: inputs
    return funcs
