"""The fake speaks the shapes of the external corpus: same keys and nesting as the real bodies of each kind.

For each kind of answer, every key path that all corpus bodies of that kind share must be in the
fake's answer, with the same kind of value (object, array or scalar) wherever the corpus agrees on
it. Where the corpus shows variants (multipart labels with and without part names) the fake
produces each one under some seed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from carrier_sdk_usps._mapping import parse_label_response
from carrier_sdk_usps._wire import multipart_parts
from carrier_sdk_usps.fake import LABEL_STYLES, UspsFake

from carrier_sdk import Client, Parcel, RateRequest, ShipmentRequest

from .conftest import recipient, shipper

CORPUS = Path(__file__).parents[3] / "tests" / "external" / "usps"


def corpus(name: str) -> Any:
    return json.loads((CORPUS / name).read_bytes())


def _kind(value: Any) -> str:
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "scalar"


def paths(value: Any, prefix: str = "$") -> dict[str, set[str]]:
    """Every key path of a JSON value (array items merged under ``[]``) -> the kinds seen there."""
    out: dict[str, set[str]] = {prefix: {_kind(value)}}
    items = (
        value.items()
        if isinstance(value, dict)
        else (("[]", item) for item in value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        for path, kinds in paths(item, f"{prefix}.{key}" if key != "[]" else f"{prefix}[]").items():
            out.setdefault(path, set()).update(kinds)
    return out


def assert_same_shape(fake_body: Any, corpus_bodies: list[Any]) -> None:
    shapes = [paths(body) for body in corpus_bodies]
    common = set.intersection(*(set(s) for s in shapes))
    fake = paths(fake_body)
    missing = sorted(common - set(fake))
    assert not missing, f"the fake lacks {missing}"
    for path in common:
        agreed = set.union(*(s[path] for s in shapes))
        if len(agreed) == 1:
            assert fake[path] == agreed, f"{path}: corpus {agreed}, fake {fake[path]}"


def client_for(fake: UspsFake, **settings: Any) -> Client:
    return Client(
        settings={"usps": {**fake.settings(), **settings}},
        transport=fake.transport(),
        rate_limits={"usps": None},
        sleep=lambda s: None,
    )


def last_response(fake: UspsFake, suffix: str) -> httpx.Response:
    """Replay the last request sent to ``suffix`` (idempotent here) to read the fake's answer."""
    request = next(r for r in reversed(fake.requests) if r.url.path.endswith(suffix))
    response = fake.handle(request)
    response.read()
    return response


def _label_request() -> ShipmentRequest:
    return ShipmentRequest(
        shipper=shipper(),
        recipient=recipient(),
        parcels=[Parcel(weight=1, weight_unit="lb")],
        ship_date=date(2025, 5, 29),
    )


def test_tracking_answers_have_the_captured_shape() -> None:
    fake = UspsFake(seed=2)
    number = fake.scenario_numbers["delivered"]
    with client_for(fake) as client:
        client.track(number)
    body = last_response(fake, number).json()
    assert_same_shape(body, [corpus("track_v3_delivered_parcel_locker.json"), corpus("track_v3_accepted_readme.json")])


def test_options_answers_have_the_captured_shape() -> None:
    fake = UspsFake(seed=2)
    with client_for(fake) as client:
        client.rates("usps", RateRequest(shipper=shipper(), recipient=recipient(), parcels=[Parcel(weight=1)]))
    body = last_response(fake, "/shipments/v3/options/search").json()
    # karrio's capture and the OpenAPI example carry the product fields; USPS's README sample is older.
    assert_same_shape(
        body, [corpus("options_karrio_multi_product.json"), corpus("options_spec_domestic_outbound.json")]
    )


def test_label_answers_have_the_captured_shape() -> None:
    captures = [
        parse_label_response(
            "multipart/form-data; boundary=726UYUDSQB6JWJXFDY",
            (CORPUS / "label_domestic_multipart_unnamed.txt").read_bytes(),
            international=False,
        )[0],
        parse_label_response(
            "multipart/form-data; boundary=FNfrpx9bbvOkzqOIlaOc8mp+",
            (CORPUS / "label_domestic_multipart_named.txt").read_bytes(),
            international=False,
        )[0],
    ]
    fake = UspsFake(seed=0)
    with client_for(fake, label_response="json") as client:
        client.create_shipment("usps", _label_request(), idempotency_key="shape-1")
        body = last_response(fake, "/labels/v3/label").json()
        assert_same_shape({k: v for k, v in body.items() if k != "labelImage"}, captures)
        assert isinstance(body["labelImage"], str)
        from carrier_sdk_usps import reconcile_label

        reconcile_label(client, "shape-1")
    reprint = last_response(fake, "/labels/v3/label-reprint").json()
    assert_same_shape(
        reprint, [corpus("label_reprint_domestic_json.json"), corpus("label_reprint_international_json.json")]
    )


def test_cancel_and_address_answers_have_the_captured_shape() -> None:
    fake = UspsFake(seed=2)
    with client_for(fake) as client:
        shipment = client.create_shipment("usps", _label_request())
        client.cancel_shipment("usps", shipment.tracking_number)
        client.validate_address("usps", recipient())
    assert_same_shape(last_response(fake, "/addresses/v3/address").json(), [corpus("address_readme_dc.json")])
    request = next(r for r in reversed(fake.requests) if r.method == "DELETE")
    assert request.url.path.endswith(shipment.tracking_number)
    answer = {"trackingNumber": shipment.tracking_number, "status": "CANCELED"}  # what the fake answered
    assert_same_shape(answer, [corpus("cancel_international_canceled.json")])


@pytest.mark.parametrize("seed", range(len(LABEL_STYLES)), ids=lambda s: LABEL_STYLES[s])
def test_the_fake_produces_every_multipart_variant_the_corpus_shows(seed: int) -> None:
    fake = UspsFake(seed=seed)
    with client_for(fake) as client:
        shipment = client.create_shipment("usps", _label_request())
    response = last_response(fake, "/labels/v3/label")
    parts = multipart_parts(response.headers["content-type"], response.content)
    dispositions = [p.headers.get("content-disposition", "") for p in parts]
    style = LABEL_STYLES[seed]
    if style == "named":  # karrio's capture
        assert [p.label for p in parts] == ["labelMetadata", "labelImage"]
        assert all("name=" in d for d in dispositions)
    elif style == "unnamed":  # USPS/api-examples domesticlabel-v3-response.json
        assert dispositions == ["", ""]
        assert parts[1].headers["file name"] == "label.pdf"
    else:
        assert dispositions[0] == ""
        assert dispositions[1] == 'form-data; filename="labelImage.pdf"'
    assert shipment.label is not None
    assert shipment.label.data.startswith(b"%PDF-")
