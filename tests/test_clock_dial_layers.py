"""The dial reader's layers: registered under the names stored models refer to, and saved."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from dlnn.clocks.models import ClockOptions, build_clock_model
from dlnn.clocks.render import ClockStyle, render_clocks

keras = pytest.importorskip("keras")
dial_layers = pytest.importorskip("dlnn.clocks.dial_layers")

# what `.keras` files saved before the layers moved to `dial_layers` name them by
STORED_NAMES = ["dlnn>CircularPad", "dlnn>DialReadout", "dlnn>PolarSampling", "dlnn>TurnAndFlip"]


def test_layers_keep_their_registered_names() -> None:
    names = sorted(keras.saving.get_registered_name(layer)
                   for layer in dial_layers.LAYERS.values())
    assert names == STORED_NAMES
    for name in STORED_NAMES:
        assert keras.saving.get_registered_object(name) is dial_layers.LAYERS[name[len("dlnn>"):]]


def test_dial_model_with_augmentation_saves_and_reloads(tmp_path) -> None:
    keras.utils.set_random_seed(5)
    options = ClockOptions((32, 32, 1), conv_blocks=2, first_filters=4, dense_units=32,
                           augment=0.5)
    model = build_clock_model("clock-dial", options)
    path = tmp_path / "dial.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = archive.read("config.json").decode()
    assert all(f'"registered_name": "{name}"' in config for name in STORED_NAMES)
    again = keras.saving.load_model(path)
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in model.layers]
    image = render_clocks(np.array([4, 9]), np.array([20, 47]), ClockStyle(size=32), seed=0)
    x = (image.astype(np.float32) / 255.0)[..., None]
    maps = keras.Model(model.inputs, model.get_layer("maps").output).predict(x, verbose=0)
    maps_again = keras.Model(again.inputs, again.get_layer("maps").output).predict(x, verbose=0)
    assert maps.std() > 1e-3 and np.array_equal(maps, maps_again)
    outputs, outputs_again = model.predict(x, verbose=0), again.predict(x, verbose=0)
    for name in ("hour_hand", "minute_hand", "hand_gap"):
        assert np.array_equal(outputs[name], outputs_again[name])
