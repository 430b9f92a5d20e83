"""The wheel carries the ontology, gazetteer and patterns, and kg finds them when installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_contains_data_and_runs_from_it(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("kg-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("kg/ontology/kg.ttl", "kg/ontology/shapes.ttl", "kg/ontology/actors/states.jsonl",
                   "kg/ontology/actors/leaders.jsonl", "kg/ontology/patterns/relations.jsonl",
                   "kg/ontology/patterns/cues.jsonl", "kg/cli.py", "kg/queries/allies-of.rq",
                   "kg/templates/viz.html", "kg/templates/viz.js", "kg/templates/viz-style.json"):
        assert needed in names, needed
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", "import kg.resources as r; print(r.ontology_dir())"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )
    assert out.stdout.strip() == str(target / "kg" / "ontology")
    out = subprocess.run([sys.executable, "-m", "kg", "check"], capture_output=True, text=True,
                         env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
    # kg viz's template, script and style file come from the wheel too
    page = tmp_path / "page.html"
    out = subprocess.run(
        [sys.executable, "-c", "import sys, networkx, kg.viz as v; "
         "print(v.TEMPLATE_FILE); v.write_html(networkx.MultiDiGraph(), sys.argv[1])", str(page)],
        capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(target / "kg" / "templates" / "viz.html")
    assert "new vis.Network" in page.read_text(encoding="utf-8")
