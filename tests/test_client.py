"""Both clients, one scenario each: operations, lookup errors, settings, options."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from carrier_sdk import (
    AmbiguousCarrierError,
    AsyncClient,
    Capability,
    CarrierRegistry,
    Client,
    Confidence,
    ConfigurationError,
    Identification,
    Money,
    Parcel,
    Rate,
    RateRequest,
    TrackingNotFoundError,
    TrackingStatus,
    UnknownCarrierError,
    UnsupportedOperationError,
    ValidationError,
)
from carrier_sdk.adapters import Carrier
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, FakeCarrierSettings, fake_number, make_registry

from ._helpers import HOME, home_shipment

SHIPMENT = home_shipment("order-1")
RATES = RateRequest(shipper=HOME, recipient=HOME, parcels=[Parcel(weight=1)])


def test_track_identifies_the_carrier(drive: Any) -> None:
    info = drive(lambda c: c.track(fake_number(1)))
    assert info.carrier == "fakecarrier"
    assert info.status is TrackingStatus.DELIVERED
    assert [e.occurred_at for e in info.events] == sorted(e.occurred_at for e in info.events)


def test_create_shipment_with_a_rate_records_the_quote(drive: Any) -> None:
    rates = drive(lambda c: c.rates("fakecarrier", RATES))
    express = next(r for r in rates if r.service == "express")
    shipment = drive(lambda c: c.create_shipment("fakecarrier", SHIPMENT, rate=express))
    assert shipment.quoted_price == express.price
    assert shipment.price is not None
    assert shipment.price_changed is (shipment.price != express.price)


def test_create_shipment_refuses_another_carriers_rate(drive: Any) -> None:
    foreign = Rate(carrier="usps", service="PRIORITY_MAIL", price=Money(amount="9.10", currency="USD"))
    with pytest.raises(ValidationError) as info:
        drive(lambda c: c.create_shipment("fakecarrier", SHIPMENT, rate=foreign))
    assert info.value.field == "rate.carrier"
    assert len(drive.api.requests) == 0


def test_track_unknown_number_is_typed(drive: Any) -> None:
    with pytest.raises(TrackingNotFoundError) as info:
        drive(lambda c: c.track(fake_number(99999999)))
    assert info.value.carrier == "fakecarrier"
    assert info.value.status_code == 404
    assert info.value.error_message == "unknown number"


def test_track_unrecognized_number_lists_no_candidates(drive: Any) -> None:
    with pytest.raises(UnknownCarrierError) as info:
        drive(lambda c: c.track("NOT-A-NUMBER"))
    assert info.value.candidates == ()
    assert len(drive.api.requests) == 0


def test_track_invalid_number_for_a_given_carrier(drive: Any) -> None:
    with pytest.raises(ValidationError) as info:
        drive(lambda c: c.track("FK000000010", carrier="fakecarrier"))
    assert info.value.field == "tracking_number"
    assert len(drive.api.requests) == 0


def test_unknown_carrier_code(drive: Any) -> None:
    with pytest.raises(UnknownCarrierError, match="installed: fakecarrier"):
        drive(lambda c: c.track(fake_number(1), carrier="nope"))


def test_all_operations_round_trip(drive: Any) -> None:
    rates = drive(lambda c: c.rates("fakecarrier", RATES))
    assert [r.service for r in rates] == ["standard", "express"]
    shipment = drive(lambda c: c.create_shipment("fakecarrier", SHIPMENT))
    assert len(shipment.idempotency_key) == 32
    assert shipment.label is not None
    assert shipment.label.size > 0
    assert len(drive.api.charges) == 1
    cancelled = drive(lambda c: c.cancel_shipment("fakecarrier", shipment.tracking_number))
    assert cancelled.cancelled
    after = drive(lambda c: c.track(shipment.tracking_number))
    assert after.status is TrackingStatus.CANCELLED  # the reference fake voids a cancelled label
    check = drive(lambda c: c.validate_address("fakecarrier", HOME))
    assert check.matched


def test_caller_idempotency_key_is_used_and_exposed(drive: Any) -> None:
    first = drive(lambda c: c.create_shipment("fakecarrier", SHIPMENT, idempotency_key="order-1-label"))
    second = drive(lambda c: c.create_shipment("fakecarrier", SHIPMENT, idempotency_key="order-1-label"))
    assert first.idempotency_key == second.idempotency_key == "order-1-label"
    assert first.tracking_number == second.tracking_number
    assert len(drive.api.charges) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "bad\nkey"])
def test_bad_idempotency_key_is_rejected_before_io(drive: Any, key: str) -> None:
    with pytest.raises(ValidationError):
        drive(lambda c: c.create_shipment("fakecarrier", SHIPMENT, idempotency_key=key))
    assert len(drive.api.requests) == 0


def test_wrong_request_type_is_rejected_before_io(drive: Any) -> None:
    with pytest.raises(ValidationError):
        drive(lambda c: c.rates("fakecarrier", {"weight": 1}))
    assert len(drive.api.requests) == 0


class TrackOnly(Carrier):
    code = "trackonly"
    display_name = "Track Only"
    capabilities = frozenset({Capability.TRACK})
    Settings = FakeCarrierSettings


@pytest.mark.parametrize(
    "op",
    [
        lambda c: c.rates("trackonly", RATES),
        lambda c: c.create_shipment("trackonly", SHIPMENT),
        lambda c: c.cancel_shipment("trackonly", "X1"),
        lambda c: c.validate_address("trackonly", HOME),
    ],
    ids=["rates", "create_shipment", "cancel_shipment", "validate_address"],
)
def test_unsupported_operation_before_io_and_without_settings(drive: Any, op: Any) -> None:
    drive.registry.add(TrackOnly)
    with pytest.raises(UnsupportedOperationError) as info:
        drive(op)
    assert info.value.carrier == "trackonly"
    assert len(drive.api.requests) == 0


class Greedy(FakeCarrier):
    code = "greedy"
    display_name = "Greedy"

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        claim = FakeCarrier.recognize(number)
        return None if claim is None else Identification(carrier="greedy", confidence=claim.confidence, reason="copy")


def test_ambiguous_number_lists_candidates(drive: Any) -> None:
    drive.registry.add(Greedy)
    with pytest.raises(AmbiguousCarrierError) as info:
        drive(lambda c: c.track(fake_number(1)))
    assert {c.carrier for c in info.value.candidates} == {"fakecarrier", "greedy"}
    assert "carrier=" in str(info.value)


def test_identify_orders_by_confidence(registry: CarrierRegistry) -> None:
    class Weak(Greedy):
        code = "weak"

        @classmethod
        def recognize(cls, number: str) -> Identification | None:
            return Identification(carrier="weak", confidence=Confidence.LOW, reason="anything")

    registry.add(Weak)
    with Client(registry=registry) as client:
        found = client.identify(f" {fake_number(1).lower()} ")
        assert [i.carrier for i in found] == ["fakecarrier", "weak"]


def test_settings_from_environment(registry: CarrierRegistry, fake_api: FakeCarrierAPIServer) -> None:
    env = {"CARRIER_SDK_FAKECARRIER_API_KEY_ID": "env-id", "CARRIER_SDK_FAKECARRIER_API_KEY": fake_api.api_key}
    with Client(registry=registry, transport=fake_api.transport(), environ=env) as client:
        assert client.track(fake_number(2)).carrier == "fakecarrier"
        assert fake_api.requests[0].headers["x-fake-key"] == fake_api.api_key


def test_missing_settings_name_the_variable_not_the_value(registry: CarrierRegistry) -> None:
    with (
        Client(registry=registry, environ={"CARRIER_SDK_FAKECARRIER_API_KEY": "s3cr3t-value"}) as client,
        pytest.raises(ConfigurationError) as info,
    ):
        client.track(fake_number(2))
    assert "CARRIER_SDK_FAKECARRIER_API_KEY_ID" in str(info.value)
    assert "s3cr3t-value" not in str(info.value)


def test_unknown_setting_is_a_configuration_error(registry: CarrierRegistry) -> None:
    with (
        Client(
            settings={"fakecarrier": {"api_key_id": "a", "api_key": "b", "colour": "red"}}, registry=registry
        ) as client,
        pytest.raises(ConfigurationError, match="colour"),
    ):
        client.track(fake_number(2))


def test_settings_object_is_accepted(registry: CarrierRegistry, fake_api: FakeCarrierAPIServer) -> None:
    settings = FakeCarrierSettings(api_key_id="obj", api_key=fake_api.api_key)
    with Client(settings={"fakecarrier": settings}, registry=registry, transport=fake_api.transport()) as client:
        assert client.track(fake_number(3)).tracking_number == fake_number(3)


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), httpx.Timeout(5.0, read=None)])
def test_timeouts_must_be_finite(timeout: Any) -> None:
    with pytest.raises(ConfigurationError):
        Client(timeout=timeout, registry=CarrierRegistry())


def test_every_request_has_finite_timeouts(drive: Any) -> None:
    drive(lambda c: c.track(fake_number(4)))
    timeouts = drive.api.requests[0].extensions["timeout"]
    assert set(timeouts) == {"connect", "read", "write", "pool"}
    assert all(0 < v < float("inf") for v in timeouts.values())


def test_timeouts_are_clamped_to_the_deadline(drive: Any) -> None:
    drive(lambda c: c.track(fake_number(4)), deadline=2.0)
    assert max(drive.api.requests[0].extensions["timeout"].values()) <= 2.0


def test_with_options_shares_the_pool_and_state(registry: CarrierRegistry, fake_api: FakeCarrierAPIServer) -> None:
    with Client(
        settings={"fakecarrier": fake_api.settings()}, registry=registry, transport=fake_api.transport()
    ) as client:
        copy = client.with_options(max_retries=0, timeout=3.0)
        assert copy._http is client._http
        assert copy._shared is client._shared
        assert copy.retry_policy.max_retries == 0
        assert client.retry_policy.max_retries == 8
        assert copy.timeout.read == 3.0
        copy.close()  # a copy does not close the shared pool
        assert client.track(fake_number(5)).carrier == "fakecarrier"


def test_carriers_lists_metadata(registry: CarrierRegistry) -> None:
    with Client(registry=registry) as client:
        (info,) = client.carriers()
    assert info.code == "fakecarrier"
    # The example carrier has no return labels or manifests (USPS shows those).
    assert info.capabilities == frozenset(Capability) - {
        Capability.CREATE_RETURN_LABEL,
        Capability.CREATE_MANIFEST,
        Capability.SCHEDULE_PICKUP,
        Capability.CANCEL_PICKUP,
        Capability.PICKUP_AVAILABILITY,
        Capability.FIND_LOCATIONS,
    }
    assert client.plugin_report().carriers == ("fakecarrier",)


def test_track_many_yields_one_result_per_input(drive: Any) -> None:
    numbers = [fake_number(n) for n in range(1, 13)] + ["garbage", fake_number(99999999), fake_number(1)]
    results = drive(lambda c: c.track_many(numbers, concurrency=3))
    assert sorted(r.number for r in results) == sorted(numbers)
    by_number = {r.number: r for r in results}
    assert isinstance(by_number["garbage"].error, UnknownCarrierError)
    assert isinstance(by_number[fake_number(99999999)].error, TrackingNotFoundError)
    assert sum(r.ok for r in results) == 13
    batch_calls = drive.api.calls["track_batch"]
    assert batch_calls == 3  # 14 recognizable numbers in batches of 5


def test_track_many_summary() -> None:
    reg = make_registry(FakeCarrier)
    api = FakeCarrierAPIServer()
    with Client(settings={"fakecarrier": api.settings()}, registry=reg, transport=api.transport()) as client:
        results = client.track_many([fake_number(1), "garbage", fake_number(99999999)])
        list(results)
    assert results.summary.total == 3
    assert results.summary.succeeded == 1
    assert results.summary.by_error == {"UnknownCarrierError": 1, "TrackingNotFoundError": 1}
    assert results.summary.by_status == {"delivered": 1}


def test_track_many_streams_its_input(registry: CarrierRegistry, fake_api: FakeCarrierAPIServer) -> None:
    pulled = 0

    def numbers() -> Any:
        nonlocal pulled
        for n in range(1, 10_000):
            pulled += 1
            yield fake_number(n)

    with Client(
        settings={"fakecarrier": fake_api.settings()}, registry=registry, transport=fake_api.transport()
    ) as client:
        results = client.track_many(numbers(), concurrency=2)
        first = next(iter(results))
        assert first.ok
        assert pulled < 100  # only what fills the batches and the bounded jobs in flight
        results.close()


def test_async_track_many_cancels_pending_tasks_on_close(
    registry: CarrierRegistry, fake_api: FakeCarrierAPIServer
) -> None:
    async def main() -> int:
        async with AsyncClient(
            settings={"fakecarrier": fake_api.settings()},
            registry=registry,
            transport=fake_api.transport(),
            http_backend="httpx",
        ) as client:
            results = client.track_many((fake_number(n) for n in range(1, 1000)), concurrency=4)
            async for _ in results:
                break
            await results.aclose()
            await asyncio.sleep(0)
            return len([t for t in asyncio.all_tasks() if t is not asyncio.current_task()])

    assert asyncio.run(main()) == 0


def test_track_many_rejects_bad_concurrency(registry: CarrierRegistry) -> None:
    with Client(registry=registry) as client, pytest.raises(ValidationError):
        client.track_many([], concurrency=0)


def test_sandbox_client_repr_has_no_settings(registry: CarrierRegistry) -> None:
    with Client(settings={"fakecarrier": {"api_key_id": "id", "api_key": "hunter2"}}, registry=registry) as client:
        assert "hunter2" not in repr(client)


def test_run_flow_runs_an_adapter_specific_flow(drive: Any) -> None:
    from carrier_sdk.adapters import RequestOptions, api_request

    def probe(carrier: Any) -> Any:
        response = yield api_request(
            "GET",
            carrier._url(f"/track/{fake_number(6)}"),
            headers=carrier._headers(),
            options=RequestOptions(operation="probe"),
        )
        return response.status_code

    assert drive(lambda c: c.run_flow("fakecarrier", probe)) == 200


def test_errors_are_thrown_into_the_flow(drive: Any) -> None:
    from carrier_sdk import APIConnectionError
    from carrier_sdk.adapters import RequestOptions, api_request

    drive.api.inject("connect_error", operation="track", count=100)

    def flow(carrier: Any) -> Any:
        try:
            yield api_request(
                "GET",
                carrier._url(f"/track/{fake_number(6)}"),
                headers=carrier._headers(),
                options=RequestOptions(operation="track"),
            )
        except APIConnectionError as err:
            return f"handled {type(err).__name__}"
        return "no error"

    assert drive(lambda c: c.run_flow("fakecarrier", flow), max_retries=1) == "handled APIConnectionError"


def test_rejected_for_sure_hands_a_5xx_to_the_flow(drive: Any) -> None:
    class Rejecting(FakeCarrier):
        code = "rejecting"
        supports_idempotency_key = False

        @classmethod
        def recognize(cls, number: str) -> None:
            return None

        def rejected_for_sure(self, response: httpx.Response) -> bool:
            return response.status_code == 503

    drive.registry.add(Rejecting)
    drive.api.inject("server_error", operation="create_shipment", status=503)
    from carrier_sdk import CarrierServerError

    with pytest.raises(CarrierServerError):  # typed by the flow, not OutcomeUnknownError
        drive(lambda c: c.create_shipment("rejecting", SHIPMENT), settings={"rejecting": drive.api.settings()})
    assert drive.api.calls["create_shipment"] == 1


def test_batch_size_can_follow_the_settings(drive: Any) -> None:
    class Unbatched(FakeCarrier):
        def track_batch_size(self) -> int:
            return 1  # e.g. a settings switch selects an API without batches

    registry = CarrierRegistry()
    registry.add(Unbatched)
    numbers = [fake_number(n) for n in range(1, 8)]
    results = drive(lambda c: c.track_many(numbers, concurrency=3), registry=registry)
    assert len(results) == 7
    assert drive.api.calls["track_batch"] == 0
    assert drive.api.calls["track"] == 7
