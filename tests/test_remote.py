"""--store http://...: the same build and query suite against a real Oxigraph server.

The server is the ``oxigraph`` command of the ``oxigraph`` package from PyPI (a test extra),
started on a free loopback port for this module; the tests skip if it is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from graph_support import DOC_B, SUITE, export_bytes, free_port, kg, rows, wait_for_http, write_corpus


def _oxigraph_binary() -> str | None:
    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.is_file() else shutil.which("oxigraph")


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server is not installed (pip install 'oxigraph>=0.5.13,<0.6')")
    data = tmp_path_factory.mktemp("oxigraph-data")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(data), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/query?" + urllib.parse.urlencode({"query": "ASK {}"}), proc=proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def both(oxigraph_server, tmp_path_factory):
    base = tmp_path_factory.mktemp("remote")
    corpus = write_corpus(base / "corpus")
    embedded = base / "store"
    r1 = kg("build", corpus, "--store", embedded)
    r2 = kg("build", corpus, "--store", oxigraph_server)
    assert r1.exit_code == 0 and r2.exit_code == 0, r2.output
    assert "3 added" in r2.output
    return corpus, embedded, oxigraph_server


@pytest.mark.parametrize("name,params", SUITE, ids=[s[0] for s in SUITE])
def test_same_answers_as_embedded(both, name, params):
    _corpus, embedded, url = both
    local = rows(embedded, name, **params)
    assert local, name
    assert rows(url, name, **params) == local


def test_same_export_as_embedded(both):
    _corpus, embedded, url = both
    for fmt in ("nquads", "turtle"):
        assert export_bytes(url, fmt) == export_bytes(embedded, fmt)


def test_remote_build_is_idempotent_and_replaces_changed_documents(both):
    corpus, embedded, url = both
    r = kg("build", corpus, "--store", url)
    assert "0 added, 0 replaced, 3 unchanged" in r.output
    (corpus / "b.md").write_text(DOC_B.replace("North Korea shipped", "Iran shipped"))
    try:
        assert "1 replaced, 2 unchanged" in kg("build", corpus, "--store", url).output
        assert "1 replaced, 2 unchanged" in kg("build", corpus, "--store", embedded).output
        assert rows(url, "strongest-ties") == rows(embedded, "strongest-ties")
    finally:
        (corpus / "b.md").write_text(DOC_B)
        kg("build", corpus, "--store", url)
        kg("build", corpus, "--store", embedded)
    assert export_bytes(url) == export_bytes(embedded)


def test_validate_remote(both):
    _corpus, _embedded, url = both
    r = kg("validate", "--store", url)
    assert r.exit_code == 0 and r.output.startswith("conforms:")


def test_malformed_query_on_remote_is_exit_2(both):
    r = kg("query", "SELECT * WHERE {", "--store", both[2])
    assert r.exit_code == 2 and r.output.startswith("Error: query:1:")


def test_unreachable_server_fails_clearly_after_bounded_retries(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    corpus = write_corpus(tmp_path / "corpus")
    start = time.monotonic()
    r = kg("build", corpus, "--store", url)
    assert r.exit_code == 1
    assert "unreachable after 3 attempts" in r.output and "Traceback" not in r.output
    assert "added" not in r.output  # nothing reported as done
    assert time.monotonic() - start < 15
