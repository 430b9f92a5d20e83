"""Data-driven extraction cases (tests/cases/extraction.jsonl, described in its README)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kg.documents import document_from_text

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "cases" / "extraction.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def _rows(extractor, case):
    date = dt.date.fromisoformat(case["date"]) if case.get("date") else None
    doc = document_from_text("case", case["text"], date=date)
    out = set()
    for x in extractor.extract(doc):
        r = extractor.record(x)
        assert doc.text[r["start"] : r["end"]] == r["evidence"]
        out.add((r["subject"], r["relation"], r["object"], r["modality"]))
    return out


def _has(rows, ontology, s, rel, o, modality=None):
    symmetric = ontology.relations[rel].symmetric
    for rs, rr, ro, rm in rows:
        if rr != rel or (modality and rm != modality):
            continue
        if (rs, ro) == (s, o) or (symmetric and (ro, rs) == (s, o)):
            return True
    return False


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_case(extractor, core_extractor, ontology, case, request):
    if case.get("known_failure"):
        request.applymarker(pytest.mark.xfail(reason=case["known_failure"], strict=True))
    rows = _rows(core_extractor if case.get("vocabulary") == "core" else extractor, case)
    for s, rel, o, modality in case.get("expect", []):
        assert _has(rows, ontology, s, rel, o, modality), f"missing {s} {rel} {o} ({modality}); got {sorted(rows)}"
    for s, rel, o in case.get("absent", []):
        assert not _has(rows, ontology, s, rel, o), f"unexpected {s} {rel} {o}; got {sorted(rows)}"
    if case.get("exact"):
        assert len(rows) == len(case.get("expect", [])), f"extra rows: {sorted(rows)}"
