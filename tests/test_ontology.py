from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF

from kg.errors import OntologyError, UsageError
from kg.ontology import KG, load_ontology
from kg.resources import ontology_dir

CORE = """suppliesWeaponsTo suppliesMunitionsTo deploysTroopsTo alignsWith cooperatesWith
signsAgreementWith meetsWith visits supports opposes threatens sanctions attacks invades
hedgesAgainst counterbalances hasStrainedRelationsWith recognizes condemns negotiatesWith""".split()
PLOVER = """AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT THREATEN
PROTEST SANCTION MOBILIZE COERCE ASSAULT""".split()
SYMMETRIC = {"alignsWith", "cooperatesWith", "signsAgreementWith", "meetsWith", "negotiatesWith",
             "hasStrainedRelationsWith"}


def test_core_relations_present(ontology):
    assert set(CORE) <= set(ontology.relations)


def test_core_vocabulary_is_the_design_card(ontology):
    assert ontology.vocabulary("core") == frozenset(CORE)
    assert ontology.vocabulary("full") == frozenset(ontology.relations)
    with pytest.raises(UsageError, match="unknown vocabulary"):
        ontology.vocabulary("most")


def test_core_collection_must_list_relations(tmp_path: Path):
    text = (ontology_dir() / "kg.ttl").read_text(encoding="utf-8")
    bad = tmp_path / "kg.ttl"
    bad.write_text(text.replace("kg:negotiatesWith ;\n    rdfs:isDefinedBy",
                                "kg:negotiatesWith , kg:befriends ;\n    rdfs:isDefinedBy", 1),
                   encoding="utf-8")
    with pytest.raises(OntologyError, match="befriends, which is not a relation"):
        load_ontology(str(bad))


def test_every_plover_category_has_a_relation(ontology):
    covered = {r.plover for r in ontology.relations.values() if r.plover}
    assert set(PLOVER) <= covered


def test_symmetric_relations_are_exactly_the_documented_ones(ontology):
    assert {r.name for r in ontology.relations.values() if r.symmetric} == SYMMETRIC


def test_hierarchy(ontology):
    assert ontology.is_more_specific("suppliesMunitionsTo", "suppliesWeaponsTo")
    assert ontology.is_more_specific("invades", "attacks")
    assert not ontology.is_more_specific("attacks", "invades")


def test_labels_definitions_polarity(ontology):
    for r in ontology.relations.values():
        assert r.label and r.definition, r.name
        assert r.polarity in {"cooperative", "conflictual", "neutral"}, r.name
        if r.standing:
            assert r.plover is None and r.cameo is None, r.name
    assert ontology["suppliesMunitionsTo"].label == "supplies munitions to"
    assert ontology["attacks"].polarity == "conflictual"


@pytest.mark.parametrize("spelling", ["hedges-against", "hedgesAgainst", "hedges_against", "HedgesAgainst"])
def test_both_spellings_resolve(ontology, spelling):
    assert ontology.resolve(spelling).name == "hedgesAgainst"


def test_unknown_relation_suggests(ontology):
    with pytest.raises(UsageError, match="did you mean aligns-with"):
        ontology.resolve("align-with")


def test_owl_parses_and_declares_properties():
    g = rdflib.Graph().parse(ontology_dir() / "kg.ttl")
    for name in CORE:
        assert (rdflib.URIRef(KG + name), RDF.type, OWL.ObjectProperty) in g


def test_shapes_parse():
    g = rdflib.Graph().parse(ontology_dir() / "shapes.ttl")
    assert len(g) > 50


def test_bad_ontology_file(tmp_path: Path):
    bad = tmp_path / "kg.ttl"
    bad.write_text("@prefix kg: <x> .\nkg:a kg:b", encoding="utf-8")
    with pytest.raises(OntologyError, match=r"kg.ttl:2: not valid Turtle: .*line 2"):
        load_ontology(str(bad))
