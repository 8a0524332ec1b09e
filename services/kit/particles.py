"""Korean particles (조사) chosen by the final consonant (받침) of the word they follow.

The one place generated Korean text picks 을/를, 이/가, 은/는, 과/와 or 으로/로, so no page writes
"을(를)". A word ending in a Hangul syllable is read from its final consonant; digits and Latin letters
by how they are read aloud in Korean (3 "삼" takes 을, "MES" read "엠이에스" takes 를); a trailing
parenthesis is skipped, as a reader does ("영상 인식(CNN)" takes 을, from "인식").
"""

from __future__ import annotations

import re

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL = 8  # index of ㄹ among the 28 final-consonant slots (0 = none)

# Final consonant of each digit as read in Sino-Korean: 영 일 이 삼 사 오 육 칠 팔 구.
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
# Latin letters whose Korean reading ends in a consonant: 엘 (l), 엠 (m), 엔 (n); words are read by
# their last letter, which suits acronyms (MES, ERP, AI) and most English words closely enough.
_LATIN_FINAL = {"l": 8, "m": 16, "n": 4}

# (after a consonant, after a vowel); 으로/로 also takes 로 after ㄹ.
PAIRS: dict[str, tuple[str, str]] = {
    "을/를": ("을", "를"),
    "이/가": ("이", "가"),
    "은/는": ("은", "는"),
    "과/와": ("과", "와"),
    "으로/로": ("으로", "로"),
    "이라/라": ("이라", "라"),
}

_TRAILING = re.compile(r"(\s*[(\[{][^()\[\]{}]*[)\]}])+\s*$|[\s\W_]+$")


def _final_consonant(word: str) -> int | None:
    """The final-consonant index (0 = ends in a vowel) of the word's last readable character."""
    text = word
    while True:
        stripped = _TRAILING.sub("", text)
        if stripped == text:
            break
        text = stripped
    if not text:
        return None
    last = text[-1]
    code = ord(last)
    if _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return (code - _HANGUL_FIRST) % 28
    if last in _DIGIT_FINAL:
        return _DIGIT_FINAL[last]
    if last.isascii() and last.isalpha():
        return _LATIN_FINAL.get(last.lower(), 0)
    return None


def particle(word: str, pair: str) -> str:
    """The particle of ``pair`` (e.g. "을/를") that follows ``word``."""
    consonant_form, vowel_form = PAIRS[pair]
    final = _final_consonant(word)
    if final is None:
        return consonant_form  # nothing readable: the consonant form reads naturally after a symbol
    if pair == "으로/로" and final == _RIEUL:
        return vowel_form
    return consonant_form if final else vowel_form


def with_particle(word: str, pair: str) -> str:
    """``word`` followed by its particle: with_particle("불량률", "을/를") == "불량률을"."""
    return word + particle(word, pair)
