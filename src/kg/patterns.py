"""Relation triggers and cue words, read from ``ontology/patterns/``.

``relations.jsonl`` holds one trigger pattern per line::

    {"id": "munitions.verb", "relation": "suppliesMunitionsTo", "frame": "verb",
     "pattern": "supply+|sent *5 munitions|shells", "object_prep": ["to", ""], "window": 8}

``pattern`` is a short token language compiled to a spaCy ``Matcher`` pattern: tokens are
separated by spaces and compared lower-cased; ``a|b`` is either word; ``word+`` adds the regular
inflections (``supply+`` = supply, supplies, supplied, supplying); a trailing ``?`` makes a token
optional; ``*`` (or ``*N``) skips up to 3 (or N) tokens. A pattern may instead be a list of spaCy
token dicts, for anything the short form cannot say.

``frame`` says where the subject and object are found (see :mod:`kg.extract`):
``verb`` (subject before, object after), ``passive`` (subject after ``by``), ``noun`` (subject is
the possessor or pre-modifier, ``X's alignment with Y``, ``the X-Y summit``) and ``pair``
(a symmetric relation between the two actors of the sentence).

Optional keys: ``object_prep`` / ``subject_prep`` (the prepositions that may introduce them;
``""`` for none), ``window`` (tokens searched for the object), ``confidence``, ``object_types``
(actor types the object must have), ``reciprocal``, ``inverse``, and ``not_before``: nouns that,
right after the object, make it a modifier instead ("hosts a Russian military base"), and
``stands_in_for``: a relation outside the core vocabulary that this pattern renders in core terms
("expelled the French ambassador" is ``expels`` in the full vocabulary, strained relations in the
core one); the pattern is used only when that relation is not emitted. ``answers``: a relation
whose last actor in the document is the object when the sentence names none ("Belgrade
dismissed the claim" answers the last ``accuses``).

``cues.jsonl`` holds word lists by ``kind`` (hedges, negators, anaphors, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import PatternError, read_jsonl
from kg.ontology import Ontology
from kg.resources import ontology_dir

FRAMES = ("verb", "passive", "noun", "pair", "rebuttal")
CUE_KINDS = {
    "hedge", "nominal_hedge", "negation", "negation_after", "not_negation", "clause_break",
    "relative", "blocking_prep", "skippable", "pair_anaphor", "party_anaphor",
    "singular_pronoun", "topic_lead", "non_actor_head", "pair_modifier", "clause_hedge",
    "not_hedge", "triple_anaphor", "role_noun", "plural_anaphor", "company_noun", "group_anaphor", "org_anaphor", "modifier_participle", "owner_participle", "control_noun", "contest", "clause_negation", "modifier_head", "reflexive_head", "place_noun",
    "reporting_noun", "issue_verb", "offer_noun", "clause_word", "not_contest", "request_noun", "deliberation_verb",
}
_PATTERN_KEYS = {
    "id", "relation", "frame", "pattern", "object_prep", "subject_prep", "window", "confidence",
    "object_types", "reciprocal", "inverse", "not_before", "stands_in_for", "answers", "note",
}
APOSTROPHES = ("'", "\u2019")
HYPHENS = ["-", "\u2013", "\u2014", "\u2010", "\u2011"]


@dataclass(frozen=True)
class TriggerPattern:  # noqa: D101 - see the module docstring
    id: str
    relation: str
    frame: str
    tokens: tuple  # the spaCy Matcher pattern
    object_prep: tuple[str, ...]
    subject_prep: tuple[str, ...]
    window: int
    confidence: float
    object_types: tuple[str, ...]
    where: str
    reciprocal: bool = False  # with a plural subject and no object: each acts on the other
    inverse: bool = False  # the roles found are swapped: "Taiwan's backer, the US" -> US supports Taiwan
    not_before: frozenset[str] = frozenset()  # an object followed by one of these nouns is a modifier
    stands_in_for: str | None = None  # used only when the vocabulary does not emit this relation
    answers: str | None = None  # no object named: the last actor of this relation in the document


def inflect(word: str) -> list[str]:
    """Regular English verb forms of ``word``: attack -> attacks, attacked, attacking."""
    if word.endswith("ee"):
        return [word, word + "s", word + "d", word + "ing"]
    if word.endswith("e"):
        return [word, word + "s", word + "d", word[:-1] + "ing"]
    if re.search(r"[^aeiou]y$", word):
        return [word, word[:-1] + "ies", word[:-1] + "ied", word + "ing"]
    if re.search(r"(s|x|z|ch|sh)$", word):
        return [word, word + "es", word + "ed", word + "ing"]
    return [word, word + "s", word + "ed", word + "ing"]


def _apostrophe_variants(word: str) -> list[str]:
    if "'" in word or "\u2019" in word:
        return [word.replace("\u2019", "'"), word.replace("'", "\u2019")]
    return [word]


def _plain_word(form: str, tokenizer) -> bool:
    """A word of letters only, with no tokenizer special case, is one token (no need to ask)."""
    return form.isalpha() and form not in tokenizer.rules


def compile_pattern(text: str, where: str, tokenizer=None) -> list[dict]:
    """Turn the short pattern language into a spaCy Matcher token pattern."""
    if not isinstance(text, str) or not text.strip():
        raise PatternError(*_split(where), "'pattern' is empty")
    out: list[dict] = []
    for item in text.split():
        star = re.fullmatch(r"\*(\d*)", item)
        if star:
            out.append({"OP": f"{{0,{int(star.group(1) or 3)}}}"})
            continue
        optional = item.endswith("?") and len(item) > 1
        if optional:
            item = item[:-1]
        words: list[str] = []
        for alt in item.split("|"):
            if not alt:
                raise PatternError(*_split(where), f"empty alternative in {item!r}")
            if alt == "-":
                words.extend(HYPHENS)
                continue
            forms = inflect(alt[:-1]) if alt.endswith("+") and len(alt) > 1 else [alt]
            for form in forms:
                form = form.lower()
                if tokenizer is not None and form not in HYPHENS and not _plain_word(form, tokenizer):
                    n = len(tokenizer(form))
                    if n != 1:
                        raise PatternError(
                            *_split(where),
                            f"{form!r} is {n} tokens, not one; write its parts as separate "
                            "pattern tokens (for example 'air defence')",
                        )
                words.extend(_apostrophe_variants(form))
        spec: dict = {"LOWER": {"IN": sorted(set(words))}}
        if optional:
            spec["OP"] = "?"
        out.append(spec)
    if all(t.get("OP") for t in out):
        raise PatternError(*_split(where), "pattern has no required token")
    if out[0].get("OP") not in (None,) and "LOWER" not in out[0]:
        raise PatternError(*_split(where), "pattern cannot start with '*'")
    return out


def _split(where: str):
    path, _, line = where.rpartition(":")
    return (path, int(line)) if line.isdigit() else (where, None)


def _jsonl(path: Path):
    return read_jsonl(path, PatternError, "pattern file")


def load_patterns(ontology: Ontology, path: Path | None = None, tokenizer=None) -> list[TriggerPattern]:
    path = Path(path) if path else ontology_dir() / "patterns" / "relations.jsonl"
    patterns, seen = [], {}
    for lineno, rec in _jsonl(path):
        where = f"{path}:{lineno}"
        unknown = set(rec) - _PATTERN_KEYS
        if unknown:
            raise PatternError(path, lineno, f"unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(_PATTERN_KEYS))}")
        pid = rec.get("id")
        if not isinstance(pid, str) or not pid:
            raise PatternError(path, lineno, "missing 'id'")
        if pid in seen:
            raise PatternError(path, lineno, f"id {pid!r} is already used on line {seen[pid]}")
        seen[pid] = lineno
        relation = rec.get("relation")
        if not isinstance(relation, str) or relation not in ontology:
            raise PatternError(path, lineno, f"relation {relation!r} is not in the ontology (kg.ttl)")
        relation = ontology.resolve(relation).name
        frame = rec.get("frame")
        if frame not in FRAMES:
            raise PatternError(path, lineno, f"frame {frame!r} is not one of {', '.join(FRAMES)}")
        raw = rec.get("pattern")
        if isinstance(raw, list):
            if not raw or not all(isinstance(t, dict) for t in raw):
                raise PatternError(path, lineno, "a list 'pattern' must hold spaCy token dicts")
            tokens = raw
        else:
            tokens = compile_pattern(raw, where, tokenizer)
        preps = {}
        for key, default in (("object_prep", [""]), ("subject_prep", [])):
            value = rec.get(key, default)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PatternError(path, lineno, f"{key!r} must be a list of words ('' for none)")
            preps[key] = tuple(v.lower() for v in value)
        window = rec.get("window", 6)
        if not isinstance(window, int) or not 1 <= window <= 30:
            raise PatternError(path, lineno, "'window' must be a whole number from 1 to 30")
        confidence = rec.get("confidence", 0.85 if frame in ("verb", "passive") else 0.8)
        if not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
            raise PatternError(path, lineno, "'confidence' must be a number in (0, 1]")
        types = rec.get("object_types", [])
        if not isinstance(types, list):
            raise PatternError(path, lineno, "'object_types' must be a list of actor types")
        reciprocal, inverse = rec.get("reciprocal", False), rec.get("inverse", False)
        if not isinstance(reciprocal, bool) or not isinstance(inverse, bool):
            raise PatternError(path, lineno, "'reciprocal' and 'inverse' must be true or false")
        not_before = rec.get("not_before", [])
        if not isinstance(not_before, list) or not all(isinstance(v, str) and v for v in not_before):
            raise PatternError(path, lineno, "'not_before' must be a list of words")
        stands_in_for, answers = (_optional_relation(rec, key, ontology, path, lineno)
                                  for key in ("stands_in_for", "answers"))
        if answers is not None and frame != "verb":
            raise PatternError(path, lineno, "'answers' is only for verb patterns")
        patterns.append(
            TriggerPattern(pid, relation, frame, tuple(tokens), preps["object_prep"],
                           preps["subject_prep"], window, float(confidence), tuple(types), where,
                           reciprocal, inverse, frozenset(v.lower() for v in not_before), stands_in_for,
                           answers)
        )
    if not patterns:
        raise PatternError(path, None, "no patterns")
    return patterns


def _optional_relation(rec: dict, key: str, ontology: Ontology, path, lineno) -> str | None:
    """The relation a pattern names under ``key`` (resolved to its local name), or None."""
    value = rec.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value not in ontology:
        raise PatternError(path, lineno, f"{key!r} {value!r} is not a relation in the ontology")
    return ontology.resolve(value).name


def load_events(ontology: Ontology, path: Path | None = None) -> tuple[dict[str, str], set[str]]:
    """Event phrases ("the strikes" -> attacks) and the relations that may take them as object.

    ``events.jsonl`` lines are either ``{"relation": R, "phrases": [...]}`` or
    ``{"reactions": [R, ...]}``.
    """
    path = Path(path) if path else ontology_dir() / "patterns" / "events.jsonl"
    phrases: dict[str, str] = {}
    reactions: set[str] = set()
    for lineno, rec in _jsonl(path):
        if set(rec) - {"relation", "phrases", "reactions", "note"}:
            raise PatternError(path, lineno, "an events record has 'relation' and 'phrases', or 'reactions'")
        names = rec.get("reactions", [rec.get("relation")] if "relation" in rec else [])
        for name in names:
            if not isinstance(name, str) or name not in ontology:
                raise PatternError(path, lineno, f"relation {name!r} is not in the ontology (kg.ttl)")
        if "reactions" in rec:
            reactions.update(ontology.resolve(n).name for n in names)
            continue
        values = rec.get("phrases")
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise PatternError(path, lineno, "'phrases' must be a list of non-empty strings")
        for v in values:
            if v.lower() in phrases:
                raise PatternError(path, lineno, f"phrase {v!r} is listed twice")
            phrases[v.lower()] = ontology.resolve(rec["relation"]).name
    return phrases, reactions


def load_cues(path: Path | None = None) -> dict[str, list[str]]:
    path = Path(path) if path else ontology_dir() / "patterns" / "cues.jsonl"
    cues: dict[str, list[str]] = {k: [] for k in CUE_KINDS}
    for lineno, rec in _jsonl(path):
        kind = rec.get("kind")
        if kind not in CUE_KINDS:
            raise PatternError(path, lineno, f"kind {kind!r} is not one of {', '.join(sorted(CUE_KINDS))}")
        phrases = rec.get("phrases")
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise PatternError(path, lineno, "'phrases' must be a list of non-empty strings")
        if set(rec) - {"kind", "phrases", "note"}:
            raise PatternError(path, lineno, "a cue record has only 'kind', 'phrases' and 'note'")
        for p in phrases:
            cues[kind].extend(_apostrophe_variants(p.lower()))
    return cues


# -- matching ------------------------------------------------------------------------------------
# Patterns written in the short language are matched by a small index over their first words;
# this is much faster than spaCy's Matcher with many ``IN`` sets (those are Python calls per token
# and predicate). Patterns given as spaCy token dicts still go through spaCy's Matcher.


def _steps(tokens) -> tuple | None:
    """Compile a Matcher pattern of the short language's shape into matching steps, or None."""
    steps = []
    for t in tokens:
        op = t.get("OP")
        if set(t) == {"OP"} and op and op.startswith("{0,"):
            steps.append(("gap", int(op[3:-1])))
            continue
        lower = t.get("LOWER")
        if set(t) - {"LOWER", "OP"} or not isinstance(lower, dict) or set(lower) != {"IN"} or op not in (None, "?"):
            return None
        steps.append(("word", frozenset(lower["IN"]), op == "?"))
    return tuple(steps)


def needs_spacy_matcher(pattern: "TriggerPattern") -> bool:
    """Whether the pattern is outside the short language (spaCy token dicts of other shapes)."""
    return _steps(pattern.tokens) is None


def _match(lower: list[str], i: int, steps: tuple, k: int = 0) -> int | None:
    """End of the shortest match of ``steps[k:]`` starting at token ``i`` (None if none)."""
    if k == len(steps):
        return i
    step = steps[k]
    if step[0] == "gap":
        for j in range(step[1] + 1):
            if i + j > len(lower):
                break
            end = _match(lower, i + j, steps, k + 1)
            if end is not None:
                return end
        return None
    if i < len(lower) and lower[i] in step[1]:
        end = _match(lower, i + 1, steps, k + 1)
        if end is not None:
            return end
    if step[2]:
        return _match(lower, i, steps, k + 1)
    return None


class TriggerIndex:
    """Find every pattern's matches in a list of lower-case tokens.

    Each pattern is filed under its most telling required word set (the anchor: a set free of
    stop words such as "the" and "has" where the pattern has one, else the smallest), so a
    sentence is tried only against the patterns whose anchor word it contains and whose other
    required words it has too. A match may start at the pattern's leading optional words or at
    its first required word, as the pattern language says.
    """

    def __init__(self, patterns: list[TriggerPattern], vocab=None):
        from spacy.lang.en.stop_words import STOP_WORDS

        self.entries: list[tuple[TriggerPattern, tuple, frozenset, tuple]] = []
        self.anchored: dict[str, list[int]] = {}
        self.raw: list[TriggerPattern] = []
        for p in patterns:
            steps = _steps(p.tokens)
            if steps is None:
                self.raw.append(p)
                continue
            required = [st[1] for st in steps if st[0] == "word" and not st[2]]
            starts: set[str] = set()
            for step in steps:  # a match starts at a leading optional word or the first required one
                if step[0] != "word":
                    continue
                starts |= step[1]
                if not step[2]:
                    break
            if required:
                anchor = min(required, key=lambda r: (not STOP_WORDS.isdisjoint(r), len(r)))
                others = tuple(r for r in required if r is not anchor)
            else:
                anchor, others = frozenset(starts), ()
            for w in anchor:
                self.anchored.setdefault(w, []).append(len(self.entries))
            self.entries.append((p, steps, frozenset(starts), others))
        self.anchor_words = frozenset(self.anchored)
        self.matcher = None
        if self.raw and vocab is not None:
            from spacy.matcher import Matcher

            self.matcher = Matcher(vocab)
            for p in self.raw:
                self.matcher.add(p.id, [list(p.tokens)])
        self.vocab = vocab

    def __call__(self, lower: list[str], span=None) -> list[tuple[TriggerPattern, int, int]]:
        out = []
        words = set(lower)
        hit = self.anchor_words.intersection(words)
        if hit:
            anchored, entries = self.anchored, self.entries
            if len(hit) == 1:
                candidates = anchored[next(iter(hit))]
            else:
                candidates = sorted({k for w in hit for k in anchored[w]})
            where: dict[str, list[int]] = {}
            for k in candidates:
                p, steps, starts, others = entries[k]
                possible = True
                for r in others:  # every required word set must occur somewhere in the sentence
                    if words.isdisjoint(r):
                        possible = False
                        break
                if not possible:
                    continue
                begin = starts.intersection(words)
                at = []
                for w in begin:
                    found = where.get(w)
                    if found is None:  # where the word occurs: list.index scans in C
                        found, i = [], -1
                        try:
                            while True:
                                i = lower.index(w, i + 1)
                                found.append(i)
                        except ValueError:
                            pass
                        where[w] = found
                    at.extend(found)
                if len(begin) > 1:
                    at.sort()
                for i in at:
                    end = _match(lower, i, steps)
                    if end is not None and end > i:
                        out.append((p, i, end))
        if self.matcher is not None and span is not None:
            by_id = {p.id: p for p in self.raw}
            for key, s, e in self.matcher(span):
                out.append((by_id[self.vocab.strings[key]], s, e))
        # One match per pattern and place: drop a match inside another of the same pattern.
        out.sort(key=lambda m: (m[1], -m[2]))
        kept = []
        spans: dict[str, list[tuple[int, int]]] = {}
        for m in out:
            mine = spans.setdefault(m[0].id, [])
            if any(a <= m[1] and m[2] <= b for a, b in mine):
                continue
            mine.append((m[1], m[2]))
            kept.append(m)
        return kept
