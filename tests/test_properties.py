"""Extraction never crashes on any Unicode string, and its offsets always hold."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.documents import Document

WORDS = ["Russia", "Ukraine", "North Korea", "U.S.", "Putin", "attacked", "supplied", "shells",
         "to", "the two countries", "may", "not", "'s", "-", "and", ",", ".", "\n", "\n\n", "Kim",
         "invasion", "of", "with", "alignment", "both", "their", "by", "was", "(", ")", "—", "’s"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text())
def test_any_unicode_string(extractor, text):
    doc = Document(id="h", text=text)
    for x in extractor.extract(doc):
        assert text[x.start : x.end] == x.evidence


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=3), max_size=40))
def test_word_salad(extractor, words):
    text = " ".join(words)
    doc = Document(id="h", text=text)
    for x in extractor.extract(doc):
        assert text[x.start : x.end] == x.evidence
        assert x.subject != x.object
        assert 0 < x.confidence <= 1
