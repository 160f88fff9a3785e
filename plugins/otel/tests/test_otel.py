"""Spans and metrics from real calls against the sandbox, read back through the OpenTelemetry SDK's
in-memory span exporter and metric reader; canary credentials must reach no attribute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from carrier_sdk_otel import OpenTelemetryObserver
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from carrier_sdk import (
    Address,
    Client,
    Parcel,
    ShipmentRequest,
    TrackingNotFoundError,
    default_plugin_manager,
)
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import FakeCarrier, VirtualClock, make_client, make_registry

CANARY_KEY = "canary-key-7f3a9c1e5b"
CANARY_KEY_ID = "canary-id-2d8e4f6a0c"
CANARIES = (CANARY_KEY, CANARY_KEY_ID)
A = Address(name="Jane", street1="1 Main St", city="Springfield", country="US")
ORDER = ShipmentRequest(shipper=A, recipient=A, parcels=[Parcel(weight=1)], reference="order-otel")


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.observer = OpenTelemetryObserver(
            tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[self.metrics])
        )

    def finished(self) -> tuple[ReadableSpan, ...]:
        return tuple(self.spans.get_finished_spans())

    def calls(self) -> list[ReadableSpan]:
        return [s for s in self.finished() if s.kind is SpanKind.INTERNAL]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        assert parent.context is not None
        return sorted(
            (s for s in self.finished() if s.parent is not None and s.parent.span_id == parent.context.span_id),
            key=lambda s: s.start_time or 0,
        )

    def points(self, name: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        found = []
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found

    def all_attribute_values(self) -> list[str]:
        values: list[str] = []
        for span in self.finished():
            values.append(span.name)
            values.extend(str(v) for v in (span.attributes or {}).values())
            for event in span.events:
                values.append(event.name)
                values.extend(str(v) for v in (event.attributes or {}).values())
            if span.status.description:
                values.append(span.status.description)
        data = self.metrics.get_metrics_data()
        assert data is not None
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        values.extend(str(v) for v in point.attributes.values())
        return values


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    found = Telemetry()
    manager = default_plugin_manager()
    manager.register(found.observer)
    try:
        yield found
    finally:
        manager.unregister(found.observer)
        assert not found.observer._pending  # every call's attempts were written out


@pytest.fixture
def sandbox(carrier_clock: VirtualClock) -> Sandbox:
    sandbox = Sandbox(registry=make_registry(FakeCarrier), clock=carrier_clock)
    sandbox.fake("fakecarrier").api_key = CANARY_KEY  # type: ignore[attr-defined]
    return sandbox


@pytest.fixture
def client(sandbox: Sandbox, carrier_clock: VirtualClock) -> Iterator[Client]:
    """A client of the test kit (virtual time, no environment) with the canary key id."""
    settings = {"fakecarrier": {**sandbox.settings_for("fakecarrier"), "api_key_id": CANARY_KEY_ID}}
    with make_client(
        "sync", settings=settings, sandbox=sandbox, registry=sandbox.registry, clock=carrier_clock
    ) as made:
        yield made


def assert_no_canary(telemetry: Telemetry) -> None:
    values = telemetry.all_attribute_values()
    assert values  # the check below saw something
    for value in values:
        for canary in CANARIES:
            assert canary not in value


def test_sandbox_track_is_one_call_span_with_one_attempt(
    client: Client, sandbox: Sandbox, telemetry: Telemetry
) -> None:
    number = sandbox.scenario_numbers()["fakecarrier"]["delivered"]
    assert client.track(number, carrier="fakecarrier").status == "delivered"

    [call] = telemetry.calls()
    assert call.name == "fakecarrier track"
    assert call.attributes is not None
    assert call.attributes["carrier_sdk.carrier"] == "fakecarrier"
    assert call.attributes["carrier_sdk.operation"] == "track"
    assert call.attributes["carrier_sdk.sandbox"] is True
    assert call.attributes["carrier_sdk.attempts"] == 1
    assert call.attributes["http.response.status_code"] == 200
    assert "error.type" not in call.attributes
    assert call.status.status_code is StatusCode.UNSET
    [attempt] = telemetry.children(call)
    assert attempt.kind is SpanKind.CLIENT
    assert attempt.attributes is not None
    assert attempt.attributes["http.request.method"] == "GET"
    assert attempt.attributes["carrier_sdk.attempt"] == 1
    assert attempt.attributes["http.response.status_code"] == 200
    assert "http.request.resend_count" not in attempt.attributes
    host = attempt.attributes["server.address"]
    assert isinstance(host, str)
    assert host
    assert "/" not in host
    assert "@" not in host
    assert (call.start_time or 0) <= (attempt.start_time or 0) <= (attempt.end_time or 0) <= (call.end_time or 0)
    [count] = telemetry.points("carrier_sdk.request.attempts")
    assert count.value == 1
    assert count.attributes["http.response.status_code"] == 200
    [duration] = telemetry.points("carrier_sdk.operation.duration")
    assert duration.count == 1
    assert_no_canary(telemetry)


def test_retried_call_shows_the_503_the_decision_and_the_success(
    client: Client, sandbox: Sandbox, telemetry: Telemetry
) -> None:
    number = sandbox.scenario_numbers()["fakecarrier"]["delivered"]
    sandbox.inject("fakecarrier", "server_error", operation="track", count=1, status=503)
    client.track(number, carrier="fakecarrier")

    [call] = telemetry.calls()
    assert call.attributes is not None
    assert call.attributes["carrier_sdk.attempts"] == 2
    assert call.attributes["http.response.status_code"] == 200
    first, second = telemetry.children(call)
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "503"
    assert first.status.status_code is StatusCode.ERROR
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["carrier_sdk.attempt"] == 2
    assert second.attributes["http.request.resend_count"] == 1
    [decision] = first.events
    assert decision.name == "carrier_sdk.retry_decision"
    assert decision.attributes is not None
    assert decision.attributes["carrier_sdk.retry"] is True
    assert decision.attributes["carrier_sdk.retry.reason"] == "retryable"
    delay = decision.attributes["carrier_sdk.retry.delay"]
    assert isinstance(delay, float)
    assert delay >= 0
    assert not second.events
    [decisions] = telemetry.points("carrier_sdk.retry.decisions")
    assert decisions.value == 1
    assert decisions.attributes["carrier_sdk.retry"] is True
    statuses = {
        p.attributes["http.response.status_code"]: p.value for p in telemetry.points("carrier_sdk.request.attempts")
    }
    assert statuses == {503: 1, 200: 1}
    assert_no_canary(telemetry)


def test_purchase_span_and_a_failed_call(client: Client, sandbox: Sandbox, telemetry: Telemetry) -> None:
    shipment = client.create_shipment("fakecarrier", ORDER)
    unknown = sandbox.scenario_numbers()["fakecarrier"]["unknown"]
    with pytest.raises(TrackingNotFoundError) as failed:
        client.track(unknown, carrier="fakecarrier")

    bought, lost = telemetry.calls()
    assert bought.name == "fakecarrier create_shipment"
    assert bought.attributes is not None
    assert bought.attributes["carrier_sdk.operation"] == "create_shipment"
    assert bought.attributes["http.response.status_code"] in (200, 201)
    [attempt] = telemetry.children(bought)
    assert attempt.attributes is not None
    assert attempt.attributes["http.request.method"] == "POST"
    assert lost.attributes is not None
    assert lost.attributes["error.type"] == "TrackingNotFoundError" == type(failed.value).__name__
    assert lost.status.status_code is StatusCode.ERROR
    # Neither the idempotency key, the tracking number bought nor the credentials are attributes.
    values = telemetry.all_attribute_values()
    assert all(shipment.idempotency_key not in v and shipment.tracking_number not in v for v in values)
    assert_no_canary(telemetry)


def test_an_observer_that_raises_does_not_break_the_call(
    client: Client, sandbox: Sandbox, telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        from carrier_sdk.hookspecs import hookimpl

        @hookimpl(trylast=True)  # after the telemetry observer: it still sees the call
        def on_operation_result(self, event: object) -> None:
            raise RuntimeError("observer bug")

    broken = Broken()
    default_plugin_manager().register(broken)
    try:
        number = sandbox.scenario_numbers()["fakecarrier"]["delivered"]
        assert client.track(number, carrier="fakecarrier").status == "delivered"
    finally:
        default_plugin_manager().unregister(broken)
    assert any("on_operation_result hook raised" in r.getMessage() for r in caplog.records)
    assert [c.name for c in telemetry.calls()] == ["fakecarrier track"]


def test_installed_plugin_reports_to_the_global_providers(client: Client, sandbox: Sandbox) -> None:
    import carrier_sdk_otel

    manager = default_plugin_manager()
    assert manager.pm.get_plugin("otel") is carrier_sdk_otel  # discovered through its entry point
    number = sandbox.scenario_numbers()["fakecarrier"]["delivered"]
    client.track(number, carrier="fakecarrier")  # no SDK configured globally: a no-op, and no error
    observer = carrier_sdk_otel._global_observer()
    assert isinstance(observer, carrier_sdk_otel.OpenTelemetryObserver)
    assert not observer._pending  # the call's attempts were written out (to a no-op tracer)
