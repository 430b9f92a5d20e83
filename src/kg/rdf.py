"""Map documents, extractions and actors to RDF quads under the kg ontology. No I/O.

IRIs are minted, never built from article text:

* actors: ``https://w3id.org/kgia/id/actor/<gazetteer key>`` (ISO alpha-3 for states, the
  gazetteer's slug for organisations and groups, percent-encoded);
* documents: ``.../doc/<sha256 of the document's identity>`` (front matter ``id``, else ``url``,
  else its path), so that an edited file keeps its IRI and replaces its old graph;
* assertions: ``.../assertion/<sha256 of document, offsets, subject, relation, object>``;
* extraction runs: ``.../extraction/<sha256 of document, content hash, extractor fingerprint>``.

Each document's triples go to a named graph named by the document's IRI; actor descriptions
go to the shared graph :data:`ACTORS_GRAPH`, and per-triple aggregates to :data:`TIES_GRAPH`.
Text (titles, evidence) only ever appears inside literals, which pyoxigraph escapes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode, Quad

from kg import __version__
from kg.ontology import ID, KG

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
WD = "http://www.wikidata.org/entity/"

ACTOR = ID + "actor/"
DOC = ID + "doc/"
ASSERTION = ID + "assertion/"
EXTRACTION = ID + "extraction/"
TIE = ID + "tie/"
ACTORS_GRAPH = ID + "graph/actors"
TIES_GRAPH = ID + "graph/ties"

PREFIXES = {
    "kg": KG, "actor": ACTOR, "doc": DOC, "assertion": ASSERTION, "extraction": EXTRACTION,
    "tie": TIE, "rdf": RDF, "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": XSD,
    "skos": SKOS, "owl": OWL, "prov": PROV, "dcterms": DCTERMS, "wd": WD,
}

ACTOR_CLASS = {
    "State": KG + "State",
    "Territory": KG + "Actor",  # the ontology has no territory class; a territory is an actor
    "IntergovernmentalOrganization": KG + "IntergovernmentalOrganization",
    "NonStateGroup": KG + "NonStateGroup",
}
MODALITY = {"asserted": KG + "Asserted", "speculative": KG + "Speculative", "negated": KG + "Negated"}
MODALITY_RANK = {"asserted": 0, "speculative": 1, "negated": 2}


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


TYPE = _n(RDF + "type")


def _str(value: str) -> Literal:
    return Literal(value)


def _typed(value, datatype: str) -> Literal:
    return Literal(str(value), datatype=NamedNode(XSD + datatype))


def sha256(*parts: object) -> str:
    """A stable digest of ``parts`` (joined with a separator that cannot occur in them)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def actor_iri(key: str) -> str:
    return ACTOR + quote(key, safe="-._~")


def document_key(doc) -> str:
    """What identifies a document across edits: front matter ``id``, else ``url``, else path."""
    if doc.meta.get("id"):
        return "id:" + doc.meta["id"]
    if doc.url:
        return "url:" + doc.url
    return "path:" + os.path.normpath(doc.id).replace(os.sep, "/")


def document_iri(doc) -> str:
    return DOC + sha256(document_key(doc))


def content_hash(doc) -> str:
    return hashlib.sha256(doc.text.encode("utf-8")).hexdigest()


def assertion_iri(doc_iri: str, start: int, end: int, subject: str, relation: str, obj: str) -> str:
    return ASSERTION + sha256(doc_iri, start, end, subject, relation, obj)


def build_time() -> dt.datetime:
    """Now in UTC to the second, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _datetime(t: dt.datetime) -> Literal:
    return _typed(t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "dateTime")


def confidence_literal(value: float) -> Literal:
    d = Decimal(str(round(float(value), 4))).normalize()
    text = format(d, "f")
    if "." not in text:
        text += ".0"
    return _typed(text, "decimal")


def publication_date(doc) -> dt.date | None:
    """The date in the document's own front matter (not a ``--date`` override)."""
    value = doc.meta.get("date")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def unique_extractions(extractions: Iterable) -> list:
    """One extraction per (offsets, subject, relation, object): the strongest modality wins."""
    best: dict[tuple, object] = {}
    for x in extractions:
        key = (x.start, x.end, x.subject, x.relation, x.object)
        old = best.get(key)
        if old is None or (MODALITY_RANK[x.modality], -x.confidence, x.rule) < (
            MODALITY_RANK[old.modality], -old.confidence, old.rule
        ):
            best[key] = x
    return [best[k] for k in sorted(best)]


@dataclass
class DocumentGraph:
    """The quads of one document's named graph, split so that a build can write ``marker``
    last: a graph that has its marker quads was written completely."""

    iri: str
    content_hash: str
    activity: str
    data: list[Quad]
    marker: list[Quad]
    assertions: int

    @property
    def quads(self) -> list[Quad]:
        return self.data + self.marker


def activity_iri(doc_iri: str, digest: str, fingerprint: str) -> str:
    return EXTRACTION + sha256(doc_iri, digest, fingerprint)


def document_graph(doc, extractions: Iterable, fingerprint: str = "",
                   generated: dt.datetime | None = None) -> DocumentGraph:
    """The named graph of one document: its description, the extraction run, every assertion,
    and the asserted relations as direct ``actor kg:relation actor`` triples."""
    iri = document_iri(doc)
    g = _n(iri)
    d = _n(iri)
    digest = content_hash(doc)
    act_iri = activity_iri(iri, digest, fingerprint)
    act = _n(act_iri)
    when = _datetime(generated or build_time())
    version = _str(__version__)
    data: list[Quad] = []

    def add(s, p, o):
        data.append(Quad(s, _n(p), o, g))

    add(d, RDF + "type", _n(KG + "Document"))
    add(d, KG + "documentId", _str(doc.id))
    if doc.title:
        add(d, DCTERMS + "title", _str(doc.title))
    pub = publication_date(doc)
    if pub:
        add(d, DCTERMS + "date", _typed(pub.isoformat(), "date"))
    if doc.url:
        try:
            add(d, DCTERMS + "source", NamedNode(doc.url))
        except ValueError:  # not an absolute IRI: keep it as a literal
            add(d, DCTERMS + "source", _typed(doc.url, "anyURI"))
    add(act, PROV + "used", d)
    add(act, KG + "extractorVersion", version)
    add(act, PROV + "endedAtTime", when)

    count = 0
    for x in unique_extractions(extractions):
        s_iri, o_iri = actor_iri(x.subject), actor_iri(x.object)
        a = _n(assertion_iri(iri, x.start, x.end, x.subject, x.relation, x.object))
        count += 1
        add(a, RDF + "type", _n(KG + "Assertion"))
        add(a, KG + "subject", _n(s_iri))
        add(a, KG + "relation", _n(KG + x.relation))
        add(a, KG + "object", _n(o_iri))
        add(a, KG + "modality", _n(MODALITY[x.modality]))
        add(a, KG + "confidence", confidence_literal(x.confidence))
        add(a, KG + "evidenceText", _str(x.evidence))
        add(a, KG + "startOffset", _typed(x.start, "nonNegativeInteger"))
        add(a, KG + "endOffset", _typed(x.end, "nonNegativeInteger"))
        if x.sentence >= 1:
            add(a, KG + "sentenceIndex", _typed(x.sentence - 1, "nonNegativeInteger"))
        add(a, KG + "ruleId", _str(x.rule))
        add(a, KG + "extractorVersion", version)
        add(a, PROV + "wasDerivedFrom", d)
        add(a, PROV + "wasGeneratedBy", act)
        add(a, PROV + "generatedAtTime", when)
        if x.modality == "asserted":
            add(_n(s_iri), KG + x.relation, _n(o_iri))
    marker = [
        Quad(act, TYPE, _n(KG + "Extraction"), g),
        Quad(d, _n(KG + "contentHash"), _str(digest), g),
    ]
    return DocumentGraph(iri, digest, act_iri, _dedupe(data), marker, count)


def _dedupe(quads: list[Quad]) -> list[Quad]:
    return list(dict.fromkeys(quads))


def actor_quads(actor) -> Iterator[Quad]:
    """The description of one gazetteer actor, in the shared actors graph."""
    g = _n(ACTORS_GRAPH)
    a = _n(actor_iri(actor.key))
    yield Quad(a, TYPE, _n(ACTOR_CLASS.get(actor.type, KG + "Actor")), g)
    yield Quad(a, _n(SKOS + "prefLabel"), Literal(actor.name, language="en"), g)
    for label in sorted({x for x in actor.labels if x and x != actor.name}):
        yield Quad(a, _n(SKOS + "altLabel"), Literal(label, language="en"), g)
    if actor.code:
        yield Quad(a, _n(KG + "isoCode"), _str(actor.code), g)
    if actor.qid:
        yield Quad(a, _n(KG + "wikidataId"), _str(actor.qid), g)
        yield Quad(a, _n(OWL + "sameAs"), _n(WD + actor.qid), g)


def tie_iri(s: str, r: str, o: str) -> str:
    """The IRI of the summary node of one asserted (subject, relation, object)."""
    return TIE + sha256(s, r, o)


def tie_quads(rows: Iterable[tuple]) -> Iterator[Quad]:
    """Aggregates per asserted (subject, relation, object), as ``kg:RelationSummary`` nodes.

    ``rows`` are (subject IRI, relation IRI, object IRI, sentences, documents, first date or
    None, last date or None).
    """
    g = _n(TIES_GRAPH)
    for s, r, o, sentences, documents, first, last in rows:
        t = _n(tie_iri(s, r, o))
        yield Quad(t, TYPE, _n(KG + "RelationSummary"), g)
        yield Quad(t, _n(RDF + "subject"), _n(s), g)
        yield Quad(t, _n(RDF + "predicate"), _n(r), g)
        yield Quad(t, _n(RDF + "object"), _n(o), g)
        yield Quad(t, _n(KG + "sentenceCount"), _typed(sentences, "nonNegativeInteger"), g)
        yield Quad(t, _n(KG + "documentCount"), _typed(documents, "nonNegativeInteger"), g)
        if first:
            yield Quad(t, _n(KG + "firstSeen"), _typed(first, "date"), g)
        if last:
            yield Quad(t, _n(KG + "lastSeen"), _typed(last, "date"), g)


# Oxigraph stores every integer-derived literal as xsd:integer (the value is kept, the declared
# datatype is not), while the ontology and shapes say xsd:nonNegativeInteger. Exports and
# validation put the declared datatype back for kg's own properties.
NON_NEGATIVE = frozenset(KG + p for p in (
    "startOffset", "endOffset", "sentenceIndex", "sentenceCount", "documentCount"))
_INTEGER = XSD + "integer"
_NNI = NamedNode(XSD + "nonNegativeInteger")


_NON_NEGATIVE_NODES = frozenset(NamedNode(p) for p in NON_NEGATIVE)
_INTEGER_NODE = NamedNode(_INTEGER)


def restore_datatype(quad):
    """The quad (or triple) with its object re-typed where the store dropped the datatype."""
    if quad.predicate not in _NON_NEGATIVE_NODES:
        return quad
    o = quad.object
    if isinstance(o, Literal) and o.datatype == _INTEGER_NODE:
        o = Literal(o.value, datatype=_NNI)
        if isinstance(quad, Quad):
            return Quad(quad.subject, quad.predicate, o, quad.graph_name)
        from pyoxigraph import Triple

        return Triple(quad.subject, quad.predicate, o)
    return quad
