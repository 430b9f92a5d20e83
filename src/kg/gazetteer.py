"""The gazetteer: who the actors are and every way the text may name them.

Sources, all JSON Lines so that errors can name a file and line:

* ``actors/states.jsonl`` enriches every country of :mod:`pycountry` (names and codes come from
  the library) with a Wikidata QID, the common short name, aliases, demonyms and metonyms
  (capitals, seats of power).
* ``actors/igos.jsonl`` and ``actors/groups.jsonl``: organisations, alliances, armed groups.
* ``actors/leaders.jsonl``: people who count as their state while in office (``terms``).
* any number of user files (``--gazetteer FILE``) with records of the same shapes; a record whose
  ``code`` or ``id`` names a known actor adds aliases to it.

An alias (exact, case-sensitive) may name one actor only; people of the same state whose terms
never overlap may share one ("Kim"), and the document's date picks between them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import GazetteerError, read_jsonl
from kg.resources import ontology_dir

ACTOR_TYPES = ("State", "Territory", "IntergovernmentalOrganization", "NonStateGroup")
ROLES = ("head of state", "head of government", "foreign minister", "defence minister", "minister",
         "spokesperson", "envoy", "official", "military commander")
QID = re.compile(r"^Q[1-9][0-9]*$")
# Kosovo and other codes outside ISO 3166-1 that news still needs.
EXTRA_CODES = {"XKX"}

_STATE_KEYS = {"code", "qid", "name", "type", "aliases", "demonyms", "metonyms"}
_ORG_KEYS = {"id", "qid", "name", "type", "aliases", "members", "metonyms", "governs"}
_PERSON_KEYS = {"id", "qid", "name", "state", "aliases", "terms"}


@dataclass
class Actor:
    key: str  # ISO alpha-3 for states and territories, a slug for the others
    name: str
    type: str
    qid: str | None = None
    code: str | None = None
    members: tuple[str, ...] = ()
    labels: list[str] = field(default_factory=list)  # every alias, for skos:altLabel
    governs: tuple["Term", ...] = ()  # periods in which the group is a state's government


@dataclass(frozen=True)
class Term:
    role: str
    start: dt.date
    end: dt.date | None
    state: str | None = None  # the office's actor when it is not the person's usual one

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class Person:
    id: str
    name: str
    state: str  # actor key
    qid: str | None
    terms: tuple[Term, ...]

    def in_office(self, day: dt.date) -> bool:
        return any(t.covers(day) for t in self.terms)

    def state_on(self, day: dt.date) -> str | None:
        for t in self.terms:
            if t.covers(day):
                return t.state or self.state
        return None


@dataclass(frozen=True)
class Alias:
    """What one surface string means: an actor, or people who may have held office."""

    text: str
    kind: str  # name | alias | demonym | metonym | person
    actor: str | None = None
    people: tuple[str, ...] = ()


class Gazetteer:
    def __init__(self):
        self.actors: dict[str, Actor] = {}
        self.people: dict[str, Person] = {}
        self.aliases: dict[str, Alias] = {}
        self._alias_origin: dict[str, str] = {}  # alias -> "file:line" that added it
        self.sources: list[str] = []

    # -- lookups -----------------------------------------------------------------------------
    def actor(self, key: str) -> Actor:
        return self.actors[key]

    def by_qid(self, qid: str) -> Actor | None:
        for a in self.actors.values():
            if a.qid == qid:
                return a
        return None

    def resolve(self, alias: Alias, day: dt.date) -> tuple[str | None, str | None]:
        """The actor key a surface form stands for on ``day`` (and the person, if one)."""
        if alias.actor is not None:
            for term in self.actors[alias.actor].governs:
                if term.covers(day):
                    return term.state, None  # "the Taliban" in 2023 is Afghanistan's government
            return alias.actor, None
        for pid in alias.people:
            state = self.people[pid].state_on(day)
            if state is not None:
                return state, pid
        return None, None

    # -- building ----------------------------------------------------------------------------
    def _add_alias(self, text: str, kind: str, where: str, actor: str | None = None, person: str | None = None, quiet: bool = False):
        text = text.strip()
        if not text:
            if quiet:
                return
            raise GazetteerError(*_split(where), "empty alias")
        old = self.aliases.get(text)
        if old is None:
            self.aliases[text] = Alias(text, kind, actor, (person,) if person else ())
            self._alias_origin[text] = where
            if actor:
                self.actors[actor].labels.append(text)
            return
        if quiet:  # aliases derived from pycountry give way to curated ones
            return
        if person and old.people and not old.actor:
            mine = self.people[person]
            for pid in old.people:
                other = self.people[pid]
                if other.state != mine.state or _overlap(other.terms, mine.terms):
                    # People of different states, or in office at once, cannot share a name.
                    raise GazetteerError(
                        *_split(where),
                        f"alias {text!r} is already used by {other.name} ({self._alias_origin[text]}) "
                        "whose terms overlap or who serves another state; use a fuller name",
                    )
            self.aliases[text] = Alias(text, "person", None, old.people + (person,))
            return
        if actor is not None and old.actor == actor and self._alias_origin[text].endswith("(pycountry)"):
            self.aliases[text] = Alias(text, kind, actor)
            self._alias_origin[text] = where
            return
        owner = old.actor or ", ".join(self.people[p].name for p in old.people)
        raise GazetteerError(
            *_split(where),
            f"alias {text!r} already names {owner} ({self._alias_origin[text]}); "
            "remove one of them or make it more specific",
        )

    def _state(self, rec: dict, where: str, pycountry_index: dict):
        code = _req_str(rec, "code", where)
        if code not in pycountry_index and code not in EXTRA_CODES:
            raise GazetteerError(*_split(where), f"{code!r} is not an ISO 3166-1 alpha-3 code")
        existing = self.actors.get(code)
        if existing is None:
            for key in ("qid", "name", "type"):
                _req_str(rec, key, where)
            _check_type(rec["type"], where, ("State", "Territory"))
            _check_qid(rec["qid"], where)
            self.actors[code] = Actor(code, rec["name"], rec["type"], rec["qid"], code)
            self._add_alias(rec["name"], "name", where, actor=code)
            country = pycountry_index.get(code)
            if country is not None:
                for attr in ("name", "common_name", "official_name"):
                    value = getattr(country, attr, None)
                    if value and "," not in value:
                        self._add_alias(value, "name", f"{where} (pycountry)", actor=code, quiet=True)
        else:
            if rec.get("qid") and rec["qid"] != existing.qid:
                raise GazetteerError(*_split(where), f"{code} already has QID {existing.qid}")
        for key, kind in (("aliases", "alias"), ("demonyms", "demonym"), ("metonyms", "metonym")):
            for alias in _str_list(rec, key, where):
                self._add_alias(alias, kind, where, actor=code)

    def _org(self, rec: dict, where: str):
        key = _req_str(rec, "id", where)
        existing = self.actors.get(key)
        if existing is None:
            for k in ("name", "type"):
                _req_str(rec, k, where)
            if "qid" not in rec:
                raise GazetteerError(*_split(where), "missing 'qid' (a Wikidata id, or null when unknown)")
            _check_type(rec["type"], where, ("IntergovernmentalOrganization", "NonStateGroup"))
            if rec["qid"] is not None:
                _check_qid(rec["qid"], where)
            members = tuple(_str_list(rec, "members", where))
            governs = []
            for g in rec.get("governs", []):
                if not isinstance(g, dict) or set(g) - {"state", "start", "end"} or g.get("state") not in self.actors:
                    raise GazetteerError(*_split(where), "each 'governs' entry is {\"state\": known code, \"start\", \"end\"}")
                start = _date(g.get("start"), where, "start")
                end = _date(g["end"], where, "end") if g.get("end") is not None else None
                governs.append(Term("head of government", start, end, g["state"]))
            self.actors[key] = Actor(key, rec["name"], rec["type"], rec["qid"], None, members,
                                     governs=tuple(governs))
            self._add_alias(rec["name"], "name", where, actor=key)
        for k, kind in (("aliases", "alias"), ("metonyms", "metonym")):
            for alias in _str_list(rec, k, where):
                self._add_alias(alias, kind, where, actor=key)

    def _person(self, rec: dict, where: str):
        pid = _req_str(rec, "id", where)
        name = _req_str(rec, "name", where)
        state = _req_str(rec, "state", where)
        if state not in self.actors:
            raise GazetteerError(*_split(where), f"state {state!r} is not a known actor code or id")
        if pid in self.people:
            raise GazetteerError(*_split(where), f"person id {pid!r} is used twice")
        if rec.get("qid") is not None:
            _check_qid(rec["qid"], where)
        terms = rec.get("terms")
        if not isinstance(terms, list) or not terms:
            raise GazetteerError(*_split(where), "'terms' must be a non-empty list of {role, start, end}")
        parsed = []
        for term in terms:
            if not isinstance(term, dict) or set(term) - {"role", "start", "end", "state"}:
                raise GazetteerError(*_split(where), "each term is {\"role\", \"start\", \"end\"} "
                                     "and optionally \"state\"")
            if term.get("state") is not None and term["state"] not in self.actors:
                raise GazetteerError(*_split(where), f"term state {term['state']!r} is not a known actor")
            if term.get("role") not in ROLES:
                raise GazetteerError(*_split(where), f"role {term.get('role')!r} is not one of {', '.join(ROLES)}")
            start = _date(term.get("start"), where, "start")
            end = _date(term.get("end"), where, "end") if term.get("end") is not None else None
            if end is not None and end < start:
                raise GazetteerError(*_split(where), f"term ends ({end}) before it starts ({start})")
            parsed.append(Term(term["role"], start, end, term.get("state")))
        self.people[pid] = Person(pid, name, state, rec.get("qid"), tuple(parsed))
        for alias in dict.fromkeys([name, *_str_list(rec, "aliases", where)]):
            self._add_alias(alias, "person", where, person=pid)

    def load_file(self, path: Path | str, pycountry_index: dict | None = None):
        path = Path(path)
        if pycountry_index is None:
            pycountry_index = _pycountry_index()
        records = list(read_jsonl(path, GazetteerError, "gazetteer file"))
        self.sources.append(str(path))
        for lineno, rec in records:
            where = f"{path}:{lineno}"
            if "terms" in rec:
                allowed, handler = _PERSON_KEYS, self._person
            elif "code" in rec:
                allowed, handler = _STATE_KEYS, lambda r, w: self._state(r, w, pycountry_index)
            elif "id" in rec:
                allowed, handler = _ORG_KEYS, self._org
            else:
                raise GazetteerError(
                    path, lineno, "record needs 'code' (a state), 'id' (an organisation or group) "
                    "or 'terms' (a person)"
                )
            unknown = set(rec) - allowed
            if unknown:
                raise GazetteerError(
                    path, lineno, f"unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(allowed))}"
                )
            handler(rec, where)


def _split(where: str) -> tuple[str, int | None]:
    where = where.removesuffix(" (pycountry)")
    path, _, line = where.rpartition(":")
    return (path, int(line)) if line.isdigit() else (where, None)


def _req_str(rec, key, where) -> str:
    value = rec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GazetteerError(*_split(where), f"missing or empty {key!r}")
    return value


def _str_list(rec, key, where) -> list[str]:
    value = rec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GazetteerError(*_split(where), f"{key!r} must be a list of strings")
    if len(set(value)) != len(value):
        dup = next(v for v in value if value.count(v) > 1)
        raise GazetteerError(*_split(where), f"{dup!r} is listed twice in {key!r}")
    return value


def _check_qid(value, where):
    if not isinstance(value, str) or not QID.match(value):
        raise GazetteerError(*_split(where), f"qid {value!r} is not a Wikidata id like Q423")


def _check_type(value, where, allowed):
    if value not in allowed:
        raise GazetteerError(*_split(where), f"type {value!r} is not one of {', '.join(allowed)}")


def _date(value, where, what) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise GazetteerError(*_split(where), f"{what} date {value!r} is not YYYY-MM-DD") from None


def _overlap(a: Iterable[Term], b: Iterable[Term]) -> bool:
    far = dt.date.max
    return any(x.start <= (y.end or far) and y.start <= (x.end or far) for x in a for y in b)


def _pycountry_index() -> dict:
    import pycountry

    return {c.alpha_3: c for c in pycountry.countries}


BUILTIN_FILES = ("states.jsonl", "igos.jsonl", "groups.jsonl", "leaders.jsonl")


def load_gazetteer(extra: Iterable[str | Path] = ()) -> Gazetteer:
    """Load the built-in actors, then each user file in order."""
    gaz = Gazetteer()
    index = _pycountry_index()
    folder = ontology_dir() / "actors"
    for name in BUILTIN_FILES:
        gaz.load_file(folder / name, index)
    missing = sorted(set(index) - set(gaz.actors))
    if missing:
        raise GazetteerError(folder / "states.jsonl", None, f"no record for {', '.join(missing[:5])}")
    for path in extra:
        gaz.load_file(path, index)
    return gaz
