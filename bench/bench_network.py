#!/usr/bin/env python3
"""Benchmark the actor-network projection (kg.network.project) and the network exports.

    .venv/bin/python bench/bench_network.py [--triples 1000000] [--keep DIR]

Generates a kg-shaped store of at least --triples triples (documents with dates in their own
named graphs, assertions with every property kg writes and a mix of modalities, direct triples
for the asserted ones, an actors graph), loads it with Oxigraph's bulk loader, then measures in
one run:

* baseline: the aggregate query ``kg build`` runs to refresh its ties graph (one row per asserted
  subject-relation-object, with sentence and document counts and dates), fetched to the end,
  best of a run before and one after the others;
* ``project(store)`` (asserted evidence) and ``project`` with ``include_speculative``;
* a filtered projection (one relation) and an ego network (one actor, depth 1);
* writing GraphML, GEXF, CSV and JSON from the projection.

It prints the figures and each one's ratio to the baseline. Goal (issue 4): a projection of a
1M-triple store in seconds, not minutes -- within a small factor of the baseline query.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

KG = "https://w3id.org/kgia/ontology#"
ID = "https://w3id.org/kgia/id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"
RELATIONS = ["suppliesWeaponsTo", "attacks", "sanctions", "alignsWith", "meetsWith", "condemns",
             "providesAidTo", "threatens", "visits", "cooperatesWith"]
MODALITIES = ["Asserted"] * 8 + ["Speculative", "Negated"]
ACTORS = 2000  # fewer for small runs: one per 500 triples, at least 20
PER_DOC = 20
TRIPLES_PER_ASSERTION = 12  # 11 properties and, for most, the direct triple


def generate(path: Path, triples: int, seed: int = 4) -> int:
    """Write about ``triples`` N-Quads lines; returns the number written."""
    rng = random.Random(seed)
    actors = [f"{ID}actor/A{i:04}" for i in range(min(ACTORS, max(20, triples // 500)))]
    # a skewed choice of pairs, so that edges gather several sentences, as in real corpora
    pairs = [tuple(rng.sample(actors, 2))
             for _ in range(max(10, triples // (TRIPLES_PER_ASSERTION * 3)))]
    graph_actors = f"<{ID}graph/actors>"
    lines = 0
    with open(path, "w", encoding="utf-8") as out:
        for i, a in enumerate(actors):
            out.write(f"<{a}> {RDF_TYPE} <{KG}State> {graph_actors} .\n"
                      f'<{a}> <http://www.w3.org/2004/02/skos/core#prefLabel> "Actor {i}"@en {graph_actors} .\n'
                      f'<{a}> <{KG}isoCode> "A{i:02}" {graph_actors} .\n')
            lines += 3
        n = 0
        doc = g = None
        while lines < triples:
            if n % PER_DOC == 0:
                doc = f"<{ID}doc/{n // PER_DOC:08x}>"
                g = doc
                day = 1 + (n // PER_DOC) % 28
                month = 1 + (n // PER_DOC // 28) % 12
                out.write(f"{doc} {RDF_TYPE} <{KG}Document> {g} .\n"
                          f'{doc} <{KG}documentId> "doc-{n // PER_DOC}.md" {g} .\n'
                          f'{doc} <http://purl.org/dc/terms/title> "Document {n // PER_DOC}" {g} .\n'
                          f'{doc} <http://purl.org/dc/terms/date> "2024-{month:02}-{day:02}"^^<{XSD}date> {g} .\n')
                lines += 4
            n += 1
            s, o = rng.choice(pairs)
            rel = rng.choice(RELATIONS)
            mod = rng.choice(MODALITIES)
            a = f"<{ID}assertion/{n:08x}>"
            start = rng.randrange(0, 50_000)
            out.write(
                f"{a} {RDF_TYPE} <{KG}Assertion> {g} .\n"
                f"{a} <{KG}subject> <{s}> {g} .\n{a} <{KG}relation> <{KG}{rel}> {g} .\n"
                f"{a} <{KG}object> <{o}> {g} .\n{a} <{KG}modality> <{KG}{mod}> {g} .\n"
                f'{a} <{KG}confidence> "0.{rng.randrange(50, 99)}"^^<{XSD}decimal> {g} .\n'
                f'{a} <{KG}evidenceText> "Sentence {n}: actor {s[-5:]} {rel} actor {o[-5:]}." {g} .\n'
                f'{a} <{KG}startOffset> "{start}"^^<{XSD}integer> {g} .\n'
                f'{a} <{KG}endOffset> "{start + 80}"^^<{XSD}integer> {g} .\n'
                f'{a} <{KG}ruleId> "bench.{rel}" {g} .\n'
                f"{a} <http://www.w3.org/ns/prov#wasDerivedFrom> {doc} {g} .\n")
            lines += 11
            if mod == "Asserted":
                out.write(f"<{s}> <{KG}{rel}> <{o}> {g} .\n")
                lines += 1
    return lines


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="keep the generated data and store here")
    args = ap.parse_args(argv)

    import pyoxigraph as ox

    from kg.build import TIES_QUERY
    from kg.netexport import export_network
    from kg.network import Filters, project
    from kg.store import EmbeddedStore

    work = args.keep or Path(tempfile.mkdtemp(prefix="kg-bench-network-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "graph.nq"
        lines = generate(data, args.triples)
        store = EmbeddedStore(work / "store", create=True)
        load, _ = timed(store.bulk_load, data, ox.RdfFormat.N_QUADS)
        print(f"triples: {lines:,}  (bulk load {load:.2f} s)")

        from kg.ontology import load_ontology

        load_ontology()  # parsed once per process; not part of what is measured
        baseline, ties = timed(lambda: sum(1 for _ in store.query(TIES_QUERY)))
        rows = []
        secs, g = timed(project, store)
        rows.append(("project (asserted)", secs,
                     f"{g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges"))
        secs, wide = timed(project, store, Filters(include_speculative=True))
        rows.append(("project --include-speculative", secs,
                     f"{wide.number_of_nodes():,} nodes, {wide.number_of_edges():,} edges"))
        secs, one = timed(project, store, Filters(relations=("attacks",)))
        rows.append(("project --relation attacks", secs, f"{one.number_of_edges():,} edges"))
        centre = max(g.degree, key=lambda nd: nd[1])[0]
        secs, ego = timed(project, store, Filters(actor=centre, depth=1))
        rows.append(("project --actor (depth 1)", secs, f"{ego.number_of_edges():,} edges"))
        for fmt in ("graphml", "gexf", "csv", "json"):
            out = work / ("net" if fmt == "csv" else f"net.{fmt}")
            secs, written = timed(export_network, g, fmt, str(out))
            size = sum(p.stat().st_size for p in written) / 1e6
            rows.append((f"write {fmt}", secs, f"{size:.1f} MB"))
        again, _ = timed(lambda: sum(1 for _ in store.query(TIES_QUERY)))
        baseline = min(baseline, again)  # the first run also warms the caches: the best of two
        rows.insert(0, ("baseline: kg build's ties query", baseline, f"{ties:,} rows"))
        store.close()

        print(f"{'step':<34} {'seconds':>8} {'x baseline':>11}  result")
        for name, secs, what in rows:
            print(f"{name:<34} {secs:>8.2f} {secs / baseline:>11.2f}  {what}")
        print(f"edges {g.number_of_edges():,} vs ties rows {ties:,} (the two directions of a "
              "symmetric pair are one edge)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
