"""A tiny benchmark harness: time things, print a table, write ``generated/bench/NAME.json``.

Used by ``benchmarks/bench_*.py`` (``make bench``); targets live in the
benchmarks, never in timed unit tests.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Callable

import numpy as np

from . import paths
from .model_card import machine


def timeit(function: Callable[[], object], repeat: int = 5, warmup: int = 1) -> dict:
    """Run ``function`` ``warmup`` + ``repeat`` times; return best, median and all seconds."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return {"best_s": min(times), "median_s": statistics.median(times), "runs_s": times}


def machine_speed(repeat: int = 20) -> dict:
    """How fast this machine is right now, in two fixed probes that take about a tenth of a second: NumPy's float32
    matrix product (512 x 512, BLAS on every core: ``matmul_gflops``) and a plain Python loop (``python_msteps``,
    millions of steps a second). The same code timed on the same kind of VM moves by a third from hour to hour
    (``benchmarks/README.md``); these two numbers, printed with every table, say whether a run got a slow hour."""
    a = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)
    a @ a  # the first product starts BLAS's threads
    best = min(timeit(lambda: a @ a, repeat=repeat, warmup=0)["runs_s"])

    def loop(n: int = 1_000_000) -> int:
        total = 0
        for i in range(n):
            total += i & 7
        return total

    steps = min(timeit(loop, repeat=3, warmup=0)["runs_s"])
    return {"matmul_gflops": round(2 * 512**3 / best / 1e9, 1), "python_msteps": round(1.0 / steps, 1)}


def report(name: str, rows: list[dict], notes: str = "") -> dict:
    """Print ``rows`` as a Markdown table and save them with the machine (and its speed at the time,
    :func:`machine_speed`) to ``generated/bench/NAME.json``."""
    columns = list(dict.fromkeys(key for row in rows for key in row))

    def fmt(value):
        if isinstance(value, float):
            return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)

    result = {"name": name, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "rows": rows, "notes": notes}
    result["machine"]["speed"] = speed = machine_speed()
    print(
        f"\n### {name} ({result['date']}, {result['machine']['cpus']} CPUs, {result['machine']['cpu']}; "
        f"speed now: float32 matmul {speed['matmul_gflops']:g} GFLOP/s, Python {speed['python_msteps']:g}M steps/s)"
    )
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(fmt(row.get(column, "")) for column in columns) + " |")
    if notes:
        print(f"\n{notes}")
    path = paths.generated("bench", f"{name}.json")
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
