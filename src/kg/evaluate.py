"""Score extracted relations against gold annotations.

The figures are those of the reference scorer (``shared/eval/score.py``): strict precision,
recall and F1 over distinct (subject, relation, object) triples, typed and directed except for
symmetric relations; pair-level figures over unordered actor pairs; and modality accuracy on the
strict matches. Actors compare by Wikidata QID, and a name without one is looked up in the
gazetteer, so "U.S.", "Washington" and "United States" are one actor.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import EvalError
from kg.gazetteer import Gazetteer
from kg.ontology import Ontology


@dataclass
class Score:
    tp: int = 0
    npred: int = 0
    ngold: int = 0
    pair_tp: int = 0
    pair_pred: int = 0
    pair_gold: int = 0
    modality_ok: int = 0

    def add(self, other: "Score") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @staticmethod
    def _prf(tp, npred, ngold):
        p = tp / npred if npred else 0.0
        r = tp / ngold if ngold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    @property
    def strict(self):
        return self._prf(self.tp, self.npred, self.ngold)

    @property
    def pair(self):
        return self._prf(self.pair_tp, self.pair_pred, self.pair_gold)


def doc_key(doc_id: str) -> str:
    """Documents are matched by file name: ``data/corpus/a.md`` and ``a.md`` are one document."""
    return os.path.basename(str(doc_id).rstrip("/\\"))


def _stem(name: str) -> str:
    for suffix in (".gold.jsonl", ".jsonl"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def load_gold(path: str) -> list[dict]:
    """Gold rows from one JSONL file or from a directory of per-document files."""
    p = Path(path)
    files = sorted(p.glob("**/*.jsonl")) if p.is_dir() else [p]
    if not files:
        raise EvalError(f"{path}: no .jsonl gold files found")
    rows = []
    for f in files:
        try:
            lines = f.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise EvalError(f"{f}: no such gold file") from None
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{f}:{lineno}: not JSON ({exc.msg})") from None
            missing = [k for k in ("subject", "relation", "object") if k not in row]
            if missing:
                raise EvalError(f"{f}:{lineno}: gold row lacks {missing[0]!r}")
            if "doc" not in row and p.is_dir():
                row = {**row, "doc": _stem(f.name)}
            rows.append(row)
    return rows


class Scorer:
    def __init__(self, gazetteer: Gazetteer, ontology: Ontology):
        self.gazetteer = gazetteer
        self.ontology = ontology

    def actor_key(self, row: dict, side: str) -> str:
        qid = row.get(f"{side}_id")
        if isinstance(qid, str) and re.fullmatch(r"Q\d+", qid.rsplit("/", 1)[-1]):
            return qid.rsplit("/", 1)[-1]
        key = self._name_key(row[side])
        return getattr(self, "_qid_of", {}).get(key, key)

    def _name_key(self, value) -> str:
        name = re.sub(r"\s+", " ", str(value).strip())
        for candidate in (name, re.sub(r"^(?i:the) ", "", name)):
            alias = self.gazetteer.aliases.get(candidate)
            if alias is not None and alias.actor:
                actor = self.gazetteer.actor(alias.actor)
                return actor.qid or actor.key
        return re.sub(r"^the ", "", name.lower())

    def rel_key(self, relation: str) -> tuple[str, bool]:
        name = str(relation).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if name in self.ontology:
            rel = self.ontology.resolve(name)
            return rel.name.lower(), rel.symmetric
        return re.sub(r"[-_\s]", "", name).lower(), False

    def keyed(self, rows: list[dict]) -> dict[tuple, dict]:
        out: dict[tuple, dict] = {}
        for r in rows:
            s, o = self.actor_key(r, "subject"), self.actor_key(r, "object")
            rel, symmetric = self.rel_key(r["relation"])
            if symmetric:
                s, o = sorted((s, o))
            out.setdefault((s, rel, o), r)
        return out

    def score(self, pred_rows: list[dict], gold_rows: list[dict]) -> tuple[Score, dict, dict]:
        # A name on one side matches a QID on the other when some row gives that name a QID.
        self._qid_of = {}
        for r in pred_rows + gold_rows:
            for side in ("subject", "object"):
                qid = r.get(f"{side}_id")
                if isinstance(qid, str) and re.fullmatch(r"Q\d+", qid.rsplit("/", 1)[-1]):
                    self._qid_of.setdefault(self._name_key(r[side]), qid.rsplit("/", 1)[-1])
        pred, gold = self.keyed(pred_rows), self.keyed(gold_rows)
        tp = pred.keys() & gold.keys()
        pp = {tuple(sorted((k[0], k[2]))) for k in pred}
        gp = {tuple(sorted((k[0], k[2]))) for k in gold}
        ok = sum(
            1 for k in tp
            if str(pred[k].get("modality", "asserted")) == str(gold[k].get("modality", "asserted"))
        )
        return Score(len(tp), len(pred), len(gold), len(pp & gp), len(pp), len(gp), ok), pred, gold


def group_by_doc(rows: list[dict], default: str | None = None) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        d = r.get("doc", default)
        if d is None:
            raise EvalError("gold rows lack 'doc' keys; with several documents every gold row needs one")
        out.setdefault(_stem(doc_key(d)), []).append(r)
    return out


def _doc_stem(doc_id: str) -> str:
    name = doc_key(doc_id)
    return name


def evaluate(pred_by_doc: dict[str, list[dict]], gold_rows: list[dict], scorer: Scorer):
    """Per-document scores and their micro-average. Keys of ``pred_by_doc`` are document ids."""
    docs = {_doc_stem(d): rows for d, rows in pred_by_doc.items()}
    single = next(iter(docs)) if len(docs) == 1 else None
    gold = group_by_doc(gold_rows, default=single)
    # Gold from a directory is keyed by file stem ("a" for a.jsonl); match "a.md" to it too.
    for g in list(gold):
        if g not in docs:
            for d in docs:
                if os.path.splitext(d)[0] == g:
                    gold[d] = gold.pop(g)
                    break
    unmatched = sorted(set(gold) - set(docs))
    if unmatched:
        raise EvalError(
            f"gold names document {unmatched[0]!r}, which is not among the inputs; "
            "pass the documents the gold file annotates"
        )
    per_doc, total = {}, Score()
    details = {}
    for d in sorted(docs):
        s, pred, g = scorer.score(docs[d], gold.get(d, []))
        per_doc[d] = s
        details[d] = (pred, g)
        total.add(s)
    return per_doc, total, details


def format_report(per_doc: dict[str, Score], total: Score, details=None, show: bool = False) -> str:
    lines = []
    width = max([len(d) for d in per_doc] + [8])
    lines.append(f"{'document':<{width}}  pred  gold  match  P      R      F1     pair-F1  modality")
    for d, s in per_doc.items():
        p, r, f = s.strict
        mod = f"{s.modality_ok}/{s.tp}" if s.tp else "-"
        lines.append(
            f"{d:<{width}}  {s.npred:>4}  {s.ngold:>4}  {s.tp:>5}  {p:.3f}  {r:.3f}  {f:.3f}  {s.pair[2]:.3f}    {mod}"
        )
        if show and details:
            pred, gold = details[d]
            for k in sorted(gold.keys() - pred.keys(), key=str):
                lines.append(f"    MISSED   {k} | {str(gold[k].get('evidence', ''))[:100]}")
            for k in sorted(pred.keys() - gold.keys(), key=str):
                lines.append(f"    SPURIOUS {k} | {str(pred[k].get('evidence', ''))[:100]}")
    p, r, f = total.strict
    pp, pr, pf = total.pair
    lines.append(f"predicted {total.npred}  gold {total.ngold}  matched {total.tp}")
    lines.append(f"strict     P={p:.3f} R={r:.3f} F1={f:.3f}")
    lines.append(f"pair-level P={pp:.3f} R={pr:.3f} F1={pf:.3f}")
    if total.tp:
        lines.append(f"modality accuracy on matches {total.modality_ok}/{total.tp}")
    lines.append(f"f1={f:.3f} p={p:.3f} r={r:.3f} pair_f1={pf:.3f}")
    return "\n".join(lines)
