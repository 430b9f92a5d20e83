"""The library calls behind ``kg extract`` and ``kg eval``: documents in, relation records out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kg.documents import Document, InputProblem, iter_documents
from kg.extract import Extractor

MODALITY_RANK = {"asserted": 0, "speculative": 1, "negated": 2}
BATCH_DOCUMENTS = 32  # documents per task sent to a worker process

_worker_extractor: Extractor | None = None  # set in each worker process


def make_extractor(gazetteers: Iterable[str] = (), today: dt.date | None = None,
                   vocabulary: str = "core") -> Extractor:
    """An extractor over the built-in gazetteer plus the user's files (loaded in order)."""
    from kg.gazetteer import load_gazetteer

    extractor = Extractor(gazetteer=load_gazetteer(gazetteers), today=today, vocabulary=vocabulary)
    extractor.gazetteer_files = tuple(str(g) for g in gazetteers)
    return extractor


def _init_worker(extractor: Extractor | None, gazetteers: tuple[str, ...], today,
                 vocabulary: str = "core") -> None:
    global _worker_extractor
    # With fork the parent's extractor is inherited as it is; with spawn it is built again.
    _worker_extractor = (extractor if extractor is not None
                         else make_extractor(gazetteers, today, vocabulary))


def _extract_batch(docs: list[Document], finish=None):
    if finish is None:
        return [_worker_extractor.extract(d) for d in docs]
    return [finish(d, _worker_extractor.extract(d)) for d in docs]


def extract_stream(
    items: Iterable[Document | InputProblem], extractor: Extractor, workers: int = 1,
    skip=None, dask: str | None = None, progress=None, finish=None,
) -> Iterator[tuple[Document | InputProblem, list | None]]:
    """Extract documents in order, in ``workers`` processes when more than one, or on the Dask
    cluster whose scheduler is at ``dask`` (``tcp://HOST:8786``).

    Whole batches of documents go to each process or Dask task (spaCy's own ``n_process`` is far
    slower for a rule pipeline); at most two batches per worker are in flight, so memory stays
    flat however long the corpus. Problems and skipped documents (``skip(doc)`` true) pass
    through as ``(item, None)``. ``progress(n)``, when given, is called as items come out.
    ``finish(doc, extractions)``, a picklable function, runs where the extraction ran (in the
    worker) and its result is yielded instead of the extractions.
    """
    out = _extract_stream(items, extractor, workers, skip, dask, finish)
    if progress is None:
        yield from out
        return
    for pair in out:
        yield pair
        progress(1)


def _batches(items):
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH_DOCUMENTS:
            yield batch
            batch = []
    if batch:
        yield batch


def _in_order(items, skip, submit, in_flight: int):
    """Send each batch's documents through ``submit(docs)`` (which returns a function that waits
    for their results), keeping at most ``in_flight`` batches outstanding, and yield in order."""
    from collections import deque

    def emit(entry):
        batch, wanted, wait = entry
        found = iter(wait() if wait is not None else ())
        for item, want in zip(batch, wanted):
            yield item, (next(found) if want else None)

    pending: deque = deque()
    for batch in _batches(items):
        wanted = [isinstance(it, Document) and not (skip is not None and skip(it)) for it in batch]
        docs = [it for it, want in zip(batch, wanted) if want]
        pending.append((batch, wanted, submit(docs) if docs else None))
        while len(pending) > in_flight:  # bounded: never read far ahead of the writer
            yield from emit(pending.popleft())
    while pending:
        yield from emit(pending.popleft())


def _extract_stream(items, extractor, workers, skip, dask, finish):
    if dask:
        from kg.distributed import dask_session

        with dask_session(dask, extractor, finish) as (submit, slots):
            yield from _in_order(items, skip, submit, 2 * slots)
        return
    if workers <= 1:
        for item in items:
            if isinstance(item, InputProblem) or (skip is not None and skip(item)):
                yield item, None
            elif finish is None:
                yield item, extractor.extract(item)
            else:
                yield item, finish(item, extractor.extract(item))
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    inherited = extractor if ctx.get_start_method() == "fork" else None
    initargs = (inherited, tuple(getattr(extractor, "gazetteer_files", ())), extractor.today,
                extractor.vocabulary)
    with ctx.Pool(workers, initializer=_init_worker, initargs=initargs) as pool:
        yield from _in_order(items, skip,
                             lambda docs: pool.apply_async(_extract_batch, (docs, finish)).get,
                             2 * workers)


@dataclass
class RunSummary:
    documents: int = 0
    relations: int = 0
    sentences: int = 0
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
    workers: int = 1,
    dask: str | None = None,
    progress=None,
) -> Iterator[tuple[Document, list[dict]]]:
    """Yield each readable document with its relation records; problems go to ``summary``.

    Documents are read and processed one at a time (``workers``, ``dask``, ``progress``: see
    :func:`extract_stream`). ``unique`` keeps one record per
    (subject, relation, object) and document: the strongest modality (asserted > speculative >
    negated), as the gold annotations do.
    """
    summary = summary if summary is not None else RunSummary()
    kw = {"fields": fields} if fields is not None else {}
    items = iter_documents(paths, encoding=encoding, date=date, stdin=stdin, **kw)
    for item, found in extract_stream(items, extractor, workers, dask=dask, progress=progress):
        if isinstance(item, InputProblem):
            summary.problems.append(item)
            continue
        summary.sentences += getattr(found, "sentences", 0)
        records = [extractor.record(x) for x in found]
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
    workers: int = 1,
    fields=None,
    dask: str | None = None,
    progress=None,
    finish=None,
) -> Iterator[tuple[Document, list | None]]:
    """Like :func:`extract_records`, but yield the :class:`~kg.extract.Extraction` objects
    (which carry the gazetteer's actor keys, as ``kg build`` needs). ``skip(document)`` may
    return True to pass a document through without extracting (``None`` instead of a list)."""
    summary = summary if summary is not None else RunSummary()
    kw = {"fields": fields} if fields is not None else {}
    items = iter_documents(paths, encoding=encoding, date=date, stdin=stdin, **kw)
    for item, found in extract_stream(items, extractor, workers, skip=skip, dask=dask,
                                      progress=progress, finish=finish):
        if isinstance(item, InputProblem):
            summary.problems.append(item)
            continue
        summary.documents += 1
        if found is None:
            yield item, None
            continue
        summary.relations += len(found)
        summary.sentences += getattr(found, "sentences", 0)
        yield item, found
