"""bench/bench_network.py keeps working: a tiny run measures every step."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_network_benchmark_small_run():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_network.py"), "--triples", "3000"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for step in ("baseline: kg build's ties query", "project (asserted)", "project --actor",
                 "write graphml", "write gexf", "write csv", "write json"):
        assert step in out.stdout, step
    assert " 0 edges" not in out.stdout.split("project (asserted)")[1].splitlines()[0]
