"""The library calls behind ``kg extract`` and ``kg eval``: documents in, relation records out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kg.documents import Document, InputProblem, iter_documents
from kg.extract import Extractor

MODALITY_RANK = {"asserted": 0, "speculative": 1, "negated": 2}


def make_extractor(gazetteers: Iterable[str] = (), today: dt.date | None = None) -> Extractor:
    """An extractor over the built-in gazetteer plus the user's files (loaded in order)."""
    from kg.gazetteer import load_gazetteer

    return Extractor(gazetteer=load_gazetteer(gazetteers), today=today)


@dataclass
class RunSummary:
    documents: int = 0
    relations: int = 0
    problems: list[InputProblem] = field(default_factory=list)


def extract_records(
    paths: Iterable[str],
    extractor: Extractor,
    date: dt.date | None = None,
    encoding: str | None = None,
    unique: bool = False,
    summary: RunSummary | None = None,
    stdin=None,
    fields=None,
) -> Iterator[tuple[Document, list[dict]]]:
    """Yield each readable document with its relation records; problems go to ``summary``.

    Documents are read and processed one at a time. ``unique`` keeps one record per
    (subject, relation, object) and document: the strongest modality (asserted > speculative >
    negated), as the gold annotations do.
    """
    summary = summary if summary is not None else RunSummary()
    kw = {"fields": fields} if fields is not None else {}
    for item in iter_documents(paths, encoding=encoding, date=date, stdin=stdin, **kw):
        if isinstance(item, InputProblem):
            summary.problems.append(item)
            continue
        records = [extractor.record(x) for x in extractor.extract(item)]
        if unique:
            records = unique_records(records, extractor)
        summary.documents += 1
        summary.relations += len(records)
        yield item, records


def unique_records(records: list[dict], extractor: Extractor | None = None) -> list[dict]:
    best: dict[tuple, dict] = {}
    for r in records:
        symmetric = extractor is not None and extractor.ontology.relations[r["relation"]].symmetric
        s, o = r["subject"], r["object"]
        if symmetric:
            s, o = sorted((s, o))
        key = (r["doc"], s, r["relation"], o)
        old = best.get(key)
        if old is None or MODALITY_RANK[r["modality"]] < MODALITY_RANK[old["modality"]] or (
            r["modality"] == old["modality"] and r["confidence"] > old["confidence"]
        ):
            best[key] = r
    return sorted(best.values(), key=lambda r: (r["start"], r["subject"], r["relation"], r["object"]))


def iter_extractions(
    paths: Iterable[str],
    extractor: Extractor,
    date: dt.date | None = None,
    encoding: str | None = None,
    summary: RunSummary | None = None,
    stdin=None,
    skip=None,
) -> Iterator[tuple[Document, list | None]]:
    """Like :func:`extract_records`, but yield the :class:`~kg.extract.Extraction` objects
    (which carry the gazetteer's actor keys, as ``kg build`` needs). ``skip(document)`` may
    return True to pass a document through without extracting (``None`` instead of a list)."""
    summary = summary if summary is not None else RunSummary()
    for item in iter_documents(paths, encoding=encoding, date=date, stdin=stdin):
        if isinstance(item, InputProblem):
            summary.problems.append(item)
            continue
        summary.documents += 1
        if skip is not None and skip(item):
            yield item, None
            continue
        found = extractor.extract(item)
        summary.relations += len(found)
        yield item, found
