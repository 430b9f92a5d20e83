import json

import pytest

from kg.errors import PatternError
from kg.nlp import blank_english
from kg.patterns import TriggerIndex, compile_pattern, inflect, load_cues, load_patterns


@pytest.mark.parametrize("word,forms", [
    ("attack", ["attack", "attacks", "attacked", "attacking"]),
    ("invade", ["invade", "invades", "invaded", "invading"]),
    ("supply", ["supply", "supplies", "supplied", "supplying"]),
    ("push", ["push", "pushes", "pushed", "pushing"]),
])
def test_inflect(word, forms):
    assert inflect(word) == forms


def test_compile_short_language():
    tokens = compile_pattern("supply+ *5 shells|munitions to?", "x:1")
    assert tokens[0]["LOWER"]["IN"] == ["supplied", "supplies", "supply", "supplying"]
    assert tokens[1] == {"OP": "{0,5}"}
    assert tokens[2]["LOWER"]["IN"] == ["munitions", "shells"]
    assert tokens[3]["OP"] == "?"


def test_index_matches_shortest():
    from kg.patterns import TriggerPattern

    p = TriggerPattern("t", "attacks", "verb", tuple(compile_pattern("supply+ *3 shells", "x:1")),
                       ("",), (), 6, 0.8, (), "x:1")
    index = TriggerIndex([p])
    assert [(m[1], m[2]) for m in index("north korea supplied old shells and shells".split())] == [(2, 5)]
    assert index("north korea supplied nothing".split()) == []


def test_index_finds_what_a_scan_of_every_position_finds():
    """The index files each pattern under one anchor word set; it must still find every match a
    plain scan finds, leading optional words ("the", "in") included, in pattern order."""
    from hypothesis import given, settings, strategies as st

    from kg.patterns import TriggerPattern, _match, _steps

    texts = ["the? talks+ with", "in *1 talks", "a|an|the *2 response to", "hold+ *2 talks",
             "the? the? war", "to be targeting", "support+ *3 the|a war"]
    patterns = [TriggerPattern(f"t{i}", "attacks", "verb", tuple(compile_pattern(t, f"x:{i}")), ("",), (),
                               6, 0.8, (), f"x:{i}") for i, t in enumerate(texts)]
    index = TriggerIndex(patterns)
    vocabulary = ["the", "a", "in", "talks", "talk", "with", "response", "to", "be", "targeting",
                  "war", "holds", "supports", "x"]

    def scan(lower):
        out = []
        for p in patterns:
            steps = _steps(p.tokens)
            starts = set()
            for step in steps:
                if step[0] == "word":
                    starts |= step[1]
                    if not step[2]:
                        break
            for i, w in enumerate(lower):
                end = _match(lower, i, steps) if w in starts else None
                if end is not None and end > i and not any(
                        q is p and a <= i and end <= b for q, a, b in out):
                    out.append((p, i, end))
        return sorted(((p.id, a, b) for p, a, b in out), key=lambda m: (m[1], -m[2], int(m[0][1:])))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(vocabulary), max_size=14))
    def check(lower):
        assert [(p.id, a, b) for p, a, b in index(lower)] == scan(lower)

    check()


def _write(tmp_path, *records):
    path = tmp_path / "relations.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_unknown_relation_names_line(tmp_path, ontology):
    path = _write(tmp_path, {"id": "a", "relation": "attacks", "frame": "verb", "pattern": "attack+"},
                  {"id": "b", "relation": "befriends", "frame": "verb", "pattern": "befriend+"})
    with pytest.raises(PatternError, match=r"relations.jsonl:2: relation 'befriends' is not in the ontology"):
        load_patterns(ontology, path)


def test_multi_token_word_is_refused(tmp_path, ontology):
    path = _write(tmp_path, {"id": "a", "relation": "attacks", "frame": "verb", "pattern": "air-strike"})
    with pytest.raises(PatternError, match=r"relations.jsonl:1: 'air-strike' is 3 tokens, not one"):
        load_patterns(ontology, path, tokenizer=blank_english().tokenizer)


def test_duplicate_id_and_bad_frame(tmp_path, ontology):
    path = _write(tmp_path, {"id": "a", "relation": "attacks", "frame": "verb", "pattern": "x"},
                  {"id": "a", "relation": "attacks", "frame": "verb", "pattern": "y"})
    with pytest.raises(PatternError, match="id 'a' is already used on line 1"):
        load_patterns(ontology, path)
    path = _write(tmp_path, {"id": "a", "relation": "attacks", "frame": "adverb", "pattern": "x"})
    with pytest.raises(PatternError, match="frame 'adverb' is not one of"):
        load_patterns(ontology, path)


def test_shipped_patterns_cover_every_relation(extractor, ontology):
    assert {p.relation for p in extractor.patterns} == set(ontology.relations)


def test_cues_load():
    cues = load_cues()
    assert "may" in cues["hedge"] and "never" in cues["negation"]


def test_not_before_must_be_a_word_list(tmp_path, ontology):
    path = _write(tmp_path, {"id": "a", "relation": "meetsWith", "frame": "verb", "pattern": "host+",
                             "not_before": "base"})
    with pytest.raises(PatternError, match=r"relations.jsonl:1: 'not_before' must be a list of words"):
        load_patterns(ontology, path)
    path = _write(tmp_path, {"id": "a", "relation": "meetsWith", "frame": "verb", "pattern": "host+",
                             "not_before": ["Base"]})
    assert load_patterns(ontology, path)[0].not_before == frozenset({"base"})


def test_stands_in_for_names_a_relation_and_drops_out_when_emitted(tmp_path, ontology):
    path = _write(tmp_path, {"id": "a", "relation": "hasStrainedRelationsWith", "frame": "verb",
                             "pattern": "expel+", "stands_in_for": "befriends"})
    with pytest.raises(PatternError, match=r"relations.jsonl:1: 'stands_in_for' 'befriends' is not a relation"):
        load_patterns(ontology, path)
    from kg.extract import Extractor

    pattern = [p for p in load_patterns(ontology) if p.stands_in_for == "expels"]
    assert pattern
    ids = {p.id for p in pattern}
    assert ids <= set(Extractor(vocabulary="core").by_id)
    assert not ids & set(Extractor(vocabulary="full").by_id)


def test_answers_names_a_relation_and_is_for_verb_patterns(tmp_path, ontology):
    path = _write(tmp_path, {"id": "a", "relation": "rejects", "frame": "verb", "pattern": "deny+",
                             "answers": "befriends"})
    with pytest.raises(PatternError, match=r"relations.jsonl:1: 'answers' 'befriends' is not a relation"):
        load_patterns(ontology, path)
    path = _write(tmp_path, {"id": "a", "relation": "rejects", "frame": "noun", "pattern": "denial",
                             "answers": "accuses"})
    with pytest.raises(PatternError, match=r"relations.jsonl:1: 'answers' is only for verb patterns"):
        load_patterns(ontology, path)
    assert load_patterns(ontology, _write(tmp_path, {"id": "a", "relation": "rejects", "frame": "verb",
                                                     "pattern": "deny+", "answers": "accuses"}))[0].answers == "accuses"
