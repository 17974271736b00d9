"""The benchmark harness (``make bench``): tables, saved results and the machine's speed at the time."""

import json

from helpers import bench, paths


def test_machine_speed_measures_both_probes():
    speed = bench.machine_speed(repeat=3)
    assert set(speed) == {"matmul_gflops", "python_msteps"}
    assert all(isinstance(v, float) and v > 0 for v in speed.values()), speed


def test_report_prints_the_table_and_saves_the_speed(capsys):
    name = "harness_selftest"
    try:
        result = bench.report(name, [{"measure": "a", "value": 1234.5}, {"measure": "b", "value": 0.25}], notes="n")
        out = capsys.readouterr().out
        assert f"### {name} (" in out and "GFLOP/s" in out and "M steps/s" in out
        assert "| measure | value |" in out and "| a | 1,234 |" in out and "| b | 0.25 |" in out
        saved = json.loads(paths.generated("bench", f"{name}.json").read_text())
        assert saved["rows"] == result["rows"] and saved["machine"]["speed"]["matmul_gflops"] > 0
    finally:
        paths.generated("bench", f"{name}.json").unlink(missing_ok=True)
