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
from typing import Any

from dlnn import registry
from dlnn.config import ConfigError, RunConfig


def query_from_config(config: RunConfig) -> dict[str, str]:
    """The fields of `config` that differ from their defaults, as URL-ready strings."""
    return {
        name: declared.format(getattr(config, name))
        for name, declared in registry.fields().items()
        if getattr(config, name) != declared.default
    }


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
    for name, declared in registry.fields().items():
        if name not in params:
            continue
        raw = params[name]
        if isinstance(raw, list | tuple):
            raw = raw[-1] if raw else ""
        try:
            values[name] = declared.parse(str(raw))
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
