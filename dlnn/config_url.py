"""A `RunConfig` as URL query parameters, so a dashboard link reopens the same setup.

Like TensorFlow Playground, a link carries only the fields that differ from the defaults:
`?model=cnn-keras&epochs=3` is a whole configuration. Reading a link never raises: a value
that cannot be parsed or is not allowed is reported as a `ConfigError` naming its field and
left at its default, so a hand-edited or stale link still opens a usable page. Parameters
that are not configuration fields (the dashboard's `run=<id>`, say) are ignored.

Example:
    >>> query_from_config(RunConfig(model="cnn-keras", epochs=3))
    {'model': 'cnn-keras', 'epochs': '3'}
    >>> config, errors = config_from_query({"epochs": "-1", "optimizer": "adam"})
    >>> config.optimizer, config.epochs, [error.field for error in errors]
    ('adam', 10, ['epochs'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from dlnn.config import ConfigError, RunConfig

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
_NONE = ("none", "null", "")
# Field name -> annotation as written in RunConfig ("int", "float | None", ...).
_FIELD_TYPES: dict[str, str] = {field.name: str(field.type) for field in fields(RunConfig)}


def query_from_config(config: RunConfig) -> dict[str, str]:
    """The fields of `config` that differ from `RunConfig()`, as URL-ready strings."""
    defaults = RunConfig().to_dict()
    return {
        name: format_value(value)
        for name, value in config.to_dict().items()
        if value != defaults[name]
    }


def format_value(value: Any) -> str:
    """One field value as it appears in a URL: `true`, `0.001`, `none`, `cnn-keras`."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def config_from_query(params: Mapping[str, Any]) -> tuple[RunConfig, list[ConfigError]]:
    """Read a configuration from query parameters.

    Args:
        params: parameter name -> value (a string, or a list of strings whose last one
            counts, as repeated parameters give).

    Returns:
        The configuration (valid) and the errors found; each bad field is left at its default.
    """
    values: dict[str, Any] = {}
    errors: list[ConfigError] = []
    for name, kind in _FIELD_TYPES.items():
        if name not in params:
            continue
        raw = params[name]
        if isinstance(raw, list | tuple):
            raw = raw[-1] if raw else ""
        try:
            values[name] = parse_value(name, str(raw), kind)
        except ConfigError as error:
            errors.append(error)
    # Validation stops at the first bad field: drop it and check the rest again.
    for _ in range(len(values) + 1):
        try:
            return RunConfig(**values).validate(), errors
        except ConfigError as error:
            errors.append(error)
            if values.pop(error.field, None) is None:
                break
    return RunConfig(), errors


def parse_value(name: str, raw: str, kind: str | None = None) -> Any:
    """Parse one field's URL text into its Python value; raises `ConfigError` naming it."""
    kind = kind or _FIELD_TYPES[name]
    text = raw.strip()
    optional = kind.endswith("| None")
    if optional and text.lower() in _NONE:
        return None
    base = kind.removesuffix("| None").strip()
    if base == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigError(name, raw, "must be true or false")
    if base == "int":
        try:
            return int(text)
        except ValueError:
            raise ConfigError(name, raw, "must be a whole number") from None
    if base == "float":
        try:
            return float(text)
        except ValueError:
            raise ConfigError(name, raw, "must be a number") from None
    return text
