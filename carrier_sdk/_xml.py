"""Hardened XML parsing for adapters: no entities, no DTDs, no network; bounded depth, element
count and text size; one pass over a well-formed body; the call's deadline checked while parsing.

Parser errors of every kind end as one :class:`~carrier_sdk.ResponseError`.
"""

from __future__ import annotations

import contextvars
import re
import time
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

from ._exceptions import APITimeoutError, ResponseError

if TYPE_CHECKING:
    import xml.parsers.expat

    import httpx

__all__ = ["MAX_XML_DEPTH", "MAX_XML_ELEMENTS", "MAX_XML_TEXT", "local_name", "parse_xml"]

#: Deeper documents are refused (no carrier payload comes close).
MAX_XML_DEPTH = 64
#: Documents with more elements are refused (a 500-event SingPost batch has ~10,000).
MAX_XML_ELEMENTS = 100_000
#: Longest text of one element, in characters (a base64 label inside a SOAP answer fits).
MAX_XML_TEXT = 16 * 1024 * 1024
#: Bytes fed to the parser between two deadline checks.
_CHUNK = 256 * 1024

#: The monotonic instant the current SDK call must end by (set by the clients), if any.
CALL_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("carrier_sdk_call_deadline", default=None)


def local_name(tag: str) -> str:
    """``{namespace}Name`` -> ``Name``."""
    return tag.rsplit("}", 1)[-1]


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _refuse_dtd(*_: object) -> None:
    raise _Refused("DTDs and entities are not accepted")


#: The expat handlers that see a DTD, an entity declaration or an external entity: each refuses.
_DTD_HANDLERS = (
    "StartDoctypeDeclHandler",
    "EntityDeclHandler",
    "UnparsedEntityDeclHandler",
    "ExternalEntityRefHandler",
)


def _build_with(parser: xml.parsers.expat.XMLParserType, *, count_text: bool) -> TreeBuilder:
    """Set expat's handlers to build the document with ElementTree's C ``TreeBuilder``, counting
    elements, depth and (only when ``count_text``) the characters of each text; a DTD, an entity
    declaration or an external entity is refused. Returns the builder to close after parsing.

    One Python call per start and end tag; character data goes straight to the builder.
    """
    builder = TreeBuilder()
    names: dict[str, str] = {}
    depth = elements = text = 0

    def name(raw: str) -> str:  # expat's "uri}local" -> ElementTree's "{uri}local", memoized
        fixed = names.get(raw)
        if fixed is None:
            fixed = names[raw] = "{" + raw if "}" in raw else raw
        return fixed

    def start(tag: str, attrs: list[str]) -> None:
        nonlocal depth, elements, text
        depth += 1
        elements += 1
        text = 0
        if depth > MAX_XML_DEPTH:
            raise _Refused("nesting too deep")
        if elements > MAX_XML_ELEMENTS:
            raise _Refused(f"more than {MAX_XML_ELEMENTS} elements")
        attrib = {name(attrs[i]): attrs[i + 1] for i in range(0, len(attrs), 2)} if attrs else {}
        builder.start(names.get(tag) or name(tag), attrib)

    def end(tag: str) -> None:
        nonlocal depth, text
        depth -= 1
        text = 0
        builder.end(names.get(tag) or name(tag))

    def data(chunk: str) -> None:
        nonlocal text
        text += len(chunk)
        if text > MAX_XML_TEXT:
            raise _Refused(f"an element's text exceeds {MAX_XML_TEXT} characters")
        builder.data(chunk)

    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data if count_text else builder.data
    for handler in _DTD_HANDLERS:
        setattr(parser, handler, _refuse_dtd)
    return builder


#: The encoding an XML declaration names, if any (``<?xml version="1.0" encoding="utf-8"?>``).
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
#: Encodings in which every markup declaration is the bytes ``<!``, whatever the document says.
_ASCII_ENCODINGS = frozenset((b"utf-8", b"utf8", b"us-ascii", b"ascii"))


def _plain(body: bytes, opens: int) -> bool:
    """Whether the per-tag checks could refuse ``body`` (which holds ``opens`` bytes ``<``) for its
    depth alone: UTF-8 or ASCII (no NUL byte, no UTF-16 mark, no other declared encoding) without a
    single ``<!`` (so no DTD, entity declaration, comment or CDATA section), with fewer ``<`` than
    the element limit (every element takes one) and no more bytes than one text may have characters."""
    if opens > MAX_XML_ELEMENTS or len(body) > MAX_XML_TEXT or b"<!" in body or b"\x00" in body:
        return False
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    declared = _DECLARED_ENCODING.match(body.removeprefix(b"\xef\xbb\xbf"))
    return declared is None or declared.group(1).lower() in _ASCII_ENCODINGS


def _too_deep(root: Element) -> bool:
    """Whether an element stands deeper than :data:`MAX_XML_DEPTH`: one level at a time, no recursion."""
    level = [root]
    for _ in range(MAX_XML_DEPTH - 1):
        level = [child for element in level for child in element]
        if not level:
            return False
    return any(len(element) for element in level)


def parse_xml(
    body: bytes | str,
    *,
    carrier: str,
    operation: str | None = None,
    request: httpx.Request | None = None,
    status_code: int | None = None,
) -> Element:
    """Parse ``body`` once, refusing DTDs, entities, deep nesting, too many elements and huge texts.

    The document is fed in 256 KiB chunks; between chunks the current call's deadline (when a
    client is running one) is checked, so parsing never runs past it. A UTF-8 body with no ``<!``
    and fewer ``<`` than the element limit cannot break any limit but the depth: ElementTree's C
    parser builds it and the depth is checked after, level by level. Any other body is checked
    tag by tag as it is read.

    Raises:
        ResponseError: The body is empty, not well-formed or breaks a limit.
        APITimeoutError: The call's deadline passed while parsing.
    """
    import xml.parsers.expat

    def fail(reason: str) -> ResponseError:
        return ResponseError(
            f"unusable XML response: {reason}",
            carrier=carrier,
            operation=operation,
            request=request,
            status_code=status_code,
        )

    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body.strip():
        raise fail("empty body")
    opens = body.count(b"<")
    if opens > 2 * MAX_XML_ELEMENTS + 2 and b"<![CDATA[" not in body and b"<!--" not in body:
        # Every "<" outside CDATA and comments opens or closes a tag: refuse without building anything.
        raise fail(f"more than {MAX_XML_ELEMENTS} elements")
    deadline = CALL_DEADLINE.get()

    def check_deadline() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise APITimeoutError(
                "the call's deadline passed while parsing the response", carrier=carrier, operation=operation
            )

    if _plain(body, opens):
        # What the per-tag checks below guard against cannot be in this body, except depth:
        # ElementTree's C parser builds it (no Python call per tag), and the depth is checked after.
        fast = XMLParser()
        try:
            for start in range(0, len(body), _CHUNK):
                check_deadline()
                fast.feed(body[start : start + _CHUNK])
            tree: Element = fast.close()
        except ParseError:
            pass  # the checked parse below says why, and which sign came first
        else:
            if _too_deep(tree):
                raise fail("nesting too deep")
            return tree
    parser = xml.parsers.expat.ParserCreate(None, "}")
    # A text cannot hold more characters than the body has bytes: count only when it could.
    builder = _build_with(parser, count_text=len(body) > MAX_XML_TEXT)
    try:
        view = memoryview(body)
        for start in range(0, len(body), _CHUNK):
            check_deadline()
            parser.Parse(bytes(view[start : start + _CHUNK]), False)
        parser.Parse(b"", True)
        root: Element = builder.close()
    except _Refused as refused:
        raise fail(refused.reason) from None
    except (xml.parsers.expat.ExpatError, ValueError) as err:
        raise fail(f"not well-formed ({type(err).__name__})") from None
    except RecursionError:
        raise fail("nesting too deep") from None
    return root
