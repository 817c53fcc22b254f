"""Scaffolding: a new cluster repository from the bundled template (``init_repo``), a new app in an
existing one (``new_app``), and the template's configuration schema (``validate_config``)."""

from homeops.scaffold.init import InitOptions, InitResult, init_repo
from homeops.scaffold.newapp import NewAppOptions, NewAppResult, new_app
from homeops.scaffold.schema import CONFIG_SCHEMA, Key, KeyType, schema_key_paths, validate_config
from homeops.scaffold.template_info import TEMPLATE_ID, read_placeholder_table, validator_for_repo

__all__ = [
    "CONFIG_SCHEMA",
    "TEMPLATE_ID",
    "InitOptions",
    "InitResult",
    "Key",
    "KeyType",
    "NewAppOptions",
    "NewAppResult",
    "init_repo",
    "new_app",
    "read_placeholder_table",
    "schema_key_paths",
    "validate_config",
    "validator_for_repo",
]
