"""`kg viz`: a store in, one page out, the page holding the store's network and evidence."""

from __future__ import annotations

import json
import re

import pytest

from graph_support import kg, write_corpus


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("viz-cli")
    location = tmp / "store"
    res = kg("build", write_corpus(tmp / "docs"), "--store", location)
    assert res.exit_code == 0, res.output
    return location


def data_of(path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'id="kg-data">(.*?)</script>', text, re.S).group(1))


def test_viz_writes_the_store_network(store, tmp_path):
    out = tmp_path / "graph.html"
    res = kg("viz", "--store", store, "-o", out, "--title", "Shells")
    assert res.exit_code == 0, res.output
    data = data_of(out)
    labels = {n["label"] for n in data["nodes"]}
    assert {"North Korea", "Russia", "China", "Iran", "United States"} <= labels
    assert res.output.strip().startswith(f"{out}: {len(data['nodes'])} actor(s), "
                                         f"{len(data['edges'])} relation(s), ")
    rels = {info["relation"]: info for info in data["edgeInfo"]}
    assert rels["suppliesMunitionsTo"]["weight"] == 2
    texts = [ev["text"] for ev in rels["suppliesMunitionsTo"]["evidence"]]
    assert "North Korea has supplied artillery shells to Russia." in texts
    titles = {ev["title"] for ev in rels["suppliesMunitionsTo"]["evidence"]}
    assert 'Shells "and" <rockets> } # for the front' in titles
    assert "<rockets>" not in out.read_text(encoding="utf-8")       # escaped in the JSON
    assert "<title>Shells</title>" in out.read_text(encoding="utf-8")
    assert data["large"] is False


def test_viz_large_mode_and_plover_colours(store, tmp_path):
    out = tmp_path / "big.html"
    res = kg("viz", "--store", store, "-o", out, "--large-threshold", "2", "--color-by", "plover")
    assert res.exit_code == 0, res.output
    assert "large-graph mode" in res.output
    data = data_of(out)
    assert data["large"] is True and data["options"]["physics"] == {"enabled": False}
    assert data["legend"]["colorTitle"] == "Line colour: PLOVER family"


def test_viz_into_a_missing_folder_is_one_line(store, tmp_path):
    res = kg("viz", "--store", store, "-o", tmp_path / "nope" / "graph.html")
    assert res.exit_code == 1
    assert res.output == (f"Error: {tmp_path / 'nope' / 'graph.html'}: folder {tmp_path / 'nope'} "
                          "does not exist; create it first\n")


def test_viz_takes_the_network_filters(store, tmp_path):
    out = tmp_path / "ego.html"
    res = kg("viz", "--store", store, "-o", out, "--actor", "Iran", "--relation",
             "supplies-weapons-to", "--relation", "suppliesMunitionsTo")
    assert res.exit_code == 0, res.output
    data = data_of(out)
    assert {n["label"] for n in data["nodes"]} == {"Iran", "Russia"}
    assert {r["relation"] for r in data["relations"]} <= {"suppliesWeaponsTo", "suppliesMunitionsTo"}
    res = kg("viz", "--store", store, "-o", out, "--include-speculative")
    assert res.exit_code == 0, res.output
    modalities = {info["modality"] for info in data_of(out)["edgeInfo"]}
    assert "speculative" in modalities or "negated" in modalities


def test_viz_bad_filter_is_one_line(store, tmp_path):
    res = kg("viz", "--store", store, "-o", tmp_path / "x.html", "--depth", "2")
    assert res.exit_code == 2
    assert res.output == "Error: --depth needs --actor (the centre of the ego network)\n"
    assert not (tmp_path / "x.html").exists()
