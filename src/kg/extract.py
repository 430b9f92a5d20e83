"""Extract typed, directed relations between actors from a document.

The stage is rule-based and needs no trained model: spaCy's blank English tokenizer, a
``PhraseMatcher`` for actor names (from the gazetteer) and a ``Matcher`` for relation triggers
(from ``ontology/patterns/relations.jsonl``). For each trigger a *frame* finds the subject and
object among the actor mentions of the sentence:

``verb``
    subject: the nearest actor before the trigger that is not the object of a preposition (nor of
    an earlier trigger, nor inside a relative clause); object: the first actor after it that the
    pattern's ``object_prep`` allows ("supplied shells *to* Russia"; ``""`` = direct object).
``passive``
    subject after ``by``; object after ``object_prep`` or before the trigger.
``noun``
    subject: the possessor or pre-modifier ("North Korea's close alignment with Russia", "the
    Kim-Putin summit", "Russian invasion of Ukraine"), an actor after ``subject_prep`` ("support
    for Kyiv *from* the EU", "talks *between* A and B"), or the sentence's topic ("For North
    Korea, ..."); object as for ``verb``. A symmetric relation between the members of a
    hyphenated or coordinated pre-modifier ("U.S.-South Korea-Japan cooperation") gives every pair.
``pair``
    a symmetric relation between the only two actors of the sentence.

"The two countries", "both", "they" and "bilateral" stand for the pair of actors the document
is about (the pair named together most often so far); "he", "its" for the nearest actor before.
Modality comes from cue words (``cues.jsonl``) in the trigger's clause: hedges make a statement
speculative, negators make it negated (a negated hedge counts as negated). Nominal statements
("X-Y cooperation") are presupposed and only take modifiers inside their noun phrase.

The output is plain dataclasses (:class:`Extraction`); nothing here knows about RDF.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from kg.documents import Document
from kg.gazetteer import Gazetteer, load_gazetteer
from kg.nlp import blank_english, needs_full_lexemes
from kg.ontology import Ontology, load_ontology
from kg.frames import POSSESSIVE_MARKS, Group, Mention, SentenceFrames, _governed_by
from kg.patterns import HYPHENS, TriggerIndex, TriggerPattern, load_cues, load_events, load_patterns, needs_spacy_matcher

__all__ = ["Extraction", "Extractor"]

SENTENCE_END = {".", "!", "?", "\u2026", "...", "!?", "?!"}
ANAPHORS = {"pair", "party", "pronoun", "pairmod", "triple", "plural", "group", "org"}
PAIR_WORDS = {"pair", "party", "pairmod", "triple", "plural", "group", "org"}
COORD_SKIP = {"the", "its", "their", "fellow", "neighbouring", "neighboring", "rival", "also"}
CLOSERS = {'"', "'", "\u201d", "\u2019", ")", "]", "\u00bb"}
MAX_CHUNK = 200_000  # characters tokenized at once; long documents are cut at paragraph breaks


@dataclass(slots=True)
class Extraction:
    doc: str
    subject: str  # actor key
    relation: str
    object: str
    modality: str
    confidence: float
    evidence: str
    start: int
    end: int
    rule: str
    trigger: str
    subject_text: str
    object_text: str
    sentence: int


class Extractions(list):
    """The extractions of one document, in text order; ``sentences`` is how many sentences the
    document has (a plain list otherwise, so that it pickles to and from worker processes)."""

    sentences: int = 0


class Extractor:
    """Holds the compiled gazetteer and patterns; :meth:`extract` is called per document."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        ontology: Ontology | None = None,
        patterns: list[TriggerPattern] | None = None,
        cues: dict[str, list[str]] | None = None,
        today: dt.date | None = None,
        vocabulary: str = "core",
    ):
        from spacy.matcher import PhraseMatcher

        self.nlp = blank_english()
        self.ontology = ontology or load_ontology()
        self.gazetteer = gazetteer or load_gazetteer()
        # Every pattern runs (an event or a pair in focus may come from any relation); only the
        # relations of the chosen vocabulary are emitted, and patterns that stand in for an
        # emitted relation are left out.
        self.vocabulary = vocabulary
        self.emit = self.ontology.vocabulary(vocabulary)
        self.patterns = [p for p in patterns or load_patterns(self.ontology, tokenizer=self.nlp.tokenizer)
                         if p.stands_in_for is None or p.stands_in_for not in self.emit]
        self.by_id = {p.id: p for p in self.patterns}
        if needs_full_lexemes(p.tokens for p in self.patterns if needs_spacy_matcher(p)):
            self.nlp = blank_english(lean=False)  # a spaCy token-dict pattern tests IS_PUNCT etc.
        self.vocab = self.nlp.vocab
        cues = cues or load_cues()
        self.today = today or dt.date.today()

        def phrase_sets(kind):
            single, multi = set(), []
            for phrase in cues.get(kind, []):
                toks = tuple(t.lower_ for t in self.nlp.make_doc(phrase))
                if len(toks) == 1:
                    single.add(toks[0])
                elif toks:
                    multi.append(toks)
            return single, multi

        self.cue = {kind: phrase_sets(kind) for kind in cues}
        # Modality cues by first word: word -> [(kind, phrase tokens)], for one pass per sentence.
        self.cue_table: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for kind in ("hedge", "clause_hedge", "nominal_hedge", "negation", "negation_after",
                     "not_negation", "not_hedge", "contest", "not_contest", "clause_negation"):
            single, multi = self.cue[kind]
            for w in single:
                self.cue_table.setdefault(w, []).append((kind, (w,)))
            for phrase in multi:
                self.cue_table.setdefault(phrase[0], []).append((kind, phrase))
        self.blocking = self.cue["blocking_prep"][0]
        self.skippable = self.cue["skippable"][0]
        self.clause_break = self.cue["clause_break"][0]
        self.relative = self.cue["relative"][0]
        self.non_actor_heads = self.cue["non_actor_head"][0]
        self.topic_leads = self.cue["topic_lead"][0]
        self.company_nouns = self.cue["company_noun"][0]
        self.reflexive_heads = self.cue["reflexive_head"][0]
        self.place_nouns = self.cue["place_noun"][0]
        self.nominal_hedges = self.cue["nominal_hedge"][0]
        self.reporting_nouns = self.cue["reporting_noun"][0]
        self.issue_verbs = self.cue["issue_verb"][0]
        self.offer_nouns = self.cue["offer_noun"][0]
        self.clause_words = self.cue["clause_word"][0]
        self.speech_verbs = {"say", "says", "said", "claim", "claims", "claimed", "allege", "alleges",
                             "alleged", "insist", "insists", "insisted", "maintain", "maintains"}
        self.modifier_participles = self.cue["modifier_participle"][0]
        self.owner_participles = self.cue["owner_participle"][0]
        self.control_nouns = self.cue["control_noun"][0]
        self.request_nouns = self.cue["request_noun"][0]
        self.deliberation_verbs = self.cue["deliberation_verb"][0]
        self.modifier_heads = self.cue["modifier_head"][0]
        self._type_kind = {"NonStateGroup": "group", "IntergovernmentalOrganization": "org"}
        self.role_nouns = self.cue["role_noun"][0] | {p[-1] for p in self.cue["role_noun"][1]}

        # Actor names match case-sensitively ("US" is not "us"); "the Kremlin" also matches
        # "The Kremlin", and straight and curly apostrophes match each other.
        # Each alias is tokenized once; its variants reuse the token boundaries.
        from spacy.tokens import Doc

        self.actor_matcher = PhraseMatcher(self.vocab, attr="ORTH")
        self.alias_by_key: dict[int, object] = {}
        aliases = list(self.gazetteer.aliases.items())
        for (text, alias), doc in zip(aliases, self.nlp.tokenizer.pipe([t for t, _ in aliases])):
            words = [t.text for t in doc]
            spaces = [bool(t.whitespace_) for t in doc]
            forms = {tuple(words)}
            forms |= {tuple(w.replace("'", "\u2019") for w in f) for f in forms}
            forms |= {tuple(w.replace("\u2019", "'") for w in f) for f in forms}
            if text[:1].islower():
                forms |= {(f[0][:1].upper() + f[0][1:],) + f[1:] for f in forms}
            key = "ACTOR:" + text
            self.alias_by_key[self.vocab.strings.add(key)] = alias
            self.actor_matcher.add(key, [Doc(self.vocab, words=list(f), spaces=spaces) for f in forms])

        self.anaphor_matcher = PhraseMatcher(self.vocab, attr="LOWER")
        labels = {"pair_anaphor": "pair", "pair_modifier": "pairmod", "party_anaphor": "party",
                  "singular_pronoun": "pronoun", "triple_anaphor": "triple", "plural_anaphor": "plural",
                  "group_anaphor": "group", "org_anaphor": "org"}
        for kind, label in labels.items():
            if cues.get(kind):
                self.anaphor_matcher.add(label, list(self.nlp.tokenizer.pipe(cues[kind])))
        self.anaphor_labels = {self.vocab.strings.add(label): label for label in labels.values()}
        # Event phrases ("the strikes") stand for the actor of an earlier relation.
        event_phrases, self.reactions = load_events(self.ontology)
        # "its invasion": the head noun of an event phrase says which relation's actor "its" is.
        self.event_heads = {phrase.split()[-1]: relation for phrase, relation in event_phrases.items()}
        for phrase, relation in event_phrases.items():
            key = "EVENT:" + relation
            self.anaphor_matcher.add(key, [self.nlp.make_doc(phrase)])
            self.anaphor_labels[self.vocab.strings.add(key)] = key

        self.triggers = TriggerIndex(self.patterns, self.vocab)

        strings = self.vocab.strings
        self._end_id_set = {strings.add(x) for x in SENTENCE_END}
        self._closer_ids = {strings.add(x) for x in CLOSERS}
        self._possessive_ids = {strings.add(x) for x in POSSESSIVE_MARKS}

    # -- public API ------------------------------------------------------------------------------
    def extract(self, document: Document) -> Extractions:
        """All relation mentions in one document, in text order."""
        from spacy.attrs import IDX, IS_SPACE, LENGTH, ORTH

        day = document.date or self.today
        state = _DocState()
        out = Extractions()
        sentence_no = 0
        for base, chunk in _chunks(document.text, document.body_start):
            doc = self.nlp.tokenizer(chunk)
            if not len(doc):
                continue
            arr = doc.to_array([ORTH, IDX, LENGTH, IS_SPACE]).tolist()
            folded = chunk.lower()
            if len(folded) != len(chunk):  # a few characters lower-case to two ("İ")
                folded = None
            sentences = self._sentences(chunk, arr)
            mentions = self._mentions(doc, chunk, arr, day)
            if not mentions:
                sentence_no += len(sentences)
                continue
            by_sentence = _bucket(mentions, sentences)
            for (s, e), ms in zip(sentences, by_sentence):
                sentence_no += 1
                if not ms:
                    continue
                if state.pending_types:  # named in an earlier sentence: "the group" may refer to it
                    state.last_of_type.update(state.pending_types)
                    state.pending_types.clear()
                self._note_types(ms, state)
                # One actor and no "the two countries" or pronoun: no relation can be stated.
                if len({a for m in ms for a in m.actors}) >= 2 or any(
                    m.kind in PAIR_WORDS or m.kind[:6] == "EVENT:" or m.kind == "pronoun" for m in ms
                ):
                    out.extend(self._sentence(document.id, doc, chunk, folded, arr, base, s, e, ms, state, sentence_no))
                # What the next sentence's "it" may refer to: this one's actors, pronouns resolved.
                state.prev_named = (state.resolved[1] if state.resolved[0] == sentence_no else
                                    [(m.actors, m.kind == "person") for m in ms if m.named and m.actors])
                state.prev_sentence = sentence_no
        out.sentences = sentence_no
        return out

    def record(self, x: Extraction) -> dict:
        """The JSON Lines record of one extraction (the keys `kg extract` prints)."""
        s, o = self.gazetteer.actor(x.subject), self.gazetteer.actor(x.object)
        rel = self.ontology.relations[x.relation]
        return {
            "doc": x.doc,
            "subject": s.name,
            "subject_id": s.qid,
            "subject_code": s.code,
            "relation": x.relation,
            "object": o.name,
            "object_id": o.qid,
            "object_code": o.code,
            "modality": x.modality,
            "confidence": x.confidence,
            "evidence": x.evidence,
            "start": x.start,
            "end": x.end,
            "plover": rel.plover,
            "cameo": rel.cameo,
            "rule": x.rule,
            "trigger": x.trigger,
            "subject_text": x.subject_text,
            "object_text": x.object_text,
        }

    # -- sentences and mentions -----------------------------------------------------------------
    def _sentences(self, chunk: str, arr: list) -> list[tuple[int, int]]:
        """Sentence token spans: after . ! ? (and closing quotes), and at line breaks."""
        n = len(arr)
        end_ids, closers = self._end_id_set, self._closer_ids
        ends = []
        # Only sentence-final punctuation and white space can end a sentence: find those first.
        candidates = [i for i, a in enumerate(arr) if a[3] or a[0] in end_ids]
        for i in candidates:
            orth, idx, length, space = arr[i]
            if orth in end_ids:
                j = i + 1
                while j < n and arr[j][0] in closers:
                    j += 1
                ends.append(j)
            elif space:
                text = chunk[idx : idx + length]
                if "\n" not in text:
                    continue
                if text.count("\n") > 1 or i + 1 >= n or i == 0:
                    ends.append(i)
                    continue
                # A single line break ends a sentence only where a heading or list item ends:
                # hard-wrapped prose goes on to the next line.
                p_idx, p_len = arr[i - 1][1], arr[i - 1][2]
                prev = chunk[p_idx : p_idx + p_len]
                nxt = chunk[arr[i + 1][1] : arr[i + 1][1] + 1]
                if nxt.isupper() or nxt.isdigit() or (nxt and nxt in "-*#>\u2022"):
                    if not prev[:1].islower() and prev not in {",", ";"}:
                        ends.append(i)
        bounds, start = [], 0
        for end in ends:
            if end > start:
                bounds.append((start, end))
                start = end
        if start < n:
            bounds.append((start, n))
        cleaned = []
        for s, e in bounds:
            while s < e and arr[s][3]:
                s += 1
            while e > s and arr[e - 1][3]:
                e -= 1
            if e > s:
                cleaned.append((s, e))
        return cleaned

    def _mentions(self, doc, chunk: str, arr: list, day: dt.date) -> list[Mention]:
        found = [(s, e, "actor", key) for key, s, e in self.actor_matcher(doc)]
        found += [(s, e, self.anaphor_labels[key], key) for key, s, e in self.anaphor_matcher(doc)]
        if not found:
            return []
        found.sort(key=lambda m: (m[0], -(m[1] - m[0]), m[2] != "actor"))
        mentions: list[Mention] = []
        last_end = -1
        n = len(arr)
        possessive_ids = self._possessive_ids
        for s, e, label, key in found:
            if s < last_end:
                continue
            if label == "actor":
                alias = self.alias_by_key[key]
                if alias.kind == "person" and e - s == 1 and e + 1 < n and not arr[e][3]:
                    # "Kim Hong-kyun", "Kim Yo Jong" are not Kim Jong Un: a surname followed by
                    # short capitalised given names is someone else.
                    nxt = chunk[arr[e][1] : arr[e][1] + arr[e][2]]
                    after = chunk[arr[e + 1][1] : arr[e + 1][1] + arr[e + 1][2]]
                    if nxt[:1].isupper() and nxt.isalpha() and len(nxt) <= 5 and (
                        after in HYPHENS or (after[:1].isupper() and after.isalpha() and len(after) <= 5)
                    ) and nxt.lower() not in self.triggers.anchor_words:  # not "Erdogan Hosts Putin"
                        continue
                actor, person = self.gazetteer.resolve(alias, day)
                if actor is None:
                    continue
                kind = alias.kind
                actors = (actor,)
            else:
                if label == "pair" and e - s == 1 and e < n and not arr[e][3]:
                    # "both X and Y" lists its actors itself; "both" alone refers back.
                    word = chunk[arr[s][1] : arr[s][1] + arr[s][2]].lower()
                    nxt = chunk[arr[e][1] : arr[e][1] + 1]
                    if word == "both" and nxt.isupper():
                        continue
                kind, actors, person = label, (), None
            possessive = e < n and arr[e][0] in possessive_ids
            text = chunk[arr[s][1] : arr[e - 1][1] + arr[e - 1][2]]
            mentions.append(Mention(s, e, actors, kind, text, possessive, person))
            last_end = e
        return mentions

    # -- one sentence ------------------------------------------------------------------------------
    def _sentence(self, doc_id, doc, chunk, folded, offsets, base, s, e, mentions, state, sentence_no) -> list[Extraction]:
        if folded is not None:
            lower = [folded[a : a + n] for _, a, n, _ in offsets[s:e]]  # sentence-relative tokens
        else:
            lower = [chunk[a : a + n].lower() for _, a, n, _ in offsets[s:e]]
        rel = [Mention(m.start - s, m.end - s, m.actors, m.kind, m.text, m.possessive, m.person) for m in mentions]
        matches = self.triggers(lower, doc[s:e] if self.triggers.raw else None)
        if not matches:
            # No relation here, but a pair named together still sets the document's focus.
            self._note_named_together(self._groups([m for m in rel if m.named], lower), state, sentence_no)
            return []
        self._resolve_anaphors(rel, lower, state, {me for _, _, me in matches}, sentence_no)
        groups = self._groups(rel, lower, headline="," in lower and _is_headline(chunk, offsets, s, e))
        self._note_named_together(groups, state, sentence_no)
        if not groups:
            return []
        distinct = {a for g in groups for a in g.actors}
        has_pair_words = any(g.kind in ("anaphor", "party", "pairmod") for g in groups)
        if len(distinct) < 2 and not has_pair_words:
            return []
        mention_tokens = set()
        for m in rel:
            if m.kind != "party":
                mention_tokens.update(range(m.start, m.end))
        triggers = []
        seen = set()
        for pattern, ms, me in matches:
            if (pattern.id, ms) in seen:
                continue
            seen.add((pattern.id, ms))
            if ms in mention_tokens or me - 1 in mention_tokens:
                continue  # "Gulf Cooperation Council" is a name, not a trigger
            triggers.append((pattern, ms, me))
        # A trigger inside a longer one of another pattern gives way ("to be targeting" over
        # "targeting"); the longer match is the more specific reading. One that starts later is
        # read after all if none of the longer ones found its arguments ("launched their joint
        # exercises" names no target for drills, but the exercises are still joint; the "trade"
        # of "trade strikes" is never commerce).
        kept, held = [], []
        for t in triggers:
            outer = [o for o in triggers if o is not t and o[1] <= t[1] and t[2] <= o[2]
                     and (o[2] - o[1]) > (t[2] - t[1]) and o[0].relation != t[0].relation]
            if not outer:
                kept.append((t, outer))
            elif all(o[1] < t[1] for o in outer):
                held.append((t, outer))
        triggers = [t for t, _ in kept]
        held.sort(key=lambda h: h[0][0].frame != "verb")
        read: set[tuple[str, int, int]] = set()

        def unread_inner():
            for t, outer in held:
                if not any((o[0].id, o[1], o[2]) in read for o in outer):
                    yield t

        ctx = SentenceFrames(self, lower, groups, triggers, state)
        results: dict[tuple, Extraction] = {}
        a = offsets[s][1]
        b = offsets[e - 1][1] + offsets[e - 1][2]
        sent_start, sent_end = a + base, b + base
        evidence = chunk[a:b]
        # A word read as a verb with arguments ("Warplanes Strike Houthi Targets") is not read
        # again as a noun of the same relation ("strike ... in Yemen").
        triggers.sort(key=lambda t: t[0].frame != "verb")
        verb_read: set[tuple[int, str]] = set()
        for pattern, ms, me in chain(triggers, unread_inner()):
            if pattern.frame == "noun" and (ms, pattern.relation) in verb_read:
                continue
            for subj, obj, conf in ctx.arguments(pattern, ms, me):
                if pattern.not_before and not pattern.not_before.isdisjoint(lower[obj.end : obj.end + 3]):
                    continue  # "hosts a Russian military base": the base, not Russia
                read.add((pattern.id, ms, me))
                if pattern.frame == "verb":
                    verb_read.add((ms, pattern.relation))
                if pattern.inverse:
                    subj, obj = obj, subj
                for a in subj.actors:
                    for b in obj.actors:
                        if a == b:
                            continue
                        relation = self.ontology.relations[pattern.relation]
                        if pattern.object_types and self.gazetteer.actor(b).type not in pattern.object_types:
                            continue
                        modality = ctx.modality(pattern, ms, me, subj, obj)
                        x, y = (min(a, b), max(a, b)) if relation.symmetric else (a, b)
                        k = (x, pattern.relation, y)
                        old = results.get(k)
                        if old is not None and _rank(old.modality) <= _rank(modality) and old.confidence >= conf:
                            continue
                        results[k] = Extraction(
                            doc=doc_id, subject=a, relation=pattern.relation, object=b,
                            modality=modality, confidence=round(conf, 2), evidence=evidence,
                            start=sent_start, end=sent_end, rule=pattern.id,
                            trigger=chunk[offsets[s + ms][1] : offsets[s + me - 1][1] + offsets[s + me - 1][2]],
                            subject_text=subj.text, object_text=obj.text, sentence=sentence_no,
                        )
        for relation, subj, obj in ctx.implied:
            for a in subj.actors:
                for b in obj.actors:
                    if a != b and (a, relation, b) not in results:
                        results[(a, relation, b)] = Extraction(
                            doc=doc_id, subject=a, relation=relation, object=b, modality="asserted",
                            confidence=0.7, evidence=evidence, start=sent_start, end=sent_end,
                            rule="implied." + relation, trigger="", subject_text=subj.text,
                            object_text=obj.text, sentence=sentence_no)
        # A generic relation that only restates a more specific one for the same pair goes.
        keep = []
        for (x, r, y), ex in results.items():
            if any(
                (x2, y2) in ((x, y), (y, x)) and r2 != r and r2 in self.emit
                and self.ontology.is_more_specific(r2, r)
                for (x2, r2, y2) in results
            ):
                continue
            keep.append(ex)
        events: dict[str, list[str]] = {}
        for ex in keep:
            if ex.modality != "negated":
                rel = self.ontology.relations[ex.relation]
                actors = events.setdefault(ex.relation, [])
                actors.extend([ex.subject, ex.object] if rel.symmetric else [ex.subject])
            state.note_pair((ex.subject, ex.object), weight=2 if sentence_no == 1 else 1)
        for relation, actors in ctx.partial_events:
            if relation not in events:
                events[relation] = list(actors)
        for relation, actors in events.items():
            state.note_event(relation, actors)
        return [ex for ex in keep if ex.relation in self.emit]

    @staticmethod
    def _note_named_together(groups: list[Group], state: "_DocState", sentence_no: int) -> None:
        """Actors named together ("Russia and China", "North Korea-Russia") set the document's
        focus, and at a sentence's start stand for the next sentence's "they"."""
        for g in groups:
            if len(g.actors) >= 2 and g.kind in ("compound", "coord"):
                state.note_pair(g.actors, weight=3 if sentence_no == 1 else 1)
                if g.start <= 1:
                    state.opening = (sentence_no, g.actors)

    def _note_types(self, mentions: list[Mention], state: "_DocState") -> None:
        """Remember the last non-state group and organisation named, for "the group", "the bloc"."""
        for m in mentions:
            if not m.named or not m.actors:
                continue
            kind = self._type_kind.get(self.gazetteer.actor(m.actors[0]).type)
            if kind:
                state.pending_types[kind] = m.actors

    def _resolve_anaphors(self, mentions: list[Mention], lower: list[str], state: "_DocState",
                          trigger_ends: set[int] = frozenset(), sentence_no: int = 0):
        focus = state.focus()
        for i, m in enumerate(mentions):
            if m.kind == "pair" and lower[m.start] in ("they", "their"):
                # "Houthi leaders say they ...": the actors just named; at the start of a sentence
                # the actors the previous one opened with ("The US and the EU have ... They
                # have also warned Iran"); else the pair in focus.
                opening = state.opening[1] if state.opening[0] == sentence_no - 1 and m.start <= 1 else ()
                m.actors = self._preceding_actors(mentions[:i], lower) or opening or focus or ()
            elif m.kind == "pair" and lower[m.start] != "them" and (
                lower[m.start] in ("each", "one")  # "each other", "one another": always the pair named
                or not any(m.start - 2 <= te <= m.start for te in trigger_ends)
            ):
                # "talks between the two sides": the two actors just named in this sentence, if
                # there are exactly two; else the pair the document is about. Not for an object
                # ("China urged both countries"), which is rarely its own subject's pair.
                here = tuple(dict.fromkeys(a for q in mentions[:i] if q.named for a in q.actors))
                m.actors = here if len(here) == 2 else (focus or ())
            elif (m.kind == "pair" and lower[m.start] == "them") or m.kind == "plural":
                m.actors = state.last_plural or focus or ()
            elif m.kind == "triple":
                m.actors = state.last_triple or ()
            elif m.kind in ("group", "org"):
                m.actors = state.last_of_type.get(m.kind, ())
            elif m.kind in ("pair", "pairmod"):
                m.actors = focus or ()
            elif m.kind == "party":
                m.actors = state.last_event.get("signsAgreementWith") or focus or ()
            elif m.kind[:6] == "EVENT:":
                m.actors = state.last_event.get(m.kind[6:], ())
            elif m.kind == "pronoun" and (owner := self._event_owner(m, mentions[:i], lower, state)):
                m.actors = owner
            elif m.kind == "pronoun" and lower[m.start] == "its" and (
                    owner := self._event_possessor(m, mentions[:i], lower)):
                m.actors = owner
            elif m.kind == "pronoun":
                want_person = lower[m.start] in {"he", "his", "she", "her"}
                for prev in reversed(mentions[:i]):
                    if any(t in {":", ";"} for t in lower[prev.end : m.start]):
                        break
                    if not prev.actors or prev.kind in ("pair", "party", "pronoun") or prev.kind[:6] == "EVENT:":
                        continue  # "denounced the strikes, saying it ...": "it" is not the strikers
                    if (prev.possessive and prev.start >= 2 and lower[prev.start - 1] == ","
                            and any(q.end == prev.start - 1 and q.actors for q in mentions[:i])):
                        continue  # "Britain, Guyana's former ruler, said it": Britain, not Guyana
                    if want_person and prev.kind != "person":
                        continue
                    if not want_person and prev.kind == "person":
                        continue
                    if not want_person and _governed_by(lower, prev.start, self.blocking, self.skippable):
                        continue
                    if lower[m.start] == "its" and any(prev.start - 2 <= te <= prev.start and "that" not in lower[te - 1 : prev.start]
                                                       for te in trigger_ends):
                        continue  # "condemned China's actions and said its treaty": not China's
                    if (lower[m.start] == "it" and m.start > 0 and lower[m.start - 1] in self.blocking
                            and prev is mentions[0] and prev.start <= 1):
                        continue  # "Moscow ... pledged to expand ties with it": not Moscow itself
                    m.actors = prev.actors
                    break
                else:
                    if (lower[m.start] in ("it", "its") and state.prev_sentence == sentence_no - 1
                            and not any(q.named and q.actors and q.kind != "person" for q in mentions[:i]
                                        if not (q is mentions[0] and lower[m.start - 1] in self.blocking))):
                        # "Beijing rejected the accusation. It said ...": the previous sentence's
                        # first actor, when this one has none before the pronoun.
                        first = next((actors for actors, person in state.prev_named if not person), None)
                        if first is not None:
                            m.actors = first
        mentions[:] = [m for m in mentions if m.actors]
        state.resolved = (sentence_no, [
            (m.actors, m.kind == "person" or (m.kind == "pronoun" and lower[m.start] in ("he", "his", "she", "her")))
            for m in mentions if m.named or m.kind == "pronoun"])

    def _event_owner(self, m: Mention, before: list[Mention], lower: list[str], state) -> tuple[str, ...]:
        """"sanctions against Moscow over its invasion of Ukraine": "its" is whoever the document
        has seen invading, if that actor was just named."""
        if lower[m.start] not in ("its", "his", "her"):
            return ()
        for t in lower[m.end : m.end + 3]:
            relation = self.event_heads.get(t)
            if relation:
                agents = set(state.last_event.get(relation, ()))
                for prev in reversed(before):
                    if prev.actors and agents & set(prev.actors) and prev.named:
                        return prev.actors
                return ()
        return ()

    def _event_possessor(self, m: Mention, before: list[Mention], lower: list[str]) -> tuple[str, ...]:
        """"sanctions against Moscow over its invasion of Ukraine": "its" before an event noun
        followed by "of" is the nearest actor named before it, whatever governs that actor."""
        head = lower[m.end : m.end + 3]
        k = next((j for j, t in enumerate(head) if t in self.event_heads), None)
        if k is None or m.end + k + 1 >= len(lower) or lower[m.end + k + 1] != "of":
            return ()
        for prev in reversed(before):
            if any(t in {":", ";"} for t in lower[prev.end : m.start]):
                return ()
            if prev.named and prev.actors and prev.kind != "person" and not prev.possessive:
                return prev.actors
        return ()

    def _preceding_actors(self, before: list[Mention], lower: list[str]) -> tuple[str, ...]:
        """The actors of the nearest earlier mention (and those coordinated with it)."""
        run: list[Mention] = []
        for prev in reversed(before):
            if not prev.actors or prev.kind in ("pronoun", "pairmod", "party") or prev.kind[:6] == "EVENT:":
                if run:
                    break
                continue
            if run:
                between = [t for t in lower[prev.end : run[-1].start] if t not in COORD_SKIP]
                if between not in (["and"], [","], [",", "and"], ["-"], ["\u2013"], ["or"]):
                    break
            elif _governed_by(lower, prev.start, self.blocking, self.skippable):
                continue
            run.append(prev)
        return tuple(dict.fromkeys(a for m in reversed(run) for a in m.actors))

    def _groups(self, mentions: list[Mention], lower: list[str], headline: bool = False) -> list[Group]:
        groups: list[Group] = []
        i = 0
        while i < len(mentions):
            chain = [mentions[i]]
            joins = []
            j = i
            while j + 1 < len(mentions):
                a, b = mentions[j], mentions[j + 1]
                between = [t for t in lower[a.end : b.start] if t not in COORD_SKIP]
                if not (a.named and b.named):
                    break
                if a.possessive:
                    if between in (["'s", "and"], ["\u2019s", "and"], ["'", "and"]):
                        joins.append("and")
                    else:
                        break
                elif len(between) == 1 and between[0] in HYPHENS:
                    joins.append("-")
                elif between in (["and"], ["or"], ["nor"], ["&"], [",", "and"], [",", "or"], ["as", "well", "as"], ["and", "fellow"], ["and", "its", "ally"]):
                    if "," in lower[a.end : b.start] and ((b.kind == "demonym") != (a.kind == "demonym") or a.actors == b.actors):
                        break  # "into northern Israel, and Israeli officials ...": a new clause
                    joins.append("and")
                elif between == [","]:
                    joins.append(",")
                elif (between == ["joined"] and not b.possessive and b.end + 1 < len(lower) and lower[b.end] == "in"
                        and lower[b.end + 1].endswith("ing")):
                    joins.append("and")  # "Japan joined South Korea in condemning ...": both condemn
                elif a.actors == b.actors and all(t[:1].isalpha() for t in between) and len(between) <= 3 and b.kind == "person":
                    joins.append("=")  # "Russian President Vladimir Putin"
                else:
                    break
                chain.append(b)
                j += 1
            # A comma list must be closed by "and"/"or"; otherwise a comma is apposition (but
            # a headline's comma is its "and": "India, Pakistan Exchange Fire").
            if "," in joins and (joins[-1] != "and") and not headline:
                cut = joins.index(",")
                chain, joins = chain[: cut + 1], joins[:cut]
            actors = tuple(dict.fromkeys(a for m in chain for a in m.actors))
            if chain[0].kind in ("pair", "party", "pairmod", "triple", "plural", "group", "org"):
                kind = {"party": "party", "pairmod": "pairmod"}.get(chain[0].kind, "anaphor")
            elif chain[0].kind[:6] == "EVENT:":
                kind = "event"
            elif len(actors) < 2:
                kind = "single"
            elif all(x == "-" for x in joins if x != "="):
                kind = "compound"
            else:
                kind = "coord"
            groups.append(Group(chain[0].start, chain[-1].end, actors, chain, kind, chain[-1].possessive))
            i += len(chain)
        return groups


def _is_headline(chunk: str, offsets: list, s: int, e: int) -> bool:
    """A line in title case with no closing punctuation: "Philippines, Japan Sign Defence Pact"."""
    last = chunk[offsets[e - 1][1] : offsets[e - 1][1] + offsets[e - 1][2]]
    if e - s < 3 or last in (".", "!", "?", ";", ":", ",", '"', "\u201d", "'", "\u2019", ")"):
        return False
    words = [chunk[a : a + n] for _, a, n, _ in offsets[s:e]]
    words = [w for w in words if w[:1].isalpha() and w.lower() not in _SMALL_WORDS]
    return len(words) >= 2 and all(w[:1].isupper() for w in words)


# Words a title-case headline leaves in lower case.
_SMALL_WORDS = frozenset({"a", "an", "the", "and", "or", "nor", "but", "of", "in", "on", "at", "to", "for",
                          "by", "with", "from", "as", "vs", "over", "into", "amid", "after", "near"})


def _rank(modality: str) -> int:
    return {"asserted": 0, "speculative": 1, "negated": 2}[modality]


class _DocState:
    """What the sentences of one document share: how often each pair was named together."""

    def __init__(self):
        self.pairs: Counter = Counter()
        self.last_seen: dict[tuple, int] = {}
        self.clock = 0
        self.last_event: dict[str, tuple[str, ...]] = {}  # relation -> its main actor(s) so far
        self.event_counts: dict[str, Counter] = {}
        self.last_plural: tuple[str, ...] | None = None  # the latest actors named together
        self.last_triple: tuple[str, ...] | None = None
        self.last_of_type: dict[str, tuple[str, ...]] = {}  # "group"/"org" -> the latest one named
        self.pending_types: dict[str, tuple[str, ...]] = {}  # seen in this sentence, used from the next
        self.prev_named: list[tuple[tuple[str, ...], bool]] = []  # (actors, a person?) of the previous sentence
        self.prev_sentence = -1
        self.resolved: tuple[int, list] = (-1, [])  # the same for the sentence just resolved, pronouns included
        self.opening: tuple[int, tuple[str, ...]] = (-1, ())  # (sentence, actors) of "X and Y ..." at its start

    def note_event(self, relation: str, actors: list[str]) -> None:
        """"The strikes" later stands for the actors who carried out most of the strikes so far."""
        counts = self.event_counts.setdefault(relation, Counter())
        counts.update(dict.fromkeys(actors, 1))
        top = max(counts.values())
        ranked = sorted(counts, key=lambda a: -counts[a])
        self.last_event[relation] = tuple(a for a in ranked if counts[a] * 2 >= top)[:3]

    def note_pair(self, actors: tuple[str, ...], weight: int = 1):
        self.clock += 1
        if len(actors) >= 2:
            self.last_plural = actors
        if len(actors) == 3:
            self.last_triple = actors
        for i, a in enumerate(actors):
            for b in actors[i + 1 :]:
                k = tuple(sorted((a, b)))
                self.pairs[k] += weight
                self.last_seen[k] = self.clock

    def focus(self) -> tuple[str, ...] | None:
        if not self.pairs:
            return None
        best = max(self.pairs, key=lambda k: (self.pairs[k], self.last_seen[k]))
        return best


def _bucket(mentions: list[Mention], sentences: list[tuple[int, int]]) -> list[list[Mention]]:
    out: list[list[Mention]] = [[] for _ in sentences]
    starts = [s for s, _ in sentences]
    for m in mentions:
        k = bisect.bisect_right(starts, m.start) - 1
        if k >= 0 and m.end <= sentences[k][1]:
            out[k].append(m)
    return out


_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def _chunks(text: str, start: int) -> Iterator[tuple[int, str]]:
    """The body's paragraphs (text between blank lines), each at most MAX_CHUNK characters.

    spaCy's tokenizer is many times faster on paragraphs than on a whole document with its
    blank lines, and no sentence crosses a blank line anyway.
    """
    for m in _PARAGRAPH.finditer(text, start):
        if m.start() > start:
            yield from _cut(text, start, m.start())
        start = m.end()
    if start < len(text):
        yield from _cut(text, start, len(text))


def _cut(text: str, start: int, stop: int) -> Iterator[tuple[int, str]]:
    while start < stop:
        end = min(stop, start + MAX_CHUNK)
        if end < stop:
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end
