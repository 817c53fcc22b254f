"""Masking of secret values, and of what substitution derives from them, in every output.

One place collects the *secret values* of a build (``collect_secrets``):

* every value of a v1 Secret of the built tree and of the repository (``data`` base64-decoded,
  ``stringData`` as is);
* every clear value of a SOPS document of the repository, decrypted with the user's key
  (``SecretResolver.plaintext`` records what it decrypted), whether or not a Kustomization of the tree builds
  it: cluster-template's ``cluster-secrets`` is applied at bootstrap and only named in ``substituteFrom``;
* every text Flux's envsubst produces from a secret variable: each ``${...}`` expression of the files the
  tree read whose variable is a key of a Secret (or of a SOPS-encrypted ConfigMap) is evaluated again with
  the same parser and operators, with each value that variable may have; what it produces (``${V^^}``,
  ``${V:0:14}``, ``${V/a/b}``, ``${V:=...}``...) is a secret too.

``SecretMasker`` then replaces, in any output string, every occurrence of a secret value, of its case
changes (whole and first letter), of a substitution product, and of the base64 (standard alphabet, with and
without padding) of each, by ``MASK``, the marker Secret values were always masked with.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.errors import HomeopsError
from homeops.flux.envsubst_parser import Func, Node, ParseError, Parser, Text
from homeops.flux.secrets import MASK, SecretResolver, mask_secrets
from homeops.flux.strfuncs import apply_function
from homeops.flux.variables import variables_from_resource
from homeops.sops.marks import ENCRYPTED_PLACEHOLDER
from homeops.yaml.nodes import YMap, YSeq, deep_copy

if TYPE_CHECKING:
    from homeops.findings import Finding
    from homeops.flux.cluster import ClusterBuild
    from homeops.flux.repository import Repository

__all__ = [
    "MIN_DERIVED_LEN",
    "MIN_SECRET_LEN",
    "SecretMasker",
    "SecretValues",
    "cluster_masker",
    "clusters_masker",
    "collect_secrets",
    "repository_masker",
    "secret_forms",
    "substitution_products",
]

MIN_SECRET_LEN = 4
"""Secret values shorter than this are never masked: masking every ``on`` or ``42`` would mask everything."""
MIN_DERIVED_LEN = 6
"""A substitution product shorter than this (``${V:0:3}``) is masked only when it is a whole value or a
case change of one."""
_TOO_COMMON = frozenset({"true", "false", "null", "none", "yes", "no"})
_SECRET = frozenset({"Secret"})  # the kind whose values are masked
_DEFAULT_OPS = frozenset({"-", "+", "=", "?", ":-", ":+", ":=", ":?"})
_MAX_CANDIDATES = 16  # outputs kept per expression when a variable may have several values
_MAX_FILE = 2 * 1024 * 1024  # files larger than this are not scanned for expressions


@dataclass
class SecretValues:
    """The secret values of a build, the values each substitution variable may have when it comes from a
    secret, and the texts substitution produced from them."""

    values: set[str] = field(default_factory=set)
    variables: dict[str, set[str]] = field(default_factory=dict)
    products: set[str] = field(default_factory=set)

    def add_variables(self, variables: Mapping[str, str]) -> None:
        """Values of a Secret, by key; substitution removes their newlines, as Flux does."""
        for name, value in variables.items():
            if _maskable(value):
                self.values.add(value)
                flat = value.replace("\n", "")
                if _maskable(flat):
                    self.values.add(flat)
                    self.variables.setdefault(name, set()).add(flat)


def _maskable(value: str, minimum: int = MIN_SECRET_LEN) -> bool:
    return (
        len(value) >= minimum
        and value.lower() not in _TOO_COMMON
        and ENCRYPTED_PLACEHOLDER not in value
        and value not in MASK  # masking twice must change nothing
    )


# -- collection --------------------------------------------------------------------------------------


def collect_secrets(cluster: ClusterBuild, identities: Iterable[str]) -> SecretValues:
    """Every secret value of ``cluster`` (see the module's docstring), with what substitution derived."""
    found = SecretValues()
    _from_objects(found, cluster.objects_of(_SECRET))
    _from_repository(found, cluster.repo, identities)
    if found.variables:
        files = {f for n in cluster.nodes for f in n.files} | {n.defined_at.file for n in cluster.nodes}
        found.products |= substitution_products(_texts(cluster.repo.root, files), found.variables)
    return found


def _from_objects(found: SecretValues, objects: Iterable[Any]) -> None:
    for obj in objects:
        if isinstance(obj, YMap) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1":
            with contextlib.suppress(
                HomeopsError
            ):  # data that is not base64 (still encrypted): nothing to mask
                found.add_variables(variables_from_resource(obj))
            string_data = obj.get("stringData")
            if isinstance(string_data, dict):  # also kept when data holds the same key
                found.add_variables({str(k): str(v) for k, v in string_data.items() if v is not None})


def _from_repository(found: SecretValues, repo: Repository, identities: Iterable[str]) -> None:
    """The plain Secrets of the repository, and every SOPS document decrypted (with a key)."""
    resolver = SecretResolver(repo, list(identities))
    for entry in repo.entries:
        if entry.sops:
            plain, ok = resolver.decrypt_if_possible(entry.obj)
            if ok and plain.get("kind") in ("Secret", "ConfigMap"):
                with contextlib.suppress(HomeopsError):
                    found.add_variables(variables_from_resource(plain))
        elif entry.kind == "Secret":
            _from_objects(found, [entry.obj])
    found.values |= {v for v in resolver.plaintext if _maskable(v)}


def _texts(root: Path, files: Iterable[str]) -> Iterable[str]:
    for rel in sorted(f for f in files if f):
        path = Path(rel) if Path(rel).is_absolute() else root / rel
        try:
            if not path.is_file() or path.stat().st_size > _MAX_FILE:
                continue
            yield path.read_text(encoding="utf-8", errors="surrogateescape")
        except (OSError, ValueError):
            continue


def substitution_products(texts: Iterable[str], secret_vars: Mapping[str, set[str]]) -> set[str]:
    """What Flux's envsubst produces from each ``${...}`` of ``texts`` that uses a variable of
    ``secret_vars`` (with each value the variable may have), evaluated with envsubst's own parser and
    operators. Variables that are not secret count as unset (a default-providing operator's default)."""
    products: set[str] = set()
    names = sorted(secret_vars, key=len, reverse=True)
    if not names:
        return products
    uses = re.compile("|".join(re.escape(n) for n in names))
    for text in texts:
        start = text.find("${")
        while start != -1:
            segment = _expression_at(text, start)
            if segment and uses.search(segment):
                for node in _parse(segment):
                    _evaluate(node, secret_vars, products)
            start = text.find("${", start + 2)
    return products


def _expression_at(text: str, start: int) -> str:
    """The ``${...}`` opening at ``start``, up to its matching brace ("" when it does not close)."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
        elif text[i] == "\n":
            return ""
        i += 1
    return ""


def _parse(segment: str) -> list[Node]:
    try:
        return Parser(segment.encode("utf-8", "surrogateescape")).parse_any()
    except (ParseError, RecursionError, ValueError):
        return []


def _evaluate(node: Node, secret_vars: Mapping[str, set[str]], products: set[str]) -> list[str]:
    """The texts ``node`` may evaluate to; those of a secret variable are added to ``products``."""
    if isinstance(node, Text):
        return [node.value.decode("utf-8", "surrogateescape")]
    assert isinstance(node, Func)
    arg_lists = [_evaluate(a, secret_vars, products) for a in node.args]
    combos = [list(c) for c in itertools.islice(itertools.product(*arg_lists), _MAX_CANDIDATES)]
    values = secret_vars.get(node.param)
    if not values:
        if node.name in _DEFAULT_OPS:
            return [apply_function(node.name, "", args) for args in combos]
        return [""]
    out: list[str] = []
    for value in sorted(values):
        for args in combos:
            produced = apply_function(node.name, value, args)
            if node.name != "#":  # a length is no secret text
                products.add(produced)
            out.append(produced)
    return out[:_MAX_CANDIDATES]


# -- masking -----------------------------------------------------------------------------------------


def secret_forms(found: SecretValues) -> frozenset[str]:
    """Every text to mask: the values and their case changes, the substitution products, and the base64
    (standard alphabet, padded and not) of each. Values shorter than ``MIN_SECRET_LEN`` are left out, and
    products shorter than ``MIN_DERIVED_LEN`` unless they are a whole value or a case change of one."""
    plain: set[str] = set()
    for value in found.values:
        if _maskable(value):
            plain |= {value, value.upper(), value.lower()}
            plain |= {value[:1].upper() + value[1:], value[:1].lower() + value[1:]}
    plain |= {p for p in found.products if _maskable(p, MIN_DERIVED_LEN)}
    forms = {p for p in plain if _maskable(p)}
    for text in list(forms):
        encoded = base64.b64encode(text.encode("utf-8", "surrogateescape")).decode()
        forms |= {encoded, encoded.rstrip("=")}
    return frozenset(f for f in forms if _maskable(f))


class SecretMasker:
    """Replaces every secret form (see ``secret_forms``) in output strings by ``MASK``; Secret objects get
    all their ``data``/``stringData`` values masked as well. Masking twice changes nothing."""

    __slots__ = ("_pattern", "forms")

    def __init__(self, forms: Iterable[str] = ()) -> None:
        self.forms = frozenset(forms)
        ordered = sorted(self.forms, key=lambda s: (-len(s), s))
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    @property
    def active(self) -> bool:
        return self._pattern is not None

    def text(self, value: str) -> str:
        """``value`` with every secret form masked."""
        if self._pattern is None or not value:
            return value
        return self._pattern.sub(MASK, value)

    def obj(self, obj: YMap) -> YMap:
        """A masked copy of a Kubernetes object (the object itself when nothing changes)."""
        if self._pattern is None:
            return mask_secrets(obj)
        masked: YMap = self._node(deep_copy(mask_secrets(obj)))
        return masked

    def _node(self, root: Any) -> Any:
        pattern = self._pattern
        assert pattern is not None
        if isinstance(root, str):
            return self.text(root)
        stack: list[Any] = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, YMap):
                for key in list(node):
                    value = node[key]
                    if isinstance(value, str):
                        node[key] = self.text(value)
                    elif isinstance(value, (YMap, YSeq)):
                        stack.append(value)
                    if isinstance(key, str) and pattern.search(key):
                        node[self.text(key)] = node.pop(key)
            elif isinstance(node, YSeq):
                for i, value in enumerate(node):
                    if isinstance(value, str):
                        node[i] = self.text(value)
                    elif isinstance(value, (YMap, YSeq)):
                        stack.append(value)
        return root

    def data(self, value: Any) -> Any:
        """A masked copy of plain data (dicts, lists, strings: JSON output), keys included."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value

    def finding(self, f: Finding) -> Finding:
        """``f`` with its message, object, field and hint masked."""
        if self._pattern is None:
            return f
        masked = dataclasses.replace(
            f,
            message=self.text(f.message),
            object=self.text(f.object),
            field=self.text(f.field),
            hint=self.text(f.hint),
        )
        return f if masked == f else masked

    def __call__(self, obj: YMap) -> YMap:
        return self.obj(obj)


def cluster_masker(cluster: ClusterBuild, identities: Iterable[str]) -> SecretMasker:
    """The masker of every output of ``cluster`` (built with ``identities``)."""
    return clusters_masker([cluster], identities)


def clusters_masker(clusters: Iterable[ClusterBuild], identities: Iterable[str]) -> SecretMasker:
    """One masker for the outputs of several builds (the two sides of a diff)."""
    keys = tuple(identities)
    found = SecretValues()
    for cluster in clusters:
        one = collect_secrets(cluster, keys)
        found.values |= one.values
        found.products |= one.products
    return SecretMasker(secret_forms(found))


def repository_masker(root: Path, identities: Iterable[str]) -> SecretMasker:
    """A masker from the repository alone (its Secrets and SOPS documents, and the expressions of its
    files), for output whose build is gone."""
    from homeops.flux.repository import Repository

    repo = Repository.load(root)
    found = SecretValues()
    _from_repository(found, repo, identities)
    if found.variables:
        files = {str(p) for p in repo.files}
        found.products |= substitution_products(_texts(root, files), found.variables)
    return SecretMasker(secret_forms(found))
