"""The ASGI push receiver under a real server: verified Cainiao pushes become changes, acknowledged after the store."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from carrier_sdk_cainiao._auth import data_digest, encode_form, serialize

from carrier_sdk import ConfigurationError, TrackingStatus
from carrier_sdk.watch import (
    MemoryStore,
    ParcelState,
    PushReceiver,
    SQLiteStore,
    TerminalReason,
    apply_info,
    cainiao_verifier,
    record_push,
)

from .conftest import serve_asgi

SECRET = "link-canary-77aa"
NUMBER = "LP00000000077001"


def push_body(action: str, at: str, *, secret: str = SECRET, number: str = NUMBER) -> bytes:
    content = serialize(
        {
            "mailNo": number,
            "traceDetail": {"actionCode": action, "time": at, "timeZone": "GMT+8", "standardDesc": action},
        }
    )
    return encode_form(
        {
            "msg_type": "CNGE_TRACE_PUSH",
            "logistic_provider_id": "RESOURCE",
            "logistics_interface": content,
            "data_digest": data_digest(content, secret),
        }
    )


FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_pushes_are_verified_stored_then_acknowledged(tmp_path: Any) -> None:
    store = SQLiteStore(tmp_path / "w.sqlite3")
    app = PushReceiver(store, {"cainiao": cainiao_verifier(SECRET)}, prefix="/push", clock=lambda: 1_777_700_000.0)
    with serve_asgi(app) as base, httpx.Client(base_url=base) as http:
        first = http.post("/push/cainiao", content=push_body("GWMS_ACCEPT", "2026-05-01 10:00:00"), headers=FORM)
        assert first.status_code == 200
        assert first.json() == {"success": "true"}
        parcel = store.get("cainiao", NUMBER)
        assert parcel is not None and parcel.state is ParcelState.WATCHING  # noqa: PT018
        (change,) = store.pending()
        assert change.source == "push"
        assert change.old_status is None
        assert len(change.new_events) == 1
        # The same push again (a carrier retry): acknowledged, nothing new queued.
        again = http.post("/push/cainiao", content=push_body("GWMS_ACCEPT", "2026-05-01 10:00:00"), headers=FORM)
        assert again.status_code == 200
        assert len(store.pending()) == 1
        # A later event: one more change, with only that event, from the first status.
        signed = http.post("/push/cainiao", content=push_body("GTMS_SIGNED", "2026-05-06 09:00:00"), headers=FORM)
        assert signed.status_code == 200
        last = store.pending()[-1]
        assert last.old_status == change.new_status
        assert last.new_status is TrackingStatus.DELIVERED
        assert [e.carrier_status_code for e in last.new_events] == ["GTMS_SIGNED"]
        assert last.terminal_reason is TerminalReason.DELIVERED
        info = store.get("cainiao", NUMBER).info  # type: ignore[union-attr]
        assert info is not None
        assert len(info.events) == 2
        # Forged, oversized, wrong path, wrong method.
        forged = http.post("/push/cainiao", content=push_body("RETURNED", "2026-05-07 09:00:00", secret="x"))
        assert forged.status_code == 400
        assert SECRET not in forged.text
        assert http.post("/push/usps", content=b"{}").status_code == 404
        assert http.get("/push/cainiao").status_code == 405
        big = http.post("/push/cainiao", content=b"a" * (1024 * 1024 + 1), headers=FORM)
        assert big.status_code == 413
        assert len(store.pending()) == 2
        assert app.accepted == {"cainiao": 3}
    store.close()


def test_a_push_is_not_acknowledged_when_the_store_fails() -> None:
    store = MemoryStore()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    store.commit = broken  # type: ignore[method-assign]
    app = PushReceiver(store, {"cainiao": cainiao_verifier(SECRET)})
    with serve_asgi(app) as base:
        response = httpx.post(f"{base}/cainiao", content=push_body("GWMS_ACCEPT", "2026-05-01 10:00:00"), headers=FORM)
    assert response.status_code == 500
    assert store.get("cainiao", NUMBER) is None


def test_a_pushed_event_later_seen_by_a_poll_is_not_reported_twice() -> None:
    from carrier_sdk_cainiao import verify_push

    store = MemoryStore()
    pushed = verify_push(push_body("GWMS_ACCEPT", "2026-05-01 10:00:00"), SECRET)
    first = record_push(store, pushed, now=1_800_000_000.0)
    assert first is not None
    # A poll returning the pushed event plus a new one reports only the new one.
    later = verify_push(push_body("GWMS_PACKAGE", "2026-05-01 12:00:00"), SECRET)
    both = type(pushed)(
        carrier="cainiao",
        tracking_number=NUMBER,
        status=later.status,
        events=pushed.events + later.events,
    )
    parcel = store.get("cainiao", NUMBER)
    assert parcel is not None
    _, change = apply_info(
        parcel,
        both,
        now=1_800_000_100.0,
        schedule=__import__("carrier_sdk.watch").watch.Schedule(),
        rng=__import__("random").Random(),
    )
    assert change is not None
    assert [e.carrier_status_code for e in change.new_events] == ["GWMS_PACKAGE"]
    assert record_push(MemoryStore(), pushed, watch_unknown=False) is None


def test_receiver_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="at least one"):
        PushReceiver(MemoryStore(), {})
    with pytest.raises(ConfigurationError, match="secret"):
        cainiao_verifier("")


def test_the_lifespan_protocol_is_answered() -> None:
    app = PushReceiver(MemoryStore(), {"cainiao": cainiao_verifier(SECRET)})
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
