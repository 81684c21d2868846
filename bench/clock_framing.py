"""How well `dlnn.clocks.framing.find_clock` finds moved and scaled clocks, and how fast.

Not a test. Two parts:

- placed (default): for 40 generated clocks per preset and size (their own shift and size
  jitter off), each is placed at a random centre up to 15% of the side off the middle and
  scaled 50-100% (`place_clock`), then found again;
- `--any-clock N`: N clocks of the `any-clock` preset (48 makes, dark faces, bezels, tilts up
  to 50 degrees, off centre by up to 15%, 50-100% across) at each `--sizes`, found against
  the generator's own placement (`render.clock_placements`), overall and by kind of clock;
  the milliseconds are those of `framing.frame_clocks` on the whole set.

Prints the found radius over the true one (median, 5th and 95th percentile), the centre error
in dial radii (median, 95th percentile, largest), how many were not found, and the
milliseconds per picture (find + frame).

    python bench/clock_framing.py [--any-clock 2000 --sizes 64 96]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dlnn.clocks import framing  # noqa: E402
from dlnn.clocks.render import (  # noqa: E402
    PRESETS,
    clock_placements,
    generate_clocks,
    make_ids,
    make_pool,
)


def summary(ratios: np.ndarray, errors: np.ndarray, missed: int) -> str:
    """One line of radius ratios and centre errors."""
    low, high = np.quantile(ratios, [0.05, 0.95])
    return (f"radius found/true {np.median(ratios):.3f} ({low:.3f}-{high:.3f})  "
            f"centre error / radius {np.median(errors):.3f} "
            f"(p95 {np.quantile(errors, 0.95):.3f}, max {max(errors):.3f})  "
            f"not found {missed}/{len(ratios)}")


def placed(sizes: list[int]) -> None:
    rng = np.random.default_rng(0)
    for preset in ("easy", "course-like"):
        for size in sizes:
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
            found = summary(np.array(ratios), np.array(errors), missed)
            print(f"{preset:<12} {size:>3} px  {found}  {seconds / 40 * 1000:.1f} ms each")


def any_clock(n: int, sizes: list[int], seed: int = 11) -> None:
    for size in sizes:
        style = dataclasses.replace(PRESETS["any-clock"], size=size)
        images, _ = generate_clocks(n, style, seed)
        centres, radii, tilts = clock_placements(n, style, seed)
        pool = make_pool(style)
        makes = [pool[make] for make in make_ids(n, style, seed)]
        started = time.perf_counter()
        _, frames = framing.frame_clocks(images)
        milliseconds = (time.perf_counter() - started) / n * 1000
        ratios = frames[:, 2] / radii
        errors = np.hypot(frames[:, 0] - centres[:, 0], frames[:, 1] - centres[:, 1]) / radii
        missed = frames[:, 3] == 0
        # how far the clock's rim reaches past the picture's edge, in dial radii
        outer = radii * np.array([1 + make.bezel for make in makes])
        reach = np.maximum.reduce([outer - centres[:, 0], centres[:, 0] + outer - (size - 1),
                                   outer - centres[:, 1], centres[:, 1] + outer - (size - 1)])
        groups = {
            "all": np.ones(n, bool),
            "dark face": np.array([make.face_grey < 128 for make in makes]),
            "light face": np.array([make.face_grey >= 128 for make in makes]),
            "rim close to face (< 40 grey)": np.array(
                [abs(make.rim_grey - make.face_grey) < 40 for make in makes]),
            "wide bezel (> 0.12 radii)": np.array([make.bezel > 0.12 for make in makes]),
            "tilt < 25 deg": tilts < 25,
            "tilt >= 35 deg": tilts >= 35,
            "small (radius < 0.3 side)": radii < 0.3 * size,
            "rim cut by the edge": reach > 0,
        }
        print(f"any-clock {size} px, {n} clocks, frame_clocks {milliseconds:.2f} ms each")
        for name, chosen in groups.items():
            print(f"  {name:<30} n={chosen.sum():>5}  "
                  f"{summary(ratios[chosen], errors[chosen], int(missed[chosen].sum()))}  "
                  f"missed (centre > 0.25 r or radius off > 20%) "
                  f"{np.mean((errors[chosen] > 0.25) | (abs(ratios[chosen] - 1) > 0.2)):.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--any-clock", type=int, default=0, metavar="N",
                        help="measure on N any-clock clocks instead of placed ones")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    args = parser.parse_args()
    if args.any_clock:
        any_clock(args.any_clock, args.sizes or [64])
    else:
        placed(args.sizes or [64, 96, 150])


if __name__ == "__main__":
    main()
