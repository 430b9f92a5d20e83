"""kg.network: the actor network projected from the store, checked against SPARQL counts that
the tests compute on their own, and every filter."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import networkx as nx
import pytest

from graph_support import HOSTILE_NAME, HOSTILE_SENTENCE, HOSTILE_TITLE
from kg.errors import UsageError
from kg.network import MAX_EVIDENCE, Filters, project, resolve_actor, scalar_graph
from kg.ontology import KG, load_ontology
from kg.store import open_store

ACTOR = "https://w3id.org/kgia/id/actor/"
RUS, CHN, PRK, BLR, IRN = (ACTOR + k for k in ("RUS", "CHN", "PRK", "BLR", "IRN"))
EVIL = ACTOR + "evil-corp"

PREFIXES = f"""PREFIX kg: <{KG}>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""


@pytest.fixture(scope="module")
def st(net_store):
    s = open_store(str(net_store))  # closed after this module: the export tests run the CLI on it
    yield s
    s.close()


@pytest.fixture(scope="module")
def full(st):
    return project(st)


def _symmetric_values():
    return " ".join(f"<{r.iri}>" for r in load_ontology().relations.values() if r.symmetric)


def expected_edges(st, modalities=("Asserted",)):
    """(u, relation, v) -> sentences, computed in SPARQL alone (symmetric pairs ordered u < v)."""
    mods = " ".join(f"kg:{m}" for m in modalities)
    res = st.query(PREFIXES + f"""
SELECT ?u ?rel ?v (COUNT(?a) AS ?n) WHERE {{
  VALUES ?m {{ {mods} }}
  ?a a kg:Assertion ; kg:subject ?s ; kg:relation ?rel ; kg:object ?o ; kg:modality ?m .
  OPTIONAL {{ VALUES ?rel {{ {_symmetric_values()} }} BIND (true AS ?sym) }}
  BIND (IF(BOUND(?sym) && STR(?o) < STR(?s), ?o, ?s) AS ?u)
  BIND (IF(BOUND(?sym) && STR(?o) < STR(?s), ?s, ?o) AS ?v)
}} GROUP BY ?u ?rel ?v""")
    return {(row["u"].value, row["rel"].value[len(KG):], row["v"].value): int(row["n"].value)
            for row in res}


def edge_weights(g):
    return {(u, k, v): d["weight"] for u, v, k, d in g.edges(keys=True, data=True)}


def test_edges_and_weights_agree_with_sparql(st, full):
    expected = expected_edges(st)
    assert len(expected) > 100  # data/corpus in the core vocabulary
    assert edge_weights(full) == expected
    nodes = {u for u, _r, _v in expected} | {v for _u, _r, v in expected}
    assert set(full.nodes) == nodes
    assert full.graph["name"] == "kg"
    assert full.graph["relations"] == len({r for _u, r, _v in expected})
    assert full.graph["sentences"] == sum(expected.values())


def test_weights_match_the_ties_graph_written_by_build(st, full):
    """kg build's own aggregates (graph/ties, per direction): a directed edge has its tie's
    sentence count, a symmetric edge the sum over both directions."""
    ties = Counter()
    docs = {}
    for row in st.query(PREFIXES + """SELECT ?s ?p ?o ?n ?d WHERE {
        ?t a kg:RelationSummary ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
           kg:sentenceCount ?n ; kg:documentCount ?d }"""):
        rel = row["p"].value[len(KG):]
        u, v = row["s"].value, row["o"].value
        if load_ontology().relations[rel].symmetric and v < u:
            u, v = v, u
        ties[(u, rel, v)] += int(row["n"].value)
        docs[(row["s"].value, rel, row["o"].value)] = int(row["d"].value)
    assert edge_weights(full) == dict(ties)
    for u, v, k, d in full.edges(keys=True, data=True):
        if not d["symmetric"]:
            assert d["documents"] == docs[(u, k, v)]


def test_symmetric_relations_appear_once_with_both_directions_merged(full):
    sym = [(u, v, k) for u, v, k, d in full.edges(keys=True, data=True) if d["symmetric"]]
    assert sym
    assert all(u <= v for u, v, _k in sym)
    pairs = Counter((frozenset((u, v)), k) for u, v, k in sym)
    assert max(pairs.values()) == 1
    # DOC_A says Russia signed with China, DOC_D China with Russia: one edge, CHN < RUS.
    e = full.edges[CHN, RUS, "signsAgreementWith"]
    assert e["symmetric"] is True and not full.has_edge(RUS, CHN, "signsAgreementWith")
    texts = {ev["text"] for ev in e["evidence"]}
    assert "Russia and China signed a defence agreement in Beijing." in texts
    assert "China signed a trade agreement with Russia." in texts
    talks = full.edges[BLR, RUS, "meetsWith"]
    assert talks["weight"] == 2 and talks["documents"] == 1
    # a directed relation keeps its direction
    assert full.has_edge(PRK, RUS, "suppliesMunitionsTo")
    assert not full.has_edge(RUS, PRK, "suppliesMunitionsTo")


def test_edge_attributes(full):
    onto = load_ontology()
    e = full.edges[PRK, RUS, "suppliesMunitionsTo"]
    assert e["relation"] == "suppliesMunitionsTo"
    assert e["label"] == onto.relations["suppliesMunitionsTo"].label
    assert (e["weight"], e["documents"], e["asserted"], e["speculative"], e["negated"]) == (2, 2, 2, 0, 0)
    assert (e["first_seen"], e["last_seen"]) == ("2024-05-02", "2024-06-10")
    assert e["modality"] == "asserted" and e["polarity"] == "cooperative"
    assert e["plover"] == "AID" and e["symmetric"] is False
    assert [ev["date"] for ev in e["evidence"]] == ["2024-05-02", "2024-06-10"]
    assert e["evidence"][0] == {
        "text": "North Korea has supplied artillery shells to Russia.",
        "document": e["evidence"][0]["document"], "title": 'Shells "and" <rockets> } # for the front',
        "url": "https://example.org/a?x=1&y=2", "date": "2024-05-02", "modality": "asserted"}
    assert e["evidence"][0]["document"].startswith("https://w3id.org/kgia/id/doc/")
    undated = full.edges[CHN, RUS, "signsAgreementWith"]
    assert undated["first_seen"] == "2024-05-02" and undated["documents"] == 2
    assert full.edges[BLR, RUS, "meetsWith"]["first_seen"] == ""
    for u, v, k, d in full.edges(keys=True, data=True):
        assert d["weight"] == d["asserted"] + d["speculative"] + d["negated"] >= 1
        assert d["polarity"] in ("cooperative", "conflictual", "")
        assert len(d["evidence"]) == min(d["weight"], MAX_EVIDENCE)
        assert d["evidence"] == sorted(d["evidence"], key=lambda ev: (ev["date"], ev["document"]))


def test_node_attributes(full):
    ru = full.nodes[RUS]
    assert (ru["label"], ru["type"], ru["iso"], ru["qid"]) == ("Russia", "State", "RUS", "Q159")
    assert full.nodes[ACTOR + "nato"]["type"] == "IntergovernmentalOrganization"
    assert full.nodes[ACTOR + "nato"]["iso"] == ""
    assert full.nodes[EVIL]["label"] == HOSTILE_NAME and full.nodes[EVIL]["qid"] == ""
    for n, d in full.nodes(data=True):
        assert d["degree"] == full.degree(n) >= 1
        assert d["type"] in ("State", "IntergovernmentalOrganization", "NonStateGroup", "Actor")


def test_speculative_and_negated_are_counted_only_on_request(st, full):
    assert not full.has_edge(RUS, BLR, "deploysTroopsTo")
    assert not full.has_edge(CHN, RUS, "sanctions")
    wide = project(st, Filters(include_speculative=True))
    assert edge_weights(wide) == expected_edges(st, ("Asserted", "Speculative", "Negated"))
    spec = wide.edges[RUS, BLR, "deploysTroopsTo"]
    assert (spec["modality"], spec["speculative"], spec["asserted"]) == ("speculative", 1, 0)
    assert wide.edges[CHN, RUS, "sanctions"]["modality"] == "negated"
    assert wide.number_of_edges() > full.number_of_edges()
    mixed = [d for _u, _v, d in wide.edges(data=True) if d["modality"] == "mixed"]
    assert all(sum(1 for m in ("asserted", "speculative", "negated") if d[m]) > 1 for d in mixed)


def test_relation_filter(st, full):
    g = project(st, Filters(relations=("suppliesMunitionsTo", "meetsWith")))
    assert {k for _u, _v, k in g.edges(keys=True)} == {"suppliesMunitionsTo", "meetsWith"}
    assert edge_weights(g) == {k: w for k, w in edge_weights(full).items()
                               if k[1] in ("suppliesMunitionsTo", "meetsWith")}
    assert g.graph["relations"] == 2
    with pytest.raises(UsageError, match="unknown relation"):
        project(st, Filters(relations=("suppliesCheese",)))


def test_min_weight(st, full):
    g = project(st, Filters(min_weight=2))
    assert g.number_of_edges() == sum(1 for w in edge_weights(full).values() if w >= 2) > 0
    assert min(w for w in edge_weights(g).values()) >= 2
    assert set(g.nodes) == {n for e in g.edges for n in e[:2]}


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_actor_ego_network(st, full, depth):
    g = project(st, Filters(actor=PRK, depth=depth))
    ego = nx.ego_graph(full.to_undirected(as_view=True), PRK, radius=depth)
    assert set(g.nodes) == set(ego.nodes)
    assert set(g.edges(keys=True)) == {e for e in full.edges(keys=True)
                                       if e[0] in ego and e[1] in ego}
    if depth == 0:
        assert list(g.nodes) == [PRK] and g.number_of_edges() == 0
    if depth == 1:
        assert {RUS, ACTOR + "USA"} <= set(g.nodes)


def test_ego_network_is_cut_after_min_weight(st):
    g = project(st, Filters(actor=RUS, depth=1, min_weight=2))
    assert all(d["weight"] >= 2 for _u, _v, d in g.edges(data=True))
    assert RUS in g and all(RUS in (u, v) or (u in g and v in g) for u, v in g.edges())


def test_since_and_until_filter_evidence(st, full):
    g = project(st, Filters(since=dt.date(2024, 6, 1), until=dt.date(2024, 6, 30)))
    assert g.number_of_edges() > 0
    for _u, _v, d in g.edges(data=True):
        assert "2024-06-01" <= d["first_seen"] <= d["last_seen"] <= "2024-06-30"
    munitions = g.edges[PRK, RUS, "suppliesMunitionsTo"]
    assert munitions["weight"] == 1 and munitions["first_seen"] == "2024-06-10"
    # undated evidence is dropped as soon as a bound is given
    later = project(st, Filters(since=dt.date(2000, 1, 1)))
    assert not later.has_edge(BLR, RUS, "meetsWith")
    assert later.edges[CHN, RUS, "signsAgreementWith"]["weight"] == 1
    until = project(st, Filters(until=dt.date(2024, 5, 2)))
    assert all(d["last_seen"] <= "2024-05-02" for _u, _v, d in until.edges(data=True))
    assert not until.has_edge(IRN, RUS, "suppliesWeaponsTo")
    # both bounds are inclusive
    assert until.edges[PRK, RUS, "suppliesMunitionsTo"]["last_seen"] == "2024-05-02"
    since = project(st, Filters(since=dt.date(2024, 6, 10)))
    assert since.edges[PRK, RUS, "suppliesMunitionsTo"]["weight"] == 1
    with pytest.raises(UsageError, match="after"):
        project(st, Filters(since=dt.date(2024, 7, 1), until=dt.date(2024, 6, 1)))


def test_evidence_is_capped_but_weight_counts_all(st, full, monkeypatch):
    import kg.network as network

    monkeypatch.setattr(network, "MAX_EVIDENCE", 1)
    g = project(st)
    e = g.edges[PRK, RUS, "suppliesMunitionsTo"]
    assert e["weight"] == 2 and len(e["evidence"]) == 1
    assert e["evidence"][0]["date"] == "2024-05-02"
    heavy = 0
    for u, v, k, d in g.edges(keys=True, data=True):  # the earliest sentence is kept, even
        assert d["evidence"] == full.edges[u, v, k]["evidence"][:1]  # where the list was cut
        heavy += d["weight"] >= 4
    assert heavy


@pytest.mark.parametrize("name", ["Russia", "russia", "RUS", "rus", "the Kremlin", "Moscow",
                                  "Q159", f"<{RUS}>", RUS])
def test_resolve_actor(st, name):
    assert resolve_actor(st, name) == RUS


def test_resolve_actor_by_custom_label_and_errors(st):
    assert resolve_actor(st, "evilcorp") == EVIL
    assert resolve_actor(st, "Kosovo") == ACTOR + "XKX"
    assert resolve_actor(st, "iceland") == ACTOR + "ISL"  # in the gazetteer, not in the store
    with pytest.raises(UsageError, match="'Putin' names a person"):
        resolve_actor(st, "Putin")
    with pytest.raises(UsageError, match="unknown actor 'Atlantis'"):
        resolve_actor(st, "Atlantis")
    with pytest.raises(UsageError, match="not a valid IRI"):
        resolve_actor(st, "http://exa mple.org/x")


def test_scalar_graph_has_only_scalars(full):
    s = scalar_graph(full)
    assert s.number_of_nodes() == full.number_of_nodes()
    assert s.number_of_edges() == full.number_of_edges()
    scalars = (str, int, float, bool)
    for _n, d in s.nodes(data=True):
        assert all(isinstance(v, scalars) for v in d.values())
    for u, v, k, d in s.edges(keys=True, data=True):
        assert "evidence" not in d and all(isinstance(x, scalars) for x in d.values())
        assert d["example"] == full.edges[u, v, k]["evidence"][0]["text"]
    assert all(isinstance(v, scalars) for v in s.graph.values())
    assert "evidence" in next(iter(full.edges(data=True)))[2]  # the original is untouched


def test_article_text_reaches_the_graph_unchanged(full):
    e = full.edges[IRN, ACTOR + "VEN", "suppliesWeaponsTo"]
    hostile = [ev for ev in e["evidence"] if ev["text"] == HOSTILE_SENTENCE]
    assert len(hostile) == 1 and hostile[0]["title"] == HOSTILE_TITLE
    assert e["evidence"][0]["text"] == HOSTILE_SENTENCE  # the example the flat formats carry
    assert full.nodes[EVIL]["label"] == HOSTILE_NAME
    assert full.has_edge(EVIL, ACTOR + "UKR", "attacks")
