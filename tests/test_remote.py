"""--store http://...: the same build, query suite and export against real SPARQL servers
(Oxigraph and Virtuoso, see servers.py), compared with the embedded store."""

from __future__ import annotations

import time

import pytest

from graph_support import DOC_B, SUITE, export_bytes, free_port, kg, rows, write_corpus
from servers import start_oxigraph, start_virtuoso, stop


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    start = start_oxigraph if request.param == "oxigraph" else start_virtuoso
    url, proc = start(folder)
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def both(server, tmp_path_factory):
    base = tmp_path_factory.mktemp("remote")
    corpus = write_corpus(base / "corpus")
    embedded = base / "store"
    r1 = kg("build", corpus, "--store", embedded)
    r2 = kg("build", corpus, "--store", server)
    assert r1.exit_code == 0 and r2.exit_code == 0, r2.output
    assert "3 added" in r2.output
    return corpus, embedded, server


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


def test_export_pages_through_large_graphs(both, monkeypatch):
    from kg.store import RemoteStore

    _corpus, embedded, url = both
    monkeypatch.setattr(RemoteStore, "page_size", 7)  # many pages per graph on Virtuoso
    assert export_bytes(url) == export_bytes(embedded)


def test_virtuoso_digest_endpoint_and_update_protocol(both, tmp_path):
    """Last in this module: it writes to the server and then restores the graph."""
    from graph_support import DOC_C

    corpus, embedded, url = both
    if not url.endswith("/sparql"):
        pytest.skip("HTTP Digest authentication is tested on Virtuoso's /sparql-auth")
    auth = url.replace("http://", "http://dba:dba@").replace("/sparql", "/sparql-auth")
    r = kg("build", corpus, "--store", auth)
    assert r.exit_code == 0 and "3 unchanged" in r.output, r.output
    assert "dba:dba" not in r.output  # the password is not echoed
    extra = write_corpus(tmp_path / "extra", {"extra.md": DOC_C.replace("Iran", "Syria")})
    assert "1 added" in kg("build", extra, "--store", auth).output
    assert ["Syria", "suppliesWeaponsTo", "Russia"] in [r[:3] for r in rows(url, "who-supplies-whom")]
    # Remove it again through the SPARQL Update protocol, then let a build refresh actors and ties.
    from kg.rdf import DOC
    from kg.store import RemoteStore

    store = RemoteStore(auth)
    for row in store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g <https://w3id.org/kgia/ontology#documentId> ?id }} "
                           f"FILTER (CONTAINS(?id, 'extra.md')) }}"):
        assert row["g"].value.startswith(DOC)
        store.update(f"DROP SILENT GRAPH <{row['g'].value}>")
    kg("build", corpus, "--store", auth)
    assert export_bytes(url) == export_bytes(embedded)


def _network(location, **filters):
    from kg.network import Filters, project
    from kg.store import open_store

    st = open_store(str(location))
    try:
        g = project(st, Filters(**filters))
    finally:
        st.close()
    return dict(g.nodes(data=True)), {(u, v, k): d for u, v, k, d in g.edges(keys=True, data=True)}


@pytest.mark.parametrize("filters", [{}, {"include_speculative": True},
                                     {"relations": ("suppliesMunitionsTo", "signsAgreementWith")},
                                     {"actor": "https://w3id.org/kgia/id/actor/PRK", "depth": 1}],
                         ids=["all", "speculative", "relations", "ego"])
def test_same_network_as_embedded(both, monkeypatch, filters):
    from kg.store import RemoteStore

    _corpus, embedded, url = both
    local = _network(embedded, **filters)
    assert local[1]
    assert _network(url, **filters) == local
    monkeypatch.setattr(RemoteStore, "page_size", 3)  # results read in many pages
    assert _network(url, **filters) == local


def test_network_export_and_actor_lookup_on_a_server(both):
    _corpus, embedded, url = both
    args = ("export", "--format", "json", "--actor", "north korea")
    local = kg(*args, "--store", embedded)
    remote = kg(*args, "--store", url)
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout and "actor/PRK" in local.stdout
