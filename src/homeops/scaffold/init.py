"""``homeops init``: a new cluster repository from the bundled template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from homeops.errors import UsageError
from homeops.scaffold.agekey import AGE_KEY_FILE, generate_identity, key_file_text, recipient_of_key_file
from homeops.scaffold.files import FileWrite, example_config, is_empty_dir, template_files, write_all
from homeops.sops import identity_recipient

CONFIG_FILE = "bootstrap/config.yaml"
SAMPLE_CONFIG_FILE = "bootstrap/config.sample.yaml"
_AGE_LINE = re.compile(r'^(?P<head>\s*age_public_key:\s*)""', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class InitOptions:
    """What ``init_repo`` should do.

    ``dest`` is the new repository's directory (created when missing). ``example`` writes example values
    into ``bootstrap/config.yaml`` so that the repository renders and builds at once. ``force`` accepts a
    non-empty ``dest``: then only missing files are added, existing files are never changed or removed.
    """

    dest: Path
    example: bool = False
    force: bool = False


@dataclass(frozen=True, slots=True)
class InitResult:
    """What ``init_repo`` did. Paths are POSIX paths relative to ``dest``."""

    dest: Path
    created: tuple[str, ...]
    skipped: tuple[str, ...]
    example: bool
    age_recipient: str
    age_key_created: bool

    @property
    def config_file(self) -> Path:
        """The configuration ``configure`` reads."""
        return self.dest / CONFIG_FILE

    def summary(self) -> str:
        """A short human-readable account, with the next steps."""
        lines = [f"initialized {self.dest}: {len(self.created)} file(s) created"]
        if self.skipped:
            lines.append(f"left {len(self.skipped)} existing file(s) unchanged: {', '.join(self.skipped)}")
        if self.age_key_created:
            lines.append(
                f"created {AGE_KEY_FILE} (age public key {self.age_recipient}); keep a copy, never commit it"
            )
        if self.example and CONFIG_FILE in self.created:
            lines.append(
                f"{CONFIG_FILE} holds example values; next: homeops configure, then homeops build all"
            )
        elif CONFIG_FILE in self.created:
            lines.append(f"next: fill in {CONFIG_FILE} (see TEMPLATE_GUIDE.md), then homeops configure")
        return "\n".join(lines)


def fill_age_recipient(config_text: str, recipient: str) -> str:
    """``config_text`` with an empty ``age_public_key: ""`` set to ``recipient`` (other text unchanged)."""
    return _AGE_LINE.sub(lambda m: f'{m.group("head")}"{recipient}"', config_text, count=1)


def _age_key(dest: Path) -> tuple[str, FileWrite | None]:
    existing = dest / AGE_KEY_FILE
    if existing.exists():
        return recipient_of_key_file(existing), None
    identity = generate_identity()
    write = FileWrite(AGE_KEY_FILE, key_file_text(identity).encode("utf-8"), mode=0o600)
    return identity_recipient(identity), write


def init_repo(options: InitOptions) -> InitResult:
    """Copies the bundled template into ``options.dest``; creates ``bootstrap/config.yaml`` and ``age.key``.

    ``bootstrap/config.yaml`` is ``bootstrap/config.sample.yaml`` (or the example values with
    ``example``), with ``sops.age_public_key`` set to the recipient of ``age.key`` (created when missing).
    Raises ``UsageError`` when ``dest`` is a file, or a non-empty directory without ``force``. Either
    every missing file is written or none.
    """
    dest = Path(options.dest).absolute()
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} exists and is not a directory")
    if not options.force and not is_empty_dir(dest):
        raise UsageError(
            f"{dest} is not empty",
            hint="use an empty directory, or force to add the missing files only (none is overwritten)",
        )
    files = template_files()
    recipient, key_write = _age_key(dest)
    config_text = example_config() if options.example else files[SAMPLE_CONFIG_FILE].decode("utf-8")
    files[CONFIG_FILE] = fill_age_recipient(config_text, recipient).encode("utf-8")

    writes: dict[str, FileWrite] = {}
    skipped: list[str] = []
    for rel, content in sorted(files.items()):
        if (dest / rel).exists() or (dest / rel).is_symlink():
            skipped.append(rel)
        else:
            writes[rel] = FileWrite(rel, content)
    if key_write is not None:
        writes[AGE_KEY_FILE] = key_write
    dest.mkdir(parents=True, exist_ok=True)
    write_all(dest, writes)
    return InitResult(
        dest=dest,
        created=tuple(sorted(writes)),
        skipped=tuple(skipped),
        example=options.example,
        age_recipient=recipient,
        age_key_created=key_write is not None,
    )
