"""Requests the adapter sends and payloads the fake returns, validated against the USPS OpenAPI specs.

The published specs are not part of the repository: these checks are opt-in and read the folder
that holds them (``tracking.yaml``, ``domestic-labels.yaml`` ...) from the environment variable
``CARRIER_SDK_USPS_OPENAPI_DIR`` (``.ci/run`` sets it when the folder exists beside the checkout).
Unset, they skip and say so; set to a path that is not a folder, they fail.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from carrier_sdk_usps import reconcile_label
from carrier_sdk_usps._mapping import parse_label_response
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import CarrierRegistry, Client, RateRequest, ShipmentRequest

from .conftest import parcel, recipient, shipper
from .test_shipping import _international_request, _shipment_request

SPEC_DIR_VARIABLE = "CARRIER_SDK_USPS_OPENAPI_DIR"


def spec_dir() -> Path | None:
    """The folder named by ``CARRIER_SDK_USPS_OPENAPI_DIR``, or ``None`` when it is unset."""
    value = os.environ.get(SPEC_DIR_VARIABLE, "").strip()
    return Path(value).expanduser() if value else None


SKIP_REASON = (
    f"USPS OpenAPI checks are opt-in: set {SPEC_DIR_VARIABLE} to a folder holding the USPS OpenAPI "
    "specs (tracking.yaml, domestic-labels.yaml, ...) to validate requests and fake payloads against them"
)

yaml = pytest.importorskip("yaml")
osv = pytest.importorskip("openapi_schema_validator")
referencing = pytest.importorskip("referencing")


@pytest.fixture(autouse=True)
def _need_specs() -> None:
    folder = spec_dir()
    if folder is None:
        pytest.skip(SKIP_REASON)
    if not folder.is_dir():
        pytest.fail(f"{SPEC_DIR_VARIABLE}={folder} is not a folder: point it at the USPS OpenAPI specs or unset it")


def _relax(node: Any) -> Any:
    """Drop ``additionalProperties: false`` where it meets ``allOf`` (on the node or a member).

    Under JSON Schema semantics such a schema rejects the properties its other ``allOf``
    members declare, so no instance with properties validates (e.g. ``InternationalCustomsForm``);
    the spec authors mean "nothing beyond the composed properties". Everything else is kept.
    """
    if isinstance(node, list):
        return [_relax(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _relax(value) for key, value in node.items()}
    if "allOf" in out:
        if out.get("additionalProperties") is False:
            del out["additionalProperties"]
        for member in out["allOf"]:
            if isinstance(member, dict) and member.get("additionalProperties") is False:
                del member["additionalProperties"]
    return out


@cache
def _spec(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _relax(yaml.safe_load(((spec_dir() or Path()) / f"{name}.yaml").read_text()))
    return loaded


def _validator(spec: str, schema: str, *, write: bool) -> Any:
    from referencing.jsonschema import DRAFT4

    uri = f"urn:usps-openapi:{spec}"
    resource = referencing.Resource.from_contents(_spec(spec), default_specification=DRAFT4)
    registry = referencing.Registry().with_resource(uri, resource)
    cls = osv.OAS30WriteValidator if write else osv.OAS30ReadValidator
    return cls(
        {"$ref": f"{uri}#/components/schemas/{schema}"}, registry=registry, format_checker=osv.oas30_format_checker
    )


def check(spec: str, schema: str, instance: Any, *, write: bool = False) -> None:
    errors = sorted(_validator(spec, schema, write=write).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors)


SEEN: list[tuple[httpx.Request, httpx.Response]] = []


def _recording(fake: UspsFake) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        response = fake.handle(request)
        response.read()
        SEEN.append((request, response))
        return response

    return httpx.MockTransport(handler)


@pytest.fixture
def session(carrier_registry: CarrierRegistry) -> Any:
    fake = UspsFake(seed=1)
    client = Client(
        settings={"usps": fake.settings()},
        registry=carrier_registry,
        transport=_recording(fake),
        rate_limits={"usps": None},
        sleep=lambda s: None,
    )
    yield fake, client
    client.close()


def _exchanges(fake: UspsFake, client: Client, action: Any) -> list[tuple[httpx.Request, httpx.Response]]:
    """Run ``action``; the (request, response) pairs the fake saw meanwhile."""
    SEEN.clear()
    action()
    pairs = list(SEEN)
    SEEN.clear()
    return pairs


def _by_path(pairs: list[tuple[httpx.Request, httpx.Response]], suffix: str) -> tuple[httpx.Request, httpx.Response]:
    return next((rq, rs) for rq, rs in pairs if rq.url.path.endswith(suffix))


def _check_exchange(
    pairs: list[tuple[httpx.Request, httpx.Response]], suffix: str, spec: str, request: str, response: str
) -> None:
    """The JSON sent to the path ending with ``suffix`` and the fake's 200 answer validate against
    the ``request`` and ``response`` schemas of ``spec``."""
    sent, answer = _by_path(pairs, suffix)
    check(spec, request, json.loads(sent.content), write=True)
    assert answer.status_code == 200
    check(spec, response, answer.json())


#: Where real tracking answers (tests/external/usps: karrio's capture, USPS's own README sample)
#: differ from Tracking 3.0's schema, the fake follows the captures. These are the only
#: differences the schema check forgives; anything else must validate.
CAPTURED_TRACKING_FLAGS = frozenset(
    {"emailEnabled", "kahalaIndicator", "proofOfDeliveryEnabled", "restoreEnabled", "RRAMEnabled", "RREEnabled"}
)


def as_documented_tracking(body: dict[str, Any]) -> dict[str, Any]:
    """The captured tracking shape mapped back onto the documented one, difference by difference:
    string booleans ("false"), ``mailType`` "DM", a human ``mailClass`` with HTML, ``null`` event fields."""
    out = dict(body)
    for key in CAPTURED_TRACKING_FLAGS & out.keys():
        assert out[key] in ("true", "false"), key
        out[key] = out[key] == "true"
    if out.get("mailType") == "DM":
        out["mailType"] = "DOMESTIC_MAIL"
    if "<SUP>" in str(out.get("mailClass", "")):
        del out["mailClass"]
    out["trackingEvents"] = [{k: v for k, v in e.items() if v is not None} for e in out.get("trackingEvents", [])]
    return out


def as_documented_address(body: dict[str, Any]) -> dict[str, Any]:
    """USPS's README answer (tests/external/usps/address_readme_dc.json) carries ``null`` address
    fields and an empty correction on an exact match; the schema allows neither. Forgive exactly that."""
    out = dict(body)
    out["address"] = {k: v for k, v in body["address"].items() if v is not None}
    out["corrections"] = [c for c in body.get("corrections", []) if c != {"code": "", "text": ""}]
    return out


def test_tracking_payloads(session: Any) -> None:
    fake, client = session
    numbers = [fake.scenario_numbers[s] for s in ("delivered", "returned_to_sender", "pre_transit", "unknown")]

    def action() -> None:
        for number in numbers:
            with contextlib.suppress(Exception):  # the unknown number: its error body is checked below
                client.track(number)

    pairs = _exchanges(fake, client, action)
    for request, response in pairs:
        if "/tracking/v3/tracking/" not in request.url.path:
            continue
        if response.status_code == 200:
            check("tracking", "TrackingDetails", as_documented_tracking(response.json()))
        else:
            assert response.json()["error"]["errors"][0]["code"] == "150002"
            check("tracking", "ErrorMessage", response.json())


def test_rates_request_and_response(session: Any) -> None:
    fake, client = session
    domestic = RateRequest(shipper=shipper(), recipient=recipient(), parcels=[parcel()], ship_date=date(2025, 5, 26))
    international = RateRequest(
        shipper=shipper(), recipient=_international_request().recipient, parcels=[parcel()], ship_date=date(2025, 5, 26)
    )
    pairs = _exchanges(fake, client, lambda: (client.rates("usps", domestic), client.rates("usps", international)))
    options = [(rq, rs) for rq, rs in pairs if rq.url.path.endswith("/options/search")]
    assert len(options) == 2
    check("shipping-options", "DomesticOptionsRequest", json.loads(options[0][0].content), write=True)
    check("shipping-options", "InternationalOptionsRequest", json.loads(options[1][0].content), write=True)
    check("shipping-options", "OptionsRequest", json.loads(options[0][0].content), write=True)
    check("shipping-options", "DomesticOptionsResponse", options[0][1].json())
    check("shipping-options", "InternationalOptionsResponse", options[1][1].json())


def test_label_requests_and_responses(session: Any) -> None:
    fake, client = session

    def action() -> None:
        shipment = client.create_shipment("usps", _shipment_request(), idempotency_key="key-1")
        client.cancel_shipment("usps", shipment.tracking_number)

    pairs = _exchanges(fake, client, action)
    _check_exchange(pairs, "/payment-authorization", "payments", "Parties", "Parties")
    label_request, label_response = _by_path(pairs, "/labels/v3/label")
    check("domestic-labels", "LabelRequest", json.loads(label_request.content), write=True)
    metadata, image = parse_label_response(
        label_response.headers["content-type"], label_response.content, international=False
    )
    check("domestic-labels", "LabelMetadata", dict(metadata))
    assert image is not None
    assert image.startswith(b"%PDF")
    _, cancel_response = next((rq, rs) for rq, rs in pairs if rq.method == "DELETE")
    check("domestic-labels", "CancelResponse", cancel_response.json())


def test_label_json_variant_and_reprint(carrier_registry: CarrierRegistry) -> None:
    fake = UspsFake(seed=2)
    with Client(
        settings={"usps": {**fake.settings(), "label_response": "json"}},
        registry=carrier_registry,
        transport=_recording(fake),
        rate_limits={"usps": None},
    ) as client:
        pairs = _exchanges(
            fake,
            client,
            lambda: (
                client.create_shipment("usps", _shipment_request(), idempotency_key="key-2"),
                reconcile_label(client, "key-2"),
            ),
        )
    _, response = _by_path(pairs, "/labels/v3/label")
    body = response.json()
    check("domestic-labels", "LabelVendorResponse", body)
    assert base64.b64decode(body["labelImage"]).startswith(b"%PDF")
    reprint_request, _ = _by_path(pairs, "/label-reprint")
    check("domestic-labels", "LabelReprintRequest", json.loads(reprint_request.content), write=True)


def test_international_label(session: Any) -> None:
    fake, client = session
    pairs = _exchanges(fake, client, lambda: client.create_shipment("usps", _international_request()))
    request, response = _by_path(pairs, "/international-label")
    check("international-labels", "InternationalLabelRequest", json.loads(request.content), write=True)
    metadata, _ = parse_label_response(response.headers["content-type"], response.content, international=True)
    check("international-labels", "InternationalLabelMetadata", dict(metadata))


def test_address_query_and_response(session: Any) -> None:
    fake, client = session
    pairs = _exchanges(fake, client, lambda: client.validate_address("usps", recipient()))
    request, response = _by_path(pairs, "/addresses/v3/address")
    check("addresses", "AddressResponse", as_documented_address(response.json()))
    parameters = _spec("addresses")["paths"]["/address"]["get"]["parameters"]
    for parameter in parameters:
        parameter = parameter if "$ref" not in parameter else _resolve("addresses", parameter["$ref"])
        if parameter.get("in") != "query":
            continue
        value = request.url.params.get(parameter["name"])
        if value is None:
            assert not parameter.get("required"), parameter["name"]
            continue
        errors = list(osv.OAS30Validator(parameter["schema"]).iter_errors(value))
        assert not errors, (parameter["name"], value)


def _resolve(spec: str, ref: str) -> dict[str, Any]:
    node: Any = _spec(spec)
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    resolved: dict[str, Any] = node
    return resolved


def test_fake_error_bodies(session: Any) -> None:
    fake, _ = session
    check("tracking", "ErrorMessage", fake.error_response(429, "x").json())
    check("domestic-labels", "ErrorMessage", fake.error_response(503, "Service Unavailable").json())


# -- return labels and SCAN forms (issue 14) ---------------------------------------------------


def test_return_label_request_and_response(session: Any) -> None:
    fake, client = session
    request = ShipmentRequest(shipper=recipient(), recipient=shipper(), parcels=[parcel()], reference="RMA-1")
    pairs = _exchanges(fake, client, lambda: client.create_return_label("usps", request))
    _check_exchange(
        pairs, "/labels/v3/return-label", "domestic-labels", "ReturnLabelRequest", "ReturnLabelVendorResponse"
    )


def test_scan_form_request_and_response(session: Any) -> None:
    fake, client = session
    bought = client.create_shipment(
        "usps", ShipmentRequest(shipper=shipper(), recipient=recipient(), parcels=[parcel()])
    )
    pairs = _exchanges(fake, client, lambda: client.create_manifest("usps", [bought], origin=shipper()))
    _check_exchange(pairs, "/scan-forms/v3/scan-form", "scan-forms", "SCANFormRequest", "SCANFormVendorResponse")


def test_scan_form_error_answer(session: Any) -> None:
    fake, client = session
    unknown = fake.scenario_numbers["in_transit"]

    def action() -> None:
        with pytest.raises(Exception, match="No eligible"):
            client.create_manifest("usps", [unknown], origin=shipper())

    pairs = _exchanges(fake, client, action)
    _, answer = _by_path(pairs, "/scan-forms/v3/scan-form")
    assert answer.status_code == 400
    check("scan-forms", "ErrorMessage", answer.json())


def _pickup_contact_as_documented(body: dict[str, Any]) -> dict[str, Any]:
    """``NotificationMethod`` is a ``oneOf`` of two schemas without ``required``: every object matches
    both, so no contact validates. Check each contact against the schema its key names, then the
    rest of the body without it."""
    out = json.loads(json.dumps(body))
    address = out.get("pickupAddress", out)
    for item in address.pop("contact"):
        (key,) = item
        check("carrier-pickup", "EmailNotification" if key == "email" else "SMSNotification", item, write=True)
        assert key in ("email", "cellNumber")
    # minItems 1: a placeholder only one member accepts (SMSNotification; the email is no string)
    # stands for the contacts checked above.
    address["contact"] = [{"email": 0}]
    return out


def test_pickup_requests_and_responses(session: Any) -> None:
    from datetime import timedelta

    from carrier_sdk import PickupRequest
    from carrier_sdk.testing import sample_address

    fake, client = session
    day = date.today() + timedelta(days=2)
    if day.weekday() == 6:
        day += timedelta(days=1)
    dock = sample_address("st-louis", company="Acme", email="dock@example.com", phone="314 555 0100")
    request = PickupRequest(address=dock, pickup_date=day, package_count=2, total_weight=3, service="PRIORITY_MAIL")

    def action() -> None:
        pickup = client.schedule_pickup("usps", request)
        client.cancel_pickup("usps", pickup.confirmation)

    pairs = _exchanges(fake, client, action)
    sent, answer = _by_path(pairs, "/pickup/v3/carrier-pickup/eligibility")
    assert set(sent.url.params) <= {"streetAddress", "secondaryAddress", "city", "state", "ZIPCode", "ZIPPlus4"}
    check("carrier-pickup", "PickupAddress", _pickup_contact_as_documented(answer.json()))
    posted = next((rq, rs) for rq, rs in pairs if rq.method == "POST" and rq.url.path.endswith("/carrier-pickup"))
    schema_body = _pickup_contact_as_documented(json.loads(posted[0].content))
    check("carrier-pickup", "SchedulePickupRequest", schema_body, write=True)
    confirmation = posted[1].json()
    confirmation["carrierPickupRequest"] = schema_body
    check("carrier-pickup", "PickupConfirmation", confirmation)
    read, deleted = [
        (rq, rs) for rq, rs in pairs if "/carrier-pickup/" in rq.url.path and "eligibility" not in rq.url.path
    ]
    assert read[0].method == "GET"
    assert read[1].headers["etag"]
    assert deleted[0].method == "DELETE"
    assert deleted[0].headers["if-match"] == read[1].headers["etag"]
    assert deleted[1].status_code == 200
