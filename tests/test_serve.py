"""kg serve: a SPARQL 1.1 Protocol endpoint, spoken to over HTTP with SPARQLWrapper."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from graph_support import DOC_C, EPOCH, kg, write_corpus
from kg.serve import make_server

KGNS = "https://w3id.org/kgia/ontology#"
SUPPLIERS = f"SELECT ?s ?o WHERE {{ ?s <{KGNS}suppliesMunitionsTo> ?o }}"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve")
    corpus = write_corpus(base / "corpus")
    assert kg("build", corpus, "--store", base / "store").exit_code == 0
    server = make_server(str(base / "store"), "127.0.0.1", 0, timeout=10, limit=5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sparql"
    server.shutdown()
    server.server_close()


def _client(url, query, fmt=JSON, method="GET"):
    c = SPARQLWrapper(url)
    c.setQuery(query)
    c.setReturnFormat(fmt)
    c.setMethod(method)
    return c.query()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_json(endpoint, method):
    data = _client(endpoint, SUPPLIERS, JSON, method).convert()
    got = {(b["s"]["value"], b["o"]["value"]) for b in data["results"]["bindings"]}
    assert got == {("https://w3id.org/kgia/id/actor/PRK", "https://w3id.org/kgia/id/actor/RUS")}


def test_select_xml_and_csv(endpoint):
    xml = _client(endpoint, SUPPLIERS, XML).convert()
    uris = [n.firstChild.data for n in xml.getElementsByTagName("uri")]
    assert "https://w3id.org/kgia/id/actor/PRK" in uris
    csv_text = _client(endpoint, SUPPLIERS, CSV).convert().decode()
    assert csv_text.splitlines()[0] == "s,o"
    assert "https://w3id.org/kgia/id/actor/PRK" in csv_text


def test_ask(endpoint):
    data = _client(endpoint, f"ASK {{ ?s <{KGNS}invades> ?o }}").convert()
    assert data["boolean"] is False


def test_construct_turtle_and_jsonld(endpoint):
    q = f"CONSTRUCT WHERE {{ ?s <{KGNS}suppliesWeaponsTo> ?o }}"
    g = _client(endpoint, q, TURTLE).convert()
    g = rdflib.Graph().parse(data=g.decode(), format="turtle") if isinstance(g, bytes) else g
    assert (rdflib.URIRef("https://w3id.org/kgia/id/actor/IRN"), rdflib.URIRef(KGNS + "suppliesWeaponsTo"),
            rdflib.URIRef("https://w3id.org/kgia/id/actor/RUS")) in g
    req = urllib.request.Request(endpoint + "?" + urllib.parse.urlencode({"query": q}),
                                 headers={"Accept": "application/ld+json"})
    with urllib.request.urlopen(req) as resp:
        assert resp.headers["Content-Type"].startswith("application/ld+json")
        doc = json.loads(resp.read())
    assert doc[0]["@id"] == "https://w3id.org/kgia/id/actor/IRN"


def _status(req) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_updates_are_refused_with_403(endpoint):
    for body, ctype in [(b"update=DROP+ALL", "application/x-www-form-urlencoded"),
                        (b"DROP ALL", "application/sparql-update")]:
        code, text = _status(urllib.request.Request(endpoint, data=body, headers={"Content-Type": ctype}))
        assert code == 403 and "read-only" in text
    code, _ = _status(endpoint + "?update=DROP%20ALL")
    assert code == 403
    # And the data is still there.
    assert _client(endpoint, SUPPLIERS).convert()["results"]["bindings"]


def test_malformed_query_is_400_with_position(endpoint):
    code, text = _status(endpoint + "?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s"}))
    assert code == 400 and text.startswith("query:1:")


def test_result_limit_truncates_and_says_so(endpoint):
    req = urllib.request.Request(endpoint + "?" + urllib.parse.urlencode(
        {"query": "SELECT * WHERE { ?s ?p ?o }"}), headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req) as resp:
        assert resp.headers["X-KG-Truncated"] == "true"
        assert len(json.loads(resp.read())["results"]["bindings"]) == 5


def test_unknown_path_is_404(endpoint):
    code, _ = _status(endpoint.replace("/sparql", "/nothing") + "?query=ASK%7B%7D")
    assert code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kg_serve_process_answers_while_a_build_writes_the_same_store(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    store = tmp_path / "store"
    assert kg("build", corpus / "a.md", "--store", store).exit_code == 0
    port = _free_port()
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    server = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--store", str(store),
                               "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert "SPARQL endpoint at http://127.0.0.1:" in server.stderr.readline()
        url = f"http://127.0.0.1:{port}/sparql"
        count = f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{KGNS}Document> }} }}"
        assert _client(url, count).convert()["results"]["bindings"][0]["n"]["value"] == "1"
        (corpus / "c.md").write_text(DOC_C)
        build = subprocess.run([sys.executable, "-m", "kg", "build", str(corpus), "--store", str(store)],
                               env=env, capture_output=True, text=True, timeout=120)
        assert build.returncode == 0, build.stderr
        deadline = time.monotonic() + 10
        while True:
            n = _client(url, count).convert()["results"]["bindings"][0]["n"]["value"]
            if n == "3" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert n == "3"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_slow_query_hits_the_time_limit(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    assert kg("build", corpus, "--store", tmp_path / "store").exit_code == 0
    server = make_server(str(tmp_path / "store"), "127.0.0.1", 0, timeout=0.2, limit=100)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/sparql"
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        start = time.monotonic()
        code, text = _status(url + "?" + urllib.parse.urlencode({"query": slow}))
        assert code == 503 and "longer than 0.2 s" in text
        assert time.monotonic() - start < 1.0
    finally:
        server.shutdown()
        server.server_close()


def test_serve_refuses_a_folder_that_is_not_a_store(tmp_path):
    r = kg("serve", "--store", tmp_path, "--port", "0")
    assert r.exit_code == 2 and "no kg store here" in r.output
