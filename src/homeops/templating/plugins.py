"""Loading a repository's makejinja plugins (``loaders``/``plugins``, ``module:Class``) as makejinja does.

A plugin class is imported from the repository's ``import_paths`` and built with whichever of ``env``,
``environment``, ``data`` and ``config`` its constructor asks for. Its ``globals``, ``functions``, ``data``,
``extensions``, ``filters``, ``tests`` and ``policies`` are applied to the environment in that order, and
its ``path_filters`` decide which input paths are rendered.

Plugins run with the working directory set to the repository (they read files such as ``age.key`` relative
to it, as under makejinja) and may ``import makejinja``: when makejinja is not installed, a small stand-in
module with its plugin base class and type names is provided. Everything a run changes in the interpreter
(working directory, ``sys.path``, imported plugin modules, the stand-in) is undone when it ends, so two
repositories with a ``plugin.py`` each can be configured in one process.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment
from jinja2.environment import load_extensions
from jinja2.utils import import_string

from homeops.errors import BuildError
from homeops.templating.makejinja_config import MakejinjaConfig

PathFilter = Callable[[Path], bool]


class PluginBase:
    """Stand-in for ``makejinja.plugin.Plugin``: every hook exists and returns nothing."""

    def __init__(self, *, env: Environment | None = None, data: Any = None, config: Any = None) -> None:
        pass

    def functions(self) -> Sequence[Callable[..., Any]]:
        """Global callables, registered under their ``__name__``."""
        return []

    def data(self) -> Mapping[str, Any]:
        """Global values that override the loaded data."""
        return {}

    def filters(self) -> Sequence[Callable[..., Any]]:
        """Filters, registered under their ``__name__``."""
        return []

    def tests(self) -> Sequence[Callable[..., Any]]:
        """Tests, registered under their ``__name__``."""
        return []

    def policies(self) -> Mapping[str, Any]:
        """Jinja policy overrides."""
        return {}

    def extensions(self) -> Sequence[Any]:
        """Jinja extension classes."""
        return []

    def path_filters(self) -> Sequence[PathFilter]:
        """Predicates; an input path for which one returns false is skipped."""
        return []

    def globals(self) -> Sequence[Callable[..., Any]]:
        """Deprecated makejinja hook: global callables."""
        return []


def _stand_in_modules() -> dict[str, types.ModuleType]:
    """A minimal ``makejinja`` package: ``makejinja.plugin`` (alias ``loader``) and ``makejinja.config``."""
    root = types.ModuleType("makejinja", "homeops stand-in for makejinja's plugin API")
    plugin = types.ModuleType("makejinja.plugin")
    config = types.ModuleType("makejinja.config")
    plugin.__dict__.update(
        Plugin=PluginBase,
        AbstractLoader=PluginBase,
        Extensions=Sequence[Any],
        Filter=Callable[..., Any],
        Filters=Sequence[Callable[..., Any]],
        Function=Callable[..., Any],
        Functions=Sequence[Callable[..., Any]],
        Test=Callable[..., Any],
        Tests=Sequence[Callable[..., Any]],
        Policies=Mapping[str, Any],
        MutableData=dict[str, Any],
        Data=Mapping[str, Any],
        PathFilter=PathFilter,
        PathFilters=Sequence[PathFilter],
    )
    config.__dict__.update(Config=MakejinjaConfig)
    root.__dict__.update(plugin=plugin, loader=plugin, config=config, __path__=[])
    return {
        "makejinja": root,
        "makejinja.plugin": plugin,
        "makejinja.loader": plugin,
        "makejinja.config": config,
    }


def _module_file_under(module: types.ModuleType | None, roots: Sequence[Path]) -> bool:
    """True for a module loaded from one of ``roots`` (never for installed packages, e.g. a venv there)."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    path = Path(file).resolve()
    installed = (Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve())
    if any(path.is_relative_to(p) for p in installed):
        return False
    return any(path.is_relative_to(root) for root in roots)


@contextlib.contextmanager
def plugin_sandbox(config: MakejinjaConfig, repo_dir: Path, specs: Sequence[str]) -> Iterator[None]:
    """Working directory, ``sys.path`` and modules as makejinja would have them; restored afterwards."""
    roots = [p.resolve() for p in config.import_paths]
    old_cwd = os.getcwd()
    old_path = list(sys.path)
    old_bytecode = sys.dont_write_bytecode
    before = set(sys.modules)
    hidden: dict[str, types.ModuleType] = {}
    for spec in specs:
        top = spec.replace(":", ".").split(".")[0]
        module = sys.modules.get(top)
        if module is not None and not _module_file_under(module, roots):
            hidden[top] = sys.modules.pop(top)
    stand_in: dict[str, types.ModuleType] = {}
    if "makejinja" not in sys.modules and importlib.util.find_spec("makejinja") is None:
        stand_in = _stand_in_modules()
        sys.modules.update(stand_in)
    try:
        os.chdir(repo_dir)
        sys.dont_write_bytecode = True
        sys.path.extend(str(p.resolve()) for p in config.import_paths)
        importlib.invalidate_caches()
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        sys.dont_write_bytecode = old_bytecode
        for name in set(sys.modules) - before:
            if name in stand_in or _module_file_under(sys.modules.get(name), roots):
                del sys.modules[name]
        for name in stand_in:
            if sys.modules.get(name) is stand_in[name]:
                del sys.modules[name]
        sys.modules.update(hidden)


def load_plugin(
    spec: str, env: Environment, data: dict[str, Any], config: MakejinjaConfig
) -> list[PathFilter]:
    """Imports and applies one plugin to ``env``; returns its path filters. Call inside ``plugin_sandbox``."""
    try:
        cls = import_string(spec)
    except (ImportError, AttributeError) as exc:
        raise BuildError(
            f"cannot import makejinja plugin {spec!r}: {exc}",
            hint="check loaders/plugins and import_paths in makejinja.toml",
        ) from exc
    try:
        params = inspect.signature(cls).parameters
        kwargs: dict[str, Any] = {}
        for name, value in (("env", env), ("environment", env), ("data", data), ("config", config)):
            if params.get(name):
                kwargs[name] = value
        plugin = cls(**kwargs)
        if hasattr(plugin, "globals"):
            env.globals.update({f.__name__: f for f in plugin.globals()})
        if hasattr(plugin, "functions"):
            env.globals.update({f.__name__: f for f in plugin.functions()})
        if hasattr(plugin, "data"):
            env.globals.update(plugin.data())
        if hasattr(plugin, "extensions"):
            load_extensions(env, plugin.extensions())
        if hasattr(plugin, "filters"):
            env.filters.update({f.__name__: f for f in plugin.filters()})
        if hasattr(plugin, "tests"):
            env.tests.update({f.__name__: f for f in plugin.tests()})
        if hasattr(plugin, "policies"):
            env.policies.update(plugin.policies())
        filters: list[PathFilter] = list(plugin.path_filters()) if hasattr(plugin, "path_filters") else []
    except Exception as exc:  # a plugin is the repository's own code: any failure is reported, with its cause
        raise BuildError(f"makejinja plugin {spec!r} failed: {type(exc).__name__}: {exc}") from exc
    return filters
