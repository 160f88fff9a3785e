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

import anyio
import httpx
import pytest
from carrier_sdk_usps import UspsCarrier, reconcile_label

from carrier_sdk import (
    Address,
    AsyncClient,
    AuthenticationError,
    Client,
    Customs,
    CustomsItem,
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
from carrier_sdk.testing import make_registry

from .conftest import Route, Wire, corpus_bytes, corpus_json

CARRIER = "usps"
SETTINGS: dict[str, Any] = {
    "client_id": "corpus-client",
    "client_secret": "corpus-secret",
    "crid": "12345678",
    "mid": "123456",
    "manifest_mid": "123456",
    "account_type": "EPS",
    "account_number": "1000000000",
}
TOKEN = json.dumps({"access_token": "corpus-token", "token_type": "Bearer", "expires_in": 28799}).encode()
PAYMENT = json.dumps({"paymentAuthorizationToken": "corpus-payment-token"}).encode()

SHIPPER = Address(
    name="John Smith", street1="4120 Bingham Ave", city="St. Louis", state="MO", postal_code="63116", country="US"
)
DOMESTIC_TO = Address(
    name="Joe Doe", street1="1100 Wyoming St", city="St. Louis", state="MO", postal_code="63118", country="US"
)
ABROAD_TO = Address(
    name="John Smith", street1="14 Kendall Lane", city="Canberra", state="ACT", postal_code="2601", country="AU"
)
CUSTOMS = Customs(
    items=[
        CustomsItem(
            description="Books",
            quantity=1,
            value=Money(amount="20", currency="USD"),
            weight="0.5",
            origin_country="US",
        )
    ]
)


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


def check_unnamed_multipart(shipment: Any, sent: Wire) -> None:
    payload = sent_label(sent, "/labels/v3/label")
    assert payload["imageInfo"]["imageType"] == "PDF"
    expect_label(
        shipment,
        number="9205590109769900012613",
        price="7.64",
        fmt=LabelFormat.PDF,
        zone="01",
        commitment="1 Days",
        expected=date(2023, 5, 27),
        reference="420631182628",
    )
    assert shipment.label.data.rstrip().endswith(b"%%EOF")


def check_named_multipart(shipment: Any, sent: Wire) -> None:
    payload = sent_label(sent, "/labels/v3/label")
    assert payload["packageDescription"]["mailClass"] == "USPS_GROUND_ADVANTAGE"
    expect_label(
        shipment,
        number="9234690361980900000265",
        price="42.62",
        fmt=LabelFormat.PDF,
        zone="08",
        commitment="5 Days",
        expected=date(2024, 12, 2),
        reference="42032827",
    )
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


CASES = [
    Case(
        "track_v3_delivered_parcel_locker",
        Route("GET", f"/tracking/v3/tracking/{KARRIO_NUMBER}", body=body("track_v3_delivered_parcel_locker.json")),
        lambda c: c.track(KARRIO_NUMBER, carrier=CARRIER),
        check_karrio_delivered,
    ),
    Case(
        "track_v3_accepted_readme",
        Route("GET", f"/tracking/v3/tracking/{README_NUMBER}", body=body("track_v3_accepted_readme.json")),
        lambda c: c.track(README_NUMBER, carrier=CARRIER),
        check_readme_accepted,
    ),
    Case(
        "track_v3_event_pr35",
        Route("GET", f"/tracking/v3/tracking/{README_NUMBER}", body=body("track_v3_event_pr35.json")),
        lambda c: c.track(README_NUMBER, carrier=CARRIER),
        check_pr35_event,
    ),
    Case(
        "track_v3_error_spec_placeholders",
        Route(
            "GET",
            f"/tracking/v3/tracking/{KARRIO_NUMBER}",
            status=400,
            body=body("track_v3_error_spec_placeholders.json"),
        ),
        lambda c: c.track(KARRIO_NUMBER, carrier=CARRIER),
        check_spec_error,
        raises=InvalidRequestError,
    ),
    Case(
        "oauth_invalid_client",
        Route("POST", "/oauth2/v3/token", status=401, body=body("oauth_invalid_client.json")),
        lambda c: c.track(KARRIO_NUMBER, carrier=CARRIER),
        check_oauth,
        raises=AuthenticationError,
    ),
    Case(
        "label_domestic_multipart_unnamed",
        Route(
            "POST",
            "/labels/v3/label",
            body=body("label_domestic_multipart_unnamed.txt"),
            content_type="multipart/form-data; boundary=726UYUDSQB6JWJXFDY",
        ),
        lambda c: c.create_shipment(CARRIER, domestic_request()),
        check_unnamed_multipart,
    ),
    Case(
        "label_domestic_multipart_named",
        Route(
            "POST",
            "/labels/v3/label",
            body=body("label_domestic_multipart_named.txt"),
            content_type="multipart/form-data; boundary=FNfrpx9bbvOkzqOIlaOc8mp+",
        ),
        lambda c: c.create_shipment(CARRIER, domestic_request()),
        check_named_multipart,
    ),
    Case(
        "label_domestic_json_png",
        Route(
            "POST",
            "/labels/v3/label",
            body=body("label_domestic_json_png.json"),
            content_type="application/vnd.usps.labels+json",
        ),
        lambda c: c.create_shipment(CARRIER, domestic_request()),
        check_domestic_json,
        settings={"label_response": "json"},
    ),
    Case(
        "label_international_json_png",
        Route(
            "POST",
            "/international-labels/v3/international-label",
            body=body("label_international_json_png.json"),
            content_type="application/vnd.usps.labels+json",
        ),
        lambda c: c.create_shipment(CARRIER, international_request()),
        check_international,
        settings={"label_response": "json"},
    ),
    Case(
        "label_international_multipart_reconstructed",
        Route(
            "POST",
            "/international-labels/v3/international-label",
            body=body("label_international_multipart_reconstructed.txt"),
            content_type="multipart/form-data; boundary=reconstructed-boundary",
        ),
        lambda c: c.create_shipment(CARRIER, international_request()),
        check_international,
    ),
    Case(
        "label_reprint_domestic_json",
        Route("POST", "/labels/v3/label-reprint", body=body("label_reprint_domestic_json.json")),
        lambda c: reconcile_label(c, "order-77-label"),
        check_reprint("123456789012", "10.99", "05", "1-day", date(2024, 9, 9)),
    ),
    Case(
        "label_reprint_international_json",
        Route("POST", "/labels/v3/label-reprint", body=body("label_reprint_international_json.json")),
        lambda c: reconcile_label(c, "order-77-label"),
        check_reprint("EZ000012162US", "286.03", "", "", None),
    ),
    Case(
        "label_reprint_multipart_named",
        Route(
            "POST",
            "/labels/v3/label-reprint",
            body=body("label_domestic_multipart_named.txt"),
            content_type="multipart/form-data; boundary=FNfrpx9bbvOkzqOIlaOc8mp+",
        ),
        lambda c: reconcile_label(c, "order-77-label"),
        lambda shipment, sent: expect_label(
            shipment,
            number="9234690361980900000265",
            price="42.62",
            fmt=LabelFormat.PDF,
            zone="08",
            commitment="5 Days",
            expected=date(2024, 12, 2),
            reference="42032827",
            key_length=len("order-77-label"),
        ),
    ),
    Case(
        "label_reprint_multipart_unnamed",
        Route(
            "POST",
            "/labels/v3/label-reprint",
            body=body("label_domestic_multipart_unnamed.txt"),
            content_type="multipart/form-data; boundary=726UYUDSQB6JWJXFDY",
        ),
        lambda c: reconcile_label(c, "order-77-label"),
        lambda shipment, sent: expect_label(
            shipment,
            number="9205590109769900012613",
            price="7.64",
            fmt=LabelFormat.PDF,
            zone="01",
            commitment="1 Days",
            expected=date(2023, 5, 27),
            reference="420631182628",
            key_length=len("order-77-label"),
        ),
    ),
    Case(
        "cancel_international_canceled",
        Route(
            "DELETE",
            "/international-labels/v3/international-label/MM000043788US",
            body=body("cancel_international_canceled.json"),
        ),
        lambda c: c.cancel_shipment(CARRIER, "MM000043788US"),
        check_cancel_canceled,
    ),
    Case(
        "cancel_domestic_refund_disputed",
        Route("DELETE", "/labels/v3/label/9262593519935271903671", body=body("cancel_domestic_refund_disputed.json")),
        lambda c: c.cancel_shipment(CARRIER, "9262593519935271903671"),
        check_cancel_disputed,
    ),
    Case(
        "cancel_domestic_not_found_400",
        Route(
            "DELETE",
            "/labels/v3/label/9262593519935271903671",
            status=400,
            body=body("cancel_domestic_not_found_400.json"),
        ),
        lambda c: c.cancel_shipment(CARRIER, "9262593519935271903671"),
        check_cancel_not_found,
        raises=NotFoundError,
    ),
    Case(
        "cancel_domestic_refund_not_submitted_400",
        Route(
            "DELETE",
            "/labels/v3/label/9262593519935271903671",
            status=400,
            body=body("cancel_domestic_refund_not_submitted_400.json"),
        ),
        lambda c: c.cancel_shipment(CARRIER, "9262593519935271903671"),
        check_cancel_refused,
        raises=InvalidRequestError,
    ),
    Case(
        "options_karrio_multi_product",
        Route("POST", "/shipments/v3/options/search", body=body("options_karrio_multi_product.json")),
        lambda c: c.rates(CARRIER, rate_request()),
        check_karrio_rates,
    ),
    Case(
        "options_readme_parcel_select",
        Route("POST", "/shipments/v3/options/search", body=body("options_readme_parcel_select.json")),
        lambda c: c.rates(CARRIER, rate_request()),
        check_readme_rates,
    ),
    Case(
        "options_spec_domestic_outbound",
        Route("POST", "/shipments/v3/options/search", body=body("options_spec_domestic_outbound.json")),
        lambda c: c.rates(CARRIER, rate_request()),
        check_spec_options(["PARCEL_SELECT"]),
    ),
    Case(
        "options_spec_international",
        Route("POST", "/shipments/v3/options/search", body=body("options_spec_international.json")),
        lambda c: c.rates(CARRIER, rate_request(ABROAD_TO)),
        check_spec_options(["PRIORITY_MAIL_EXPRESS_INTERNATIONAL"]),
    ),
    Case(
        "address_readme_dc",
        Route("GET", "/addresses/v3/address", body=body("address_readme_dc.json")),
        lambda c: c.validate_address(CARRIER, DC),
        check_address_match,
    ),
    Case(
        "address_spec_not_found_404",
        Route("GET", "/addresses/v3/address", status=404, body=body("address_spec_not_found_404.json")),
        lambda c: c.validate_address(CARRIER, DC),
        check_address_not_found,
    ),
]


async def _no_sleep(_: float) -> None:
    return None


def _run_async(case: Case, settings: dict[str, Any], sent: Wire) -> Any:
    async def main() -> Any:
        registry = make_registry(UspsCarrier)
        async with AsyncClient(
            settings={CARRIER: settings},
            registry=registry,
            transport=httpx.MockTransport(sent.handler),
            sleep=_no_sleep,
            http_backend="httpx",
            rate_limits={CARRIER: None},
        ) as client:
            return await case.call(client)  # the same public call, awaited

    return anyio.run(main, backend="asyncio")


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corpus_body(case: Case, mode: str, wire_client: Any) -> None:
    settings = {**SETTINGS, **(case.settings or {})}
    route = dataclasses.replace(case.route)  # a fresh route per run (routes may count their uses)
    if mode == "sync":
        client, sent = wire_client(UspsCarrier, settings, wire(route))
        run: Callable[[], Any] = lambda: case.call(client)  # noqa: E731
    else:
        sent = wire(route)
        run = lambda: _run_async(case, settings, sent)  # noqa: E731
    if case.raises is not None:
        with pytest.raises(case.raises) as info:
            run()
        case.check(info.value, sent)
    else:
        case.check(run(), sent)


def test_every_usps_corpus_file_has_a_case() -> None:
    from .conftest import CORPUS

    files = {p.name for p in (CORPUS / CARRIER).iterdir()}
    used = {
        name
        for case in CASES
        for name in files
        if case.route.body == corpus_bytes(CARRIER, name) and case.route.body  # the body of some case
    }
    assert files == used
    assert len(files) >= 15
