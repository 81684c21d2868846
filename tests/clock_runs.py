"""A tiny clock run configuration and a helper that trains it, shared by the clock tests."""

from __future__ import annotations

from collections.abc import Iterator

from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore

# 64 easy clocks of 48 pixels (51 train, 6 validation, 7 test) and a network of a few
# thousand weights: a run takes a few seconds.
TINY_CLOCKS = RunConfig(
    dataset="clocks-easy", model="clock-hands", clock_images=64, image_size=48,
    conv_blocks=3, conv_filters=8, convs_per_block=1, dense_units=16, epochs=2,
    batch_size=16, optimizer="adam", initializer="glorot_uniform",
)


def train_tiny_clock_run(config: RunConfig = TINY_CLOCKS) -> Run:
    """Train `config` in this process into the current run store; returns the finished run."""
    from dlnn import training

    run = RunStore().create(config)
    training.execute(run)
    return run


def tiny_clock_store(tmp_path_factory) -> Iterator[Run]:
    """Body of a module-scoped fixture: a cache folder holding one finished tiny clock run.

    The cache stays pointed at it (`DLNN_CACHE_DIR`) while the module's tests run.
    """
    import pytest

    from dlnn.clocks.render import clear_memory_cache

    cache = tmp_path_factory.mktemp("clock-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLNN_CACHE_DIR", str(cache))
        clear_memory_cache()
        yield train_tiny_clock_run()
    clear_memory_cache()
