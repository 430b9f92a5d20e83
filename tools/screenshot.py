#!/usr/bin/env python3
"""Make docs/screenshot.png, the README's picture of the `kg viz` page.

    .venv/bin/python tools/screenshot.py [--corpus data/corpus] [-o docs/screenshot.png]

Builds the corpus into a temporary store, writes its page with `kg.viz.write_store_page`, opens
it in headless Chromium (/usr/bin/chromium, every non-file request refused), selects the
relation with the most sentences so that the side panel shows its evidence, and saves a
screenshot. Fails if the page asked for anything over the network or logged an error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT / "data" / "corpus"))
    ap.add_argument("-o", "--output", default=str(ROOT / "docs" / "screenshot.png"))
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=860)
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from kg.build import build_graph
    from kg.pipeline import make_extractor
    from kg.store import open_store
    from kg.viz import write_store_page

    with tempfile.TemporaryDirectory(prefix="kg-screenshot-") as tmp:
        location = str(Path(tmp) / "store")
        st = open_store(location, create=True, writer="tools/screenshot.py")
        try:
            build_graph([args.corpus], st, make_extractor())
        finally:
            st.release()
            st.close()
        st = open_store(location)
        try:
            page_path = Path(tmp) / "graph.html"
            summary = write_store_page(st, page_path, title="kg network: data/corpus")
        finally:
            st.close()
        problems: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                       else (problems.append("request " + r.request.url), r.abort()))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-kg-ready]", state="attached", timeout=60_000)
            page.evaluate("""() => {
                const ids = kg.edges.getIds();
                ids.sort((a, b) => kg.edgeInfo[b].weight - kg.edgeInfo[a].weight);
                kg.network.selectEdges([ids[0]]);
                kg.showEdge(ids[0]);
            }""")
            page.wait_for_timeout(300)
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.output)
            browser.close()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"{args.output}: {summary.nodes} actors, {summary.edges} relations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
