"""Every container image names a version: a tag other than ``latest``, or a digest.

Why:
    An image without a tag is ``latest``, and ``latest`` changes under you: a pod rescheduled tomorrow runs
    different code than the one running today, and nothing in Git says so. Pin a version tag (ideally with
    its digest) and let Renovate propose upgrades. Checked on the containers and initContainers of
    Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and Pods, and in HelmRelease values on ``image:``
    maps with a ``repository`` (a missing ``tag`` only in app-template's
    ``controllers.*.containers.*.image``: other charts default it to their appVersion).

Bad:
    containers:
      - name: app
        image: ghcr.io/rommapp/romm:latest

Good:
    containers:
      - name: app
        image: ghcr.io/rommapp/romm:5.2.0@sha256:4f1c...
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.validate._common import at, containers, hr_ref, is_app_template, key_pos, pod_spec, walk
from homeops.validate.context import ValidateContext

CODE = "HO104"
NAME = "image-tag-pinned"
SEVERITY = Severity.ERROR
KIND = "validate"

_HINT = "pin a version tag (and its @sha256 digest); Renovate can keep it current"
# app-template: controllers.<c>.containers.<n>.image / controllers.<c>.initContainers.<n>.image
_APP_TEMPLATE_IMAGE = re.compile(r"\.controllers\.[^.]+\.(?:init)?[cC]ontainers\.[^.]+\.image$")


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned (no tag, or ``latest``), else None."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag (that is 'latest')"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the 'latest' tag"
    return None


def _workload_findings(ctx: ValidateContext) -> Iterator[Finding]:
    for b in ctx.built():
        found = pod_spec(b.obj)
        if found is None:
            continue
        podspec, prefix = found
        for c, path in containers(podspec, prefix):
            image = c.get("image")
            if not isinstance(image, str) or not image or "${" in image:
                continue
            why = image_problem(image.strip())
            if why:
                yield finding(
                    sys.modules[__name__],
                    f"{b.ref} container {c.get('name', '?')}: image {image} {why}",
                    **at(ctx, key_pos(c, "image"), b.obj.pos),
                    obj=b.ref,
                    field=f"{path}.image",
                    hint=_HINT,
                )


def _values_problem(value: Any, path: str, app_template: bool) -> str | None:
    if isinstance(value, str):
        return "uses the 'latest' tag" if value.endswith(":latest") and "@" not in value else None
    if not isinstance(value, dict) or not isinstance(value.get("repository"), str):
        return None
    repo, tag, digest = value["repository"], value.get("tag"), value.get("digest")
    if digest or "@" in repo or "${" in repo or (isinstance(tag, str) and "${" in tag):
        return None
    if tag is None or tag == "":
        if ":" in repo.rsplit("/", 1)[-1]:
            return image_problem(repo)
        return "has no tag" if app_template and _APP_TEMPLATE_IMAGE.search(path) else None
    return "uses the 'latest' tag" if str(tag).strip() == "latest" else None


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Unpinned images of built workloads and of HelmRelease values."""
    yield from _workload_findings(ctx)
    seen: set[tuple[str, int]] = set()
    for hrn in ctx.helmreleases():
        values = hrn.hr.values
        if values is None:
            continue
        app_template = is_app_template(values)
        for parent, key, value, path in walk(values, "spec.values"):
            if key != "image":
                continue
            why = _values_problem(value, path, app_template)
            if why is None:
                continue
            where = at(ctx, key_pos(parent, key), hrn.obj.pos)
            if (where["file"], where["line"]) in seen:
                continue
            seen.add((where["file"], where["line"]))
            shown = value if isinstance(value, str) else value.get("repository")
            yield finding(
                sys.modules[__name__],
                f"{hr_ref(hrn)} image {shown} {why}",
                **where,
                obj=hr_ref(hrn),
                field=path,
                hint=_HINT,
            )
