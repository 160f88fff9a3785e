"""Hardened XML parsing for adapters: no entities, no DTDs, no network; bounded depth, element
count and text size; one pass; the call's deadline checked while parsing.

Parser errors of every kind end as one :class:`~carrier_sdk.ResponseError`.
"""

from __future__ import annotations

import contextvars
import time
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element, TreeBuilder

from ._exceptions import APITimeoutError, ResponseError

if TYPE_CHECKING:
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


class _Builder(TreeBuilder):
    """A tree builder that counts elements, depth and text as the parser feeds it."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.elements = 0
        self.text = 0

    def start(self, tag: Any, attrs: Any) -> Element:
        self.depth += 1
        self.elements += 1
        self.text = 0
        if self.depth > MAX_XML_DEPTH:
            raise _Refused("nesting too deep")
        if self.elements > MAX_XML_ELEMENTS:
            raise _Refused(f"more than {MAX_XML_ELEMENTS} elements")
        return super().start(tag, attrs)

    def end(self, tag: Any) -> Element:
        self.depth -= 1
        self.text = 0
        return super().end(tag)

    def data(self, data: str) -> None:
        self.text += len(data)
        if self.text > MAX_XML_TEXT:
            raise _Refused(f"an element's text exceeds {MAX_XML_TEXT} characters")
        super().data(data)


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
    client is running one) is checked, so parsing never runs past it.

    Raises:
        ResponseError: The body is empty, not well-formed or breaks a limit.
        APITimeoutError: The call's deadline passed while parsing.
    """
    import xml.parsers.expat

    import defusedxml
    import defusedxml.ElementTree as SafeET

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
    if b"<![CDATA[" not in body and b"<!--" not in body and body.count(b"<") > 2 * MAX_XML_ELEMENTS + 2:
        # Every "<" outside CDATA and comments opens or closes a tag: refuse without building anything.
        raise fail(f"more than {MAX_XML_ELEMENTS} elements")
    deadline = CALL_DEADLINE.get()
    parser = SafeET.DefusedXMLParser(target=_Builder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        view = memoryview(body)
        for start in range(0, len(body), _CHUNK):
            if deadline is not None and time.monotonic() > deadline:
                raise APITimeoutError(
                    "the call's deadline passed while parsing the response", carrier=carrier, operation=operation
                )
            parser.feed(bytes(view[start : start + _CHUNK]))
        root: Element = parser.close()
    except _Refused as refused:
        raise fail(refused.reason) from None
    except defusedxml.DefusedXmlException:
        raise fail("DTDs and entities are not accepted") from None
    except (SafeET.ParseError, xml.parsers.expat.ExpatError, ValueError) as err:
        raise fail(f"not well-formed ({type(err).__name__})") from None
    except RecursionError:
        raise fail("nesting too deep") from None
    return root
