"""``kg export``: the store as Turtle, N-Triples, N-Quads, TriG or JSON-LD, deterministically.

Quad formats (N-Quads, TriG) keep every named graph. Triple formats (Turtle, N-Triples, JSON-LD)
write the union of the named graphs, each triple once (see :func:`union_triples`). Output is streamed from the database in its
index order, which depends only on the statements stored (Oxigraph keys are encodings of the
terms), so the same content always gives the same bytes, whatever order it was built in. A
server's graphs are first copied into a temporary database so that they come out in that same
order. Literals of kg's offset and count properties get back the xsd:nonNegativeInteger datatype
that Oxigraph's storage folds into xsd:integer.
"""

from __future__ import annotations

import tempfile
from typing import BinaryIO

import pyoxigraph as ox

from kg.rdf import PREFIXES, restore_datatype

FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
QUAD_FORMATS = {"nquads", "trig"}

def union_triples(db: ox.Store):
    """The triples of every named graph, each once, in the database's index order.

    Streamed graph by graph. A triple that is in several graphs is written where it first
    comes: a set of triple hashes flags possible repeats, and a flagged triple is checked
    exactly against the graphs already written. (A SPARQL CONSTRUCT over the union keeps every
    triple in memory to drop repeats: three times the peak memory, and slower.)
    """
    seen: set[int] = set()
    remember = seen.add
    finished: set = set()
    current = None
    triple, default = ox.Triple, ox.DefaultGraph()
    for q in db.quads_for_pattern(None, None, None, None):
        g = q.graph_name
        if g != current:
            if current is not None:
                finished.add(current)
            current = g
        if g == default:
            continue  # kg writes named graphs only; the union is theirs
        t = triple(q.subject, q.predicate, q.object)
        h = hash(t)
        if h in seen and any(other.graph_name in finished
                             for other in db.quads_for_pattern(q.subject, q.predicate, q.object, None)):
            continue
        remember(h)
        yield t


def _write(db: ox.Store, fmt: str, out: BinaryIO) -> None:
    kwargs = {"prefixes": PREFIXES} if fmt in ("turtle", "trig") else {}
    if fmt in QUAD_FORMATS:
        items = (restore_datatype(q) for q in db.quads_for_pattern(None, None, None, None))
    else:
        items = (restore_datatype(t) for t in union_triples(db))
    ox.serialize(items, out, format=FORMATS[fmt], **kwargs)


def export(store, fmt: str, out: BinaryIO) -> None:
    """Write the store to ``out`` in ``fmt``."""
    if not getattr(store, "remote", False):
        _write(store.ox, fmt, out)
        return
    with tempfile.TemporaryDirectory(prefix="kg-export-") as tmp:
        db = ox.Store(tmp)
        db.bulk_extend(store.quads())
        _write(db, fmt, out)
        del db
