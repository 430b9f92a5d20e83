"""kg query: saved queries and their answers, parameters as RDF terms, formats, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from graph_support import kg, rows, write_corpus
from kg.errors import UsageError
from kg.query import saved_queries

SAVED = {"allies-of", "who-supplies-whom", "evidence-for", "relation-timeline", "strongest-ties",
         "actors"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("query")
    corpus = write_corpus(base / "corpus")
    r = kg("build", corpus, "--store", base / "store")
    assert r.exit_code == 0, r.output
    return base / "store"


def test_saved_queries_are_shipped_with_parameters():
    queries = saved_queries()
    assert SAVED <= set(queries)
    assert queries["evidence-for"].params == {"a": "actor", "b": "actor"}
    assert queries["allies-of"].params == {"a": "actor"}
    assert all(q.description for q in queries.values())


def test_list_saved_queries():
    r = kg("query", "--list")
    assert r.exit_code == 0
    assert "evidence-for --param a=<actor> --param b=<actor>" in r.output


def test_allies_of(store):
    got = rows(store, "allies-of", a="Russia")
    assert [(r[1], r[2], r[3], r[4]) for r in got] == [
        ("North Korea", "suppliesMunitionsTo", "2", "2"),
        ("China", "signsAgreementWith", "1", "1"),
        ("Iran", "suppliesWeaponsTo", "1", "1"),
    ]
    # The speculative deployment to Belarus is no alliance.
    assert rows(store, "allies-of", a="Belarus") == []


def test_actor_parameter_accepts_codes_aliases_and_iris(store):
    expected = rows(store, "allies-of", a="Russia")
    assert rows(store, "allies-of", a="RUS") == expected
    assert rows(store, "allies-of", a="the Kremlin") == expected
    assert rows(store, "allies-of", a="russia") == expected
    assert rows(store, "allies-of", a="<https://w3id.org/kgia/id/actor/RUS>") == expected


def test_evidence_for_gives_sentences_offsets_and_modality(store):
    got = rows(store, "evidence-for", a="China", b="Russia")
    assert [(r[0], r[1], r[2], r[3]) for r in got] == [
        ("RUS", "signsAgreementWith", "CHN", "asserted"),
        ("CHN", "sanctions", "RUS", "negated"),
    ]
    assert got[1][5] == "China did not sanction Russia."
    assert int(got[1][7]) - int(got[1][6]) == len(got[1][5])


def test_relation_timeline_orders_by_date(store):
    got = rows(store, "relation-timeline", a="North Korea", b="Russia")
    assert [(r[0], r[2], r[5]) for r in got] == [
        ("2024-05-02", "suppliesMunitionsTo", "1"), ("2024-06-10", "suppliesMunitionsTo", "1")]


def test_strongest_ties_and_who_supplies_whom(store):
    ties = rows(store, "strongest-ties")
    assert ties[0][:7] == ["North Korea", "suppliesMunitionsTo", "Russia", "2", "2",
                           "2024-05-02", "2024-06-10"]
    supply = rows(store, "who-supplies-whom")
    assert {(r[0], r[1], r[2]) for r in supply} == {
        ("North Korea", "suppliesMunitionsTo", "Russia"), ("Iran", "suppliesWeaponsTo", "Russia")}


def test_actors(store):
    got = {r[1]: r for r in rows(store, "actors")}
    assert set(got) == {"Russia", "North Korea", "China", "Belarus", "United States", "Iran"}
    assert got["Russia"][2:6] == ["State", "RUS", "Q159", "6"]


def test_parameters_are_terms_not_query_text(store):
    # An actor name full of SPARQL syntax is looked up, not pasted: it is simply unknown.
    with pytest.raises(UsageError, match="unknown actor"):
        rows(store, "allies-of", a='Russia> } UNION { ?x ?y ?z } #')
    # An ad-hoc string parameter with quotes and braces is one literal.
    r = kg("query", "SELECT ?e WHERE { ?a <https://w3id.org/kgia/ontology#evidenceText> ?e }",
           "--param", 'e=x" } ?a ?b ?c { "', "--store", store, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["results"]["bindings"] == []
    r = kg("query", "SELECT ?e WHERE { ?a <https://w3id.org/kgia/ontology#evidenceText> ?e }",
           "--param", "e=China did not sanction Russia.", "--store", store, "--format", "csv")
    assert r.output.splitlines() == ["e", "China did not sanction Russia."]


def test_missing_and_unknown_parameters(store):
    r = kg("query", "--saved", "evidence-for", "--param", "a=Russia", "--store", store)
    assert r.exit_code == 2 and "needs --param b=VALUE" in r.output
    r = kg("query", "--saved", "actors", "--param", "x=1", "--store", store)
    assert r.exit_code == 2 and "has no parameter 'x'" in r.output
    r = kg("query", "--saved", "alies-of", "--store", store)
    assert r.exit_code == 2 and "did you mean allies-of" in r.output


def test_malformed_sparql_is_one_line_with_line_and_column(store, tmp_path):
    r = kg("query", "SELECT ?s WHERE {\n  ?s ?p \n}", "--store", store)
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: query:3:")
    f = tmp_path / "bad.rq"
    f.write_text("SELECT * WHERE { ?s ?p ?o } ORDER")
    r = kg("query", f, "--store", store)
    assert r.exit_code == 2 and r.output.startswith(f"Error: {f}:1:")


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_formats(store, fmt):
    r = kg("query", "--saved", "strongest-ties", "--format", fmt, "--store", store)
    assert r.exit_code == 0
    if fmt == "json":
        data = json.loads(r.output)
        assert data["head"]["vars"][:3] == ["subject", "relation", "object"]
        first = data["results"]["bindings"][0]
        assert first["sentences"] == {"type": "literal", "value": "2",
                                      "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    elif fmt == "csv":
        table = list(csv.reader(io.StringIO(r.output)))
        assert table[1][:4] == ["North Korea", "suppliesMunitionsTo", "Russia", "2"]
    elif fmt == "tsv":
        first = r.output.splitlines()[1].split("\t")
        assert first[0] == '"North Korea"' and first[3].startswith('"2"^^')
    else:
        assert r.output.splitlines()[0].split()[:3] == ["subject", "relation", "object"]
        assert r.output.rstrip().endswith("rows)")


def test_ask_and_construct(store):
    r = kg("query", "ASK { ?s <https://w3id.org/kgia/ontology#suppliesMunitionsTo> ?o }",
           "--store", store)
    assert r.output == "true\n"
    r = kg("query", "CONSTRUCT WHERE { ?s <https://w3id.org/kgia/ontology#suppliesWeaponsTo> ?o }",
           "--store", store)
    assert "actor:IRN kg:suppliesWeaponsTo actor:RUS" in r.output


NASTY = ('---\ntitle: "Quotes" } { <x> # y\ndate: 2024-08-01\nurl: https://example.org/x?a=1&b=%22\n'
         '---\nRussia has supplied artillery shells to Belarus, a "} UNION { <x> }" #comment '
         '\\" DROP ALL; move.\n')


def test_sparql_and_turtle_syntax_in_articles_cannot_break_anything(tmp_path):
    import rdflib

    corpus = write_corpus(tmp_path / "corpus", {"nasty.md": NASTY})
    store = tmp_path / "store"
    assert kg("build", corpus, "--store", store).exit_code == 0
    evidence = NASTY[NASTY.index("Russia"):].rstrip("\n")
    got = rows(store, "evidence-for", a="Russia", b="Belarus")
    assert [(r[1], r[5]) for r in got] == [("suppliesMunitionsTo", evidence)]
    for fmt, rd in [("turtle", "turtle"), ("nquads", "nquads"), ("jsonld", "json-ld")]:
        out = tmp_path / f"x.{fmt}"
        assert kg("export", "--format", fmt, "-o", out, "--store", store).exit_code == 0
        ds = rdflib.Dataset()
        ds.parse(out, format=rd)
        texts = {str(o) for _s, _p, o, _g in ds.quads((None, rdflib.URIRef(
            "https://w3id.org/kgia/ontology#evidenceText"), None, None))}
        assert texts == {evidence}, fmt
        titles = {str(o) for _s, _p, o, _g in ds.quads((None, rdflib.DCTERMS.title, None, None))}
        assert titles == {'Quotes" } { <x> # y'}, titles
    assert kg("validate", "--store", store).exit_code == 0


def test_build_reports_bad_inputs_and_keeps_the_good_ones(tmp_path):
    from graph_support import DOC_C

    corpus = write_corpus(tmp_path / "corpus", {"good.md": DOC_C})
    (corpus / "empty.md").write_text("")
    store = tmp_path / "store"
    r = kg("build", corpus, "--store", store)
    assert r.exit_code == 1
    assert "1 document(s): 1 added" in r.output and "empty.md: file is empty" in r.output
    assert rows(store, "who-supplies-whom")[0][:3] == ["Iran", "suppliesWeaponsTo", "Russia"]
