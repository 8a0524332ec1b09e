"""Hardened XML for imports: no DTD, no entities, no external references, a bounded depth, and names
without their namespace so a document parses whatever prefix or namespace version (MTConnect 1.x-2.x) it
uses.

A document is read twice, both times by expat in C: first a check with the handlers defusedxml sets
(any DOCTYPE, entity declaration or external reference is refused with defusedxml's exceptions) and a
depth count that refuses a document nesting deeper than ``MAX_DEPTH`` elements at the first element
too deep; then, only when the check passed, ElementTree builds the tree. So a parsed tree holds no
expanded entity and may be walked recursively, and an 8 MiB document parses in well under a second
(defusedxml's own parser builds the tree in Python, several times slower).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError, fromstring
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from services.kit.errors import BadRequest, ValidationFailed, field_error
from services.kit.messages import Msg

# Real equipment descriptions nest a few tens of elements (MTConnect: Device/Components/Axes/Components/
# Linear/DataItems/DataItem/Constraints/Value); 128 leaves room for deep component trees.
MAX_DEPTH = 128


class _TooDeep(Exception):
    pass


def _check(data: bytes) -> None:
    """Raise at the first DTD, entity, external reference or element too deep; ``ParseError`` when the
    document is not well-formed."""
    parser = expat.ParserCreate()
    depth = 0

    def start(name: str, attrs: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _TooDeep

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: bool) -> None:
        raise DTDForbidden(name, sysid, pubid)

    def entity(name: str, parameter: bool, value: str | None, base: str | None, sysid: str | None,
               pubid: str | None, notation: str | None) -> None:  # fmt: skip
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation)

    def unparsed(name: str, base: str | None, sysid: str | None, pubid: str | None, notation: str) -> None:
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation)

    def external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> bool:
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.StartDoctypeDeclHandler, parser.EntityDeclHandler = doctype, entity
    parser.UnparsedEntityDeclHandler, parser.ExternalEntityRefHandler = unparsed, external
    try:
        parser.Parse(data, True)
    except _TooDeep:
        raise BadRequest(
            Msg(
                "the XML document nests too deeply (more than {limit} elements, at line {line})",
                limit=MAX_DEPTH,
                line=parser.CurrentLineNumber,
            ),
            fields=[field_error("body", Msg("nesting too deep"))],
        ) from None
    except expat.ExpatError as exc:
        error = ParseError(f"{expat.ErrorString(exc.code)}: line {exc.lineno}, column {exc.offset}")
        error.code, error.position = exc.code, (exc.lineno, exc.offset)
        raise error from None


def _parse(data: bytes) -> Element:
    _check(data)
    return fromstring(data)


def parse(data: bytes, root_name: str) -> Element:
    """The document's root element, which must be ``root_name``; else a 400/422 naming the body."""
    try:
        root = _parse(data)
    except DefusedXmlException as exc:
        raise BadRequest(
            Msg(
                "the document declares a DTD, entities or external references, which are refused ({kind})",
                kind=type(exc).__name__,
            ),
            fields=[field_error("body", Msg("DTDs, entities and external references are refused"))],
        ) from exc
    except ParseError as exc:
        line, column = exc.position
        raise BadRequest(
            Msg(
                "not well-formed XML: {reason} (line {line}, column {column})",
                reason=exc.msg if hasattr(exc, "msg") else exc,
                line=line,
                column=column,
            ),
            fields=[
                field_error(
                    "body",
                    Msg("not well-formed XML at line {line}, column {column}", line=line, column=column),
                )
            ],
        ) from exc
    if local(root) != root_name:
        raise ValidationFailed(
            Msg(
                "the document's root element is <{root}>, not <{root_name}>",
                root=local(root),
                root_name=root_name,
            ),
            fields=[field_error("body", Msg("root element must be {root_name}", root_name=root_name))],
        )
    return root


def local(element: Element) -> str:
    """The tag without its namespace: ``{urn:mtconnect.org:MTConnectDevices:2.0}DataItem`` -> ``DataItem``."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def descendants(element: Element, name: str) -> Iterator[Element]:
    """Every element called ``name`` below ``element``, in ``element``'s namespace (ElementTree's C
    search: a document's hundred thousand elements are not each looked at in Python)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    namespace = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
    return element.iter(f"{namespace}{name}")


def children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if local(child) == name)


def child(element: Element, name: str) -> Element | None:
    return next(children(element, name), None)


def text_of(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None
