"""``kg build``: extract documents and write their graphs into a store, idempotently.

A document is skipped when its named graph is complete (it has its marker quads) and was made
from the same text by the same extractor configuration (kg version, data files, date). Changed
documents replace their graph; new ones are added. After the documents, the shared actors graph
(descriptions of every actor some document mentions) and the ties graph (aggregates per
asserted triple) are recomputed from the whole store, so building a corpus in two halves gives
the same graph as building it at once, and an interrupted build is finished by running it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg import __version__
from kg.pipeline import RunSummary, iter_extractions
from kg.rdf import (
    ACTORS_GRAPH, KG, TIES_GRAPH, activity_iri, actor_iri, actor_quads, build_time, content_hash,
    DocumentGraph, document_graph, document_iri, tie_quads,
)
from kg.resources import ontology_dir

BATCH_QUADS = 100_000
NQUADS = ox.RdfFormat.N_QUADS


@dataclass
class PackedGraph:
    """A document's graph as made in a worker process, in N-Quads: pyoxigraph's Rust
    serializer and parser move it between processes far faster than pickled Quad objects."""

    iri: str
    content_hash: str
    activity: str
    data: bytes
    marker: bytes
    assertions: int
    quads: int
    sentences: int

    def __len__(self) -> int:
        return self.assertions

    def unpack(self) -> DocumentGraph:
        return DocumentGraph(self.iri, self.content_hash, self.activity,
                             list(ox.parse(self.data, format=NQUADS)),
                             list(ox.parse(self.marker, format=NQUADS)), self.assertions)


@dataclass(frozen=True)
class GraphMaker:
    """Turns one document's extractions into its :class:`PackedGraph`; small and picklable, so
    that extraction workers (local processes or Dask) build the RDF too, not the writer."""

    fingerprint: str
    today: dt.date
    generated: dt.datetime

    def fingerprint_of(self, doc) -> str:
        # An undated document is read as of today: part of its fingerprint.
        return self.fingerprint if doc.date else f"{self.fingerprint}:{self.today}"

    def __call__(self, doc, extractions) -> PackedGraph:
        g = document_graph(doc, extractions, self.fingerprint_of(doc), self.generated)
        return PackedGraph(g.iri, g.content_hash, g.activity,
                           ox.serialize(g.data, format=NQUADS) if g.data else b"",
                           ox.serialize(g.marker, format=NQUADS), g.assertions,
                           len(g.data) + len(g.marker), getattr(extractions, "sentences", 0))


@dataclass
class BuildReport:
    documents: int = 0
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    assertions: int = 0
    actors: int = 0
    ties: int = 0
    quads: int = 0
    sentences: int = 0  # in the documents extracted by this run (unchanged ones not counted)
    seconds: float = 0.0
    problems: list = field(default_factory=list)


def fingerprint(extractor, date: dt.date | None, gazetteers: Iterable[str] = ()) -> str:
    """What else, besides the text, decides the extraction: version, data files, --date."""
    vocabulary = getattr(extractor, "vocabulary", "core")
    h = hashlib.sha256(f"kg {__version__}\ndate {date}\nvocabulary {vocabulary}\n".encode())
    folder = ontology_dir()
    files = [folder / "kg.ttl", *sorted((folder / "patterns").glob("*.jsonl")),
             *sorted((folder / "actors").glob("*.jsonl")), *map(str, gazetteers)]
    for f in files:
        try:
            with open(f, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
        except OSError:
            h.update(b"missing " + str(f).encode())
    return h.hexdigest()


def completed_graphs(store) -> dict[str, set[str]]:
    """Graph IRI -> activity IRIs of the extraction runs whose graph is complete."""
    res = store.query(
        f"SELECT ?g ?a WHERE {{ GRAPH ?g {{ ?d <{KG}contentHash> ?h . "
        f"?a a <{KG}Extraction> . ?a <http://www.w3.org/ns/prov#used> ?d }} }}",
        where="kg build")
    done: dict[str, set[str]] = {}
    for row in res:
        done.setdefault(row["g"].value, set()).add(row["a"].value)
    return done


def build_graph(paths: Iterable[str], store, extractor, date: dt.date | None = None,
                encoding: str | None = None, gazetteers: Iterable[str] = (),
                batch_quads: int | None = None,
                log: Callable[[str], None] | None = None, workers: int = 1,
                dask: str | None = None, fields=None,
                progress: Callable[[int], None] | None = None) -> BuildReport:
    """Extract ``paths`` into ``store``; returns counts of what changed.

    ``workers`` processes (or the Dask cluster at ``dask``) extract; this process alone writes,
    a batch of about ``batch_quads`` quads at a time. ``log(message)`` hears of each batch
    written, ``progress(n)`` of each input item read (documents and skipped inputs).
    """
    started = time.perf_counter()
    batch_quads = batch_quads or int(os.environ.get("KG_BATCH_QUADS", BATCH_QUADS))
    report = BuildReport()
    summary = RunSummary()
    done = completed_graphs(store)
    known = set(_all_document_graphs(store))
    # With --date every document is read as of that date (iter_documents sets doc.date).
    maker = GraphMaker(fingerprint(extractor, date, gazetteers), extractor.today, build_time())

    def unchanged(doc) -> bool:
        iri = document_iri(doc)
        act = activity_iri(iri, content_hash(doc), maker.fingerprint_of(doc))
        return act in done.get(iri, ())

    def flush(batch):
        store.resume()
        store.write_documents(batch)
        store.pause()  # readers may use the store while the next batch is extracted

    store.pause()
    batch, size = [], 0
    for doc, extractions in iter_extractions(paths, extractor, date=date, encoding=encoding,
                                             summary=summary, skip=unchanged, workers=workers,
                                             fields=fields, dask=dask, progress=progress,
                                             finish=maker):
        report.documents += 1
        if extractions is None:
            report.unchanged += 1
            continue
        packed = extractions
        # The embedded store loads the N-Quads itself; a SPARQL server gets the quads.
        g = packed.unpack() if getattr(store, "remote", False) else packed
        if g.iri in known:
            report.replaced += 1
        else:
            report.added += 1
            known.add(g.iri)
        report.assertions += g.assertions
        batch.append(g)
        size += packed.quads
        if size >= batch_quads:
            flush(batch)
            if log:
                log(f"wrote {report.added + report.replaced} document graph(s)")
            batch, size = [], 0
    store.resume()
    store.write_documents(batch)
    report.actors = refresh_actors(store, extractor.gazetteer)
    report.ties = refresh_ties(store)
    report.problems = summary.problems
    report.sentences = summary.sentences
    report.seconds = time.perf_counter() - started
    return report


def _all_document_graphs(store) -> list[str]:
    res = store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a <{KG}Document> }} }}",
                      where="kg build")
    return [row["g"].value for row in res]


def refresh_actors(store, gazetteer) -> int:
    """Rewrite the actors graph: every actor some assertion names, described from the gazetteer
    (an actor the gazetteer no longer knows keeps its old description)."""
    res = store.query(
        f"SELECT DISTINCT ?a WHERE {{ GRAPH ?g {{ ?x <{KG}subject>|<{KG}object> ?a }} "
        f"FILTER (?g != <{ACTORS_GRAPH}>) }}", where="kg build")
    wanted = sorted(row["a"].value for row in res)
    by_iri = {actor_iri(actor.key): actor for actor in gazetteer.actors.values()}
    quads: list[ox.Quad] = []
    missing = [iri for iri in wanted if iri not in by_iri]
    if missing:
        old = store.query(
            f"CONSTRUCT {{ ?a ?p ?o }} WHERE {{ GRAPH <{ACTORS_GRAPH}> {{ ?a ?p ?o }} "
            f"VALUES ?a {{ {' '.join(f'<{m}>' for m in missing)} }} }}", where="kg build")
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ACTORS_GRAPH))
                     for t in old)
    for iri in wanted:
        if iri in by_iri:
            quads.extend(actor_quads(by_iri[iri]))
    store.replace_graph(ACTORS_GRAPH, quads)
    return len(wanted)


TIES_QUERY = f"""
PREFIX kg: <{KG}>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?s ?r ?o (COUNT(DISTINCT ?a) AS ?sentences) (COUNT(DISTINCT ?d) AS ?documents)
       (MIN(?date) AS ?first) (MAX(?date) AS ?last)
WHERE {{
  ?a a kg:Assertion ; kg:subject ?s ; kg:relation ?r ; kg:object ?o ;
     kg:modality kg:Asserted ; prov:wasDerivedFrom ?d .
  OPTIONAL {{ ?d dcterms:date ?date }}
}}
GROUP BY ?s ?r ?o
ORDER BY ?s ?r ?o
"""


ASSERTED_ROWS = f"""
PREFIX kg: <{KG}>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?a ?s ?r ?o ?d WHERE {{
  ?a kg:modality kg:Asserted ; a kg:Assertion ; kg:subject ?s ; kg:relation ?r ; kg:object ?o ;
     prov:wasDerivedFrom ?d .
}}
"""
DOCUMENT_DATES = f"""
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?d ?date WHERE {{ ?d a <{KG}Document> ; dcterms:date ?date }}
"""


def tie_rows(store) -> list[tuple]:
    """What :data:`TIES_QUERY` answers, computed here from two flat queries: several times faster
    on Oxigraph than its GROUP BY over the joined patterns (a test checks they agree)."""
    dates: dict[str, set[str]] = {}
    for row in store.query(DOCUMENT_DATES, where="kg build"):
        dates.setdefault(row["d"].value, set()).add(row["date"].value)
    ties: dict[tuple[str, str, str], tuple[set, set]] = {}
    for row in store.query(ASSERTED_ROWS, where="kg build"):
        key = (row["s"].value, row["r"].value, row["o"].value)
        entry = ties.get(key)
        if entry is None:
            entry = ties[key] = (set(), set())
        entry[0].add(row["a"].value)
        entry[1].add(row["d"].value)
    rows = []
    for key in sorted(ties):
        assertions, docs = ties[key]
        seen = sorted({day for d in docs for day in dates.get(d, ())})  # xsd:date: ISO order
        rows.append((*key, len(assertions), len(docs), seen[0] if seen else None,
                     seen[-1] if seen else None))
    return rows


def refresh_ties(store) -> int:
    """Rewrite the ties graph: per asserted (subject, relation, object), how many sentences and
    documents support it and the first and last publication dates among them."""
    rows = tie_rows(store)
    store.replace_graph(TIES_GRAPH, list(tie_quads(rows)))
    return len(rows)
