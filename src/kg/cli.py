"""The ``kg`` command line. The only module that imports click.

Each command parses its options, calls one library function and prints. Every
:class:`kg.errors.KgError` becomes a one-line ``Error: ...`` with the error's exit code, in one
place (:class:`KgGroup`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from dataclasses import dataclass

import click

from kg import __version__
from kg.errors import KgError, UsageError


class KgGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KgError as exc:
            err = click.ClickException(str(exc))
            err.exit_code = exc.exit_code
            raise err from exc
        except BrokenPipeError:  # `kg extract ... | head`
            sys.stderr.close()
            ctx.exit(0)


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-06-19") from None


date_option = click.option(
    "--date", callback=_date, metavar="YYYY-MM-DD",
    help="Date the documents speak of (picks which leader holds office). Default: each "
         "document's own date (front matter), else today.",
)
gazetteer_option = click.option(
    "--gazetteer", "gazetteers", multiple=True, type=click.Path(dir_okay=False),
    help="Extra gazetteer file (JSON Lines) with your own actors and aliases. Repeatable.",
)
workers_option = click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True,
    help="Extract in this many processes (whole batches of documents each); output order is kept.",
)
vocabulary_option = click.option(
    "--vocabulary", type=click.Choice(["core", "full"]), default="core", show_default=True,
    help="Relations to emit: core (the 20 of the design card, as the shared gold uses) or full "
         "(also requests, rejects, accuses, protestsAgainst, providesAidTo, concedesTo, "
         "withdrawsFrom, mobilizesAgainst, expels).",
)
encoding_option = click.option(
    "--encoding", default=None, help="Text encoding of the inputs (default UTF-8)."
)
dask_option = click.option(
    "--dask", metavar="tcp://SCHEDULER:8786", default=None,
    help="Extract on the Dask distributed cluster whose scheduler is at this address "
         "(needs pip install 'kg[dask]'); output order is kept.",
)


class _Progress:
    """A progress bar on standard error (documents/s, ETA when the total is known), drawn only
    when standard error is a terminal; otherwise every call is a no-op."""

    def __init__(self, paths, enabled: bool):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            from kg.documents import count_inputs

            self.bar = tqdm(total=count_inputs(paths), unit="doc", file=sys.stderr,
                            dynamic_ncols=True, smoothing=0.1, mininterval=0.5)

    def __call__(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def cli():
    """kg turns writing about international affairs into a knowledge graph.

    It finds the actors (states, organisations, armed groups, leaders as their state), the
    typed relations between them and the sentence behind each one.
    """


def _fields_options(f):
    for name, default in reversed((("text", "text"), ("id", "id"), ("date", "date"), ("url", "url"),
                                   ("title", "title"))):
        f = click.option(f"--{name}-field", f"{name}_field", default=default, show_default=True,
                         help=f"Key of the {name} in JSON Lines corpus records.")(f)
    return f


def _input_options(f):
    """The options of every command that reads and extracts documents (kg extract, kg build)."""
    for option in reversed((workers_option, dask_option, date_option, gazetteer_option,
                            vocabulary_option, encoding_option, _fields_options)):
        f = option(f)
    return f


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True)
@click.option("--unique", is_flag=True, help="One row per (subject, relation, object) and document, "
              "keeping the strongest modality.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Write to this file instead of standard output.")
@_input_options
def extract(paths, fmt, unique, output, workers, dask, date, gazetteers, vocabulary, encoding,
            text_field, id_field, date_field, url_field, title_field):
    """Extract relations from PATHS (.txt/.md files, .html pages, JSON Lines corpora with one
    document per line (.jsonl, .jsonl.gz), directories of them, or - for stdin).

    Prints one JSON object per relation: doc, subject, subject_id, subject_code, relation,
    object, object_id, object_code, modality, confidence, evidence, start, end, plover, cameo
    (and rule, trigger, subject_text, object_text, which say how it was found).
    """
    from kg.documents import JsonlFields
    from kg.pipeline import RunSummary, extract_records, make_extractor

    _one_engine(workers, dask)
    extractor = make_extractor(gazetteers, vocabulary=vocabulary)
    summary = RunSummary()
    first = True
    fields = JsonlFields(text_field, id_field, date_field, url_field, title_field)
    # A bar only when the relations go to a file: on a terminal's stdout it would mix with them.
    bar = _Progress(paths, enabled=output is not sys.stdout and output.name != "<stdout>")
    try:
        for _doc, records in extract_records(paths, extractor, date=date, encoding=encoding,
                                             unique=unique, summary=summary, fields=fields,
                                             workers=workers, dask=dask, progress=bar):
            if fmt == "jsonl":
                for r in records:
                    output.write(json.dumps(r, ensure_ascii=False) + "\n")
            else:
                if first:
                    output.write(_table_header())
                    first = False
                for r in records:
                    output.write(_table_row(r))
            if bar.bar is None:
                output.flush()
    finally:
        bar.close()
    _report_problems(summary, paths)


def _one_engine(workers: int, dask: str | None) -> None:
    if dask and workers > 1:
        raise UsageError("give --workers N or --dask ADDRESS, not both (the Dask cluster's "
                         "workers do the extracting)")


def _table_header() -> str:
    return f"{'subject':<16} {'relation':<26} {'object':<16} {'modality':<11} conf  evidence\n"


def _table_row(r: dict) -> str:
    ev = " ".join(r["evidence"].split())
    if len(ev) > 90:
        ev = ev[:87] + "..."
    return (f"{r['subject'][:16]:<16} {r['relation'][:26]:<26} {r['object'][:16]:<16} "
            f"{r['modality']:<11} {r['confidence']:.2f}  {ev}\n")


def _report_problems(summary, paths) -> None:
    if not summary.problems:
        return
    if summary.documents == 0 and len(summary.problems) == 1:
        raise _InputFailed(str(summary.problems[0]))
    for p in summary.problems:
        click.echo(f"skipped: {p}", err=True)
    raise _InputFailed(
        f"{len(summary.problems)} input(s) skipped, {summary.documents} document(s) processed"
    )


class _InputFailed(KgError):
    exit_code = 1


@cli.command(name="eval")
@click.argument("path")
@click.argument("gold")
@click.option("--show", is_flag=True, help="List missed and spurious triples per document.")
@date_option
@gazetteer_option
@click.option("--vocabulary", type=click.Choice(["auto", "core", "full"]), default="auto",
              show_default=True, help="Relations to emit; auto: core when the gold uses only "
              "core relations, else full.")
@encoding_option
def eval_(path, gold, show, date, gazetteers, vocabulary, encoding):
    """Extract from PATH and score against GOLD (a JSONL file or a folder of them).

    Prints strict (typed, directed) P/R/F1, pair-level F1 and modality accuracy per document and
    micro-averaged over all; the last line is f1=... p=... r=... pair_f1=...
    """
    from kg.evaluate import Scorer, evaluate, format_report, load_gold
    from kg.pipeline import RunSummary, extract_records, make_extractor

    from kg.ontology import load_ontology

    gold_rows = load_gold(gold)
    if vocabulary == "auto":
        onto = load_ontology()
        known = [r["relation"] for r in gold_rows if r.get("relation") in onto]
        vocabulary = "core" if all(onto[r].core for r in known) else "full"
    extractor = make_extractor(gazetteers, vocabulary=vocabulary)
    outside = [r for r in gold_rows if r.get("relation") in extractor.ontology
               and extractor.ontology[r["relation"]].name not in extractor.emit]
    if outside:  # rows the chosen vocabulary cannot emit are not scored
        skip = {id(r) for r in outside}
        gold_rows = [r for r in gold_rows if id(r) not in skip]
        click.echo(f"vocabulary: {vocabulary} ({len(outside)} gold row(s) outside it not scored)")
    else:
        click.echo(f"vocabulary: {vocabulary}")
    summary = RunSummary()
    pred = {}
    for doc, records in extract_records([path], extractor, date=date, encoding=encoding,
                                        unique=True, summary=summary):
        pred[doc.id] = records
    if not pred:
        _report_problems(summary, [path])
        raise UsageError(f"{path}: no documents to evaluate")
    scorer = Scorer(extractor.gazetteer, extractor.ontology)
    per_doc, total, details = evaluate(pred, gold_rows, scorer)
    click.echo(format_report(per_doc, total, details, show))
    _report_problems(summary, [path])


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def relations(fmt):
    """List the relations: both spellings, PLOVER, CAMEO, polarity, symmetry, and whether
    they are in the core vocabulary (emitted by default) or only in the full one."""
    from kg.ontology import load_ontology

    onto = load_ontology()
    rows = [
        {"relation": r.name, "kebab": r.kebab, "label": r.label, "symmetric": r.symmetric,
         "plover": r.plover, "cameo": r.cameo, "polarity": r.polarity,
         "broader": list(r.parents), "vocabulary": "core" if r.core else "full"}
        for r in onto.relations.values()
    ]
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row))
        return
    click.echo(f"{'relation':<26} {'kebab-case':<28} {'sym':<4} {'plover':<10} {'cameo':<6} "
               f"{'polarity':<12} vocabulary")
    for row in rows:
        click.echo(f"{row['relation']:<26} {row['kebab']:<28} {'yes' if row['symmetric'] else '':<4} "
                   f"{row['plover'] or '-':<10} {row['cameo'] or '-':<6} {row['polarity']:<12} "
                   f"{row['vocabulary']}")


@cli.command()
@gazetteer_option
def check(gazetteers):
    """Load and validate the ontology, gazetteer (with your files) and patterns."""
    from kg.pipeline import make_extractor

    ex = make_extractor(gazetteers)
    g = ex.gazetteer
    kinds = {}
    for a in g.actors.values():
        kinds[a.type] = kinds.get(a.type, 0) + 1
    click.echo(f"ontology: {len(ex.ontology.relations)} relations ({ex.ontology.path})")
    click.echo("actors: " + ", ".join(f"{n} {t}" for t, n in sorted(kinds.items())))
    click.echo(f"people: {len(g.people)}; aliases: {len(g.aliases)}")
    click.echo(f"patterns: {len(ex.patterns)}")
    click.echo("ok")


store_option = click.option(
    "--store", "store", default=None, metavar="LOCATION",
    help="Store folder, or http(s)://HOST:PORT/... of a SPARQL 1.1 server. Default: $KG_STORE, "
         "else ./kg-store.",
)
wait_option = click.option(
    "--wait", type=float, default=10.0, show_default=True, metavar="SECONDS",
    help="How long to wait for another kg process to release the embedded store.",
)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option("--wait", type=float, default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another kg process to release the embedded store.")
@_input_options
def build(paths, store, wait, workers, dask, date, gazetteers, vocabulary, encoding, text_field,
          id_field, date_field, url_field, title_field):
    """Extract PATHS (as for kg extract) and add their graphs to the store (idempotent:
    unchanged documents are skipped, changed ones replace their old graph)."""
    from kg.build import build_graph
    from kg.documents import JsonlFields
    from kg.pipeline import make_extractor
    from kg.store import open_store

    _one_engine(workers, dask)
    extractor = make_extractor(gazetteers, vocabulary=vocabulary)
    fields = JsonlFields(text_field, id_field, date_field, url_field, title_field)
    st = open_store(store, create=True, wait=wait, writer="kg build")
    bar = _Progress(paths, enabled=True)
    try:
        report = build_graph(paths, st, extractor, date=date, encoding=encoding,
                             gazetteers=gazetteers, workers=workers, dask=dask, fields=fields,
                             log=None if bar.bar else (lambda m: click.echo(m, err=True)),
                             progress=bar)
    finally:
        bar.close()
        st.release()
        st.close()
    click.echo(f"{report.documents} document(s): {report.added} added, {report.replaced} "
               f"replaced, {report.unchanged} unchanged; {report.assertions} assertion(s) "
               f"written; {report.actors} actor(s), {report.ties} tie(s) in {st.location}")
    click.echo(f"summary: {report.documents:,} document(s), {report.sentences:,} sentence(s) "
               f"extracted, {report.actors:,} actor(s), {report.assertions:,} relation(s), "
               f"{len(report.problems):,} skipped input(s), {report.seconds:.1f} s", err=True)
    for p in report.problems:
        click.echo(f"skipped: {p}", err=True)
    if report.problems:
        raise _InputFailed(f"{len(report.problems)} input(s) skipped, "
                           f"{report.documents} document(s) processed")


@cli.command()
@click.argument("query_", metavar="QUERY|FILE", required=False)
@click.option("--saved", metavar="NAME", help="Run a saved query (see --list).")
@click.option("--list", "list_", is_flag=True, help="List the saved queries and their parameters.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind ?NAME to VALUE (an actor name, code or IRI for actor parameters). Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]),
              default="table", show_default=True)
@store_option
@wait_option
def query(query_, saved, list_, params, fmt, store, wait):
    """Run a SPARQL 1.1 query (text, a .rq file, or --saved NAME) over the whole graph."""
    import os

    from kg.query import format_result, parse_params, run_query, run_saved, saved_queries
    from kg.store import open_store

    if list_:
        for q in saved_queries().values():
            args = " ".join(f"--param {k}=<{v}>" for k, v in q.params.items())
            click.echo(f"{q.name} {args}".rstrip())
            click.echo(f"    {q.description}")
        return
    if bool(saved) == bool(query_):
        raise UsageError("give a query (text or file) or --saved NAME, not both or neither")
    values = parse_params(list(params))
    st = open_store(store, wait=wait)
    try:
        if saved:
            res = run_saved(st, saved, values)
        else:
            text, where = query_, "query"
            if os.path.isfile(query_):
                with open(query_, encoding="utf-8") as fh:
                    text, where = fh.read(), query_
            res = run_query(st, text, values, where=where)
    finally:
        st.close()
    click.echo(format_result(res, fmt), nl=False)


RDF_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld")
NETWORK_FORMATS = ("graphml", "gexf", "csv", "json")


def _relations(ctx, param, values):
    from kg.ontology import load_ontology

    onto = load_ontology()
    names = []
    for value in values:
        for part in value.split(","):
            try:
                names.append(onto.resolve(part.strip()).name)
            except KgError as exc:
                raise click.BadParameter(str(exc)) from None
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class NetworkOptions:
    """What the network filter options (:func:`network_options`) said, before the store is open."""

    relations: tuple[str, ...] = ()
    actor: str | None = None
    depth: int | None = None
    min_weight: int = 1
    since: dt.date | None = None
    until: dt.date | None = None
    include_speculative: bool = False

    @property
    def given(self) -> list[str]:
        """The options given on the command line, as their flags."""
        flags = {"relations": "--relation", "actor": "--actor", "depth": "--depth",
                 "min_weight": "--min-weight", "since": "--since", "until": "--until",
                 "include_speculative": "--include-speculative"}
        default = NetworkOptions()
        return [flag for name, flag in flags.items() if getattr(self, name) != getattr(default, name)]

    def filters(self, store):
        """The :class:`kg.network.Filters` these options mean (``--actor`` resolved in ``store``)."""
        from kg.network import Filters, resolve_actor

        if self.depth is not None and self.actor is None:
            raise UsageError("--depth needs --actor (the centre of the ego network)")
        if self.since and self.until and self.since > self.until:
            raise UsageError(f"--since {self.since} is after --until {self.until}")
        return Filters(
            relations=self.relations,
            actor=resolve_actor(store, self.actor) if self.actor is not None else None,
            depth=1 if self.depth is None else self.depth,
            min_weight=self.min_weight, since=self.since, until=self.until,
            include_speculative=self.include_speculative,
        )


def network_options(f):
    """Add the network filters (--relation, --actor, --depth, --min-weight, --since, --until,
    --include-speculative) to a command; it receives them as one ``network`` argument, a
    :class:`NetworkOptions` (``network.filters(store)`` gives the :class:`kg.network.Filters`)."""
    options = [
        click.option("--relation", "relations", multiple=True, callback=_relations, metavar="NAME",
                     help="Only this relation (camelCase or kebab-case). Repeatable, or "
                          "comma-separated."),
        click.option("--actor", metavar="NAME", default=None,
                     help="Only the ego network of this actor (name, alias, code or IRI)."),
        click.option("--depth", type=click.IntRange(min=0), default=None,
                     help="Radius of the ego network, ignoring direction (default 1; with --actor)."),
        click.option("--min-weight", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Keep edges backed by at least this many sentences."),
        click.option("--since", callback=_date, metavar="YYYY-MM-DD",
                     help="Count only evidence from documents dated on or after this day."),
        click.option("--until", callback=_date, metavar="YYYY-MM-DD",
                     help="Count only evidence from documents dated on or before this day."),
        click.option("--include-speculative", is_flag=True,
                     help="Count speculative and negated evidence too (default: asserted only)."),
    ]

    @functools.wraps(f)
    def wrapper(*args, relations, actor, depth, min_weight, since, until, include_speculative,
                **kwargs):
        network = NetworkOptions(relations, actor, depth, min_weight, since, until,
                                 include_speculative)
        return f(*args, network=network, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@cli.command(name="export")
@click.option("--format", "fmt", type=click.Choice(RDF_FORMATS + NETWORK_FORMATS),
              default="turtle", show_default=True,
              help="RDF (turtle, ntriples, nquads, trig, jsonld) or the actor network "
                   "(graphml, gexf, csv, json).")
@click.option("-o", "--output", type=click.Path(writable=True), default="-",
              help="Write to this file instead of standard output (csv: a folder, or NAME for "
                   "NAME.nodes.csv and NAME.edges.csv).")
@network_options
@store_option
@wait_option
def export_(fmt, output, network, store, wait):
    """Write the graph out: RDF (deterministically: same store, same bytes), or the actor
    network for Gephi, yEd, Cytoscape or D3, filtered by the network options."""
    from kg.store import open_store

    if fmt in RDF_FORMATS and network.given:
        raise UsageError(f"the network options ({', '.join(network.given)}) work only with "
                         f"--format {', '.join(NETWORK_FORMATS)}, not --format {fmt}")
    if fmt == "csv":
        from kg.netexport import csv_paths

        csv_paths(output)  # a bad -o fails before the store is read
    st = open_store(store, wait=wait)
    try:
        if fmt in NETWORK_FORMATS:
            from kg.netexport import export_store

            graph, written = export_store(st, network.filters(st), fmt, output,
                                          stdout=sys.stdout.buffer)
            if written:
                click.echo(f"{graph.number_of_nodes()} actor(s), {graph.number_of_edges()} "
                           f"edge(s): {', '.join(str(p) for p in written)}", err=True)
        elif output == "-":
            from kg.export import export

            export(st, fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            import os

            from kg.export import export

            if os.path.isdir(output):
                raise UsageError(f"-o {output}: is a folder; give a file name")
            tmp = output + ".tmp"
            with open(tmp, "wb") as fh:
                export(st, fmt, fh)
            os.replace(tmp, output)
    finally:
        st.close()


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="graph.html",
              show_default=True, help="The HTML file to write (replaced atomically).")
@click.option("--title", default="kg network", show_default=True, help="The page's title.")
@click.option("--color-by", type=click.Choice(["polarity", "plover"]), default="polarity",
              show_default=True, help="Colour relations by polarity or by PLOVER family.")
@click.option("--large-threshold", type=click.IntRange(0), default=1000, show_default=True,
              metavar="N", help="Above N actors: layout computed in Python, no physics in the page.")
@network_options
@store_option
@wait_option
def viz(output, title, color_by, large_threshold, network, store, wait):
    """Write the actor network as one interactive HTML page that works offline.

    Colour and shape by actor type, size by degree; relations coloured by polarity (or PLOVER
    family), width by weight, arrows for directed relations, dashes for speculative or negated
    ones. Hover or click a line for its evidence, click an actor for its relations; filter by
    relation, search for an actor. The network options choose what goes in, as for
    `kg export --format graphml`.
    """
    from kg.store import open_store
    from kg.viz import write_store_page

    st = open_store(store, wait=wait)
    try:
        page = write_store_page(st, output, filters=network.filters(st), title=title,
                                color_by=color_by, large_threshold=large_threshold)
    finally:
        st.close()
    mode = ", large-graph mode" if page.large else ""
    click.echo(f"{page.path}: {page.nodes} actor(s), {page.edges} relation(s){mode}, "
               f"{page.size / 1e6:.1f} MB")


@cli.command()
@store_option
@wait_option
def validate(store, wait):
    """Check the graph against ontology/shapes.ttl (SHACL). Exit 0 conforms, 1 not, 2 error."""
    from kg.store import open_store
    from kg.validate import validate_store

    st = open_store(store, wait=wait)
    try:
        report = validate_store(st)
    finally:
        st.close()
    if report.conforms:
        click.echo(f"conforms: {report.triples} triples, {report.warnings} warning(s)")
        if report.warnings:
            click.echo(report.text)
        return
    click.echo(report.text)
    click.echo(f"does not conform: {report.violations} violation(s), {report.warnings} warning(s)")
    sys.exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=7878, show_default=True)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per query.")
@click.option("--limit", type=int, default=10_000, show_default=True, help="Most results per query.")
@store_option
def serve(host, port, timeout, limit, store):
    """Serve the store read-only as a SPARQL 1.1 Protocol endpoint at /sparql."""
    from kg.serve import make_server

    server = make_server(store, host, port, timeout=timeout, limit=limit)
    click.echo(f"kg serve: SPARQL endpoint at http://{host}:{server.server_port}/sparql "
               "(read-only; Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main():  # pragma: no cover - console entry point alias
    cli(prog_name="kg")
