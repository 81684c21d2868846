"""The images inside an `image_grid` figure, cut back out of its one mosaic trace."""

from __future__ import annotations

from typing import Any

import numpy as np


def grid_tiles(figure: Any, height: int, width: int) -> list[np.ndarray]:
    """Every tile of an `image_grid` figure (a Figure, or its spec with `z` decoded), in
    caption order.

    Each caption sits centred one row above its image, so the captions say where the tiles are.
    """
    if isinstance(figure, dict):
        z = figure["data"][0]["z"]
        notes = [(note["x"], note["y"]) for note in figure["layout"]["annotations"]]
    else:
        z, notes = figure.data[0].z, [(n.x, n.y) for n in figure.layout.annotations]
    mosaic = np.asarray(z, dtype=float)
    tiles = []
    for x, y in notes:
        top, left = int(round(y)) + 1, int(round(x - (width - 1) / 2))
        tiles.append(mosaic[top:top + height, left:left + width])
    return tiles
