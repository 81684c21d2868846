"""How the Task 1 sweeps train: the report's protocol, a quick one for class, and the panels.

The report trained every sweep member for 10 epochs on the full training data (a tenth held
out for validation), scored it by validation accuracy and used no early stopping. The quick
protocol trains on a seeded 5,000-image subset for 3 epochs, so a whole sweep fits in a
lesson; its figures and tables say so. A panel is one model on one data set: the report drew
four (MLP and CNN on MNIST and on Fashion-MNIST), each starting from the report's defaults
(RMSprop at 0.001, ReLU, RandomUniform, dropout 0.2, batch 128), which are `RunConfig`'s
defaults.

Example:
    >>> QUICK.apply(PANELS[0].base()).subset
    5000
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlnn import registry
from dlnn.config import RunConfig

# Fields a best-settings variant sets, as (field, value) pairs (hashable, unlike a dict).
Variant = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Protocol:
    """How every member of a sweep trains, and how the best settings train afterwards.

    Attributes:
        name: `report` or `quick`.
        title: shown in selectors.
        epochs: epochs per sweep member.
        subset: training images (before the validation split); None means all 60,000.
        label: shown on every figure and table made under this protocol.
        best_epochs: the most epochs a best-settings run may take (early stopping ends it).
        best_patience: epochs without a better validation accuracy before it stops.
        best_subset: training images of the best-settings run (None: all).
        best_variants: the best settings train once per variant (each a few fields set:
            the learning-rate schedule) and the best validation accuracy picks the run.
        final_fit: the picked run is trained again on every training image (none held out)
            for the epochs validation found best, where its schedule needs no validation
            data; that run's test accuracy counts.
        final_seeds: the run that counts trains with this many seeds (its own, then the
            next ones) and their softmax outputs on the test set are averaged: the
            ensemble's test accuracy counts. 1: the one run counts.
    """

    name: str
    title: str
    epochs: int
    subset: int | None
    label: str
    best_epochs: int
    best_patience: int
    best_subset: int | None
    best_variants: tuple[Variant, ...] = ((),)
    final_fit: bool = False
    final_seeds: int = 1

    def apply(self, config: RunConfig) -> RunConfig:
        """`config` trained the way this protocol trains sweep members."""
        return config.replace(epochs=self.epochs, subset=self.subset, early_stopping=False)

    def describe(self, config: RunConfig) -> str:
        """The label of a sweep whose members train like `config` (a member of it): the
        protocol's own label, or what was changed from it."""
        if config == self.apply(config):
            return self.label
        total = config.subset or _train_images(config)
        train = total - round(total * config.validation_fraction) if total else None
        images = f"{train:,} training images" if train else "all training images"
        stopping = "early stopping" if config.early_stopping else "no early stopping"
        prefix = "QUICK protocol (class demo), changed" if self.name == "quick" else \
            "report protocol, changed"
        return f"{prefix}: {images}, {config.epochs} epochs, {stopping}"


REPORT = Protocol(
    "report", "Report: full data, 10 epochs", epochs=10, subset=None,
    label="report protocol: 54,000 training images, 10 epochs, no early stopping",
    best_epochs=40, best_patience=5, best_subset=None, best_variants=(
        (("reduce_lr", True),), (("reduce_lr", False),),
        # Cosine decay gains in its last, low-rate epochs: it runs all 40 (patience 40 never
        # stops it) and the best epoch's weights are kept.
        (("lr_schedule", "cosine"), ("patience", 40))),
    final_fit=True, final_seeds=3,
)
QUICK = Protocol(
    "quick", "Quick: 5,000 images, 3 epochs (class demo)", epochs=3, subset=5000,
    label="QUICK protocol (class demo): 4,500 training images, 3 epochs - not the report's "
          "numbers",
    best_epochs=10, best_patience=3, best_subset=5000,
)
PROTOCOLS: dict[str, Protocol] = {protocol.name: protocol for protocol in (REPORT, QUICK)}


@dataclass(frozen=True)
class Panel:
    """One model on one data set: a panel of the report's figures."""

    model: str
    dataset: str

    @property
    def title(self) -> str:
        """`MLP · MNIST (mlp-keras)`."""
        kind = "CNN" if self.convolutional else "MLP"
        data = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(self.dataset,
                                                                        self.dataset)
        return f"{kind} · {data} ({self.model})"

    @property
    def convolutional(self) -> bool:
        """Whether the model convolves (kernel size and pooling change it)."""
        return bool(registry.models()[self.model].channels)

    @property
    def name(self) -> str:
        """`mlp-keras/mnist`: how the CLI and URLs name a panel."""
        return f"{self.model}/{self.dataset}"

    def base(self) -> RunConfig:
        """The report's defaults for this model and data set."""
        return RunConfig(dataset=self.dataset, model=self.model)


def _train_images(config: RunConfig) -> int | None:
    entry = registry.datasets().get(config.dataset)
    return None if entry is None or entry.train_images is None else entry.train_images(config)


# The report's four panels, in the order of its figures (a, b, c, d).
PANELS: tuple[Panel, ...] = (
    Panel("mlp-keras", "mnist"),
    Panel("cnn-keras", "mnist"),
    Panel("mlp-keras", "fashion-mnist"),
    Panel("cnn-fashion", "fashion-mnist"),
)
