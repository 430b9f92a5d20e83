#!/usr/bin/env python3
"""Benchmark kg's store (embedded pyoxigraph) against rdflib's in-memory Graph on one graph.

    .venv/bin/python bench/bench_graph.py [--triples 1000000] [--keep DIR]

Generates a kg-shaped graph (assertion nodes with their properties, direct actor-to-actor
triples, actor descriptions) of at least --triples triples as N-Triples, then, each side in a
fresh process so that peak RSS is its own, measures side by side in one run:

* load: kg's store through Oxigraph's bulk loader vs ``rdflib.Graph().parse``;
* a GROUP BY count of assertions per relation (SPARQL, same text on both; best of three);
* a two-hop path query (who supplies weapons to someone who attacks whom), counted (best of
  three);
* Turtle export: ``kg export --format turtle``'s code path (the union of the graphs, each triple
  once) vs ``Graph.serialize("turtle")``;
* peak RSS of the process.

It prints the figures and rdflib/kg ratios. Targets (issue 3): >= 10x on load and on query,
>= 20x on Turtle export, kg's peak RSS <= half of rdflib's.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

KG = "https://w3id.org/kgia/ontology#"
ID = "https://w3id.org/kgia/id/"
RELATIONS = ["suppliesWeaponsTo", "attacks", "sanctions", "alignsWith", "meetsWith", "condemns",
             "providesAidTo", "threatens", "visits", "cooperatesWith"]
GROUP_BY = f"""SELECT ?r (COUNT(?a) AS ?n) WHERE {{ ?a <{KG}relation> ?r }} GROUP BY ?r ORDER BY ?r"""
TWO_HOP = f"""SELECT (COUNT(*) AS ?n) WHERE {{
  ?x <{KG}suppliesWeaponsTo> ?y . ?y <{KG}attacks> ?z }}"""


def generate(path: Path, triples: int, seed: int = 3) -> int:
    """Write about ``triples`` N-Triples lines; returns the number written."""
    rng = random.Random(seed)
    actors = [f"<{ID}actor/A{i:04}>" for i in range(2000)]
    lines = 0
    with open(path, "w", encoding="utf-8") as out:
        for i, a in enumerate(actors):
            out.write(f'{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{KG}State> .\n')
            out.write(f'{a} <http://www.w3.org/2004/02/skos/core#prefLabel> "Actor {i}"@en .\n')
            lines += 2
        n = 0
        while lines < triples:
            n += 1
            s, o = rng.sample(actors, 2)
            rel = rng.choice(RELATIONS)
            a = f"<{ID}assertion/{n:08x}>"
            doc = f"<{ID}doc/{n // 20:06x}>"
            start = rng.randrange(0, 50_000)
            out.write(
                f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{KG}Assertion> .\n"
                f"{a} <{KG}subject> {s} .\n{a} <{KG}relation> <{KG}{rel}> .\n{a} <{KG}object> {o} .\n"
                f"{a} <{KG}modality> <{KG}Asserted> .\n"
                f'{a} <{KG}confidence> "0.{rng.randrange(50, 99)}"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
                f'{a} <{KG}evidenceText> "Sentence {n} says that actor {s[-6:-1]} {rel} {o[-6:-1]}." .\n'
                f'{a} <{KG}startOffset> "{start}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                f"{a} <http://www.w3.org/ns/prov#wasDerivedFrom> {doc} .\n"
                f"{s} <{KG}{rel}> {o} .\n")
            lines += 10
    return lines


KG_SIDE = r"""
import io, json, resource, sys, time
import pyoxigraph as ox
from kg.store import EmbeddedStore
from kg.export import export
path, folder = sys.argv[1], sys.argv[2]
out = {}
t = time.perf_counter()
st = EmbeddedStore(folder, create=True)
st.bulk_load(path, ox.RdfFormat.N_TRIPLES, graph="https://w3id.org/kgia/id/doc/bench")
out["load"] = time.perf_counter() - t
out["triples"] = len(st)
for name, q in (("group_by", sys.argv[3]), ("two_hop", sys.argv[4])):
    times = []
    for _ in range(3):  # best of three, on both sides
        t = time.perf_counter()
        res = [[x.value for x in row] for row in st.query(q)]
        times.append(time.perf_counter() - t)
    out[name] = min(times)
    out[name + "_result"] = res
t = time.perf_counter()
with open(folder + ".ttl", "wb") as fh:
    export(st, "turtle", fh)
out["turtle"] = time.perf_counter() - t
st.close()
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

RDFLIB_SIDE = r"""
import json, resource, sys, time
import rdflib
path, folder = sys.argv[1], sys.argv[2]
out = {}
t = time.perf_counter()
g = rdflib.Graph()
g.parse(path, format="nt")
out["load"] = time.perf_counter() - t
out["triples"] = len(g)
for name, q in (("group_by", sys.argv[3]), ("two_hop", sys.argv[4])):
    times = []
    for _ in range(3):
        t = time.perf_counter()
        res = [[str(x) for x in row] for row in g.query(q)]
        times.append(time.perf_counter() - t)
    out[name] = min(times)
    out[name + "_result"] = res
t = time.perf_counter()
g.serialize(folder + ".ttl", format="turtle")
out["turtle"] = time.perf_counter() - t
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def side(code: str, data: Path, folder: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, str(data), str(folder), GROUP_BY, TWO_HOP],
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"benchmark side failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="keep the generated data and stores here")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="kg-bench-graph-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "graph.nt"
        n = generate(data, args.triples)
        print(f"generated {n:,} triples ({data.stat().st_size / 1e6:.0f} MB of N-Triples)", flush=True)
        kg = side(KG_SIDE, data, work / "kg-store")
        rl = side(RDFLIB_SIDE, data, work / "rdflib")
        same = (kg["group_by_result"] == [[r[0], r[1]] for r in rl["group_by_result"]]
                and kg["two_hop_result"] == rl["two_hop_result"])
        print(f"{'measure':<22} {'kg store':>10} {'rdflib':>10} {'ratio':>8}  target")
        rows = [("load (s)", "load", 10), ("GROUP BY query (s)", "group_by", 10),
                ("two-hop query (s)", "two_hop", 10), ("Turtle export (s)", "turtle", 20)]
        ok = True
        for label, key, target in rows:
            ratio = rl[key] / max(kg[key], 1e-9)
            ok &= ratio >= target
            print(f"{label:<22} {kg[key]:>10.2f} {rl[key]:>10.2f} {ratio:>7.1f}x  >= {target}x")
        rss = kg["rss_mb"] / rl["rss_mb"]
        ok &= rss <= 0.5
        print(f"{'peak RSS (MB)':<22} {kg['rss_mb']:>10.0f} {rl['rss_mb']:>10.0f} {rss:>7.2f}   <= 0.5")
        print(f"triples: kg {kg['triples']:,}, rdflib {rl['triples']:,}; "
              f"same query answers: {'yes' if same else 'NO'}")
        print("all targets met" if ok and same else "some targets missed")
        return 0 if same else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
