"""What the observation hooks cost per call, measured in the same run.

Reproduce (from the repository root, after the README's test command installed .venv):

    .venv/bin/python benchmarks/observers.py

``Client.track`` over an in-memory transport (client-side CPU only, as in ``overhead.py``), best
of several rounds, in these set-ups:

1. baseline: the observation code bypassed (``observing``/``observed`` replaced by a do-nothing
   stand-in), i.e. the engine as it was before the hooks;
2. no observer: the real code, with no plugin implementing the hooks (the automatic
   ``carrier-sdk-otel`` observer is switched off with ``CARRIER_SDK_DISABLE_PLUGINS=otel``);
3. one observer whose three hooks do nothing (pluggy's call and the events built);
4. the installed ``carrier-sdk-otel`` plugin with no OpenTelemetry SDK configured (the global
   providers are no-ops): what installing it costs an application that does not export;
5. ``carrier_sdk_otel.OpenTelemetryObserver`` over the OpenTelemetry SDK with an in-memory span
   exporter and metric reader (skipped when the SDK is not installed).

It prints microseconds per call and each set-up's ratio to the baseline.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

os.environ["CARRIER_SDK_DISABLE_PLUGINS"] = "otel"  # before the process-wide plugin manager exists

import httpx

import carrier_sdk._engine as engine
from carrier_sdk import CarrierRegistry, Client, default_plugin_manager
from carrier_sdk._observe import _NOBODY
from carrier_sdk.hookspecs import hookimpl
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number

BODY = json.dumps(
    {
        "number": fake_number(1),
        "found": True,
        "events": [{"at": 1_700_000_000 + i * 3600, "code": "MOVING", "text": "moving"} for i in range(5)],
    }
).encode()


class Idle:
    @hookimpl
    def on_request_attempt(self, event: Any) -> None:
        pass

    @hookimpl
    def on_retry_decision(self, event: Any) -> None:
        pass

    @hookimpl
    def on_operation_result(self, event: Any) -> None:
        pass


def timed(client: Client, number: str, n: int) -> float:
    """Seconds per ``track`` over ``n`` calls."""
    started = time.perf_counter()
    for _ in range(n):
        client.track(number)
    return (time.perf_counter() - started) / n


@contextlib.contextmanager
def bypassed() -> Iterator[None]:
    @contextlib.contextmanager
    def observing(carrier: str, *, sandbox: bool) -> Iterator[Any]:
        yield _NOBODY

    saved = engine.observing, engine.observed
    engine.observing, engine.observed = observing, lambda: _NOBODY  # type: ignore[assignment]
    try:
        yield
    finally:
        engine.observing, engine.observed = saved


@contextlib.contextmanager
def registered(plugin: object) -> Iterator[None]:
    manager = default_plugin_manager()
    manager.register(plugin)
    try:
        yield
    finally:
        manager.unregister(plugin)


def otel_observer() -> object | None:
    try:
        from carrier_sdk_otel import OpenTelemetryObserver
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    except ImportError:
        return None
    tracer_provider = TracerProvider()
    exporter = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return OpenTelemetryObserver(tracer_provider=tracer_provider, meter_provider=meter_provider)


def main(n: int = 1000, rounds: int = 9) -> None:
    default_plugin_manager().registry  # discovery done before measuring  # noqa: B018
    setups: list[tuple[str, Callable[[], Any]]] = [
        ("baseline: observation bypassed", bypassed),
        ("no observer", contextlib.nullcontext),
        ("one idle observer", lambda: registered(Idle())),
    ]
    try:
        import carrier_sdk_otel
    except ImportError:
        pass
    else:
        setups.append(("carrier-sdk-otel installed, no SDK", lambda: registered(carrier_sdk_otel)))
    otel = otel_observer()
    if otel is not None:
        setups.append(("carrier-sdk-otel, SDK in-memory", lambda: registered(otel)))
    registry = CarrierRegistry()
    registry.add(FakeCarrier)
    api = FakeCarrierAPIServer()
    number = fake_number(1)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})

    best = {name: float("inf") for name, _ in setups}
    with Client(
        settings={"fakecarrier": api.settings()}, registry=registry, transport=httpx.MockTransport(handler)
    ) as client:
        client.track(number)  # warm: imports, TLS context
        for _ in range(rounds):  # the set-ups take turns, so a busy moment hits them alike
            for name, setup in setups:
                with setup():
                    best[name] = min(best[name], timed(client, number, n))
    results = list(best.items())
    base = results[0][1]
    print(f"Client.track per call, in-memory transport, best of {rounds} rounds of {n} calls")
    for name, seconds in results:
        print(f"  {name:34} {seconds * 1e6:8.1f} us  ratio {seconds / base:5.2f}  (+{(seconds - base) * 1e6:.1f} us)")


if __name__ == "__main__":
    main()
