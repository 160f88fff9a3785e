"""Hardened XML parsing for adapters: no entities, no DTDs, no network, bounded depth and size.

Parser errors of every kind end as one :class:`~carrier_sdk.ResponseError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

from ._exceptions import ResponseError

if TYPE_CHECKING:
    import httpx

__all__ = ["MAX_XML_DEPTH", "local_name", "parse_xml"]

#: Deeper documents are refused (no carrier payload comes close).
MAX_XML_DEPTH = 64


def local_name(tag: str) -> str:
    """``{namespace}Name`` -> ``Name``."""
    return tag.rsplit("}", 1)[-1]


def parse_xml(
    body: bytes | str,
    *,
    carrier: str,
    operation: str | None = None,
    request: httpx.Request | None = None,
    status_code: int | None = None,
) -> Element:
    """Refuse DTDs, entities and deep nesting in one streaming pass, then parse with defusedxml."""
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
    _prescan(body, fail)
    try:
        root: Element = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as err:
        raise fail(f"forbidden construct ({type(err).__name__})") from None
    except (SafeET.ParseError, xml.parsers.expat.ExpatError, ValueError) as err:
        raise fail(f"not well-formed ({type(err).__name__})") from None
    except RecursionError:
        raise fail("nesting too deep") from None
    return root


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _prescan(body: bytes, fail: Any) -> None:
    """Stream through ``body`` once, refusing DTDs, entities and deep nesting before any tree is built."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    depth = 0

    def start(name: str, attrs: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _Refused("nesting too deep")

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    def refuse(*args: Any) -> None:
        raise _Refused("DTDs and entities are not accepted")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(body, True)
    except _Refused as refused:
        raise fail(refused.reason) from None
    except (xml.parsers.expat.ExpatError, ValueError) as err:
        raise fail(f"not well-formed ({type(err).__name__})") from None
