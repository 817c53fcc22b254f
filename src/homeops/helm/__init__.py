"""Helm charts: the chart store (fetch, content-addressed storage), rendering through the real Helm v4 and
helm-controller's post-render steps. The shared types are in :mod:`homeops.helm.types`."""
