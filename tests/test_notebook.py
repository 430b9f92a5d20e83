"""notebooks/walkthrough.ipynb runs from top to bottom and shows what it says it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "walkthrough.ipynb"


@pytest.fixture(scope="module")
def outputs():
    nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError, with the traceback, if a cell fails
    out = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        (tag,) = cell.metadata["tags"]
        text, html = [], []
        for o in cell.outputs:
            if o.output_type == "stream" and o.name == "stdout":
                text.append(o.text)
            elif o.output_type in ("display_data", "execute_result"):
                html.append(o.get("data", {}).get("text/html", ""))
        out[tag] = ("".join(text), "".join(html))
    return out


def test_build_reports_the_corpus(outputs):
    text, _ = outputs["build"]
    m = re.search(r"documents: (\d+), assertions: (\d+), actors: (\d+)", text)
    assert m, text
    documents, assertions, actors = map(int, m.groups())
    assert documents == len(list((NOTEBOOK.parent.parent / "data" / "corpus").glob("*.md")))
    assert assertions > 100 and actors > 30


def test_saved_queries_print_tables(outputs):
    ties, _ = outputs["strongest-ties"]
    assert ties.splitlines()[0].split()[:3] == ["subject", "relation", "object"]
    assert "Israel          attacks                   Iran" in ties
    allies, _ = outputs["allies-of"]
    assert "North Korea" in allies and "alignsWith" in allies
    supplies, _ = outputs["who-supplies-whom"]
    assert "deploysTroopsTo" in supplies or "suppliesWeaponsTo" in supplies


def test_network_and_inline_page(outputs):
    text, _ = outputs["project"]
    nodes, edges = map(int, re.search(r"(\d+) actors, (\d+) relations", text).groups())
    assert nodes > 30 and edges > nodes
    _, html = outputs["viz"]
    assert html.startswith("<iframe srcdoc=") and "sandbox=\"allow-scripts\"" in html
    assert "&lt;script" in html  # the page is inside the attribute, escaped
    ego, _ = outputs["ego"]
    assert "North Korea" in ego and "Russia'" not in ego.splitlines()[1]


def test_analytics(outputs):
    centrality, _ = outputs["centrality"]
    assert "United States" in centrality.splitlines()[0]
    blocs, _ = outputs["communities"]
    assert len(re.findall(r"^bloc \d+: ", blocs, flags=re.M)) >= 3
    bridges, _ = outputs["bridges"]
    assert len(bridges.splitlines()) >= 3
    conflict, _ = outputs["conflict"]
    assert "Iran - Israel" in conflict or "Israel - Iran" in conflict
