"""Sandbox state that outlives a process (snapshot, save, load) and Sandbox.advance on every fake."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import deque
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carrier_sdk import (
    Address,
    APIConnectionError,
    APITimeoutError,
    CarrierRegistry,
    Client,
    ConfigurationError,
    Parcel,
    ShipmentRequest,
    TrackingNotFoundError,
)
from carrier_sdk.fakes import decode_state, encode_state
from carrier_sdk.sandbox import ADVANCE_LADDER, Sandbox
from carrier_sdk.testing import FakeCarrier, make_registry


def _installed() -> list[str]:
    try:
        return Sandbox().codes
    except Exception:  # pragma: no cover - plugins not installed
        return []


def _registry() -> CarrierRegistry:
    return make_registry(FakeCarrier)


#: Every carrier fake: the built-in FakeCarrier and each installed plugin's.
CODES = ["fakecarrier", *_installed()]


def _sandbox(code: str, **kwargs: Any) -> Sandbox:
    if code == "fakecarrier":
        return Sandbox(registry=_registry(), **kwargs)
    return Sandbox(carriers=[code], **kwargs)


def test_encode_decode_round_trip_keeps_types() -> None:
    value = {
        "a": (1, "x", None),
        ("k", 2): {Decimal("1.10")},
        "d": deque([1.5, True], maxlen=3),
        "t": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
        "day": dt.date(2026, 1, 2),
        "l": [{"n": Decimal("0.01")}],
    }
    encoded = encode_state(value)
    back = decode_state(json.loads(json.dumps(encoded)))
    assert back == value
    assert isinstance(back["d"], deque)
    assert back["d"].maxlen == 3
    assert isinstance(back["a"], tuple)


def test_encode_rejects_what_it_cannot_give_back() -> None:
    with pytest.raises(TypeError, match=r"Fake\.things holds a object"):
        encode_state({"x": object()}, "Fake.things")
    with pytest.raises(ValueError, match="not a sandbox state value"):
        decode_state({"$nope": 1})


@pytest.mark.parametrize("code", CODES)
def test_advance_by_hours_then_to_a_status(code: str) -> None:
    sandbox = _sandbox(code)
    number = sandbox.scenario_numbers()[code]["pre_transit"]
    started = time.time()

    info = sandbox.advance(number, hours=1)
    assert info.status == "pre_transit"  # not 12 hours yet
    info = sandbox.advance(number, hours=11)
    assert info.status == "in_transit"  # 12 hours in all
    info = sandbox.advance(number, hours=100)
    assert info.status == "delivered"
    assert info.events
    # Recent, not a past year: within the 60 days before the sandbox and the 112 hours moved since.
    assert min(e.occurred_at for e in info.events).timestamp() >= started - 60 * 86400
    assert max(e.occurred_at for e in info.events).timestamp() <= time.time() + 112 * 3600 + 1

    info = sandbox.advance(number, to_status="returned_to_sender")
    assert info.status == "returned_to_sender"
    with Client(sandbox=sandbox, registry=sandbox.registry) as client:
        assert client.track(number, carrier=code).status == "returned_to_sender"


@pytest.mark.parametrize("code", CODES)
def test_hours_never_move_a_parcel_back(code: str) -> None:
    sandbox = _sandbox(code)
    number = sandbox.scenario_numbers()[code]["out_for_delivery"]
    assert sandbox.advance(number, hours=1).status == "out_for_delivery"
    assert sandbox.advance(number, hours=6).status == "delivered"


@pytest.mark.parametrize("code", CODES)
def test_state_saved_by_one_sandbox_is_loaded_by_the_next(code: str, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = _sandbox(code)
    number = first.scenario_numbers()[code]["pre_transit"]
    first.advance(number, to_status="delivered")
    first.save(path)

    second = _sandbox(code)
    assert second.load(path) is True
    with Client(sandbox=second, registry=second.registry) as client:
        assert client.track(number, carrier=code).status == "delivered"
    second.reset()
    with Client(sandbox=second, registry=second.registry) as client:
        assert client.track(number, carrier=code).status == "pre_transit"


def test_labels_and_serials_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    address = Address(name="Ada", street1="1 Main St", city="Springfield", country="US")
    request = ShipmentRequest(shipper=address, recipient=address, parcels=[Parcel(weight=1)])
    first = Sandbox(registry=_registry())
    with Client(sandbox=first, registry=first.registry) as client:
        bought = client.create_shipment("fakecarrier", request).tracking_number
    first.save(path)

    second = Sandbox(registry=_registry())
    second.load(path)
    with Client(sandbox=second, registry=second.registry) as client:
        again = client.create_shipment("fakecarrier", request).tracking_number
        assert again != bought  # the serial was saved too: never the same label twice
        assert client.cancel_shipment("fakecarrier", bought).cancelled
    fake: Any = second.fake("fakecarrier")
    assert set(fake.labels) == {bought, again}
    assert len(fake.charges) == 2
    with pytest.raises(ConfigurationError, match="was cancelled"):
        second.advance(bought, hours=12)


def test_advance_argument_errors() -> None:
    sandbox = Sandbox(registry=_registry())
    numbers = sandbox.scenario_numbers()["fakecarrier"]
    with pytest.raises(ConfigurationError, match="exactly one of hours and to_status"):
        sandbox.advance(numbers["pre_transit"])
    with pytest.raises(ConfigurationError, match="exactly one"):
        sandbox.advance(numbers["pre_transit"], hours=1, to_status="delivered")
    with pytest.raises(ConfigurationError, match="hours must be a finite number > 0"):
        sandbox.advance(numbers["pre_transit"], hours=-1)
    with pytest.raises(ConfigurationError, match="unknown status 'shipped': choose one of pre_transit"):
        sandbox.advance(numbers["pre_transit"], to_status="shipped")
    with pytest.raises(ConfigurationError, match="is delivery_failed: hours move a parcel along pre_transit"):
        sandbox.advance(numbers["delivery_failed"], hours=5)
    with pytest.raises(TrackingNotFoundError):
        sandbox.advance(numbers["unknown"], hours=5)


@pytest.mark.parametrize(("kind", "error"), [("connect_error", APIConnectionError), ("timeout", APITimeoutError)])
def test_advance_raises_the_sdk_error_for_a_fault_injected_on_track(kind: str, error: type[APIConnectionError]) -> None:
    """advance reads the parcel through the fake, faults included: a transport fault is the SDK's
    typed error (as a client's track raises it), never an httpx exception, and nothing moves."""
    sandbox = Sandbox(registry=_registry())
    number = sandbox.scenario_numbers()["fakecarrier"]["pre_transit"]
    sandbox.inject("fakecarrier", kind, operation="track", count=1)
    with pytest.raises(error) as caught:
        sandbox.advance(number, hours=12)
    assert caught.value.carrier == "fakecarrier"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    moved = sandbox.advance(number, hours=12)  # the fault was used up: the move now happens
    assert moved.status.value != "pre_transit"


def test_ladder_is_ordered() -> None:
    hours = [h for _, h in ADVANCE_LADDER]
    assert hours == sorted(hours)
    assert hours[0] == 0


def test_unusable_state_file_names_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    sandbox = Sandbox(registry=_registry())
    assert sandbox.load(path) is False  # no file: nothing to restore
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"unusable .*carrier-sdk sandbox reset"):
        sandbox.load(path)
    Sandbox(registry=_registry(), seed=1).save(path)
    with pytest.raises(ConfigurationError, match="seed 1, this sandbox has seed 0"):
        sandbox.load(path)
    path.write_text(json.dumps({"version": 1, "seed": 0, "fakes": {"fakecarrier": {"labels": {"$x": 1}}}}))
    with pytest.raises(ConfigurationError, match="unusable"):
        sandbox.load(path)
