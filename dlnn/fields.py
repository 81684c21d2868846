"""Run-configuration fields: one declaration per field, read by everything that shows or checks it.

A `Field` says a field's type, default, allowed range or choices, its one-line help and the lab
that owns it. Validation (`Field.check`), parsing of text from the command line or a URL
(`Field.parse`), the CLI's options and `--help`, and the dashboard's widgets are all generated
from it, so a limit is written once. Nothing here imports TensorFlow or any lab.

Example:
    >>> epochs = Field("epochs", int, 10, "passes over the training data", low=1, high=500)
    >>> epochs.parse("3")
    3
    >>> epochs.allowed_text()
    'a whole number from 1 to 500'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlnn.config import RunConfig

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
_NONE = ("none", "null", "")


class ConfigError(ValueError):
    """A configuration field holds a value that is not allowed.

    The message does not repeat the field's name (views put it in front); `str(error)` does:
    `epochs: 0 is not allowed; must be a whole number from 1 to 500`.

    Attributes:
        field: the name of the offending field, as in `RunConfig`.
        value: the value given.
        reason: what is allowed, in words.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.reason = f"{value!r} is not allowed; {allowed}"
        super().__init__(f"{field}: {self.reason}")


@dataclass(frozen=True)
class Field:
    """One run-configuration field and its limits.

    Args:
        name: the field's name (`RunConfig.<name>`, `--<name-with-dashes>`, `?name=` in URLs).
        kind: `bool`, `int`, `float` or `str`.
        default: the value a new configuration has.
        help: one line: what the field changes in training (and what the report used).
        lab: the lab that declared it (`core` for the engine's own fields).
        label: the widget's label (default: the name in words).
        optional: None is allowed too; `none_means` says what None does.
        low, high: inclusive bounds of a number (`low_open` / `high_open` exclude them).
        choices: the allowed values, or a function returning them (registries grow).
        step: the widget's step for numbers.
        log_scale: sweeps space this field's values on a log scale.
        applies: whether the field changes anything for a configuration (widgets hide the
            rest); None means always.
        always_keyed: the field enters a configuration's cache key even at its default. Only
            the fields that existed when the store began have it, so stored runs keep their
            keys when a lab adds a field.
    """

    name: str
    kind: type
    default: Any
    help: str
    lab: str = "core"
    label: str = ""
    optional: bool = False
    none_means: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Sequence[Any] | Callable[[], Sequence[Any]] | None = None
    step: float | None = None
    log_scale: bool = False
    applies: Callable[[RunConfig], bool] | None = None
    always_keyed: bool = False

    @property
    def title(self) -> str:
        """The label shown next to a widget."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def flag(self) -> str:
        """The command-line option, e.g. `--batch-size`."""
        return "--" + self.name.replace("_", "-")

    def allowed_choices(self) -> tuple[Any, ...] | None:
        """The allowed values of a choice field (None for numbers and free text)."""
        if self.choices is None:
            return None
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def allowed_text(self) -> str:
        """What the field accepts, in words (used by messages, `--help` and widget help)."""
        choices = self.allowed_choices()
        if choices is not None:
            text = f"choose one of: {', '.join(map(str, choices))}"
        elif self.kind is bool:
            text = "must be true or false"
        elif self.kind is int:
            text = f"must be a whole number from {_fmt(self.low)} to {_fmt(self.high)}"
        elif self.kind is float:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            text = f"must be a number in {left}{_fmt(self.low)}, {_fmt(self.high)}{right}"
        else:
            text = "must be text"
        if self.optional:
            text += f", or empty ({self.none_means})" if self.none_means else ", or empty"
        return text

    def check(self, value: Any) -> None:
        """Raise `ConfigError` unless `value` is allowed for this field."""
        if value is None:
            if not self.optional:
                raise ConfigError(self.name, value, self.allowed_text())
            return
        choices = self.allowed_choices()
        if choices is not None:
            if value not in choices or isinstance(value, bool) != (self.kind is bool):
                raise ConfigError(self.name, value, self.allowed_text())
            return
        if self.kind is bool:
            ok = isinstance(value, bool)
        elif self.kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and self._in_range(value)
        elif self.kind is float:
            ok = (isinstance(value, int | float) and not isinstance(value, bool)
                  and math.isfinite(value) and self._in_range(value))
        else:
            ok = isinstance(value, str) and value.strip() != ""
        if not ok:
            raise ConfigError(self.name, value, self.allowed_text())

    def has_kind(self, value: Any) -> bool:
        """Whether `value` is of the field's kind (None where optional), bounds aside.

        A stored run's configuration is checked this way: a later, stricter bound must not
        turn old runs into damaged ones, but a value of the wrong kind cannot be used.
        """
        if value is None:
            return self.optional
        if isinstance(value, bool) or self.kind is bool:
            return isinstance(value, bool) and self.kind is bool
        if self.kind is float:
            return isinstance(value, int | float) and math.isfinite(value)
        return isinstance(value, self.kind)

    def _in_range(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def parse(self, text: str) -> Any:
        """The value that `text` (from a command line or a URL) means; raises `ConfigError`.

        Strict: `1_0`, `1e3` for a whole number, `nan` and `inf` are refused rather than read
        as something the user did not write.
        """
        raw = str(text).strip()
        if self.optional and raw.lower() in _NONE:
            return None
        if self.kind is bool:
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
        elif self.kind is int:
            if _INTEGER.fullmatch(raw):
                return int(raw)
        elif self.kind is float:
            if _NUMBER.fullmatch(raw):
                return float(raw)
        else:
            return raw
        raise ConfigError(self.name, text, self.allowed_text())

    def format(self, value: Any) -> str:
        """A value as text that `parse` reads back: `true`, `0.001`, `none`, `cnn-keras`."""
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def relevant(self, config: RunConfig) -> bool:
        """Whether this field changes anything for `config`."""
        return self.applies is None or bool(self.applies(config))


def _fmt(number: float | None) -> str:
    if number is None:
        return "any"
    if float(number).is_integer() and abs(number) < 1e15:
        return f"{int(number):,}".replace(",", "")
    return f"{number:g}"
