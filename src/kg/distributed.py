"""Extraction on a Dask distributed cluster (``kg build --dask tcp://SCHEDULER:8786``).

The client sends whole batches of documents as tasks and reads the results back in input order,
with a bounded number of tasks in flight, so the single writer in :mod:`kg.build` sees the same
stream as in one process and memory stays flat. Workers do not receive the client's Extractor
(spaCy objects are large to pickle); they get :class:`ExtractorSettings` (the user's gazetteer
files by content, the reference date, a fingerprint) once per run, and build an Extractor from
them the first time, cached per worker thread under the fingerprint. Workers need kg installed
(the same version as the client).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kg import __version__
from kg.errors import KgError, UsageError

CONNECT_TIMEOUT = "10s"


class DaskError(KgError):
    exit_code = 2


@dataclass(frozen=True)
class ExtractorSettings:
    """What a worker needs to build the same Extractor as the client."""

    gazetteers: tuple[tuple[str, bytes], ...]  # (file name, content) of each user file, in order
    today: dt.date
    vocabulary: str = "core"
    version: str = __version__

    @property
    def key(self) -> str:
        h = hashlib.sha256(f"{self.version}\n{self.today}\n{self.vocabulary}\n".encode())
        for name, data in self.gazetteers:
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return h.hexdigest()


def settings_for(extractor) -> ExtractorSettings:
    files = []
    for path in getattr(extractor, "gazetteer_files", ()):
        files.append((os.path.basename(path), Path(path).read_bytes()))
    return ExtractorSettings(tuple(files), extractor.today, getattr(extractor, "vocabulary", "core"))


_local = threading.local()


def _worker_extractor(settings: ExtractorSettings):
    cache = getattr(_local, "extractors", None)
    if cache is None:
        cache = _local.extractors = {}
    extractor = cache.get(settings.key)
    if extractor is None:
        from kg.pipeline import make_extractor

        if settings.version != __version__:
            raise RuntimeError(f"this Dask worker has kg {__version__}, the client kg {settings.version}")
        folder = Path(tempfile.gettempdir()) / f"kg-gazetteers-{settings.key[:16]}"
        folder.mkdir(exist_ok=True)
        paths = []
        for i, (name, data) in enumerate(settings.gazetteers):
            path = folder / f"{i:02d}-{name}"
            if not path.exists() or path.read_bytes() != data:
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
            paths.append(str(path))
        extractor = cache[settings.key] = make_extractor(paths, today=settings.today,
                                                                vocabulary=settings.vocabulary)
    return extractor


def extract_batch(settings: ExtractorSettings, docs: list, finish=None) -> list:
    """The Dask task: extract each document of a batch (runs on a worker), then apply
    ``finish(doc, extractions)`` if given (see :func:`kg.pipeline.extract_stream`)."""
    extractor = _worker_extractor(settings)
    if finish is None:
        return [extractor.extract(d) for d in docs]
    return [finish(d, extractor.extract(d)) for d in docs]


@contextmanager
def dask_session(address: str, extractor, finish=None) -> Iterator[tuple[Callable, int]]:
    """Connect to the scheduler at ``address``; yield ``(submit, slots)``: ``submit(docs)`` sends
    one batch and returns a function that waits for its results; ``slots`` is the cluster's
    number of worker threads (to size how many batches to keep in flight)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--dask needs Dask's distributed scheduler client; install it with "
                         "pip install 'kg[dask]'") from None
    if "://" not in address:
        address = f"tcp://{address}"
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DaskError(f"cannot reach the Dask scheduler at {address} ({reason[:160]}); "
                        "start one with `dask scheduler` or check the address") from None
    try:
        slots = max(1, sum(client.nthreads().values()))
        [settings] = client.scatter([settings_for(extractor)], broadcast=True)

        def submit(docs):
            future = client.submit(extract_batch, settings, docs, finish, pure=False)

            def wait():
                try:
                    return future.result()
                except Exception as exc:  # a worker failed: say where, in one line
                    raise DaskError(f"Dask task failed on the cluster at {address}: "
                                    f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from None
                finally:
                    future.release()
            return wait

        yield submit, slots
    finally:
        client.close()
