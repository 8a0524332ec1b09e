"""Hardened XML for imports: no DTD, no entities, no external references (defusedxml), names without
their namespace so a document parses whatever prefix or namespace version (MTConnect 1.x-2.x) it uses."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.kit.errors import BadRequest, ValidationFailed, field_error
from services.kit.messages import Msg


def parse(data: bytes, root_name: str) -> Element:
    """The document's root element, which must be ``root_name``; else a 400/422 naming the body."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
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


def children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if local(child) == name)


def child(element: Element, name: str) -> Element | None:
    return next(children(element, name), None)


def text_of(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None
