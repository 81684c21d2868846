"""Named starting configurations for the Train page: a quick first demo, and the report's own.

A `Preset` is a partial configuration: the fields it names, every other field at its declared
default (the data set is kept when the preset's models train on it). The declared defaults of
`dlnn.config` are the report's Task 1 settings and define the cache keys of stored runs, so they
never change; the quick preset is what a first visit starts from instead, because the report's
settings (RandomUniform weights, 10 epochs on all 54,000 images) take minutes to learn.

A link to the Train page names its configuration by the fields that differ from the declared
defaults (`dlnn.config_url`); a link that names none starts from the quick preset, and the
report's configuration, which differs in no field, is written as `?preset=report`.

Example:
    >>> PRESETS["quick"].apply(RunConfig(dataset="fashion-mnist")).model
    'cnn-keras'
    >>> config_from_link({})[0] == PRESETS[FIRST_RUN].apply(RunConfig())
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dlnn import registry
from dlnn.config import ConfigError, RunConfig
from dlnn.config_url import config_from_query, query_from_config

PRESET_PARAM = "preset"  # the URL parameter naming a preset
RUN_PARAM = "run"  # the URL parameter naming a stored run (it brings its own configuration)
FALLBACK_DATASET = "mnist"  # for a preset whose models do not train on the chosen data set


@dataclass(frozen=True)
class Preset:
    """A named partial configuration.

    Attributes:
        name: the URL value (`?preset=quick`).
        title: shown in the preset picker.
        description: one line: what it trains and how long it takes.
        values: the fields it sets; the others keep their declared defaults.
    """

    name: str
    title: str
    description: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, config: RunConfig | None = None) -> RunConfig:
        """The preset's configuration, on `config`'s data set when its models train on it."""
        dataset = FALLBACK_DATASET if config is None else config.dataset
        model = self.values.get("model", RunConfig().model)
        if dataset not in registry.datasets() or model not in registry.models_for(dataset):
            dataset = FALLBACK_DATASET
        return RunConfig(dataset=dataset, **self.values)

    def matches(self, config: RunConfig) -> bool:
        """Whether `config` is this preset's configuration (on whatever data set)."""
        return self.apply(config) == config


PRESETS: dict[str, Preset] = {
    "quick": Preset(
        "quick", "Quick start",
        "the report's CNN with Adam and Glorot weights, 3 epochs on 10,000 images: about 96% "
        "test accuracy on MNIST after some 15 s of training",
        {"model": "cnn-keras", "optimizer": "adam", "initializer": "glorot_uniform",
         "batch_size": 64, "epochs": 3, "subset": 10_000},
    ),
    "report": Preset(
        "report", "Report (Task 1)",
        "the report's settings: mlp-keras, RMSprop (lr 0.001), ReLU, RandomUniform weights, "
        "batch 128, 10 epochs on all training images: a few minutes",
    ),
}
FIRST_RUN = "quick"  # what a Train page opened without a configuration starts from


def matching_preset(config: RunConfig) -> Preset | None:
    """The preset whose configuration `config` is, if any."""
    return next((preset for preset in PRESETS.values() if preset.matches(config)), None)


def config_from_link(params: Mapping[str, Any]) -> tuple[RunConfig, list[ConfigError]]:
    """The configuration a Train page link names, and what in it was ignored.

    Configuration fields (or a run) in the link: those fields over the declared defaults, as
    `config_from_query` reads them. Else `?preset=NAME`: that preset. Else the first-run preset.
    """
    names = set(registry.fields()) | {RUN_PARAM}
    if any(name in params for name in names):
        return config_from_query(params)
    errors: list[ConfigError] = []
    name = params.get(PRESET_PARAM, FIRST_RUN)
    if isinstance(name, list | tuple):
        name = name[-1] if name else FIRST_RUN
    if name not in PRESETS:
        errors.append(ConfigError(PRESET_PARAM, name, "choose one of: " + ", ".join(PRESETS)))
        name = FIRST_RUN
    return PRESETS[name].apply(), errors


def link_from_config(config: RunConfig) -> dict[str, str]:
    """The query parameters of a link to `config` (read back by `config_from_link`)."""
    query = query_from_config(config)
    if not query:  # the declared defaults are the report's settings
        return {PRESET_PARAM: "report"}
    return query
