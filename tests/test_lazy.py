"""Re-exports imported on first use (``homeops.lazy``): the names stay importable from their package, an
unknown name is an AttributeError, and a module is loaded only when one of its names is asked for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
import homeops.sops.marks, homeops.flux.api
before = sorted(m for m in sys.modules if m in WATCHED)
from homeops.sops import SopsError
from homeops.flux.api import BuildKsOptions
after = sorted(m for m in sys.modules if m in WATCHED)
print(json.dumps([before, after, SopsError.__module__, BuildKsOptions.__module__]))
"""
WATCHED = ["homeops.sops.document", "homeops.sops.age", "homeops.flux.api_build", "homeops.flux.api_get"]


def test_a_module_loads_when_one_of_its_names_is_asked_for() -> None:
    code = f"WATCHED = {WATCHED!r}\n" + _PROBE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after, sops_from, build_from = json.loads(out)
    assert before == []  # the walk's imports: neither decryption nor the other commands' API
    assert after == ["homeops.flux.api_build", "homeops.sops.age", "homeops.sops.document"]
    assert (sops_from, build_from) == ("homeops.sops.document", "homeops.flux.api_build")


def test_an_unknown_name_is_an_attribute_error() -> None:
    import homeops.sops

    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        homeops.sops.nothing  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError):
        from homeops.flux.api import nothing  # type: ignore[attr-defined]  # noqa: F401
