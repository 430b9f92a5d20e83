"""``kg build``: extract documents and write their graphs into a store, idempotently.

A document is skipped when its named graph is complete (it has its marker quads) and was made
from the same text by the same extractor configuration (kg version, data files, date). Changed
documents replace their graph; new ones are added. After the documents, the shared actors graph
(descriptions of every actor some document mentions) is recomputed from the whole store, and the
ties graph (aggregates per asserted triple) is brought up to date by :class:`TieLedger` (from
the new documents when the ties are known to match the store, else recounted from every
assertion), so building a corpus in two halves gives the same graph as building it at once, and
an interrupted build is finished by running it again.
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
    ACTORS_GRAPH, KG, RDF, TIES_GRAPH, activity_iri, actor_iri, actor_quads, build_time, content_hash,
    DocumentGraph, document_graph, document_iri, tie_iri, tie_quads,
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
    ties: dict = field(default_factory=dict)  # asserted (s, r, o) -> assertions stating it
    dates: tuple = ()  # the document's publication date(s)

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
        ties, dates = graph_ties(g.data)
        return PackedGraph(g.iri, g.content_hash, g.activity,
                           ox.serialize(g.data, format=NQUADS) if g.data else b"",
                           ox.serialize(g.marker, format=NQUADS), g.assertions,
                           len(g.data) + len(g.marker), getattr(extractions, "sentences", 0),
                           ties, dates)


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

    # Batches are written on a thread of their own while the next batch is extracted: the
    # bulk loader runs in Rust without the GIL, so writing overlaps extraction (in this process
    # with one worker, or while the worker processes' results are received). One batch at a
    # time is written, in order; an error in the writer stops the build at the next batch.
    ledger = TieLedger(store, done, known)
    writer = _BatchWriter(store, ledger, log)
    batch, size = [], 0
    try:
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
                writer.submit(batch, f"wrote {report.added + report.replaced} document graph(s)")
                batch, size = [], 0
        if batch:
            writer.submit(batch, f"wrote {report.added + report.replaced} document graph(s)")
    finally:
        writer.close()  # waits for the batch being written; re-raises its error
    store.resume()
    report.actors = refresh_actors(store, extractor.gazetteer)
    report.ties = ledger.finish()
    report.problems = summary.problems
    report.sentences = summary.sentences
    report.seconds = time.perf_counter() - started
    return report


class _BatchWriter:
    """Writes batches of document graphs into the store on one background thread, one batch
    at a time, releasing the embedded database between batches so that readers can use it."""

    def __init__(self, store, ledger: "TieLedger", log: Callable[[str], None] | None = None):
        from concurrent.futures import ThreadPoolExecutor

        self.store = store
        self.log = log
        self.ledger = ledger
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="kg-writer")
        self.pending = None
        store.pause()

    def _write(self, batch, message: str) -> None:
        self.store.resume()
        self.ledger.before_write(batch)
        self.store.write_documents(batch)
        self.store.pause()  # readers may use the store while the next batch is extracted
        if self.log:
            self.log(message)

    def submit(self, batch, message: str) -> None:
        if self.pending is not None:
            self.pending.result()  # the previous batch first (and its error, if any)
        self.pending = self.pool.submit(self._write, batch, message)

    def close(self) -> None:
        try:
            if self.pending is not None:
                self.pending.result()
        finally:
            self.pending = None
            self.pool.shutdown(wait=True)


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


def _asserted_rows(store, keys=None):
    """(assertion, subject, relation, object, document) IRIs of every asserted assertion, or
    of those about the (subject, relation, object) ``keys`` only."""
    query = ASSERTED_ROWS
    if keys is not None:
        # kg's own IRIs, read back from the store (never text from an article).
        rows = " ".join(f"(<{a}> <{b}> <{c}>)" for a, b, c in sorted(keys) if _safe_iris(a, b, c))
        query = query.rstrip().rstrip("}") + f"  VALUES (?s ?r ?o) {{ {rows} }}\n}}\n"
    for row in store.query(query, where="kg build"):
        yield row["a"].value, row["s"].value, row["r"].value, row["o"].value, row["d"].value


def _safe_iris(*iris: str) -> bool:
    return all(not set(i) & set('<>"{}|^`\\ \n') for i in iris)


def tie_rows(store, keys=None) -> list[tuple]:
    """What :data:`TIES_QUERY` answers (for ``keys`` only, if given), computed here from two
    flat queries: several times faster on Oxigraph than its GROUP BY over the joined patterns
    (a test checks they agree)."""
    dates: dict[str, set[str]] = {}
    for row in store.query(DOCUMENT_DATES, where="kg build"):
        dates.setdefault(row["d"].value, set()).add(row["date"].value)
    ties: dict[tuple[str, str, str], tuple[set, set]] = {}
    for a, s, r, o, d in _asserted_rows(store, keys):
        key = (s, r, o)
        entry = ties.get(key)
        if entry is None:
            entry = ties[key] = (set(), set())
        entry[0].add(a)
        entry[1].add(d)
    rows = []
    for key in sorted(ties):
        assertions, docs = ties[key]
        seen = sorted({day for d in docs for day in dates.get(d, ())})  # xsd:date: ISO order
        rows.append((*key, len(assertions), len(docs), seen[0] if seen else None,
                     seen[-1] if seen else None))
    return rows


_MODALITY, _ASSERTED = KG + "modality", KG + "Asserted"
_TYPE, _ASSERTION = RDF + "type", KG + "Assertion"
_SUBJECT, _RELATION, _OBJECT = KG + "subject", KG + "relation", KG + "object"
_DATE = "http://purl.org/dc/terms/date"


def graph_ties(quads) -> tuple[dict[tuple[str, str, str], int], tuple[str, ...]]:
    """What one document graph gives the ties: per asserted (subject, relation, object) the
    number of assertion nodes stating it, and the document's publication date(s)."""
    asserted, typed, parts, dates = set(), set(), {}, set()
    for q in quads:
        p = q.predicate.value
        if p == _MODALITY:
            if q.object.value == _ASSERTED:
                asserted.add(q.subject.value)
        elif p == _TYPE:
            if q.object.value == _ASSERTION:
                typed.add(q.subject.value)
        elif p in (_SUBJECT, _RELATION, _OBJECT):
            parts.setdefault(q.subject.value, {})[p] = q.object.value
        elif p == _DATE:
            dates.add(q.object.value)
    ties: dict[tuple[str, str, str], int] = {}
    for a in asserted & typed:
        x = parts.get(a, {})
        if len(x) == 3:
            key = (x[_SUBJECT], x[_RELATION], x[_OBJECT])
            ties[key] = ties.get(key, 0) + 1
    return ties, tuple(sorted(dates))


def _done_digest(done: dict[str, set[str]]) -> str:
    h = hashlib.sha256()
    for iri in sorted(done):
        h.update(f"{iri}\t{','.join(sorted(done[iri]))}\n".encode())
    return h.hexdigest()


class TieLedger:
    """Keeps the ties graph (aggregates per asserted triple) in step with the document graphs.

    Recomputing the ties from every assertion in the store costs a few index lookups per
    assertion on each build, however few documents it adds. Instead, when the ties are known to
    match the store's complete document graphs (a digest of them is kept in the store folder,
    written after the ties), the ledger adds what the new documents state (counted by the
    workers from the graphs they made) and recomputes exactly only the triples that a replaced
    document stated. Otherwise (first use, an interrupted build, a graph left incomplete, a
    SPARQL server) it recomputes all of them. Either way only the ties that changed are
    rewritten. A test checks both ways against :data:`TIES_QUERY`.
    """

    def __init__(self, store, done: dict[str, set[str]], known: set[str]):
        self.store = store
        self.done = {iri: set(acts) for iri, acts in done.items()}
        self.embedded = not getattr(store, "remote", False)
        # An empty store's (empty) ties are up to date too.
        self.incremental = self.embedded and set(known) == set(done) and (
            store.read_state("ties") == _done_digest(done)
            or (not known and _count_summaries(store) == 0))
        self.written: dict[str, str] = {}  # graph IRI -> activity of this build
        self.counts: dict[tuple, list] = {}  # key -> [assertions, documents, first, last date]
        self.recheck: set[tuple] = set()  # keys a replaced graph stated: recomputed exactly

    def before_write(self, batch) -> None:
        """Called (in order) just before each batch replaces its graphs."""
        for g in batch:
            if g.iri in self.written:
                # The same document twice in one build: what its first graph stated is not
                # kept apart, so recount everything at the end.
                self.incremental = False
            if self.incremental and g.iri in self.done:
                old = self.store.ox.quads_for_pattern(None, None, None, ox.NamedNode(g.iri))
                self.recheck.update(graph_ties(old)[0])
            self.written[g.iri] = g.activity
            dates = getattr(g, "dates", ())
            for key, n in getattr(g, "ties", {}).items():
                entry = self.counts.get(key)
                if entry is None:
                    entry = self.counts[key] = [0, 0, None, None]
                entry[0] += n
                entry[1] += 1
                if dates:  # ISO dates: string order is date order
                    entry[2] = min(entry[2] or dates[0], dates[0])
                    entry[3] = max(entry[3] or dates[-1], dates[-1])

    def finish(self) -> int:
        """Bring the ties graph up to date; returns the number of ties."""
        if not self.embedded:
            return refresh_ties(self.store)
        if self.incremental and not self.written:
            return _count_summaries(self.store)
        if self.incremental:
            # Only the ties this build touches are read and rewritten.
            old, nodes = read_ties(self.store, set(self.counts) | self.recheck)
            new = dict(old)
            for key, (n, docs, since, until) in self.counts.items():
                if key in self.recheck:
                    continue
                sentences, documents, first, last = old.get(key, (0, 0, None, None))
                seen = sorted({d for d in (first, last, since, until) if d})
                new[key] = (sentences + n, documents + docs, seen[0] if seen else None,
                            seen[-1] if seen else None)
            if self.recheck:
                exact = {row[:3]: row[3:] for row in tie_rows(self.store, self.recheck)}
                for key in self.recheck:
                    if key in exact:
                        new[key] = exact[key]
                    else:
                        new.pop(key, None)
        else:
            old, nodes = read_ties(self.store)
            new = {row[:3]: row[3:] for row in tie_rows(self.store)}
        write_ties(self.store, old, new, nodes)
        done = {iri: acts for iri, acts in self.done.items() if iri not in self.written}
        done.update((iri, {act}) for iri, act in self.written.items())
        self.store.write_state("ties", _done_digest(done))
        return _count_summaries(self.store)


def read_ties(store, keys=None) -> tuple[dict[tuple[str, str, str], tuple], set[str]]:
    """The ties graph (or the ties of ``keys``) as (subject, relation, object) -> (sentences,
    documents, first, last), and the IRIs of the nodes read."""
    graph = ox.NamedNode(TIES_GRAPH)
    if keys is None:
        quads = store.ox.quads_for_pattern(None, None, None, graph)
    else:
        quads = (q for k in sorted(keys)
                 for q in store.ox.quads_for_pattern(ox.NamedNode(tie_iri(*k)), None, None, graph))
    nodes: dict[str, dict[str, str]] = {}
    for q in quads:
        nodes.setdefault(q.subject.value, {})[q.predicate.value] = q.object.value
    out = {}
    for x in nodes.values():
        try:
            key = (x[RDF + "subject"], x[RDF + "predicate"], x[RDF + "object"])
            out[key] = (int(x[KG + "sentenceCount"]), int(x[KG + "documentCount"]),
                        x.get(KG + "firstSeen"), x.get(KG + "lastSeen"))
        except (KeyError, ValueError):
            continue  # not a summary kg wrote: dropped by write_ties
    return out, set(nodes)


def write_ties(store, old: dict, new: dict, nodes: set[str]) -> None:
    """Rewrite the ties that differ between ``old`` and ``new``; drop nodes that are no tie."""
    graph = ox.NamedNode(TIES_GRAPH)
    keep = {tie_iri(*k) for k, v in old.items() if new.get(k) == v}
    for iri in sorted(nodes - keep):
        for q in list(store.ox.quads_for_pattern(ox.NamedNode(iri), None, None, graph)):
            store.ox.remove(q)
    store.ox.flush()
    rows = [(*k, *v) for k, v in sorted(new.items()) if old.get(k) != v]
    store.add_quads(tie_quads(rows))


def _count_summaries(store) -> int:
    # Counted by the database: reading each node back into Python costs a lookup per term.
    res = store.ox.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{TIES_GRAPH}> {{ "
                         f"?t a <{KG}RelationSummary> }} }}")
    return int(next(iter(res))["n"].value)


def refresh_ties(store) -> int:
    """Rewrite the ties graph: per asserted (subject, relation, object), how many sentences and
    documents support it and the first and last publication dates among them."""
    rows = tie_rows(store)
    store.replace_graph(TIES_GRAPH, list(tie_quads(rows)))
    return len(rows)
