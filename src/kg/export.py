"""``kg export``: the store as Turtle, N-Triples, N-Quads, TriG or JSON-LD, deterministically.

Quad formats (N-Quads, TriG) keep every named graph. Triple formats (Turtle, N-Triples, JSON-LD)
write the union of the graphs, each triple once. Statements are sorted by their N-Quads form, so
the same store content always gives the same bytes, whatever order it was built in. Literals of
kg's offset and count properties get back the xsd:nonNegativeInteger datatype that Oxigraph's
storage folds into xsd:integer.
"""

from __future__ import annotations

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


def statements(store, fmt: str) -> list:
    quads = (restore_datatype(q) for q in store.quads())
    if fmt in QUAD_FORMATS:
        out = list(quads)
    else:
        out = list({ox.Triple(q.subject, q.predicate, q.object) for q in quads})
    out.sort(key=str)
    return out


def export(store, fmt: str, out: BinaryIO) -> int:
    """Write the store to ``out`` in ``fmt``; returns the number of statements written."""
    items = statements(store, fmt)
    kwargs = {"prefixes": PREFIXES} if fmt in ("turtle", "trig") else {}
    ox.serialize(items, out, format=FORMATS[fmt], **kwargs)
    return len(items)
