#!/usr/bin/env python3
"""Benchmark kg at news-wire scale: `kg extract` and `kg build` with 1 and 2 workers.

    .venv/bin/python bench/bench_scale.py [--docs 20000] [--words N] [--no-half] [--keep DIR]

Generates a JSON Lines corpus (gzip) of at least --docs documents and --words words (default
500 per document, so 10 M words for 20,000) from the articles in data/corpus, varying them so
that sentences repeat less: the states they name are swapped for others from kg's gazetteer and
their dates shifted across 2019-2025 (which also changes which leader stands for which state).
The corpus lives in a temporary folder and is deleted afterwards (or kept in --keep DIR).

Then, each command in a fresh process with start-up included, measured in this one run:

* `kg extract CORPUS -o /dev/null` with --workers 1 and 2;
* `kg build CORPUS` into a fresh embedded store with --workers 1 and 2;
* (unless --no-half) `kg build` of the first half of the corpus, to show that memory does not
  grow with the corpus.

For each: wall time, documents/s, words/s and the peak RSS of the whole process tree (the sum
over kg and its worker processes, sampled every 0.1 s; shared pages of forked workers are counted
in each, so this overstates). It prints scaling efficiency from 1 to 2 workers
(speed-up / 2), the build/extract ratio of words/s, and the projected time for 200,000 articles
a day on this machine, and how many cores the one-worker run kept busy (a build's writer runs
beside its extraction, so one worker can already use more than a core, which bounds the 1 -> 2
efficiency on a two-core machine). Targets (issue 5): scaling efficiency >= 0.8, peak RSS < 1 GB whatever the
corpus size, build >= 0.5 of extract's words/s. The machine's load average is printed too: other
processes on the same cores lower the measured scaling.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KG = [sys.executable, "-m", "kg"]
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def load_sources() -> list[dict]:
    """The shipped articles as (title, date, text) with their front matter taken off."""
    out = []
    for path in sorted((ROOT / "data" / "corpus").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta, body = {}, text
        m = _FRONT.match(text)
        if m:
            body = text[m.end():]
            for line in m.group(1).splitlines():
                key, _, value = line.partition(":")
                meta[key.strip()] = value.strip().strip("\"'")
        out.append({"name": path.stem, "title": meta.get("title"), "body": body})
    return out


def state_names() -> list[str]:
    """Short names of the gazetteer's states (the ones spelled as a single plain name)."""
    from kg.gazetteer import load_gazetteer

    names = sorted({a.name for a in load_gazetteer().actors.values()
                    if a.type == "State" and re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", a.name)})
    return names


def build_corpus(path: Path, docs: int, words: int, seed: int = 5) -> tuple[int, int]:
    rng = random.Random(seed)
    sources = load_sources()
    names = state_names()
    in_text = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b")
    n = total_words = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as fh:
        while n < docs or total_words < words:
            src = sources[n % len(sources)]
            seen = sorted(set(in_text.findall(src["body"])))
            mapping = dict(zip(seen, rng.sample(names, len(seen))))
            body = in_text.sub(lambda m: mapping[m.group(1)], src["body"])
            title = in_text.sub(lambda m: mapping[m.group(1)], src["title"] or "") or None
            day = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            rec = {"id": f"bench-{n:07d}", "title": title, "date": day,
                   "url": f"https://news.example.org/{day}/{src['name']}-{n}", "text": body}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
            total_words += len(body.split())
    return n, total_words


def half_corpus(src: Path, dst: Path, docs: int) -> tuple[int, int]:
    n = w = 0
    with gzip.open(src, "rt", encoding="utf-8") as fin, gzip.open(dst, "wt", encoding="utf-8", compresslevel=3) as out:
        for line in fin:
            if n >= docs:
                break
            out.write(line)
            w += len(json.loads(line)["text"].split())
            n += 1
    return n, w


def run(cmd: list[str]) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS of the process tree (MB), stdout, and CPU seconds (user + system,
    the command and every process it waited for) of one command."""
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})
    root = psutil.Process(proc.pid)
    peak = 0
    import threading

    out: dict = {}

    def drain():
        out["stdout"], out["stderr"] = proc.communicate()

    reader = threading.Thread(target=drain)
    reader.start()
    while reader.is_alive():
        try:
            tree = [root, *root.children(recursive=True)]
            rss = 0
            for p in tree:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, rss)
        except psutil.Error:
            pass
        reader.join(0.1)
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n"
                 f"{out['stderr'].decode()[-2000:]}")
    return seconds, peak / 2**20, out["stdout"].decode(), cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20_000, help="at least this many documents (default 20000)")
    ap.add_argument("--words", type=int, default=None, help="at least this many words (default 500 per document)")
    ap.add_argument("--no-half", action="store_true", help="skip the half-corpus memory check")
    ap.add_argument("--keep", type=Path, help="build the corpus in this folder and keep it")
    args = ap.parse_args()
    words_wanted = args.words if args.words is not None else 500 * args.docs
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-scale-"))
    folder = args.keep or tmp
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.jsonl.gz"
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} core(s)")
    try:
        t = time.perf_counter()
        docs, words = build_corpus(corpus, args.docs, words_wanted)
        print(f"corpus: {docs:,} documents, {words:,} words, {corpus.stat().st_size / 1e6:.1f} MB gzip "
              f"(generated in {time.perf_counter() - t:.1f} s)")
        results, cpus = {}, {}
        for kind in ("extract", "build"):
            for workers in (1, 2):
                cmd = [*KG, kind, str(corpus), "--workers", str(workers)]
                if kind == "extract":
                    cmd += ["-o", os.devnull]
                else:
                    cmd += ["--store", str(tmp / f"store-{workers}")]
                seconds, rss, stdout, cpu = run(cmd)
                if kind == "build":
                    made = int(stdout.split(" document(s)")[0])
                    if made != docs:
                        sys.exit(f"kg build read {made} documents, expected {docs}")
                    shutil.rmtree(tmp / f"store-{workers}", ignore_errors=True)
                results[kind, workers] = (seconds, rss)
                cpus[kind, workers] = cpu
                print(f"kg {kind:<7} --workers {workers}: {seconds:8.1f} s  {docs / seconds:8.1f} docs/s  "
                      f"{words / seconds:>9,.0f} words/s  peak RSS {rss:6.0f} MB  CPU {cpu:7.1f} s",
                      flush=True)
        half_rss = None
        if not args.no_half:
            half = tmp / "half.jsonl.gz"
            hdocs, hwords = half_corpus(corpus, half, docs // 2)
            seconds, half_rss, _, _ = run([*KG, "build", str(half), "--workers", "2",
                                        "--store", str(tmp / "store-half")])
            print(f"kg build   --workers 2 on half the corpus ({hdocs:,} docs): {seconds:8.1f} s  "
                  f"peak RSS {half_rss:6.0f} MB", flush=True)
        print()
        for kind in ("extract", "build"):
            eff = results[kind, 1][0] / results[kind, 2][0] / 2
            print(f"scaling efficiency, kg {kind:<7} 1 -> 2 workers: {eff:.2f}   (target >= 0.8)")
            print(f"  CPU seconds 2 workers / 1 worker:           {cpus[kind, 2] / cpus[kind, 1]:.2f}"
                  "   (1.0: no parallel overhead; wall time short of half is then contention)")
            cores = cpus[kind, 1] / max(results[kind, 1][0], 1e-9)
            print(f"  cores busy with 1 worker:                   {cores:.2f}"
                  f"   (caps the 1 -> 2 efficiency at {min(1.0, 1 / max(cores, 1e-9)):.2f} on 2 cores)")
        for workers in (1, 2):
            ratio = results["extract", workers][0] / results["build", workers][0]
            print(f"build / extract words/s, {workers} worker(s):        {ratio:.2f}   (target >= 0.5)")
        peak = max(rss for _, rss in results.values())
        print(f"peak RSS, any run:                          {peak:.0f} MB   (target < 1024 MB)")
        if half_rss is not None:
            print(f"peak RSS of build, full / half corpus:      {results['build', 2][1] / half_rss:.2f}"
                  "   (flat memory: close to 1.0)")
        best = min(results["build", 1][0], results["build", 2][0])
        per_doc = best / docs
        day = 200_000 * per_doc
        print(f"projected kg build of 200,000 articles/day: {day / 3600:.1f} h a day on this machine "
              f"({words / docs:.0f} words per article, best of 1 and 2 workers)")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
