"""Read input files into :class:`Document` objects.

A document keeps its whole decoded text, so that the character offsets kg reports satisfy
``document.text[start:end] == evidence``. Front matter at the top of a ``.txt`` or ``.md`` file
(``---`` lines around ``key: value`` pairs) gives the title, date and source URL; extraction starts
after it (``body_start``).

An HTML page (``.html``, ``.htm``) is reduced to its main text by trafilatura (navigation, headers,
footers and other boilerplate dropped; nothing is ever fetched). That extracted text, with the
page title as its first line when the text does not already start with it, is the Document's
text: offsets index it, not the HTML source. Title, date and URL come from the page's metadata
(``<title>``/``og:title``, ``<meta>`` publication dates, the canonical link).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
INPUT_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_FM_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_KNOWN_KEYS = {"title", "date", "url", "source", "id"}


@dataclass
class Document:
    """One input text and what is known about it."""

    id: str
    text: str
    body_start: int = 0
    date: dt.date | None = None
    title: str | None = None
    url: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return self.text[self.body_start :]


@dataclass
class InputProblem:
    """An input that was skipped, with the one-line reason."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def parse_date(value: str, where: str) -> dt.date:
    """Parse ``YYYY-MM-DD`` (a longer ISO timestamp is cut to its date)."""
    try:
        return dt.date.fromisoformat(value.strip().strip("\"'")[:10])
    except ValueError:
        raise InputError(where, f"date {value!r} is not YYYY-MM-DD; write it like 2024-06-19") from None


def decode(data: bytes, path: str, encoding: str | None = None) -> str:
    """Decode bytes, refusing binary data and reporting the first bad byte's offset."""
    if not data.strip():
        raise InputError(path, "file is empty; give kg a file with text in it")
    if b"\x00" in data[:8192] or b"\x00" in data:
        raise InputError(path, "file looks binary (it has NUL bytes); kg reads .txt and .md text")
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise InputError(path, f"unknown encoding {encoding!r}; try --encoding utf-8") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                path, f"not valid {encoding} at byte {exc.start}; try another --encoding"
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"not valid UTF-8 at byte {exc.start}; if the file uses another encoding, "
            "pass it with --encoding (for example --encoding cp1252)",
        ) from None


def document_from_text(doc_id: str, text: str, date: dt.date | None = None) -> Document:
    """Make a Document from text, reading front matter if the text starts with it."""
    doc = Document(id=doc_id, text=text, date=date)
    m = _FRONT_MATTER.match(text)
    if m:
        doc.body_start = m.end()
        first_line = text.count("\n", 0, m.start(1)) + 1
        for offset, line in enumerate(m.group(1).splitlines()):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            kv = _FM_LINE.match(line)
            if not kv:
                raise InputError(
                    f"{doc_id}:{first_line + offset}",
                    "front matter line is not 'key: value'; fix it or remove the --- block",
                )
            key, value = kv.group(1).lower(), kv.group(2).strip().strip("\"'")
            doc.meta[key] = value
            if key == "date" and value:
                if date is None:
                    doc.date = parse_date(value, f"{doc_id}:{first_line + offset}")
            elif key == "title":
                doc.title = value or None
            elif key in ("url", "source"):
                doc.url = value or None
    if not doc.body.strip():
        raise InputError(doc_id, "file has no text after its front matter")
    if doc.title is None:
        first = doc.body.strip().split("\n", 1)[0].strip()
        doc.title = first[:200] or None
    return doc


def read_file(path: str, encoding: str | None = None, date: dt.date | None = None) -> Document:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except PermissionError:
        raise InputError(path, "permission denied; check the file's permissions") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if path.lower().endswith(HTML_SUFFIXES):
        return document_from_html(path, data, encoding, date)
    return document_from_text(path, decode(data, path, encoding), date)


def document_from_html(doc_id: str, data: bytes, encoding: str | None = None,
                       date: dt.date | None = None) -> Document:
    """The main text of an HTML page as a Document (see the module's docstring for offsets)."""
    if not data.strip():
        raise InputError(doc_id, "file is empty; give kg a file with text in it")
    if b"\x00" in data:
        raise InputError(doc_id, "file looks binary (it has NUL bytes); kg reads HTML as text")
    # Without --encoding the bytes go to trafilatura, which follows the page's own charset.
    source: bytes | str = decode(data, doc_id, encoding) if encoding else data
    import trafilatura

    try:
        page = trafilatura.bare_extraction(
            source, with_metadata=True, include_comments=False, include_tables=True,
            favor_precision=True,
            include_images=False, include_links=False, deduplicate=False,
            # Dates only from the page's markup and metadata, never guessed from its prose.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # lxml or trafilatura failing on a broken page
        raise InputError(doc_id, f"cannot parse this HTML page ({type(exc).__name__}); "
                                 "save the article's text as .txt instead") from None
    lines = [" ".join(x.split()) for x in (page.text or "").splitlines()] if page is not None else []
    # One paragraph per line from trafilatura; a blank line between them ends their sentences.
    body = "\n\n".join(x for x in lines if x)
    if not any(len(x.split()) >= 4 for x in lines):  # "Home", "About us": not an article
        raise InputError(doc_id, "no article text found in this HTML page (only navigation or "
                                 "boilerplate); save the article's text as .txt instead")
    title = " ".join((page.title or "").split()) or None
    text = body if title is None or body.startswith(title) else f"{title}\n\n{body}"
    doc = Document(id=doc_id, text=text + "\n", date=date, title=title or body.split("\n", 1)[0][:200],
                   url=page.url or None)
    if page.date:
        try:
            published = dt.date.fromisoformat(page.date[:10])
            doc.meta["date"] = published.isoformat()
            doc.date = date or published
        except ValueError:
            pass  # an unusable date in the page's metadata: read it as undated
    for key in ("author", "sitename", "description", "language"):
        value = getattr(page, key, None)
        if value:
            doc.meta[key] = str(value)
    return doc


def _walk(directory: str) -> list[str]:
    """Input files under ``directory``, recursively: each folder's files in name order, then its
    subfolders in name order; hidden files and folders are skipped."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(INPUT_SUFFIXES) and not name.startswith("."):
                found.append(os.path.join(root, name))
    return found


def count_inputs(paths: Iterable[str]) -> int | None:
    """How many items :func:`iter_documents` will yield for ``paths`` (documents and bad lines),
    for a progress bar's ETA; ``None`` when it cannot be known in advance (standard input)."""
    import gzip

    total = 0
    for path in paths:
        if path == "-":
            return None
        files = _walk(path) if os.path.isdir(path) else [path]
        for file in files:
            if not file.lower().endswith(JSONL_SUFFIXES):
                total += 1
                continue
            try:
                with (gzip.open if file.endswith(".gz") else open)(file, "rb") as fh:
                    for line in fh:
                        total += bool(line.strip())
            except (OSError, EOFError):
                total += 1
    return total


@dataclass(frozen=True)
class JsonlFields:
    """Which keys of a JSON Lines record hold the document's parts."""

    text: str = "text"
    id: str = "id"
    date: str = "date"
    url: str = "url"
    title: str = "title"


def iter_jsonl(path: str, fields: JsonlFields = JsonlFields(), date: dt.date | None = None,
               encoding: str | None = None) -> Iterator[Document | InputProblem]:
    """One Document per line of a JSON Lines corpus (gzip-compressed if it ends in .gz).

    A bad line is reported as an InputProblem naming ``path:line`` and skipped; the rest of the
    corpus is still read. Offsets of extracted relations index the record's text field.
    """
    import gzip
    import json

    opener = gzip.open if path.endswith(".gz") else open
    try:
        fh = opener(path, "rt", encoding=encoding or "utf-8", newline="")
    except OSError as exc:
        yield InputProblem(path, f"cannot read: {exc.strerror or exc}")
        return
    with fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield InputProblem(where, f"not JSON ({exc.msg} at column {exc.colno}); line skipped")
                    continue
                if not isinstance(rec, dict):
                    yield InputProblem(where, "a corpus line must be a JSON object; line skipped")
                    continue
                text = rec.get(fields.text)
                if not isinstance(text, str) or not text.strip():
                    yield InputProblem(where, f"no text in field {fields.text!r}; name the field with --text-field")
                    continue
                doc_id = rec.get(fields.id)
                doc = Document(id=str(doc_id) if doc_id not in (None, "") else where, text=text)
                if doc_id not in (None, ""):
                    doc.meta["id"] = str(doc_id)
                try:
                    value = rec.get(fields.date)
                    own = parse_date(str(value), where) if value else None
                    doc.date = date or own
                except InputError as exc:
                    yield InputProblem(where, str(exc)[len(where) + 2 :])
                    continue
                if own is not None:
                    doc.meta["date"] = own.isoformat()  # the publication date, whatever --date says
                doc.url = rec.get(fields.url) or None
                doc.title = rec.get(fields.title) or text.strip().split("\n", 1)[0][:200]
                yield doc
        except (UnicodeDecodeError, OSError, EOFError) as exc:
            yield InputProblem(f"{path}:{lineno + 1}", f"cannot read further: {exc}; try --encoding")


def iter_documents(
    paths: Iterable[str],
    encoding: str | None = None,
    date: dt.date | None = None,
    stdin=None,
    fields: JsonlFields = JsonlFields(),
) -> Iterator[Document | InputProblem]:
    """Yield a Document for every readable input, an InputProblem for every bad one.

    ``paths`` are files (.txt/.md, .html/.htm, or JSON Lines corpora with one document per line,
    optionally gzip-compressed), directories (read recursively for all of those) or ``-`` for
    standard input. Documents are read one at a time, so memory does not grow with the corpus.
    """
    for path in paths:
        try:
            if path != "-" and path.lower().endswith(JSONL_SUFFIXES) and os.path.isfile(path):
                yield from iter_jsonl(path, fields, date, encoding)
            elif path == "-":
                stream = stdin if stdin is not None else sys.stdin.buffer
                yield document_from_text("-", decode(stream.read(), "<stdin>", encoding), date)
            elif os.path.isdir(path):
                files = _walk(path)
                if not files:
                    yield InputProblem(
                        path, "directory has no .txt, .md, .html or .jsonl files; point kg at "
                              "articles"
                    )
                for file in files:
                    if file.lower().endswith(JSONL_SUFFIXES):
                        yield from iter_jsonl(file, fields, date, encoding)
                        continue
                    try:
                        yield read_file(file, encoding, date)
                    except InputError as exc:
                        yield InputProblem(exc.path, str(exc)[len(exc.path) + 2 :])
            elif not os.path.exists(path):
                yield InputProblem(path, "no such file or directory")
            else:
                yield read_file(path, encoding, date)
        except InputError as exc:
            yield InputProblem(exc.path, str(exc)[len(exc.path) + 2 :])
