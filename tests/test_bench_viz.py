"""bench/bench_viz.py keeps working: a tiny run in both page modes, drawn when Chromium is here."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def test_viz_benchmark_small_run():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_viz.py"), "--sizes", "40,80",
                          "--large-threshold", "60", "--repeat", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr + out.stdout
    lines = out.stdout.splitlines()
    rows = [line.split() for line in lines if line.strip() and line.split()[0] in ("40", "80")]
    assert [r[2] for r in rows] == ["small", "large"]
    assert all(float(r[3]) > 0 and float(r[4]) > 0 for r in rows)   # kg write time, size
    drawn = "yes" if os.path.exists("/usr/bin/chromium") else "no (no browser)"
    assert f"pages drawn: {drawn}" in lines
