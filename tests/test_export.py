"""kg export (every format parses elsewhere, round-trips, is deterministic) and kg validate."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from graph_support import HOSTILE_NAME, HOSTILE_SENTENCE, HOSTILE_TITLE, kg, write_corpus
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


# -- network formats (graphml, gexf, csv, json) -------------------------------------------------
NETWORK_FORMATS = ("graphml", "gexf", "csv", "json")
EVIL = "https://w3id.org/kgia/id/actor/evil-corp"


@pytest.fixture(scope="module")
def network(net_store):
    from kg.network import project
    from kg.store import open_store

    st = open_store(str(net_store))
    try:
        return project(st)
    finally:
        st.close()


def _net(net_store, fmt, out, *args):
    r = kg("export", "--format", fmt, "-o", out, "--store", net_store, *args)
    assert r.exit_code == 0, r.output
    return r


def _edge_table(g):
    """(source, target, relation) -> (weight, label) of a networkx graph read back."""
    return {(u, v, d["relation"]): (int(d["weight"]), d["label"])
            for u, v, d in g.edges(data=True)}


def test_graphml_reads_back_in_igraph(net_store, network, tmp_path):
    import igraph

    _net(net_store, "graphml", tmp_path / "g.graphml")
    import xml.etree.ElementTree as ET

    keys = [el.get("id") for el in ET.parse(tmp_path / "g.graphml").getroot()
            if el.tag.endswith("}key")]
    assert len(keys) == len(set(keys)) > 10  # unique, although nodes and edges both have "label"
    g = igraph.Graph.Read_GraphML(str(tmp_path / "g.graphml"))
    assert g.is_directed()
    assert (g.vcount(), g.ecount()) == (network.number_of_nodes(), network.number_of_edges())
    labels = {v["id"]: v["label"] for v in g.vs}
    assert labels == {n: d["label"] for n, d in network.nodes(data=True)}
    assert {v["id"]: (v["type"], v["iso"], int(v["degree"])) for v in g.vs} == {
        n: (d["type"], d["iso"], d["degree"]) for n, d in network.nodes(data=True)}
    edges = {}
    for e in g.es:
        key = (g.vs[e.source]["id"], g.vs[e.target]["id"], e["relation"])
        assert key not in edges
        edges[key] = (int(e["weight"]), e["label"], bool(e["symmetric"]), e["example"])
    assert edges == {(u, v, k): (d["weight"], d["label"], d["symmetric"], d["evidence"][0]["text"])
                     for u, v, k, d in network.edges(keys=True, data=True)}


def test_gexf_reads_back_in_networkx(net_store, network, tmp_path):
    import networkx as nx

    _net(net_store, "gexf", tmp_path / "g.gexf")
    g = nx.read_gexf(tmp_path / "g.gexf")
    assert (g.number_of_nodes(), g.number_of_edges()) == (network.number_of_nodes(),
                                                          network.number_of_edges())
    assert {n: d["label"] for n, d in g.nodes(data=True)} == {
        n: d["label"] for n, d in network.nodes(data=True)}
    assert _edge_table(g) == _edge_table(network)
    sym = {(u, v, d["relation"]) for u, v, d in g.edges(data=True) if d["symmetric"]}
    assert sym == {(u, v, k) for u, v, k, d in network.edges(keys=True, data=True) if d["symmetric"]}


def test_csv_tables_in_gephi_layout(net_store, network, tmp_path):
    import csv

    r = _net(net_store, "csv", f"{tmp_path}/out/")  # a new folder
    nodes_path, edges_path = tmp_path / "out" / "nodes.csv", tmp_path / "out" / "edges.csv"
    assert str(nodes_path) in r.output and str(edges_path) in r.output
    with open(nodes_path, encoding="utf-8", newline="") as fh:
        nodes = list(csv.DictReader(fh))
    with open(edges_path, encoding="utf-8", newline="") as fh:
        edges = list(csv.DictReader(fh))
    assert list(nodes[0])[:2] == ["Id", "Label"]
    assert list(edges[0])[:6] == ["Source", "Target", "Type", "Id", "Label", "Weight"]
    assert {"relation", "documents", "first_seen", "last_seen", "modality", "polarity",
            "symmetric", "example"} <= set(edges[0])
    assert len(nodes) == network.number_of_nodes() and len(edges) == network.number_of_edges()
    assert len({e["Id"] for e in edges}) == len(edges)
    assert {n["Id"]: n["Label"] for n in nodes} == {n: d["label"] for n, d in network.nodes(data=True)}
    table = {(e["Source"], e["Target"], e["relation"]): (int(e["Weight"]), e["Label"]) for e in edges}
    assert table == _edge_table(network)
    types = {e["Type"] for e in edges if e["symmetric"] == "true"}
    assert types == {"Undirected"}
    assert {e["Type"] for e in edges if e["symmetric"] == "false"} == {"Directed"}
    evil = [n for n in nodes if n["Id"] == EVIL]
    assert evil[0]["Label"] == HOSTILE_NAME


@pytest.mark.parametrize("given, nodes, edges", [
    ("graph", "graph.nodes.csv", "graph.edges.csv"),
    ("graph.csv", "graph.nodes.csv", "graph.edges.csv"),
])
def test_csv_output_base_name(net_store, tmp_path, given, nodes, edges):
    _net(net_store, "csv", tmp_path / given)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([nodes, edges])


def test_json_node_link_round_trips(net_store, network, tmp_path):
    import json

    import networkx as nx

    _net(net_store, "json", tmp_path / "g.json")
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert data["directed"] is True and data["multigraph"] is True and "links" in data
    g = nx.node_link_graph(data, edges="links")
    assert set(g.nodes) == set(network.nodes)
    assert set(g.edges(keys=True)) == set(network.edges(keys=True))
    for u, v, k, d in network.edges(keys=True, data=True):
        back = g.edges[u, v, k]
        assert back["evidence"] == d["evidence"] and back["weight"] == d["weight"]
        assert back["example"] == d["evidence"][0]["text"]
    assert dict(g.nodes(data=True)) == dict(network.nodes(data=True))


def test_hostile_text_survives_every_network_format(net_store, tmp_path):
    import csv
    import json
    import xml.etree.ElementTree as ET

    for fmt in ("graphml", "gexf", "json"):
        _net(net_store, fmt, tmp_path / f"g.{fmt}")
    _net(net_store, "csv", tmp_path / "t")
    for fmt in ("graphml", "gexf"):
        raw = (tmp_path / f"g.{fmt}").read_bytes()
        assert b"<script>" not in raw and b"<b>&</b>" not in raw
        root = ET.fromstring(raw)  # well-formed XML
        texts = {el.text for el in root.iter() if el.text} | {
            v for el in root.iter() for v in el.attrib.values()}
        assert HOSTILE_NAME in texts, fmt
        assert HOSTILE_SENTENCE in texts, fmt
    gexf = ET.fromstring((tmp_path / "g.gexf").read_bytes())
    assert any(el.get("value") == HOSTILE_SENTENCE for el in gexf.iter()
               if el.tag.endswith("attvalue"))
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    node = next(n for n in data["nodes"] if n["id"] == EVIL)
    assert node["label"] == HOSTILE_NAME
    evidence = [ev for link in data["links"] for ev in link["evidence"]]
    assert any(ev["text"] == HOSTILE_SENTENCE and ev["title"] == HOSTILE_TITLE for ev in evidence)
    with open(tmp_path / "t.edges.csv", encoding="utf-8", newline="") as fh:
        assert HOSTILE_SENTENCE in {row["example"] for row in csv.DictReader(fh)}


def test_xml_formats_replace_characters_xml_cannot_carry():
    import xml.etree.ElementTree as ET

    import networkx as nx

    from kg.netexport import gexf_bytes, graphml_bytes

    g = nx.MultiDiGraph(name="kg")
    g.add_node("a", label="bell\x07 and tab\tok", type="State", iso="", qid="", degree=1)
    g.add_node("b", label="b", type="State", iso="", qid="", degree=1)
    g.add_edge("a", "b", key="attacks", relation="attacks", label="attacks", weight=1,
               evidence=[{"text": "form\x0cfeed", "document": "d", "title": "", "url": "",
                          "date": "", "modality": "asserted"}])
    for data in (graphml_bytes(g), gexf_bytes(g)):
        root = ET.fromstring(data)
        values = {el.text for el in root.iter() if el.text} | {
            v for el in root.iter() for v in el.attrib.values()}
        assert "bell\ufffd and tab\tok" in values and "form\ufffdfeed" in values


@pytest.mark.parametrize("fmt", NETWORK_FORMATS)
def test_network_exports_are_deterministic_and_atomic(net_store, tmp_path, fmt):
    out = tmp_path / ("g" if fmt == "csv" else f"g.{fmt}")
    _net(net_store, fmt, out)
    first = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())
    _net(net_store, fmt, out)  # over the old files
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == first
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_network_export_to_stdout(net_store, network, fmt):
    r = kg("export", "--format", fmt, "--store", net_store)
    assert r.exit_code == 0
    assert r.stdout.count("https://w3id.org/kgia/id/actor/RUS") >= 2


def _json_graph(net_store, *args):
    import json

    import networkx as nx

    r = kg("export", "--format", "json", "--store", net_store, *args)
    assert r.exit_code == 0, r.output
    return nx.node_link_graph(json.loads(r.stdout), edges="links")


def test_export_filters_match_the_library(net_store):
    import datetime as dt

    from kg.network import Filters, project
    from kg.store import open_store

    cases = [
        (("--relation", "supplies-munitions-to", "--relation", "meetsWith"),
         Filters(relations=("suppliesMunitionsTo", "meetsWith"))),
        (("--actor", "north korea", "--depth", "2"),
         Filters(actor="https://w3id.org/kgia/id/actor/PRK", depth=2)),
        (("--actor", "PRK"), Filters(actor="https://w3id.org/kgia/id/actor/PRK", depth=1)),
        (("--min-weight", "2"), Filters(min_weight=2)),
        (("--since", "2024-06-01", "--until", "2024-12-31"),
         Filters(since=dt.date(2024, 6, 1), until=dt.date(2024, 12, 31))),
        (("--include-speculative",), Filters(include_speculative=True)),
    ]
    graphs = [(_json_graph(net_store, *args), f) for args, f in cases]
    st = open_store(str(net_store))
    try:
        expected = [project(st, f) for _g, f in graphs]
        everything = project(st)
    finally:
        st.close()
    sizes = set()
    for (g, f), want in zip(graphs, expected):
        assert set(g.edges(keys=True)) == set(want.edges(keys=True)), f
        assert set(g.nodes) == set(want.nodes), f
        assert [d["weight"] for *_e, d in sorted(g.edges(keys=True, data=True))] == [
            d["weight"] for *_e, d in sorted(want.edges(keys=True, data=True))]
        assert set(g.edges(keys=True)) != set(everything.edges(keys=True)), f  # it filtered
        sizes.add(g.number_of_edges())
    assert len(sizes) > 3


def test_relation_spellings_give_the_same_export(net_store):
    a = kg("export", "--format", "json", "--relation", "signs-agreement-with", "--store", net_store)
    b = kg("export", "--format", "json", "--relation", "signsAgreementWith", "--store", net_store)
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout
    assert '"signsAgreementWith"' in a.stdout and '"attacks"' not in a.stdout
    listed = kg("export", "--format", "json", "--relation", "attacks,meets-with", "--store", net_store)
    repeated = kg("export", "--format", "json", "--relation", "attacks", "--relation", "meetsWith",
                  "--store", net_store)
    assert listed.stdout == repeated.stdout and '"meetsWith"' in listed.stdout


@pytest.mark.parametrize("args, code, message", [
    (("--format", "json", "--relation", "suppliesCheese"), 2,
     "Error: Invalid value for '--relation': unknown relation 'suppliesCheese'"),
    (("--format", "json", "--actor", "Atlantis"), 2, "Error: unknown actor 'Atlantis'"),
    (("--format", "json", "--depth", "2"), 2, "Error: --depth needs --actor"),
    (("--format", "json", "--depth", "-1", "--actor", "RUS"), 2, "Error: Invalid value for '--depth'"),
    (("--format", "json", "--min-weight", "0"), 2, "Error: Invalid value for '--min-weight'"),
    (("--format", "json", "--since", "2024-02-30"), 2,
     "Error: Invalid value for '--since': '2024-02-30' is not a date"),
    (("--format", "json", "--since", "2024-06-01", "--until", "2024-01-01"), 2,
     "Error: --since 2024-06-01 is after --until 2024-01-01"),
    (("--format", "turtle", "--relation", "attacks", "--min-weight", "2"), 2,
     "Error: the network options (--relation, --min-weight) work only with --format graphml"),
    (("--format", "csv"), 2, "Error: --format csv writes two files"),
    (("--format", "graphml", "-o", "."), 2, "is a folder; give a file name"),
    (("--format", "gexf", "-o", "missing/dir/g.gexf"), 1,
     "missing/dir/g.gexf: cannot write the export (No such file or directory)"),
])
def test_bad_network_options_give_one_line(net_store, tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    r = kg("export", *args, "--store", net_store)
    assert r.exit_code == code, r.output
    lines = [line for line in r.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


def test_union_of_graphs_has_each_triple_once_and_leaves_out_the_default_graph():
    from kg.export import union_triples

    db = ox.Store()
    a, p, b, c, d = (ox.NamedNode(f"http://example.org/{x}") for x in "apbcd")
    g1, g2, g3 = (ox.NamedNode(f"http://example.org/graph/{i}") for i in (1, 2, 3))
    db.extend([ox.Quad(a, p, b, g1), ox.Quad(a, p, b, g2), ox.Quad(c, p, d, g2),
               ox.Quad(a, p, b, g3), ox.Quad(c, p, ox.Literal("x"), g3),
               ox.Quad(d, p, a, ox.DefaultGraph())])
    got = list(union_triples(db))
    assert len(got) == len(set(got)) == 3
    assert set(got) == {ox.Triple(a, p, b), ox.Triple(c, p, d), ox.Triple(c, p, ox.Literal("x"))}


def test_union_matches_a_sparql_construct_over_the_named_graphs(store):
    from kg.export import union_triples

    db = ox.Store.read_only(str(store / "oxigraph"))
    try:
        got = list(union_triples(db))
        expected = set(db.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"))
        named = [q for q in db.quads_for_pattern(None, None, None, None)
                 if not isinstance(q.graph_name, ox.DefaultGraph)]
    finally:
        del db
    assert len(got) == len(set(got)) == len(expected) and set(got) == expected
    assert len(named) > len(got)  # some triples are in several graphs: their repeats were dropped
