"""``kg export``: the store as Turtle, N-Triples, N-Quads, TriG or JSON-LD, deterministically.

Quad formats (N-Quads, TriG) keep every named graph. Triple formats (Turtle, N-Triples, JSON-LD)
write the union of the graphs, each triple once. Output is streamed from the database in its
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

# The union of the named graphs, each triple once (CONSTRUCT builds a set). The datatypes are
# restored in Python: STRDT in the query would be folded to xsd:integer again.
UNION = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


def _write(db: ox.Store, fmt: str, out: BinaryIO) -> None:
    kwargs = {"prefixes": PREFIXES} if fmt in ("turtle", "trig") else {}
    if fmt in QUAD_FORMATS:
        items = (restore_datatype(q) for q in db.quads_for_pattern(None, None, None, None))
    else:
        items = (restore_datatype(t) for t in db.query(UNION))
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
