"""Hostile or broken bodies end as a typed ResponseError, quickly, on both clients."""

from __future__ import annotations

import time

import httpx
import pytest
import respx

from carrier_sdk import ResponseError

from .conftest import APIM_HOST, APIM_PATH, fixture_bytes

DEEP = b"<a>" * 100_000 + b"x" + b"</a>" * 100_000
DEEP_UNCLOSED = b'<ItemTrackingDetailsResponse xmlns="http://singpost.com/paw/ns">' + b"<Status>" * 100_000
TRUNCATED = fixture_bytes("track_success.xml")[:700]
INVALID_UTF8 = fixture_bytes("track_success.xml").replace(b"Item delivered", b"Item d\xff\xfelivered")

BODIES = {
    "billion_laughs": fixture_bytes("billion_laughs.xml"),
    "xxe_file": fixture_bytes("xxe_file.xml"),
    "external_dtd": fixture_bytes("external_dtd.xml"),
    "deep_nesting": DEEP,
    "deep_unclosed": DEEP_UNCLOSED,
    "truncated": TRUNCATED,
    "invalid_utf8": INVALID_UTF8,
    "html_page": fixture_bytes("html_page.html"),
    "xhtml_without_doctype": fixture_bytes("xhtml_page.html"),
    "empty": b"",
    "plain_text": b"Service Unavailable",
    "json": b'{"error": "nope"}',
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_body_rejected(carrier_runner, name):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=httpx.Response(200, content=BODIES[name]))
        started = time.perf_counter()
        with pytest.raises(ResponseError) as caught:
            carrier_runner()("track", "RR123456785SG")
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{name} took {elapsed:.2f}s"
    assert caught.value.carrier == "singpost"
    assert "root:" not in str(caught.value)  # no /etc/passwd content leaks into the message


@pytest.mark.parametrize("name", ["billion_laughs", "xxe_file", "deep_nesting", "truncated"])
def test_hostile_body_in_batch(carrier_runner, name):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=httpx.Response(200, content=BODIES[name]))
        results = carrier_runner()("track_many", ["RR123456785SG", "RA987654326SG"])
    assert len(results) == 2
    assert all(isinstance(r.error, ResponseError) for r in results)


def test_error_details_never_raises():
    from carrier_sdk_singpost import SingPostCarrier, SingPostSettings

    carrier = SingPostCarrier(SingPostSettings(api_key="k"))
    for body in BODIES.values():
        response = httpx.Response(500, content=body, request=httpx.Request("POST", "https://x.test"))
        code, message = carrier.error_details(response)
        assert code is None or isinstance(code, str)
        assert message is None or isinstance(message, str)
