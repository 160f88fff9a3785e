"""Hostile caller input and lazy bulk tracking (issue 18 items 10 and 11)."""

from __future__ import annotations

import asyncio
import logging
import tracemalloc
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from carrier_sdk import (
    AsyncClient,
    CarrierError,
    Client,
    UnknownCarrierError,
    ValidationError,
)
from carrier_sdk.testing import FakeCarrier, fake_number, make_registry

UNICODE_DIGITS = ["²" * 20, "٣" * 22, "\uff19" * 22, "FK" + "²" * 9, "LP00" + "٣" * 12]


@pytest.mark.parametrize("number", UNICODE_DIGITS)
@pytest.mark.parametrize("carrier", ["usps", "cainiao", "correos", "singpost", None])
def test_only_ascii_digits_are_digits(number: str, carrier: str | None) -> None:
    """Superscripts and other scripts' digits are refused with a typed error, never ValueError."""
    client = Client(sandbox=True)
    if carrier is not None and carrier not in client.registry:
        pytest.skip(f"{carrier} not installed")
    with pytest.raises(ValidationError if carrier else UnknownCarrierError):
        client.track(number, carrier=carrier)
    assert client.identify(number) == []


class ExplodingCarrier(FakeCarrier):
    """FakeCarrier with adapter bugs: its recognizer trips on one number, its parser on another."""

    code: ClassVar[str] = "exploding"
    display_name: ClassVar[str] = "Exploding"
    batch_size: ClassVar[int] = 1

    @classmethod
    def recognize(cls, number: str) -> Any:
        if number == fake_number(6):
            raise RuntimeError("recognizer bug")
        claim = super().recognize(number)
        return None if claim is None else type(claim)(carrier=cls.code, confidence=claim.confidence, reason="FK")

    def track(self, number: str) -> Any:
        info = yield from super().track(number)
        if number == fake_number(2):
            raise KeyError("parser bug")
        return info


def _exploding_client(kind: str) -> Any:
    from carrier_sdk.testing import FakeCarrierAPIServer

    registry = make_registry(ExplodingCarrier)
    api = FakeCarrierAPIServer()
    settings = {"exploding": api.settings()}
    if kind == "sync":
        return Client(settings=settings, registry=registry, transport=api.transport(), environ={})
    return AsyncClient(
        settings=settings, registry=registry, transport=api.transport(), environ={}, http_backend="httpx"
    )


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_track_many_never_dies_on_one_item(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    numbers = ["²" * 20, fake_number(1), fake_number(2), fake_number(6), fake_number(3), "[/x]"]
    client = _exploding_client(kind)
    with caplog.at_level(logging.WARNING, logger="carrier_sdk"):
        if kind == "sync":
            results = list(client.track_many(numbers, carrier="exploding"))
        else:

            async def main() -> list[Any]:
                async with client:
                    return [r async for r in client.track_many(numbers, carrier="exploding")]

            results = asyncio.run(main())
    by_number = {r.number: r for r in results}
    assert len(results) == len(numbers)
    assert by_number[fake_number(1)].ok
    assert by_number[fake_number(3)].ok
    for bad in ("²" * 20, fake_number(2), fake_number(6), "[/x]"):
        assert isinstance(by_number[bad].error, CarrierError), (bad, by_number[bad])
    assert "KeyError" in str(by_number[fake_number(2)].error)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "KeyError" in logged
    assert "RuntimeError" in logged


# -- item 11: bounded lead between input read and results yielded --------------------------


class Counting:
    """An input generator that records how far it was read."""

    def __init__(self, numbers: Iterator[str]) -> None:
        self.numbers = numbers
        self.read = 0

    def __iter__(self) -> Iterator[str]:
        for number in self.numbers:
            self.read += 1
            yield number


def _unrecognized(n: int) -> Iterator[str]:
    return (f"ZZ{i:012d}" for i in range(n))


def _mixed(n: int) -> Iterator[str]:
    for i in range(n):
        yield f"ZZ{i:012d}" if i % 3 else fake_number(1 + i % 7)


INPUTS = {"unrecognized": (_unrecognized, 200_000), "mixed valid and unrecognized": (_mixed, 3_000)}


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("shape", list(INPUTS))
def test_track_many_reads_input_lazily(kind: str, shape: str) -> None:
    """The lead (numbers read minus results yielded) stays bounded; memory does not grow with input."""
    from carrier_sdk.testing import FakeCarrierAPIServer

    make, count = INPUTS[shape]
    source = Counting(make(count))
    registry = make_registry(FakeCarrier)
    api = FakeCarrierAPIServer()
    settings = {"fakecarrier": api.settings()}
    lead = 0
    yielded = 0
    tracemalloc.start()
    try:
        if kind == "sync":
            with Client(settings=settings, registry=registry, transport=api.transport(), environ={}) as client:
                for _ in client.track_many(source, concurrency=8):
                    yielded += 1
                    lead = max(lead, source.read - yielded)
        else:

            async def main() -> None:
                nonlocal lead, yielded
                async with AsyncClient(
                    settings=settings,
                    registry=registry,
                    transport=api.transport(),
                    environ={},
                    http_backend="httpx",
                ) as client:
                    async for _ in client.track_many(source, concurrency=8):
                        yielded += 1
                        lead = max(lead, source.read - yielded)

            asyncio.run(main())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert yielded == count
    bound = 8 * FakeCarrier.batch_size + 8
    assert lead <= bound, f"{shape}: read {lead} numbers ahead of the results (bound {bound})"
    if shape == "unrecognized":
        assert peak < 16 * 1024 * 1024, f"peak traced memory {peak / 2**20:.1f} MiB over {count} numbers"
