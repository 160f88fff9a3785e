"""Purchases under attack (issue 18, items 1-2): one purchase per call on every client and transport.

A real server on 127.0.0.1 reads each purchase and then loses the answer in a different way.
A carrier that honours no idempotency key must never see the purchase twice; the caller gets
:class:`OutcomeUnknownError` with the key and reference, or a plain connection error when the
request surely never left (nothing listens).
"""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest

from carrier_sdk import (
    APIConnectionError,
    CarrierRegistry,
    OutcomeUnknownError,
    ResponseError,
)
from carrier_sdk.testing import FakeCarrier, make_registry

from ._helpers import domestic_request, run_on_path
from .adversarial import AdversarialServer, Hang, PartialThenReset, Request, Reset, Respond, free_port

PATHS = ["sync", "async-httpx", "async-aiohttp"]
REQUEST = domestic_request("US", "order-77", weight="0.5")


class KeylessCarrier(FakeCarrier):
    """FakeCarrier's API, but the carrier honours no idempotency key (like USPS international labels)."""

    code: ClassVar[str] = "keyless"
    display_name: ClassVar[str] = "Keyless"
    supports_idempotency_key: ClassVar[bool] = False
    purchase_id_fields: ClassVar[tuple[str, ...]] = ("number",)


def _registry() -> CarrierRegistry:
    return make_registry(KeylessCarrier)


def buy(path: str, base_url: str, *, key: str = "caller-key-1", **options: Any) -> Any:
    """One create_shipment over ``path``; returns the Shipment or the exception raised."""
    settings = {"keyless": {"api_key_id": "id", "api_key": "fake-key", "base_url": base_url}}
    options.setdefault("timeout", httpx.Timeout(2.0))
    return run_on_path(
        path,
        lambda c: c.create_shipment("keyless", REQUEST, idempotency_key=key),
        settings=settings,
        registry=_registry(),
        **options,
    )


LABEL = json.dumps({"number": "FK100000009", "label": "%PDF-1.4", "price": "7.10"}).encode()

LOST_ANSWERS: dict[str, Callable[[Request], Any]] = {
    "reset after reading": lambda r: Reset(),
    "hang past the read timeout": lambda r: Hang(5),
    "headers then reset mid-body": lambda r: PartialThenReset(LABEL, sent=12),
    "503": lambda r: Respond(503, (("content-type", "application/json"),), b'{"error": "busy"}'),
    "200 with a truncated body": lambda r: Respond(200, (("content-type", "application/json"),), LABEL[:-9]),
    "200 with an empty body": lambda r: Respond(200, (("content-type", "application/json"),), b""),
}


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest) -> str:
    if request.param == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    return str(request.param)


@pytest.mark.parametrize("scenario", list(LOST_ANSWERS))
def test_lost_answer_buys_once_and_reports_outcome_unknown(path: str, scenario: str) -> None:
    with AdversarialServer(LOST_ANSWERS[scenario]) as server:
        outcome = buy(path, server.url, timeout=httpx.Timeout(2.0, read=0.6))
        purchases = server.count("POST /labels")
    assert purchases == 1, f"{path}/{scenario}: {purchases} purchases for one call"
    assert isinstance(outcome, OutcomeUnknownError), f"{path}/{scenario}: {outcome!r}"
    assert not isinstance(outcome, ResponseError)
    assert outcome.idempotency_key == "caller-key-1"
    assert outcome.reference == "order-77"
    assert outcome.carrier == "keyless"
    if scenario == "200 with a truncated body":
        assert outcome.identifiers == {"number": "FK100000009"}  # read from the cut answer
        assert outcome.response is not None
        assert outcome.response.status_code == 200
        assert b"FK100000009" in outcome.response.content
    clone = pickle.loads(pickle.dumps(outcome))
    assert clone.idempotency_key == "caller-key-1"


def test_nothing_listening_is_never_sent(path: str) -> None:
    """Connection refused: surely never sent, so a plain connection error (no false alarm)."""
    outcome = buy(path, f"http://127.0.0.1:{free_port()}", max_retries=0)
    assert isinstance(outcome, APIConnectionError)
    assert not isinstance(outcome, OutcomeUnknownError)


def test_refused_connection_with_retries_stays_a_connection_error(path: str) -> None:
    """Retrying a purchase that surely never left is allowed; it still ends as a connection error."""
    port = free_port()
    outcome = buy(path, f"http://127.0.0.1:{port}", max_retries=1)
    assert isinstance(outcome, APIConnectionError)
    assert not isinstance(outcome, OutcomeUnknownError)


def test_deadline_during_purchase_is_outcome_unknown(path: str) -> None:
    """Item 2: the call's deadline expires while the purchase hangs: OutcomeUnknownError, key and reference."""
    with AdversarialServer(lambda r: Hang(10)) as server:
        started = time.monotonic()
        outcome = buy(path, server.url, deadline=1.0, timeout=httpx.Timeout(8.0))
        elapsed = time.monotonic() - started
        purchases = server.count("POST /labels")
    assert purchases == 1
    assert isinstance(outcome, OutcomeUnknownError), repr(outcome)
    assert outcome.idempotency_key == "caller-key-1"
    assert outcome.reference == "order-77"
    assert elapsed < 3.0, f"{elapsed:.1f}s against a 1 s deadline"


def test_refusal_in_the_answer_stays_a_refusal(path: str) -> None:
    """A 4xx is the carrier saying no: a typed status error, not OutcomeUnknownError."""
    with AdversarialServer(
        lambda r: Respond(422, (("content-type", "application/json"),), b'{"error": "bad address"}')
    ) as server:
        outcome = buy(path, server.url)
        purchases = server.count("POST /labels")
    assert purchases == 1
    assert not isinstance(outcome, OutcomeUnknownError)
    assert getattr(outcome, "status_code", None) == 422
