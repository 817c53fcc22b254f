"""How a batch command's process ends: its results kept alive to the end, then a prompt exit.

A ``build all`` holds hundreds of thousands of small objects (maps, positions, strings). Freeing them one
by one when the command returns, and then tearing down every module at interpreter exit, takes longer than
some whole warm runs' work (about 30 ms of a 0.3 s run on a 250-Kustomization repository). The operating
system reclaims a process's memory at once, so when ``homeops`` runs as its own process (not called from a
test or a program), a command hands its result to ``keep`` and ``finish`` ends the process with
``os._exit`` once the output is flushed and the ``atexit`` handlers have run. Anything that would make that
unsafe (another thread still running, output that cannot be flushed) falls back to ``sys.exit``.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn, TypeVar

import click

T = TypeVar("T")

HOLD = "hold"
"""The key, in the root context's ``obj``, of the list ``keep`` appends to (set by ``main``)."""


def keep(value: T) -> T:
    """Keep ``value`` alive until the process ends (when ``main`` asked for it; otherwise nothing)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        obj = ctx.find_root().obj
        held = obj.get(HOLD) if isinstance(obj, dict) else None
        if isinstance(held, list):
            held.append(value)
    return value


def _other_threads() -> bool:
    """Whether a thread besides the main one runs (none can when ``threading`` was never imported)."""
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def finish(code: int, held: list[object]) -> NoReturn:
    """End the process with ``code``: at once when a command kept its result (see the module docstring)."""
    if held and not _other_threads():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)
        atexit._run_exitfuncs()
        os._exit(code)
    sys.exit(code)
