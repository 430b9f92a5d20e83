"""SPARQL over a kg store: saved queries, parameters bound as RDF terms, result formats.

Saved queries are ``.rq`` files in ``kg/queries/``. Their header comments give a description
and the parameters::

    # Allies of an actor: ...
    # param a: actor

A parameter is bound as an RDF term, in a ``VALUES`` block of terms that pyoxigraph writes in
N-Triples syntax, on the saved query's ``#BINDINGS`` line (or at the end of an ad-hoc query).
User text is never pasted into query text as syntax.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import UsageError
from kg.rdf import PREFIXES, actor_iri

QUERY_DIR = Path(__file__).resolve().parent / "queries"
FORMATS = ("table", "csv", "tsv", "json")
PARAM_KINDS = ("actor", "relation", "iri", "string", "integer")

_PARAM = re.compile(r"^#\s*param\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(\w+)\s*(.*)$")


@dataclass
class SavedQuery:
    name: str
    path: Path
    text: str
    description: str
    params: dict[str, str] = field(default_factory=dict)  # name -> kind
    help: dict[str, str] = field(default_factory=dict)


def saved_queries() -> dict[str, SavedQuery]:
    out = {}
    for path in sorted(QUERY_DIR.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        desc, params, helps = [], {}, {}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            m = _PARAM.match(line)
            if m:
                params[m.group(1)] = m.group(2)
                helps[m.group(1)] = m.group(3).strip()
            elif line.strip() != "#BINDINGS":
                desc.append(line.lstrip("#").strip())
        out[path.stem] = SavedQuery(path.stem, path, text, " ".join(d for d in desc if d),
                                    params, helps)
    return out


def saved_query(name: str) -> SavedQuery:
    queries = saved_queries()
    if name not in queries:
        close = difflib.get_close_matches(name, list(queries), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"choose from {', '.join(queries)}"
        raise UsageError(f"no saved query {name!r}; {hint}")
    return queries[name]


def parse_params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"--param {pair!r} is not name=value (for example --param a=Russia)")
        out[name] = value
    return out


class ActorResolver:
    """Turn what a user types ("Russia", "RUS", "the Kremlin", an IRI) into an actor IRI."""

    def __init__(self, gazetteer=None):
        self._gazetteer = gazetteer

    @property
    def gazetteer(self):
        if self._gazetteer is None:
            from kg.gazetteer import load_gazetteer

            self._gazetteer = load_gazetteer()
        return self._gazetteer

    def __call__(self, value: str) -> ox.NamedNode:
        value = value.strip()
        if value.startswith("<") and value.endswith(">"):
            return _iri(value[1:-1])
        if value.startswith(("http://", "https://")):
            return _iri(value)
        g = self.gazetteer
        if value in g.actors:
            return ox.NamedNode(actor_iri(value))
        alias = g.aliases.get(value)
        if alias is not None and alias.actor:
            return ox.NamedNode(actor_iri(alias.actor))
        folded = value.casefold()
        for key, actor in g.actors.items():
            if folded in (key.casefold(), actor.name.casefold()):
                return ox.NamedNode(actor_iri(key))
        for text, alias in g.aliases.items():
            if alias.actor and text.casefold() == folded:
                return ox.NamedNode(actor_iri(alias.actor))
        names = sorted(a.name for a in g.actors.values())
        close = difflib.get_close_matches(value, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown actor {value!r}{hint}")


def _iri(text: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a valid IRI") from None


def bind(kind: str, value: str, resolver: ActorResolver | None = None):
    """One parameter value as an RDF term of the given kind."""
    if kind == "actor":
        return (resolver or ActorResolver())(value)
    if kind == "relation":
        from kg.ontology import load_ontology

        return ox.NamedNode(load_ontology().resolve(value).iri)
    if kind == "iri":
        text = value[1:-1] if value.startswith("<") and value.endswith(">") else value
        prefix, sep, local = text.partition(":")
        if sep and prefix in PREFIXES and not local.startswith("//"):
            text = PREFIXES[prefix] + local
        return _iri(text)
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise UsageError(f"{value!r} is not an integer")
        return ox.Literal(value.strip(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    return ox.Literal(value)


def _guess(value: str):
    """An ad-hoc query's --param: <IRI> or prefix:name is an IRI, digits an integer, else text."""
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        return bind("iri", v)
    prefix, sep, _ = v.partition(":")
    if sep and prefix in PREFIXES:
        return bind("iri", v)
    if re.fullmatch(r"[+-]?\d+", v):
        return bind("integer", v)
    return ox.Literal(value)


@dataclass
class Result:
    kind: str  # select | ask | graph
    variables: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    boolean: bool | None = None
    triples: list = field(default_factory=list)
    truncated: bool = False


def normalize(raw, limit: int | None = None) -> Result:
    if isinstance(raw, ox.QueryBoolean):
        return Result("ask", boolean=bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        names = [v.value for v in raw.variables]
        res = Result("select", variables=names)
        for i, sol in enumerate(raw):
            if limit is not None and i >= limit:
                res.truncated = True
                break
            res.rows.append([sol[n] for n in names])
        return res
    res = Result("graph")
    for i, t in enumerate(raw):
        if limit is not None and i >= limit:
            res.truncated = True
            break
        res.triples.append(t)
    return res


def run_query(store, text: str, params: dict[str, str] | None = None,
              kinds: dict[str, str] | None = None, where: str = "query",
              resolver: ActorResolver | None = None, limit: int | None = None) -> Result:
    """Run SPARQL ``text`` with ``params`` bound as terms (typed by ``kinds`` when known)."""
    params = params or {}
    strict = kinds is not None  # a saved query declares all its parameters
    kinds = kinds or {}
    if strict:
        unknown = sorted(set(params) - set(kinds))
        if unknown:
            raise UsageError(f"{where} has no parameter {unknown[0]!r}; it takes "
                             f"{', '.join(kinds) or 'none'}")
        missing = [k for k in kinds if k not in params]
        if missing:
            raise UsageError(f"{where} needs --param {missing[0]}=VALUE ({kinds[missing[0]]})")
    resolver = resolver or ActorResolver()
    bindings = {k: (bind(kinds[k], v, resolver) if k in kinds else _guess(v))
                for k, v in params.items()}
    return normalize(store.query(text, bindings or None, where=where), limit=limit)


def run_saved(store, name: str, params: dict[str, str] | None = None, **kw) -> Result:
    q = saved_query(name)
    return run_query(store, q.text, params, kinds=q.params, where=f"saved query {name}", **kw)


# -- formats ------------------------------------------------------------------------------------
def compact(term) -> str:
    """A short form for tables: prefixed IRIs, bare literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        iri = term.value
        best = None
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
                best = prefix
        return f"{best}:{iri[len(PREFIXES[best]):]}" if best else f"<{iri}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def results_json(res: Result) -> str:
    if res.kind == "ask":
        return json.dumps({"head": {}, "boolean": res.boolean})
    return json.dumps({
        "head": {"vars": res.variables},
        "results": {"bindings": [
            {v: _json_term(t) for v, t in zip(res.variables, row) if t is not None}
            for row in res.rows]},
    }, ensure_ascii=False)


def results_csv(res: Result) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if res.kind == "ask":
        w.writerow(["boolean"])
        w.writerow(["true" if res.boolean else "false"])
        return buf.getvalue()
    w.writerow(res.variables)
    for row in res.rows:
        w.writerow(["" if t is None else (f"_:{t.value}" if isinstance(t, ox.BlankNode) else t.value)
                    for t in row])
    return buf.getvalue()


def results_tsv(res: Result) -> str:
    if res.kind == "ask":
        return "?boolean\n" + ("true" if res.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in res.variables)]
    for row in res.rows:
        lines.append("\t".join("" if t is None else str(t) for t in row))
    return "\n".join(lines) + "\n"


def results_xml(res: Result) -> str:
    from xml.sax.saxutils import escape, quoteattr

    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if res.kind == "ask":
        out += ["<head/>", f"<boolean>{'true' if res.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in res.variables)
               + "</head>")
    out.append("<results>")
    for row in res.rows:
        cells = []
        for v, t in zip(res.variables, row):
            if t is None:
                continue
            if isinstance(t, ox.NamedNode):
                inner = f"<uri>{escape(t.value)}</uri>"
            elif isinstance(t, ox.BlankNode):
                inner = f"<bnode>{escape(t.value)}</bnode>"
            elif t.language:
                inner = f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
            elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
                inner = f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
            else:
                inner = f"<literal>{escape(t.value)}</literal>"
            cells.append(f"<binding name={quoteattr(v)}>{inner}</binding>")
        out.append("<result>" + "".join(cells) + "</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def results_table(res: Result, width: int = 60) -> str:
    if res.kind == "ask":
        return ("true" if res.boolean else "false") + "\n"
    cells = [[" ".join(compact(t).split()) for t in row] for row in res.rows]
    cells = [[c if len(c) <= width else c[: width - 3] + "..." for c in row] for row in cells]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(res.variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(res.variables, widths)).rstrip()]
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    lines.append(f"({len(res.rows)} row{'s' if len(res.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def graph_bytes(res: Result, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> bytes:
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    kw = {"prefixes": prefixes} if prefixes else {}
    return ox.serialize(res.triples, format=fmt, **kw) or b""


def format_result(res: Result, fmt: str) -> str:
    if res.kind == "graph":
        rdf_fmt = {"json": ox.RdfFormat.JSON_LD, "csv": ox.RdfFormat.N_TRIPLES,
                   "tsv": ox.RdfFormat.N_TRIPLES}.get(fmt, ox.RdfFormat.TURTLE)
        return graph_bytes(res, rdf_fmt).decode("utf-8")
    return {"table": results_table, "csv": results_csv, "tsv": results_tsv,
            "json": results_json}[fmt](res) + ("\n" if fmt == "json" else "")
