"""Reports of validate findings: text (grouped by file), JSON, GitHub annotations, SARIF 2.1.0, JUnit XML.

Every format masks secret values, and what substitution derived from them, in the findings' texts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from itertools import groupby
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from homeops import __version__
from homeops.errors import HomeopsError
from homeops.findings import Finding, Severity
from homeops.flux.masking import SecretMasker, repository_masker
from homeops.rules.base import Rule
from homeops.validate.engine import ValidateResult

FORMATS = ("text", "json", "github", "sarif", "junit")


def render(result: ValidateResult, fmt: str, masker: SecretMasker | None = None) -> str:
    """``result`` in format ``fmt``, with secret values masked by ``masker`` (default: the result's own
    ``masker`` when the engine attached one, else one made from the repository's Secrets and SOPS files
    with the age keys of the environment)."""
    if not result.findings:
        return _render(result, fmt)
    mask = masker if masker is not None else result_masker(result)
    if mask.active:
        result = dataclasses.replace(result, findings=[mask.finding(f) for f in result.findings])
    return _render(result, fmt)


def result_masker(result: ValidateResult) -> SecretMasker:
    """The masker the engine attached to ``result``, else one from its repository alone."""
    attached = getattr(result, "masker", None)
    if isinstance(attached, SecretMasker):
        return attached
    from homeops.sops import load_age_identities

    try:
        return repository_masker(result.repo, load_age_identities())
    except (HomeopsError, OSError):
        return SecretMasker()


def _render(result: ValidateResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2) + "\n"
    if fmt == "github":
        return github(result.findings)
    if fmt == "sarif":
        return json.dumps(sarif(result.findings, result.rules_run), indent=2) + "\n"
    if fmt == "junit":
        return junit(result.findings, result.rules_run)
    return text(result)


def text(result: ValidateResult) -> str:
    lines: list[str] = []
    for file, group in groupby(result.findings, key=lambda f: f.file):
        lines.append(file or "(repository)")
        for f in group:
            where = f"{f.file}:{f.line}:{f.column or 1}" if f.line else (f.file or "-")
            obj = f" [{f.object}]" if f.object else ""
            lines.append(f"  {where}: {f.severity.value} {f.code} {f.message}{obj}")
            if f.hint:
                lines.append(f"      hint: {f.hint}")
    s = result.summary()
    lines.append(
        f"{s['errors']} error(s), {s['warnings']} warning(s), {s['infos']} info(s) from {s['rules']} rules "
        f"on {s.get('kustomizations', 0)} Kustomizations in {s['seconds']:.2f}s"
        + (f"; {s['suppressed']} suppressed" if s["suppressed"] else "")
    )
    helm = s.get("helm")
    if isinstance(helm, dict) and helm:
        parts = ", ".join(f"{n} {status}" for status, n in sorted(helm.items()))
        lines.append(f"HelmReleases: {parts}")
    base = s.get("base")
    if isinstance(base, dict):
        lines.append(
            f"--base {base['ref']}: {len(base['changed'])} Kustomization(s) changed, {len(base['affected'])}"
            f" reached with what depends on them; {base['findings_outside']} finding(s) outside not shown"
        )
    return "\n".join(lines) + "\n"


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(findings: Sequence[Finding]) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    out = []
    for f in findings:
        props = []
        if f.file:
            props.append(f"file={_gh_escape(f.file, True)}")
        if f.line:
            props.append(f"line={f.line}")
        if f.column:
            props.append(f"col={f.column}")
        props.append(f"title={_gh_escape(f'{f.code} {f.rule}', True)}")
        msg = f.message + (f" ({f.object})" if f.object else "") + (f"\nhint: {f.hint}" if f.hint else "")
        out.append(f"::{level[f.severity]} {','.join(props)}::{_gh_escape(msg)}")
    return "\n".join(out) + ("\n" if out else "")


def sarif(findings: Sequence[Finding], rules: Sequence[Rule]) -> dict[str, Any]:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    rule_ids = sorted({r.code for r in rules} | {f.code for f in findings})
    by_code = {r.code: r for r in rules}
    results = []
    for f in findings:
        res: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": rule_ids.index(f.code),
            "level": level[f.severity],
            "message": {"text": f.message + (f" ({f.object})" if f.object else "")},
        }
        if f.file:
            region = {"startLine": max(f.line, 1)}
            if f.column:
                region["startColumn"] = f.column
            res["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ]
        results.append(res)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "homeops",
                        "version": __version__,
                        "informationUri": "https://github.com/homeops",
                        "rules": [
                            {
                                "id": code,
                                "name": by_code[code].name if code in by_code else code,
                                "shortDescription": {
                                    "text": by_code[code].summary if code in by_code else code
                                },
                                "defaultConfiguration": {
                                    "level": level[by_code[code].severity] if code in by_code else "warning"
                                },
                            }
                            for code in rule_ids
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def junit(findings: Sequence[Finding], rules: Sequence[Rule]) -> str:
    failures = [f for f in findings if f.severity is Severity.ERROR]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="homeops validate" tests="{len(rules)}" failures="{len(failures)}">',
    ]
    for rule in rules:
        mine = [f for f in findings if f.code == rule.code]
        errors = [f for f in mine if f.severity is Severity.ERROR]
        suite = quoteattr(f"{rule.code} {rule.name}")
        lines.append(f'  <testsuite name={suite} tests="1" failures="{1 if errors else 0}">')
        lines.append(f"    <testcase classname={quoteattr(rule.code)} name={quoteattr(rule.name)}>")
        if errors:
            body = "\n".join(f"{f.file}:{f.line}:{f.column}: {f.message}" for f in errors)
            lines.append(
                f"      <failure message={quoteattr(f'{len(errors)} error(s)')}>{escape(body)}</failure>"
            )
        others = [f for f in mine if f.severity is not Severity.ERROR]
        if others:
            body = "\n".join(f"{f.severity.value} {f.file}:{f.line}: {f.message}" for f in others)
            lines.append(f"      <system-out>{escape(body)}</system-out>")
        lines.append("    </testcase>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"
