#!/usr/bin/env python3
"""kg's two quick-start commands, for a fresh machine with only Python 3.10+.

    python3 dev.py demo   # install kg into .venv, build the graph of the sample corpus, query it,
                          # write out/graph.ttl, out/graph.graphml and out/graph.html
    python3 dev.py test   # install kg with its test tools into .venv and run the test suite

Both create ``.venv`` next to this file on first use and reuse it afterwards. Extra arguments
after ``test`` go to pytest (``python3 dev.py test -k gazetteer``), after ``demo`` to ``kg build``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*cmd, **kw) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=kw.pop("cwd", ROOT), **kw)


def ensure_venv(extras: str = "") -> None:
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f".[{extras}]" if extras else "."
    code = run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", spec)
    if code:
        sys.exit(f"dev.py: installing kg into {VENV} failed (exit {code})")


def ensure_system_packages(packages: dict[str, str]) -> None:
    """Install Debian packages the tests need when their command (or, for a key that is an
    absolute path, that file) is missing (root, apt)."""
    def present(what: str) -> bool:
        return os.path.exists(what) if os.path.isabs(what) else shutil.which(what) is not None

    missing = [pkg for what, pkg in packages.items() if not present(what)]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"dev.py: not installing {', '.join(missing)} (needs root and apt-get); "
              "tests that need them will say so", flush=True)
        return
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def demo(args: list[str]) -> int:
    ensure_venv()
    kg = BIN / "kg"
    # Build the knowledge graph of the sample corpus into ./kg-store, ask it a saved query, and
    # write it out: RDF (Turtle), the actor network for Gephi (GraphML) and the HTML page.
    steps = [
        ["build", "data/corpus", "--store", "kg-store", *args],
        ["query", "--saved", "strongest-ties", "--store", "kg-store"],
        ["export", "--format", "turtle", "-o", "out/graph.ttl", "--store", "kg-store"],
        ["export", "--format", "graphml", "-o", "out/graph.graphml", "--store", "kg-store"],
        ["viz", "-o", "out/graph.html", "--store", "kg-store"],
    ]
    (ROOT / "out").mkdir(exist_ok=True)
    for step in steps:
        code = run(kg, *step)
        if code:
            return code
    print("wrote out/graph.ttl, out/graph.graphml and out/graph.html (open it in a browser)")
    return 0


def test(args: list[str]) -> int:
    ensure_venv("test")
    # System packages the suite needs: Virtuoso, one of the real SPARQL servers the remote-store
    # tests run against (the other, Oxigraph, comes from PyPI with the test extra); Chromium, the
    # browser the `kg viz` page is tested in (playwright drives it; no `playwright install`), and
    # a font for the text it draws.
    ensure_system_packages({
        "virtuoso-t": "virtuoso-opensource-7-bin",
        "/usr/bin/chromium": "chromium",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf": "fonts-dejavu-core",
    })
    code = run(PY, "-m", "pytest", *(args or ["-q"]))
    if code == 5:
        print("dev.py: pytest collected no tests", file=sys.stderr)
        return 1
    return code


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return {"demo": demo, "test": test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
