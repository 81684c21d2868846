"""Benchmark clock generation: images per second for each preset, and cache reload times.

Run from the repository root:

    python bench/clock_generation.py            # 18,000 images of 150x150 per preset
    python bench/clock_generation.py --n 2000 --presets easy course-like

Target (issue 4): 18,000 `course-like` images in at most 10 s on a 2-core machine, and a cached
set back in well under a second. `any-clock` (issue 13) draws one template bank per make of its
pool: "bank s" is all of them. Times are cold: they include drawing the style's template
bank and the background planes, as a first call in a fresh process would.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlnn.clocks import render  # noqa: E402


def _cold() -> None:
    """Forget every in-process cache so the next call pays for its banks."""
    render._template_bank.cache_clear()
    render._plane_banks.cache_clear()
    render.make_pool.cache_clear()
    render.clear_memory_cache()


def bench_preset(name: str, n: int, seed: int) -> dict[str, float]:
    """Seconds to draw the template bank, and to generate n images cold."""
    _cold()
    style = render.PRESETS[name]
    start = time.perf_counter()
    # A preset with a pool of makes draws one bank per make.
    for make in render.make_pool(style) if style.makes else (style,):
        render._template_bank(render._dial_only(make))
    bank_seconds = time.perf_counter() - start
    _cold()
    start, cpu = time.perf_counter(), time.process_time()
    render.generate_clocks(n, name, seed)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"bank_s": bank_seconds, "seconds": seconds, "cpu_s": cpu, "images_per_s": n / seconds}


def bench_cache(name: str, n: int, seed: int) -> dict[str, float]:
    """Seconds to generate and store a set, reload it from its file, and from memory."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DLNN_CACHE_DIR"] = folder
        _cold()
        start = time.perf_counter()
        render.load_or_generate(n, name, seed)
        first = time.perf_counter() - start
        render.clear_memory_cache()
        start = time.perf_counter()
        render.load_or_generate(n, name, seed)
        from_file = time.perf_counter() - start
        start = time.perf_counter()
        render.load_or_generate(n, name, seed)
        from_memory = time.perf_counter() - start
        size_mb = render.cache_path(n, name, seed).stat().st_size / 1e6
        _cold()
    return {"first_s": first, "file_s": from_file, "memory_s": from_memory, "file_mb": size_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=18_000, help="images per preset")
    parser.add_argument("--presets", nargs="+", default=list(render.PRESETS), help="presets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cache", action="store_true", help="skip the cache reload check")
    args = parser.parse_args()

    # CPU seconds next to wall seconds: on a shared machine the wall clock also counts waiting.
    header = ("preset", "images", "seconds", "cpu s", "images/s", "bank s")
    print("{:12s} {:>7s} {:>8s} {:>6s} {:>9s} {:>7s}".format(*header))
    for name in args.presets:
        result = bench_preset(name, args.n, args.seed)
        print(
            f"{name:12s} {args.n:7d} {result['seconds']:8.2f} {result['cpu_s']:6.2f} "
            f"{result['images_per_s']:9.0f} "
            f"{result['bank_s']:7.2f}"
        )
    if not args.no_cache:
        name = "course-like" if "course-like" in args.presets else args.presets[0]
        cache = bench_cache(name, args.n, args.seed)
        print(
            f"cache ({name}, {args.n} images, {cache['file_mb']:.0f} MB): generate and store "
            f"{cache['first_s']:.2f} s, reload from file {cache['file_s']:.2f} s, "
            f"from memory {cache['memory_s'] * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
