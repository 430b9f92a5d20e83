"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over a kg store.

``GET /sparql?query=...`` and ``POST /sparql`` (form-encoded ``query=``, or a body of type
``application/sparql-query``). Results follow the Accept header: SPARQL JSON (default), XML, CSV
or TSV for SELECT and ASK; Turtle (default), N-Triples or JSON-LD for CONSTRUCT and DESCRIBE.
Updates are refused with 403. Each query has a time limit and a result limit (the response then
carries ``X-KG-Truncated: true``).

The embedded store is opened per request and closed right after, so that ``kg build`` can run
between requests; while a build holds the store, requests get 503 with a Retry-After header.
"""

from __future__ import annotations

import concurrent.futures
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox

from kg import __version__
from kg.errors import KgError
from kg.query import graph_bytes, results_csv, results_json, results_tsv, results_xml, run_query
from kg.store import QueryError, StoreBusy, open_store, resolve_location

RESULT_TYPES = {
    "application/sparql-results+json": ("json", results_json),
    "application/json": ("json", results_json),
    "application/sparql-results+xml": ("xml", results_xml),
    "application/xml": ("xml", results_xml),
    "text/csv": ("csv", results_csv),
    "text/tab-separated-values": ("tsv", results_tsv),
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
MAX_BODY = 1 << 20


def _accepted(header: str | None, offered: list[str]) -> str:
    """The offered type the Accept header prefers (the first offered one when nothing fits)."""
    if not header:
        return offered[0]
    best, best_q = None, 0.0
    for i, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        mime, q = fields[0].lower(), 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        candidates = offered if mime in ("*/*", "") else (
            [o for o in offered if o.startswith(mime[:-1])] if mime.endswith("/*") else
            [mime] if mime in offered else [])
        for c in candidates:
            key = q - i * 1e-6
            if key > best_q:
                best, best_q = c, key
            break
    return best or offered[0]


class SparqlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, location: str, timeout: float, limit: int):
        self.location = location
        self.query_timeout = timeout
        self.limit = limit
        self.store_lock = threading.Lock()
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
        super().__init__(address, Handler)

    def run(self, text: str):
        """Run one query with the store open only for its duration, within the time limit."""

        def work():
            with self.store_lock:
                st = open_store(self.location, wait=1.0)
                try:
                    return run_query(st, text, limit=self.limit)
                finally:
                    st.close()

        future = self.pool.submit(work)
        return future.result(timeout=self.query_timeout)

    def server_close(self):
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)


class Handler(BaseHTTPRequestHandler):
    server_version = f"kg/{__version__}"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: one line per request on stderr is noise
        pass

    def _send(self, code: int, body: bytes, ctype: str, extra: dict | None = None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, code: int, message: str, extra: dict | None = None):
        self._send(code, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", extra)

    def _route(self) -> tuple[str, dict] | None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path.rstrip("/") not in ("/sparql", "/query"):
            self._error(404, f"no such endpoint {parts.path}; the SPARQL endpoint is /sparql")
            return None
        return parts.path, urllib.parse.parse_qs(parts.query, keep_blank_values=True)

    def do_GET(self):
        routed = self._route()
        if routed is None:
            return
        _, params = routed
        if "update" in params:
            return self._error(403, "this endpoint is read-only: SPARQL updates are refused")
        if "query" not in params:
            return self._error(400, "missing query parameter (GET /sparql?query=...)")
        self._answer(params["query"][0])

    do_HEAD = do_GET

    def do_POST(self):
        routed = self._route()
        if routed is None:
            return
        _, params = routed
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._error(413, f"request body over {MAX_BODY} bytes")
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/sparql-update" or "update" in params:
            return self._error(403, "this endpoint is read-only: SPARQL updates are refused")
        if ctype == "application/sparql-query":
            return self._answer(body)
        if ctype in ("application/x-www-form-urlencoded", ""):
            form = urllib.parse.parse_qs(body, keep_blank_values=True)
            if "update" in form:
                return self._error(403, "this endpoint is read-only: SPARQL updates are refused")
            text = (form.get("query") or params.get("query") or [None])[0]
            if text is None:
                return self._error(400, "missing query (form field query=...)")
            return self._answer(text)
        self._error(415, f"unsupported Content-Type {ctype}; use application/sparql-query or a form")

    def _answer(self, text: str):
        srv: SparqlServer = self.server
        try:
            res = srv.run(text)
        except QueryError as exc:
            return self._error(400, str(exc))
        except StoreBusy as exc:
            return self._error(503, str(exc), {"Retry-After": "5"})
        except concurrent.futures.TimeoutError:
            return self._error(503, f"query took longer than {srv.query_timeout:g} s; simplify it "
                               "or add a LIMIT", {"Retry-After": "5"})
        except KgError as exc:
            return self._error(500, str(exc))
        extra = {"X-KG-Truncated": "true"} if res.truncated else {}
        accept = self.headers.get("Accept")
        if res.kind == "graph":
            mime = _accepted(accept, list(GRAPH_TYPES))
            return self._send(200, graph_bytes(res, GRAPH_TYPES[mime]), mime + "; charset=utf-8", extra)
        mime = _accepted(accept, list(RESULT_TYPES))
        _, fn = RESULT_TYPES[mime]
        self._send(200, fn(res).encode("utf-8"), mime + "; charset=utf-8", extra)


def make_server(location: str | None, host: str = "127.0.0.1", port: int = 7878,
                timeout: float = 30.0, limit: int = 10_000) -> SparqlServer:
    """A server (not yet serving) over the store at ``location``; checks that it opens."""
    location = resolve_location(location)
    st = open_store(location, wait=5.0)  # fail now, with kg's message, if it is not a store
    st.close()
    return SparqlServer((host, port), location, timeout, limit)
