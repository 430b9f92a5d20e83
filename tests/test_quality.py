"""Extraction quality: the seed article (../shared) and the bundled corpus (data/).

Per-file strict F1 on data/ is printed and compared with the floors in ``floors.json``; a drop
below a floor fails. After a deliberate improvement, record new floors with
``KG_RECORD_FLOORS=1 python3 dev.py test tests/test_quality.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import DATA, SCORER, SEED_DIR, SEED_GOLD, need_shared
from kg.evaluate import Scorer, evaluate, load_gold
from kg.pipeline import extract_records

FLOORS = DATA.parent / "tests" / "floors.json"


def _predict(extractor, path):
    return {doc.id: rows for doc, rows in extract_records([str(path)], extractor, unique=True)}


def test_seed_quality(extractor, capsys):
    need_shared()
    pred = _predict(extractor, SEED_DIR)
    per_doc, total, _ = evaluate(pred, load_gold(str(SEED_GOLD)), Scorer(extractor.gazetteer, extractor.ontology))
    p, r, f = total.strict
    with capsys.disabled():
        print(f"\nseed: strict P={p:.3f} R={r:.3f} F1={f:.3f} pair-F1={total.pair[2]:.3f}")
    assert f >= 0.75 and p >= 0.85


def test_kg_eval_agrees_with_reference_scorer(extractor, tmp_path):
    """kg eval's figures are those of shared/eval/score.py on the same predictions."""
    need_shared()
    pred = _predict(extractor, SEED_DIR)
    rows = [r for rs in pred.values() for r in rs]
    pred_file = tmp_path / "pred.jsonl"
    pred_file.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "doc"}) + "\n" for r in rows))
    ref = subprocess.run([sys.executable, str(SCORER), str(pred_file), str(SEED_GOLD)],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    _, total, _ = evaluate(pred, load_gold(str(SEED_GOLD)), Scorer(extractor.gazetteer, extractor.ontology))
    p, r, f = total.strict
    assert ref == f"f1={f:.3f} p={p:.3f} r={r:.3f} pair_f1={total.pair[2]:.3f}"


SETS = {"corpus": (DATA / "corpus", DATA / "gold"),
        "dev": (DATA / "dev" / "corpus", DATA / "dev" / "gold"),
        "heldout": (DATA / "heldout" / "corpus", DATA / "heldout" / "gold")}


@pytest.mark.parametrize("name", sorted(SETS))
def test_regression_floors(extractor, core_extractor, capsys, name):
    """data/corpus and data/dev are development sets; data/heldout is never used to write rules.
    data/dev's gold uses only the core relations, so it is scored with the core vocabulary."""
    if name == "dev":
        extractor = core_extractor
    texts, gold_dir = SETS[name]
    gold = load_gold(str(gold_dir))
    pred = _predict(extractor, texts)
    per_doc, total, _ = evaluate(pred, gold, Scorer(extractor.gazetteer, extractor.ontology))
    figures = {f"{name}/{d}": round(s.strict[2], 3) for d, s in per_doc.items()}
    figures[f"{name}/micro"] = round(total.strict[2], 3)
    p, r, f = total.strict
    with capsys.disabled():
        print()
        for d, f1 in figures.items():
            print(f"data/{d}: strict F1={f1:.3f}")
        print(f"data/{name}: strict P={p:.3f} R={r:.3f} F1={f:.3f} pair-F1={total.pair[2]:.3f}")
    floors = json.loads(FLOORS.read_text()) if FLOORS.exists() else {}
    if os.environ.get("KG_RECORD_FLOORS"):
        floors = {k: v for k, v in floors.items() if not k.startswith(name + "/")} | figures
        FLOORS.write_text(json.dumps(floors, indent=1, sort_keys=True) + "\n")
    mine = {k: v for k, v in floors.items() if k.startswith(name + "/")}
    assert set(mine) == set(figures), "a file was added or removed: record floors again"
    drops = {d: (figures[d], mine[d]) for d in mine if figures[d] < mine[d] - 1e-9}
    assert not drops, f"strict F1 fell below the recorded floor (now, floor): {drops}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_gold_is_well_formed(ontology, name):
    texts_dir, gold_dir = SETS[name]
    gold = load_gold(str(gold_dir))
    texts = {p.name: p.read_text(encoding="utf-8") for p in texts_dir.glob("*.md")}
    if name in ("heldout", "dev"):
        assert len(texts) >= 8
        for row in gold:
            assert row["evidence"] in texts[row["doc"]], row["evidence"]
            ontology.resolve(row["relation"])
        return
    assert len(texts) >= 12
    counts = {}
    for row in gold:
        assert row["doc"] in texts, row
        assert row["evidence"] in texts[row["doc"]], row["evidence"]
        counts[ontology.resolve(row["relation"]).name] = counts.get(row["relation"], 0) + 1
    assert all(counts.get(r, 0) >= 2 for r in ontology.relations), counts
    modalities = {m: sum(1 for r in gold if r["modality"] == m) for m in ("negated", "speculative")}
    assert modalities["negated"] >= 10 and modalities["speculative"] >= 10


def test_offsets_always_point_at_the_evidence(extractor):
    paths = [DATA / "corpus"] + ([SEED_DIR] if SEED_DIR.is_dir() else [])
    n = 0
    for doc, rows in extract_records([str(p) for p in paths], extractor):
        for r in rows:
            assert doc.text[r["start"] : r["end"]] == r["evidence"]
            assert r["evidence"] == r["evidence"].strip() and "\n\n" not in r["evidence"]
            n += 1
    assert n > 50


def test_core_vocabulary_keeps_every_core_relation_the_full_one_finds(extractor):
    """The default vocabulary only leaves relations out: it never loses a core one (a generic
    core relation may even survive that a full-vocabulary specific one would have replaced)."""
    from kg.pipeline import make_extractor

    core = make_extractor(today=extractor.today, vocabulary="core")
    names = core.ontology.vocabulary("core")

    def triples(ex):
        return {(doc.id, r["subject"], r["relation"], r["object"], r["modality"])
                for doc, rows in extract_records([str(DATA / "corpus")], ex, unique=True) for r in rows}

    got, full = triples(core), triples(extractor)
    assert {t[2] for t in got} <= names
    assert {t for t in full if t[2] in names} <= got
    assert len(got) < len(full)
