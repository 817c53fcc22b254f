"""An ``Undefined`` that records every use of an undefined value instead of stopping at the first one.

Rendering goes on after a recorded error (the value then behaves like a chainable undefined: it prints as
nothing, iterates as empty and hands out undefined attributes), so one run reports every undefined variable
of every template. Nothing rendered is written when an error was recorded, so the lenient fallback never
reaches a file. Uses that makejinja tolerates in the configured mode are faithful to that mode.

Two kinds of use are told apart:

* value uses (printing, arithmetic, calling, ordering, and attribute access unless the mode is chainable)
  are errors: they crash makejinja, or print an empty string into a manifest;
* tests (truthiness, equality, iteration, length) are errors in ``strict`` mode, where makejinja fails,
  and warnings otherwise, where they are the idiom for optional settings.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar

from jinja2 import Undefined
from jinja2.utils import missing, object_type_repr

from homeops.errors import Location
from homeops.templating.makejinja_config import UndefinedMode
from homeops.templating.report import UNDEFINED_HINT, Finding, FindingCode, Severity

_MAX_FRAMES = 256
_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class UndefinedUse:
    """One recorded use of an undefined value."""

    location: Location | None
    name: str
    message: str
    severity: Severity


def data_paths(data: Mapping[str, Any]) -> dict[int, str]:
    """Maps ``id()`` of every mapping and list inside ``data`` to its dotted path (``nodes[0]``)."""
    paths: dict[int, str] = {}
    stack: list[tuple[Any, str, int]] = [(v, str(k), 1) for k, v in data.items()]
    while stack:
        value, path, depth = stack.pop()
        if not isinstance(value, (dict, list)) or id(value) in paths or depth > _MAX_DEPTH:
            continue
        paths[id(value)] = path
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}", depth + 1) for k, v in value.items())
        else:
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))
    return paths


def template_location(frame: FrameType | None, display: Callable[[str], str]) -> Location | None:
    """The template file and line of the innermost compiled-template frame at or above ``frame``."""
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            name = template.filename or template.name or "<template>"
            return Location(display(name), template.get_corresponding_lineno(frame.f_lineno))
        frame = frame.f_back
    return None


class UndefinedRecorder:
    """Collects the undefined uses of one run; deduplicated by place and name, errors winning."""

    def __init__(self, mode: UndefinedMode, display: Callable[[str], str]) -> None:
        self.mode = mode
        self.display = display
        self._paths: dict[int, str] = {}
        self._uses: dict[tuple[str, int, str], UndefinedUse] = {}

    def know_data(self, data: Mapping[str, Any]) -> None:
        """Lets the recorder name missing keys of known data, e.g. ``cloudflare.token``."""
        self._paths = data_paths(data)

    def describe(self, obj: Any, name: Any) -> tuple[str, str]:
        """The dotted name of ``obj.name`` (or ``name``) and the message to report for it."""
        if obj is missing:
            return str(name), f"{str(name)!r} is undefined"
        base = self._paths.get(id(obj))
        part = f"[{name!r}]" if not isinstance(name, str) else f".{name}"
        if base is None:
            return f"{object_type_repr(obj)}{part}", f"{object_type_repr(obj)} has no attribute {name!r}"
        key = "element" if not isinstance(name, str) else "key"
        return f"{base}{part}", f"{base + part!r} is undefined ({base} has no {key} {name!r})"

    def record(self, use: UndefinedUse) -> None:
        """Keeps ``use`` unless the same name at the same place is already recorded as bad or worse."""
        loc = use.location
        key = (loc.file if loc else "", loc.line if loc else 0, use.name)
        old = self._uses.get(key)
        if old is None or (old.severity is Severity.WARNING and use.severity is Severity.ERROR):
            self._uses[key] = use

    def findings(self) -> list[Finding]:
        """The recorded uses as findings."""
        return [
            Finding(u.severity, FindingCode.UNDEFINED_VARIABLE, u.message, u.location, u.name, UNDEFINED_HINT)
            for u in self._uses.values()
        ]

    def undefined_class(self) -> type[Undefined]:
        """A fresh ``Undefined`` subclass bound to this recorder, for one Jinja environment."""
        return type("RecordingUndefined", (RecordingUndefined,), {"__slots__": (), "_recorder": self})


class RecordingUndefined(Undefined):
    """Base of the per-run recording classes made by ``UndefinedRecorder.undefined_class``."""

    __slots__ = ("_hop_done", "_hop_location", "_hop_message", "_hop_name", "_hop_root")
    _recorder: ClassVar[UndefinedRecorder]

    def __init__(
        self, hint: str | None = None, obj: Any = missing, name: str | None = None, exc: Any = None, **kw: Any
    ) -> None:
        if exc is None:
            super().__init__(hint, obj, name)
        else:
            super().__init__(hint, obj, name, exc)
        rec = self._recorder
        self._hop_name, self._hop_message = rec.describe(obj, name)
        if hint and name is None:
            self._hop_name, self._hop_message = "?", hint
        self._hop_root = self._hop_message
        self._hop_location = template_location(sys._getframe(1), rec.display)
        self._hop_done = False

    def _hop_child(self, part: str) -> RecordingUndefined:
        child = type(self)(name=self._undefined_name)
        child._hop_name = f"{self._hop_name}{part}"
        child._hop_root = self._hop_root
        child._hop_message = f"{child._hop_name!r} is undefined ({self._hop_root})"
        child._hop_location = self._hop_location
        child._hop_done = self._hop_done
        return child

    def _hop_use(self, value_use: bool) -> None:
        if self._hop_done:
            return
        rec = self._recorder
        severity = Severity.ERROR if value_use or rec.mode is UndefinedMode.STRICT else Severity.WARNING
        if severity is Severity.ERROR:
            self._hop_done = True
        how = "used as a value" if value_use else "tested"
        rec.record(UndefinedUse(self._hop_location, self._hop_name, f"{self._hop_message}, {how}", severity))

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        self._hop_use(True)
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
    __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
    __mod__ = __rmod__ = _fail_with_undefined_error
    __pos__ = __neg__ = _fail_with_undefined_error
    __call__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = _fail_with_undefined_error
    __pow__ = __rpow__ = _fail_with_undefined_error

    def __int__(self) -> int:  # type: ignore[override]
        self._hop_use(True)
        return 0

    def __float__(self) -> float:  # type: ignore[override]
        self._hop_use(True)
        return 0.0

    def __complex__(self) -> complex:  # type: ignore[override]
        self._hop_use(True)
        return 0j

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        if self._recorder.mode is not UndefinedMode.CHAINABLE:
            self._hop_use(True)
        return self._hop_child(f".{name}")

    def __getitem__(self, name: Any) -> Any:
        if self._recorder.mode is not UndefinedMode.CHAINABLE:
            self._hop_use(True)
        return self._hop_child(f".{name}" if isinstance(name, str) else f"[{name!r}]")

    def __str__(self) -> str:
        self._hop_use(True)
        if self._recorder.mode is UndefinedMode.DEBUG:
            return f"{{{{ {self._hop_name} }}}}"
        return ""

    def __bool__(self) -> bool:
        self._hop_use(False)
        return False

    def __len__(self) -> int:
        self._hop_use(False)
        return 0

    def __iter__(self) -> Iterator[Any]:
        self._hop_use(False)
        yield from ()

    def __eq__(self, other: object) -> bool:
        self._hop_use(False)
        return type(self) is type(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return id(type(self))
