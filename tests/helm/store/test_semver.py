"""Constraint matching as Masterminds/semver v3 (Helm, source-controller) does it, and version selection."""

from __future__ import annotations

import itertools

import pytest

from homeops.helm.store.semver import (
    Constraints,
    SemverError,
    is_flux_version,
    parse_version,
    select_version,
)

CHECKS = [
    ("*", "1.2.3", True),
    ("*", "1.2.3-alpha", False),  # a prerelease needs a constraint that names one
    ("~0.0.0", "1.2.3", True),
    ("0.x.x", "1.2.3", False),
    ("0.0.0", "1.2.3", False),
    ("^0.0.0", "1.2.3", False),
    ("= 2.0", "2.0.0", True),
    ("= 2.0", "2.0.1-beta", False),
    ("4.1", "4.1.0", True),
    ("4.1", "4.1.7", True),  # a partial version is a wildcard
    ("4.1.x", "4.1.3", True),
    ("1.x", "1.4", True),
    ("1.x", "2.0.0", False),
    ("!=4.1", "4.1.0", False),
    ("!=4.1-alpha", "4.1.0", True),
    ("!=4.x", "4.1.0", False),
    ("!=4.1.x", "4.2.0", True),
    (">1.1", "1.1.0", False),
    (">1.1", "4.1.0", True),
    ("<1.1", "1.1.1", False),
    ("<1.x", "0.1.1", True),
    ("<1.1.x", "1.0.500", True),
    (">=1.1", "4.1.0-beta", False),
    (">=1.0.0-0", "1.0.1-beta", True),
    ("<=1.1", "1.1.1", True),  # <= with a partial version covers the whole minor
    ("<=1.1-a", "0.1.0-alpha", True),
    ("<=2.x", "3.0.0", False),
    (">=1.0 <2", "1.9.9", True),
    (">=1.0 <2", "2.0.0", False),
    (">=1.0, <2", "1.5.0", True),
    (">=1.1 <2 !=1.2.3 || > 3", "1.2.3", False),
    (">=1.1 <2 !=1.2.3 || > 3", "4.1.2", True),
    (">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", True),
    (">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", True),
    (">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", False),
    ("1.1 - 2", "1.1.1", True),
    ("1.5.0 - 4.5", "3.7.0", True),
    ("1.1-3", "4.3.2", False),
    ("^1.2", "1.9.0", True),
    ("^1.2", "2.0.0", False),
    ("^1.2", "1.1.9", False),
    ("^1.x", "1.1.1-beta1", False),
    ("^1.1.2-alpha", "1.2.1-beta1", True),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.1", "0.0.1", True),
    ("^0.0.1", "0.0.2", False),
    ("~1.2", "1.2.9", True),
    ("~1.2", "1.3.0", False),
    ("~1", "1.4", True),
    ("~1", "2.1.1", False),
    ("~1.1-alpha", "1.1.1-beta", True),
    ("~1.1.1-beta", "1.1.1-alpha", False),
    ("~1.2.3", "1.2.2", False),
    ("~>1.2.3", "1.2.5", True),
    ("v1.2.x", "1.2.4", True),
    ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", True),
]


@pytest.mark.parametrize(("constraint", "version", "expected"), CHECKS)
def test_constraint_check(constraint: str, version: str, expected: bool) -> None:
    assert Constraints.parse(constraint).check(parse_version(version)) is expected


@pytest.mark.parametrize("bad", ["", "not-a-version", ">=a.b", "1.2.3 ||| 2", "latest"])
def test_bad_constraints_are_refused(bad: str) -> None:
    with pytest.raises(SemverError):
        Constraints.parse(bad)


def test_prerelease_ordering() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2"]
    ordered += ["1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    versions = [parse_version(v) for v in ordered]
    for low, high in itertools.pairwise(versions):
        assert low.compare(high) == -1, (low, high)
    assert parse_version("1.0.0+build1").compare(parse_version("1.0.0+build2")) == 0


def test_flux_versions_are_strict_with_an_optional_v() -> None:
    assert is_flux_version("1.2.3") and is_flux_version("v1.2.3") and is_flux_version("1.2.3-rc.1+meta")
    assert not is_flux_version("1.2") and not is_flux_version("01.2.3") and not is_flux_version("latest")


SELECTIONS = [
    (["1.0.0", "1.5.0", "2.0.0", "2.1.0-rc.1"], "*", "2.0.0"),
    (["1.0.0", "1.5.0", "2.0.0", "2.1.0-rc.1"], "", "2.0.0"),
    (["1.0.0", "1.5.0", "2.0.0", "2.1.0-rc.1"], ">=1.0 <2", "1.5.0"),
    (["1.0.0", "1.5.0", "2.0.0", "2.1.0-rc.1"], ">=2.1.0-0", "2.1.0-rc.1"),
    (["1.2.0", "1.2.7", "1.3.0"], "~1.2", "1.2.7"),
    (["1.2.0", "1.2.7", "1.3.0", "2.0.0"], "^1.2", "1.3.0"),
    (["1.2.0", "1.9.0", "2.0.0"], "1.x", "1.9.0"),
    (["v1.0.0", "v1.1.0"], "*", "v1.1.0"),  # the original spelling is returned
    (["1.0", "1.0.0"], "1.0", "1.0"),  # an exact string match wins before any range
    (["1.0", "1.1"], "*", None),  # not strict semver: never candidates
    (["3.0.0"], "<3", None),
]


@pytest.mark.parametrize(("candidates", "wanted", "expected"), SELECTIONS)
def test_select_version(candidates: list[str], wanted: str, expected: str | None) -> None:
    assert select_version(candidates, wanted) == expected
