"""The ``kg`` command line. The only module that imports click.

Each command parses its options, calls one library function and prints. Every
:class:`kg.errors.KgError` becomes a one-line ``Error: ...`` with the error's exit code, in one
place (:class:`KgGroup`).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

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
encoding_option = click.option(
    "--encoding", default=None, help="Text encoding of the inputs (default UTF-8)."
)


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def cli():
    """kg turns writing about international affairs into a knowledge graph.

    It finds the actors (states, organisations, armed groups, leaders as their state), the
    typed relations between them and the sentence behind each one.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True)
@click.option("--unique", is_flag=True, help="One row per (subject, relation, object) and document, "
              "keeping the strongest modality.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Write to this file instead of standard output.")
@date_option
@gazetteer_option
@encoding_option
def extract(paths, fmt, unique, output, date, gazetteers, encoding):
    """Extract relations from PATHS (.txt/.md files, directories, or - for stdin).

    Prints one JSON object per relation: doc, subject, subject_id, subject_code, relation,
    object, object_id, object_code, modality, confidence, evidence, start, end, plover, cameo
    (and rule, trigger, subject_text, object_text, which say how it was found).
    """
    from kg.pipeline import RunSummary, extract_records, make_extractor

    extractor = make_extractor(gazetteers)
    summary = RunSummary()
    first = True
    for _doc, records in extract_records(paths, extractor, date=date, encoding=encoding,
                                         unique=unique, summary=summary):
        if fmt == "jsonl":
            for r in records:
                output.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            if first:
                output.write(_table_header())
                first = False
            for r in records:
                output.write(_table_row(r))
        output.flush()
    _report_problems(summary, paths)


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
@encoding_option
def eval_(path, gold, show, date, gazetteers, encoding):
    """Extract from PATH and score against GOLD (a JSONL file or a folder of them).

    Prints strict (typed, directed) P/R/F1, pair-level F1 and modality accuracy per document and
    micro-averaged over all; the last line is f1=... p=... r=... pair_f1=...
    """
    from kg.evaluate import Scorer, evaluate, format_report, load_gold
    from kg.pipeline import RunSummary, extract_records, make_extractor

    gold_rows = load_gold(gold)
    extractor = make_extractor(gazetteers)
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
    """List the relation vocabulary: both spellings, PLOVER, CAMEO, polarity, symmetry."""
    from kg.ontology import load_ontology

    onto = load_ontology()
    rows = [
        {"relation": r.name, "kebab": r.kebab, "label": r.label, "symmetric": r.symmetric,
         "plover": r.plover, "cameo": r.cameo, "polarity": r.polarity,
         "broader": list(r.parents)}
        for r in onto.relations.values()
    ]
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row))
        return
    click.echo(f"{'relation':<26} {'kebab-case':<28} {'sym':<4} {'plover':<10} {'cameo':<6} polarity")
    for row in rows:
        click.echo(f"{row['relation']:<26} {row['kebab']:<28} {'yes' if row['symmetric'] else '':<4} "
                   f"{row['plover'] or '-':<10} {row['cameo'] or '-':<6} {row['polarity']}")


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


def main():  # pragma: no cover - console entry point alias
    cli(prog_name="kg")
