"""Shared test setup: every test gets its own empty homeops cache, never the user's ~/.cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path_factory.mktemp("homeops-cache")))
