"""Run every ``benchmarks/bench_*.py`` (``make bench``), or the ones named on the command line."""

import runpy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for `python benchmarks/run.py`
from helpers.setup import quiet_native_logs  # noqa: E402

quiet_native_logs()  # before any benchmark imports TensorFlow: no native log line in `make bench`

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    if not scripts:
        known = ", ".join(s.stem.removeprefix("bench_") for s in sorted(HERE.glob("bench_*.py")))
        print(
            f"error: no benchmark matches {' '.join(names)}; choose from {known} (make bench BENCH=...)",
            file=sys.stderr,
        )
        return 2
    for script in scripts:
        start = time.perf_counter()
        print(f"== {script.name}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
        print(f"== {script.name} took {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
