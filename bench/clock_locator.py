"""The learned clock locator against the rim finder, on clocks of makes neither trained on.

Not a test. Trains (or loads from the cache) the locator of `reproduce task3 --preset
any-clock --quick`'s model (`dlnn.clocks.locator`: its own pictures of the training makes),
then frames `--test` pictures of the held-out makes with it and with
`dlnn.clocks.framing.find_clock`, and prints for each how far the frames are from the
generator's own (centre error in dial radii, radius found / true, the share missed: centre off
by more than a quarter of the radius or radius by more than a fifth) and the milliseconds per
picture (the locator's: finding only, in batches; the finder's: finding and framing).

    python bench/clock_locator.py [--test 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--test", type=int, default=1000, help="held-out-make pictures")
    args = parser.parse_args()

    from dlnn.clocks import datasets, reproduce
    from dlnn.clocks.framing import frame_clocks
    from dlnn.clocks.locator import frame_errors, locate_clocks
    from dlnn.clocks.render import clock_placements, load_or_generate

    config = reproduce.class_setting(reproduce.ANY_CLOCK)
    style = datasets.picture_style(config)
    _, held_makes = datasets.makes_split(config)
    seed = config.seed + datasets.HELD_OUT_SEED + 1  # not the run's held-out set itself
    pictures, _ = load_or_generate(args.test, style, seed, held_makes)
    centres, radii, _ = clock_placements(args.test, style, seed)
    started = time.perf_counter()
    locator = datasets.run_locator(config)
    print(json.dumps({"locator": locator.report,
                      "load_or_train_seconds": round(time.perf_counter() - started, 1)}))
    rows = {}
    started = time.perf_counter()
    rows["learned locator, first look"] = locate_clocks(locator.model, pictures)
    seconds = {"learned locator, first look": time.perf_counter() - started}
    started = time.perf_counter()
    rows["learned locator"] = locator.locate(pictures)
    seconds["learned locator"] = time.perf_counter() - started
    started = time.perf_counter()
    rows["rim finder"] = frame_clocks(pictures)[1]
    seconds["rim finder"] = time.perf_counter() - started
    for name, frames in rows.items():
        print(json.dumps({"framing": name, "pictures": args.test, "side": style.size,
                          **frame_errors(frames, centres, radii),
                          "ms_per_picture": round(seconds[name] / args.test * 1000, 2)}))


if __name__ == "__main__":
    main()
