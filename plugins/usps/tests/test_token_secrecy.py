"""The OAuth access token and the payment authorization token never leak.

Label purchase at DEBUG logging, through success, a 5xx and a lost response: neither token the
fake issued may appear in a log record, an exception's text or pickle, or a redacted request.
"""

from __future__ import annotations

import logging
import pickle
import traceback

import pytest
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import CarrierError, CarrierRegistry, Parcel, ShipmentRequest
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import make_client

from .conftest import recipient, shipper


def test_tokens_never_leak(carrier_registry: CarrierRegistry, caplog: pytest.LogCaptureFixture) -> None:
    fake = UspsFake()
    request = ShipmentRequest(shipper=shipper(), recipient=recipient(), parcels=[Parcel(weight=1, weight_unit="lb")])
    caplog.set_level(logging.DEBUG)
    errors: list[CarrierError] = []
    settings = {"usps": fake.settings()}
    with make_client(
        "sync",
        settings=settings,
        registry=carrier_registry,
        transport=fake.transport(),
        max_retries=1,
        rate_limits={"usps": None},
    ) as client:
        shipment = client.create_shipment("usps", request)
        fake.inject(FaultKind.SERVER_ERROR, operation="create_shipment", count=10)
        for _ in range(2):
            try:
                client.create_shipment("usps", request)
            except CarrierError as err:
                errors.append(err)
        fake.reset()
        try:
            # The reset fake knows neither the token nor the label: 401, one refresh, then not found.
            client.cancel_shipment("usps", shipment.tracking_number)
        except CarrierError as err:
            errors.append(err)
    secrets = set(fake.tokens) | set(fake.payment_tokens)
    issued = [r.headers.get("authorization", "") for r in fake.requests] + [
        r.headers.get("x-payment-authorization-token", "") for r in fake.requests
    ]
    secrets |= {h.removeprefix("Bearer ") for h in issued if h}
    assert secrets, "the fake issued no token: the test would prove nothing"
    assert [type(e).__name__ for e in errors] == ["OutcomeUnknownError", "OutcomeUnknownError", "NotFoundError"]
    evidence: list[str] = []
    for err in errors:
        evidence += [repr(err), str(err), "".join(traceback.format_exception(err)), pickle.dumps(err).decode("latin-1")]
        request_copy = getattr(err, "request", None)
        if request_copy is not None:
            evidence += [f"{k}: {v}" for k, v in request_copy.headers.multi_items()]
    for record in caplog.records:
        evidence += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    leaks = [(s[:6], e[:80]) for s in secrets for e in evidence if s in e]
    assert leaks == []
