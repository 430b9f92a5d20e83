"""The spaCy pipeline kg tokenizes with: blank English plus one tokenizer rule.

No trained model is needed. The extra infix splits a hyphen that follows a full stop, so that
"U.S.-South Korea" and "U.S.-led" give "U.S." its own token.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def blank_english():
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    infixes = list(nlp.Defaults.infixes) + [r"(?<=\.)[-\u2013\u2014](?=[A-Za-z])"]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp
