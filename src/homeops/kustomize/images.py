"""The ``images:`` step (kustomize's ImageTagTransformer).

For each entry, in order, two passes run over every resource, as in kustomize:

1. the legacy pass: every ``containers``/``initContainers`` list anywhere in the object has the ``image``
   of its items updated;
2. the field-spec pass: the ``images`` field specs of ``ctx.tconfig`` (pod specs, pod templates, OCI image
   volumes, and whatever ``configurations:`` add, e.g. images in custom resources).

An image matches an entry when it is the entry's ``name`` followed by an optional ``:tag`` and an optional
``@sha256:digest`` (the name is used as a regular expression, as kustomize does). CustomResourceDefinitions
are left alone by both passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from homeops.errors import BuildError
from homeops.kustomize.context import KContext
from homeops.kustomize.fieldpath import CreateKind
from homeops.kustomize.kyamlpath import go_text
from homeops.kustomize.resource import ResMap
from homeops.kustomize.txcommon import (
    NodeKindError,
    apply_spec,
    expect_entry,
    expect_list,
    expect_str,
)


@dataclass(frozen=True, slots=True)
class ImageRule:
    """One ``images:`` entry."""

    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""
    tag_suffix: str = ""


def image_matches(image: str, name: str) -> bool:
    """kustomize's ``IsImageMatched``: ``name`` (a regular expression) plus optional tag and digest."""
    try:
        pattern = re.compile("^" + name + r"(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?\Z")
    except re.error:
        return False
    return pattern.search(image) is not None


def split_image(image: str) -> tuple[str, str, str]:
    """Split ``[host[:port]/]path[:tag][@digest]`` into (name, tag, digest) as kustomize's ``image.Split``."""
    slash = image.find("/")
    if slash > 0:
        search = image[slash:]
    else:
        search, slash = image, 0
    at = search.find("@")
    colon = search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        at += slash
        return image[:at], "", image[at + 1 :]
    if at >= 0 and colon >= 0:
        at += slash
        colon += slash
        return image[:colon], image[colon + 1 : at], image[at + 1 :]
    colon += slash
    return image[:colon], image[colon + 1 :], ""


def rewrite_image(image: str, rule: ImageRule) -> str | None:
    """The new image reference for ``image`` under ``rule``, or None if the rule does not match it."""
    if not image_matches(image, rule.name):
        return None
    name, tag, digest = split_image(image)
    if rule.new_name:
        name = rule.new_name
    if rule.new_tag and rule.digest:
        tag, digest = rule.new_tag, rule.digest
    elif rule.new_tag:
        tag, digest = rule.new_tag, ""
    elif rule.digest:
        tag, digest = "", rule.digest
    elif rule.tag_suffix:
        tag, digest = tag + rule.tag_suffix, ""
    if tag:
        name += ":" + tag
    if digest:
        name += "@" + digest
    return name


def _update(current: Any, rule: ImageRule) -> Any:
    if isinstance(current, (dict, list)):
        raise NodeKindError("ScalarNode", current)
    new = rewrite_image(go_text(current), rule)
    return current if new is None else new


def _legacy_walk(node: Any, rule: ImageRule) -> None:
    if isinstance(node, dict):
        for key, child in node.items():
            _legacy_walk(child, rule)
            if key in ("containers", "initContainers") and isinstance(child, list):
                for item in child:
                    if not isinstance(item, dict):
                        raise NodeKindError("MappingNode", item)
                    if "image" in item:
                        item["image"] = _update(item["image"], rule)
    elif isinstance(node, list):
        for child in node:
            _legacy_walk(child, rule)


def parse_image_rule(entry: dict[str, Any], ctx: KContext) -> ImageRule:
    """An ``images:`` entry, its fields checked to be strings."""
    fields = {}
    for key in ("name", "newName", "newTag", "digest", "tagSuffix"):
        fields[key] = expect_str(entry.get(key), f"images[].{key}", ctx.where(entry, key))
    return ImageRule(
        fields["name"], fields["newName"], fields["newTag"], fields["digest"], fields["tagSuffix"]
    )


def apply_images(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``images:``: rewrite matching image references (name, tag, digest) in every resource."""
    for i, item in enumerate(expect_list(value, "images", ctx)):
        where = ctx.where(value, i)
        rule = parse_image_rule(expect_entry(item, "images", value, i, ctx), ctx)
        for res in resmap:
            if res.kind == "CustomResourceDefinition":
                continue
            try:
                _legacy_walk(res.obj, rule)
            except NodeKindError as exc:
                raise BuildError(f"{exc} (in {res.cur_id()})", location=where) from None

        def setter(current: Any, rule: ImageRule = rule) -> Any:
            return _update(current, rule)

        for res in resmap:
            if res.kind == "CustomResourceDefinition":
                continue
            for fs in ctx.tconfig.images:
                apply_spec(res, fs, setter, CreateKind.NONE, where)
