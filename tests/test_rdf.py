"""The RDF mapping (kg.rdf): IRIs, datatypes, provenance, direct triples; no store involved."""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox
import pytest
import rdflib

from kg.documents import document_from_text
from kg.extract import Extraction
from kg.ontology import KG
from kg.rdf import (
    ACTOR, ASSERTION, DOC, XSD, actor_iri, actor_quads, assertion_iri, confidence_literal,
    document_graph, document_iri, unique_extractions,
)

NASTY = 'He said "}> <x> #not a comment\n} . ; DROP ALL'
WHEN = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def _doc(text="Russia helps Belarus.\n", doc_id="news/one.md", front=""):
    return document_from_text(doc_id, front + text)


def _x(doc, subject="RUS", relation="supportsX", obj="BLR", modality="asserted", start=0,
       end=None, confidence=0.85, rule="r1", evidence=None):
    evidence = evidence if evidence is not None else doc.text[start:end or len(doc.text)]
    return Extraction(doc=doc.id, subject=subject, relation=relation, object=obj,
                      modality=modality, confidence=confidence, evidence=evidence, start=start,
                      end=end if end is not None else start + len(evidence), rule=rule,
                      trigger="helps", subject_text="Russia", object_text="Belarus", sentence=1)


def _values(graph, subject, prop):
    return [q.object for q in graph.quads if q.subject == subject and q.predicate.value == KG + prop]


def test_actor_iris_come_from_gazetteer_keys_and_are_escaped():
    assert actor_iri("RUS") == ACTOR + "RUS"
    assert actor_iri("quad-plus") == ACTOR + "quad-plus"
    # A user's gazetteer id with IRI syntax in it is percent-encoded, never spliced.
    iri = actor_iri('a b>"{}#')
    ox.NamedNode(iri)  # valid IRI
    assert " " not in iri and ">" not in iri and "#" not in iri


def test_document_iri_is_stable_across_edits_and_never_holds_text():
    one = _doc("Russia helps Belarus.\n")
    edited = _doc("Russia no longer helps Belarus.\n")
    assert document_iri(one) == document_iri(edited)
    assert document_iri(one).startswith(DOC) and len(document_iri(one)) == len(DOC) + 64
    other = _doc(doc_id="news/two.md")
    assert document_iri(other) != document_iri(one)
    by_id = _doc(front="---\nid: story-7\n---\n", doc_id="x.md")
    moved = _doc(front="---\nid: story-7\n---\n", doc_id="elsewhere/y.md")
    assert document_iri(by_id) == document_iri(moved)


def test_assertion_iri_depends_on_offsets_and_triple():
    d = DOC + "0" * 64
    a = assertion_iri(d, 0, 10, "RUS", "supports", "BLR")
    assert a.startswith(ASSERTION)
    assert a != assertion_iri(d, 0, 11, "RUS", "supports", "BLR")
    assert a != assertion_iri(d, 0, 10, "BLR", "supports", "RUS")
    assert a == assertion_iri(d, 0, 10, "RUS", "supports", "BLR")


def test_assertion_node_has_provenance_and_datatypes():
    doc = _doc()
    g = document_graph(doc, [_x(doc, relation="supports")], "fp", WHEN)
    a = next(q.subject for q in g.quads if q.object == ox.NamedNode(KG + "Assertion"))
    assert _values(g, a, "subject") == [ox.NamedNode(ACTOR + "RUS")]
    assert _values(g, a, "relation") == [ox.NamedNode(KG + "supports")]
    assert _values(g, a, "modality") == [ox.NamedNode(KG + "Asserted")]
    conf = _values(g, a, "confidence")[0]
    assert conf.datatype.value == XSD + "decimal" and conf.value == "0.85"
    start, end = _values(g, a, "startOffset")[0], _values(g, a, "endOffset")[0]
    assert start.datatype.value == XSD + "nonNegativeInteger"
    assert doc.text[int(start.value):int(end.value)] == _values(g, a, "evidenceText")[0].value
    assert _values(g, a, "ruleId")[0].value == "r1"
    prov = {q.predicate.value: q.object for q in g.quads if q.subject == a
            and q.predicate.value.startswith("http://www.w3.org/ns/prov#")}
    assert prov["http://www.w3.org/ns/prov#wasDerivedFrom"] == ox.NamedNode(g.iri)
    assert prov["http://www.w3.org/ns/prov#wasGeneratedBy"] == ox.NamedNode(g.activity)
    assert prov["http://www.w3.org/ns/prov#generatedAtTime"].value == "2024-06-01T12:00:00Z"
    # Everything lives in the document's own named graph.
    assert {q.graph_name for q in g.quads} == {ox.NamedNode(g.iri)}


def test_only_asserted_relations_become_direct_triples():
    doc = _doc()
    xs = [_x(doc, relation="supports"), _x(doc, relation="attacks", modality="speculative"),
          _x(doc, relation="invades", modality="negated")]
    g = document_graph(doc, xs, "fp", WHEN)
    direct = {q.predicate.value for q in g.quads if q.subject == ox.NamedNode(ACTOR + "RUS")}
    assert direct == {KG + "supports"}
    assert g.assertions == 3


def test_marker_quads_are_separate_from_data():
    doc = _doc()
    g = document_graph(doc, [_x(doc, relation="supports")], "fp", WHEN)
    preds = {q.predicate.value for q in g.marker}
    assert KG + "contentHash" in preds
    assert not any(q.predicate.value == KG + "contentHash" for q in g.data)


def test_duplicate_mentions_keep_the_strongest_modality():
    doc = _doc()
    xs = [_x(doc, relation="supports", modality="speculative", rule="b"),
          _x(doc, relation="supports", modality="asserted", rule="a", confidence=0.5)]
    (kept,) = unique_extractions(xs)
    assert kept.modality == "asserted"


@pytest.mark.parametrize("value,text", [(0.85, "0.85"), (1, "1.0"), (0.0, "0.0"), (0.33333333, "0.3333")])
def test_confidence_is_decimal(value, text):
    lit = confidence_literal(value)
    assert lit.value == text and lit.datatype.value == XSD + "decimal"


def test_syntax_in_article_text_survives_every_format():
    front = f"---\ntitle: {NASTY.splitlines()[0]}\nurl: not a url >\n---\n"
    doc = _doc(text=NASTY + " Russia helps Belarus.\n", front=front)
    x = _x(doc, relation="supports", start=doc.body_start, evidence=doc.text[doc.body_start:])
    g = document_graph(doc, [x], "fp", WHEN)
    for fmt, rd in [(ox.RdfFormat.N_QUADS, "nquads"), (ox.RdfFormat.TRIG, "trig")]:
        data = ox.serialize(g.quads, format=fmt)
        back = list(ox.parse(data, format=fmt))
        assert set(back) == set(g.quads)
        ds = rdflib.Dataset()
        ds.parse(data=data.decode("utf-8"), format=rd)
        assert len(list(ds.quads((None, None, None, None)))) == len(g.quads)
    evidence = [q.object.value for q in g.quads if q.predicate.value == KG + "evidenceText"]
    assert evidence == [x.evidence] and "DROP ALL" in evidence[0]
    # The URL was not an IRI: it is kept as an xsd:anyURI literal, not forced into an IRI.
    src = [q.object for q in g.quads if q.predicate.value.endswith("/source")]
    assert isinstance(src[0], ox.Literal) and src[0].datatype.value == XSD + "anyURI"


def test_actor_description(gazetteer):
    quads = list(actor_quads(gazetteer.actor("RUS")))
    by_pred = {}
    for q in quads:
        by_pred.setdefault(q.predicate.value.rsplit("#", 1)[-1], []).append(q.object)
    assert by_pred["type"] == [ox.NamedNode(KG + "State")]
    assert [x.value for x in by_pred["prefLabel"]] == ["Russia"]
    labels = {q.object.value for q in quads if q.predicate.value.endswith("prefLabel")}
    alts = {q.object.value for q in quads if q.predicate.value.endswith("altLabel")}
    assert labels == {"Russia"} and "Kremlin" in " ".join(alts)
    assert ox.NamedNode("http://www.wikidata.org/entity/Q159") in by_pred["sameAs"]
    assert [x.value for x in by_pred["isoCode"]] == ["RUS"]
