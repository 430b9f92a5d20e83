"""``kg viz``: the actor network as one interactive HTML page that works offline.

The page is drawn by vis-network, the library pyvis wraps. kg uses pyvis only for the copy of
vis-network it ships (``pyvis/lib/vis-9.1.2``): pyvis's own template links Bootstrap and
vis-network from CDNs and fills its node and edge lists one call at a time (each call rescans
the lists), so kg has its own template (``templates/viz.html`` and ``templates/viz.js``) and
writes the node and edge data directly. Everything the page needs, vis-network included, is
inlined into the one file: it makes no network request. A Content-Security-Policy admits only
kg's two scripts (by hash) and data: images, so nothing else can load or run.

What the page shows (colours and shapes come from ``templates/viz-style.json``, checked on load):

* actors: colour and shape by type, size by degree; a search box finds one by name, ISO code,
  Wikidata id or IRI;
* relations: colour by polarity (or by PLOVER family, ``color_by="plover"``), width by weight,
  an arrow from subject to object for directed relations and none for symmetric ones, dashes
  when the relation is not only asserted (speculative, negated or mixed); parallel relations
  between one pair curve apart; a relation-type filter hides lines;
* hovering a line lists its evidence sentences with document title and date, clicking it keeps
  them in the side panel; clicking an actor lists its relations; a legend.

Layout: positions are computed in Python (igraph's Fruchterman-Reingold, its grid variant above
300 nodes). A graph of at most ``large_threshold`` nodes is then relaxed by vis-network's
physics for a bounded number of iterations, after which physics is switched off so that it stops
moving; above the threshold (large-graph mode) physics is off from the start and the Python
layout is drawn as is.

Article text reaches the page only as JSON inside ``<script type="application/json">`` with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and the page script puts it into the document as
text nodes (``textContent``), never as HTML.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import html
import importlib.util
import json
import math
import os
import random
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg import __version__
from kg.errors import DataFileError, KgError

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLE_FILE = TEMPLATES / "viz-style.json"
TEMPLATE_FILE = TEMPLATES / "viz.html"
SCRIPT_FILE = TEMPLATES / "viz.js"
VIS_VERSION = "9.1.2"

NODE_TYPES = ("State", "IntergovernmentalOrganization", "NonStateGroup", "Actor")
MODALITIES = ("asserted", "speculative", "negated", "mixed")
POLARITIES = ("cooperative", "conflictual", "neutral", "")
SHAPES = ("dot", "square", "triangle", "diamond", "star", "triangleDown", "hexagon")
COLOR_BY = ("polarity", "plover")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class VizStyleError(DataFileError):
    """``viz-style.json`` is malformed."""


class VizError(KgError):
    """The page could not be written (missing folder, permissions, missing vis-network)."""


# ---- style ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Style:
    """Colours, shapes and dash patterns of the page, from ``viz-style.json``."""

    node_types: dict   # type -> {"label", "color", "shape"}
    polarity: dict     # polarity -> {"label", "color"}
    families: dict     # PLOVER family name -> colour
    plover: dict       # PLOVER category ("" for standing relations) -> family name
    modality: dict     # modality -> {"label", "dashes"}


def load_style(path: str | os.PathLike | None = None) -> Style:
    """Read and check a style file (default: the one kg ships)."""
    path = Path(path) if path is not None else STYLE_FILE

    def fail(message: str, line: int | None = None):
        raise VizStyleError(path, line, message)

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail("style file not found")
    except UnicodeDecodeError as exc:
        fail(f"not UTF-8 at byte {exc.start}")
    except json.JSONDecodeError as exc:
        fail(f"not JSON ({exc.msg} at column {exc.colno})", exc.lineno)
    if not isinstance(raw, dict):
        fail("must be a JSON object")
    unknown = set(raw) - {"//", "node_types", "polarity", "plover_families", "modality"}
    if unknown:
        fail(f"unknown key {sorted(unknown)[0]!r}; expected node_types, polarity, "
             "plover_families, modality")

    def section(name: str, required) -> dict:
        value = raw.get(name)
        if not isinstance(value, dict):
            fail(f"{name!r} must be an object")
        missing = [k for k in required if k not in value]
        if missing:
            fail(f"{name}: missing {missing[0]!r}")
        return value

    def color(where: str, value) -> str:
        if not isinstance(value, str) or not _COLOR.fullmatch(value):
            fail(f"{where}: colour must look like #1f77b4, not {value!r}")
        return value.lower()

    def label(where: str, value) -> str:
        if not isinstance(value, str) or not value.strip():
            fail(f"{where}: 'label' must be a non-empty string")
        return value

    node_types = {}
    for key, entry in section("node_types", NODE_TYPES).items():
        if not isinstance(entry, dict):
            fail(f"node_types.{key} must be an object")
        if entry.get("shape") not in SHAPES:
            fail(f"node_types.{key}: shape must be one of {', '.join(SHAPES)}, not "
                 f"{entry.get('shape')!r}")
        node_types[key] = {"label": label(f"node_types.{key}", entry.get("label")),
                           "color": color(f"node_types.{key}", entry.get("color")),
                           "shape": entry["shape"]}
    polarity = {}
    for key, entry in section("polarity", POLARITIES).items():
        if not isinstance(entry, dict):
            fail(f"polarity.{key!r} must be an object")
        polarity[key] = {"label": label(f"polarity.{key}", entry.get("label")),
                         "color": color(f"polarity.{key}", entry.get("color"))}
    families, plover = {}, {}
    for name, entry in section("plover_families", ()).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("categories"), list):
            fail(f"plover_families.{name}: needs 'color' and a list of 'categories'")
        families[name] = color(f"plover_families.{name}", entry.get("color"))
        for cat in entry["categories"]:
            if not isinstance(cat, str):
                fail(f"plover_families.{name}: categories must be strings")
            if cat in plover:
                fail(f"PLOVER category {cat!r} is in both {plover[cat]!r} and {name!r}")
            plover[cat] = name
    if "" not in plover:
        fail('plover_families: one family must list "" (relations without a PLOVER category)')
    modality = {}
    for key, entry in section("modality", MODALITIES).items():
        if not isinstance(entry, dict):
            fail(f"modality.{key} must be an object")
        dashes = entry.get("dashes")
        if dashes is not False and not (
                isinstance(dashes, list) and len(dashes) >= 2
                and all(isinstance(d, (int, float)) and d > 0 for d in dashes)):
            fail(f"modality.{key}: dashes must be false or a list of at least two positive numbers")
        modality[key] = {"label": label(f"modality.{key}", entry.get("label")), "dashes": dashes}
    return Style(node_types, polarity, families, plover, modality)


@lru_cache(maxsize=1)
def default_style() -> Style:
    return load_style()


# ---- the data the page draws ---------------------------------------------------------------

def node_size(degree: int) -> float:
    """Node radius in pixels: grows with the square root of the degree, capped."""
    return round(min(10 + 4 * math.sqrt(max(degree, 0)), 60), 1)


def edge_width(weight: int) -> float:
    """Line width in pixels: grows with the logarithm of the number of sentences, capped."""
    return round(min(1 + 1.5 * math.log2(max(weight, 1)), 12), 2)


def _scalar(value, default=""):
    return default if value is None else value




def to_vis(graph, *, color_by: str = "polarity", style: Style | None = None,
           positions: list[tuple[float, float]] | None = None) -> dict:
    """The nodes, edges, relation list and legend the page draws, as plain data.

    ``graph`` is a networkx (Multi)DiGraph shaped like :func:`kg.network.project`'s output.
    Node and edge ids are their positions in ``graph.nodes`` and ``graph.edges``. ``nodes`` and
    ``edges`` hold only what vis-network draws (with ``positions``, ``x`` and ``y`` too); the kg
    attributes, evidence included, are in ``nodeInfo`` and ``edgeInfo`` at the same positions:
    vis-network copies every field of its items, and 10,000 nodes draw twice as fast without.
    """
    if color_by not in COLOR_BY:
        raise VizError(f"cannot colour relations by {color_by!r}; use one of {', '.join(COLOR_BY)}")
    style = style or default_style()
    index = {}
    nodes, node_info = [], []
    types_seen = set()
    for i, (key, attrs) in enumerate(graph.nodes(data=True)):
        index[key] = i
        kind = attrs.get("type") or "Actor"
        if kind not in style.node_types:
            kind = "Actor"
        types_seen.add(kind)
        degree = attrs.get("degree")
        degree = graph.degree(key) if degree is None else int(degree)
        item = {"id": i, "label": str(attrs.get("label") or key), "group": kind,
                "size": node_size(degree)}
        if positions is not None:
            item["x"], item["y"] = positions[i]
        nodes.append(item)
        node_info.append({"iri": str(key), "type": kind, "iso": str(_scalar(attrs.get("iso"))),
                          "qid": str(_scalar(attrs.get("qid"))), "degree": degree})

    edge_list = list(graph.edges(keys=True, data=True))
    pair_count: dict[tuple, int] = {}
    for u, v, _key, _attrs in edge_list:
        pair = (u, v) if u <= v else (v, u)
        pair_count[pair] = pair_count.get(pair, 0) + 1
    pair_seen: dict[tuple, int] = {}
    edges, edge_info = [], []
    relations: dict[str, dict] = {}
    colors_seen: dict[str, str] = {}
    modalities_seen = set()
    directed = symmetric_seen = False
    for i, (u, v, key, attrs) in enumerate(edge_list):
        relation = str(attrs.get("relation") or key)
        polarity = str(_scalar(attrs.get("polarity")))
        plover = str(_scalar(attrs.get("plover")))
        if color_by == "polarity":
            entry = style.polarity.get(polarity, style.polarity[""])
            color, legend_label = entry["color"], entry["label"]
        else:
            family = style.plover.get(plover, style.plover[""])
            color, legend_label = style.families[family], family
        colors_seen.setdefault(legend_label, color)
        modality = str(attrs.get("modality") or "asserted")
        if modality not in style.modality:
            modality = "mixed"
        modalities_seen.add(modality)
        symmetric = bool(attrs.get("symmetric", False))
        weight = int(_scalar(attrs.get("weight"), 1))
        label = str(attrs.get("label") or relation)
        item = {"id": i, "from": index[u], "to": index[v], "color": color,
                "width": edge_width(weight)}
        if symmetric:
            symmetric_seen = True
        else:
            item["arrows"] = "to"
            directed = True
        dashes = style.modality[modality]["dashes"]
        if dashes:
            item["dashes"] = dashes
        pair = (u, v) if u <= v else (v, u)
        if pair_count[pair] > 1:
            k = pair_seen.get(pair, 0)
            pair_seen[pair] = k + 1
            item["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": round(0.1 + 0.15 * k, 2)}
        edge_info.append({
            "relation": relation, "label": label, "weight": weight,
            "documents": int(_scalar(attrs.get("documents"), 0)),
            "first_seen": str(_scalar(attrs.get("first_seen"))),
            "last_seen": str(_scalar(attrs.get("last_seen"))),
            "asserted": int(_scalar(attrs.get("asserted"), 0)),
            "speculative": int(_scalar(attrs.get("speculative"), 0)),
            "negated": int(_scalar(attrs.get("negated"), 0)),
            "modality": modality, "plover": plover, "cameo": str(_scalar(attrs.get("cameo"))),
            "polarity": polarity, "symmetric": symmetric,
            # The dicts of kg.network.project as they are (text, document, title, url, date,
            # modality); the page reads them as text only.
            "evidence": list(attrs.get("evidence") or ()),
        })
        edges.append(item)
        rel = relations.setdefault(relation, {"relation": relation, "label": label, "count": 0,
                                              "color": color})
        rel["count"] += 1

    legend = {
        "nodes": [{"type": t, **style.node_types[t]} for t in NODE_TYPES if t in types_seen],
        "colorTitle": "Line colour: " + ("polarity" if color_by == "polarity" else "PLOVER family"),
        "colors": [{"label": lab, "color": col} for lab, col in sorted(colors_seen.items())],
        "lines": [{"modality": m, **style.modality[m]} for m in MODALITIES if m in modalities_seen],
        "directed": directed,
        "symmetric": symmetric_seen,
    }
    return {
        "nodes": nodes,
        "edges": edges,
        "nodeInfo": node_info,
        "edgeInfo": edge_info,
        "relations": sorted(relations.values(), key=lambda r: (-r["count"], r["relation"])),
        "legend": legend,
    }


# ---- layout --------------------------------------------------------------------------------

def layout(graph, *, seed: int = 1, spread: float = 110.0) -> list[tuple[float, float]]:
    """Node positions (pixels, in ``graph.nodes`` order), computed with igraph.

    Fruchterman-Reingold, 500 iterations; above 300 nodes igraph's grid approximation (1,000
    nodes: 0.3 s instead of 3 s), above 2,000 nodes only 150 iterations of it (10,000 nodes with
    20,000 edges: about half a second). Deterministic for a given graph and ``seed``. The result is scaled so that the drawing covers about ``spread``
    pixels squared per node.
    """
    index = {key: i for i, key in enumerate(graph.nodes)}
    return layout_indices(len(index), ((index[u], index[v]) for u, v in graph.edges()),
                          seed=seed, spread=spread)


def layout_indices(n: int, pairs, *, seed: int = 1, spread: float = 110.0) -> list[tuple[float, float]]:
    """:func:`layout` of ``n`` nodes numbered from 0 joined by ``pairs`` of node numbers."""
    import igraph

    if n == 0:
        return []
    simple = sorted({(u, v) if u < v else (v, u) for u, v in pairs if u != v})
    g = igraph.Graph(n=n, edges=simple)
    # igraph draws its random numbers from Python's `random` module unless told otherwise; a
    # private generator makes the layout depend only on the graph and the seed. (Start positions
    # passed as `seed=` crowd the grid variant into a few cells and make it quadratic.)
    igraph.set_random_number_generator(random.Random(seed))
    try:
        coords = g.layout_fruchterman_reingold(niter=500 if n <= 2000 else 150, grid=n > 300).coords
    finally:
        igraph.set_random_number_generator(random)
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    extent = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = spread * math.sqrt(n) / extent
    return [(round((x - cx) * scale, 1), round((y - cy) * scale, 1)) for x, y in coords]


def vis_options(style: Style, *, large: bool, nodes: int) -> dict:
    """vis-network options: physics for a bounded settling run, or none in large-graph mode."""
    groups = {kind: {"shape": t["shape"],
                     "color": {"background": t["color"], "border": _darker(t["color"]),
                               "highlight": {"background": t["color"], "border": "#111111"},
                               "hover": {"background": t["color"], "border": "#111111"}}}
              for kind, t in style.node_types.items()}
    options = {
        "autoResize": True,
        "groups": groups,
        "nodes": {"borderWidth": 1, "font": {"size": 14, "strokeWidth": 3, "strokeColor": "#ffffff"}},
        "edges": {"smooth": {"enabled": False}, "selectionWidth": 2, "hoverWidth": 1.5,
                  "arrows": {"to": {"scaleFactor": 0.6}}, "color": {"inherit": False}},
        "layout": {"improvedLayout": False, "randomSeed": 1},
        "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": False,
                        "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
    }
    if large:
        options["physics"] = {"enabled": False}
    else:
        options["physics"] = {
            "enabled": True, "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -3000, "springLength": 110,
                          "springConstant": 0.03, "damping": 0.4, "avoidOverlap": 0.2},
            # The Python layout is already good: the physics only polishes it, for a bounded
            # amount of work (about 20,000 node-iterations), then the page switches it off.
            "stabilization": {"enabled": True, "iterations": stabilization_iterations(nodes),
                              "updateInterval": 10, "fit": True},
            "minVelocity": 1.0,
        }
    return options


def stabilization_iterations(nodes: int) -> int:
    """How many physics iterations a small-mode page runs before it stops the physics."""
    return max(30, min(300, round(20_000 / max(nodes, 1))))


def _darker(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "#%02x%02x%02x" % (int(r * 0.7), int(g * 0.7), int(b * 0.7))


# ---- the page ------------------------------------------------------------------------------

_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                ("\u2029", "\\u2029"))


def script_json(value) -> str:
    """JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` can occur only inside JSON strings, where ``\\u003c`` and friends mean
    the same characters, so no ``</script>`` or ``<!--`` can end or change the element; U+2028
    and U+2029 are escaped too (they end a line in older JavaScript parsers).
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    for char, escape in _SCRIPT_SAFE:  # str.replace is far faster than str.translate here
        text = text.replace(char, escape)
    return text


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """vis-network's JavaScript and CSS, from the copy inside the installed pyvis package."""
    spec = importlib.util.find_spec("pyvis")  # does not import pyvis (which imports IPython)
    if spec is None or not spec.submodule_search_locations:
        raise VizError("pyvis is not installed; kg viz needs its copy of vis-network "
                       "(pip install 'pyvis>=0.3.2')")
    folder = Path(list(spec.submodule_search_locations)[0]) / "lib" / f"vis-{VIS_VERSION}"
    try:
        js = (folder / "vis-network.min.js").read_text(encoding="utf-8")
        css = (folder / "vis-network.css").read_text(encoding="utf-8")
    except OSError:
        raise VizError(f"{folder}: vis-network {VIS_VERSION} not found in pyvis; reinstall "
                       "pyvis 0.3.2 (pip install --force-reinstall 'pyvis==0.3.2')") from None
    # The source map comment would make developer tools look for a file that is not there.
    js = re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", js)
    if re.search(r"</script", js, re.I) or re.search(r"</style", css, re.I):
        raise VizError(f"{folder}: vis-network's files cannot be inlined (they contain a "
                       "closing tag)")
    return js, css


@lru_cache(maxsize=1)
def _template() -> tuple[str, str]:
    return TEMPLATE_FILE.read_text(encoding="utf-8"), SCRIPT_FILE.read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_html(graph, *, title: str = "kg network", large_threshold: int = 1000,
                color_by: str = "polarity", style: Style | None = None) -> str:
    """The whole page as a string (see :func:`write_html`)."""
    style = style or default_style()
    n = graph.number_of_nodes()
    large = n > large_threshold
    gc_was_on = gc.isenabled()
    gc.disable()  # tens of thousands of small dicts, none of them garbage: collection only costs
    try:
        data = to_vis(graph, color_by=color_by, style=style)
        positions = layout_indices(n, ((e["from"], e["to"]) for e in data["edges"]))
        for node, (x, y) in zip(data["nodes"], positions):
            node["x"], node["y"] = x, y
    finally:
        if gc_was_on:
            gc.enable()
    data["large"] = large
    data["options"] = vis_options(style, large=large, nodes=n)
    data["typeLabels"] = {k: t["label"] for k, t in style.node_types.items()}
    js, css = vis_assets()
    page, app = _template()
    csp = (f"default-src 'none'; script-src {_sha256(js)} {_sha256(app)}; "
           "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
    values = {"TITLE": html.escape(title), "CSP": csp, "VERSION": __version__,
              "VIS_VERSION": VIS_VERSION, "VIS_CSS": css, "VIS_JS": js, "APP_JS": app,
              "DATA": script_json(data)}
    # One pass over the template: inserted text is never scanned for placeholders again.
    return re.sub(r"%%([A-Z_]+)%%", lambda m: values[m.group(1)], page)


@dataclass(frozen=True)
class PageSummary:
    path: str
    nodes: int
    edges: int
    large: bool
    size: int  # bytes


def write_html(graph, path, *, title: str = "kg network", large_threshold: int = 1000,
               color_by: str = "polarity", style: Style | None = None) -> PageSummary:
    """Write ``graph`` as one self-contained interactive HTML page at ``path``.

    The file is replaced atomically (written beside it, then renamed), so a reader never sees
    half a page and a failed write leaves the old file as it was. Nothing else in the folder is
    touched. Above ``large_threshold`` nodes the page is in large-graph mode (no physics).
    """
    text = render_html(graph, title=title, large_threshold=large_threshold, color_by=color_by,
                       style=style)
    size = _atomic_write(Path(path), text)
    return PageSummary(str(path), graph.number_of_nodes(), graph.number_of_edges(),
                       graph.number_of_nodes() > large_threshold, size)


def write_store_page(store, path, *, filters=None, title: str | None = None,
                     large_threshold: int = 1000, color_by: str = "polarity") -> PageSummary:
    """Project the store's network under ``filters`` (:func:`kg.network.project`) and write it."""
    from kg.network import project

    graph = project(store, filters)
    return write_html(graph, path, title=title or "kg network", large_threshold=large_threshold,
                      color_by=color_by)


def _atomic_write(path: Path, text: str) -> int:
    folder = path.parent
    if not folder.is_dir():
        raise VizError(f"{path}: folder {folder} does not exist; create it first")
    if path.is_dir():
        raise VizError(f"{path} is a folder; give a file name such as {path / 'graph.html'}")
    data = text.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise VizError(f"{path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _unlink(tmp)
        raise VizError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        _unlink(tmp)
        raise
    return len(data)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@lru_cache(maxsize=1)
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
