"""Size caps, decompression bombs, redirects, hostile bodies and secret redaction."""

from __future__ import annotations

import gzip
import logging
import pickle
import traceback
import zlib
from typing import Any

import httpx
import pytest

from carrier_sdk import (
    APIStatusError,
    CarrierError,
    CarrierRegistry,
    Client,
    ResponseError,
    ResponseTooLargeError,
    Secret,
)
from carrier_sdk._redact import redact_request, redact_response
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number

CANARY = "CANARY-7f3e9c1d-secret"


def client_with(handler: Any, registry: CarrierRegistry, key: str = "fake-key", **kwargs: Any) -> Client:
    return Client(
        settings={"fakecarrier": {"api_key_id": "id", "api_key": key}},
        registry=registry,
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
        **kwargs,
    )


class Streaming(httpx.SyncByteStream):
    """A body that arrives in chunks and was never read into memory."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.sent = 0

    def __iter__(self) -> Any:
        for chunk in self.chunks:
            self.sent += len(chunk)
            yield chunk


def test_oversized_body_without_content_length(registry: CarrierRegistry) -> None:
    stream = Streaming([b"x" * 65536] * 100)  # 6.4 MiB, cap is 2 MiB

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=stream)

    with client_with(handler, registry) as client, pytest.raises(ResponseTooLargeError) as info:
        client.track(fake_number(1))
    assert info.value.limit == 2 * 1024 * 1024
    assert stream.sent <= info.value.limit + 65536 * 2  # stopped reading soon after the cap


def test_oversized_content_length_is_refused_before_reading(registry: CarrierRegistry) -> None:
    stream = Streaming([b"{}"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(10**9)}, stream=stream)

    with client_with(handler, registry) as client, pytest.raises(ResponseTooLargeError):
        client.track(fake_number(1))
    assert stream.sent == 0


def test_gzip_bomb_is_stopped_at_the_cap(registry: CarrierRegistry) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 300_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-encoding": "gzip"},
            stream=Streaming([bomb[i : i + 16384] for i in range(0, len(bomb), 16384)]),
        )

    with client_with(handler, registry) as client, pytest.raises(ResponseTooLargeError):
        client.track(fake_number(1))


def test_gzip_body_is_decoded(registry: CarrierRegistry, fake_api: FakeCarrierAPIServer) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        inner = fake_api.handle(request)
        return httpx.Response(
            inner.status_code, headers={"content-encoding": "gzip"}, stream=Streaming([gzip.compress(inner.content)])
        )

    with client_with(handler, registry) as client:
        assert client.track(fake_number(1)).tracking_number == fake_number(1)


def test_deflate_and_corrupt_bodies(registry: CarrierRegistry) -> None:
    def corrupt(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "deflate"}, stream=Streaming([b"not deflate at all"]))

    with client_with(corrupt, registry) as client, pytest.raises(ResponseError):
        client.track(fake_number(1))

    def unsupported(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "br"}, stream=Streaming([b"x"]))

    with client_with(unsupported, registry) as client, pytest.raises(ResponseError, match="encoding"):
        client.track(fake_number(1))
    assert zlib.compress(b"ok")  # the decoder above is zlib's


def test_requests_advertise_only_bounded_encodings(registry: CarrierRegistry, fake_api: FakeCarrierAPIServer) -> None:
    with client_with(fake_api.handle, registry) as client:
        client.track(fake_number(1))
    assert fake_api.requests[0].headers["accept-encoding"] == "gzip, deflate"
    assert fake_api.requests[0].headers["user-agent"].startswith("carrier-sdk/")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_never_followed(registry: CarrierRegistry, status: int) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(status, headers={"location": "https://evil.example.test/steal"})

    with client_with(handler, registry) as client, pytest.raises(APIStatusError) as info:
        client.track(fake_number(1))
    assert [u.host for u in seen] == ["api.fakecarrier.test"]
    assert info.value.status_code == status


HOSTILE_JSON = [
    b"",
    b"   ",
    b"[" * 5000,
    b'{"number": NaN}',
    b'{"number": Infinity}',
    b'{"number": 1e400}',
    b'\xef\xbb\xbf{"number": "x", "events": []}',  # a UTF-8 byte order mark before the JSON
    b"\xff\xfe\x00garbage",
    b"<html><body>502 Bad Gateway</body></html>",
    b'{"number": "x", "events": [{"at": "yesterday"}]}',
    b'{"number": "x", "events": [{"at": 1e300, "code": "DONE", "text": "x"}]}',
    b'{"number": "x"}',
    b'{"number": "x", "events": "nope"}',
    b"null",
    b"[]",
]


@pytest.mark.parametrize("body", HOSTILE_JSON)
def test_hostile_json_bodies_end_as_response_errors(registry: CarrierRegistry, body: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with client_with(handler, registry) as client, pytest.raises(ResponseError):
        client.track(fake_number(1))


def test_redaction_helpers() -> None:
    request = httpx.Request(
        "POST",
        "https://x.test/p?client_secret=abc&ok=1",
        headers={"Authorization": "Bearer tok-1", "X-Payment-Authorization-Token": "pay-2", "X-Custom": "cus-3"},
        content=b"client_secret=abc",
    )
    clean = redact_request(request, ["x-custom"])
    text = repr(clean.headers) + str(clean.url)
    assert "tok-1" not in text
    assert "pay-2" not in text
    assert "abc" not in text
    assert "cus-3" not in text
    assert clean.url.params["ok"] == "1"
    response = redact_response(
        httpx.Response(500, headers={"set-cookie": "s=1"}, content=b"x" * 10_000, request=request)
    )
    assert len(response.content) == 2048
    assert "s=1" not in repr(response.headers)


def test_secret_type() -> None:
    s = Secret(CANARY)
    assert CANARY not in repr(s)
    assert CANARY not in str(s)
    assert CANARY not in f"{s}"
    assert s.get_secret_value() == CANARY
    assert pickle.loads(pickle.dumps(s)) == s
    assert Secret.coerce(s) is s
    assert not Secret("")


def test_canary_secret_never_leaks(registry: CarrierRegistry, caplog: pytest.LogCaptureFixture) -> None:
    """Success and failure paths at DEBUG: no log record, repr, str, traceback or pickle holds the key."""
    api = FakeCarrierAPIServer()
    api.api_key = CANARY
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []
    with Client(
        settings={"fakecarrier": api.settings()},
        registry=registry,
        transport=api.transport(),
        sleep=lambda s: None,
        max_retries=1,
    ) as client:
        info = client.track(fake_number(1))
        outputs += [
            repr(client),
            repr(info),
            repr(client._carrier("fakecarrier").settings),
            str(client._carrier("fakecarrier").settings),
        ]
        api.inject("server_error", count=5)
        errors: list[CarrierError] = []
        for op in (lambda: client.track(fake_number(1)), lambda: client.track(fake_number(99999999))):
            try:
                op()
            except CarrierError as err:
                errors.append(err)
        api.api_key = "rotated"  # now the client's key is rejected: 401 path
        try:
            client.track(fake_number(2))
        except CarrierError as err:
            errors.append(err)
    assert len(errors) == 3
    for err in errors:
        outputs += [repr(err), str(err), "".join(traceback.format_exception(err)), repr(getattr(err, "request", None))]
        outputs.append(repr(pickle.dumps(err)))
        response = getattr(err, "response", None)
        if response is not None:
            outputs += [repr(response.headers), repr(response.request.headers)]
    for record in caplog.records:
        outputs += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    leaks = [o for o in outputs if CANARY in o]
    assert leaks == []
    assert any(isinstance(e, APIStatusError) and e.status_code == 401 for e in errors)


def test_exceptions_pickle_round_trip() -> None:
    from carrier_sdk import OutcomeUnknownError, RateLimitError, ValidationError

    for err in (
        RateLimitError("slow", carrier="x", status_code=429, retry_after=3.0),
        OutcomeUnknownError("?", carrier="x", idempotency_key="k"),
        ValidationError("bad", field="f", constraint="c"),
    ):
        clone = pickle.loads(pickle.dumps(err))
        assert type(clone) is type(err)
        assert str(clone) == str(err)
        assert clone.__dict__ == err.__dict__


def test_fakecarrier_is_registered_in_fixture(registry: CarrierRegistry) -> None:
    assert registry.get("fakecarrier") is FakeCarrier


def test_tls_verification_failure_is_typed_and_not_retried(registry: CarrierRegistry) -> None:
    import ssl

    from carrier_sdk import APIConnectionError

    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        try:
            raise ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
        except ssl.SSLError as err:
            raise httpx.ConnectError(str(err), request=request) from err

    with client_with(handler, registry) as client, pytest.raises(APIConnectionError, match="TLS certificate") as info:
        client.track(fake_number(1))
    assert calls == 1
    assert info.value.carrier == "fakecarrier"
