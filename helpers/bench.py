"""A tiny benchmark harness: time things, print a table, write ``generated/bench/NAME.json``.

Used by ``benchmarks/bench_*.py`` (``make bench``); targets live in the
benchmarks, never in timed unit tests.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Callable

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


def report(name: str, rows: list[dict], notes: str = "") -> dict:
    """Print ``rows`` as a Markdown table and save them with the machine to ``generated/bench/NAME.json``."""
    columns = list(dict.fromkeys(key for row in rows for key in row))

    def fmt(value):
        if isinstance(value, float):
            return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)

    result = {"name": name, "date": time.strftime("%Y-%m-%d"), "machine": machine(), "rows": rows, "notes": notes}
    print(f"\n### {name} ({result['date']}, {result['machine']['cpus']} CPUs, {result['machine']['cpu']})")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(fmt(row.get(column, "")) for column in columns) + " |")
    if notes:
        print(f"\n{notes}")
    path = paths.generated("bench", f"{name}.json")
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
