"""Where the graph lives: an embedded on-disk pyoxigraph store, or a SPARQL 1.1 server.

An embedded store is a folder (``./kg-store`` unless ``--store`` or ``KG_STORE`` says otherwise)
holding a marker file, ``kg-store.json``, the Oxigraph database in ``oxigraph/``, and
``state.json``, what kg knows about the database's derived graphs (the digest of the document
graphs the ties graph was last made from; deleting it only makes the next build recount). kg refuses
to write into an existing folder without the marker, so it never overwrites someone's data.

Only one process may have the database open at a time (RocksDB's lock). Commands open it for
as short a time as they can (``kg build`` lets go of it while it extracts, ``kg serve`` holds it
only while it answers) and, when another kg process holds it, wait up to ``wait`` seconds before
giving up with :class:`StoreBusy`, a one-line message naming that process.

``--store http://HOST:PORT/...`` selects :class:`RemoteStore`, which speaks the SPARQL 1.1
Query, Update and Graph Store protocols over HTTP, retrying a bounded number of times.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg import __version__
from kg.errors import KgError
from kg.ontology import ID

MARKER = "kg-store.json"
DATABASE = "oxigraph"
WRITER = "writer.json"
STATE = "state.json"  # what kg knows about the database's derived graphs (see kg.build)
DEFAULT_LOCATION = "kg-store"
BULK_THRESHOLD = 20_000  # quads per batch above which the bulk loader is used
REPLACE_CHUNK = 10_000  # quads per transaction when a derived graph is rewritten
LOAD_CHUNK_BYTES = 16 << 20  # N-Triples/N-Quads bytes per bulk-loader call (~100k quads)
LOAD_THREADS = 4  # bulk-loader calls at once (never more than the cores)


class StoreError(KgError):
    """The store is missing, is not a kg store, or cannot be opened."""

    exit_code = 2


class StoreBusy(KgError):
    """Another process has the embedded store open."""

    exit_code = 1


class StoreUnreachable(KgError):
    """A SPARQL server did not answer, or refused a request."""

    exit_code = 1


class QueryError(KgError):
    """A SPARQL query or update is malformed; the message gives line and column."""

    exit_code = 2


def resolve_location(location: str | None) -> str:
    return location or os.environ.get("KG_STORE") or DEFAULT_LOCATION


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def open_store(location: str | None = None, create: bool = False, wait: float = 10.0,
               writer: str | None = None):
    """The store at ``location``: a :class:`RemoteStore` for an http(s) URL, else embedded.

    ``writer`` (a command name such as ``"kg build"``) makes this process the store's only
    writer until :meth:`EmbeddedStore.release`."""
    location = resolve_location(location)
    if is_remote(location):
        return RemoteStore(location)
    return EmbeddedStore(location, create=create, wait=wait, writer=writer)


def syntax_error(exc: Exception, where: str = "query") -> QueryError:
    """pyoxigraph says ``error at 3:14: expected ...``; kg says ``query:3:14: expected ...``."""
    text = " ".join(str(exc).split())
    if text.startswith("error at "):
        pos, _, rest = text[len("error at "):].partition(": ")
        return QueryError(f"{where}:{pos}: {rest}")
    return QueryError(f"{where}: {text}")


class EmbeddedStore:
    """A kg store folder on this machine."""

    remote = False

    def __init__(self, path: str | os.PathLike, create: bool = False, wait: float = 10.0,
                 writer: str | None = None):
        self.path = Path(path)
        self.location = str(path)
        marker = self.path / MARKER
        if not marker.is_file():
            if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
                raise StoreError(
                    f"{self.path}: exists but is not a kg store (no {MARKER}); kg will not "
                    "write into it. Pass --store with a new or empty folder"
                )
            if not create:
                raise StoreError(f"{self.path}: no kg store here; run `kg build PATH...` first "
                                 "or pass --store")
            self.path.mkdir(parents=True, exist_ok=True)
            tmp = self.path / (MARKER + ".tmp")
            tmp.write_text(json.dumps({"kg_store": 1, "created_by": f"kg {__version__}"}) + "\n")
            os.replace(tmp, marker)
        else:
            try:
                info = json.loads(marker.read_text())
            except (OSError, ValueError):
                info = None
            if not isinstance(info, dict) or info.get("kg_store") != 1:
                raise StoreError(f"{marker}: not a kg store marker this version of kg understands")
        self._claim_fd = None
        self.wait = wait
        if writer:
            self.claim(writer, wait)  # before the database: never hold one lock waiting for the other
        try:
            self.ox = self._open(wait)
        except BaseException:
            self.release()
            raise

    def _open(self, wait: float):
        deadline = time.monotonic() + max(0.0, wait)
        delay = 0.05
        while True:
            try:
                return ox.Store(str(self.path / DATABASE))
            except OSError as exc:
                if "lock" not in str(exc).lower():
                    raise StoreError(f"{self.path}: cannot open the store: {exc}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"{self.path}: {self._holder()}; try again when it "
                                    "finishes (or wait longer with --wait SECONDS)") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _writer(self) -> str | None:
        """``kg build, pid 123`` when a live process has claimed the store, else None."""
        try:
            info = json.loads((self.path / WRITER).read_text())
            pid = int(info["pid"])
            os.kill(pid, 0)  # a stale file from a killed build names no live process
            return f"{info['command']}, pid {pid}"
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _holder(self) -> str:
        who = self._writer()
        return f"store is in use by another kg process ({who or 'kg serve, query or build'})"

    # -- writers ---------------------------------------------------------------------------------
    def claim(self, command: str, wait: float = 60.0) -> None:
        """Become the store's only writer for the whole build: builds let go of the database
        between batches (for readers), so two builds must not interleave. The lock is an
        flock, which the system drops when the process dies, even by SIGKILL."""
        import fcntl

        self._claim_fd = os.open(self.path / "build.lock", os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self._claim_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(self._claim_fd)
                    self._claim_fd = None
                    who = self._writer()
                    raise StoreBusy(f"{self.path}: another kg build{f' ({who})' if who else ''} "
                                    "is writing to this store; try again when it finishes") from None
                time.sleep(0.1)
        tmp = self.path / (WRITER + ".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "command": command}))
        os.replace(tmp, self.path / WRITER)

    def release(self) -> None:
        fd = getattr(self, "_claim_fd", None)
        if fd is None:
            return
        try:
            (self.path / WRITER).unlink()
        except FileNotFoundError:
            pass
        os.close(fd)  # drops the flock
        self._claim_fd = None

    def close(self) -> None:
        if getattr(self, "ox", None) is not None:
            self.ox.flush()
            self.ox = None

    def pause(self) -> None:
        """Release the database (and its lock) so that queries can run, e.g. while a build
        extracts the next batch; :meth:`resume` opens it again."""
        self.close()

    def resume(self) -> None:
        if self.ox is None:
            self.ox = self._open(max(self.wait, 60.0))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reading --------------------------------------------------------------------------------
    def query(self, sparql: str, bindings: dict | None = None, where: str = "query"):
        """Run a SPARQL query over the union of all graphs; returns pyoxigraph's result."""
        try:
            if bindings:
                ox.Store().query(sparql)  # syntax errors point into the user's own text
                sparql = inline_bindings(sparql, bindings)
            return self.ox.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise syntax_error(exc, where) from None

    def quads(self) -> Iterable[ox.Quad]:
        return self.ox.quads_for_pattern(None, None, None, None)

    def __len__(self) -> int:
        return len(self.ox)

    # -- writing --------------------------------------------------------------------------------
    def write_documents(self, graphs: list) -> None:
        """Replace each document's named graph, so that a kill at any point is recoverable.

        ``graphs`` are :class:`kg.rdf.DocumentGraph` objects or :class:`kg.build.PackedGraph`
        ones (their quads as N-Quads bytes). Old graphs are dropped first, then the data quads
        are added (the bulk loader for big batches), then flushed, and only then the marker quads (content hash, extraction run)
        in one transaction: a graph without its marker is incomplete and the next build redoes
        it.
        """
        if not graphs:
            return
        for g in graphs:
            self.ox.remove_graph(ox.NamedNode(g.iri))
        if isinstance(graphs[0].data, bytes):  # kg.build.PackedGraph: N-Quads straight to Rust
            # Pieces of whole documents, one per thread, for the loader to sort side by side.
            total = sum(len(g.data) for g in graphs)
            piece = max(total // _load_threads() + 1, 1 << 20)
            chunks, part, size = [], [], 0
            for g in graphs:
                if g.data:
                    part.append(g.data)
                    size += len(g.data)
                if size >= piece:
                    chunks.append(b"".join(part))
                    part, size = [], 0
            if part:
                chunks.append(b"".join(part))
            self.bulk_load_lines(chunks, ox.RdfFormat.N_QUADS)
            self.ox.flush()
            self.ox.load(input=b"".join(g.marker for g in graphs), format=ox.RdfFormat.N_QUADS)
            self.ox.flush()
            return
        data = [q for g in graphs for q in g.data]
        if len(data) >= BULK_THRESHOLD:
            self.ox.bulk_extend(data)
        else:
            self.ox.extend(data)
        self.ox.flush()
        self.ox.extend([q for g in graphs for q in g.marker])
        self.ox.flush()

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads outside a transaction: through the bulk loader when there are many."""
        import itertools

        it = iter(quads)
        while chunk := list(itertools.islice(it, 200_000)):
            if len(chunk) >= BULK_THRESHOLD:
                self.bulk_load_lines([ox.serialize(chunk, format=ox.RdfFormat.N_QUADS)],
                                     ox.RdfFormat.N_QUADS)
            else:
                self.ox.extend(chunk)
        self.ox.flush()

    def read_state(self, name: str) -> str | None:
        """A value kg keeps beside the database (see :meth:`write_state`), or None."""
        try:
            value = json.loads((self.path / STATE).read_text()).get(name)
        except (OSError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def write_state(self, name: str, value: str | None) -> None:
        """Keep ``value`` under ``name`` in the store folder's state file (atomically)."""
        try:
            state = json.loads((self.path / STATE).read_text())
            if not isinstance(state, dict):
                state = {}
        except (OSError, ValueError):
            state = {}
        state[name] = value
        tmp = self.path / (STATE + ".tmp")
        tmp.write_text(json.dumps(state, sort_keys=True) + "\n")
        os.replace(tmp, self.path / STATE)

    def replace_graph(self, iri: str, quads: Iterable[ox.Quad]) -> None:
        """Replace one of the derived graphs (actors, ties), in transactions of at most
        REPLACE_CHUNK quads: one transaction over the whole ties graph of a big corpus holds it
        all in memory (about 3 KB a quad). Not atomic, which is fine for graphs that every build
        recomputes from the document graphs: a build killed here is finished by the next one."""
        import itertools

        graph = ox.NamedNode(iri)
        while True:
            old = list(itertools.islice(self.ox.quads_for_pattern(None, None, None, graph),
                                        REPLACE_CHUNK))
            if not old:
                break
            for q in old:
                self.ox.remove(q)
            self.ox.flush()  # memtables to disk: memory stays bounded
        it = iter(quads)
        while chunk := list(itertools.islice(it, REPLACE_CHUNK)):
            self.ox.extend(chunk)
            self.ox.flush()

    def bulk_load(self, path: str | os.PathLike, fmt: ox.RdfFormat, graph: str | None = None) -> None:
        """Load a file through Oxigraph's bulk loader (imports, benchmarks): N-Triples and
        N-Quads in chunks loaded side by side, then compacted, other formats in one call.

        Measured on a million triples (bench/bench_graph.py's graph): one call 21.8 s and
        1,027 MB; chunks on two threads 10 s and 358 MB, but queries then look through one file
        per chunk (the two-hop query 0.35 s instead of 0.14 s); with the compaction, 15.5 s,
        360 MB and 0.09 s.
        """
        kwargs = {"to_graph": ox.NamedNode(graph)} if graph else {}
        if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS) and not _has_blank_nodes(path):
            with open(path, "rb") as fh:
                self.bulk_load_lines(_line_chunks(fh, LOAD_CHUNK_BYTES), fmt, **kwargs)
            self.ox.optimize()
        else:
            self.ox.bulk_load(path=str(path), format=fmt, **kwargs)
        self.ox.flush()

    def bulk_load_lines(self, chunks: Iterable[bytes], fmt: ox.RdfFormat, **kwargs) -> None:
        """Bulk-load line-based RDF (N-Triples, N-Quads) given as chunks of whole lines.

        Oxigraph's loader sorts each batch it is given on one thread (a batch is up to a
        million quads), so chunks of a few hundred thousand quads loaded by one thread per core
        use every core and hold less in memory at once. At most one chunk per thread is read
        ahead. The loader is not atomic: callers write marker quads after it (see
        :meth:`write_documents`).
        """
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        threads = _load_threads()
        with ThreadPoolExecutor(threads, thread_name_prefix="kg-load") as pool:
            pending = set()
            for chunk in chunks:
                if len(pending) >= threads:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        f.result()
                pending.add(pool.submit(self.ox.bulk_load, input=chunk, format=fmt, **kwargs))
            for f in pending:
                f.result()


def _load_threads() -> int:
    return max(1, min(LOAD_THREADS, os.cpu_count() or 1))


def _has_blank_nodes(path) -> bool:
    """Whether the file may name blank nodes: their labels are scoped to one parser call, so
    such a file cannot be loaded in pieces (``_:`` inside a literal counts too; no harm)."""
    with open(path, "rb") as fh:
        tail = b""
        while block := fh.read(LOAD_CHUNK_BYTES):
            if b"_:" in tail + block[:1] or b"_:" in block:
                return True
            tail = block[-1:]
    return False


def _line_chunks(fh, size: int) -> Iterable[bytes]:
    """The file's bytes in pieces of about ``size`` bytes, each ending at a line break."""
    rest = b""
    while True:
        block = fh.read(size)
        if not block:
            break
        block = rest + block
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            rest = block
            continue
        yield block[:cut]
        rest = block[cut:]
    if rest:
        yield rest


class RemoteStore:
    """A SPARQL 1.1 server: Query and Update protocols plus the Graph Store protocol.

    ``http://host:port`` (Oxigraph's layout) uses ``/query``, ``/update`` and ``/store``; an
    URL ending in ``/sparql`` (Virtuoso's) uses it for query and update and
    ``/sparql-graph-crud`` for graphs.
    """

    remote = True

    page_size = 5000  # below Virtuoso's default ResultSetMaxRows (10,000)

    def __init__(self, url: str, attempts: int = 3, timeout: float = 30.0, backoff: float = 0.5):
        self.attempts = attempts
        self.timeout = timeout
        self.backoff = backoff
        parts = urllib.parse.urlsplit(url)
        path = parts.path.rstrip("/")
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port:
            netloc += f":{parts.port}"
        root = urllib.parse.urlunsplit((parts.scheme, netloc, "", "", ""))
        # user:password@ in the URL: HTTP Digest (or Basic) authentication, e.g. for Virtuoso's
        # /sparql-auth. The password never appears in messages.
        self.location = root + path
        self.opener = urllib.request.build_opener()
        if parts.username is not None:
            mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            mgr.add_password(None, root, urllib.parse.unquote(parts.username),
                             urllib.parse.unquote(parts.password or ""))
            self.opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr),
                                                      urllib.request.HTTPBasicAuthHandler(mgr))
        if path.endswith(("/sparql", "/sparql-auth")):
            self.query_url = self.update_url = root + path
            base, _, last = path.rpartition("/")
            crud = "/sparql-graph-crud-auth" if last == "sparql-auth" else "/sparql-graph-crud"
            self.graph_url = root + base + crud
            self.union_params = {}
        else:
            if path.endswith("/query"):
                path = path[: -len("/query")]
            self.query_url = root + path + "/query"
            self.update_url = root + path + "/update"
            self.graph_url = root + path + "/store"
            self.union_params = {"union-default-graph": ""}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def claim(self, command: str) -> None:
        pass

    def release(self) -> None:
        pass

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def _request(self, method: str, url: str, body: bytes | None = None,
                 headers: dict | None = None) -> tuple[bytes, str]:
        last = None
        for attempt in range(self.attempts):
            req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
            try:
                with self.opener.open(req, timeout=self.timeout) as resp:
                    return resp.read(), resp.headers.get("Content-Type", "")
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace").strip()
                if exc.code == 400:
                    raise QueryError(f"{self.location}: server rejected the request: "
                                     f"{' '.join(detail.split())[:300]}") from None
                if exc.code < 500:
                    raise StoreUnreachable(f"{self.location}: {method} {url} refused with HTTP "
                                           f"{exc.code}: {' '.join(detail.split())[:200]}") from None
                last = f"HTTP {exc.code}: {' '.join(detail.split())[:200]}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if attempt + 1 < self.attempts:
                time.sleep(self.backoff * 2 ** attempt)
        if last and last.startswith("HTTP "):
            raise StoreUnreachable(f"{self.location}: SPARQL server failed {self.attempts} "
                                   f"times ({last})")
        raise StoreUnreachable(f"{self.location}: SPARQL server unreachable after "
                               f"{self.attempts} attempts ({last}); is it running?")

    def query(self, sparql: str, bindings: dict | None = None, where: str = "query"):
        # Parse locally first, so a malformed query gets kg's own line:column message.
        try:
            ox.Store().query(sparql)
        except SyntaxError as exc:
            raise syntax_error(exc, where) from None
        if bindings:
            sparql = inline_bindings(sparql, bindings)
        url = self.query_url
        if self.union_params:
            url += "?" + urllib.parse.urlencode(self.union_params)
        body = urllib.parse.urlencode({"query": sparql}).encode()
        data, ctype = self._request("POST", url, body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
        })
        ctype = ctype.split(";")[0].strip()
        if ctype in ("application/n-triples", "text/plain"):
            return list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        if ctype in ("text/turtle", "application/x-turtle"):
            return list(ox.parse(data, format=ox.RdfFormat.TURTLE))
        return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)

    def update(self, sparql: str) -> None:
        body = urllib.parse.urlencode({"update": sparql}).encode()
        self._request("POST", self.update_url, body,
                      {"Content-Type": "application/x-www-form-urlencoded"})

    def put_graph(self, iri: str, quads: Iterable[ox.Quad]) -> None:
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        url = self.graph_url + "?" + urllib.parse.urlencode({"graph": iri})
        self._request("PUT", url, body, {"Content-Type": "application/n-triples"})

    def write_documents(self, graphs: list) -> None:
        # A Graph Store PUT replaces one graph in one request, marker included.
        for g in graphs:
            self.put_graph(g.iri, g.quads)

    def replace_graph(self, iri: str, quads: Iterable[ox.Quad]) -> None:
        self.put_graph(iri, quads)

    def quads(self) -> Iterable[ox.Quad]:
        """Every quad of kg's graphs (those under https://w3id.org/kgia/id/)."""
        if self.union_params:  # Oxigraph: the Graph Store protocol returns the whole dataset
            data, _ = self._request("GET", self.graph_url, None, {"Accept": "application/n-quads"})
            return [q for q in ox.parse(data, format=ox.RdfFormat.N_QUADS)
                    if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(ID)]
        # Elsewhere (Virtuoso keeps system graphs of its own): kg's graphs one by one.
        graphs = [row["g"] for row in self.query(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?g), \"{ID}\")) }}")]
        out = []
        for g in graphs:
            # Pages, in a fixed order: Virtuoso silently cuts results at ResultSetMaxRows.
            offset = 0
            while True:
                page = list(self.query(
                    f"SELECT ?s ?p ?o WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o "
                    f"LIMIT {self.page_size} OFFSET {offset}"))
                out.extend(ox.Quad(row["s"], row["p"], row["o"], g) for row in page)
                if len(page) < self.page_size:
                    break
                offset += self.page_size
        return out


def inline_bindings(sparql: str, bindings: dict) -> str:
    """Bind variables with a VALUES block of RDF terms (embedded store and servers alike;
    pyoxigraph's own substitution only binds projected variables).

    Terms are written by pyoxigraph in N-Triples syntax (escaped), never pasted as text. The
    block goes where the saved query marks it (a line ``#BINDINGS``), else at the end of the
    query as a top-level VALUES clause.
    """
    names = sorted(bindings)
    block = "VALUES (" + " ".join("?" + n for n in names) + ") { (" + " ".join(
        str(bindings[n]) for n in names) + ") }"
    lines = sparql.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "#BINDINGS":
            lines[i] = block
            return "\n".join(lines) + "\n"
    return sparql.rstrip() + "\n" + block + "\n"
