"""Terms of every search (use cases, deployments, companies), for Korean and English alike.

The one owner of term extraction: an index stores :func:`terms` of a text and a query is read as
:func:`query_words`, both from the same word analysis, so a stem, synonym or particle rule applies
identically on both sides; changing a rule changes what is stored, so each service that keeps terms
re-indexes its rows in a migration.

- Korean has no spaces between the parts of a compound and attaches particles to nouns ("불량검출을"). A
  final particle (을/를, 이/가, 은/는, 의, 에, 로, 와/과, 도, 만, 에서, 으로, 까지, 부터) is dropped from a
  word that keeps two syllables, and the rest is read as its character bigrams: "용접을" is "용접",
  "불량검출" is "불량", "량검", "검출". A text's index also holds the bigram across two neighbouring
  Korean words, so "불량 검출" and "불량을 검출" hold "량검" too and the compound finds them. A one-syllable
  word is its own term.
- A Latin word is lower-cased and stemmed by a few suffix rules (plural, -ing, -ed, -er, -ive, -tion,
  -ise/-ize, a final e, a doubled final consonant): "weld", "welds", "welding", "welded", "welder" are all
  "weld". A stem is only a key, not a word to show: "machine" is "machin".
- A term with a synonym becomes the synonym group's head, in either language: "용접" and "weld" are both
  "weld", "불량", "결함" and "defect" are "defect". So an English query finds a Korean-only text and back.
- Digits stay as they are ("2024", "c30").

A text holds a query word when it holds every term of the word: "컨트롤텍" (컨트, 트롤, 롤텍) is not found in
"컨트롤러". The ranked use-case search wants at least half of the query's words (:func:`needed`, "용접 불량
감소" two of three) and puts the texts holding more first; a list without a relevance order (deployments,
companies: :func:`holding`) wants every word.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, false
from sqlalchemy.orm import InstrumentedAttribute

_WORD = re.compile(r"[0-9a-z]+|[\uac00-\ud7a3]+|[\u3131-\u318e]+", re.IGNORECASE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
MAX_TERM = 40
# What a query needs for ``terms`` to find a word in it (a digit, two Latin letters, a Hangul syllable, two
# jamo): the query parameters declare it as their pattern, so the document says which queries are refused.
SEARCHABLE = "[0-9]|[A-Za-z]{2}|[가-힣]|[ㄱ-ㆎ]{2}"

# Synonym groups, head first: Latin words as written (their stems are the keys), Korean as a bigram or as a
# whole word without its particle ("에너지를" is "energy"; inside a compound its bigrams count). Only words
# a manufacturer would type for the same thing.
_GROUPS: tuple[tuple[str, ...], ...] = (
    ("weld", "용접"),
    ("defect", "불량", "결함", "fault", "flaw"),
    ("inspect", "검사", "검출"),
    ("predict", "예측", "forecast"),
    ("robot", "로봇"),
    ("sensor", "센서"),
    ("vision", "비전"),
    ("quality", "품질"),
    ("safety", "안전"),
    ("mold", "금형", "mould"),
    ("cost", "비용", "원가"),
    ("delivery", "납기"),
    ("demand", "수요"),
    ("schedule", "일정"),
    ("energy", "에너지", "전력", "power"),
    ("productivity", "생산성"),
)

# Suffixes removed after the plural, at most one, the first that leaves a stem of its minimum length with a
# vowel; -tion keeps its t ("inspection" → "inspect"), -ization/-ize meet at "iz"; -er and -ly want four
# letters so that "laser", "order", "power" stay whole.
_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("ization", "iz", 3),
    ("tion", "t", 3),
    ("ing", "", 3),
    ("ive", "", 3),
    ("ed", "", 3),
    ("er", "", 4),
    ("ly", "", 4),
)
_VOWEL = re.compile("[aeiouy]")


def stem(word: str) -> str:
    """The stem of a lower-case Latin word; words of three letters or fewer are their own stem."""
    if len(word) <= 3:
        return word
    # British and American spellings meet first: "optimise", "optimised", "optimisation" as "-ize".
    word = re.sub(r"is(e|ed|es|ing|ation)$", r"iz\1", word)
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, replacement, shortest in _SUFFIXES:
        rest = word[: -len(suffix)] + replacement
        if word.endswith(suffix) and len(rest) >= shortest and _VOWEL.search(rest):
            word = rest
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouy":
        word = word[:-1]
    return word


def _key(word: str) -> str:
    return stem(word) if word.isascii() else word


SYNONYMS: dict[str, str] = {_key(member): _key(group[0]) for group in _GROUPS for member in group[1:]}


_PARTICLES = ("에서", "으로", "까지", "부터", *"을를이가은는의에로와과도만")


def _korean_stem(word: str) -> str:
    """``word`` without a final particle, when two syllables remain."""
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def _bigrams(word: str) -> list[str]:
    return [word] if len(word) == 1 else [word[i : i + 2] for i in range(len(word) - 1)]


def _analysed(text: str) -> list[tuple[str, list[str], str]]:
    """Each word of ``text`` in order: (its kind, its terms in order, the word as written, lower-cased);
    the kind is "ko" for a Korean word, "" otherwise."""
    normal = unicodedata.normalize("NFKC", text).lower()
    out: list[tuple[str, list[str], str]] = []
    for word in _WORD.findall(normal):
        if _HANGUL.match(word):
            bare = _korean_stem(word)
            out.append(("ko", [bare] if bare in SYNONYMS else _bigrams(bare), word))
        elif word.isalpha():
            if len(word) > 1:
                out.append(("", [stem(word)[:MAX_TERM]], word))
        else:
            out.append(("", [word[:MAX_TERM]], word))
    return [(kind, [SYNONYMS.get(t, t) for t in found], word) for kind, found, word in out]


def terms(text: str) -> list[str]:
    """The index terms of ``text`` in order of appearance, with repeats (their count is the frequency):
    every word's terms, and the bigram across neighbouring Korean words."""
    out: list[str] = []
    before = ""  # the previous word, when it was Korean
    for kind, found, word in _analysed(text):
        if kind == "ko" and before:
            junction = before[-1] + _korean_stem(word)[0]
            out.append(SYNONYMS.get(junction, junction))
        out.extend(found)
        before = _korean_stem(word) if kind == "ko" else ""
    return out


@dataclass(frozen=True)
class Word:
    """A word of a query: as written (lower-cased), and the terms a text must all hold to hold it."""

    written: str
    terms: tuple[str, ...]


def query_words(query: str) -> list[Word]:
    """The distinct words of ``query`` (two spellings of one stem or synonym are one word), in order."""
    out: dict[tuple[str, ...], Word] = {}
    for _, found, word in _analysed(query):
        key = tuple(dict.fromkeys(found))
        out.setdefault(key, Word(word, key))
    return list(out.values())


def needed(count: int) -> int:
    """How many of a query's ``count`` distinct words a text must hold to match it: at least half."""
    return math.ceil(count / 2)


def document(*texts: str | None, length: int) -> str:
    """The distinct terms of ``texts`` as one string of at most ``length`` characters for a text column,
    each preceded and followed by a space: a term is found by ``LIKE '% term%'`` (:func:`holding_pattern`),
    which also finds a term by its start. Terms that do not fit are left out whole."""
    out = " "
    for term in dict.fromkeys(t for text in texts if text for t in terms(text)):
        if len(out) + len(term) + 1 > length:
            break
        out += term + " "
    return out


def holding_pattern(term: str) -> str:
    """The substring of a :func:`document` that holds ``term`` or a term starting with it."""
    return " " + term


def at_least_half(held: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """At least half of the conditions ``held`` (one per query word) are true."""
    least = needed(len(held))
    if least == len(held):
        return and_(*held)
    return sum((case((h, 1), else_=0) for h in held[1:]), case((held[0], 1), else_=0)) >= least


def holding(column: ColumnElement[str] | InstrumentedAttribute[str], query: str) -> ColumnElement[bool]:
    """Rows whose :func:`document` in ``column`` holds every word of ``query`` (a term held by its start
    too); none when the query holds no word. A list filtered so has no relevance order to put the rows
    holding fewer words last, so it keeps only rows holding all. Terms have no LIKE wildcard to escape."""
    words = query_words(query)
    if not words:
        return false()
    return and_(*(column.contains(holding_pattern(t)) for w in words for t in w.terms))
