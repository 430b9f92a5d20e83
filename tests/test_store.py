"""kg build into the embedded store: idempotency, replacement, halves, refusal, locks, SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph_support import DOC_A, DOC_B, EPOCH, export_bytes, kg, rows, write_corpus
from kg.ontology import KG
from kg.store import EmbeddedStore, StoreError, open_store

ROOT = Path(__file__).resolve().parent.parent


def _count(store, sparql):
    st = open_store(str(store))
    try:
        return int(next(iter(st.query(sparql)))[0].value)
    finally:
        st.close()


def test_build_writes_one_named_graph_per_document(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    store = tmp_path / "store"
    r = kg("build", corpus, "--store", store)
    assert r.exit_code == 0, r.output
    assert "3 document(s): 3 added, 0 replaced, 0 unchanged; 7 assertion(s)" in r.output
    assert (store / "kg-store.json").is_file()
    n_docs = _count(store, f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{KG}Document> }} }}")
    assert n_docs == 3
    # Asserted relations are direct triples; the speculative and the negated ones are not.
    direct = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{KG}deploysTroopsTo>|<{KG}sanctions> ?o }}")
    assert direct == 1  # only "The United States imposed sanctions on North Korea"


def test_second_build_changes_nothing(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    store = tmp_path / "store"
    kg("build", corpus, "--store", store)
    before = export_bytes(store)
    r = kg("build", corpus, "--store", store, env={"SOURCE_DATE_EPOCH": "1900000000"})
    assert "0 added, 0 replaced, 3 unchanged; 0 assertion(s)" in r.output
    assert export_bytes(store) == before  # not even the timestamps moved


def test_changed_document_replaces_its_graph(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    store = tmp_path / "store"
    kg("build", corpus, "--store", store)
    (corpus / "b.md").write_text(DOC_B.replace("North Korea shipped munitions to Russia again, "
                                               "officials said.", "Iran sent munitions to Russia."))
    r = kg("build", corpus, "--store", store)
    assert "0 added, 1 replaced, 2 unchanged" in r.output
    ties = {(s, rel, o): int(n) for s, rel, o, n, *_ in rows(store, "strongest-ties")}
    assert ties[("North Korea", "suppliesMunitionsTo", "Russia")] == 1  # was 2 before the edit
    assert ties[("Iran", "suppliesMunitionsTo", "Russia")] == 1


def test_two_halves_give_the_same_graph_as_one_build(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    whole, halves = tmp_path / "whole", tmp_path / "halves"
    kg("build", corpus, "--store", whole)
    kg("build", corpus / "a.md", "--store", halves)
    kg("build", corpus / "b.md", corpus / "c.md", "--store", halves)
    assert export_bytes(whole) == export_bytes(halves)
    assert export_bytes(whole, "turtle") == export_bytes(halves, "turtle")


def test_bulk_loader_path_gives_the_same_graph(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus")
    kg("build", corpus, "--store", tmp_path / "small")
    import kg.store as kg_store

    monkeypatch.setattr(kg_store, "BULK_THRESHOLD", 1)
    kg("build", corpus, "--store", tmp_path / "bulk", env={"KG_BATCH_QUADS": "10"})
    assert export_bytes(tmp_path / "small") == export_bytes(tmp_path / "bulk")


def test_folder_that_is_not_a_store_is_refused_and_untouched(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8meow")
    r = kg("build", corpus, "--store", other)
    assert r.exit_code == 2
    assert "exists but is not a kg store" in r.output and "Traceback" not in r.output
    assert sorted(p.name for p in other.iterdir()) == ["cat.jpg"]
    with pytest.raises(StoreError):
        EmbeddedStore(tmp_path / "corpus" / "a.md")


def test_query_without_a_store_says_how_to_make_one(tmp_path):
    r = kg("query", "--saved", "actors", "--store", tmp_path / "none")
    assert r.exit_code == 2 and "run `kg build PATH...` first" in r.output
    assert not (tmp_path / "none").exists()


def test_kg_store_environment_variable(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    r = kg("build", corpus, env={"KG_STORE": str(tmp_path / "env-store")})
    assert r.exit_code == 0 and (tmp_path / "env-store" / "kg-store.json").is_file()


def _kg_process(*args, **kw):
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **kw.pop("env", {})}
    return subprocess.Popen([sys.executable, "-m", "kg", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_busy_store_gives_a_clear_message_not_a_lock_traceback(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    store = tmp_path / "store"
    kg("build", corpus, "--store", store)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from kg.store import open_store; s = open_store(sys.argv[1]); "
         "s.claim('kg build'); print('held', flush=True); time.sleep(30)", str(store)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = kg("query", "--saved", "actors", "--store", store, "--wait", "0.3")
        assert r.exit_code == 1
        assert "in use by another kg process (kg build, pid" in r.output
        assert "Traceback" not in r.output and "LOCK" not in r.output
    finally:
        holder.kill()
        holder.wait()
    # Once the holder is gone the store opens again.
    assert rows(store, "actors")


def test_sigkill_during_build_then_rerun_gives_the_uninterrupted_graph(tmp_path):
    docs = {f"d{i:02}.md": f"---\ndate: 2024-01-{i % 28 + 1:02}\n---\n"
            f"North Korea has supplied artillery shells to Russia. Run {i}.\n\n"
            f"Iran supplied drones to Russia.\n" for i in range(40)}
    corpus = write_corpus(tmp_path / "corpus", docs)
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    kg("build", corpus, "--store", reference)

    proc = _kg_process("build", corpus, "--store", killed, env={"KG_BATCH_QUADS": "1"})
    line = proc.stderr.readline()  # the first "wrote N document graph(s)": it is mid-build
    assert line.startswith("wrote"), line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # The killed store is readable, and holds fewer than all 40 documents.
    done = _count(killed, f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d <{KG}contentHash> ?h }}")
    assert 1 <= done < 40
    r = kg("build", corpus, "--store", killed)
    assert r.exit_code == 0 and f"{done} unchanged" in r.output
    assert export_bytes(killed) == export_bytes(reference)


def test_incomplete_graph_without_marker_is_redone(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"a.md": DOC_A})
    store = tmp_path / "store"
    kg("build", corpus, "--store", store)
    reference = export_bytes(store)
    # Simulate a kill between the data and the marker: drop the marker quads.
    st = open_store(str(store))
    st.ox.update(f"DELETE WHERE {{ GRAPH ?g {{ ?d <{KG}contentHash> ?h }} }}")
    st.close()
    r = kg("build", corpus, "--store", store)
    assert "1 replaced" in r.output
    assert export_bytes(store) == reference


def test_builds_from_the_shipped_corpus(tmp_path):
    store = tmp_path / "store"
    r = kg("build", ROOT / "data" / "corpus", "--store", store)
    assert r.exit_code == 0, r.output
    n = len(list((ROOT / "data" / "corpus").glob("*.md")))
    assert f"{n} document(s): {n} added" in r.output
    st = open_store(str(store))
    try:
        assert len(st) > 1000
        assert ox.NamedNode("https://w3id.org/kgia/id/graph/actors") in set(st.ox.named_graphs())
    finally:
        st.close()


def test_query_runs_while_a_build_is_extracting_and_builds_do_not_interleave(tmp_path):
    docs = {f"d{i:03}.md": f"---\ndate: 2024-02-{i % 28 + 1:02}\n---\n"
            + "\n\n".join(f"Iran supplied drones to Russia in wave {i}-{j}." for j in range(40))
            + "\n" for i in range(200)}
    corpus = write_corpus(tmp_path / "corpus", docs)
    store = tmp_path / "store"
    assert kg("build", corpus / "d000.md", "--store", store).exit_code == 0
    proc = _kg_process("build", corpus, "--store", store, env={"KG_BATCH_QUADS": "1"})
    try:
        assert proc.stderr.readline().startswith("wrote")
        # A reader gets in between batches ...
        r = kg("query", "--saved", "actors", "--store", store, "--wait", "20")
        assert r.exit_code == 0, r.output
        assert "Iran" in r.output
        # ... but a second writer is refused while the first one runs.
        assert proc.poll() is None, "the build finished too fast for this test"
        r2 = kg("build", corpus / "d001.md", "--store", store, "--wait", "0.2")
        assert r2.exit_code == 1 and "another kg build (kg build, pid" in r2.output
    finally:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "200 document(s)" in out


def test_bulk_load_in_chunks_loads_every_line_and_keeps_blank_nodes_whole(tmp_path, monkeypatch):
    import pyoxigraph as ox

    import kg.store as store_module

    monkeypatch.setattr(store_module, "LOAD_CHUNK_BYTES", 4096)  # many chunks, several at once
    lines = [f"<http://example.org/s{i}> <http://example.org/p> \"value {i} with a \\\"quote\\\"\" .\n"
             for i in range(3000)]
    plain = tmp_path / "plain.nt"
    plain.write_text("".join(lines), encoding="utf-8")
    st = store_module.EmbeddedStore(tmp_path / "store", create=True)
    try:
        st.bulk_load(plain, ox.RdfFormat.N_TRIPLES, graph="http://example.org/g")
        assert len(st) == 3000
        assert {q.graph_name.value for q in st.quads()} == {"http://example.org/g"}
        # A blank node named on the first line and on the last must stay one node.
        blank = tmp_path / "blank.nt"
        blank.write_text("_:x <http://example.org/p> \"first\" .\n" + "".join(lines[:2000])
                         + "_:x <http://example.org/p> \"last\" .\n", encoding="utf-8")
        st.bulk_load(blank, ox.RdfFormat.N_TRIPLES, graph="http://example.org/b")
        nodes = {q.subject for q in st.quads() if isinstance(q.subject, ox.BlankNode)}
        assert len(nodes) == 1
    finally:
        st.close()
