"""Encrypting and decrypting files: ``homeops sops encrypt|decrypt FILE`` and ``configure``'s encryption step.

``encrypt_rendered`` encrypts, in memory, every rendered file that a ``.sops.yaml`` creation rule selects
(a rule with a ``path_regex`` that matches it, or any matching rule for a file named ``*.sops.*``, which is
what cluster-template's ``task configure`` encrypts). A file whose current version on disk decrypts to the
same plaintext, for the same recipients and selectors, keeps its bytes, so git sees no change.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from homeops.errors import HomeopsError, Location, UsageError
from homeops.sops.age import AgeError, load_age_identities
from homeops.sops.document import SopsError
from homeops.sops.emit import emit_yaml
from homeops.sops.encrypt import Selection, decrypt_text, encrypt_text, is_encrypted_text
from homeops.sops.rules import CreationRule, SopsConfig, find_config, is_config_file
from homeops.sops.tree import parse_yaml

__all__ = [
    "EncryptStep",
    "SopsFileOptions",
    "SopsFileResult",
    "decrypt_file",
    "encrypt_file",
    "encrypt_rendered",
    "repo_identities",
]

_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class SopsFileOptions:
    """One file to encrypt or decrypt. The result goes to stdout unless ``in_place`` or ``output``.
    ``recipients`` (age1...) replace the creation rule's; ``age_key`` adds an identity file for decryption
    to ``SOPS_AGE_KEY``, ``SOPS_AGE_KEY_FILE`` and ``~/.config/sops/age/keys.txt``."""

    file: Path
    in_place: bool = False
    output: Path | None = None
    age_key: Path | None = None
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SopsFileResult:
    """The encrypted or decrypted text, and the file it was written to (None: the caller prints it)."""

    text: str
    written: Path | None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SopsError("the file is not UTF-8 text", location=Location(str(path))) from None


def _write_atomic(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise HomeopsError(f"cannot write {path}: {exc.strerror or exc}") from None


def _deliver(options: SopsFileOptions, text: str) -> SopsFileResult:
    if options.in_place and options.output is not None:
        raise UsageError("give --in-place or --output, not both")
    target = options.file if options.in_place else options.output
    if target is None:
        return SopsFileResult(text, None)
    _write_atomic(target, text)
    return SopsFileResult(text, target)


def _located(exc: HomeopsError, file: Path) -> HomeopsError:
    if exc.location is None:
        return type(exc)(exc.message, location=Location(str(file)), hint=exc.hint)
    return exc


def encrypt_file(options: SopsFileOptions) -> SopsFileResult:
    """Encrypt a plaintext YAML file with its ``.sops.yaml`` creation rule (found from the file's directory
    upwards), or for ``options.recipients``. Raises SopsError/AgeError with the file's location."""
    file = options.file
    text = _read(file)
    try:
        config = find_config(file)
        rule = config.rule_for(file) if config is not None else None
        recipients = options.recipients or (rule.age if rule is not None else ())
        if not recipients:
            raise SopsError(
                "no .sops.yaml creation rule matches this file and no recipient was given",
                hint="add a creation rule with age recipients, or pass --age age1...",
            )
        selection = Selection.of_rule(rule) if rule is not None else Selection.of_rule(CreationRule("", ()))
        encrypted = encrypt_text(
            text, recipients, selection, file=str(file), indent=config.indent if config else 4
        )
    except (SopsError, AgeError) as exc:
        raise _located(exc, file) from None
    return _deliver(options, encrypted)


def decrypt_file(options: SopsFileOptions) -> SopsFileResult:
    """Decrypt a sops-encrypted YAML file (MAC checked) with the age identities of ``options``."""
    file = options.file
    text = _read(file)
    try:
        identities = load_age_identities(key_file=options.age_key)
        config = find_config(file)
        plain = decrypt_text(text, identities, file=str(file)).text(config.indent if config else 4)
    except (SopsError, AgeError) as exc:
        raise _located(exc, file) from None
    return _deliver(options, plain)


def repo_identities(repo: Path, age_key: Path | None = None) -> tuple[list[str], str | None]:
    """Age identities for ``configure``: ``age_key``, ``SOPS_AGE_KEY``, ``SOPS_AGE_KEY_FILE``, the user's
    ``sops/age/keys.txt``, then the repository's ``age.key``. Returns them and a problem (or None)."""
    try:
        found = load_age_identities(key_file=age_key)
        local = repo / "age.key"
        if local.is_file():
            found += load_age_identities(key_file=local, env={}, use_default_file=False)
        return list(dict.fromkeys(found)), None
    except AgeError as exc:
        return [], str(exc)


@dataclass(slots=True)
class EncryptStep:
    """What ``encrypt_rendered`` did: the bytes to write instead of the rendered ones, the plaintext hash
    inputs, errors (rel, message) that must stop the write, and notes (rel, message) for files that had to
    be re-encrypted because the existing file could not be compared."""

    contents: dict[str, bytes] = field(default_factory=dict)
    plaintexts: dict[str, bytes] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


def _read_current(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() and not path.is_symlink() else None
    except (OSError, UnicodeDecodeError):
        return None


def _selected(rule: CreationRule | None, rel: str) -> bool:
    return rule is not None and (bool(rule.path_regex) or ".sops." in PurePosixPath(rel).name)


def _same_plaintext(
    current: str, text: str, rule: CreationRule, config: SopsConfig, identities: Sequence[str], display: str
) -> tuple[bool, str | None]:
    """Whether the existing encrypted file holds ``text`` for the rule's recipients and selectors."""
    if not identities:
        return False, "no age identity to decrypt the existing file with (SOPS_AGE_KEY_FILE, age.key)"
    try:
        existing = decrypt_text(current, identities, file=display)
        new = emit_yaml(parse_yaml(text, display), config.indent)
    except (SopsError, AgeError) as exc:
        return False, f"the existing file cannot be decrypted to compare it ({exc.message})"
    same = (
        existing.text(config.indent) == new
        and set(existing.recipients) == set(rule.age)
        and existing.selection == Selection.of_rule(rule)
    )
    return same, None


def encrypt_rendered(
    rendered: Mapping[str, bytes], output_dir: Path, stop: Path, identities: Sequence[str]
) -> EncryptStep:
    """Encrypt the rendered files (``rel`` under ``output_dir`` -> bytes) that a creation rule selects.
    ``.sops.yaml`` files are looked for from each file's directory up to ``stop``, among the rendered files
    first, then on disk. Never raises for one file: its problem is in ``errors``."""
    step = EncryptStep()
    output_dir = output_dir.absolute()

    def reader(candidate: Path) -> str | None:
        try:
            rel = candidate.relative_to(output_dir).as_posix()
        except ValueError:
            rel = None
        if rel is not None and rel in rendered:
            return rendered[rel].decode("utf-8", "replace")
        try:
            return candidate.read_text(encoding="utf-8") if candidate.is_file() else None
        except (OSError, UnicodeDecodeError):
            return None

    configs: dict[Path, SopsConfig | None] = {}
    for rel, content in sorted(rendered.items()):
        path = output_dir / rel
        if is_config_file(PurePosixPath(rel)):
            continue
        try:
            if path.parent not in configs:
                configs[path.parent] = find_config(path, stop, read=reader)
            config = configs[path.parent]
            rule = config.rule_for(path) if config is not None else None
            if config is None or rule is None or not _selected(rule, rel):
                continue
            if not rel.endswith(_YAML_SUFFIXES):
                raise SopsError(
                    "homeops encrypts YAML files only (sops would use another store for this file)"
                )
            text = content.decode("utf-8")
            if is_encrypted_text(text):
                continue  # rendered already encrypted (a template holding ciphertext)
            step.plaintexts[rel] = content
            current = _read_current(path)
            if current is not None and is_encrypted_text(current):
                same, problem = _same_plaintext(current, text, rule, config, identities, rel)
                if same:
                    step.contents[rel] = current.encode("utf-8")
                    continue
                if problem is not None:
                    step.notes[rel] = f"re-encrypted: {problem}"
            step.contents[rel] = encrypt_text(
                text, rule.age, Selection.of_rule(rule), file=rel, indent=config.indent
            ).encode("utf-8")
        except UnicodeDecodeError:
            step.errors.append((rel, "a file a creation rule selects is not UTF-8 text"))
        except (SopsError, AgeError) as exc:
            step.errors.append((rel, str(exc)))
    return step
