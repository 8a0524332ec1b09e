"""Terms of the use-case search index, for Korean and English alike.

Korean has no spaces between the parts of a compound and attaches particles to nouns ("불량검출을"), so a
word is indexed by its character bigrams: "불량검출" and "불량 검출" then share "불량" and "검출". Latin words
are indexed whole after lower-casing and a light plural fold ("defects" → "defect"), digits as they are.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[0-9a-z]+|[\uac00-\ud7a3]+|[\u3131-\u318e]+", re.IGNORECASE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
MAX_TERM = 40
# What a query needs for ``terms`` to find a word in it (a digit, two Latin letters, a Hangul syllable, two
# jamo): the query parameters declare it as their pattern, so the document says which queries are refused.
SEARCHABLE = "[0-9]|[A-Za-z]{2}|[가-힣]|[ㄱ-ㆎ]{2}"


def _fold_plural(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The index terms of ``text`` in order of appearance, with repeats (their count is the frequency)."""
    normal = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for word in _WORD.findall(normal):
        if _HANGUL.match(word):
            out.extend([word] if len(word) == 1 else [word[i : i + 2] for i in range(len(word) - 1)])
        elif len(word) > 1 or word.isdigit():
            out.append(_fold_plural(word)[:MAX_TERM])
    return out
