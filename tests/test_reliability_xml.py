"""Large hostile XML answers (issue 18 item 7), over a real loopback server.

A 29 MiB SOAP answer of empty elements (under the 30 MiB label cap) to a Correos
pre-registration: the parser refuses it at the element-count limit, within the call's deadline,
with memory a small multiple of the body, and (async) without blocking the event loop for long.
The client runs in a process of its own (``_purchase_probe``), so that what is measured is its own.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from carrier_sdk._xml import MAX_XML_ELEMENTS, parse_xml

from ._helpers import domestic_request
from ._purchase_probe import measure_purchase
from .adversarial import AdversarialServer, Forward, Request, Respond

pytest.importorskip("carrier_sdk_correos")

SIZE = 29 * 1024 * 1024
HEAD = (
    b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soapenv:Body><RespuestaPreregistroEnvio>"
)
TAIL = b"</RespuestaPreregistroEnvio></soapenv:Body></soapenv:Envelope>"
EMPTY_ELEMENTS = HEAD + b"<a/>" * ((SIZE - len(HEAD) - len(TAIL)) // 4) + TAIL


def test_element_count_limit_is_enforced() -> None:
    from carrier_sdk import ResponseError

    body = b"<r>" + b"<a/>" * (MAX_XML_ELEMENTS + 1) + b"</r>"
    with pytest.raises(ResponseError, match="elements"):
        parse_xml(body, carrier="x")
    commented = b"<r><!-- -->" + b"<a/>" * (MAX_XML_ELEMENTS + 1) + b"</r>"  # the counting path
    with pytest.raises(ResponseError, match="elements"):
        parse_xml(commented, carrier="x")
    assert parse_xml(b"<r>" + b"<a/>" * 1000 + b"</r>", carrier="x").tag == "r"


@pytest.mark.parametrize("path", ["sync", "async-httpx", "async-aiohttp"])
def test_29_mib_soap_of_empty_elements(path: str) -> None:
    if path == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    from carrier_sdk_correos.fake import CorreosFake

    fake = CorreosFake()

    def behave(request: Request) -> Any:
        if request.operation == "create_shipment":
            return Respond(200, (("content-type", "text/xml; charset=utf-8"),), EMPTY_ELEMENTS)
        return Forward()

    with AdversarialServer(behave, api=fake, host_url="https://preregistroenvios.correos.es") as server:
        settings = fake.settings(base_url=server.url)
        result = measure_purchase(
            path, "correos", settings, domestic_request("ES", "XML-1"), key="xml-key", deadline=20
        )
    # A 2xx purchase answer it cannot read: the outcome is unknown, under the caller's key.
    assert "OutcomeUnknownError" in result.get("error_types", ()), result
    assert result["idempotency_key"] == "xml-key"
    assert result["seconds"] < 10, f"{result['seconds']:.1f} s against a 20 s deadline"
    peak = result["peak"]
    assert peak < 4 * SIZE, f"peak traced memory {peak / 2**20:.0f} MiB for a {SIZE / 2**20:.0f} MiB body"
    assert result["loop_lag"] < 1.0, f"the event loop was blocked for {result['loop_lag']:.2f} s"


def test_text_size_limit_is_enforced() -> None:
    from carrier_sdk import ResponseError
    from carrier_sdk._xml import MAX_XML_TEXT

    body = b"<r><a>" + b"x" * (MAX_XML_TEXT + 10) + b"</a></r>"
    with pytest.raises(ResponseError, match="text"):
        parse_xml(body, carrier="x")


def test_deadline_is_checked_while_parsing() -> None:
    from carrier_sdk import APITimeoutError
    from carrier_sdk._xml import CALL_DEADLINE

    token = CALL_DEADLINE.set(time.monotonic() - 1)
    try:
        with pytest.raises(APITimeoutError):
            parse_xml(b"<r>" + b"<a>x</a>" * 10 + b"</r>", carrier="x")
    finally:
        CALL_DEADLINE.reset(token)
