"""The exceptions kg raises. ``cli.py`` turns every :class:`KgError` into a one-line message."""

from __future__ import annotations


class KgError(Exception):
    """Base class of every error kg reports to a user.

    ``exit_code`` is what the command line exits with; the message is one line that names the
    file (and line or byte offset) at fault and, where there is one, the fix.
    """

    exit_code = 1


class UsageError(KgError):
    """The command was called with options that do not fit together."""

    exit_code = 2


class DataFileError(KgError):
    """A data file (ontology, gazetteer, patterns, cues) is malformed.

    The message starts with ``path:line:`` so editors can jump to it.
    """

    exit_code = 2

    def __init__(self, path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class OntologyError(DataFileError):
    """The ontology (kg.ttl) is missing something kg relies on."""


class GazetteerError(DataFileError):
    """A gazetteer file has a bad record, or an alias that clashes with another."""


class PatternError(DataFileError):
    """A relation pattern or cue file has a bad record."""


class InputError(KgError):
    """An input document could not be read (missing, binary, not decodable, empty)."""

    def __init__(self, path, message: str):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


class EvalError(KgError):
    """A gold file could not be read or does not fit the documents."""


def read_jsonl(path, error: type[DataFileError], what: str = "data file"):
    """Yield ``(line number, object)`` for each record of a JSON Lines data file.

    Blank lines and lines starting with ``//`` are skipped; anything else that is not a JSON
    object raises ``error`` naming the file and line.
    """
    from pathlib import Path
    import json

    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise error(path, None, f"{what} not found") from None
    except UnicodeDecodeError as exc:
        raise error(path, None, f"not UTF-8 at byte {exc.start}") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(path, lineno, f"not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(rec, dict):
            raise error(path, lineno, "each line must be a JSON object")
        yield lineno, rec
