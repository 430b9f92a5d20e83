"""The page of `kg viz` in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven
by playwright, the page opened from file:// with every other request aborted and recorded.

Checked: nodes and edges drawn (vis-network's own state), hover and click show the evidence,
clicking an actor lists its relations, the relation filter hides lines, the search box finds
actors, the layout stops moving, large-graph mode, no console error, no network request, and
script/onerror payloads in evidence, titles and labels shown as text, never run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg import viz
from viz_support import IMG_PAYLOAD, SCRIPT_PAYLOAD, contract_graph

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium itself makes connections (updates, sync)
# that this machine refuses; they are no part of the page.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"{CHROMIUM} is not installed (Debian package chromium; python3 dev.py test installs it)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Opened:
    """A page opened from file:// with the network blocked; what it asked for and complained of."""

    def __init__(self, browser, path: Path, wait: bool = True):
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        if wait:
            # a selector, not wait_for_function: the page's CSP forbids the eval that polling uses
            self.page.wait_for_selector("body[data-kg-ready]", state="attached", timeout=60_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def js(self, expression, arg=None):
        return self.page.evaluate(expression, arg)

    def node_id(self, label: str) -> int:
        return self.js("(l) => kg.nodes.get().find((n) => n.label === l).id", label)

    def edge_id(self, relation: str) -> int:
        return self.js("(r) => kg.edges.getIds().find((id) => kg.edgeInfo[id].relation === r)", relation)

    def node_point(self, node: int) -> tuple[float, float]:
        return tuple(self.js("""(id) => {
            const p = kg.network.canvasToDOM(kg.network.getPositions([id])[id]);
            const box = document.getElementById("kg-network").getBoundingClientRect();
            return [box.left + p.x, box.top + p.y]; }""", node))

    def edge_point(self, edge: int) -> tuple[float, float]:
        """The middle of a straight edge, in page coordinates."""
        return tuple(self.js("""(id) => {
            const e = kg.edges.get(id), pos = kg.network.getPositions([e.from, e.to]);
            const mid = { x: (pos[e.from].x + pos[e.to].x) / 2, y: (pos[e.from].y + pos[e.to].y) / 2 };
            const p = kg.network.canvasToDOM(mid);
            const box = document.getElementById("kg-network").getBoundingClientRect();
            return [box.left + p.x, box.top + p.y]; }""", edge))

    def text(self, selector: str) -> str:
        return self.page.text_content(selector) or ""

    def assert_clean(self):
        assert self.requests == [], f"network requests: {self.requests}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.js("window.__pwned") is None, "a payload ran"
        self.page.close()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("viz") / "graph.html"
    viz.write_html(contract_graph(), path, title="kg test " + SCRIPT_PAYLOAD)
    return path


@pytest.fixture
def opened(browser, page_file):
    o = Opened(browser, page_file)
    yield o
    o.assert_clean()


def test_request_blocking_sees_requests(browser, tmp_path):
    # The control for every "no network request" check below: a page that does ask is caught.
    path = tmp_path / "asks.html"
    path.write_text('<!DOCTYPE html><title>x</title><img src="http://192.0.2.1/x.png">'
                    '<link rel="stylesheet" href="https://cdn.example/x.css">')
    o = Opened(browser, path, wait=False)
    o.page.wait_for_timeout(300)
    assert sorted(o.requests) == ["http://192.0.2.1/x.png", "https://cdn.example/x.css"]
    o.page.close()


def test_nodes_and_edges_are_drawn(opened, tmp_path):
    counts = opened.js("""[kg.nodes.length, kg.edges.length, kg.network.body.nodeIndices.length,
                          kg.network.body.edgeIndices.length]""")
    assert counts == [7, 8, 7, 8]
    assert opened.js("kg.network.physics.options.enabled") is False   # settled, then stopped
    # something is painted on the canvas: count the pixels that are not white
    painted = opened.js("""(() => {
        const c = document.querySelector("#kg-network canvas");
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) n++;
        return n; })()""")
    assert painted > 2000
    assert opened.text("#kg-counts") == "7 actors · 8 relations"
    legend = opened.text("#kg-legend")
    for words in ("State", "Intergovernmental organisation", "Non-state group", "conflictual",
                  "cooperative", "speculative only", "negated only", "symmetric relation"):
        assert words in legend
    shot = tmp_path / "graph.png"
    opened.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_layout_stops_moving(opened):
    before = opened.js("kg.network.getPositions()")
    opened.page.wait_for_timeout(600)
    assert opened.js("kg.network.getPositions()") == before


def test_hovering_an_edge_shows_its_evidence(opened):
    edge = opened.edge_id("attacks")
    x, y = opened.edge_point(edge)
    opened.page.mouse.move(x - 30, y - 30)
    opened.page.mouse.move(x, y, steps=4)
    opened.page.wait_for_selector("#kg-tooltip:not([hidden])", timeout=5000)
    tip = opened.text("#kg-tooltip")
    assert "Russia → attacks → Ukraine" in tip
    assert "Russian strikes hit Kharkiv again (0)." in tip
    assert "7 sentences; click the line for all." in tip
    opened.page.mouse.move(5, 5)
    opened.page.wait_for_selector("#kg-tooltip", state="hidden", timeout=5000)


def test_clicking_an_edge_lists_all_its_evidence(opened):
    edge = opened.edge_id("attacks")
    opened.page.mouse.click(*opened.edge_point(edge))
    details = opened.text("#kg-details")
    assert "Russia → attacks → Ukraine" in details
    for i in range(7):
        assert f"Russian strikes hit Kharkiv again ({i})." in details
    assert "Report 10 · 2024-06-19" in details
    assert "2024-02-01 to 2024-11-20" in details
    links = opened.js("[...document.querySelectorAll('#kg-details a')].map((a) => a.href)")
    assert links and all(h.startswith("https://example.org/") for h in links)


def test_clicking_a_node_lists_its_relations(opened):
    opened.page.mouse.click(*opened.node_point(opened.node_id("Russia")))
    assert opened.js("kg.network.getSelectedNodes()") == [opened.node_id("Russia")]
    assert opened.text("#kg-details h3") == "Russia"
    items = opened.js("[...document.querySelectorAll('#kg-details li')].map((li) => li.textContent)")
    assert items[0] == "Russia → attacks → Ukraine (7)"               # heaviest first
    assert "North Korea → supplies munitions to → Russia (3)" in items
    assert "China — cooperates with — Russia (2)" in items
    assert len(items) == 5
    # and a relation in that list opens its evidence
    opened.page.click("#kg-details li:nth-child(2) button")
    assert "Pyongyang has shipped millions of artillery shells to Moscow." in opened.text("#kg-details")


def test_relation_filter_hides_edges(opened):
    attacks = opened.edge_id("attacks")
    opened.page.uncheck("#kg-rel-attacks")
    assert opened.js("kg.edges.get({ filter: (e) => e.hidden }).map((e) => e.id)") == [attacks]
    assert opened.js("(id) => kg.network.body.edges[id].options.hidden", attacks) is True
    assert opened.text("#kg-counts") == "7 actors · 7 relations shown (of 7 and 8)"
    opened.page.click("#kg-none")
    assert opened.js("kg.edges.get({ filter: (e) => !e.hidden }).length") == 0
    assert opened.js("kg.nodes.get({ filter: (n) => !n.hidden }).length") == 0   # all left alone
    opened.page.check("#kg-rel-condemns")
    shown = opened.js("kg.nodes.get({ filter: (n) => !n.hidden }).map((n) => n.label).sort()")
    assert shown == ["NATO", "North Korea"]
    opened.page.click("#kg-all")
    assert opened.text("#kg-counts") == "7 actors · 8 relations"


def test_search_box_finds_an_actor(opened):
    opened.page.fill("#kg-search", "north korea")
    opened.page.press("#kg-search", "Enter")
    assert opened.js("kg.network.getSelectedNodes()") == [opened.node_id("North Korea")]
    assert opened.text("#kg-details h3") == "North Korea"
    opened.page.fill("#kg-search", "UKR")                              # ISO code
    opened.page.press("#kg-search", "Enter")
    assert opened.text("#kg-details h3") == "Ukraine"
    opened.page.fill("#kg-search", "Atlantis")
    opened.page.press("#kg-search", "Enter")
    assert opened.text("#kg-search-note") == "No actor matches “Atlantis”."


def test_payloads_show_as_text_and_never_run(opened):
    assert opened.page.title() == "kg test " + SCRIPT_PAYLOAD
    assert opened.text("header h1") == "kg test " + SCRIPT_PAYLOAD
    # evidence with both payloads, in the panel and in the tooltip
    munitions = opened.edge_id("suppliesMunitionsTo")
    opened.js("(id) => kg.showEdge(id)", munitions)
    details = opened.text("#kg-details")
    assert f"Analysts said {SCRIPT_PAYLOAD} and {IMG_PAYLOAD}" in details
    assert SCRIPT_PAYLOAD + " Troops & shells" in details                # a title
    # a label and a title carrying the onerror payload: hover and click them for real
    hedge = opened.edge_id("hedgesAgainst")
    x, y = opened.edge_point(hedge)
    opened.page.mouse.move(x, y, steps=3)
    opened.page.wait_for_selector("#kg-tooltip:not([hidden])", timeout=5000)
    assert IMG_PAYLOAD in opened.text("#kg-tooltip")
    opened.page.mouse.click(x, y)
    assert "Hamas → hedges against → " + IMG_PAYLOAD in opened.text("#kg-details")
    opened.page.mouse.click(*opened.node_point(opened.node_id(IMG_PAYLOAD)))
    assert opened.text("#kg-details h3") == IMG_PAYLOAD
    # the javascript: URL of one document never becomes a link
    opened.js("(id) => kg.showEdge(id)", opened.edge_id("suppliesWeaponsTo"))
    assert opened.js("document.querySelectorAll('#kg-details a').length") == 0
    opened.page.wait_for_timeout(200)
    assert opened.js("document.querySelectorAll('img').length") == 0
    assert opened.js("document.scripts.length") == 3
    assert opened.js("window.__pwned") is None


def test_large_graph_mode_draws_the_python_layout(browser, tmp_path):
    path = tmp_path / "large.html"
    summary = viz.write_html(contract_graph(), path, large_threshold=5)
    assert summary.large
    o = Opened(browser, path)
    assert o.js("kg.large") is True
    assert o.js("kg.network.physics.options.enabled") is False
    assert o.text("#kg-status") == "large-graph mode: layout computed beforehand, physics off"
    drawn = o.js("kg.network.getPositions()")  # vis-network gives whole pixels
    given = o.js("Object.fromEntries(kg.nodes.get().map((n) => [n.id, { x: n.x, y: n.y }]))")
    assert drawn.keys() == given.keys()
    for key, p in given.items():
        assert abs(drawn[key]["x"] - p["x"]) < 1 and abs(drawn[key]["y"] - p["y"]) < 1
    assert o.js("kg.network.body.edgeIndices.length") == 8
    o.assert_clean()


def test_empty_network_page_is_ready_and_says_so(browser, tmp_path):
    import networkx as nx

    path = tmp_path / "empty.html"
    viz.write_html(nx.MultiDiGraph(), path)
    o = Opened(browser, path)
    assert o.js("[kg.nodes.length, kg.edges.length]") == [0, 0]
    assert o.text("#kg-counts") == "0 actors · 0 relations"
    o.assert_clean()
