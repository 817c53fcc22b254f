"""Rendering HelmReleases through the real Helm v4, with helm-controller's post-render steps.

``render_release(release, chart, options)`` and ``render_many(items, options)`` are the entry points; see
:mod:`homeops.helm.render.api`. The pieces: ``helmbin`` (finding and running helm), ``apiversions``
(``--api-versions``), ``template`` (the command line and reading helm's output and errors), ``charts`` and
``crds`` (what is read from the chart itself), ``postrender`` (post-renderers and Helm's sort), ``cache``.
"""

from homeops.helm.render.api import render_many, render_release, resolve_helm
from homeops.helm.render.helmbin import HELM_ENV, HelmBinary, HelmUnavailableError, find_helm
from homeops.helm.render.model import (
    CHART_VALUES_VALID,
    ReleaseInput,
    ReleaseSettings,
    RenderOptions,
    RenderProblem,
    RenderResult,
    release_name_of,
    shorten_name,
)

__all__ = [
    "CHART_VALUES_VALID",
    "HELM_ENV",
    "HelmBinary",
    "HelmUnavailableError",
    "ReleaseInput",
    "ReleaseSettings",
    "RenderOptions",
    "RenderProblem",
    "RenderResult",
    "find_helm",
    "release_name_of",
    "render_many",
    "render_release",
    "resolve_helm",
    "shorten_name",
]
