"""The sweeps of the report (and a few more), as data: a field, its values, one line of help.

Figures 1-3 of the report are the `optimizers`, `activations` and `initializers` sweeps over
the four panels; the report also tried pooling, dropout, batch size and kernel size, and a
learning-rate sweep (log-spaced) and a sweep over the zoo's architectures help the
best-settings step. `named_sweep` turns one into a `dlnn.sweeps.Sweep` for a panel under a
protocol. A custom sweep is any field of the run configuration with any values
(`dlnn.sweeps.Axis.parse`).

Example:
    >>> from dlnn.hparams.protocols import PANELS, REPORT
    >>> sweep = named_sweep("optimizers", PANELS[0], REPORT)
    >>> len(sweep.members()), sweep.members()[3].config.effective_learning_rate
    (7, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dlnn.hparams.protocols import Panel, Protocol
from dlnn.sweeps import REPORT_SWEEPS, Axis, Sweep

MLP_MODELS = ("mlp-geron", "mlp-keras")
CNN_MODELS = ("cnn-keras", "cnn-fashion", "cnn-keras-example")
# Five rates log-spaced from 0.0001 to 0.01 (`Axis.spaced("learning_rate", 1e-4, 1e-2, 5)`).
LEARNING_RATES = (0.0001, 0.000316, 0.001, 0.00316, 0.01)


@dataclass(frozen=True)
class NamedSweep:
    """A sweep the lab offers by name.

    Attributes:
        name: `optimizers`, `dropout`, ...
        field: the `RunConfig` field it varies.
        values: the values, or a function of the panel giving them.
        help: one line: what the field does to training.
        figure: the report's figure it reproduces ("" for none).
        cnn_only: it changes nothing in an MLP (pooling, kernel size).
    """

    name: str
    field: str
    values: tuple[Any, ...] | Callable[[Panel], tuple[Any, ...]]
    help: str
    figure: str = ""
    cnn_only: bool = False

    def values_for(self, panel: Panel) -> tuple[Any, ...]:
        return self.values(panel) if callable(self.values) else self.values

    def applies(self, panel: Panel) -> bool:
        return panel.convolutional or not self.cnn_only

    @property
    def title(self) -> str:
        """`Figure 1: optimizers`, or the name alone."""
        return f"{self.figure}: {self.name}" if self.figure else self.name


def _architectures(panel: Panel) -> tuple[str, ...]:
    return CNN_MODELS if panel.convolutional else MLP_MODELS


NAMED_SWEEPS: dict[str, NamedSweep] = {sweep.name: sweep for sweep in (
    NamedSweep("optimizers", "optimizer", REPORT_SWEEPS["optimizer"],
               "how the weights follow the gradients; each at its own default learning rate "
               "(Adadelta at 1.0: Keras' 0.001 barely moves)", "Figure 1"),
    NamedSweep("activations", "activation", REPORT_SWEEPS["activation"],
               "the hidden layers' non-linearity; linear makes the network one linear map, "
               "exponential can overflow", "Figure 2"),
    NamedSweep("initializers", "initializer", REPORT_SWEEPS["initializer"],
               "the starting weights of every layer; zeros and ones leave all units equal, "
               "so they stay near chance", "Figure 3"),
    NamedSweep("pooling", "pooling", REPORT_SWEEPS["pooling"],
               "max keeps each 2x2 window's strongest response, average blurs it (the report "
               "kept max)", cnn_only=True),
    NamedSweep("dropout", "dropout", REPORT_SWEEPS["dropout"],
               "share of units silenced while training; fights overfitting, above 0.5 it "
               "starves the network (the report: 0.2)"),
    NamedSweep("batch_size", "batch_size", (32, 128, 512),
               "images per weight update: small batches take more, noisier steps per epoch "
               "and are slower per epoch"),
    NamedSweep("kernel_size", "kernel_size", (2, 3, 5, 7),
               "side of the convolution filters; larger ones see more at once but have more "
               "weights (the report kept 3)", cnn_only=True),
    NamedSweep("learning_rate", "learning_rate", LEARNING_RATES,
               "step size of RMSprop's updates, log-spaced from 0.0001 to 0.01: too small "
               "crawls, too large jumps about"),
    NamedSweep("models", "model", _architectures,
               "the zoo's architectures for this kind of panel (MLPs or CNNs), each with the "
               "report's defaults"),
)}
# The report's Figures 1-3, in order.
FIGURES: tuple[str, ...] = ("optimizers", "activations", "initializers")


def named_sweep(name: str, panel: Panel, protocol: Protocol, seeds: Sequence[int] = (),
                changes: Mapping[str, Any] | None = None) -> Sweep:
    """The named sweep for one panel under a protocol (`seeds`: repeat each member;
    `changes`: fields set on the base after the protocol, e.g. fewer epochs)."""
    entry = NAMED_SWEEPS[name]
    base = protocol.apply(panel.base()).replace(**(changes or {}))
    return Sweep(base, (Axis(entry.field, entry.values_for(panel)),), tuple(seeds))
