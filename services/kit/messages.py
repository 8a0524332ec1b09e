"""The one message catalogue: English text in the code, Korean in ``locale/ko/LC_MESSAGES/messages.po``.

A message is written where it is raised, in English, with named placeholders, and stays lazy until the
answer is written in the caller's language::

    raise NotFound(Msg("company '{company_id}' does not exist", company_id=company_id))

The English text is the gettext ``msgid``; the Korean catalogue (a plain ``.po`` file, read once at run
time with Babel, so nothing is compiled at install) maps it to the Korean text, which uses the same
placeholder names (it may leave some out). A message missing from the catalogue is shown in English.
Korean text may write a particle in both forms, "을(를)", after a placeholder; the rendered text keeps
the one that suits the word (``services.kit.particles``).

``tests/services/kit/test_messages.py`` extracts every ``Msg``/``N_``/``P_`` call of the source with
Babel's extractor and checks the catalogue against them: every message translated, none unused,
placeholders that exist. ``python -m services.kit.messages`` adds new messages to the catalogue (empty,
to translate) and drops unused ones.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from services.kit.particles import particle

CATALOGUE = Path(__file__).parent / "locale" / "ko" / "LC_MESSAGES" / "messages.po"
# Where messages are written, and the calls that mark them (Babel's extractor keywords).
SOURCES = ("services", "platform_api", "ingest", "catalog")
KEYWORDS: dict[str, tuple[int | tuple[int, str], ...] | None] = {"Msg": None, "N_": None, "P_": ((1, "c"), 2)}
# A catalogue entry: (context, English text); the context is None but for keyed entries (``P_``).
Key = tuple[str | None, str]
# The API document's texts (``platform_api.api_docs``): checked against the built document, not the source.
DOCUMENT_CONTEXT = "openapi"


@runtime_checkable
class Text(Protocol):
    """Anything an answer shows in the caller's language."""

    def render(self, korean: bool) -> str: ...


def N_(msgid: str) -> str:  # gettext's name for "mark for the catalogue, translate later"
    """Marks a catalogue entry written where no ``Msg`` is built yet (a table of messages)."""
    return msgid


def P_(key: str, english: str) -> tuple[str, str]:  # gettext's pgettext: a message with a context
    """A keyed entry (the portal's words, looked up by key): the key is the entry's gettext context, so
    two keys may share an English text and still differ in Korean."""
    return key, english


class Msg:
    """A catalogue entry and its parameters; a parameter may itself be a ``Text`` (rendered alike)."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: object) -> None:
        self.msgid = msgid
        self.params = params

    def render(self, korean: bool) -> str:
        values = {k: v.render(korean) if isinstance(v, Text) else v for k, v in self.params.items()}
        if not korean:
            return self.msgid.format(**values)
        return with_particles(korean_of(self.msgid).format(**values))

    def __str__(self) -> str:
        return self.render(False)

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r}, **{self.params!r})"


class Verbatim:
    """Text that arrives already written (another service's answer): shown as it is in both languages."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self, korean: bool) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


class Alternatives:
    """Values joined by "or" / "또는": ``Alternatives(["admin", "vendor"])``."""

    __slots__ = ("values",)

    def __init__(self, values: Iterable[object]) -> None:
        self.values = [str(v) for v in values]

    def render(self, korean: bool) -> str:
        return (" 또는 " if korean else " or ").join(self.values)

    def __str__(self) -> str:
        return self.render(False)


@cache
def _korean() -> dict[Key, str]:
    return {
        (m.context, m.id): m.string
        for m in read_catalogue()
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
    }


def korean_of(msgid: str, context: str | None = None) -> str:
    """The Korean text of a catalogue entry; the English one while it has none."""
    return _korean().get((context, msgid), msgid)


_BOTH_FORMS = re.compile(r"(을\(를\)|이\(가\)|은\(는\)|과\(와\)|\(으\)로)")
_PAIR_OF = {"을(를)": "을/를", "이(가)": "이/가", "은(는)": "은/는", "과(와)": "과/와", "(으)로": "으로/로"}


def with_particles(text: str) -> str:
    """Each "을(를)"-style pair replaced by the form that follows the word before it."""
    parts = _BOTH_FORMS.split(text)
    if len(parts) == 1:
        return text
    out = parts[0]
    for pair, rest in zip(parts[1::2], parts[2::2], strict=True):
        out += particle(out, _PAIR_OF[pair]) + rest
    return out


def placeholders(text: str) -> set[str]:
    """The named placeholders of a message: ``{company_id}`` and ``{score:g}`` name company_id, score."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def used_messages(root: Path) -> dict[Key, list[str]]:
    """Every message the source marks, with where it is (``path:line``), read by Babel's extractor."""
    from babel.messages.extract import extract_from_dir

    found: dict[Key, list[str]] = {}
    for source in SOURCES:
        for path, line, message, _, context in extract_from_dir(
            root / source, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
        ):
            if isinstance(message, str):
                found.setdefault((context, message), []).append(f"{source}/{path}:{line}")
    return found


def read_catalogue() -> Catalog:
    with CATALOGUE.open("rb") as f:
        return read_po(f, locale="ko")


def write_catalogue(catalog: Catalog) -> None:
    with CATALOGUE.open("wb") as f:
        write_po(f, catalog, width=110, no_location=True, sort_output=True)


def update(root: Path) -> Iterator[str]:
    """Adds the source's new messages to the catalogue (untranslated) and drops the unused; says what."""
    used = used_messages(root)
    catalog = read_catalogue()
    for message in list(catalog):
        if message.context == DOCUMENT_CONTEXT:
            continue
        if isinstance(message.id, str) and message.id and (message.context, message.id) not in used:
            catalog.delete(message.id, context=message.context)
            yield f"dropped: {message.context or ''} {message.id}"
    for context, msgid in used:
        if catalog.get(msgid, context=context) is None:
            catalog.add(msgid, "", flags=("python-brace-format",), context=context)
            yield f"to translate: {context or ''} {msgid}"
    write_catalogue(catalog)


if __name__ == "__main__":
    for change in update(Path(__file__).resolve().parents[2]):
        print(change)
