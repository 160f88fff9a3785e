"""The observer: carrier-sdk's observation events in, OpenTelemetry spans and metrics out."""

from __future__ import annotations

import threading
import time
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from carrier_sdk.hookspecs import OperationResult, RequestAttempt, RetryDecision, hookimpl

__all__ = ["MAX_PENDING_CALLS", "OpenTelemetryObserver"]

#: Calls whose attempts are kept waiting for their result at most (the oldest are dropped beyond).
MAX_PENDING_CALLS = 10_000

_SCOPE = "carrier_sdk_otel"
_VERSION = "0.1.0"


def _common(carrier: str, operation: str, sandbox: bool | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"carrier_sdk.carrier": carrier, "carrier_sdk.operation": operation}
    if sandbox is not None:
        attributes["carrier_sdk.sandbox"] = sandbox
    return attributes


def _attempt_attributes(event: RequestAttempt) -> dict[str, Any]:
    attributes = _common(event.carrier, event.operation, event.sandbox)
    attributes["carrier_sdk.attempt"] = event.attempt
    attributes["http.request.method"] = event.method
    attributes["server.address"] = event.host
    if event.attempt > 1:
        attributes["http.request.resend_count"] = event.attempt - 1
    if event.status_code is not None:
        attributes["http.response.status_code"] = event.status_code
    if event.error_type is not None:
        attributes["error.type"] = event.error_type
    elif event.status_code is not None and event.status_code >= 400:
        attributes["error.type"] = str(event.status_code)
    return attributes


def _decision_attributes(event: RetryDecision) -> dict[str, Any]:
    return {
        "carrier_sdk.attempt": event.attempt,
        "carrier_sdk.retry": event.retry,
        "carrier_sdk.retry.delay": event.delay,
        "carrier_sdk.retry.reason": event.reason,
    }


class OpenTelemetryObserver:
    """Turns carrier-sdk's observation hooks into spans and metrics.

    Per SDK call, one span named ``"<carrier> <operation>"`` (kind ``INTERNAL``, a child of the
    span current where the call ran) with one ``CLIENT`` child span per request attempt; a retry
    decision is an event named ``carrier_sdk.retry_decision`` on the attempt it followed. Spans
    are written when the call ends, with the times the attempts really took. Metrics:

    * ``carrier_sdk.request.attempts`` (counter) and ``carrier_sdk.request.duration`` (histogram,
      seconds), by carrier, operation, method, status code or error type;
    * ``carrier_sdk.retry.decisions`` (counter), by carrier, operation, retry and reason;
    * ``carrier_sdk.operation.duration`` (histogram, seconds), by carrier, operation, sandbox and
      error type.

    Every attribute comes from the SDK's events, which hold no credential, URL path, query or
    body.

    Args:
        tracer_provider: Where spans go (default: the global provider).
        meter_provider: Where metrics go (default: the global provider).
    """

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self._tracer = trace.get_tracer(_SCOPE, _VERSION, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, _VERSION, meter_provider=meter_provider)
        self._attempts = meter.create_counter(
            "carrier_sdk.request.attempts", unit="{attempt}", description="Request attempts sent to carriers."
        )
        self._attempt_duration = meter.create_histogram(
            "carrier_sdk.request.duration", unit="s", description="Duration of one request attempt."
        )
        self._decisions = meter.create_counter(
            "carrier_sdk.retry.decisions", unit="{decision}", description="Retry decisions after failed attempts."
        )
        self._operation_duration = meter.create_histogram(
            "carrier_sdk.operation.duration", unit="s", description="Duration of one SDK call, retries included."
        )
        self._pending: dict[int, list[tuple[int, RequestAttempt | RetryDecision]]] = {}
        self._lock = threading.Lock()

    def _keep(self, call_id: int, event: RequestAttempt | RetryDecision) -> None:
        now = time.time_ns()
        with self._lock:
            events = self._pending.get(call_id)
            if events is None:
                if len(self._pending) >= MAX_PENDING_CALLS:
                    self._pending.pop(next(iter(self._pending)))
                events = self._pending[call_id] = []
            events.append((now, event))

    @hookimpl
    def on_request_attempt(self, event: RequestAttempt) -> None:
        """Count and time the attempt; keep it for its call's span."""
        attributes = _attempt_attributes(event)
        attributes.pop("carrier_sdk.attempt")
        attributes.pop("http.request.resend_count", None)
        attributes.pop("server.address")
        self._attempts.add(1, attributes)
        self._attempt_duration.record(event.duration, attributes)
        self._keep(event.call_id, event)

    @hookimpl
    def on_retry_decision(self, event: RetryDecision) -> None:
        """Count the decision; keep it for its attempt's span."""
        attributes = _common(event.carrier, event.operation)
        attributes["carrier_sdk.retry"] = event.retry
        attributes["carrier_sdk.retry.reason"] = event.reason
        self._decisions.add(1, attributes)
        self._keep(event.call_id, event)

    @hookimpl
    def on_operation_result(self, event: OperationResult) -> None:
        """Write the call's span and its attempts' spans; record the call's duration."""
        end = time.time_ns()
        with self._lock:
            kept = self._pending.pop(event.call_id, [])
        attributes = _common(event.carrier, event.operation, event.sandbox)
        if event.error_type is not None:
            attributes["error.type"] = event.error_type
        self._operation_duration.record(event.duration, attributes)
        attributes["carrier_sdk.attempts"] = event.attempts
        if event.status_code is not None:
            attributes["http.response.status_code"] = event.status_code
        span = self._tracer.start_span(
            f"{event.carrier} {event.operation}".strip(),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=end - int(event.duration * 1e9),
        )
        if event.error_type is not None:
            span.set_status(Status(StatusCode.ERROR, event.error_type))
        parent = trace.set_span_in_context(span)
        last: tuple[trace.Span, int] | None = None
        for at, item in kept:
            if isinstance(item, RequestAttempt):
                if last is not None:
                    last[0].end(end_time=last[1])
                child = self._tracer.start_span(
                    f"{item.method} {item.carrier} {item.operation}",
                    context=parent,
                    kind=SpanKind.CLIENT,
                    attributes=_attempt_attributes(item),
                    start_time=at - int(item.duration * 1e9),
                )
                if item.error_type is not None or (item.status_code or 0) >= 500:
                    child.set_status(Status(StatusCode.ERROR, item.error_type or str(item.status_code)))
                last = (child, at)
            elif last is not None:
                last[0].add_event("carrier_sdk.retry_decision", _decision_attributes(item), timestamp=at)
        if last is not None:
            last[0].end(end_time=last[1])
        span.end(end_time=end)
