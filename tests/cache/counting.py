"""Counting the build cache's lookups in a test: each lookup's outcome, True for a hit."""

from __future__ import annotations

import pytest

from homeops.cache.nodes import NodeCache, NodeResult


def count_hits(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    seen: list[bool] = []
    original = NodeCache.lookup

    def lookup(self: NodeCache, prekey: str) -> NodeResult | None:
        found = original(self, prekey)
        seen.append(found is not None)
        return found

    monkeypatch.setattr(NodeCache, "lookup", lookup)
    return seen
