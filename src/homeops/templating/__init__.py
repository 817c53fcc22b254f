"""``homeops configure``: render a repository's makejinja templates the way makejinja does, safely.

Entry point: ``configure(ConfigureOptions(repo_dir=...)) -> ConfigureResult``.
"""

from homeops.templating.configure import configure
from homeops.templating.makejinja_config import MakejinjaConfig, UndefinedMode, load_makejinja_config
from homeops.templating.report import (
    UNDEFINED_HINT,
    ConfigFinding,
    ConfigureOptions,
    ConfigureResult,
    ConfigValidator,
    Finding,
    FindingCode,
    Severity,
)

__all__ = [
    "UNDEFINED_HINT",
    "ConfigFinding",
    "ConfigValidator",
    "ConfigureOptions",
    "ConfigureResult",
    "Finding",
    "FindingCode",
    "MakejinjaConfig",
    "Severity",
    "UndefinedMode",
    "configure",
    "load_makejinja_config",
]
