"""``build all --output-dir``: one file per Flux Kustomization (``<namespace>/<name>.yaml``, or ``.err`` with
why it was not built), written with secrets masked; with many, a helper process writes half of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from homeops.cache.helper import Helper, Send
from homeops.errors import UsageError
from homeops.flux.clustertypes import KsNode
from homeops.flux.masking import SecretMasker
from homeops.outputs import write_result


def check_output_dir(out: Path, flag: str) -> None:
    """A usage error when ``out`` cannot be made a directory: it, or the nearest folder above it that
    exists, is something else (a regular file, ``/dev/null``...)."""
    for path in (out, *out.absolute().parents):
        if not (path.exists() or path.is_symlink()):
            continue
        if not path.is_dir():
            if path == out:
                raise UsageError(f"{flag} {out} exists and is not a directory")
            raise UsageError(f"{flag} {out} cannot be created: {path} is not a directory")
        return


@contextmanager
def writing(out: Path, flag: str) -> Iterator[None]:
    """What cannot be written under ``out`` (a file in the way, no permission, a full disk) is a usage
    error naming the path, not an internal error."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or out
        raise UsageError(f"cannot write {flag} {out}: {where}: {exc.strerror or exc}") from None


def output_names(nodes: list[KsNode]) -> dict[int, str]:
    counts: dict[tuple[str, str, str], int] = {}
    names: dict[int, str] = {}
    for node in nodes:
        key = (node.tree, node.namespace or "_cluster", node.name)
        counts[key] = counts.get(key, 0) + 1
        suffix = "" if counts[key] == 1 else f"~{counts[key]}"
        prefix = f"{node.tree}/" if node.tree else ""
        names[id(node)] = f"{prefix}{key[1]}/{key[2]}{suffix}"
    return names


def write_nodes(
    out: Path,
    names: dict[int, str],
    nodes: list[KsNode],
    mask: SecretMasker | None,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Write each node's file; with many, a helper process writes the second half (see
    ``homeops.cache.helper``) and the files it did not confirm are written here after it. ``meanwhile``
    runs once this process wrote its half, while the helper may still be writing (the caches are
    written then)."""
    from homeops.yaml.emitter import documents_printer  # the emitter loads PyYAML: only when writing

    half = len(nodes) // 2 if len(nodes) >= 64 else len(nodes)
    targets = Targets(out)
    dump = documents_printer()

    def work(send: Send) -> None:
        for i in range(half, len(nodes)):
            _write_node(targets, dump, names[id(nodes[i])], nodes[i], mask)
            send(i, b"")

    helper = Helper.start(work) if half < len(nodes) else None
    if helper is None:
        half = len(nodes)
    try:
        for node in nodes[:half]:
            _write_node(targets, dump, names[id(node)], node, mask)
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        if helper is not None:
            helper.stop()
        raise
    done = {key for key, _ in helper.wait(timeout=300)} if helper is not None else set()
    for i in range(half, len(nodes)):
        if i not in done:  # the helper failed or was stopped: written here
            _write_node(targets, dump, names[id(nodes[i])], nodes[i], mask)


class Targets:
    """Where each output goes under ``out``, refusing a name that leads outside it (``..``, a linked
    folder or file); each folder is resolved and made once, not once per file."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.root = out.resolve()
        self._dirs: dict[Path, Path] = {}

    def of(self, name: str) -> Path:
        """The resolved stem for ``name`` (``<namespace>/<name>``), its folder made."""
        lexical = self.out / name
        folder = self._dirs.get(lexical.parent)
        if folder is None:
            folder = lexical.parent.resolve()
            if folder.is_relative_to(self.root):
                folder.mkdir(parents=True, exist_ok=True)
            self._dirs[lexical.parent] = folder
        target = folder / lexical.name
        if lexical.name in ("", ".", "..") or target.is_symlink():
            target = target.resolve()
        if target == self.root or not target.is_relative_to(self.root):  # the stem must lie inside it
            raise UsageError(f"refusing to write {name!r} outside {self.out}")
        return target


def _write_node(
    targets: Targets, dump: Callable[[list[Any]], str], name: str, node: KsNode, mask: SecretMasker | None
) -> None:
    target = targets.of(name)
    if node.status == "failed" or node.status == "external":
        write_result(target, None, mask.text(node.error) if mask else node.error)
    else:
        applied = [*node.objects, *node.rendered]  # what its HelmReleases' charts render comes after
        objects = [mask.obj(o) for o in applied] if mask else applied
        write_result(target, dump(objects))
