"""HelmRelease values as helm-controller computes them (chartutil.ChartValuesFromReferences + strvals)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pytest

from homeops.flux.helm_strvals import StrvalsError, parse_into, parse_into_string, parse_literal_into
from homeops.flux.helmvalues import (
    FAILED,
    SKIPPED,
    USED,
    compute_values,
    lookup_from,
    merge_maps,
    object_data,
)
from homeops.flux.kinds import HelmRelease
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, from_plain, to_plain


def hr(spec: str) -> HelmRelease:
    text = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
    text += "metadata:\n  name: app\n  namespace: apps\n"
    return HelmRelease.from_obj(load_documents(text + "spec:\n" + spec, "hr.yaml")[0])


def lookup_of(table: dict[tuple[str, str], dict[str, str]]) -> Any:
    def lookup(kind: str, namespace: str, name: str) -> Mapping[str, str] | None:
        assert namespace == "apps"  # always the HelmRelease's own namespace
        return table.get((kind, name))

    return lookup


def test_order_and_deep_merge_inline_last() -> None:
    h = hr(
        "  valuesFrom:\n"
        "    - {kind: ConfigMap, name: base}\n"
        "    - {kind: Secret, name: prod, valuesKey: values-prod.yaml}\n"
        "  values:\n    image: {tag: v3}\n    list: [9]\n"
    )
    table = {
        ("ConfigMap", "base"): {"values.yaml": "image: {repo: r, tag: v1}\nlist: [1, 2]\nreplicas: 1\n"},
        ("Secret", "prod"): {"values-prod.yaml": "image: {tag: v2}\nreplicas: 3\nextra: {a: 1}\n"},
    }
    res = compute_values(h, lookup_of(table))
    assert res.ok and not res.problems
    assert to_plain(res.values) == {
        "image": {"repo": "r", "tag": "v3"},
        "list": [9],  # lists replace, never merge
        "replicas": 3,
        "extra": {"a": 1},
    }
    assert [s.status for s in res.sources] == [USED, USED]


def test_map_replaced_by_scalar_and_back() -> None:
    assert to_plain(merge_maps(from_plain({"a": {"b": 1}}), from_plain({"a": 2}))) == {"a": 2}
    assert to_plain(merge_maps(from_plain({"a": 2}), from_plain({"a": {"b": 1}}))) == {"a": {"b": 1}}
    assert to_plain(merge_maps(from_plain({"a": 1}), None)) == {"a": 1}


# The valuesFrom example of helm-controller's documentation (docs/spec/v2/helmreleases.md).
DOC_EXAMPLE = (
    "  valuesFrom:\n"
    "    - kind: ConfigMap\n      name: prod-env-values\n      valuesKey: values-prod.yaml\n"
    "    - kind: Secret\n      name: prod-tls-values\n      valuesKey: crt\n"
    "      targetPath: tls.crt\n      optional: true\n"
)


def test_doc_example_with_and_without_optional_secret() -> None:
    env = {("ConfigMap", "prod-env-values"): {"values-prod.yaml": "tls:\n  enabled: true\n"}}
    res = compute_values(hr(DOC_EXAMPLE), lookup_of(env))
    assert res.ok and to_plain(res.values) == {"tls": {"enabled": True}}
    assert [s.status for s in res.sources] == [USED, SKIPPED]
    assert res.problems[0].optional

    with_tls = {**env, ("Secret", "prod-tls-values"): {"crt": "-----BEGIN CERT-----"}}
    res = compute_values(hr(DOC_EXAMPLE), lookup_of(with_tls))
    assert to_plain(res.values) == {"tls": {"enabled": True, "crt": "-----BEGIN CERT-----"}}
    assert not res.problems


@pytest.mark.parametrize(
    ("target_path", "value", "expected"),
    [
        ("a.b", "42", {"a": {"b": 42}}),  # typed as helm --set types it
        ("a.b", "true", {"a": {"b": True}}),
        ("a.b", "False", {"a": {"b": False}}),
        ("a.b", "null", {"a": {"b": None}}),
        ("a.b", "0", {"a": {"b": 0}}),
        ("a.b", "0755", {"a": {"b": "0755"}}),  # a leading zero stays a string
        ("a.b", "1.5", {"a": {"b": "1.5"}}),  # no floats in --set
        ("a.b", "'42'", {"a": {"b": "42"}}),  # quoted: a string, quotes stripped
        ("a.b", '"true"', {"a": {"b": "true"}}),
        ("a.b", "{x,y}", {"a": {"b": ["x", "y"]}}),
        ("a.b", "", {"a": {"b": ""}}),
        ("a\\.b", "v", {"a.b": "v"}),  # escaped dot
        ("a.b\\.c", "v", {"a": {"b.c": "v"}}),
        ("list[1]", "v", {"list": [None, "v"]}),
        ("list[0].name", "v", {"list": [{"name": "v"}]}),
        ("a.b", "x\\,y", {"a": {"b": "x,y"}}),  # escaped comma in the value
        ("a.b", "C:\\dir", {"a": {"b": "C:dir"}}),  # backslashes are escapes
        ("a.b", "p=q", {"a": {"b": "p=q"}}),
    ],
)
def test_target_path_values(target_path: str, value: str, expected: dict[str, Any]) -> None:
    spec = "  valuesFrom:\n    - kind: Secret\n      name: s\n      valuesKey: v\n"
    spec += f"      targetPath: '{target_path}'\n"
    res = compute_values(hr(spec), lookup_of({("Secret", "s"): {"v": value}}))
    assert res.ok, res.problems
    assert to_plain(res.values) == expected


def test_target_path_comma_splits_the_value() -> None:
    spec = "  valuesFrom:\n    - {kind: Secret, name: s, valuesKey: v, targetPath: a.b}\n"
    res = compute_values(hr(spec), lookup_of({("Secret", "s"): {"v": "x,y"}}))
    assert not res.ok
    assert res.problems[0].message == (
        "could not resolve Secret chart values reference 'apps/s' with key 'v': key \"y\" has no value"
    )


def test_literal_target_path_keeps_value_verbatim() -> None:
    spec = "  valuesFrom:\n"
    spec += "    - {kind: ConfigMap, name: c, valuesKey: f, targetPath: cfg.content, literal: true}\n"
    res = compute_values(hr(spec), lookup_of({("ConfigMap", "c"): {"f": "a: [1, 2]\nb=c,d\n"}}))
    assert to_plain(res.values) == {"cfg": {"content": "a: [1, 2]\nb=c,d\n"}}


def test_target_path_overrides_nested_inline_values_but_not_top_level() -> None:
    # helm-controller merges the inline values into the result before setting the path, sharing the
    # nested maps, so a nested targetPath value survives the final merge; a top-level one does not.
    spec = (
        "  valuesFrom:\n"
        "    - {kind: Secret, name: s, valuesKey: pw, targetPath: auth.password}\n"
        "    - {kind: Secret, name: s, valuesKey: pw, targetPath: password}\n"
        "  values:\n    auth: {password: inline, user: u}\n    password: inline\n"
    )
    res = compute_values(hr(spec), lookup_of({("Secret", "s"): {"pw": "s3cr3t"}}))
    assert to_plain(res.values) == {"auth": {"password": "s3cr3t", "user": "u"}, "password": "inline"}


def test_later_reference_overrides_target_path() -> None:
    spec = (
        "  valuesFrom:\n"
        "    - {kind: Secret, name: s, valuesKey: pw, targetPath: db.password}\n"
        "    - {kind: ConfigMap, name: c}\n"
    )
    table = {("Secret", "s"): {"pw": "one"}, ("ConfigMap", "c"): {"values.yaml": "db: {password: two}\n"}}
    assert to_plain(compute_values(hr(spec), lookup_of(table)).values) == {"db": {"password": "two"}}


@pytest.mark.parametrize(
    ("ref", "data", "status", "message"),
    [
        (
            "{kind: Secret, name: missing}",
            {},
            FAILED,
            "could not resolve Secret chart values reference 'apps/missing' with key 'values.yaml': "
            'secrets "missing" not found',
        ),
        (
            "{kind: ConfigMap, name: missing, optional: true}",
            {},
            SKIPPED,
            "could not resolve optional ConfigMap chart values reference 'apps/missing' with key "
            "'values.yaml': configmaps \"missing\" not found",
        ),
        (
            "{kind: ConfigMap, name: c, valuesKey: nope}",
            {("ConfigMap", "c"): {"values.yaml": "a: 1"}},
            FAILED,
            "could not resolve ConfigMap chart values reference 'apps/c' with key 'nope': key not found",
        ),
        (
            "{kind: ConfigMap, name: c, valuesKey: nope, optional: true}",
            {("ConfigMap", "c"): {"values.yaml": "a: 1"}},
            SKIPPED,
            "could not resolve optional ConfigMap chart values reference 'apps/c' with key 'nope': "
            "key not found",
        ),
        (
            "{kind: OCIRepository, name: x}",
            {},
            FAILED,
            "could not resolve OCIRepository chart values reference 'apps/x' with key 'values.yaml': "
            "unsupported values reference kind",
        ),
        (
            "{kind: ConfigMap, name: c}",
            {("ConfigMap", "c"): {"values.yaml": "- a\n- b\n"}},
            FAILED,
            "could not resolve ConfigMap chart values reference 'apps/c' with key 'values.yaml': error "
            "unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type "
            "chartutil.Values",
        ),
    ],
)
def test_reference_problems(
    ref: str, data: dict[tuple[str, str], dict[str, str]], status: str, message: str
) -> None:
    res = compute_values(hr(f"  valuesFrom:\n    - {ref}\n  values: {{x: 1}}\n"), lookup_of(data))
    assert [s.status for s in res.sources] == [status]
    assert [p.message for p in res.problems] == [message]
    assert res.problems[0].location is not None and res.problems[0].location.line == 8
    assert res.ok is (status != FAILED)
    assert to_plain(res.values) == {"x": 1}  # processing goes on


def test_invalid_yaml_and_empty_document() -> None:
    spec = "  valuesFrom:\n    - {kind: ConfigMap, name: bad}\n    - {kind: ConfigMap, name: empty}\n"
    table = {("ConfigMap", "bad"): {"values.yaml": "a: [\n"}, ("ConfigMap", "empty"): {"values.yaml": ""}}
    res = compute_values(hr(spec), lookup_of(table))
    assert [s.status for s in res.sources] == [FAILED, USED]
    assert "invalid YAML" in res.problems[0].message
    assert res.values == {}


def test_inline_values_are_not_mutated() -> None:
    h = hr(
        "  valuesFrom:\n    - {kind: Secret, name: s, valuesKey: v, targetPath: a.b}\n"
        "  values:\n    a: {c: 1}\n"
    )
    compute_values(h, lookup_of({("Secret", "s"): {"v": "2"}}))
    assert to_plain(h.values) == {"a": {"c": 1}}


def test_object_data_and_lookup_from() -> None:
    docs = load_documents(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: apps}\n"
        f"data:\n  a: {base64.b64encode(b'from-data').decode()}\n  b: '!!notbase64'\n"
        "stringData:\n  c: plain\n  a: overridden\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\ndata:\n  k: v\n  n: 1\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: apps}\n",
        "x.yaml",
    )
    data, problems = object_data(docs[0])
    assert data == {"a": "overridden", "c": "plain"}
    assert problems == ["Secret data key 'b' is not valid base64"]
    lookup, problems = lookup_from(docs)
    assert lookup("Secret", "apps", "s") == {"a": "overridden", "c": "plain"}
    assert lookup("ConfigMap", "apps", "c") == {"k": "v"}
    assert lookup("ConfigMap", "other", "c") is None
    assert problems == [
        "Secret apps/s: Secret data key 'b' is not valid base64",
        "ConfigMap apps/c: ConfigMap data key 'n' is not a string",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("name1=value1,name2=value2", {"name1": "value1", "name2": "value2"}),
        ("a.b.c=1", {"a": {"b": {"c": 1}}}),
        ("a=-5,b=+7,c=9223372036854775808", {"a": -5, "b": 7, "c": "9223372036854775808"}),
        ("a=TRUE,b=Null", {"a": True, "b": None}),
        ("list[0]=a,list[2]=c", {"list": ["a", None, "c"]}),
        ("nested[0][1]=x", {"nested": [[None, "x"]]}),
        ("a={},b={x}", {"a": [""], "b": ["x"]}),
        ("a=", {"a": ""}),
        ("a={1,true},b=2", {"a": [1, True], "b": 2}),
    ],
)
def test_parse_into(line: str, expected: dict[str, Any]) -> None:
    dest: dict[str, Any] = YMap()
    parse_into(line, dest)
    assert to_plain(dest) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("a", 'key "a" has no value'),
        ("a,b=1", 'key "a" has no value (cannot end with ,)'),
        ("a.=1", 'key map "a" has no value'),
        ("a[x]=1", 'error parsing index: strconv.Atoi: parsing "x": invalid syntax'),
        ("a[-1]=1", "negative -1 index not allowed"),
        ("a[70000]=1", "index of 70000 is greater than maximum supported index of 65536"),
        ("a[0]x=1", 'unexpected data at end of array index: "x"'),
        ("a={x", "list must terminate with '}'"),
        (
            "a.b=1,a.b.c=2",
            "unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}",
        ),  # fmt: skip
        (
            "a=1,a[0]=2",
            "unable to parse key: interface conversion: interface {} is int64, not []interface {}",
        ),
        (
            ".".join(["k"] * 32) + "=1",
            "value name nested level is greater than maximum supported nested level of 30",
        ),  # fmt: skip
    ],
)
def test_parse_into_errors(line: str, message: str) -> None:
    with pytest.raises(StrvalsError) as info:
        parse_into(line, YMap())
    assert str(info.value) == message


def test_parse_into_string_and_literal() -> None:
    dest: dict[str, Any] = YMap()
    parse_into_string("a=1,b=true,c={1,2}", dest)
    assert to_plain(dest) == {"a": "1", "b": "true", "c": ["1", "2"]}
    dest = YMap()
    parse_literal_into("a.b={1,2},c=d", dest)
    assert to_plain(dest) == {"a": {"b": "{1,2},c=d"}}


def test_parse_into_shares_existing_maps_and_copies_grown_lists() -> None:
    inner: dict[str, Any] = YMap({"x": 1})
    items = [1]
    dest: dict[str, Any] = YMap({"m": inner, "l": items})
    parse_into("m.y=2,l[0]=5", dest)
    assert inner == {"x": 1, "y": 2} and dest["m"] is inner  # maps are updated in place
    assert items == [5] and dest["l"] is items  # in-range list writes too
    parse_into("l[3]=9", dest)
    assert items == [5] and dest["l"] == [5, None, None, 9]  # a grown list is a new list, as in Go
