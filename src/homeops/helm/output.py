"""What the Helm stage shows: rendered objects (Secrets masked unless asked), files under OUT/helm/, and a
summary per HelmRelease."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from homeops.errors import UsageError
from homeops.flux.cluster import ClusterBuild
from homeops.helm.releases import ReleaseRender, TreeRenders
from homeops.yaml.emitter import dump_documents
from homeops.yaml.nodes import YMap


def masker(
    cluster: ClusterBuild, show_secrets: bool, identities: Iterable[str] = ()
) -> Callable[[YMap], YMap]:
    """Secret data masked, and every secret value (or a form derived from it) found in a string, unless
    ``show_secrets`` (see ``homeops.flux.masking``)."""
    if show_secrets:
        return lambda obj: obj
    from homeops.flux.masking import cluster_masker

    return cluster_masker(cluster, identities)


def release_yaml(render: ReleaseRender, mask: Callable[[YMap], YMap]) -> str:
    """The objects of one rendered HelmRelease, as YAML documents."""
    return dump_documents(mask(o) for o in render.objects)


def write_renders(renders: TreeRenders, out: Path, mask: Callable[[YMap], YMap]) -> Path:
    """Write OUT/helm/[<cluster>/]<namespace>/<name>.yaml (or .err) and OUT/helm/summary.json."""
    base = (out / "helm").resolve()
    multi = len({r.item.parent.tree for r in renders.releases}) > 1
    rows = []
    for r in renders.releases:
        parts = [r.item.parent.tree] if multi and r.item.parent.tree else []
        target = base.joinpath(*parts, r.item.hr.namespace or "_", r.item.hr.name).resolve()
        if not target.is_relative_to(base):
            raise UsageError(f"refusing to write HelmRelease {r.ref} outside {base}")
        target.parent.mkdir(parents=True, exist_ok=True)
        ok, err = target.with_name(target.name + ".yaml"), target.with_name(target.name + ".err")
        if r.status == "rendered":
            ok.write_text(release_yaml(r, mask), encoding="utf-8")
            err.unlink(missing_ok=True)
        else:
            err.write_text(f"{r.status}: {r.message}\n", encoding="utf-8")
            ok.unlink(missing_ok=True)
        rows.append(
            {
                **r.to_json(),
                "file": target.relative_to(base).as_posix() + (".yaml" if r.status == "rendered" else ".err"),
            }
        )
    base.mkdir(parents=True, exist_ok=True)
    summary = {"totals": renders.counts(), "error": renders.error, "helmreleases": rows}
    path = base / "summary.json"
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
