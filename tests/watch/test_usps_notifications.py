"""USPS Tracking by Email registration: the request USPS documents, its validation and its answer."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from carrier_sdk_usps.fake import UspsFake, fake_impb
from carrier_sdk_usps.notifications import MAILING_EVENT_TYPES, register_tracking_emails

from carrier_sdk import Client, InvalidRequestError, ValidationError

NUMBER = fake_impb(2)


def _client(answer: httpx.Response, seen: list[httpx.Request]) -> Client:
    fake = UspsFake()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/notifications"):
            seen.append(request)
            return answer
        return fake.handle(request)

    return Client({"usps": fake.settings()}, transport=httpx.MockTransport(handle), max_retries=0)


def test_registration_sends_the_documented_request_and_reads_the_acknowledgement() -> None:
    seen: list[httpx.Request] = []
    ack = httpx.Response(202, json={"resultText": "Request accepted", "returnCode": "0"})
    with _client(ack, seen) as client:
        result = client.run_flow(
            "usps",
            lambda usps: register_tracking_emails(
                usps, NUMBER, ["ada@example.com"], event_types=MAILING_EVENT_TYPES[:2], first_name="Ada"
            ),
        )
    assert (result.tracking_number, result.result_text, result.return_code) == (NUMBER, "Request accepted", "0")
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == f"/tracking/v3/tracking/{NUMBER}/notifications"
    assert request.headers["Authorization"].startswith("Bearer ")
    body = json.loads(request.content)
    assert body == {
        "notifications": [{"email": "ada@example.com"}],
        "notifyEventTypes": ["EMAIL_ALERT", "EMAIL_FUTURE_DELIVERY"],
        "firstName": "Ada",
    }
    _validate_against_spec(body)


def _validate_against_spec(body: dict[str, Any]) -> None:
    folder = os.environ.get("CARRIER_SDK_USPS_OPENAPI_DIR")
    if not folder or not (Path(folder) / "tracking.yaml").exists():
        return  # the OpenAPI check runs where .ci/run finds the specs; the shape is asserted above
    yaml = pytest.importorskip("yaml")
    validator = pytest.importorskip("openapi_schema_validator")
    spec = yaml.safe_load((Path(folder) / "tracking.yaml").read_text(encoding="utf-8"))
    # The spec's NotificationMethod is a oneOf of two schemas without required fields, so every
    # object matches both; read it as the anyOf it means.
    schemas = json.loads(json.dumps(spec["components"]["schemas"]).replace('"oneOf"', '"anyOf"'))
    schema = {**schemas["TrackingNotificationRequest"], "components": {"schemas": schemas}}
    validator.validate(body, schema, cls=validator.OAS30Validator)
    assert set(MAILING_EVENT_TYPES) == set(schemas["MailingEventType"]["enum"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"emails": []}, "one to three"),
        ({"emails": ["a@example.com"] * 4}, "one to three"),
        ({"emails": "a@example.com"}, "one to three"),
        ({"emails": ["not-an-address"]}, "not an e-mail"),
        ({"event_types": []}, "one to seven"),
        ({"event_types": ["SMS_ALERT"]}, "unknown event type"),
        ({"first_name": "x" * 51}, "longer than 50"),
    ],
    ids=["none", "four", "text", "bad", "no-types", "bad-type", "long-name"],
)
def test_bad_registrations_fail_before_sending(kwargs: dict[str, Any], message: str) -> None:
    seen: list[httpx.Request] = []
    args = {"emails": ["ada@example.com"], **kwargs}
    with _client(httpx.Response(202), seen) as client, pytest.raises(ValidationError, match=message):
        client.run_flow("usps", lambda usps: register_tracking_emails(usps, NUMBER, **args))
    assert seen == []


def test_a_refusal_is_a_typed_error() -> None:
    seen: list[httpx.Request] = []
    refusal = httpx.Response(400, json={"apiVersion": "v3", "error": {"code": "400", "message": "Invalid email"}})
    with _client(refusal, seen) as client, pytest.raises(InvalidRequestError, match="Invalid email"):
        client.run_flow("usps", lambda usps: register_tracking_emails(usps, NUMBER, ["ada@example.com"]))
    assert len(seen) == 1
