"""The knowledge graph as a network of actors (networkx), for exports and views.

:func:`project` reads the store with three SPARQL queries (actors, documents, assertions; no
query per edge) and aggregates in Python:

* **nodes** are actor IRIs: every actor that is the subject or object of a kept edge (plus the
  centre of an ego network, even when no edge is left around it). Attributes: ``label``
  (``skos:prefLabel``), ``type`` (``State``, ``IntergovernmentalOrganization``,
  ``NonStateGroup`` or ``Actor``), ``iso``, ``qid`` (``""`` when there is none) and ``degree``
  (edges touching the node in this projection).
* **edges** ``(subject, object, relation)`` aggregate the assertions of one relation between two
  actors: ``weight`` is the number of supporting sentences (assertions) counted under the
  filters, ``documents`` the number of documents they come from, ``first_seen``/``last_seen`` the
  publication dates of those documents, the ``asserted``/``speculative``/``negated`` counts and
  their ``modality`` (one of the three, or ``mixed``), and the relation's ``label``, ``plover``,
  ``cameo`` and ``polarity`` from the ontology. ``evidence`` lists up to :data:`MAX_EVIDENCE`
  sentences (text, document, title, url, date, modality), by date then document.
* **symmetric relations** (``alignsWith``, ``meetsWith``, ...; ``owl:SymmetricProperty`` in the
  ontology) appear once per unordered pair: the edge runs from the smaller IRI to the larger one
  (``u < v`` as strings), has ``symmetric=True``, and merges the assertions of both directions
  ("A met B" and "B met A" are the same tie). Other relations keep their direction.

The graph's own attributes: ``name`` ("kg"), ``relations`` (how many relation types its
edges use), ``sentences`` (the sum of the weights) and ``filters`` (a one-line summary).

By default only asserted evidence counts; :attr:`Filters.include_speculative` counts speculative
and negated evidence too (an edge then exists when any evidence for it does, and ``modality``
says what kind). Date bounds apply to each sentence's document date; undated evidence is kept
only when neither bound is given. ``min_weight`` is applied to the aggregated edges, then the
ego network (``actor``, ``depth``) is cut out of what is left, ignoring edge direction.

Article text only ever reaches the queries' results, never their text: the one value that
varies (a relation filter) is bound as an RDF term through :meth:`store.query`'s bindings.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict, deque
from dataclasses import dataclass
from urllib.parse import unquote

import networkx as nx
import pyoxigraph as ox

from kg.errors import UsageError
from kg.ontology import KG, load_ontology
from kg.rdf import ACTOR, ACTORS_GRAPH

MAX_EVIDENCE = 50
MODALITIES = ("asserted", "speculative", "negated")
ACTOR_TYPES = ("State", "IntergovernmentalOrganization", "NonStateGroup")

_PREFIXES = f"""PREFIX kg: <{KG}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

# One row per assertion (the properties are functional, so no duplicates; servers page it by
# ?a, which needs no decoding when it is not selected). ``?m`` and ``?rel``
# may be bound on the #BINDINGS line.
ASSERTIONS_QUERY = _PREFIXES + """SELECT ?s ?rel ?o ?m ?doc ?text ?start WHERE {
  #BINDINGS
  ?a kg:subject ?s ; kg:relation ?rel ; kg:object ?o ; kg:modality ?m ;
     prov:wasDerivedFrom ?doc .
  OPTIONAL { ?a kg:evidenceText ?text }
  OPTIONAL { ?a kg:startOffset ?start }
}"""

DOCUMENTS_QUERY = _PREFIXES + """SELECT ?doc ?title ?date ?url WHERE {
  ?doc a kg:Document .
  OPTIONAL { ?doc dcterms:title ?title }
  OPTIONAL { ?doc dcterms:date ?date }
  OPTIONAL { ?doc dcterms:source ?url }
}"""

ACTORS_QUERY = _PREFIXES + f"""SELECT ?a ?type ?label ?iso ?qid WHERE {{
  GRAPH <{ACTORS_GRAPH}> {{
    ?a a ?type .
    OPTIONAL {{ ?a skos:prefLabel ?label }}
    OPTIONAL {{ ?a kg:isoCode ?iso }}
    OPTIONAL {{ ?a kg:wikidataId ?qid }}
  }}
}}"""

NAMES_QUERY = _PREFIXES + f"""SELECT ?a ?name WHERE {{
  GRAPH <{ACTORS_GRAPH}> {{ ?a skos:prefLabel|skos:altLabel|kg:isoCode|kg:wikidataId ?name }}
}}"""

_MODALITY_IRI = {KG + "Asserted": "asserted", KG + "Speculative": "speculative",
                 KG + "Negated": "negated"}


@dataclass(frozen=True)
class Filters:
    """What :func:`project` keeps. The defaults keep every asserted relation."""

    relations: tuple[str, ...] = ()     # camelCase local names (already normalised); () = all
    actor: str | None = None            # an actor IRI (already resolved); None = whole graph
    depth: int = 1                      # ego-network radius around `actor` (ignoring direction)
    min_weight: int = 1                 # keep edges with weight >= this
    since: dt.date | None = None        # keep evidence dated >= since (undated evidence is kept
    until: dt.date | None = None        #   only when neither bound is given)
    include_speculative: bool = False   # count speculative (and negated) evidence too

    def describe(self) -> str:
        """A one-line summary, stored in the graph's attributes."""
        parts = []
        if self.relations:
            parts.append("relations=" + ",".join(self.relations))
        if self.actor:
            parts.append(f"actor={self.actor} depth={self.depth}")
        if self.min_weight > 1:
            parts.append(f"min_weight={self.min_weight}")
        if self.since:
            parts.append(f"since={self.since.isoformat()}")
        if self.until:
            parts.append(f"until={self.until.isoformat()}")
        if self.include_speculative:
            parts.append("include_speculative")
        return " ".join(parts) or "none"


# -- actors -------------------------------------------------------------------------------------
def resolve_actor(store, name: str) -> str:
    """The IRI of the actor ``name`` means: an IRI (``<...>`` or bare), a gazetteer key or ISO
    code (``RUS``, ``nato``), a label or alias (``Russia``, ``the Kremlin``), case-insensitively.

    Names are looked up among the actors the store describes first (so actors added with
    ``--gazetteer`` at build time are found), then in the bundled gazetteer (actors no document
    mentions yet). Raises :class:`UsageError` for a name nobody goes by, and for a person's name
    (who a leader stands for depends on the date).
    """
    value = name.strip()
    if not value:
        raise UsageError("--actor needs a name, code or IRI")
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    if value.startswith(("http://", "https://")):
        try:
            return ox.NamedNode(value).value
        except ValueError:
            raise UsageError(f"{name!r} is not a valid IRI") from None
    names: dict[str, set[str]] = defaultdict(set)  # exact name -> IRIs
    for row in _select(store, NAMES_QUERY, "?a ?name", where="actor lookup"):
        iri = row["a"].value
        names[row["name"].value].add(iri)
        if iri.startswith(ACTOR):
            names[unquote(iri[len(ACTOR):])].add(iri)
    hits = names.get(value)
    if not hits:
        folded = value.casefold()
        hits = {iri for text, iris in names.items() if text.casefold() == folded for iri in iris}
    if len(hits) == 1:
        return next(iter(hits))
    if len(hits) > 1:
        raise UsageError(f"actor {name!r} is ambiguous: it may be "
                         f"{', '.join(sorted(hits))}; give the IRI or code")
    from kg.query import ActorResolver

    resolver = ActorResolver()
    try:
        return resolver(value).value
    except UsageError:
        alias = resolver.gazetteer.aliases.get(value)
        if alias is not None and alias.people:
            raise UsageError(f"{name!r} names a person; give the state or organisation they "
                             "speak for") from None
        close = difflib.get_close_matches(value, sorted(names), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown actor {name!r}{hint}") from None


def _select(store, query: str, order: str, bindings: dict | None = None, where="network projection"):
    """The rows of a SELECT. A SPARQL server is read in pages ordered by ``order`` (Virtuoso
    silently cuts results at its ResultSetMaxRows); the embedded store in one go."""
    if not getattr(store, "remote", False):
        yield from store.query(query, bindings=bindings or None, where=where)
        return
    size = getattr(store, "page_size", 5000)
    offset = 0
    while True:
        page = list(store.query(f"{query}\nORDER BY {order}\nLIMIT {size} OFFSET {offset}",
                                bindings=bindings or None, where=where))
        yield from page
        if len(page) < size:
            return
        offset += size


def _local(iri: str, base: str) -> str:
    return iri[len(base):] if iri.startswith(base) else iri


def _actors(store) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for row in _select(store, ACTORS_QUERY, "?a ?type ?label ?iso ?qid"):
        iri = row["a"].value
        kind = _local(row["type"].value, KG)
        node = out.setdefault(iri, {"label": "", "type": "Actor", "iso": "", "qid": ""})
        if kind in ACTOR_TYPES:
            node["type"] = kind
        for key in ("label", "iso", "qid"):
            if row[key] is not None and not node[key]:
                node[key] = row[key].value
    return out


def _node_for(iri: str, actors: dict[str, dict]) -> dict:
    node = dict(actors.get(iri) or {"label": "", "type": "Actor", "iso": "", "qid": ""})
    if not node["label"]:  # an actor the actors graph does not describe: its key
        node["label"] = unquote(_local(iri, ACTOR))
    return node


# -- edges --------------------------------------------------------------------------------------
def _documents(store) -> dict[str, tuple[str, str, str]]:
    """doc IRI -> (title, url, date "YYYY-MM-DD" or "")."""
    out = {}
    for row in _select(store, DOCUMENTS_QUERY, "?doc ?title ?date ?url"):
        title, date, url = row["title"], row["date"], row["url"]
        out[row["doc"].value] = (title.value if title is not None else "",
                                 url.value if url is not None else "",
                                 date.value[:10] if date is not None else "")
    return out


def _in_range(date: str, filters: Filters) -> bool:
    if filters.since is None and filters.until is None:
        return True
    if not date:
        return False
    if filters.since is not None and date < filters.since.isoformat():
        return False
    return filters.until is None or date <= filters.until.isoformat()


def _assertion_rows(store, filters: Filters):
    base = {} if filters.include_speculative else {"m": ox.NamedNode(KG + "Asserted")}
    if not filters.relations:
        yield from _select(store, ASSERTIONS_QUERY, "?a", base)
        return
    for name in filters.relations:
        yield from _select(store, ASSERTIONS_QUERY, "?a", {**base, "rel": ox.NamedNode(KG + name)})


class _Edge:
    __slots__ = ("counts", "docs", "evidence")

    def __init__(self):
        self.counts = dict.fromkeys(MODALITIES, 0)
        self.docs: set[str] = set()
        self.evidence: list[tuple] = []


def project(store, filters: Filters | None = None) -> nx.MultiDiGraph:
    """The actor network of ``store`` under ``filters`` (see the module docstring)."""
    filters = filters or Filters()
    onto = load_ontology()
    for name in filters.relations:
        if name not in onto.relations:
            raise UsageError(f"unknown relation {name!r}; give its camelCase name")
    if filters.depth < 0:
        raise UsageError("--depth must be 0 or more")
    if filters.since and filters.until and filters.since > filters.until:
        raise UsageError(f"--since {filters.since} is after --until {filters.until}")
    docs = _documents(store)
    edges: dict[tuple[str, str, str], _Edge] = {}
    for row in _assertion_rows(store, filters):
        rel = _local(row["rel"].value, KG)
        relation = onto.relations.get(rel)
        if relation is None:  # not a kg relation (another vocabulary on a shared server)
            continue
        doc = row["doc"].value
        title, url, date = docs.get(doc, ("", "", ""))
        if not _in_range(date, filters):
            continue
        s, o = row["s"].value, row["o"].value
        if relation.symmetric and o < s:
            s, o = o, s
        edge = edges.get((s, o, rel))
        if edge is None:
            edge = edges[(s, o, rel)] = _Edge()
        modality = _MODALITY_IRI.get(row["m"].value, "asserted")
        edge.counts[modality] += 1
        edge.docs.add(doc)
        text, start = row["text"], row["start"]
        edge.evidence.append((date, doc, int(start.value) if start is not None else 0,
                              text.value if text is not None else "", title, url, modality))
        if len(edge.evidence) >= 4 * MAX_EVIDENCE:  # keep memory bounded on heavy edges
            edge.evidence.sort()
            del edge.evidence[MAX_EVIDENCE:]

    kept = {k: e for k, e in edges.items() if sum(e.counts.values()) >= filters.min_weight}
    if filters.actor is not None:
        kept = _ego(kept, filters.actor, filters.depth)

    actors = _actors(store)
    g = nx.MultiDiGraph()
    nodes = {u for u, _v, _r in kept} | {v for _u, v, _r in kept}
    if filters.actor is not None:
        nodes.add(filters.actor)
    for iri in sorted(nodes):
        g.add_node(iri, **_node_for(iri, actors), degree=0)
    for (s, o, rel) in sorted(kept):
        e = kept[(s, o, rel)]
        relation = onto.relations[rel]
        e.evidence.sort()
        dates = [ev[0] for ev in e.evidence if ev[0]]
        present = [m for m in MODALITIES if e.counts[m]]
        g.add_edge(
            s, o, key=rel,
            relation=rel, label=relation.label,
            weight=sum(e.counts.values()), documents=len(e.docs),
            first_seen=min(dates) if dates else "", last_seen=max(dates) if dates else "",
            **e.counts,
            modality=present[0] if len(present) == 1 else "mixed",
            plover=relation.plover or "", cameo=relation.cameo or "",
            polarity=relation.polarity if relation.polarity in ("cooperative", "conflictual") else "",
            symmetric=relation.symmetric,
            evidence=[{"text": text, "document": doc, "title": title, "url": url, "date": date,
                       "modality": modality}
                      for date, doc, _start, text, title, url, modality in e.evidence[:MAX_EVIDENCE]],
        )
    for iri, degree in g.degree():
        g.nodes[iri]["degree"] = degree
    g.graph.update(
        name="kg", relations=len({rel for _s, _o, rel in kept}),
        sentences=sum(sum(e.counts.values()) for e in kept.values()),
        filters=filters.describe(),
    )
    return g


def _ego(edges: dict, centre: str, depth: int) -> dict:
    """The edges among the actors within ``depth`` steps of ``centre`` (direction ignored)."""
    adjacent: dict[str, set[str]] = defaultdict(set)
    for u, v, _rel in edges:
        adjacent[u].add(v)
        adjacent[v].add(u)
    seen = {centre: 0}
    todo = deque([centre])
    while todo:
        n = todo.popleft()
        if seen[n] == depth:
            continue
        for m in adjacent[n]:
            if m not in seen:
                seen[m] = seen[n] + 1
                todo.append(m)
    return {k: e for k, e in edges.items() if k[0] in seen and k[1] in seen}


# -- flattening ---------------------------------------------------------------------------------
def _scalar(value):
    if isinstance(value, (bool, int, float, str)):
        return value
    if value is None:
        return ""
    return str(value)


def scalar_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of a :func:`project` graph whose attributes are all str, int, float or bool, as
    GraphML, GEXF and CSV need: ``evidence`` becomes ``example`` (its first sentence, ``""``
    when there is none); anything else that is not a scalar becomes its ``str``."""
    out = nx.MultiDiGraph()
    out.graph.update({k: _scalar(v) for k, v in graph.graph.items()})
    for n, data in graph.nodes(data=True):
        out.add_node(n, **{k: _scalar(v) for k, v in data.items()})
    for u, v, key, data in graph.edges(keys=True, data=True):
        attrs = {k: _scalar(val) for k, val in data.items() if k != "evidence"}
        evidence = data.get("evidence") or []
        attrs["example"] = evidence[0]["text"] if evidence else ""
        out.add_edge(u, v, key=key, **attrs)
    return out
