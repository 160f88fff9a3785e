"""Every USPS body of the external corpus, fed through the public client exactly as it arrived.

Each case answers the SDK's real requests with one corpus body (status, content type and bytes
as captured or published; see ``tests/external/SOURCES.md``), checks the request the SDK sent,
and asserts the normalized result field by field. A body the adapter cannot read fails here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from carrier_sdk_usps import UspsCarrier, reconcile_label
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import (
    Address,
    AuthenticationError,
    Client,
    InvalidRequestError,
    LabelFormat,
    Location,
    Money,
    NotFoundError,
    Parcel,
    RateRequest,
    ShipmentRequest,
    TrackingStatus,
)
from carrier_sdk.testing import OperationRunner, make_registry, sample_address, sample_customs

from .conftest import CORPUS, Route, Wire, corpus_bytes, corpus_json

CARRIER = "usps"
#: The USPS fake's account (CRID, MIDs, EPS account) with credentials of the corpus's own.
SETTINGS: dict[str, Any] = {**UspsFake().settings(), "client_id": "corpus-client", "client_secret": "corpus-secret"}
TOKEN = json.dumps({"access_token": "corpus-token", "token_type": "Bearer", "expires_in": 28799}).encode()
PAYMENT = json.dumps({"paymentAuthorizationToken": "corpus-payment-token"}).encode()

SHIPPER = sample_address("st-louis")
DOMESTIC_TO = sample_address("st-louis-home")
ABROAD_TO = sample_address("canberra")
CUSTOMS = sample_customs()  # the body answers any declaration: its fields are not checked here


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def wire(*routes: Route) -> Wire:
    base = Wire()
    for route in routes:  # the case's routes first: they may answer the token request themselves
        base.add(route)
    base.add(Route("POST", "/oauth2/v3/token", body=TOKEN))
    base.add(Route("POST", "/payments/v3/payment-authorization", body=PAYMENT))
    return base


@dataclass
class Case:
    name: str
    route: Route
    call: Callable[[Client], Any]
    check: Callable[[Any, Wire], None]
    settings: dict[str, Any] | None = None
    raises: type[BaseException] | None = None


def body(name: str) -> bytes:
    return corpus_bytes(CARRIER, name)


# -- tracking ----------------------------------------------------------------------------------

KARRIO_NUMBER = "9400109104250532908587"
KARRIO_EVENTS = [  # (UTC instant, code, status, city), oldest first
    ("2024-11-15T16:32:33+00:00", "GX", TrackingStatus.PRE_TRANSIT, "SPRINGFIELD GARDENS"),
    ("2024-11-18T16:10:31+00:00", "03", TrackingStatus.IN_TRANSIT, "JAMAICA"),
    ("2024-11-18T22:01:35+00:00", "SF", TrackingStatus.IN_TRANSIT, "JAMAICA"),
    ("2024-11-18T23:02:52+00:00", "10", TrackingStatus.IN_TRANSIT, "QUEENS NY DISTRIBUTION CENTER"),
    ("2024-11-19T11:16:41+00:00", "T1", TrackingStatus.IN_TRANSIT, "QUEENS NY DISTRIBUTION CENTER"),
    ("2024-11-19T17:11:23+00:00", "TL", TrackingStatus.IN_TRANSIT, ""),
    ("2024-11-19T23:07:58+00:00", "TL", TrackingStatus.IN_TRANSIT, ""),
    ("2024-11-20T06:11:52+00:00", "TL", TrackingStatus.IN_TRANSIT, ""),
    ("2024-11-20T06:13:31+00:00", "A1", TrackingStatus.IN_TRANSIT, "JACKSONVILLE FL DISTRIBUTION CENTER"),
    ("2024-11-22T13:59:45+00:00", "07", TrackingStatus.IN_TRANSIT, "LECANTO"),
    ("2024-11-22T14:10:45+00:00", "OF", TrackingStatus.OUT_FOR_DELIVERY, "HERNANDO"),
    ("2024-11-22T18:58:40+00:00", "01", TrackingStatus.DELIVERED, "HERNANDO"),
]


def check_karrio_delivered(info: Any, sent: Wire) -> None:
    (request,) = sent.sent("GET", f"/tracking/v3/tracking/{KARRIO_NUMBER}")
    assert request.url.params["expand"] == "DETAIL"
    assert request.headers["authorization"] == "Bearer corpus-token"
    assert info.status is TrackingStatus.DELIVERED
    got = [(e.occurred_at, e.carrier_status_code, e.status, e.location.city if e.location else "") for e in info.events]
    assert got == [(utc(t), code, status, city) for t, code, status, city in KARRIO_EVENTS]
    first = info.events[0]
    assert first.location == Location(city="SPRINGFIELD GARDENS", state="NY", postal_code="11413")
    assert first.local_time == "2024-11-15T11:32:00"
    assert info.destination == Location(city="HERNANDO", state="FL", postal_code="34442", country="US")
    assert info.service == "USPS Ground Advantage"
    assert info.extra_services == ("USPS Tracking", "Up to $100 insurance included")
    assert (info.left_at, info.signed_by) == ("Parcel Locker", "")
    assert (info.origin_country, info.destination_country) == ("US", "US")
    assert info.estimated_delivery is None
    assert info.status_detail.startswith("Your item was delivered to a parcel locker at 1:58 pm")


README_NUMBER = "9400111899223855123450"


def check_readme_accepted(info: Any, sent: Wire) -> None:
    assert len(sent.sent("GET", f"/tracking/v3/tracking/{README_NUMBER}")) == 1
    assert info.tracking_number == README_NUMBER
    assert info.status is TrackingStatus.IN_TRANSIT
    (event,) = info.events
    # "2023-08-02T07:31:00Z" is RICHMOND wall time with a bogus Z and no offset: read in the
    # documented fallback zone (America/Chicago, CDT in August), not as UTC.
    assert event.occurred_at == utc("2023-08-02T12:31:00+00:00")
    assert (event.carrier_status_code, event.location) == (
        "03",
        Location(city="RICHMOND", state="VA", postal_code="23227"),
    )
    assert info.service == "Priority Mail"
    assert info.extra_services == ("USPS Tracking",)  # "services" is one string here, not a list
    assert info.destination == Location(city="CEDAR RAPIDS", state="IA", postal_code="52404", country="US")


def check_pr35_event(info: Any, sent: Wire) -> None:
    (event,) = info.events
    # eventTimestamp 2019-08-24T14:15:22 at GMTOffset -7:00 decides; GMTTimestamp (2024-04-04)
    # disagrees and is ignored.
    assert event.occurred_at == utc("2019-08-24T21:15:22+00:00")
    assert event.local_time == "2019-08-24T14:15:22Z"
    assert (event.status, info.status) == (TrackingStatus.UNKNOWN, TrackingStatus.UNKNOWN)
    assert event.carrier_status_code == "STRING"
    assert info.signed_by == ""


def check_spec_error(error: Any, sent: Wire) -> None:
    assert error.status_code == 400
    assert error.error_code == "string"


def check_oauth(error: Any, sent: Wire) -> None:
    assert error.error_code == "invalid_client"
    assert error.status_code == 401
    assert sent.sent("GET", "/tracking/v3/tracking/" + KARRIO_NUMBER) == []


# -- labels ------------------------------------------------------------------------------------


def domestic_request(**kwargs: Any) -> ShipmentRequest:
    return ShipmentRequest(
        shipper=SHIPPER,
        recipient=DOMESTIC_TO,
        parcels=[Parcel(weight="0.5", weight_unit="lb")],
        reference="order-77",
        ship_date=date(2024, 11, 26),
        **kwargs,
    )


def international_request() -> ShipmentRequest:
    return ShipmentRequest(
        shipper=SHIPPER,
        recipient=ABROAD_TO,
        parcels=[Parcel(weight="1", weight_unit="lb")],
        customs=CUSTOMS,
        ship_date=date(2023, 12, 1),
    )


def expect_label(
    shipment: Any,
    *,
    number: str,
    price: str,
    fmt: LabelFormat,
    zone: str = "",
    commitment: str = "",
    expected: date | None = None,
    reference: str = "",
    key_length: int = 32,
) -> None:
    assert shipment.tracking_number == number
    assert shipment.price == Money(amount=price, currency="USD")
    assert shipment.label is not None
    assert shipment.label.format is fmt
    magic = {LabelFormat.PDF: b"%PDF-", LabelFormat.PNG: b"\x89PNG\r\n\x1a\n"}[fmt]
    assert shipment.label.data.startswith(magic)
    assert (shipment.zone, shipment.commitment, shipment.expected_delivery) == (zone, commitment, expected)
    assert shipment.carrier_reference == reference
    assert len(shipment.idempotency_key) == key_length


def sent_label(sent: Wire, path: str) -> dict[str, Any]:
    (request,) = sent.sent("POST", path)
    assert request.headers["x-payment-authorization-token"] == "corpus-payment-token"
    payload: dict[str, Any] = json.loads(request.content)
    return payload


#: The multipart label bodies: (file, content type, the label they hold).
UNNAMED_MULTIPART = (
    "label_domestic_multipart_unnamed.txt",
    "multipart/form-data; boundary=726UYUDSQB6JWJXFDY",
    {"number": "9205590109769900012613", "price": "7.64", "zone": "01", "commitment": "1 Days"},
    {"expected": date(2023, 5, 27), "reference": "420631182628", "fmt": LabelFormat.PDF},
)
NAMED_MULTIPART = (
    "label_domestic_multipart_named.txt",
    "multipart/form-data; boundary=FNfrpx9bbvOkzqOIlaOc8mp+",
    {"number": "9234690361980900000265", "price": "42.62", "zone": "08", "commitment": "5 Days"},
    {"expected": date(2024, 12, 2), "reference": "42032827", "fmt": LabelFormat.PDF},
)


def check_unnamed_multipart(shipment: Any, sent: Wire) -> None:
    payload = sent_label(sent, "/labels/v3/label")
    assert payload["imageInfo"]["imageType"] == "PDF"
    expect_label(shipment, **UNNAMED_MULTIPART[2], **UNNAMED_MULTIPART[3])
    assert shipment.label.data.rstrip().endswith(b"%%EOF")


def check_named_multipart(shipment: Any, sent: Wire) -> None:
    payload = sent_label(sent, "/labels/v3/label")
    assert payload["packageDescription"]["mailClass"] == "USPS_GROUND_ADVANTAGE"
    expect_label(shipment, **NAMED_MULTIPART[2], **NAMED_MULTIPART[3])
    assert len(shipment.label.data) > 10_000  # the label part, not the receipt after it


def check_domestic_json(shipment: Any, sent: Wire) -> None:
    (request,) = sent.sent("POST", "/labels/v3/label")
    assert request.headers["accept"] == "application/vnd.usps.labels+json"
    assert json.loads(request.content)["imageInfo"]["imageType"] == "PDF"  # asked for PDF ...
    expect_label(  # ... and the bytes say PNG
        shipment,
        number="123456789012",
        price="10.99",
        fmt=LabelFormat.PNG,
        zone="05",
        commitment="1-day",
        expected=date(2024, 9, 30),
        reference="42012345",
    )


def check_international(shipment: Any, sent: Wire) -> None:
    payload = sent_label(sent, "/international-labels/v3/international-label")
    assert payload["toAddress"]["countryISOAlpha2Code"] == "AU"
    expect_label(shipment, number="EZ000012162US", price="286.03", fmt=LabelFormat.PNG)


def check_reprint(number: str, price: str, zone: str, commitment: str, expected: date | None) -> Any:
    def check(shipment: Any, sent: Wire) -> None:
        (request,) = sent.sent("POST", "/labels/v3/label-reprint")
        assert request.headers["x-idempotency-key"]
        expect_label(
            shipment,
            number=number,
            price=price,
            fmt=LabelFormat.PNG,
            zone=zone,
            commitment=commitment,
            expected=expected,
            reference="42012345" if zone else "",
            key_length=len("order-77-label"),
        )

    return check


# -- cancels -----------------------------------------------------------------------------------


def check_cancel_canceled(result: Any, sent: Wire) -> None:
    assert len(sent.sent("DELETE", "/international-labels/v3/international-label/MM000043788US")) == 1
    assert (result.tracking_number, result.cancelled, result.status) == ("MM000043788US", True, "CANCELED")


def check_cancel_disputed(result: Any, sent: Wire) -> None:
    assert len(sent.sent("DELETE", "/labels/v3/label/9262593519935271903671")) == 1
    assert (result.cancelled, result.status) == (False, "DISPUTED")
    assert result.message == "refund requested (dispute 103789)"


def check_cancel_not_found(error: Any, sent: Wire) -> None:
    assert (error.status_code, error.error_code) == (400, "00000XX")


def check_cancel_refused(error: Any, sent: Wire) -> None:
    assert (error.status_code, error.error_code) == (400, "00000XX")
    assert "refund" in (error.error_message or "").lower() or "Bad Request" in (error.error_message or "")


# -- rates -------------------------------------------------------------------------------------


def rate_request(recipient: Address = DOMESTIC_TO) -> RateRequest:
    return RateRequest(
        shipper=SHIPPER,
        recipient=recipient,
        parcels=[Parcel(weight="1", weight_unit="lb")],
        ship_date=date(2025, 5, 29),
    )


def check_karrio_rates(rates: Any, sent: Wire) -> None:
    (request,) = sent.sent("POST", "/shipments/v3/options/search")
    assert json.loads(request.content)["originZIPCode"] == "63116"
    data = corpus_json(CARRIER, "options_karrio_multi_product.json")
    quoted = [
        (option["mailClass"], rate_option)
        for pricing in data["pricingOptions"]
        for option in pricing["shippingOptions"]
        for rate_option in option["rateOptions"]
    ]
    assert len(rates) == len(quoted) > 5
    for rate, (mail_class, rate_option) in zip(rates, quoted, strict=True):
        detail = rate_option["rates"][0]
        assert rate.service == mail_class
        assert rate.price == Money(amount=str(rate_option["totalPrice"]), currency="USD")
        assert rate.base == Money(amount=str(rate_option["totalBasePrice"]), currency="USD")
        assert rate.zone == detail["zone"]
        assert rate.product_name == (detail["productName"] or detail["description"])
        for key in ("rateIndicator", "processingCategory", "SKU", "destinationEntryFacilityType", "priceType"):
            assert rate.product[key] == detail[key]
        codes = [int(e["extraService"]) for e in rate_option.get("extraServices", [])]
        assert rate.product.get("extraServices", []) == codes
    # Several products of one mail class stay apart.
    express = [r for r in rates if r.service == "PRIORITY_MAIL_EXPRESS"]
    assert len({(r.product["SKU"], r.product["processingCategory"]) for r in express}) == len(express) > 1


def check_readme_rates(rates: Any, sent: Wire) -> None:
    assert [(r.service, r.price.amount, r.product["SKU"]) for r in rates] == [
        ("PARCEL_SELECT", Decimal("3.40"), "DVXP0XXUXC00010"),
        ("PARCEL_SELECT", Decimal("5.48"), "DVXP0XXCXC00010"),
        ("PARCEL_SELECT", Decimal("5.29"), "DVXP0XXFXC00010"),
        ("PARCEL_SELECT", Decimal("4.17"), "DVXP0XXBXC00010"),
    ]
    assert rates[1].product_name == "Parcel Select Nonmachinable DNDC Single-piece"
    assert all(r.zone == "00" and r.estimated_days == 3 for r in rates)
    assert "rateIndicator" not in rates[0].product  # this sample does not say: nothing is invented
    assert rates[0].fees[0].name == "Global Direct Entry"


def check_spec_options(expected_classes: list[str]) -> Any:
    def check(rates: Any, sent: Wire) -> None:
        assert [r.service for r in rates] == expected_classes
        assert all(r.price.currency == "USD" and r.product["mailClass"] == r.service for r in rates)

    return check


# -- addresses ---------------------------------------------------------------------------------


def check_address_match(result: Any, sent: Wire) -> None:
    (request,) = sent.sent("GET", "/addresses/v3/address")
    assert request.url.params["state"] == "DC"
    assert result.matched is True
    assert result.address.street1 == "3120 M ST NW"
    assert result.address.postal_code == "20007-3704"
    assert (result.dpv_confirmation, result.residential) == ("Y", False)
    assert result.messages == ("Single Response - exact match",)


def check_address_not_found(result: Any, sent: Wire) -> None:
    assert result.matched is False
    assert result.messages == ("404: There is no match for the address requested.",)


DC = Address(name="Front Desk", street1="3120 M St", street2="NW", city="Washington", state="DC", country="US")


def case(
    file: str,
    route: tuple[str, str] | tuple[str, str, int],
    call: Callable[[Any], Any],
    check: Callable[[Any, Wire], None],
    *,
    name: str = "",
    content_type: str = "application/json",
    settings: dict[str, Any] | None = None,
    raises: type[BaseException] | None = None,
) -> Case:
    """A case (named after ``file`` unless ``name`` is given) answered by corpus body ``file``
    at ``route``, a ``(method, path)`` or ``(method, path, status)``."""
    name = name or file.rsplit(".", 1)[0]
    method, path, *status = route
    answer = Route(method, path, status=status[0] if status else 200, body=body(file), content_type=content_type)
    return Case(name, answer, call, check, settings, raises)


def track(number: str) -> Callable[[Any], Any]:
    return lambda c: c.track(number, carrier=CARRIER)


def buy(request: Callable[[], ShipmentRequest]) -> Callable[[Any], Any]:
    return lambda c: c.create_shipment(CARRIER, request())


def cancel(number: str) -> Callable[[Any], Any]:
    return lambda c: c.cancel_shipment(CARRIER, number)


def quote(recipient: Address = DOMESTIC_TO) -> Callable[[Any], Any]:
    return lambda c: c.rates(CARRIER, rate_request(recipient))


def reprint(client: Any) -> Any:
    return reconcile_label(client, "order-77-label")


def check_address(client: Any) -> Any:
    return client.validate_address(CARRIER, DC)


def multipart_reprint(name: str, label: tuple[Any, ...]) -> Case:
    """The multipart body ``label`` answering a reprint (as reconcile_label asks for one)."""

    def check(shipment: Any, sent: Wire) -> None:
        expect_label(shipment, **label[2], **label[3], key_length=len("order-77-label"))

    return case(label[0], ("POST", REPRINT), reprint, check, name=name, content_type=label[1])


TRACK, LABEL, REPRINT = "/tracking/v3/tracking/", "/labels/v3/label", "/labels/v3/label-reprint"
INTERNATIONAL = "/international-labels/v3/international-label"
OPTIONS, ADDRESS = "/shipments/v3/options/search", "/addresses/v3/address"
LABELS_JSON = {"content_type": "application/vnd.usps.labels+json", "settings": {"label_response": "json"}}
DISPUTED = "9262593519935271903671"

CASES = [
    case(
        "track_v3_delivered_parcel_locker.json",
        ("GET", TRACK + KARRIO_NUMBER),
        track(KARRIO_NUMBER),
        check_karrio_delivered,
    ),
    case("track_v3_accepted_readme.json", ("GET", TRACK + README_NUMBER), track(README_NUMBER), check_readme_accepted),
    case("track_v3_event_pr35.json", ("GET", TRACK + README_NUMBER), track(README_NUMBER), check_pr35_event),
    case(
        "track_v3_error_spec_placeholders.json",
        ("GET", TRACK + KARRIO_NUMBER, 400),
        track(KARRIO_NUMBER),
        check_spec_error,
        raises=InvalidRequestError,
    ),
    case(
        "oauth_invalid_client.json",
        ("POST", "/oauth2/v3/token", 401),
        track(KARRIO_NUMBER),
        check_oauth,
        raises=AuthenticationError,
    ),
    case(
        "label_domestic_multipart_unnamed.txt",
        ("POST", LABEL),
        buy(domestic_request),
        check_unnamed_multipart,
        content_type=UNNAMED_MULTIPART[1],
    ),
    case(
        "label_domestic_multipart_named.txt",
        ("POST", LABEL),
        buy(domestic_request),
        check_named_multipart,
        content_type=NAMED_MULTIPART[1],
    ),
    case("label_domestic_json_png.json", ("POST", LABEL), buy(domestic_request), check_domestic_json, **LABELS_JSON),
    case(
        "label_international_json_png.json",
        ("POST", INTERNATIONAL),
        buy(international_request),
        check_international,
        **LABELS_JSON,
    ),
    case(
        "label_international_multipart_reconstructed.txt",
        ("POST", INTERNATIONAL),
        buy(international_request),
        check_international,
        content_type="multipart/form-data; boundary=reconstructed-boundary",
    ),
    case(
        "label_reprint_domestic_json.json",
        ("POST", REPRINT),
        reprint,
        check_reprint("123456789012", "10.99", "05", "1-day", date(2024, 9, 9)),
    ),
    case(
        "label_reprint_international_json.json",
        ("POST", REPRINT),
        reprint,
        check_reprint("EZ000012162US", "286.03", "", "", None),
    ),
    multipart_reprint("label_reprint_multipart_named", NAMED_MULTIPART),
    multipart_reprint("label_reprint_multipart_unnamed", UNNAMED_MULTIPART),
    case(
        "cancel_international_canceled.json",
        ("DELETE", INTERNATIONAL + "/MM000043788US"),
        cancel("MM000043788US"),
        check_cancel_canceled,
    ),
    case(
        "cancel_domestic_refund_disputed.json",
        ("DELETE", f"{LABEL}/{DISPUTED}"),
        cancel(DISPUTED),
        check_cancel_disputed,
    ),
    case(
        "cancel_domestic_not_found_400.json",
        ("DELETE", f"{LABEL}/{DISPUTED}", 400),
        cancel(DISPUTED),
        check_cancel_not_found,
        raises=NotFoundError,
    ),
    case(
        "cancel_domestic_refund_not_submitted_400.json",
        ("DELETE", f"{LABEL}/{DISPUTED}", 400),
        cancel(DISPUTED),
        check_cancel_refused,
        raises=InvalidRequestError,
    ),
    case("options_karrio_multi_product.json", ("POST", OPTIONS), quote(), check_karrio_rates),
    case("options_readme_parcel_select.json", ("POST", OPTIONS), quote(), check_readme_rates),
    case("options_spec_domestic_outbound.json", ("POST", OPTIONS), quote(), check_spec_options(["PARCEL_SELECT"])),
    case(
        "options_spec_international.json",
        ("POST", OPTIONS),
        quote(ABROAD_TO),
        check_spec_options(["PRIORITY_MAIL_EXPRESS_INTERNATIONAL"]),
    ),
    case("address_readme_dc.json", ("GET", ADDRESS), check_address, check_address_match),
    case("address_spec_not_found_404.json", ("GET", ADDRESS, 404), check_address, check_address_not_found),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corpus_body(case: Case, make_runner: Callable[..., OperationRunner]) -> None:
    settings = {**SETTINGS, **(case.settings or {})}
    sent = wire(dataclasses.replace(case.route))  # a fresh route per run (routes may count their uses)
    runner = make_runner(
        settings={CARRIER: settings},
        registry=make_registry(UspsCarrier),
        transport=httpx.MockTransport(sent.handler),
        rate_limits={CARRIER: None},
    )
    if case.raises is not None:
        with pytest.raises(case.raises) as info:
            runner(case.call)  # the same public call on each client kind
        case.check(info.value, sent)
    else:
        case.check(runner(case.call), sent)


def test_every_usps_corpus_file_has_a_case() -> None:
    files = {p.name for p in (CORPUS / CARRIER).iterdir()}
    used = {
        name
        for case in CASES
        for name in files
        if case.route.body == corpus_bytes(CARRIER, name) and case.route.body  # the body of some case
    }
    assert files == used
    assert len(files) >= 15
