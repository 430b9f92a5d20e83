"""``kg export --format graphml|gexf|csv|json``: the actor network (:mod:`kg.network`) as files
that network tools open.

* **GraphML** (Gephi, yEd, Cytoscape, igraph) and **GEXF** (Gephi): written by networkx from
  :func:`kg.network.scalar_graph`, so every attribute is a typed scalar (string, int, bool).
  Nodes are keyed by actor IRI and carry ``label`` (which Gephi shows); edges carry ``label``
  (the relation's words) and ``weight`` (supporting sentences), which Gephi reads as edge label
  and weight. Edge ids are ``e0``, ``e1``, ... in a fixed order. Edges of symmetric relations
  run from the smaller IRI to the larger one with ``symmetric=true``. Both files declare every
  edge directed: mixed graphs (GraphML's ``directed="false"`` on an edge, GEXF's
  ``type="undirected"``) are refused by networkx's readers and ignored by igraph, so style or
  filter on ``symmetric`` instead; the CSV edge table does mark them ``Undirected``.
* **CSV**: two files in Gephi's spreadsheet-import layout, ``nodes.csv`` (``Id``, ``Label``,
  then the other node attributes) and ``edges.csv`` (``Source``, ``Target``, ``Type`` --
  ``Directed``, or ``Undirected`` for symmetric relations --, ``Id``, ``Label``, ``Weight``,
  then the rest). ``-o DIR`` (an existing folder, or a path ending in ``/``) writes
  ``DIR/nodes.csv`` and ``DIR/edges.csv``; ``-o NAME`` writes ``NAME.nodes.csv`` and
  ``NAME.edges.csv`` (a trailing ``.csv`` is dropped from NAME).
* **JSON**: networkx node-link data with the edges under ``"links"`` (what D3's force layout
  reads): ``{"directed": true, "multigraph": true, "graph": {...}, "nodes": [{"id": IRI, ...}],
  "links": [{"source": IRI, "target": IRI, "key": relation, ...}]}``. Unlike the other
  formats it keeps each edge's ``evidence`` list (sentence, document, title, url, date,
  modality) beside ``example``.

Every file is written to a temporary name beside the target and renamed into place, so a
failed export never leaves a half-written file. Characters that XML 1.0 cannot carry (control
characters other than tab and newlines) are replaced by U+FFFD in GraphML and GEXF; markup in
article text (``<script>``, ``&``, quotes) is escaped by the XML writer, never interpreted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import BinaryIO

import networkx as nx
from networkx.readwrite.graphml import GraphMLWriter

from kg.errors import KgError, UsageError
from kg.network import scalar_graph

FORMATS = ("graphml", "gexf", "csv", "json")
NODE_COLUMNS = ("type", "iso", "qid", "degree")
EDGE_COLUMNS = ("relation", "documents", "first_seen", "last_seen", "asserted", "speculative",
                "negated", "modality", "plover", "cameo", "polarity", "symmetric", "example")

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class ExportError(KgError):
    """The export could not be written (a folder is missing, no permission, ...)."""

    exit_code = 1


def _xml_safe(value):
    return _NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def _numbered(graph: nx.MultiDiGraph, xml: bool) -> nx.MultiDiGraph:
    """A scalar copy with edge keys e0, e1, ... (unique ids for GraphML and GEXF)."""
    fix = _xml_safe if xml else (lambda v: v)
    sg = scalar_graph(graph)
    out = nx.MultiDiGraph()
    out.graph.update({k: fix(v) for k, v in sg.graph.items()})
    for n, data in sg.nodes(data=True):
        out.add_node(n, **{k: fix(v) for k, v in data.items()})
    for i, (u, v, data) in enumerate(sg.edges(data=True)):
        out.add_edge(u, v, key=f"e{i}", **{k: fix(val) for k, val in data.items()})
    return out


def _xml(root) -> bytes:
    """The document as UTF-8 (serialised to text first: much faster than ElementTree's own
    encoding writer, which makes a codec call per fragment)."""
    from xml.etree.ElementTree import ElementTree

    buf = io.StringIO()
    buf.write("<?xml version='1.0' encoding='utf-8'?>\n")
    ElementTree(root).write(buf, encoding="unicode")
    buf.write("\n")
    return buf.getvalue().encode("utf-8")


def graphml_bytes(graph: nx.MultiDiGraph) -> bytes:
    g = _numbered(graph, xml=True)
    g.graph.pop("id", None)
    # key ids d0, d1, ...: named ids would give the node and the edge "label" keys the same id
    writer = GraphMLWriter(graph=g, encoding="utf-8", prettyprint=True, named_key_ids=False)
    writer.indent(writer.xml)
    return _xml(writer.xml)


def gexf_bytes(graph: nx.MultiDiGraph) -> bytes:
    from networkx.readwrite.gexf import GEXFWriter

    from kg import __version__
    from kg.rdf import build_time

    g = _numbered(graph, xml=True)
    for u, v, key, data in g.edges(keys=True, data=True):
        data["id"] = key  # the GEXF writer takes the edge id from here
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    meta.set("lastmodifieddate", build_time().date().isoformat())  # SOURCE_DATE_EPOCH aware
    meta.find("creator").text = f"kg {__version__} (NetworkX {nx.__version__})"
    writer.add_graph(g)
    writer.indent(writer.xml)
    return _xml(writer.xml)


def json_bytes(graph: nx.MultiDiGraph) -> bytes:
    sg = scalar_graph(graph)
    for u, v, key, data in sg.edges(keys=True, data=True):
        data["evidence"] = graph.edges[u, v, key].get("evidence", [])
    data = nx.node_link_data(sg, edges="links")
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


def _csv_text(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["true" if v is True else "false" if v is False else v for v in row])
    return buf.getvalue()


def csv_texts(graph: nx.MultiDiGraph) -> tuple[str, str]:
    """(nodes.csv, edges.csv) in Gephi's spreadsheet-import layout."""
    g = _numbered(graph, xml=False)
    nodes = _csv_text(("Id", "Label") + NODE_COLUMNS,
                      ((n, d.get("label", ""), *(d.get(c, "") for c in NODE_COLUMNS))
                       for n, d in g.nodes(data=True)))
    edges = _csv_text(
        ("Source", "Target", "Type", "Id", "Label", "Weight") + EDGE_COLUMNS,
        ((u, v, "Undirected" if d.get("symmetric") else "Directed", key, d.get("label", ""),
          d.get("weight", 0), *(d.get(c, "") for c in EDGE_COLUMNS))
         for u, v, key, d in g.edges(keys=True, data=True)))
    return nodes, edges


def csv_paths(output: str) -> tuple[Path, Path]:
    """Where ``-o output`` puts the nodes and edges tables."""
    if output in ("", "-"):
        raise UsageError("--format csv writes two files (nodes and edges): give -o DIR or "
                         "-o NAME (NAME.nodes.csv, NAME.edges.csv)")
    path = Path(output)
    if path.is_dir() or output.endswith(("/", os.sep)):
        return path / "nodes.csv", path / "edges.csv"
    base = output[:-4] if output.lower().endswith(".csv") else output
    return Path(base + ".nodes.csv"), Path(base + ".edges.csv")


def _atomic_write(files: list[tuple[Path, bytes]]) -> None:
    """Write every file to a temporary name, then rename them all into place."""
    tmps = []
    try:
        for path, data in files:
            tmp = path.with_name(path.name + ".tmp")
            tmps.append(tmp)
            with open(tmp, "wb") as fh:
                fh.write(data)
        for (path, _data), tmp in zip(files, tmps):
            os.replace(tmp, path)
    except OSError as exc:
        for tmp in tmps:
            try:
                tmp.unlink()
            except OSError:
                pass
        where = next((path for (path, _d), tmp in zip(files, tmps) if str(tmp) == exc.filename),
                     exc.filename or files[0][0])
        raise ExportError(f"{where}: cannot write the export ({exc.strerror or exc})") from None


def export_network(graph: nx.MultiDiGraph, fmt: str, output: str,
                   stdout: BinaryIO | None = None) -> list[Path]:
    """Write ``graph`` (from :func:`kg.network.project`) as ``fmt`` to ``output`` (a file,
    ``-`` for ``stdout``, or for csv a folder or base name); returns the paths written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown network format {fmt!r}; choose from {', '.join(FORMATS)}")
    if fmt == "csv":
        nodes_path, edges_path = csv_paths(output)
        if output.endswith(("/", os.sep)) and not nodes_path.parent.exists():
            try:
                nodes_path.parent.mkdir(parents=True)
            except OSError as exc:
                raise ExportError(f"{nodes_path.parent}: cannot create the folder "
                                  f"({exc.strerror or exc})") from None
        nodes, edges = csv_texts(graph)
        _atomic_write([(nodes_path, nodes.encode("utf-8")), (edges_path, edges.encode("utf-8"))])
        return [nodes_path, edges_path]
    data = {"graphml": graphml_bytes, "gexf": gexf_bytes, "json": json_bytes}[fmt](graph)
    if output in ("", "-"):
        stdout = stdout or sys.stdout.buffer
        stdout.write(data)
        stdout.flush()
        return []
    path = Path(output)
    if path.is_dir():
        raise UsageError(f"-o {output}: is a folder; give a file name such as "
                         f"{path / ('graph.' + fmt)}")
    _atomic_write([(path, data)])
    return [path]


def export_store(store, filters, fmt: str, output: str,
                 stdout: BinaryIO | None = None) -> tuple[nx.MultiDiGraph, list[Path]]:
    """Project ``store`` under ``filters`` and write it (``kg export`` for the network formats);
    returns the graph and the paths written."""
    from kg.network import project

    if fmt == "csv":
        csv_paths(output)  # a bad -o fails before the store is read
    graph = project(store, filters)
    return graph, export_network(graph, fmt, output, stdout=stdout)
