"""How well `dlnn.clocks.framing.find_clock` finds moved and scaled clocks, and how fast.

Not a test: for 40 generated clocks per preset and size (their own shift and size jitter off),
each is placed at a random centre up to 15% of the side off the middle and scaled 50-100%
(`place_clock`), then found again. Prints the found radius over the true one (median, 5th and
95th percentile), the centre error in dial radii (median, 95th percentile, largest), how many
were not found, and the milliseconds per `frame_clock`.

    python bench/clock_framing.py
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dlnn.clocks import framing  # noqa: E402
from dlnn.clocks.render import PRESETS, generate_clocks  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    for preset in ("easy", "course-like"):
        for size in (64, 96, 150):
            style = dataclasses.replace(PRESETS[preset], size=size, shift=0, scale_jitter=0)
            images, _ = generate_clocks(40, style, seed=3)
            ratios, errors, missed, seconds = [], [], 0, 0.0
            for image in images:
                scale = rng.uniform(0.5, 1.0)
                x, y = (size - 1) / 2 + rng.uniform(-0.15, 0.15, 2) * size
                picture = framing.place_clock(image, size, (x, y), scale)
                started = time.perf_counter()
                frame = framing.find_clock(picture)
                framing.frame_clock(picture, size, frame)
                seconds += time.perf_counter() - started
                radius = framing.CANONICAL_RADIUS * size * scale
                missed += not frame.found
                ratios.append(frame.radius / radius)
                errors.append(np.hypot(frame.x - x, frame.y - y) / radius)
            low, high = np.quantile(ratios, [0.05, 0.95])
            print(f"{preset:<12} {size:>3} px  radius found/true {np.median(ratios):.3f} "
                  f"({low:.3f}-{high:.3f})  centre error / radius {np.median(errors):.3f} "
                  f"(p95 {np.quantile(errors, 0.95):.3f}, max {max(errors):.3f})  "
                  f"not found {missed}/40  {seconds / 40 * 1000:.1f} ms each")


if __name__ == "__main__":
    main()
