"""Scale-out inputs and runs: HTML pages, directory walks, progress and summary, Dask."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, ROOT
from kg.cli import cli
from kg.documents import iter_documents, read_file

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Leaders meet in Hiroshima | The Daily Example</title>
<link rel="canonical" href="https://news.example.org/2023/05/leaders-meet">
<meta property="og:title" content="Leaders meet in Hiroshima">
<meta property="article:published_time" content="{date}T08:00:00Z">
</head><body>
<header><nav><ul>
  <li><a href="/">Home</a></li><li><a href="/world">World</a></li>
  <li><a href="/x">Russia sanctions Canada in our menu</a></li>
</ul></nav></header>
<main><article>
<h1>Leaders meet in Hiroshima</h1>
<p>Biden met Kishida in Hiroshima on Saturday, and the two leaders spent the afternoon on the
war, on trade and on the summit's closing statement, aides said afterwards.</p>
<p>Germany supplied artillery shells to Ukraine last month, officials in Berlin said, adding
that more deliveries would follow before the winter set in along the front.</p>
</article></main>
<aside><p>Most read: Iran attacked Israel, says a teaser for another story on this site.</p></aside>
<footer><p>Copyright 2023 The Daily Example. Chile condemned Peru in this footer.</p>
<a href="/about">About us</a> <a href="/privacy">Privacy</a></footer>
</body></html>
"""

NAV_ONLY = """<!DOCTYPE html><html><head><title>Site index</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav></header>
<footer><p>Copyright 2023.</p><a href="/about">About us</a></footer>
</body></html>
"""


@pytest.fixture()
def runner():
    return CliRunner()


def rows(output: str) -> list[dict]:
    return [json.loads(x) for x in output.splitlines() if x.startswith("{")]


# -- HTML ---------------------------------------------------------------------------------------
def test_html_main_text_kept_boilerplate_dropped_and_metadata_read(tmp_path):
    page = tmp_path / "leaders.html"
    page.write_text(ARTICLE.format(date="2023-05-20"), encoding="utf-8")
    doc = read_file(str(page))
    assert "Germany supplied artillery shells to Ukraine" in doc.text
    assert "Biden met Kishida" in doc.text
    for boilerplate in ("Home", "our menu", "Most read", "Copyright", "About us", "<p>"):
        assert boilerplate not in doc.text
    assert doc.title == "Leaders meet in Hiroshima"
    assert doc.text.startswith("Leaders meet in Hiroshima\n\n")
    assert str(doc.date) == "2023-05-20"
    assert doc.url == "https://news.example.org/2023/05/leaders-meet"


def test_html_offsets_index_the_extracted_text_and_the_page_date_picks_the_leader(runner, tmp_path):
    page = tmp_path / "leaders.htm"
    page.write_text(ARTICLE.format(date="2023-05-20"), encoding="utf-8")
    result = runner.invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    found = rows(result.output)
    text = read_file(str(page)).text
    for r in found:
        assert text[r["start"] : r["end"]] == r["evidence"]
    triples = {(r["subject"], r["relation"], r["object"]) for r in found}
    assert ("Germany", "suppliesMunitionsTo", "Ukraine") in triples
    assert ("United States", "meetsWith", "Japan") in triples  # Biden in office on 2023-05-20
    assert not any(r["subject"] in ("Russia", "Iran", "Chile") for r in found)  # nav, aside, footer
    # The same page dated 2026: Biden no longer stands for the United States.
    page.write_text(ARTICLE.format(date="2026-05-20"), encoding="utf-8")
    later = rows(runner.invoke(cli, ["extract", str(page)]).output)
    assert ("Germany", "suppliesMunitionsTo", "Ukraine") in {(r["subject"], r["relation"], r["object"]) for r in later}
    assert not any("United States" in (r["subject"], r["object"]) for r in later)


def test_html_build_stores_the_page_metadata(runner, tmp_path):
    from graph_support import kg

    page = tmp_path / "leaders.html"
    page.write_text(ARTICLE.format(date="2023-05-20"), encoding="utf-8")
    store = tmp_path / "store"
    assert kg("build", page, "--store", store).exit_code == 0
    q = ("PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?t ?d ?s WHERE "
         "{ ?doc dcterms:title ?t ; dcterms:date ?d ; dcterms:source ?s }")
    out = kg("query", q, "--store", store, "--format", "csv").output
    assert "Leaders meet in Hiroshima,2023-05-20,https://news.example.org/2023/05/leaders-meet" in out


def test_html_without_article_text_is_one_clear_line(runner, tmp_path):
    page = tmp_path / "index.html"
    page.write_text(NAV_ONLY, encoding="utf-8")
    result = runner.invoke(cli, ["extract", str(page)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {page}: no article text found in this HTML page (only navigation or "
        "boilerplate); save the article's text as .txt instead")
    # Among other inputs it is skipped and listed; the good page is still read.
    good = tmp_path / "good.html"
    good.write_text(ARTICLE.format(date="2023-05-20"), encoding="utf-8")
    result = runner.invoke(cli, ["extract", str(page), str(good)])
    assert result.exit_code == 1
    assert rows(result.output) and f"skipped: {page}: no article text" in result.output


def test_binary_html_is_refused(runner, tmp_path):
    page = tmp_path / "x.html"
    page.write_bytes(b"<html>\x00\x01\x02</html>")
    result = runner.invoke(cli, ["extract", str(page)])
    assert result.exit_code == 1 and "looks binary" in result.output and "Traceback" not in result.output


# -- directory walks ----------------------------------------------------------------------------
def test_directory_walk_takes_every_input_kind_in_a_fixed_order(runner, tmp_path):
    top = tmp_path / "in"
    (top / "b" / "deep").mkdir(parents=True)
    (top / "a").mkdir()
    (top / ".hidden").mkdir()
    (top / "z.txt").write_text("Iran supplied drones to Russia.\n", encoding="utf-8")
    (top / "a" / "page.html").write_text(ARTICLE.format(date="2023-05-20"), encoding="utf-8")
    (top / "a" / "notes.md").write_text("---\nid: md1\n---\nRussia attacked Ukraine.\n", encoding="utf-8")
    (top / "b" / "wire.jsonl").write_text(
        json.dumps({"id": "j1", "text": "China threatened Taiwan."}) + "\n"
        + json.dumps({"id": "j2", "text": "India met Brazil."}) + "\n", encoding="utf-8")
    with gzip.open(top / "b" / "deep" / "more.ndjson.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "n1", "text": "Poland condemned Belarus."}) + "\n")
    (top / "b" / "old.htm").write_text(ARTICLE.format(date="2023-05-20"), encoding="utf-8")
    (top / ".hidden" / "secret.txt").write_text("Chile attacked Peru.\n", encoding="utf-8")
    (top / ".dot.txt").write_text("Chile attacked Peru.\n", encoding="utf-8")
    (top / "data.csv").write_text("Chile attacked Peru.\n", encoding="utf-8")
    ids = [d.id for d in iter_documents([str(top)])]
    assert ids == [str(top / "z.txt"), str(top / "a" / "notes.md"), str(top / "a" / "page.html"),
                   str(top / "b" / "old.htm"), "j1", "j2", "n1"]
    assert ids == [d.id for d in iter_documents([str(top)])]  # the same again
    result = runner.invoke(cli, ["extract", str(top)])
    assert result.exit_code == 0, result.output
    assert "Chile" not in result.output and "Peru" not in result.output
    assert {"j1", "n1", str(top / "a" / "page.html")} <= {r["doc"] for r in rows(result.output)}


# -- progress and summary -----------------------------------------------------------------------
def _corpus(tmp_path: Path, n: int = 6) -> Path:
    f = tmp_path / "wire.jsonl"
    f.write_text("".join(json.dumps({"id": f"d{i}", "date": "2024-03-01",
                                     "text": f"Iran supplied drones to Russia. Wave {i}."}) + "\n"
                         for i in range(n)) + "{broken\n", encoding="utf-8")
    return f


def test_build_prints_a_summary_on_stderr_and_no_bar_off_a_terminal(tmp_path):
    corpus = _corpus(tmp_path)
    out = subprocess.run([sys.executable, "-m", "kg", "build", str(corpus), "--store", str(tmp_path / "s")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1  # one line was skipped
    summary = [x for x in out.stderr.splitlines() if x.startswith("summary:")]
    assert len(summary) == 1, out.stderr
    assert summary[0].startswith("summary: 6 document(s), 12 sentence(s) extracted, 2 actor(s), "
                                 "6 relation(s), 1 skipped input(s), ")
    assert summary[0].endswith(" s")
    assert "summary:" not in out.stdout and "6 document(s): 6 added" in out.stdout
    assert "\r" not in out.stderr and "doc/s" not in out.stderr


def _with_terminal_stderr(args: list[str]) -> tuple[int, str, str]:
    """Run kg with stderr on a pseudo-terminal; returns (exit code, stdout, what the terminal got)."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 120 columns
    proc = subprocess.Popen([sys.executable, "-m", "kg", *args], stdout=subprocess.PIPE,
                            stderr=follower, text=True)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, stdout, seen.decode("utf-8", "replace")


def test_progress_bar_drawn_on_a_terminal(tmp_path):
    corpus = _corpus(tmp_path)
    code, stdout, term = _with_terminal_stderr(["build", str(corpus), "--store", str(tmp_path / "s")])
    assert code == 1 and "6 document(s): 6 added" in stdout
    assert "7/7" in term and "doc/s" in term  # 6 documents and the bad line, with the rate
    assert "summary: 6 document(s)" in term
    code, stdout, term = _with_terminal_stderr(["extract", str(corpus), "-o", str(tmp_path / "out.jsonl")])
    assert code == 1 and "7/7" in term and "doc/s" in term
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 6
    # Relations on stdout: no bar, whatever stderr is.
    code, stdout, term = _with_terminal_stderr(["extract", str(corpus)])
    assert len(stdout.splitlines()) == 6 and "doc/s" not in term


def test_build_reads_jsonl_fields_by_name(runner, tmp_path):
    from graph_support import kg

    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps({"uid": "x1", "body": "Iran supplied drones to Russia.", "day": "2024-02-02"}) + "\n",
                 encoding="utf-8")
    r = kg("build", f, "--store", tmp_path / "s", "--text-field", "body", "--id-field", "uid",
           "--date-field", "day")
    assert r.exit_code == 0, r.output
    out = kg("query", "PREFIX kg: <https://w3id.org/kgia/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
             "SELECT ?id ?d WHERE { ?doc kg:documentId ?id ; dcterms:date ?d }",
             "--store", tmp_path / "s", "--format", "csv").output
    assert "x1,2024-02-02" in out


# -- Dask ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="the test extra installs dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  scheduler_kwargs={"dashboard": False}, silence_logs=40) as c:
        yield c


def _export(runner, store) -> bytes:
    out = store.parent / (store.name + ".nq")
    assert runner.invoke(cli, ["export", "--format", "nquads", "--store", str(store), "-o", str(out)]).exit_code == 0
    return out.read_bytes()


def test_dask_build_gives_the_same_graph_as_one_process(runner, tmp_path, monkeypatch, cluster):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    # A user gazetteer has to reach the workers too: a group only it knows.
    gaz = tmp_path / "mine.jsonl"
    gaz.write_text(json.dumps({"id": "blue-hand", "qid": None, "name": "Blue Hand", "type": "NonStateGroup"}) + "\n", encoding="utf-8")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "x.md").write_text("---\ndate: 2024-04-04\n---\nThe Blue Hand attacked Ukraine.\n", encoding="utf-8")
    dumps = []
    for n, how in enumerate((["--workers", "1"], ["--dask", cluster.scheduler_address])):
        store = tmp_path / f"store{n}"
        result = runner.invoke(cli, ["build", str(DATA / "corpus"), str(extra), "--store", str(store),
                                     "--gazetteer", str(gaz), *how])
        assert result.exit_code == 0, result.output
        assert "25 document(s): 25 added" in result.output
        dumps.append(_export(runner, store))
    assert dumps[0] == dumps[1] and len(dumps[0]) > 10_000
    assert b"actor/blue-hand" in dumps[1]


def test_dask_extract_keeps_the_input_order(runner, cluster):
    one = runner.invoke(cli, ["extract", str(DATA / "corpus")])
    dist = runner.invoke(cli, ["extract", str(DATA / "corpus"), "--dask", cluster.scheduler_address])
    assert one.exit_code == dist.exit_code == 0
    assert one.output == dist.output and len(one.output.splitlines()) > 100


def test_unreachable_scheduler_is_one_line(runner, tmp_path):
    pytest.importorskip("distributed", reason="the test extra installs dask.distributed")
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = runner.invoke(cli, ["build", str(DATA / "corpus"), "--store", str(tmp_path / "s"),
                                 "--dask", f"tcp://127.0.0.1:{port}"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert "Traceback" not in result.output


def test_dask_not_installed_is_one_line(runner, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = runner.invoke(cli, ["build", str(DATA / "corpus"), "--store", str(tmp_path / "s"),
                                 "--dask", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert result.output.strip() == ("Error: --dask needs Dask's distributed scheduler client; install it "
                                     "with pip install 'kg[dask]'")


# -- benchmark ----------------------------------------------------------------------------------
def test_scale_benchmark_small_run():
    pytest.importorskip("psutil", reason="the test extra installs psutil")
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_scale.py"), "--docs", "30", "--words", "0"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "corpus: 30 documents" in out.stdout
    for line in ("kg extract --workers 1", "kg build   --workers 2", "scaling efficiency, kg build",
                 "cores busy with 1 worker",
                 "build / extract words/s", "peak RSS, any run", "projected kg build of 200,000 articles/day"):
        assert line in out.stdout, out.stdout


def test_ties_computed_in_python_match_the_sparql_aggregate(tmp_path):
    from graph_support import kg

    from kg.build import TIES_QUERY, tie_rows
    from kg.store import open_store

    store = tmp_path / "store"
    assert kg("build", DATA / "corpus", "--store", store).exit_code == 0
    st = open_store(str(store))
    try:
        expected = []
        for row in st.query(TIES_QUERY):
            first, last = row["first"], row["last"]
            expected.append((row["s"].value, row["r"].value, row["o"].value, int(row["sentences"].value),
                             int(row["documents"].value), first.value if first is not None else None,
                             last.value if last is not None else None))
        got = tie_rows(st)
    finally:
        st.close()
    assert got == expected and len(got) > 100
    assert any(r[3] > 1 for r in got) and any(r[5] != r[6] for r in got)


def test_workers_and_dask_together_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["build", str(DATA / "corpus"), "--store", str(tmp_path / "s"),
                                 "--workers", "2", "--dask", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2 and "give --workers N or --dask ADDRESS, not both" in result.output
    assert not (tmp_path / "s").exists()


def _ties_in_graph_and_expected(store_path):
    from kg.build import TIES_QUERY, read_ties
    from kg.store import open_store

    st = open_store(str(store_path))
    try:
        stored, _ = read_ties(st)
        expected = {}
        for row in st.query(TIES_QUERY):
            first, last = row["first"], row["last"]
            expected[(row["s"].value, row["r"].value, row["o"].value)] = (
                int(row["sentences"].value), int(row["documents"].value),
                first.value if first is not None else None, last.value if last is not None else None)
        state = st.read_state("ties")
    finally:
        st.close()
    return stored, expected, state


def test_ties_kept_up_to_date_without_recounting_match_a_full_recount(tmp_path):
    """Later builds add to the ties (and recount exactly what a replaced document stated);
    the result must be what the SPARQL aggregate over every assertion gives."""
    from graph_support import kg

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = sorted((DATA / "corpus").glob("*.md"))
    for f in files[:12]:
        (corpus / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    store = tmp_path / "store"
    assert kg("build", corpus, "--store", store).exit_code == 0
    stored, expected, first_state = _ties_in_graph_and_expected(store)
    assert stored == expected and len(stored) > 30 and first_state
    # New documents, one changed (a relation it stated is gone, another added), one unchanged.
    for f in files[12:]:
        (corpus / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    changed = corpus / files[0].name
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text + "\n\nRussia supplies shells to Peru. Peru condemned Russia.\n", encoding="utf-8")
    assert kg("build", corpus, "--store", store).exit_code == 0
    stored, expected, state = _ties_in_graph_and_expected(store)
    assert stored == expected and state != first_state
    assert ("https://w3id.org/kgia/id/actor/RUS", "https://w3id.org/kgia/ontology#suppliesMunitionsTo",
            "https://w3id.org/kgia/id/actor/PER") in stored
    # Without the state file kg cannot trust the ties: it recounts, to the same result.
    (store / "state.json").unlink()
    (corpus / files[1].name).write_text(files[1].read_text(encoding="utf-8") + "\nIran threatened Israel.\n",
                                        encoding="utf-8")
    assert kg("build", corpus, "--store", store).exit_code == 0
    stored2, expected2, _ = _ties_in_graph_and_expected(store)
    assert stored2 == expected2 and stored2 != stored
