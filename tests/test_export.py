"""kg export (every format parses elsewhere, round-trips, is deterministic) and kg validate."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from graph_support import kg, write_corpus
from kg.ontology import KG

RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig",
                 "jsonld": "json-ld"}
OX_FORMAT = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
             "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
             "jsonld": ox.RdfFormat.JSON_LD}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("export")
    corpus = write_corpus(base / "corpus")
    assert kg("build", corpus, "--store", base / "store").exit_code == 0
    return base / "store"


def _export(store, fmt, tmp_path):
    out = tmp_path / f"graph.{fmt}"
    r = kg("export", "--format", fmt, "-o", out, "--store", store)
    assert r.exit_code == 0, r.output
    return out.read_bytes()


def _triples_rdflib(data: bytes, fmt: str) -> rdflib.Graph:
    if fmt in ("nquads", "trig"):
        ds = rdflib.Dataset()
        ds.parse(data=data.decode("utf-8"), format=RDFLIB_FORMAT[fmt])
        g = rdflib.Graph()
        for s, p, o, _c in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g
    return rdflib.Graph().parse(data=data.decode("utf-8"), format=RDFLIB_FORMAT[fmt])


@pytest.mark.parametrize("fmt", list(RDFLIB_FORMAT))
def test_export_parses_in_rdflib_and_pyoxigraph_and_round_trips(store, fmt, tmp_path):
    data = _export(store, fmt, tmp_path)
    reference = _triples_rdflib(_export(store, "ntriples", tmp_path), "ntriples")
    assert len(reference) > 100
    # rdflib reads what pyoxigraph wrote ...
    assert isomorphic(_triples_rdflib(data, fmt), reference)
    # ... and pyoxigraph reads it too, and what rdflib writes back.
    ox_quads = list(ox.parse(data, format=OX_FORMAT[fmt]))
    assert len({(q.subject, q.predicate, q.object) for q in ox_quads}) == len(reference)
    rewritten = reference.serialize(format="nt").encode()
    assert len(list(ox.parse(rewritten, format=ox.RdfFormat.N_TRIPLES))) == len(reference)


def test_quad_exports_keep_the_named_graphs(store, tmp_path):
    data = _export(store, "nquads", tmp_path)
    graphs = {q.graph_name.value for q in ox.parse(data, format=ox.RdfFormat.N_QUADS)}
    assert "https://w3id.org/kgia/id/graph/actors" in graphs
    assert "https://w3id.org/kgia/id/graph/ties" in graphs
    assert len([g for g in graphs if "/doc/" in g]) == 3


def test_export_is_deterministic(store, tmp_path):
    for fmt in RDFLIB_FORMAT:
        assert _export(store, fmt, tmp_path) == _export(store, fmt, tmp_path), fmt


def test_export_has_declared_datatypes_and_aggregates(store, tmp_path):
    g = _triples_rdflib(_export(store, "turtle", tmp_path), "turtle")
    XSD = rdflib.XSD
    starts = set(g.objects(None, rdflib.URIRef(KG + "startOffset")))
    assert starts and {s.datatype for s in starts} == {XSD.nonNegativeInteger}
    confs = set(g.objects(None, rdflib.URIRef(KG + "confidence")))
    assert {c.datatype for c in confs} == {XSD.decimal}
    summaries = list(g.subjects(rdflib.RDF.type, rdflib.URIRef(KG + "RelationSummary")))
    counts = {int(g.value(s, rdflib.URIRef(KG + "sentenceCount"))) for s in summaries}
    assert len(summaries) == 4 and counts == {1, 2}


def test_export_to_stdout(store):
    r = kg("export", "--format", "ntriples", "--store", store)
    assert r.exit_code == 0 and r.output.count("\n") > 100


def test_validate_conforms(store):
    r = kg("validate", "--store", store)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("conforms:")


def test_validate_reports_a_bad_graph_with_exit_1(store, tmp_path):
    import shutil

    from kg.store import open_store

    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    st = open_store(str(bad))
    st.ox.update(f"""PREFIX kg: <{KG}>
        DELETE {{ GRAPH ?g {{ ?a kg:confidence ?c }} }}
        INSERT {{ GRAPH ?g {{ ?a kg:confidence 1.5 }} }}
        WHERE {{ GRAPH ?g {{ ?a kg:confidence ?c }} }}""")
    st.close()
    r = kg("validate", "--store", bad)
    assert r.exit_code == 1
    assert "kg:confidence, an xsd:decimal from 0 to 1" in r.output
    assert "does not conform: 7 violation(s)" in r.output


def test_validate_without_store_is_exit_2(tmp_path):
    r = kg("validate", "--store", tmp_path / "missing")
    assert r.exit_code == 2


def test_export_bytes_are_the_same_across_processes(store):
    import subprocess
    import sys

    outs = [subprocess.run([sys.executable, "-m", "kg", "export", "--format", fmt, "--store", str(store)],
                           capture_output=True, check=True).stdout
            for fmt in ("turtle", "trig") for _ in range(2)]
    assert outs[0] == outs[1] and outs[2] == outs[3]
    assert outs[0].startswith(b"@prefix")
