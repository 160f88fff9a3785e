"""Models validate on construction and round-trip through JSON losslessly."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carrier_sdk import (
    Address,
    AddressCheck,
    Customs,
    CustomsItem,
    Fee,
    Label,
    LabelFormat,
    Location,
    Money,
    Parcel,
    Rate,
    RateRequest,
    RelatedNumber,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
    ValidationError,
    WeightUnit,
    from_dict,
    to_dict,
)

US = Address(name="Jane Doe", street1="1100 Wyoming", city="St. Louis", state="MO", postal_code="63118", country="us")
CN = Address(company="Sender Co", street1="1 Xihu Rd", city="Hangzhou", postal_code="310000", country="CN")


def customs() -> Customs:
    return Customs(
        items=[
            CustomsItem(
                description="Jigsaw puzzle",
                quantity=2,
                value=Money(amount="12.50", currency="usd"),
                weight=Decimal("0.25"),
                hs_code="9503.00.41",
                origin_country="cn",
            )
        ]
    )


def test_address_normalizes_country_and_strips() -> None:
    a = Address(name="  Jane ", street1="x", city="y", country=" gb ")
    assert a.country == "GB"
    assert a.name == "Jane"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "USA"}, "country"),
        ({"country": 1}, "country"),
        ({"city": ""}, "city"),
        ({"street1": "a" * 101}, "street1"),
        ({"name": "bad\x00name"}, "name"),
        ({"name": "", "company": ""}, "name"),
    ],
)
def test_address_rejects_bad_input(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"name": "Jane", "street1": "x", "city": "y", "country": "US"}
    base.update(kwargs)
    with pytest.raises(ValidationError) as info:
        Address(**base)  # type: ignore[arg-type]
    assert info.value.field == field
    assert info.value.constraint


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weight": 0}, "weight"),
        ({"weight": -1}, "weight"),
        ({"weight": float("nan")}, "weight"),
        ({"weight": float("inf")}, "weight"),
        ({"weight": "heavy"}, "weight"),
        ({"weight": True}, "weight"),
        ({"weight": 1001}, "weight"),
        ({"weight": 2300, "weight_unit": "lb"}, "weight"),
        ({"weight": 1, "weight_unit": "stone"}, "weight_unit"),
        ({"weight": 1, "length": 10}, "length"),
        ({"weight": 1, "length": 10, "width": 0, "height": 1}, "width"),
        ({"weight": 1, "length": 2000, "width": 1, "height": 1}, "length"),
    ],
)
def test_parcel_rejects_bad_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Parcel(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_parcel_unit_conversion() -> None:
    p = Parcel(weight=1, weight_unit=WeightUnit.LB, length=10, width=20, height=2.54, dimension_unit="cm")
    assert round(p.weight_in(WeightUnit.KG), 6) == Decimal("0.453592")
    assert round(p.weight_in(WeightUnit.OZ), 3) == Decimal("16.000")
    dims = p.dimensions_in("in")  # type: ignore[arg-type]
    assert dims is not None
    assert round(dims[2], 6) == Decimal(1)
    assert Parcel(weight=1).dimensions_in("cm") is None  # type: ignore[arg-type]


def test_customs_item_unit_weight_conversion() -> None:
    item = CustomsItem(
        description="x",
        value=Money(amount=1, currency="USD"),
        weight=12,
        weight_unit=WeightUnit.OZ,
        origin_country="CN",
    )
    assert item.weight_in(WeightUnit.G) == Decimal("340.1942775")
    assert item.weight_in(WeightUnit.OZ) == Decimal(12)
    assert CustomsItem(
        description="x", value=Money(amount=1, currency="USD"), weight=1, weight_unit="lb", origin_country="CN"
    ).weight_in(WeightUnit.G) == Decimal("453.59237")


def test_float_weight_keeps_its_decimal_text() -> None:
    assert Parcel(weight=0.1).weight == Decimal("0.1")


def test_money_and_customs_totals() -> None:
    c = customs()
    assert c.total_value == Money(amount=Decimal("25.00"), currency="USD")
    with pytest.raises(ValidationError):
        Money(amount="1", currency="XYZ")
    with pytest.raises(ValidationError):
        Money(amount="NaN", currency="USD")


@pytest.mark.parametrize("hs", ["12345", "12345678901", "abc123"])
def test_hs_code_rejected(hs: str) -> None:
    with pytest.raises(ValidationError) as info:
        CustomsItem(description="x", value=Money(amount=1, currency="USD"), weight=1, hs_code=hs, origin_country="CN")
    assert info.value.field == "hs_code"


def test_international_shipment_needs_customs() -> None:
    with pytest.raises(ValidationError) as info:
        ShipmentRequest(shipper=CN, recipient=US, parcels=[Parcel(weight=1)])
    assert info.value.field == "customs"
    ShipmentRequest(shipper=CN, recipient=US, parcels=[Parcel(weight=1)], customs=customs())


def test_shipment_request_needs_parcels() -> None:
    with pytest.raises(ValidationError) as info:
        ShipmentRequest(shipper=US, recipient=US, parcels=[])
    assert info.value.field == "parcels"


def test_tracking_event_requires_aware_time_and_converts_to_utc() -> None:
    with pytest.raises(ValidationError):
        TrackingEvent(occurred_at=datetime(2024, 1, 1), status="delivered")
    e = TrackingEvent(occurred_at=datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), status="delivered")
    assert e.occurred_at == datetime(2024, 1, 1, 0, tzinfo=UTC)
    assert e.occurred_at.tzinfo is UTC


def test_tracking_info_sorts_events_oldest_first() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    late = TrackingEvent(occurred_at=t0 + timedelta(hours=2), status=TrackingStatus.DELIVERED)
    early = TrackingEvent(occurred_at=t0, status=TrackingStatus.IN_TRANSIT)
    info = TrackingInfo(
        carrier="x", tracking_number="1", status=TrackingInfo.status_of([late, early]), events=[late, early]
    )
    assert info.events == (early, late)
    assert info.status is TrackingStatus.DELIVERED
    assert info.latest_event is late
    assert TrackingInfo.status_of([]) is TrackingStatus.UNKNOWN


def test_label_bytes_stay_out_of_repr() -> None:
    label = Label(format=LabelFormat.PDF, data=b"%PDF-secret-bytes")
    assert "secret" not in repr(label)
    assert label.size == 17


def full_info() -> TrackingInfo:
    t0 = datetime(2024, 5, 21, 2, 56, tzinfo=UTC)
    return TrackingInfo(
        carrier="singpost",
        tracking_number="RR123456785SG",
        status=TrackingStatus.IN_TRANSIT,
        events=[
            TrackingEvent(
                occurred_at=t0,
                status=TrackingStatus.IN_TRANSIT,
                description="Item posted",
                carrier_status_code="AC",
                location=Location(city="Singapore", country="SG"),
                local_time="2024-05-21T10:56:00",
            )
        ],
        estimated_delivery=date(2024, 5, 30),
        related_numbers=[RelatedNumber(tracking_number="9400111899223855123450", carrier="usps", relation="last_mile")],
        destination=Location(city="NEW YORK", state="NY", postal_code="10001", country="US"),
        extra_services=("Signature Confirmation",),
        signed_by="J SMITH",
        left_at="Front Door/Porch",
        estimated_delivery_earliest=date(2024, 5, 29),
        estimated_delivery_latest=date(2024, 5, 31),
    )


def full_rate() -> Rate:
    return Rate(
        carrier="usps",
        service="PRIORITY_MAIL",
        price=Money(amount="10.25", currency="USD"),
        product_name="Priority Mail Flat Rate Envelope",
        base=Money(amount="9.10", currency="USD"),
        fees=[Fee(name="Signature Confirmation", amount=Money(amount="1.15", currency="USD"), code="921")],
        zone="04",
        product={"rateIndicator": "FE", "processingCategory": "FLATS", "SKU": "DPXX0XXXXX07200", "tiers": [1, 2.5]},
    )


def test_rate_product_must_be_json_ready() -> None:
    with pytest.raises(ValidationError) as info:
        Rate(carrier="usps", service="X", price=Money(amount=1, currency="USD"), product={"price": Decimal(1)})
    assert info.value.field == "product"
    with pytest.raises(ValidationError):
        Rate(carrier="usps", service="X", price=Money(amount=1, currency="USD"), product={1: "a"})
    rate = Rate(carrier="usps", service="X", price=Money(amount=1, currency="USD"), product={"a": ("b", {"c": None})})
    assert rate.product == {"a": ["b", {"c": None}]}
    assert hash(rate) == hash(attrs.evolve(rate, product={"other": 1}))


def test_shipment_says_when_the_price_changed_since_the_quote() -> None:
    quote = Money(amount="9.10", currency="USD")
    same = Shipment(carrier="usps", tracking_number="1", price=quote, quoted_price=quote)
    assert not same.price_changed
    assert attrs.evolve(same, price=Money(amount="9.35", currency="USD")).price_changed
    assert not Shipment(carrier="usps", tracking_number="1", price=quote).price_changed


def test_shipment_request_service_must_match_its_rate() -> None:
    with pytest.raises(ValidationError) as info:
        ShipmentRequest(shipper=US, recipient=US, parcels=[Parcel(weight=1)], service="MEDIA_MAIL", rate=full_rate())
    assert info.value.field == "service"


def test_delivery_window_must_be_ordered() -> None:
    with pytest.raises(ValidationError) as info:
        attrs.evolve(
            full_info(), estimated_delivery_earliest=date(2024, 6, 2), estimated_delivery_latest=date(2024, 6, 1)
        )
    assert info.value.field == "estimated_delivery_earliest"


@pytest.mark.parametrize(
    "model",
    [
        US,
        Parcel(weight="1.250", length=1, width=2, height=3),
        customs(),
        ShipmentRequest(shipper=CN, recipient=US, parcels=[Parcel(weight=1)], customs=customs(), reference="o-1"),
        RateRequest(shipper=US, recipient=US, parcels=[Parcel(weight=2)], ship_date=date(2024, 1, 2)),
        Rate(carrier="usps", service="PRIORITY_MAIL", price=Money(amount="7.99", currency="USD"), estimated_days=2),
        full_rate(),
        ShipmentRequest(shipper=US, recipient=US, parcels=[Parcel(weight=1)], rate=full_rate()),
        Shipment(
            carrier="usps",
            tracking_number="9400111899223855123450",
            price=Money(amount="9.35", currency="USD"),
            quoted_price=Money(amount="9.10", currency="USD"),
            expected_delivery=date(2024, 5, 30),
            commitment="2-Day",
            zone="04",
        ),
        Shipment(
            carrier="usps",
            tracking_number="9400111899223855123450",
            label=Label(format="pdf", data=b"\x00\x01%PDF"),
            price=Money(amount="7.99", currency="USD"),
            idempotency_key="k",
        ),
        AddressCheck(carrier="usps", matched=True, address=US, corrections=("zip",)),
        full_info(),
    ],
    ids=lambda m: f"{type(m).__name__}-{len(repr(m))}",
)
def test_json_round_trip_is_lossless(model: object) -> None:
    data = json.loads(json.dumps(to_dict(model)))
    assert from_dict(type(model), data) == model


def test_to_dict_uses_strings_for_money_and_iso_for_time() -> None:
    data = to_dict(full_info())
    assert data["events"][0]["occurred_at"] == "2024-05-21T02:56:00+00:00"
    assert data["status"] == "in_transit"
    assert to_dict(Money(amount="0.10", currency="EUR")) == {"amount": "0.10", "currency": "EUR"}


def test_from_dict_reports_validation_errors() -> None:
    data = to_dict(US)
    data["country"] = "ZZ"
    with pytest.raises(ValidationError) as info:
        from_dict(Address, data)
    assert info.value.field == "country"
    with pytest.raises(ValidationError):
        from_dict(Address, {"nonsense": 1})


def test_models_pickle() -> None:
    info = full_info()
    assert pickle.loads(pickle.dumps(info)) == info


@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9),
    currency=st.sampled_from(["USD", "EUR", "CNY", "SGD"]),
)
def test_money_round_trip_property(amount: Decimal, currency: str) -> None:
    money = Money(amount=amount, currency=currency)
    assert from_dict(Money, json.loads(json.dumps(to_dict(money)))) == money


def test_carrier_info_round_trips_with_sorted_capabilities() -> None:
    from carrier_sdk import Capability, CarrierInfo

    info = CarrierInfo(code="x", display_name="X", capabilities=frozenset({Capability.TRACK, Capability.RATES}))
    data = json.loads(json.dumps(to_dict(info)))
    assert data["capabilities"] == ["rates", "track"]
    assert from_dict(CarrierInfo, data) == info


def test_results_and_journeys_with_errors_serialize_to_json() -> None:
    from carrier_sdk import Journey, JourneyLeg, TrackingNotFoundError, TrackingResult

    error = TrackingNotFoundError("unknown", carrier="usps", status_code=400, error_code="150002")
    result = to_dict(TrackingResult(number="9400111899223855123450", carrier="usps", error=error))
    assert result["error"] == {
        "type": "TrackingNotFoundError",
        "message": str(error),
        "carrier": "usps",
        "status_code": 400,
        "error_code": "150002",
    }
    journey = Journey(
        tracking_number="LP00667794278588",
        legs=(JourneyLeg(carrier="usps", tracking_number="9400111899223855123450", relation="last_mile", error=error),),
        events=(),
        status=TrackingStatus.UNKNOWN,
    )
    assert json.loads(json.dumps(to_dict(journey)))["legs"][0]["error"]["type"] == "TrackingNotFoundError"
