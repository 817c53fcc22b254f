"""``configure``: render a repository's makejinja templates safely and report every problem at once."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from homeops.errors import Location, UsageError
from homeops.templating.data import format_key_path, load_data, locate_key_path
from homeops.templating.journal import commit, configure_lock, recover, recover_if_interrupted
from homeops.templating.makejinja_config import MakejinjaConfig, load_makejinja_config
from homeops.templating.manifest import MANIFEST_REL, read_manifest, sha256
from homeops.templating.plugins import PathFilter, load_plugin, plugin_sandbox
from homeops.templating.render import RenderOutcome, TreeRenderer, build_environment
from homeops.templating.report import (
    UNDEFINED_HINT,
    ConfigureOptions,
    ConfigureResult,
    Finding,
    FindingCode,
    Severity,
)
from homeops.templating.safety import Confinement, config_findings
from homeops.templating.undefined import UndefinedRecorder, UndefinedUse
from homeops.templating.writer import Plan, plan_changes

SOPS_HINT = "fix the creation rule in .sops.yaml (age recipients only), or the rendered file"


def _root_name(name: str) -> str:
    return name.split(".", 1)[0].split("[", 1)[0]


def _is_optional(name: str, optional: frozenset[str]) -> bool:
    return any(name == o or name.startswith((o + ".", o + "[")) for o in optional)


def merge_undefined(
    runtime: Iterable[Finding], static: Iterable[UndefinedUse], optional: frozenset[str]
) -> list[Finding]:
    """Runtime findings plus the static ones no runtime finding covers (same file, line and root name).

    Warnings about names documented as optional are dropped; errors never are.
    """
    found = list(runtime)
    covered = {
        (f.location.file, f.location.line, _root_name(f.name or "")) for f in found if f.location is not None
    }
    for use in static:
        loc = use.location
        if loc is not None and (loc.file, loc.line, _root_name(use.name)) in covered:
            continue
        found.append(
            Finding(use.severity, FindingCode.UNDEFINED_VARIABLE, use.message, loc, use.name, UNDEFINED_HINT)
        )
    return [f for f in found if f.severity is Severity.ERROR or not _is_optional(f.name or "", optional)]


class _Display:
    """Shows paths relative to the repository when they are inside it."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo

    def __call__(self, path: str | Path) -> str:
        absolute = Path(os.path.abspath(path))
        if absolute.is_relative_to(self.repo):
            return absolute.relative_to(self.repo).as_posix() or "."
        return str(path)


def _check_output(config: MakejinjaConfig, repo: Path, display: _Display) -> None:
    output = config.output
    if not output.resolve().is_relative_to(repo.resolve()):
        raise UsageError(
            f"makejinja output {output} is outside the repository; configure only writes inside it",
            location=None,
        )
    if output.exists() and not output.is_dir():
        raise UsageError(f"makejinja output {display(output)} is not a directory")
    if len(config.inputs) <= 1 and not any(p.is_dir() for p in config.inputs) and output.suffix:
        raise UsageError("configure renders into an output directory, not a single output file")


def _option_findings(config: MakejinjaConfig, display: _Display) -> list[Finding]:
    where = Location(display(config.config_file))
    found: list[Finding] = []
    if config.exec_pre or config.exec_post:
        found.append(
            Finding(
                Severity.WARNING,
                FindingCode.UNSUPPORTED_OPTION,
                "exec_pre/exec_post commands are not run by configure",
                where,
                hint="run them yourself if the template needs them",
            )
        )
    if config.clean:
        found.append(
            Finding(
                Severity.WARNING,
                FindingCode.UNSUPPORTED_OPTION,
                "clean is ignored: configure never empties the output directory, it prunes what it rendered",
                where,
            )
        )
    return found


def _encrypt_step(
    outcome: RenderOutcome, output: Path, repo: Path, display: _Display, age_key: Path | None
) -> tuple[dict[str, str], dict[str, str], list[Finding]]:
    """SOPS-encrypts, in ``outcome``, every rendered file a ``.sops.yaml`` creation rule selects, as
    ``task configure`` does after rendering. Returns the plaintext hashes, the re-encryption notes and the
    findings (an error for each file that cannot be encrypted, so that nothing is written)."""
    from homeops.sops.files import encrypt_rendered, repo_identities

    identities, key_problem = repo_identities(repo, age_key)
    step = encrypt_rendered({r: f.content for r, f in outcome.files.items()}, output, repo, identities)
    findings = [
        Finding(
            Severity.ERROR,
            FindingCode.CONFIG_INVALID,
            f"cannot SOPS-encrypt {rel}: {message}",
            Location(display(output / rel)),
            rel,
            SOPS_HINT,
        )
        for rel, message in step.errors
    ]
    if key_problem and step.contents:
        findings.append(Finding(Severity.WARNING, FindingCode.CONFIG_INVALID, f"age key: {key_problem}"))
    for rel, content in step.contents.items():
        outcome.files[rel] = replace(outcome.files[rel], content=content)
    plain = {rel: sha256(content) for rel, content in step.plaintexts.items()}
    return plain, step.notes, findings


def configure(options: ConfigureOptions, *, age_key: Path | None = None) -> ConfigureResult:
    """Renders the repository's makejinja templates as makejinja would, and writes them only if all is well.

    Every undefined variable of every template, every template error, every configuration finding of
    ``options.validator`` and every unsafe write (unmanaged or edited files without ``force``, paths leaving
    the output directory) is reported in one result. Files are written only when there is no error and not
    ``dry_run``; then all of them are written, or none. Raises ``UsageError`` for a missing or invalid
    ``makejinja.toml`` and ``BuildError``/``InputError`` for plugins or data files that cannot be loaded.

    Rendered files that a ``.sops.yaml`` creation rule selects are SOPS-encrypted before anything is
    written; one that cannot be encrypted is an error (nothing is written). An unchanged plaintext keeps the
    existing ciphertext; ``age_key`` (besides ``SOPS_AGE_KEY_FILE``... and the repository's ``age.key``)
    is the identity that decrypts it for that comparison.
    """
    repo = Path(os.path.abspath(options.repo_dir))
    display = _Display(repo)
    config = load_makejinja_config(repo, options.config_file)
    _check_output(config, repo, display)
    output = config.output
    findings: list[Finding] = []
    recovered = recover_if_interrupted(output, options.lock_timeout)
    if recovered is not None:
        findings.append(recovered)
    git_dir = Path(os.path.realpath(repo / ".git"))
    refused = config_findings(config, Confinement.of(repo, options.allow_outside), display)
    if Path(os.path.realpath(output)).is_relative_to(git_dir):
        refused.append(
            Finding(
                Severity.ERROR,
                FindingCode.GIT_DIRECTORY,
                f"makejinja output {output} is inside the repository's .git/ directory; refusing to write",
                Location(display(config.config_file)),
                str(output),
            )
        )
    if refused:  # read nothing (data, plugins, templates) from outside the repository
        return _result(output, options, [*findings, *refused], Plan(), written=False)
    findings.extend(_option_findings(config, display))

    data, data_files = load_data(config.data, config.data_vars, display)
    if options.validator is not None:
        for cf in options.validator(data):
            findings.append(
                Finding(
                    cf.severity,
                    FindingCode.CONFIG_INVALID,
                    cf.message,
                    locate_key_path(data_files, cf.key_path, display),
                    format_key_path(cf.key_path),
                )
            )

    confinement = Confinement.of(repo, options.allow_outside)
    recorder = UndefinedRecorder(config.undefined, display)
    env = build_environment(config, data, recorder.undefined_class(), confinement)
    specs = (*config.plugins, *config.loaders)
    with plugin_sandbox(config, repo, specs):
        path_filters: list[PathFilter] = []
        for spec in specs:
            path_filters.extend(load_plugin(spec, env, data, config))
        recorder.know_data(env.globals)
        outcome = TreeRenderer(config, env, path_filters, display, confinement).render_all()
    findings.extend(outcome.findings)
    findings.extend(merge_undefined(recorder.findings(), outcome.static, options.optional_variables))

    plain_hashes, notes, sops_findings = _encrypt_step(outcome, output, repo, display, age_key)
    findings.extend(sops_findings)

    def make_plan() -> Plan:
        return plan_changes(
            output,
            outcome,
            read_manifest(output),
            force=options.force,
            prune=options.prune,
            display=display(output),
            plain_hashes=plain_hashes,
            git_dir=git_dir,
        )

    plan = make_plan()
    written = False
    if _no_errors([*findings, *plan.findings]) and not options.dry_run and plan.has_changes:
        with configure_lock(output, options.lock_timeout):  # serialised: plan again under the lock
            again = recover(output)
            if again is not None:
                findings.append(again)
            plan = make_plan()
            if _no_errors(plan.findings) and plan.has_changes:
                commit(output, plan)
                written = True
    findings.extend(plan.findings)
    for rel in plan.changed:
        if rel in notes:
            where = Location(display(output / rel))
            findings.append(Finding(Severity.WARNING, FindingCode.CONFIG_INVALID, notes[rel], where, rel))
    return _result(output, options, findings, plan, written=written)


def _no_errors(findings: Iterable[Finding]) -> bool:
    return not any(f.severity is Severity.ERROR for f in findings)


def _result(
    output: Path, options: ConfigureOptions, findings: list[Finding], plan: Plan, *, written: bool
) -> ConfigureResult:
    findings.sort(key=Finding.sort_key)
    return ConfigureResult(
        output_dir=output,
        created=tuple(plan.created),
        changed=tuple(plan.changed),
        unchanged=tuple(plan.unchanged),
        stale=tuple(plan.stale),
        pruned=tuple(plan.deletes),
        findings=tuple(findings),
        dry_run=options.dry_run,
        written=written,
        manifest_path=output / MANIFEST_REL,
    )
