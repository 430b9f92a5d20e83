"""Argument frames and modality for the triggers of one sentence (used by :mod:`kg.extract`).

A :class:`SentenceFrames` holds one sentence's lower-cased tokens, its actor groups and its
trigger matches; :meth:`SentenceFrames.arguments` finds subject and object for a trigger by its
pattern's frame, :meth:`SentenceFrames.modality` reads the cue words around it. See the
:mod:`kg.extract` docstring for what each frame means.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from typing import TYPE_CHECKING

from kg.patterns import HYPHENS, TriggerPattern

if TYPE_CHECKING:  # pragma: no cover
    from kg.extract import Extractor

QUESTION_OPENERS = {
    "will", "would", "could", "can", "does", "do", "did", "is", "are", "was", "were", "has",
    "have", "had", "should", "may", "might", "shall",
}
POSSESSIVE_MARKS = frozenset({"'s", "\u2019s", "'", "\u2019"})
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her",
               "our", "any", "every", "each", "no"}
VERB_ADVERBS = frozenset({"also", "often", "still", "again", "regularly", "frequently", "sometimes",
                          "routinely", "repeatedly", "never", "rarely", "now", "already", "usually"})
LOCATIVE = frozenset({"near", "along", "on", "at", "across", "to", "toward", "towards", "from", "over"})
COPULA = frozenset({"is", "was", "are", "were", "remains", "remained", "became", "becomes"})
NAMED_KINDS = {"name", "alias", "demonym", "metonym", "person"}
# Relations whose object may be named as the holder of a place: "shelled RSF-held districts".
TARGETING = frozenset({"attacks", "invades", "threatens", "deploysTroopsTo"})
CONDITIONAL_OPENERS = {"if", "unless", "should", "whether", "were"}
MODAL_AFTER_THAT = {"would", "will", "could", "can", "may", "might", "must", "should", "faces", "face",
                    "risks", "was", "is", "had", "has"}


@dataclass(slots=True)
class Mention:
    start: int  # token offsets in the chunk
    end: int
    actors: tuple[str, ...]
    kind: str  # name | alias | demonym | metonym | person | pair | party | pronoun
    text: str
    possessive: bool = False
    person: str | None = None

    @property
    def named(self) -> bool:
        """Does the text name an actor here (not "they", "the two countries", "the strikes")?"""
        return self.kind in NAMED_KINDS


@dataclass(slots=True)
class Group:
    """One or more mentions read as a unit: "Russia", "North Korea-Russia", "Russia and China"."""

    start: int
    end: int
    actors: tuple[str, ...]
    mentions: list[Mention]
    kind: str  # single | compound | coord | anaphor | party
    possessive: bool = False

    @property
    def text(self) -> str:
        return " / ".join(m.text for m in self.mentions)

    @property
    def via(self) -> str:
        return self.mentions[0].kind


def _governed_by(lower, start, preps, skippable, limit=3) -> str | None:
    """The preposition governing a mention that starts at ``start`` (skipping determiners)."""
    i = start - 1
    steps = 0
    while i >= 0 and steps < limit and lower[i] in skippable:
        i -= 1
        steps += 1
    if i >= 0 and lower[i] in preps:
        return lower[i]
    return None



class SentenceFrames:
    """Argument finding and modality for the triggers of one sentence."""

    def __init__(self, ex: "Extractor", lower, groups, triggers, state):
        self.ex = ex
        self.lower = lower
        self.groups = groups
        self.triggers = triggers
        self.n = len(lower)
        self.topic = self._topic()
        self.relative_spans = self._relative_spans()
        self.appositives = self._appositives()
        self.trigger_ends = {me for _, _, me in triggers}
        self._hits: dict[str, list[tuple[int, int]]] | None = None
        self.partial_events: list[tuple[str, tuple[str, ...]]] = []
        self.implied: list[tuple[str, Group, Group]] = []  # (relation, subject, object) a rebuttal implies
        self.state = state

    # -- helpers ---------------------------------------------------------------------------------
    def _topic(self) -> Group | None:
        lower = self.lower
        if not lower or lower[0] not in self.ex.topic_leads:
            return None
        for g in self.groups:
            if g.start > 4:
                break
            if g.kind in ("single", "compound", "coord") and "," in lower[g.end : g.end + 6]:
                return g
        return None

    def _relative_spans(self) -> list[tuple[int, int]]:
        spans = []
        lower = self.lower
        for i, t in enumerate(lower[:-1]):
            if t == "," and lower[i + 1] in self.ex.relative:
                j = i + 2
                while j < self.n and lower[j] not in {",", ";", ":", "."}:
                    j += 1
                spans.append((i, j))
        return spans

    def _appositives(self) -> list[tuple[int, int, Group]]:
        """", Azerbaijan's closest ally," after "Turkey": (comma, closing comma, head group)."""
        spans = []
        lower = self.lower
        for g in self.groups:
            i = g.end + (1 if g.possessive else 0)
            if i >= self.n - 1 or lower[i] != "," or lower[i + 1] in self.ex.relative:
                continue
            j = i + 1
            while j < self.n and j - i <= 12 and lower[j] not in {",", ";", ":", ".", "(", ")"}:
                j += 1
            if j < self.n and lower[j] == "," and any(i < h.start and h.end <= j for h in self.groups):
                spans.append((i, j, g))
            elif (j == self.n or (j == self.n - 1 and lower[j] in {".", "!"})) and j - i <= 8 and any(
                    i < h.start and h.end <= j and h.possessive for h in self.groups):
                spans.append((i, j, g))  # "... against Hezbollah, Iran's closest ally in the region."
        return spans

    def governing(self, g: Group, extra=()) -> str | None:
        preps = self.ex.blocking | set(extra) - {""} if extra else self.ex.blocking
        start = g.start
        if start >= 3 and self.lower[start - 1] in self.ex.modifier_participles and self.lower[start - 2] in HYPHENS:
            # "in the Russian-led CSTO": the preposition is before the modifier
            h = next((h for h in self.groups if h.end == start - 2), None)
            if h is not None:
                start = h.start
        prep = _governed_by(self.lower, start, preps, self.ex.skippable)
        if prep in ("of", "from") and prep not in extra:
            i = g.start - 1
            while i >= 0 and self.lower[i] != prep:
                i -= 1
            if i > 0 and self.lower[i - 1] in self.ex.role_nouns:
                return None  # "the presidents of Egypt", "warships from the three countries"
        return prep

    def _clause_start(self, pos: int) -> int:
        i = pos - 1
        while i >= 0:
            if self.lower[i] in self.ex.clause_break:
                return i + 1
            i -= 1
        return 0

    def _is_object_like(self, g: Group, ms: int) -> bool:
        """Is the group right after another trigger (the object of an earlier verb)?"""
        for _, ts, te in self.triggers:
            if te <= g.start and ts < ms and g.start - te <= 2 and ts != ms:
                between = self.lower[te : g.start]
                if any(t in {",", "and", "or", "that"} or t in self.ex.clause_break or t in self.ex.speech_verbs
                       for t in between):
                    continue  # "condemned the pact and said it would ...", "warned that Moscow was": subjects
                if any(te <= h.start < g.start for h in self.groups):
                    continue  # another actor comes first: that one is the trigger's object
                if g.end < self.n - 1 and self.lower[g.end] == "," and self.lower[g.end + 1] in self.ex.relative:
                    return False
                return True
        return False

    def _participle_modifier(self, g: Group) -> bool:
        i = g.end
        return (i + 1 < self.n and self.lower[i] in HYPHENS
                and self.lower[i + 1] in self.ex.modifier_participles)

    def _in_relative(self, g: Group, ms: int) -> bool:
        return any(a < g.start and g.end <= b < ms for a, b in self.relative_spans)

    def _non_actor_head(self, g: Group) -> bool:
        """"Ukraine's breakaway regions", "Russian firms", "the Indian Ocean": the phrase is not
        the actor itself."""
        if g.possessive and not self.ex.non_actor_heads.isdisjoint(self.lower[g.end + 1 : g.end + 3]):
            return True
        head = self._head_words(g)
        return not (self.ex.company_nouns.isdisjoint(head) and self.ex.place_nouns.isdisjoint(head))

    def _head_words(self, g: Group) -> list[str]:
        """The words after an actor that may make it a modifier of another noun: "Russian
        (defence) firms", "US defence firms", "Russia's oligarchs", "EU members"."""
        if g.possessive:
            return self.lower[g.end + 1 : g.end + 3]
        if g.via == "demonym":
            return self.lower[g.end : g.end + 3]
        if g.via in ("name", "alias"):
            return self.lower[g.end : g.end + 2]
        return []

    # -- subjects and objects ------------------------------------------------------------------------
    def subject_left(self, ms: int, events: bool = False) -> tuple[Group | None, float]:
        if (ms >= 2 and self.lower[ms - 1] == "to" and self.lower[ms - 2] in {"whether", "how"}
                and not (ms >= 3 and self.lower[ms - 3] in self.ex.deliberation_verbs)):
            return None, 0.0  # "the argument is whether to send weapons": nobody in particular
            # (but "Seoul is weighing whether to send weapons": Seoul would)
        if ms >= 2 and self.lower[ms - 1] == "to" and self.lower[ms - 2] in self.ex.request_nouns:
            return None, 0.0  # "declined Russia's request to send troops": whoever was asked
        if ms >= 3 and self.lower[ms - 1] == "to" and self.lower[ms - 2] in self.ex.control_nouns:
            # "back Belgrade's refusal to recognise Kosovo": Belgrade would recognise it.
            g = next((g for g in self.groups if g.possessive and g.end == ms - 3), None)
            if g is not None:
                return g, 1.0
        if ms >= 2 and self.lower[ms - 1] == "to":
            for p, ts, te in self.triggers:
                if p.relation == "requests" and te <= ms - 1 <= te + 5:
                    # "pressed Mr Haftar to expel": the one pressed would act, whoever that is.
                    g = next((g for g in self.groups if te <= g.start and g.end == ms - 1), None)
                    return (g, 1.0) if g is not None else (None, 0.0)
        if ms >= 2 and self.lower[ms - 1] in ("who", "which") and not any(
                g.end == ms - 1 or (g.end == ms - 2 and self.lower[ms - 2] == ",") for g in self.groups):
            return None, 0.0  # "sheltered militants who attacked India": the militants did
        for a, b in self.relative_spans:
            if a < ms < b and a + 1 < self.n and self.lower[a + 1] in ("which", "who") and not any(
                    a < g.start and g.end <= ms for g in self.groups):
                # "members such as Cambodia, which is closely aligned with Beijing": the head
                # (the head may end in a noun or two: "the M23 rebels, who have seized ...")
                head = next((g for g in self.groups if a - 2 <= g.end <= a and g.kind in ("single", "coord", "compound")
                             and all(t.isalpha() and t not in self.ex.blocking for t in self.lower[g.end : a])), None)
                prep = self.governing(head) if head is not None else None
                if head is not None and (not prep or (prep == "as" and self.lower[head.start - 2] == "such")):
                    return head, 1.0  # (not "groups aligned with Tehran, which have attacked")
        stop = 0
        i = ms - 1
        while i >= 0:
            if self.lower[i] in {";", ":"} or self.lower[i] in {"but", "whereas", "although", "though", "because", "when", "while"}:
                stop = i + 1
                break
            i -= 1
        for g in reversed(self.groups):
            if g.end > ms or g.start < stop or g.kind == "pairmod" or (g.kind == "event" and not events):
                continue
            if any(a < g.start and g.end <= b < ms for a, b, _ in self.appositives):
                continue  # "Turkey, Azerbaijan's closest ally, has said": Turkey said it
            if g.end == ms - 1 and self.lower[ms - 1] in HYPHENS:
                return g, 1.0  # "Russian-occupied", "Iranian-supplied"
            if (g.end == ms and g.via == "demonym" and not g.possessive
                    and not self.lower[g.end - 1].endswith("s")):
                # "a contingent of Russian instructors arrived": the adjective on the trigger's
                # noun (not "hundreds of Palestinians held in", where the demonym is the noun)
                return g, 1.0
            if self._participle_modifier(g):
                continue  # "U.S.-led talks": the United States is not the one talking
            head = self._head_words(g) if g.end <= ms - 1 else ()
            if not self.ex.place_nouns.isdisjoint(head):
                continue  # "Beijing claims the South China Sea and rejects ...": a place
            if not self.ex.company_nouns.isdisjoint(head):
                return None, 0.0  # "Russian firms supplied ...", "most EU members recognise ..."
            if g.kind == "party":
                if g.start - self._clause_start(g.start) <= 3:
                    return g, 0.8  # "First, the treaty likely was a response to ..."
                continue
            if (g.end < self.n and self.lower[g.end] in ("to", "of", "against", "from") and g.kind != "event"
                    and 0 < ms - g.end <= 4 and all(t.isalpha() for t in self.lower[g.end + 1 : ms])):
                # "called on Belarus to expel", "accused the UAE of arming", "warned China against
                # providing", "accused China of preparing to supply"
                return g, 1.0
            if any(ts < g.start and g.end <= te and ts != ms for _, ts, te in self.triggers):
                continue  # "ordered French troops to leave and turned to Russia": Niger turned
            prep = self.governing(g)
            if prep == "for" and g.end < self.n and self.lower[g.end] == "to":
                prep = None  # "for Russia to intervene"
            if prep:
                continue
            if self._in_relative(g, ms) or self._is_object_like(g, ms):
                continue
            return g, (0.85 if g.kind == "anaphor" else 1.0)
        if self.topic is not None and self.topic.end <= ms:
            return self.topic, 0.8
        return None, 0.0

    def _objects_from(self, start: int, pattern: TriggerPattern, limit_end: int | None = None,
                      stop_at_by=True, exclude: tuple[str, ...] = ()):
        allowed = pattern.object_prep
        reaction = pattern.relation in self.ex.reactions
        for g in self.groups:
            if g.start < start or g.kind == "pairmod":
                continue
            if g.kind in ("party", "event") and not reaction:
                continue
            if exclude and set(g.actors) <= set(exclude):
                continue  # "Venezuela massed troops near its border": not Venezuela itself
            if g.start - start > pattern.window:
                break
            if limit_end is not None and g.start >= limit_end:
                break
            between = self.lower[start : g.start]
            if any(t in self.ex.clause_break and t not in "()" for t in between):
                break
            if "over" in between and "over" not in allowed:
                break  # "sanctions on Lockheed Martin over arms sales to Taiwan": the reason
            if stop_at_by and "by" in between:
                if self._owned_by(start, g):
                    return self._apposition(g), "by"  # "strikes on sites controlled by the Houthis"
                break
            prep = self.governing(g, allowed) or ""
            if (prep == "with" and g.start >= 2 and self.lower[g.start - 2] in {"border", "frontier", "boundary"}
                    and LOCATIVE & set(self.lower[max(0, g.start - 6) : g.start - 2])):
                prep = "near"  # "near its border with Guyana", not "negotiating its boundary with"
            if prep == "" and any(t in {"to", "that", ",", "which", "who", "whether", "and", "but", "or"}
                                  or (len(t) > 4 and t.endswith("ing") and t.isalpha()) for t in between):
                continue  # "help to curb Beijing's influence", "aimed at halting Houthi attacks"
            if prep == "" and any(len(t) > 4 and t.endswith("ed") and t.isalpha() for t in between):
                break  # "Ankara's purchase of ... angered Washington": the later verb's object
            if prep == "that" and pattern.relation == "threatens" and not (
                g.end < self.n and self.lower[g.end] in MODAL_AFTER_THAT
            ):
                continue  # "warned that Iran would ...", not "warned that the Japan-Philippines pact"
            if limit_end is None and self._participle_modifier(g) and not (
                    pattern.relation in TARGETING and self.lower[g.end + 1] in self.ex.owner_participles):
                continue  # "vetoed a British-drafted resolution": not Britain (but "shelled
                # RSF-held districts" hits the RSF)
            if (not g.possessive and g.end < self.n and g.start > 0 and self.lower[g.start - 1] in ("a", "an", "the")
                    and (self.lower[g.end] in self.ex.modifier_heads
                         or (g.end + 1 < self.n and self.lower[g.end].isalpha()
                             and self.lower[g.end + 1] in self.ex.modifier_heads))):
                continue  # "vetoed a Security Council (draft) resolution": the resolution, not the Council
            if prep not in allowed and prep == "of" and self._of_chain(start, g, allowed):
                prep = "of-chain"
            elif prep not in allowed:
                continue
            if self._non_actor_head(g):
                break  # "sanctions on US defence firms over arms sales to Taiwan": the firms
            head = g.end + (1 if g.possessive else 0)
            if (g.end - g.start == 1 and self.lower[g.start] in ("its", "their", "his", "her")
                    and not self.ex.reflexive_heads.isdisjoint(self.lower[head : head + 2])):
                continue  # "Azerbaijan acted to defend its territorial integrity": its own
            return self._apposition(g), prep
        return None, None

    def _where_antecedent(self, ms: int, exclude=()) -> Group | None:
        """"a foothold in Niger, where it had stationed troops": the place before ", where"."""
        i = ms - 1
        while i > 1 and self.lower[i] not in self.ex.clause_break and self.lower[i] != "where":
            i -= 1
        if i < 2 or self.lower[i] != "where" or self.lower[i - 1] != ",":
            return None
        g = next((g for g in self.groups if g.end == i - 1 and not g.possessive), None)
        if g is None or set(g.actors) <= set(exclude):
            return None
        return g

    def _copula_subject(self, possessor: Group) -> Group | None:
        """The X of "X is/has been/became <possessor>'s ...", when X ends right before the verb."""
        j = possessor.start
        while j > 0 and self.lower[j - 1] in ("the", "a", "an", "now", "long", "once", "also", "still"):
            j -= 1
        if j >= 1 and self.lower[j - 1] in COPULA:
            j -= 1
        elif j >= 2 and self.lower[j - 1] in ("been", "become") and self.lower[j - 2] in ("has", "have", "had"):
            j -= 2
        else:
            return None
        while j > 0 and self.lower[j - 1] in ("now", "long", "also", "still", "effectively"):
            j -= 1
        return next((g for g in self.groups if g.end == j and g.kind in ("single", "compound", "coord")
                     and not g.possessive), None)

    def _owned_by(self, start: int, g: Group) -> bool:
        """"strikes on sites controlled by Yemen's Houthi movement", "struck positions held by
        Hezbollah": the first "by" after the trigger follows an owner participle and the actor
        comes right after it."""
        between = self.lower[start : g.start]
        k = between.index("by")
        if k < 2 or between[k - 1] not in self.ex.owner_participles or "and" in between[:k]:
            return False
        return all(t in ("the", "a") for t in between[k + 1 :])

    def _more_objects(self, first: Group, pattern: TriggerPattern):
        """"sold jets to Turkey and up to 40 F-35s to Greece": more objects behind the same preposition."""
        prep = self.governing(first, pattern.object_prep)
        if not prep:
            return
        last = first
        for g in self.groups:
            if g.start <= last.start or g.kind in ("party", "pairmod", "event"):
                continue
            between = self.lower[last.end : g.start]
            if len(between) > 8 or "and" not in between or any(t in self.ex.clause_break for t in between):
                break
            if any(last.end < ts < g.start and self.lower[ts - 1] == "and" for _, ts, _ in self.triggers):
                break  # "severed ties with Taiwan and established relations with China": another verb's
            if self.governing(g, pattern.object_prep) != prep:
                break
            last = g
            if not self._non_actor_head(g):  # "and on Russian firms": the firms, not Russia
                yield g

    def _of_chain(self, start: int, g: Group, allowed) -> bool:
        """"a response to the deepening of X": X is reached through a noun and "of"."""
        between = self.lower[start : g.start]
        if "of" not in between:
            return False
        head = between[: between.index("of")]
        if not head or len(head) > 4:
            return False
        first = head[0]
        if start > 0 and self.lower[start - 1] in allowed:
            first = ""  # the trigger itself ends with the preposition: "a response to"
            allowed = ("",)
        if first in allowed and first:
            return all(t.isalpha() or t in HYPHENS for t in head[1:])
        if "" in allowed and first not in self.ex.blocking:
            return all(t.isalpha() or t in HYPHENS for t in head)
        return False

    def _apposition(self, g: Group) -> Group:
        """"Russia's key partner Belarus": the head of the phrase is Belarus."""
        if not g.possessive:
            return g
        for h in self.groups:
            if h.start > g.end and h.start - g.end <= 4:
                between = self.lower[g.end + 1 : h.start]
                if between and all(t.isalpha() and t not in self.ex.blocking and t not in self.ex.clause_words
                                   for t in between):
                    return h
                if not between and h.start == g.end + 1 and all(
                        self.ex.gazetteer.actor(a).type == "NonStateGroup" for a in h.actors):
                    return h  # "Yemen's Houthi movement", "Lebanon's Hezbollah"
        return g

    def object_right(self, pattern: TriggerPattern, ms: int, me: int, exclude=()) -> Group | None:
        g, _ = self._objects_from(me, pattern, exclude=exclude)
        if g is None and me - ms > 1 and "" in pattern.object_prep:
            inner = dataclasses.replace(pattern, object_prep=("",))
            g, _ = self._objects_from(ms + 1, inner, limit_end=me, exclude=exclude)
        return g

    def premodifier(self, ms: int) -> Group | None:
        """The possessor or pre-modifier of a noun trigger: "Russia's full-scale invasion"."""
        i = ms - 1
        skipped = 0
        while i >= 0 and skipped <= 4:
            for g in self.groups:
                if g.end == i + 1 or (g.possessive and g.end == i):
                    if g.kind in ("party", "event") or self._participle_modifier(g):
                        return None
                    return g
            t = self.lower[i]
            if t in VERB_ADVERBS:
                return None  # "Malaysia and Indonesia also encounter ...": a verb, not a noun
            if t in HYPHENS or (t.isalpha() and t not in self.ex.blocking and t not in self.ex.clause_break
                                and t not in {"and", "or", "the", "a", "an"}):
                i -= 1
                skipped += 1
                continue
            break
        return None

    def after_prep(self, me: int, preps: tuple[str, ...], window: int = 6) -> Group | None:
        for g in self.groups:
            if g.start < me or g.kind in ("party", "pairmod", "event") or self._non_actor_head(g):
                continue
            if g.start - me > window:
                break
            prep = self.governing(g)
            if prep in preps:
                return g
        return None

    def arguments(self, p: TriggerPattern, ms: int, me: int):
        """Yield (subject group, object group, confidence) for one trigger."""
        symmetric = self.ex.ontology.relations[p.relation].symmetric
        conf = p.confidence
        if p.frame == "verb":
            if me < self.n and self.lower[me] == "by" and p.relation != "supports":
                return
            if (ms > 0 and self.lower[ms].endswith("ing") and self.lower[ms - 1] in self.ex.reporting_nouns
                    and self.ex.issue_verbs.isdisjoint(self.lower[max(0, ms - 6) : ms - 1])):
                # "vetoed a UN resolution condemning its annexation": the resolution condemns,
                # not Russia (but "the EU issued a statement condemning Russia": the EU does)
                return
            if me - ms == 1 and any(g.end == ms and g.mentions[-1].kind == "demonym" and not g.possessive
                                    and not self.lower[ms - 1].endswith("s") for g in self.groups):
                return  # "needs North Korean shells": an adjective makes the word a noun
            owner = None
            if ms >= 2 and self.lower[ms - 1] in POSSESSIVE_MARKS:
                owner = next((g for g in self.groups if g.possessive and g.end == ms - 1), None)
            # Right after "X's" the trigger is X's: "Ukraine's forces crossed into", "Moscow's
            # deepening ties with Beijing", "Ankara's purchase of Russian S-400 systems".
            subj, f = (owner, 1.0) if owner is not None else self.subject_left(ms)
            if subj is None:
                return
            if any(g.end == ms and g is not subj and not g.possessive and g.start >= 2
                   and self.lower[g.start - 1] in DETERMINERS
                   and any(q.frame == "verb" and te == g.start - 1 for q, _, te in self.triggers)
                   for g in self.groups):
                return  # "condemned the US strikes on Iran": a noun, the other verb's object
            if (self.lower[ms - 1] in DETERMINERS and not (ms + 1 < self.n and self.lower[ms + 1] in HYPHENS)
                    and any(q.frame == "verb" and subj.end <= ts < ms
                            and not any(a < ts < b for a, b in self.relative_spans)
                            for q, ts, _ in self.triggers)):
                return  # "the EU condemned the attack on a hospital": the noun is another verb's object
            if "between" in p.object_prep:
                obj = self.after_prep(me, ("between",), p.window)
                if obj is not None:
                    yield subj, obj, conf * f
                    return
            obj = self.object_right(p, ms, me, exclude=subj.actors)
            if obj is None and p.relation == "deploysTroopsTo":
                obj = self._where_antecedent(ms, exclude=subj.actors)
            if obj is None and p.answers:
                # "Belgrade dismissed the claim": whoever last made one in this document.
                actors = tuple(a for a in self.state.last_event.get(p.answers, ()) if a not in subj.actors)
                if actors:
                    yield subj, Group(ms, ms, actors, subj.mentions, "single"), conf * f * 0.9
                return
            if obj is None:
                if (symmetric or p.reciprocal) and len(subj.actors) >= 2:
                    # "Russia and China signed ...", "the two armies traded fire"
                    yield from _pairwise(subj, conf * f, both_ways=p.reciprocal and not symmetric)
                elif symmetric and not self.ex.ontology.relations[p.relation].standing:
                    # "Erdogan visited Athens and signed a declaration": the sentence's other actor.
                    others = {a for g in self.groups if g.kind in ("single", "compound", "coord")
                              and g.end <= ms for a in g.actors} - set(subj.actors)
                    other = next((g for g in self.groups if others & set(g.actors)), None)
                    if other is not None and other.end <= subj.start and any(
                            t == "that" or t in self.ex.speech_verbs for t in self.lower[other.end : subj.start]):
                        return  # "NATO warned that Moscow was deepening its cooperation": not with NATO
                    if len(others) == 1 and len(subj.actors) == 1:
                        yield subj, Group(other.start, other.end, tuple(others), other.mentions, "single"), conf * f * 0.7
                return
            yield subj, obj, conf * f * (0.9 if obj.kind == "anaphor" else 1.0)
            for more in self._more_objects(obj, p):
                yield subj, more, conf * f * 0.9
        elif p.frame == "passive":
            subj = self.after_prep(me - 1, p.subject_prep or ("by",), 3)
            if subj is None:
                return
            obj = None
            if p.object_prep and p.object_prep != ("",):
                obj, _ = self._objects_from(subj.end, p, stop_at_by=False)
                if obj is None:  # "a vessel was sent to Guyana by London"
                    obj, _ = self._objects_from(ms + 1, p, limit_end=subj.start, stop_at_by=False)
            if obj is None and (symmetric or p.reciprocal) and len(subj.actors) >= 2:
                yield from _pairwise(subj, conf)  # "the deal was signed by Armenia and Azerbaijan"
                return
            if obj is None:
                obj, f = self.subject_left(ms, events=p.relation in self.ex.reactions)
                if obj is None:
                    return
                conf *= f
            yield subj, obj, conf
        elif p.frame == "noun":
            if (symmetric or p.reciprocal) and "between" in p.subject_prep:
                pair = self.after_prep(ms + 1, ("between",), 3 + me - ms)
                if pair is not None and len(pair.actors) >= 2:
                    # "talks between Belgrade and Pristina"; "the war between X and Y": both ways
                    yield from _pairwise(pair, conf, both_ways=not symmetric)
                    return
                if not symmetric:
                    return
            subj = self.premodifier(ms)
            f = 1.0
            if subj is not None and subj.kind == "pairmod" and not symmetric:
                subj = None
            if subj is not None and subj.kind == "anaphor" and p.object_prep == ("",):
                return  # "both partners" says nothing about whose partner
            if subj is not None and symmetric and len(subj.actors) >= 2 and subj.kind in ("compound", "coord", "anaphor", "pairmod"):
                obj = self.after_prep(me, tuple(x for x in p.object_prep if x), p.window) if p.object_prep else None
                if obj is None:
                    yield from _pairwise(subj, conf * (0.85 if subj.kind == "anaphor" else 1.0))
                    return
            if subj is None and p.subject_prep:
                if "between" in p.subject_prep:
                    pair = self.after_prep(ms + 1, ("between",), 3 + me - ms)
                    if pair is not None and len(pair.actors) >= 2:
                        if symmetric:
                            yield from _pairwise(pair, conf)
                        return
                other = tuple(x for x in p.subject_prep if x != "between")
                if other:
                    subj = self.after_prep(me, other, p.window + 4)
                    if subj is not None and any(
                        t in {",", ";", "which", "that", "who", "were", "was", "is", "are", "been", "be"}
                        for t in self.lower[me : subj.start]
                    ):
                        subj = None  # "the strikes, which hit ..., were supported by X": X did not strike
            if subj is None and self.topic is not None and self.topic.end <= ms:
                subj, f = self.topic, 0.8
            if subj is None or not p.object_prep:
                return
            obj, _ = self._objects_from(me, p, stop_at_by=False, exclude=subj.actors)
            if obj is None and me - ms > 1:
                # "its purchase of Russian S-400 systems", "Mali's relations with Algeria, which
                # have soured": the actor inside the trigger phrase.
                inner = p
                if "" in p.object_prep:
                    # (the trigger's own "of" may govern it: "Ankara's purchase of the Russian S-400")
                    inner = dataclasses.replace(p, object_prep=("", "of") if self.lower[ms + 1] == "of" else ("",))
                obj, _ = self._objects_from(ms + 1, inner, limit_end=me, exclude=subj.actors)
            if obj is None and "" in p.object_prep:
                # "Turkey, Azerbaijan's closest ally, ...": the ally is the phrase's head.
                for a, b, head in self.appositives:
                    if a < subj.start and subj.end <= b and a < ms < b:
                        obj = head
                        break
            if obj is None and "" in p.object_prep and p.window <= 1:
                # "Mr Orban, who is seen as the Kremlin's closest ally, ...": the relative's head.
                for a, b in self.relative_spans:
                    if a < subj.start and ms < b:
                        obj = next((g for g in self.groups if g.end == a and g is not subj), None)
                        break
            if obj is None and "" in p.object_prep and p.window <= 1:
                # "China has been Pakistan's principal arms supplier": the copula's subject.
                obj = self._copula_subject(subj)
            if obj is None and subj.kind in ("single", "compound", "coord"):
                # "Pakistani air strikes" with no target named: still an event that "the
                # strikes" may refer to later.
                self.partial_events.append((p.relation, subj.actors))
            if obj is None or obj is subj:
                return
            yield subj, obj, conf * f
        elif p.frame == "rebuttal":
            # ", a charge Kabul denies": Kabul rejects whoever made the charge: the sentence's
            # accuser, or the source before "say"/"said", or the last accuser in the document.
            subj = next((g for g in self.groups if ms < g.start and g.end < me
                         and (g.kind in ("single", "coord", "compound")
                              or (g.kind == "anaphor" and len(g.actors) >= 2))), None)
            if subj is None:
                return
            noun = self.lower[ms + 1] if ms + 1 < self.n else ""
            if noun in self.ex.offer_nouns:
                # "Lai offered talks with Beijing, an offer China has rebuffed": the offer is
                # the sentence's first actor's.
                first = next((g for g in self.groups if g.end <= ms and g.kind in ("single", "coord", "compound")
                              and not set(g.actors) & set(subj.actors)), None)
                if first is not None:
                    yield subj, first, conf
                return
            claimants = [g for q, ts, te in self.triggers if q.relation == "accuses" and ts < ms
                         for g in [self.subject_left(ts)[0]] if g is not None]
            if not claimants:
                claimants = [g for g in self.groups if g.end < ms and g.end < self.n
                             and self.lower[g.end] in self.ex.speech_verbs]
                for g in claimants:
                    # "Washington and London say Iran ..., an accusation Tehran denies"
                    if self.lower[ms + 1] in {"charge", "charges", "accusation", "accusations", "allegation", "allegations"}:
                        self.implied.append(("accuses", g, subj))
            if not claimants:
                actors = self.state.last_event.get("accuses", ())
                if actors:
                    claimants = [Group(ms, ms, actors, subj.mentions, "single")]
            for g in claimants:
                yield subj, g, conf
        elif p.frame == "pair":
            real = [g for g in self.groups if g.kind in ("single", "compound", "coord")]
            actors = tuple(dict.fromkeys(a for g in real for a in g.actors))
            if len(actors) == 2 and symmetric:
                a = Group(0, 0, actors[:1], real[0].mentions, "single")
                b = Group(0, 0, actors[1:], real[-1].mentions, "single")
                yield a, b, conf
            elif not actors:
                anaphors = [g for g in self.groups if g.kind in ("anaphor", "party") and len(g.actors) == 2]
                if anaphors and symmetric:
                    yield from _pairwise(anaphors[0], conf * 0.85)

    # -- modality ----------------------------------------------------------------------------------
    def _cue_positions(self, kind: str, lo: int, hi: int) -> list[tuple[int, int]]:
        if self._hits is None:
            # One pass over the sentence finds the cues of every kind.
            hits: dict[str, list[tuple[int, int]]] = {}
            lower = self.lower
            table = self.ex.cue_table
            for i, w in enumerate(lower):
                entries = table.get(w)
                if entries is None:
                    continue
                for k, phrase in entries:
                    n = len(phrase)
                    if n == 1 or tuple(lower[i : i + n]) == phrase:
                        hits.setdefault(k, []).append((i, i + n))
            self._hits = hits
        return [(a, b) for a, b in self._hits.get(kind, ()) if lo <= a and b <= hi]

    def _has_cue(self, kind: str, lo: int, hi: int) -> bool:
        """Is a cue of ``kind`` in tokens [lo, hi), outside parentheses and false friends?"""
        hits = self._cue_positions(kind, lo, hi)
        if not hits:
            return False
        unless = {"negation": "not_negation", "hedge": "not_hedge", "clause_hedge": "not_hedge",
                  "clause_negation": "not_negation", "contest": "not_contest"}.get(kind)
        masks = self._cue_positions(unless, max(0, lo - 3), min(self.n, hi + 3)) if unless else []
        depth, inside = 0, set()
        for i in range(lo, hi):
            if self.lower[i] == "(":
                depth += 1
            elif self.lower[i] == ")":
                depth = max(0, depth - 1)
            elif depth:
                inside.add(i)
        for a, b in hits:
            if a in inside:
                continue
            if any(ma <= a and b <= mb for ma, mb in masks):
                continue
            return True
        return False

    def modality(self, p: TriggerPattern, ms: int, me: int, subj: Group, obj: Group) -> str:
        lower = self.lower
        if p.frame in ("noun", "rebuttal"):
            start = min(ms, subj.start if subj.end <= ms else ms)
            lo = max(0, start - 3)
            hi = ms
            if self._has_cue("negation", max(lo, ms - 2), hi) or (
                    subj.end <= ms and ms - subj.end <= 5 and self._has_cue("negation", subj.end, ms)):
                return "negated"  # "China has not supplied lethal aid to Russia"
            if self._has_cue("nominal_hedge", lo, hi + 1):
                return "speculative"
            if self._has_cue("hedge", max(0, start - 2), start) or (
                subj.end <= ms and self._has_cue("hedge", subj.end, ms)
            ):
                return "speculative"  # "the EU is considering sanctions on Israel"
            return "asserted"
        # Cues between the subject and the trigger scope over the predicate ("Russia may
        # supply"); only clause-level hedges reach in from before the subject ("Perhaps ...").
        clause = self._clause_start(ms)
        near = subj.start if subj.end <= ms and subj.start >= clause else clause
        if subj.end <= ms and subj.start < clause:
            near = subj.end
        # A coordinated clause starts afresh: ", and ..." always; "... the strikes and urged"
        # too, unless "and" joins two triggers ("may attack and occupy").
        for i in range(ms - 1, clause - 1, -1):
            t = lower[i]
            if t == "having" and i > 0 and lower[i - 1] == ",":
                clause = max(clause, i + 1)  # "does not recognise Taiwan, having switched ...": its own
                near = max(near, i + 1)
                break
            if t in ("and", "but") and (i > 0 and lower[i - 1] == "," or (i > subj.end and i >= near and i not in self.trigger_ends)):
                clause = max(clause, i + 1)
                near = max(near, i + 1) if i >= near else near
                break
        # Cue words inside the trigger's span count too ("have not held a summit").
        if (self._has_cue("negation", near, ms) or self._has_cue("clause_negation", clause, ms)
                or any(t in ("not", "n't", "never") for t in self.lower[ms + 1 : me])):
            return "negated"
        if subj.end < self.n and self.lower[subj.end] in ("against", "from") and (
                subj.end + 1 == ms or (subj.end + 2 == ms and lower[ms - 1] in DETERMINERS)):
            return "speculative"  # "warned Beijing against (any) attack", "barred X from"
        hedges = self.ex.nominal_hedges
        if ms > 0 and (lower[ms - 1] in hedges or (subj.end == ms and subj.start > 0 and lower[subj.start - 1] in hedges)):
            return "speculative"  # "any (Venezuelan) attack on Guyana": a noun after all
        if obj.start > me and self._has_cue("negation_after", me, obj.start):
            return "negated"
        if (self._has_cue("hedge", near, ms) or self._has_cue("hedge", ms + 1, me)
                or self._has_cue("clause_hedge", clause, ms)):
            return "speculative"
        if p.relation not in ("accuses", "rejects", "condemns") and self._has_cue("contest", me, self.n):
            return "speculative"  # "Iran supplies the Houthis with missiles, an accusation Tehran denies"
        if lower and lower[0] in CONDITIONAL_OPENERS:
            return "speculative"
        if lower and lower[-1] == "?" and lower[0] in QUESTION_OPENERS:
            return "speculative"
        return "asserted"


def _pairwise(g: Group, conf: float, both_ways: bool = False):
    actors = g.actors
    for i, a in enumerate(actors):
        for b in actors[i + 1 :]:
            ga = Group(g.start, g.end, (a,), g.mentions, "single")
            gb = Group(g.start, g.end, (b,), g.mentions, "single")
            yield ga, gb, conf
            if both_ways:
                yield gb, ga, conf
