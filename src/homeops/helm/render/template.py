"""``helm template``: the command line helm-controller's install amounts to, and reading what helm prints.

helm-controller installs with ``SkipCRDs`` (it applies ``crds/`` itself), the release name and namespace
of the HelmRelease, ``SkipSchemaValidation`` from ``disableSchemaValidation``, and hooks kept unless
``disableHooks``. ``helm template`` prints every manifest, then every hook, each as
``---\\n# Source: <chart path>\\n<document>``; test hooks are left out with ``--skip-tests`` unless the
HelmRelease enables tests.

A failed render prints one ``Error: ...`` on stderr. Three are about the values and become findings of
``chart-values-valid``: the values schema (``values don't meet the specifications of the schema(s) in the
following chart(s):`` then ``<chart>:`` and ``- at '<pointer>': <message>`` lines), and template
``required`` and ``fail`` calls (``execution error at (<file>:<line>:<col>): <message>``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from homeops.errors import HomeopsError, Location
from homeops.helm.render.model import CHART_VALUES_VALID, ProblemKind, RenderProblem
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap

_SOURCE = re.compile(r"^---[ \t]*\n# Source: (?P<src>[^\n]*)\n", re.M)
_SCHEMA_HEAD = "values don't meet the specifications of the schema(s) in the following chart(s):"
_SCHEMA_LINE = re.compile(r"^- at '(?P<ptr>[^']*)': (?P<msg>.*)$")
_CHART_LINE = re.compile(r"^(?P<chart>[A-Za-z0-9_.-]+):$")
_EXEC = re.compile(r"execution error at \((?P<where>[^)]*)\): (?P<msg>.*)", re.S)
_WHERE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)$")
_CALL = re.compile(r"\b(required|fail)\b")


def template_args(
    release_name: str,
    chart_dir: Path,
    namespace: str,
    values_file: Path,
    *,
    kube_version: str,
    api_versions: Sequence[str],
    include_tests: bool,
    skip_schema_validation: bool,
    disable_hooks: bool,
) -> list[str]:
    """The ``helm template`` arguments (without the binary)."""
    args = [
        "template",
        release_name,
        str(chart_dir),
        "--namespace",
        namespace,
        "-f",
        str(values_file),
        "--kube-version",
        kube_version,
        "--skip-crds",
    ]
    for api in api_versions:
        args += ["--api-versions", api]
    if not include_tests:
        args.append("--skip-tests")
    if skip_schema_validation:
        args.append("--skip-schema-validation")
    if disable_hooks:
        args.append("--no-hooks")
    return args


@dataclass(frozen=True, slots=True)
class RenderedDoc:
    """One document helm printed, with the chart file it came from (``# Source:``)."""

    source: str
    obj: YMap


def parse_output(stdout: str, display: str) -> tuple[list[RenderedDoc], list[str]]:
    """The mapping documents of ``helm template``'s output in order, and the problems met reading it."""
    docs: list[RenderedDoc] = []
    problems: list[str] = []
    matches = list(_SOURCE.finditer(stdout))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(stdout)
        source = m.group("src").strip()
        body = stdout[m.end() : end]
        try:
            loaded = load_documents(body.encode(), f"{display}: {source}")
        except HomeopsError as exc:
            problems.append(f"{source}: {exc.message}")
            continue
        for doc in loaded:
            if doc is None:
                continue
            if not isinstance(doc, YMap):
                problems.append(f"{source}: a rendered document is not a mapping")
                continue
            docs.append(RenderedDoc(source, doc))
    return docs, problems


def _pointer_path(pointer: str) -> str:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p != ""]
    return ".".join(parts)


def _call_at(chart_dir: Path | None, chart_name: str, where: str) -> str:
    """``required`` or ``fail``: the template function called at ``where`` (``chart/templates/x:19:21``)."""
    m = _WHERE.match(where)
    if chart_dir is None or m is None:
        return "fail"
    rel = m.group("file").split("/", 1)[1] if m.group("file").startswith(chart_name + "/") else ""
    path = chart_dir / rel
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if rel else []
    except OSError:
        lines = []
    line_no, col = int(m.group("line")), int(m.group("col"))
    if not 0 < line_no <= len(lines):
        return "fail"
    found = _CALL.search(lines[line_no - 1], max(col - 2, 0))
    return found.group(1) if found else "fail"


def parse_errors(
    stderr: str,
    chart_name: str,
    location: Location | None,
    *,
    subchart_paths: dict[str, str] | None = None,
    chart_dir: Path | None = None,
) -> list[RenderProblem]:
    """The problems of a failed ``helm template`` (stderr), values problems marked for chart-values-valid.

    ``subchart_paths`` maps a subchart's name to its values prefix (``sub.``) so that a subchart's schema
    error names the path in the HelmRelease's values.
    """
    text = stderr.strip()
    body = text.split("Error: ", 1)[1] if "Error: " in text else text
    body = body.split("\n\nUse --debug flag", 1)[0].strip()
    if body.startswith(_SCHEMA_HEAD):
        return _schema_problems(body, chart_name, location, subchart_paths or {})
    m = _EXEC.search(body)
    if m:
        where, msg = m.group("where").strip(), m.group("msg").strip()
        kind: ProblemKind = "required" if _call_at(chart_dir, chart_name, where) == "required" else "fail"
        return [
            RenderProblem(
                kind, f"{msg} (at {where})", location, chart_location=where, rule=CHART_VALUES_VALID
            )
        ]
    message = body or f"helm template failed without a message (exit status {text or '?'})"
    return [RenderProblem("render", f"helm template failed: {message}", location)]


def _schema_problems(
    body: str, chart_name: str, location: Location | None, prefixes: dict[str, str]
) -> list[RenderProblem]:
    out: list[RenderProblem] = []
    chart = chart_name
    for line in body.splitlines()[1:]:
        line = line.rstrip()
        if not line.strip():
            continue
        head = _CHART_LINE.match(line)
        if head:
            chart = head.group("chart")
            continue
        m = _SCHEMA_LINE.match(line.strip())
        if m:
            path = _pointer_path(m.group("ptr"))
            prefix = "" if chart == chart_name else prefixes.get(chart, f"{chart}.")
            full = (prefix + path) if path else prefix.rstrip(".")
            where = f"at '{full}'" if full else "at the top level"
            msg = f"values don't meet the schema of chart {chart}: {where}: {m.group('msg')}"
        else:
            full, msg = "", f"values schema of chart {chart}: {line.strip()}"
        out.append(RenderProblem("schema", msg, location, values_path=full, rule=CHART_VALUES_VALID))
    if not out:
        out.append(RenderProblem("schema", body, location, rule=CHART_VALUES_VALID))
    # Helm lists a chart's errors in Go map order, which changes from run to run
    return sorted(out, key=lambda p: (p.values_path, p.message))


__all__ = ["RenderedDoc", "parse_errors", "parse_output", "template_args"]
