"""Helpers for the graph tests: small documents written for these tests, and a CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kg.cli import cli

EPOCH = "1718000000"  # SOURCE_DATE_EPOCH for the tests: builds are reproducible

DOC_A = """---
title: Shells "and" <rockets> } # for the front
date: 2024-05-02
url: https://example.org/a?x=1&y=2
---
North Korea has supplied artillery shells to Russia.

Russia and China signed a defence agreement in Beijing.

Russia may send troops to Belarus.

China did not sanction Russia.
"""

DOC_B = """---
title: Second look
date: 2024-06-10
---
North Korea shipped munitions to Russia again, officials said.

The United States imposed sanctions on North Korea.
"""

DOC_C = """---
title: A third
date: 2024-07-01
---
Iran supplied drones to Russia.
"""


def write_corpus(folder: Path, docs: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (docs or {"a.md": DOC_A, "b.md": DOC_B, "c.md": DOC_C}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def kg(*args, env=None):
    """Run the kg CLI in-process; returns click's Result."""
    runner = CliRunner()
    merged = {"SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    return runner.invoke(cli, [str(a) for a in args], env=merged, catch_exceptions=False)


def export_bytes(store, fmt="nquads") -> bytes:
    import io

    from kg.export import export
    from kg.store import open_store

    st = open_store(str(store))
    try:
        buf = io.BytesIO()
        export(st, fmt, buf)
        return buf.getvalue()
    finally:
        st.close()


def rows(location, name, **params):
    """A saved query's result on the store at ``location`` as lists of lexical values."""
    from kg.query import run_saved
    from kg.store import open_store

    st = open_store(str(location))
    try:
        res = run_saved(st, name, params)
    finally:
        st.close()
    return [[None if t is None else t.value for t in row] for row in res.rows]


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# The query suite run against every store kind, with identical results expected.
SUITE = [
    ("allies-of", {"a": "Russia"}),
    ("evidence-for", {"a": "China", "b": "Russia"}),
    ("relation-timeline", {"a": "North Korea", "b": "Russia"}),
    ("strongest-ties", {}),
    ("who-supplies-whom", {}),
    ("actors", {}),
]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, seconds: float = 20.0, proc=None) -> None:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# For the network tests: symmetric relations stated in both directions, an undated document,
# and hostile text in a title, an evidence sentence (with a line break) and an actor's name.
DOC_D = """---
title: Undated note
---
China signed a trade agreement with Russia.

Belarus and Russia held talks in Minsk.

Russia held talks with Belarus again.
"""

DOC_E = """---
title: Evil "quoted" <script>alert(1)</script> & co
date: 2024-08-01
---
Iran supplied drones to Venezuela, "officials" said
<script>alert('x')</script> & more.

EvilCorp attacked Ukraine.
"""

HOSTILE_NAME = 'Evil "Corp" <b>&</b>\nLtd'
HOSTILE_TITLE = 'Evil "quoted" <script>alert(1)</script> & co'
HOSTILE_SENTENCE = "Iran supplied drones to Venezuela, \"officials\" said\n<script>alert('x')</script> & more."
HOSTILE_GAZETTEER = ('{"id": "evil-corp", "qid": null, "name": "Evil \\"Corp\\" <b>&</b>\\nLtd", '
                     '"type": "NonStateGroup", "aliases": ["EvilCorp"]}\n')


def build_network_store(base: Path, data: Path) -> Path:
    """data/corpus plus DOC_A..DOC_E (with the hostile actor's gazetteer) in base/store."""
    corpus = write_corpus(base / "corpus", {"a.md": DOC_A, "b.md": DOC_B, "c.md": DOC_C,
                                            "d.md": DOC_D, "e.md": DOC_E})
    gaz = base / "evil.jsonl"
    gaz.write_text(HOSTILE_GAZETTEER, encoding="utf-8")
    r = kg("build", corpus, data / "corpus", "--gazetteer", gaz, "--store", base / "store")
    assert r.exit_code == 0, r.output
    return base / "store"
