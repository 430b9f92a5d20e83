"""kg.viz without a browser: the data the page draws, escaping, self-containment, modes, style
file, atomic writes. What the page does is checked in a real browser in test_viz_browser.py."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re

import networkx as nx
import pytest

from kg import viz
from kg.viz import VizError, VizStyleError
from viz_support import ACTOR, IMG_PAYLOAD, SCRIPT_PAYLOAD, contract_graph


def page_data(text: str) -> dict:
    """The JSON the page embeds, read back the way the page does."""
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', text, re.S)
    assert m, "no data element"
    return json.loads(m.group(1))


def two_actor_graph():
    g = nx.MultiDiGraph(name="kg")
    g.add_node(ACTOR + "PRK", label="North Korea", type="State", iso="PRK", qid="Q423", degree=2)
    g.add_node(ACTOR + "RUS", label="Russia", type="State", iso="RUS", qid="Q159", degree=2)
    ev = {"text": "Pyongyang shipped shells.", "document": "d1", "title": "T", "url": "",
          "date": "2024-06-19", "modality": "asserted"}
    g.add_edge(ACTOR + "PRK", ACTOR + "RUS", key="suppliesMunitionsTo",
               relation="suppliesMunitionsTo", label="supplies munitions to", weight=4,
               documents=1, first_seen="2024-06-19", last_seen="2024-06-19", asserted=4,
               speculative=0, negated=0, modality="asserted", plover="AID", cameo="072",
               polarity="cooperative", symmetric=False, evidence=[ev])
    g.add_edge(ACTOR + "PRK", ACTOR + "RUS", key="alignsWith", relation="alignsWith",
               label="aligns with", weight=1, documents=1, first_seen="", last_seen="",
               asserted=0, speculative=1, negated=0, modality="speculative", plover="", cameo="",
               polarity="cooperative", symmetric=True, evidence=[])
    return g


def test_to_vis_gives_exactly_the_drawn_items():
    data = viz.to_vis(two_actor_graph(), positions=[(0.0, 1.0), (2.0, 3.0)])
    green = "#2a9d5c"
    assert data["nodes"] == [
        {"id": 0, "label": "North Korea", "group": "State", "size": 15.7, "x": 0.0, "y": 1.0},
        {"id": 1, "label": "Russia", "group": "State", "size": 15.7, "x": 2.0, "y": 3.0},
    ]
    assert data["edges"] == [
        {"id": 0, "from": 0, "to": 1, "color": green, "width": 4.0, "arrows": "to",
         "smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.1}},
        {"id": 1, "from": 0, "to": 1, "color": green, "width": 1.0, "dashes": [8, 6],
         "smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.25}},
    ]
    assert data["nodeInfo"][1] == {"iri": ACTOR + "RUS", "type": "State", "iso": "RUS",
                                   "qid": "Q159", "degree": 2}
    info = data["edgeInfo"][0]
    assert info["relation"] == "suppliesMunitionsTo" and info["weight"] == 4
    assert info["evidence"][0]["text"] == "Pyongyang shipped shells."
    assert data["relations"] == [
        {"relation": "alignsWith", "label": "aligns with", "count": 1, "color": green},
        {"relation": "suppliesMunitionsTo", "label": "supplies munitions to", "count": 1,
         "color": green},
    ]
    assert data["legend"] == {
        "nodes": [{"type": "State", "label": "State", "color": "#4e79a7", "shape": "dot"}],
        "colorTitle": "Line colour: polarity",
        "colors": [{"label": "cooperative", "color": green}],
        "lines": [{"modality": "asserted", "label": "asserted only", "dashes": False},
                  {"modality": "speculative", "label": "speculative only", "dashes": [8, 6]}],
        "directed": True,
        "symmetric": True,
    }


def test_styles_follow_type_polarity_weight_and_modality():
    g = contract_graph()
    data = viz.to_vis(g)
    by_rel = {data["edgeInfo"][e["id"]]["relation"]: e for e in data["edges"]}
    assert by_rel["attacks"]["color"] == "#d1393b"           # conflictual
    assert by_rel["visits"]["color"] == "#2a9d5c"            # cooperative
    assert by_rel["attacks"]["width"] > by_rel["suppliesMunitionsTo"]["width"] > by_rel["visits"]["width"]
    assert "arrows" not in by_rel["cooperatesWith"]           # symmetric
    assert by_rel["attacks"]["arrows"] == "to"
    assert "dashes" not in by_rel["attacks"]
    assert by_rel["hedgesAgainst"]["dashes"] == [8, 6]        # speculative
    assert by_rel["suppliesWeaponsTo"]["dashes"] == [2, 5]    # negated
    assert by_rel["cooperatesWith"]["dashes"] == [12, 4, 2, 4]  # mixed
    # three relations between North Korea and Russia curve apart; a lone one stays straight
    rounds = [by_rel[r]["smooth"]["roundness"] for r in ("suppliesMunitionsTo", "deploysTroopsTo", "visits")]
    assert len(set(rounds)) == 3
    assert "smooth" not in by_rel["attacks"]
    groups = {n["label"]: n["group"] for n in data["nodes"]}
    assert groups["NATO"] == "IntergovernmentalOrganization" and groups["Hamas"] == "NonStateGroup"
    sizes = {n["label"]: n["size"] for n in data["nodes"]}
    assert sizes["Russia"] > sizes["NATO"]                    # degree 5 vs 1
    assert [n["type"] for n in data["legend"]["nodes"]] == list(viz.NODE_TYPES)
    assert [l["modality"] for l in data["legend"]["lines"]] == list(viz.MODALITIES)


def test_plover_colouring_uses_families():
    data = viz.to_vis(contract_graph(), color_by="plover")
    labels = {c["label"] for c in data["legend"]["colors"]}
    assert labels == {"verbal cooperation", "material cooperation", "material conflict",
                      "verbal conflict", "standing relation"}
    assert data["legend"]["colorTitle"] == "Line colour: PLOVER family"
    with pytest.raises(VizError, match="cannot colour relations by 'mood'"):
        viz.to_vis(contract_graph(), color_by="mood")


def test_script_json_cannot_end_the_script_element():
    value = {"t": SCRIPT_PAYLOAD + IMG_PAYLOAD + "<!-- & \u2028\u2029 -->"}
    text = viz.script_json(value)
    for char in "<>&\u2028\u2029":
        assert char not in text
    assert json.loads(text) == value


def test_article_text_is_never_markup_in_the_page():
    text = viz.render_html(contract_graph(), title=SCRIPT_PAYLOAD + " & co")
    assert SCRIPT_PAYLOAD not in text
    assert "<img src=x" not in text
    assert "__pwned" in text                                   # it is there, as escaped JSON
    assert "<title>&lt;script&gt;window.__pwned=1&lt;/script&gt; &amp; co</title>" in text
    data = page_data(text)
    texts = [ev["text"] for info in data["edgeInfo"] for ev in info["evidence"]]
    assert any(SCRIPT_PAYLOAD in t and IMG_PAYLOAD in t for t in texts)
    assert IMG_PAYLOAD in [n["label"] for n in data["nodes"]]
    # nothing closes a script element but the template's three: data, vis-network, kg's own
    assert len(re.findall(r"</script", text, re.I)) == 3


def test_page_is_self_contained():
    text = viz.render_html(contract_graph())
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
    assert not re.search(r"<script[^>]+\bsrc\s*=", text, re.I)
    assert not re.search(r"<link[^>]+stylesheet", text, re.I)
    assert "@import" not in text
    assert "sourceMappingURL" not in text
    assert "vis-network" in text and "new vis.Network" in text


def test_content_security_policy_admits_exactly_the_page_scripts():
    text = viz.render_html(contract_graph())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    assert "default-src 'none'" in csp and "unsafe-eval" not in csp
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    assert len(scripts) == 2
    hashes = re.findall(r"'sha256-([^']+)'", csp)
    assert hashes == [base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts]


def test_small_graph_settles_then_large_graph_has_no_physics():
    small = page_data(viz.render_html(contract_graph()))
    assert small["large"] is False
    physics = small["options"]["physics"]
    assert physics["enabled"] is True and physics["stabilization"]["enabled"] is True
    assert physics["stabilization"]["iterations"] == viz.stabilization_iterations(7) == 300
    large = page_data(viz.render_html(contract_graph(), large_threshold=6))
    assert large["large"] is True
    assert large["options"]["physics"] == {"enabled": False}
    assert large["options"]["interaction"]["hideEdgesOnDrag"] is True
    for node in large["nodes"]:
        assert isinstance(node["x"], float) and isinstance(node["y"], float)
    assert len({(n["x"], n["y"]) for n in large["nodes"]}) == 7
    assert viz.stabilization_iterations(1000) == 30            # bounded work for bigger graphs


def test_layout_is_deterministic_and_spread_out():
    g = contract_graph()
    a, b = viz.layout(g), viz.layout(g)
    assert a == b
    assert len(set(a)) == g.number_of_nodes()
    xs = [x for x, _ in a]
    assert max(xs) - min(xs) > 100
    assert viz.layout(nx.MultiDiGraph()) == []


def test_empty_graph_still_writes_a_page(tmp_path):
    summary = viz.write_html(nx.MultiDiGraph(), tmp_path / "empty.html")
    assert (summary.nodes, summary.edges, summary.large) == (0, 0, False)
    assert page_data((tmp_path / "empty.html").read_text(encoding="utf-8"))["nodes"] == []


def test_write_is_atomic_and_touches_nothing_else(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    out = tmp_path / "graph.html"
    out.write_text("old page")
    summary = viz.write_html(contract_graph(), out)
    assert summary.size == out.stat().st_size and summary.nodes == 7 and summary.edges == 8
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.html", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert out.stat().st_mode & 0o644 == 0o644
    with pytest.raises(VizError, match="does not exist; create it first"):
        viz.write_html(contract_graph(), tmp_path / "missing" / "graph.html")
    with pytest.raises(VizError, match="is a folder"):
        viz.write_html(contract_graph(), tmp_path)


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "graph.html"
    out.write_text("old page")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(VizError, match="cannot write"):
        viz.write_html(contract_graph(), out)
    assert out.read_text() == "old page"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.html"]


def test_default_style_loads():
    style = viz.load_style()
    assert set(style.node_types) == set(viz.NODE_TYPES)
    assert style.plover["ASSAULT"] == "material conflict" and style.plover[""] == "standing relation"


@pytest.mark.parametrize("change, message", [
    (lambda s: s["node_types"]["State"].update(color="blue"), "node_types.State: colour must look like #1f77b4"),
    (lambda s: s["node_types"]["State"].update(shape="blob"), "node_types.State: shape must be one of"),
    (lambda s: s["node_types"].pop("NonStateGroup"), "node_types: missing 'NonStateGroup'"),
    (lambda s: s["plover_families"]["verbal conflict"]["categories"].append("AID"),
     "PLOVER category 'AID' is in both"),
    (lambda s: s["modality"]["mixed"].update(dashes=[0, 3]), "modality.mixed: dashes must be false"),
    (lambda s: s.update(colour={}), "unknown key 'colour'"),
])
def test_bad_style_file_is_reported_with_its_path(tmp_path, change, message):
    style = json.loads(viz.STYLE_FILE.read_text(encoding="utf-8"))
    change(style)
    path = tmp_path / "style.json"
    path.write_text(json.dumps(style))
    with pytest.raises(VizStyleError) as err:
        viz.load_style(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_style_file_that_is_not_json_names_the_line(tmp_path):
    path = tmp_path / "style.json"
    path.write_text('{\n  "node_types": {,\n}')
    with pytest.raises(VizStyleError, match=rf"^{re.escape(str(path))}:2: not JSON"):
        viz.load_style(path)


def test_vis_network_comes_from_the_installed_pyvis():
    js, css = viz.vis_assets()
    assert "vis-network" in js[:400] and viz.VIS_VERSION in js[:400]
    assert ".vis-network" in css
    assert "</script" not in js.lower()
