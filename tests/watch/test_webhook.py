"""Webhook signing and verification, the sinks' retries, and a watcher delivering to a real loopback receiver."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from carrier_sdk import ConfigurationError, Secret
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import VirtualClock
from carrier_sdk.watch import (
    CHANGE_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    AsyncWebhookSink,
    MemoryStore,
    TrackingChange,
    Watcher,
    WebhookDeliveryError,
    WebhookSink,
    WebhookVerificationError,
    sign,
    verify,
)
from carrier_sdk.watch.contract import sample_change

from .conftest import T0, add_cainiao_order, read_request, serve_asgi

SECRET = "whsec-canary-5f1e"


def signed(change: TrackingChange, *, at: int = 1_800_000_000, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(change.to_dict(), separators=(",", ":"), sort_keys=True).encode()
    return body, {TIMESTAMP_HEADER: str(at), SIGNATURE_HEADER: sign(body, secret, at)}


def test_verify_accepts_a_signed_body_and_rebuilds_the_change() -> None:
    change = sample_change()
    body, headers = signed(change)
    lowered = {k.lower(): v for k, v in headers.items()}
    data = verify(body, lowered, SECRET, now=1_800_000_100)
    assert TrackingChange.from_dict(data) == change
    assert data["status_changed"] is True


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b, h: (b.replace(b"A-1", b"A-2"), h), "does not match"),
        (lambda b, h: (b, {**h, SIGNATURE_HEADER: sign(b, "other-secret", 1_800_000_000)}), "does not match"),
        (lambda b, h: (b, {**h, TIMESTAMP_HEADER: "1800000001"}), "does not match"),
        (lambda b, h: (b, {TIMESTAMP_HEADER: h[TIMESTAMP_HEADER]}), "lacks"),
        (lambda b, h: (b, {**h, TIMESTAMP_HEADER: "soon"}), "not an integer"),
        (lambda b, h: (b, {**h, SIGNATURE_HEADER: "sha256=" + "0" * 64}), "does not match"),
    ],
    ids=["body", "secret", "timestamp", "missing", "not-int", "zeros"],
)
def test_verify_rejects_tampering(mutate: Any, message: str) -> None:
    body, headers = mutate(*signed(sample_change()))
    with pytest.raises(WebhookVerificationError, match=message) as info:
        verify(body, headers, SECRET, now=1_800_000_000)
    assert SECRET not in str(info.value)


def test_verify_enforces_the_timestamp_tolerance() -> None:
    body, headers = signed(sample_change(), at=1_800_000_000)
    assert verify(body, headers, SECRET, now=1_800_000_299)
    with pytest.raises(WebhookVerificationError, match="away from now"):
        verify(body, headers, SECRET, now=1_800_000_301)
    with pytest.raises(WebhookVerificationError, match="away from now"):
        verify(body, headers, SECRET, now=1_799_999_000, tolerance=60)


class Receiver:
    """A scripted receiver: answers the statuses given, then 200; records what it accepted."""

    def __init__(self, statuses: list[int | Exception]) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.statuses.pop(0) if self.statuses else 200
        if isinstance(outcome, Exception):
            raise outcome
        headers = {"Retry-After": "7"} if outcome == 429 else {}
        return httpx.Response(outcome, headers=headers)


def test_the_sink_retries_with_backoff_then_delivers_a_verifiable_body() -> None:
    receiver = Receiver([503, httpx.ConnectError("refused"), 429, 502])
    sleeps: list[float] = []
    sink = WebhookSink(
        "https://hooks.example/carrier",
        SECRET,
        transport=httpx.MockTransport(receiver),
        sleep=sleeps.append,
        backoff=1.0,
        max_backoff=10.0,
        seed=0,
        clock=lambda: 1_800_000_000.0,
    )
    change = sample_change()
    sink(change)
    assert len(receiver.requests) == 5
    assert sink.attempts == 5
    assert 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2 and sleeps[2] == 7 and 0 <= sleeps[3] <= 8  # noqa: PT018
    last = receiver.requests[-1]
    assert last.headers[CHANGE_ID_HEADER] == change.change_id
    assert TrackingChange.from_dict(verify(last.content, dict(last.headers), SECRET, now=1_800_000_000)) == change
    sink.close()


def test_the_sink_gives_up_on_a_refusal_and_after_its_attempts() -> None:
    refusing = WebhookSink(
        "https://user:pw@hooks.example/x?token=t0k", SECRET, transport=httpx.MockTransport(Receiver([400]))
    )
    with pytest.raises(WebhookDeliveryError, match="after 1 attempt") as info:
        refusing(sample_change())
    assert info.value.status_code == 400
    for text in (str(info.value), repr(refusing)):
        assert "pw" not in text and "t0k" not in text and SECRET not in text  # noqa: PT018
    down = WebhookSink(
        "http://hooks.example/x",
        Secret(SECRET),
        max_attempts=3,
        transport=httpx.MockTransport(Receiver([500, 500, 500, 500])),
        sleep=lambda s: None,
    )
    with pytest.raises(WebhookDeliveryError, match="after 3 attempt") as info:
        down(sample_change())
    assert info.value.attempts == 3


def test_bad_sink_configuration_is_typed() -> None:
    with pytest.raises(ConfigurationError, match="non-empty"):
        WebhookSink("https://hooks.example/", "")
    with pytest.raises(ConfigurationError, match="http"):
        WebhookSink("ftp://hooks.example/", SECRET)
    with pytest.raises(ConfigurationError, match="max_attempts"):
        WebhookSink("https://hooks.example/", SECRET, max_attempts=0)


def test_the_async_sink_retries_and_delivers() -> None:
    receiver = Receiver([503])

    async def main() -> None:
        async with AsyncWebhookSink(
            "https://hooks.example/", SECRET, transport=httpx.MockTransport(receiver), backoff=0.001
        ) as sink:
            await sink(sample_change())
            assert sink.attempts == 2

    asyncio.run(main())
    assert len(receiver.requests) == 2


def make_receiver_app(accepted: dict[str, dict[str, Any]], state: dict[str, bool]) -> Any:
    """A receiver written the way a user would: verify, deduplicate on the change id, 200."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, headers = await read_request(scope, receive)
        status = 503
        if state["up"]:
            try:
                data = verify(body, headers, SECRET)
            except WebhookVerificationError:
                status = 401
            else:
                accepted.setdefault(data["change_id"], data)
                status = 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def test_a_watcher_delivers_to_a_real_loopback_receiver_and_keeps_changes_while_it_is_down(
    carrier_sandbox: Sandbox, carrier_clock: VirtualClock
) -> None:
    accepted: dict[str, dict[str, Any]] = {}
    state = {"up": False}
    for index in range(3):
        add_cainiao_order(carrier_sandbox, f"LP0000000005550{index}", created_at=T0 - 60)
    from carrier_sdk import Client

    with (
        serve_asgi(make_receiver_app(accepted, state)) as base,
        Client(sandbox=carrier_sandbox, clock=carrier_clock) as client,
        WebhookSink(f"{base}/hook", SECRET, max_attempts=2, backoff=0.01) as sink,
    ):
        watcher = Watcher(client, MemoryStore(), clock=carrier_clock, on_change=sink)
        for index in range(3):
            watcher.add(f"LP0000000005550{index}", metadata={"order": index})
        assert watcher.run_once() == []
        assert len(watcher.store.pending()) == 3
        assert accepted == {}
        state["up"] = True
        delivered = watcher.run_once()
        assert [c.change_id for c in delivered] == list(accepted)
        assert len(accepted) == 3
        assert watcher.store.pending() == []
        assert {d["metadata"]["order"] for d in accepted.values()} == {0, 1, 2}
