"""Which Flux sources are this repository, and where their paths start.

A GitRepository, OCIRepository or Bucket is this repository when:

- it is listed in ``.homeops.yaml`` ``sources:`` (``[Kind/][namespace/]name``);
- its URL matches one of the repository's git remotes;
- or it is what a root or a ``FluxInstance`` syncs.

Several names may point at the same repository: a source whose URL is that of a source already known to be
this repository is this repository too. A source whose URL is known and differs from every URL known to be
this repository is another repository (external), even when a root syncs it.
"""

from __future__ import annotations

import configparser
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from homeops.flux.kinds import FluxSource, ObjectRef

LOCAL_SOURCE_KINDS = frozenset({"GitRepository", "OCIRepository", "Bucket"})
BOOTSTRAP_SOURCE = "flux-system"

_SCP = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")  # git@host:owner/repo


def normalize_url(url: str) -> str:
    """A URL reduced to ``host/path`` (no scheme, user, port, ``.git`` suffix or trailing slash; host
    lowercased), so that the ssh, https and scp-like spellings of one repository compare equal."""
    text = url.strip()
    if not text:
        return ""
    scheme, sep, rest = text.partition("://")
    if sep:
        text = rest
    else:
        scp = _SCP.match(text)
        if scp:
            text = f"{scp.group(1)}/{scp.group(2)}"
    authority, _, path = text.partition("/")
    host = authority.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{host}/{path}" if path else host


def git_remote_urls(repo_root: Path) -> tuple[str, ...]:
    """The network URLs of the repository's git remotes (``.git/config``, worktrees included), normalised.
    Local-path remotes are left out: they say nothing about which URL Flux reads."""
    git = repo_root / ".git"
    config_path = git / "config"
    if git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            gitdir = (repo_root / text.split(":", 1)[1].strip()).resolve()
            common = gitdir / "commondir"
            if common.is_file():
                gitdir = (gitdir / common.read_text(encoding="utf-8").strip()).resolve()
            config_path = gitdir / "config"
    if not config_path.is_file():
        return ()
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(config_path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        return ()
    urls: list[str] = []
    for section in parser.sections():
        if not section.startswith("remote "):
            continue
        url = parser.get(section, "url", fallback="")
        if url and not url.startswith(("/", ".", "file:")):
            normalized = normalize_url(url)
            if normalized and normalized not in urls:
                urls.append(normalized)
    return tuple(urls)


def _matches(spec: str, kind: str, namespace: str, name: str) -> bool:
    parts = spec.strip().split("/")
    if len(parts) == 1:
        return parts[0] == name
    if len(parts) == 2:
        return (parts[0] == kind and parts[1] == name) or (parts[0] == namespace and parts[1] == name)
    return parts[0] == kind and parts[1] == namespace and parts[2] == name


@dataclass
class SourceSet:
    """The decision, per source, of whether it is this repository, and why."""

    remotes: tuple[str, ...] = ()
    configured: tuple[str, ...] = ()
    objects: dict[tuple[str, str], list[FluxSource]] = field(default_factory=dict)  # (kind, name)
    synced: dict[tuple[str, str, str], str] = field(default_factory=dict)  # key -> why (root / FluxInstance)
    self_urls: set[str] = field(default_factory=set)

    def add_object(self, src: FluxSource) -> None:
        bucket = self.objects.setdefault((src.kind, src.name), [])
        if all(o.namespace != src.namespace or o.url != src.url for o in bucket):
            bucket.append(src)

    def url_of(self, ref: ObjectRef) -> str:
        """The normalised URL of the source object ``ref`` names, when the repository defines it."""
        for src in self.objects.get((ref.kind, ref.name), []):
            if not src.namespace or src.namespace == ref.namespace:
                return normalize_url(src.url)
        return ""

    def mark_synced(self, ref: ObjectRef, why: str, *, trusted: bool) -> None:
        """``ref`` is what a root (or a FluxInstance) syncs; ``trusted`` ones also say which URL is this
        repository's (bootstrap roots, FluxInstance syncs)."""
        self.synced.setdefault((ref.kind, ref.namespace, ref.name), why)
        url = self.url_of(ref)
        if trusted and url:
            self.self_urls.add(url)

    def remote_confirmed(self) -> bool:
        """Whether a git remote is the URL of some source here or of a FluxInstance sync: only then does
        a different URL show another repository (a clone through an SSH alias, a mirror or a fork says
        nothing by itself)."""
        if not self.remotes:
            return False
        urls = {normalize_url(o.url) for bucket in self.objects.values() for o in bucket} | self.self_urls
        return any(r in urls for r in self.remotes)

    def decide(self, ref: ObjectRef | None) -> tuple[bool, str]:
        """Whether ``ref`` is this repository, and the reason (for a report)."""
        if ref is None:
            return False, "no sourceRef"
        if ref.kind not in LOCAL_SOURCE_KINDS:
            return False, f"source {ref.kind}/{ref.namespace}/{ref.name} is not a Git, OCI or Bucket source"
        where = f"{ref.kind}/{ref.namespace}/{ref.name}"
        if any(_matches(s, ref.kind, ref.namespace, ref.name) for s in self.configured):
            return True, f"{where} is listed in .homeops.yaml sources"
        url = self.url_of(ref)
        known = set(self.remotes) if self.remote_confirmed() else self.self_urls
        if url and url in self.remotes:
            return True, f"{where} has this repository's git remote URL"
        if url and known and url not in known:
            shown = ", ".join(sorted(known))
            return False, (
                f"source {where} ({url}) is another repository (this one is {shown}); not fetched"
                " (list it in .homeops.yaml sources if it is this repository)"
            )
        key = (ref.kind, ref.namespace, ref.name)
        if key in self.synced:
            return True, f"{where} is {self.synced[key]}"
        if url and url in self.self_urls:
            return True, f"{where} has the URL of this repository's other sources"
        if not url and ref.name == BOOTSTRAP_SOURCE and not self.objects.get((ref.kind, ref.name)):
            return True, f"{where} is the source flux bootstrap creates"
        return False, f"source {where} is not this repository; not fetched"


def chart_in_repository(root: Path, base: str, chart: str, source: str) -> tuple[Path | None, str]:
    """The directory of chart ``chart`` (``./charts/app``, under ``base`` of ``source``, a source that is
    this repository), or None; and why it cannot be used, when it cannot."""
    rel = os.path.normpath(os.path.join(base, chart.strip()))
    found = (root / rel).resolve()
    if rel.startswith("..") or not found.is_relative_to(root):
        return None, f"chart path {chart!r} leaves the repository"
    if not (found / "Chart.yaml").is_file():
        return None, f"chart {chart!r}: no Chart.yaml in {rel} of {source}"
    if not (found / "templates").is_dir():
        return found, f"chart {chart!r} ({rel}) has no templates/ directory: it renders no objects"
    return found, ""
