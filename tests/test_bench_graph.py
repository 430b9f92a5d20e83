"""bench/bench_graph.py keeps working: a tiny run gives the same answers on both sides."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_graph_benchmark_small_run():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_graph.py"), "--triples", "3000"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "same query answers: yes" in out.stdout
    assert "Turtle export (s)" in out.stdout and "peak RSS (MB)" in out.stdout
