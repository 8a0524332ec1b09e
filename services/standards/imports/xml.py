"""Hardened XML for imports: no DTD, no entities, no external references (defusedxml), names without
their namespace so a document parses whatever prefix or namespace version (MTConnect 1.x-2.x) it uses."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.kit.errors import BadRequest, ValidationFailed, field_error


def parse(data: bytes, root_name: str) -> Element:
    """The document's root element, which must be ``root_name``; else a 400/422 naming the body."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BadRequest(
            "the document declares a DTD, entities or external references, which are refused "
            f"({type(exc).__name__})",
            detail_ko="DTD·엔티티·외부 참조가 있는 XML은 받지 않습니다",
            fields=[field_error("body", "DTDs, entities and external references are refused")],
        ) from exc
    except ParseError as exc:
        line, column = exc.position
        raise BadRequest(
            f"not well-formed XML: {exc.msg if hasattr(exc, 'msg') else exc} (line {line}, column {column})",
            detail_ko=f"XML 형식이 올바르지 않습니다 ({line}행 {column}열)",
            fields=[field_error("body", f"not well-formed XML at line {line}, column {column}")],
        ) from exc
    if local(root) != root_name:
        raise ValidationFailed(
            f"the document's root element is <{local(root)}>, not <{root_name}>",
            detail_ko=f"문서의 최상위 요소가 <{root_name}>가 아닙니다",
            fields=[field_error("body", f"root element must be {root_name}")],
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
