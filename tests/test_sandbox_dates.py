"""Sandbox histories are recent, dated back from the sandbox's creation by deterministic offsets
(issue 13: "times are the present, not a fixed past year")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from carrier_sdk import Client, TrackingInfo
from carrier_sdk.sandbox import ADVANCE_LADDER, Sandbox
from carrier_sdk.watch import event_id

from ._helpers import domestic_request

DAY = 86400.0
#: Two sandbox creation instants far apart (2033 and 2036, on the hour): histories must follow them.
T1 = 1_999_998_000.0
T2 = T1 + 1000 * DAY


def _installed() -> list[str]:
    try:
        return Sandbox().codes
    except Exception:  # pragma: no cover - plugins not installed
        return []


def _generated(code: str) -> list[str]:
    """Numbers of ``code`` that are no scenario: their history is generated from the number."""
    if code == "usps":
        from carrier_sdk_usps.fake import fake_impb, fake_s10

        return [fake_impb(4242), fake_s10(77)]
    if code == "singpost":
        from carrier_sdk_singpost.fake import sg_number

        return [sg_number("RR", 4242)]
    if code == "correos":
        from carrier_sdk_correos.fake import correos_code

        return [correos_code(4242)]
    if code == "cainiao":
        return ["LP00100000004242"]
    return []


def _numbers(box: Sandbox, code: str) -> list[str]:
    fake = box.fake(code)
    statuses = fake.advance_statuses()
    return [n for name, n in fake.scenario_numbers.items() if name in statuses - {"unknown"}] + _generated(code)


def _histories(code: str, clock: float) -> dict[str, TrackingInfo]:
    box = Sandbox(carriers=[code], clock=lambda: clock)
    with Client(sandbox=box, max_retries=0) as client:
        return {number: client.track(number, carrier=code) for number in _numbers(box, code)}


@pytest.mark.parametrize("code", _installed())
def test_histories_are_recent_and_shift_with_the_sandbox(code: str) -> None:
    first = _histories(code, T1)
    later = _histories(code, T2)
    assert first
    for number, info in first.items():
        assert info.events, number
        times = [e.occurred_at.timestamp() for e in info.events]
        # Recent: within the 60 days before the sandbox was created, none after it.
        assert min(times) >= T1 - 60 * DAY, (number, dt.datetime.fromtimestamp(min(times), dt.UTC))
        assert max(times) <= T1, (number, dt.datetime.fromtimestamp(max(times), dt.UTC))
        # Deterministic offsets: a sandbox created 1000 days later shows the same history, 1000 days later.
        shifted = [e.occurred_at.timestamp() for e in later[number].events]
        assert shifted == [t + 1000 * DAY for t in times], number
        assert [e.status for e in later[number].events] == [e.status for e in info.events]


@pytest.mark.parametrize("code", _installed())
def test_a_saved_sandbox_keeps_its_dates(code: str, tmp_path: Any) -> None:
    box = Sandbox(carriers=[code], clock=lambda: T1)
    with Client(sandbox=box, max_retries=0) as client:
        number = _numbers(box, code)[0]
        before = client.track(number, carrier=code)
    box.save(tmp_path / "state.json")
    again = Sandbox(carriers=[code], clock=lambda: T2)  # the next process, 1000 days on
    again.load(tmp_path / "state.json")
    with Client(sandbox=again, max_retries=0) as client:
        after = client.track(number, carrier=code)
    assert [e.occurred_at for e in after.events] == [e.occurred_at for e in before.events]
    again.reset()  # a reset sandbox is dated from now
    with Client(sandbox=again, max_retries=0) as client:
        reset = client.track(number, carrier=code)
    assert reset.events[0].occurred_at.timestamp() > T2 - 60 * DAY


def test_recent_start_is_relative_to_the_anchor() -> None:
    from carrier_sdk.testing import FakeCarrierAPIServer

    fake = FakeCarrierAPIServer(clock=lambda: T1 + 3599)
    assert fake.anchor == T1  # the start of the hour
    assert fake.recent_start(0.0) == T1 - 14 * DAY
    assert fake.recent_start(1.0, lead_days=2, span_days=3) == T1 - 5 * DAY
    assert fake.recent_start(7.0) == T1 - 28 * DAY  # clamped to [0, 1]
    assert fake.snapshot()["anchor"] == T1


def _ids(info: TrackingInfo) -> dict[str, Any]:
    return {event_id(e): e for e in info.events}


@pytest.mark.parametrize("code", _installed())
def test_advance_only_adds_events(code: str) -> None:
    """Every event a parcel showed keeps its instant (its watcher identity) when it moves: a
    watcher reports only the new events. Along the ladder by hours and straight to a status,
    for scenario numbers, generated numbers and a label bought in the sandbox."""
    box = Sandbox(carriers=[code])
    numbers = [box.fake(code).scenario_numbers["pre_transit"], *_generated(code)[:1]]
    with Client(sandbox=box, max_retries=0) as client:
        numbers.append(_buy(client, code))
        for number in numbers:
            info = client.track(number, carrier=code)
            if info.status.value not in dict(ADVANCE_LADDER):
                continue  # a generated history off the ladder (a failed delivery ...)
            shown = _ids(info)
            moves: list[dict[str, Any]] = [{"hours": 12}, {"hours": 48}, {"hours": 6}, {"to_status": "delivered"}]
            for move in moves:
                info = box.advance(number, carrier=code, **move)
                now = _ids(info)
                kept = set(shown) & set(now)
                assert kept == set(shown), (number, move, [shown[k] for k in set(shown) - kept])
                assert len(now) >= len(shown)
                # What a watcher that saw ``shown`` reports now: only events it did not see.
                assert all(shown.get(k) is None for k in set(now) - set(shown))
                shown = now
            assert client.track(number, carrier=code).status == "delivered"


def _buy(client: Client, code: str) -> str:
    """A label bought in the sandbox (SingPost sells none: one of its scenario numbers)."""
    from carrier_sdk import Capability
    from carrier_sdk.testing import cross_border_request

    sandbox = client.sandbox
    assert sandbox is not None
    if Capability.CREATE_SHIPMENT not in client.registry.get(code).capabilities:
        return sandbox.fake(code).scenario_numbers["in_transit"]
    if code == "cainiao":  # Cainiao ships abroad only
        return client.create_shipment(code, cross_border_request()).tracking_number
    return client.create_shipment(code, domestic_request("ES" if code == "correos" else "US")).tracking_number
