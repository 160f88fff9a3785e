"""Valid tracking numbers for demos and benchmarks, generated from the fakes' scenario numbers.

For each installed carrier the generator takes the documented scenario numbers of its fake
(``Carrier.fake``) and makes fresh numbers of the same shape with a correct check digit:

* UPU S10 ids (``LX123456785CN``): same service indicator and country, a new 8-digit serial
  and its S10 check digit (:func:`carrier_sdk.adapters.s10_check_digit`);
* all-digit USPS IMpb numbers: the same prefix, new last 8 payload digits and the mod-10 check
  digit (:func:`carrier_sdk.adapters.impb_check_digit`);
* anything else with a run of 8 digits + one check digit (``FK123456785``): the S10 rule.

A candidate is kept only if its own carrier recognizes it and no other installed carrier
claims it as confidently, so every number resolves to exactly one carrier. Only the scenarios
named after a tracking status (``"delivered"`` ...) and ``"unknown"`` are used: numbers of
fault or error-body scenarios are never produced.
"""

from __future__ import annotations

import importlib
import random
import re
from collections.abc import Callable, Iterator, Mapping

from .. import CarrierRegistry, TrackingStatus
from .._carrier import Carrier
from .._identify import S10_PATTERN, impb_check_digit, is_valid_impb, is_valid_s10, s10_check_digit

__all__ = ["generate_numbers", "scenario_numbers"]

_RUN = re.compile(r"\d{9,}")

#: Scenario names used: one per normalized status, and "unknown" (not found). Others (faults,
#: error bodies) are never produced: in a batch they would fail their neighbours too.
_OUTCOMES = frozenset(s.value for s in TrackingStatus)


def _fake_class(carrier: type[Carrier]) -> type | None:
    spec = getattr(carrier, "fake", None)
    if not spec or ":" not in spec:
        return None
    module, _, name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return cls if isinstance(cls, type) else None


def scenario_numbers(registry: CarrierRegistry) -> dict[str, dict[str, str]]:
    """Carrier code -> scenario name -> number, from each installed carrier's fake class.

    Carriers without an importable fake are left out.
    """
    out: dict[str, dict[str, str]] = {}
    for carrier in registry:
        fake = _fake_class(carrier)
        numbers: Mapping[str, str] = getattr(fake, "scenario_numbers", {}) if fake else {}
        if numbers:
            out[carrier.code] = dict(numbers)
    return out


def _s10(sample: str, rng: random.Random) -> str:
    serial = f"{rng.randrange(10**8):08d}"
    return f"{sample[:2]}{serial}{s10_check_digit(serial)}{sample[-2:]}"


def _impb(sample: str, rng: random.Random) -> str:
    payload = sample[:-9] + f"{rng.randrange(10**8):08d}"
    return f"{payload}{impb_check_digit(payload)}"


def _run_s10(sample: str, rng: random.Random) -> str:
    match = _RUN.search(sample)
    assert match is not None
    start, end = match.span()
    serial = f"{rng.randrange(10**8):08d}"
    run = "0" * (end - start - 9) + serial + str(s10_check_digit(serial))
    return sample[:start] + run + sample[end:]


def _maker(sample: str) -> Callable[[str, random.Random], str] | None:
    if S10_PATTERN.match(sample) and is_valid_s10(sample):
        return _s10
    if sample.isdigit() and len(sample) >= 10 and is_valid_impb(sample):
        return _impb
    if _RUN.search(sample):
        return _run_s10
    return None


def _claims_alone(registry: CarrierRegistry, code: str, number: str) -> bool:
    claims = registry.identify(number)
    if not claims or claims[0].carrier != code:
        return False
    return len(claims) == 1 or claims[1].confidence < claims[0].confidence


def _carrier_stream(
    registry: CarrierRegistry, carrier: type[Carrier], scenarios: Mapping[str, str], seed: int
) -> Iterator[str] | None:
    faults = {n for name, n in scenarios.items() if name not in _OUTCOMES}
    plain = [n for name, n in scenarios.items() if name in _OUTCOMES]
    makers = [(s, m) for s in plain if (m := _maker(s)) is not None]
    rng = random.Random(f"{seed}:{carrier.code}")
    if not makers and not plain:
        return None

    def stream() -> Iterator[str]:
        yield from plain  # every documented outcome once (including "unknown": not found)
        misses = 0
        while True:
            if makers and misses < 50:
                sample, make = makers[rng.randrange(len(makers))]
                number = make(sample, rng)
                if number not in faults and carrier.recognize(number) and _claims_alone(registry, carrier.code, number):
                    misses = 0
                    yield number
                    continue
                misses += 1
                continue
            yield plain[rng.randrange(len(plain))]  # no generator fits: cycle the scenario numbers

    return stream()


def generate_numbers(registry: CarrierRegistry, count: int, *, seed: int = 0) -> Iterator[str]:
    """``count`` valid numbers, round-robin across the installed carriers that have a fake.

    The first numbers of each carrier are its fake's non-fault scenario numbers, so a run shows
    every outcome (``unknown`` ends as a not-found error); the rest are generated. Lazy: any
    ``count`` uses constant memory.
    """
    numbers = scenario_numbers(registry)
    streams = [
        s
        for carrier in registry
        if carrier.code in numbers
        and (s := _carrier_stream(registry, carrier, numbers[carrier.code], seed)) is not None
    ]
    if not streams:
        return
    produced = 0
    while produced < count:
        for stream in streams:
            if produced >= count:
                return
            yield next(stream)
            produced += 1
