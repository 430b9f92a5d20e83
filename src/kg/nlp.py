"""The spaCy pipeline kg tokenizes with: blank English plus one tokenizer rule.

No trained model is needed. The extra infix splits a hyphen that follows a full stop, so that
"U.S.-South Korea" and "U.S.-led" give "U.S." its own token.

By default the vocabulary computes only the lexical attributes kg reads (the lower-case form,
the norm, and whether a token is white space). spaCy's stock English computes twenty-three for
each word it sees for the first time, in Python, which was a tenth of ``kg extract``'s start-up
and of its time on text with many new words. Patterns written as spaCy token dicts that test
other attributes (``IS_PUNCT``, ``LIKE_NUM``, ``SHAPE``, ...) get the stock vocabulary:
``blank_english(lean=False)``.
"""

from __future__ import annotations

from functools import lru_cache

# Token-dict keys that the lean vocabulary answers correctly (token-level, or computed by it).
LEAN_KEYS = frozenset({"ORTH", "TEXT", "LOWER", "NORM", "LENGTH", "IS_SPACE", "OP", "_",
                       "IS_SENT_START", "SENT_START", "ENT_TYPE", "ENT_IOB", "ENT_ID"})


@lru_cache(maxsize=2)
def blank_english(lean: bool = True):
    import spacy
    from spacy.attrs import IS_SPACE, LOWER, NORM
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    infixes = list(nlp.Defaults.infixes) + [r"(?<=\.)[-\u2013\u2014](?=[A-Za-z])"]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    if lean:
        getters = nlp.vocab.lex_attr_getters
        nlp.vocab.lex_attr_getters = {k: getters[k] for k in (LOWER, NORM, IS_SPACE)}
    return nlp


def needs_full_lexemes(token_patterns) -> bool:
    """Whether any of these spaCy token-dict patterns tests an attribute the lean vocabulary
    does not compute."""
    return any(set(t) - LEAN_KEYS for pattern in token_patterns for t in pattern)
