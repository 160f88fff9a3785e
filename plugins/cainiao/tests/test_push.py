"""verify_push: digest verification, tampering, size caps, parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
from carrier_sdk_cainiao import verify_push
from carrier_sdk_cainiao._auth import data_digest, encode_form, serialize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carrier_sdk import PushVerificationError, Secret, TrackingStatus

SECRET = "push-canary-9c2d"
CONTENT = serialize(
    {
        "mailNo": "LP00667794278588",
        "traceDetail": {
            "actionCode": "GTMS_SIGNED",
            "time": "2024-08-22 17:52:29",
            "timeZone": "GMT-3",
            "standardDesc": "Delivered to recipient — 已签收",
            "location": "São Paulo",
        },
    }
)


def body(content: str = CONTENT, digest: str | None = None) -> bytes:
    return encode_form(
        {
            "msg_type": "CNGE_TRACE_PUSH",
            "logistic_provider_id": "RESOURCE_CODE",
            "logistics_interface": content,
            "data_digest": data_digest(content, SECRET) if digest is None else digest,
        }
    )


def test_valid_push_in_every_input_form() -> None:
    raw = body()
    forms = [
        raw,
        raw.decode(),
        {k: v[0] for k, v in parse_qs(raw.decode()).items()},
        parse_qs(raw.decode()),
    ]
    for form in forms:
        info = verify_push(form, SECRET)
        assert info.carrier == "cainiao"
        assert info.tracking_number == "LP00667794278588"
        assert info.status is TrackingStatus.DELIVERED
        [event] = info.events
        assert event.occurred_at == datetime(2024, 8, 22, 20, 52, 29, tzinfo=UTC)
        assert event.description == "Delivered to recipient — 已签收"
        assert event.location is not None
        assert event.location.facility == "São Paulo"
    assert verify_push(raw, Secret(SECRET)).status is TrackingStatus.DELIVERED


def test_push_with_a_trace_list() -> None:
    content = serialize(
        {
            "mailNo": "LP00667794278588",
            "traceDetailList": [
                {"time": "2024-08-22 17:52:29", "timeZone": "+8", "actionCode": "AE_GTMS_DO_DEPART", "desc": "Out"},
                {"time": "2024-08-21 10:00:00", "timeZone": "+8", "actionCode": "CW_OUTBOUND", "desc": "Left"},
            ],
        }
    )
    info = verify_push(body(content), SECRET)
    assert info.status is TrackingStatus.OUT_FOR_DELIVERY
    assert [e.carrier_status_code for e in info.events] == ["CW_OUTBOUND", "AE_GTMS_DO_DEPART"]


@pytest.mark.parametrize(
    "tampered",
    [
        body(CONTENT.replace("GTMS_SIGNED", "GTMS_SIGN_FAILURE"), data_digest(CONTENT, SECRET)),
        body(CONTENT, data_digest(CONTENT, "wrong-secret")),
        body(CONTENT, data_digest(CONTENT, SECRET).lower()),
        body(CONTENT, ""),
        body(CONTENT + " ", data_digest(CONTENT, SECRET)),
        b"logistics_interface=" + body().split(b"logistics_interface=")[1].split(b"&")[0],
        body() + b"&data_digest=AAAAAAAAAAAAAAAAAAAAAA%3D%3D",  # a second digest
        body() + b"&logistics_interface=%7B%7D",  # a second content
        b"\xff\xfe",
        b"",
    ],
)
def test_tampered_pushes_are_rejected(tampered: bytes) -> None:
    with pytest.raises(PushVerificationError) as info:
        verify_push(tampered, SECRET)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_mutation_of_content_or_digest_is_rejected(data: st.DataObject) -> None:
    digest = data_digest(CONTENT, SECRET)
    target = data.draw(st.sampled_from(["content", "digest"]))
    original = CONTENT if target == "content" else digest
    index = data.draw(st.integers(0, len(original) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != original[index]))
    mutated = original[:index] + replacement + original[index + 1 :]
    raw = body(mutated, digest) if target == "content" else body(CONTENT, mutated)
    with pytest.raises(PushVerificationError):
        verify_push(raw, SECRET)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_other_errors(raw: bytes) -> None:
    with pytest.raises(PushVerificationError):
        verify_push(raw, SECRET)


def test_size_cap() -> None:
    big = serialize({"mailNo": "LP00667794278588", "pad": "x" * 5000, "traceDetailList": []})
    with pytest.raises(PushVerificationError, match="exceeds"):
        verify_push(body(big), SECRET, max_body=4096)
    with pytest.raises(PushVerificationError, match="exceeds"):
        verify_push({"logistics_interface": big, "data_digest": data_digest(big, SECRET)}, SECRET, max_body=4096)
    with pytest.raises(PushVerificationError, match="not a tracking message"):
        verify_push(body(big), SECRET, max_body=None)  # verified, but no events


def test_verified_but_unusable_content() -> None:
    for content in ["[1, 2]", '{"mailNo": "LP00667794278588"}', "not json"]:
        with pytest.raises(PushVerificationError):
            verify_push(body(content), SECRET)


def test_empty_secret_refuses() -> None:
    with pytest.raises(PushVerificationError, match="no secret"):
        verify_push(body(), "")


def test_verify_push_is_the_public_push_module_function() -> None:
    import carrier_sdk_cainiao
    from carrier_sdk_cainiao import push

    assert carrier_sdk_cainiao.verify_push is push.verify_push is verify_push
    assert "verify_push" in dir(carrier_sdk_cainiao)
