"""Verification of tracking messages Cainiao pushes to a merchant endpoint.

A push is a form POST shaped like a gateway call (``logistics_interface`` + ``data_digest``,
plus ``msg_type`` and ``logistic_provider_id``), signed with the same secret. The trace content
seen in the wild is ``{"mailNo": ..., "traceDetail": {"actionCode", "time", "timeZone",
"standardDesc", "location"}}`` [M]; lists of traces (``traceDetailList``/``detailList``) are
accepted too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from carrier_sdk import PushVerificationError, Secret, TrackingInfo
from carrier_sdk.adapters import PARSE_ERRORS

from ._auth import digest_matches
from ._mapping import to_tracking_info
from ._wire import extract_track_record

__all__ = ["DEFAULT_MAX_PUSH_BODY", "verify_push"]

#: Largest push accepted by default, in bytes.
DEFAULT_MAX_PUSH_BODY = 1024 * 1024


def _field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise PushVerificationError(f"push must carry exactly one {name}")
        value = value[0]
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise PushVerificationError(f"push {name} is not UTF-8") from None
    if not isinstance(value, str) or not value:
        raise PushVerificationError(f"push has no {name}")
    return value


def _form(form_or_body: Mapping[str, Any] | bytes | str, max_body: int) -> Mapping[str, Any]:
    if isinstance(form_or_body, Mapping):
        return form_or_body
    if isinstance(form_or_body, str):
        form_or_body = form_or_body.encode("utf-8")
    if not isinstance(form_or_body, bytes):
        raise PushVerificationError("push must be a form mapping or the raw body")
    if len(form_or_body) > max_body:
        raise PushVerificationError(f"push body exceeds {max_body} bytes")
    try:
        text = form_or_body.decode("utf-8")
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict", max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise PushVerificationError("push body is not a UTF-8 form") from None


def verify_push(
    form_or_body: Mapping[str, Any] | bytes | str,
    secret_key: str | Secret,
    *,
    max_body: int | None = DEFAULT_MAX_PUSH_BODY,
) -> TrackingInfo:
    """Verify a pushed tracking message's ``data_digest`` and parse it into a TrackingInfo.

    Args:
        form_or_body: The raw ``application/x-www-form-urlencoded`` body (bytes or text), or the
            form your web framework already parsed (values may be strings or one-item lists).
        secret_key: The LINK secret key.
        max_body: Largest body (or ``logistics_interface``) accepted, in bytes; ``None`` for no cap.

    Returns:
        The :class:`~carrier_sdk.TrackingInfo` of the pushed events.

    Raises:
        PushVerificationError: The digest is missing or wrong, the body was tampered with or is too
            large, or the verified content is not a tracking message. Never contains the secret.

    .. versionadded:: 0.1
    """
    cap = max_body if max_body is not None else 1 << 62
    form = _form(form_or_body, cap)
    content = _field(form, "logistics_interface")
    digest = _field(form, "data_digest")
    if len(content.encode("utf-8")) > cap:
        raise PushVerificationError(f"push content exceeds {cap} bytes")
    secret = secret_key if isinstance(secret_key, Secret) else Secret(secret_key)
    if not secret:
        raise PushVerificationError("no secret key to verify the push with")
    if not digest_matches(content, digest, secret):
        raise PushVerificationError("push data_digest does not match its content")
    try:
        body = json.loads(content)
        record = extract_track_record(body)
        number = record.mail_no
        if not number or not record.events:
            raise ValueError("no number or no events")
        return to_tracking_info("cainiao", number.upper(), record)
    except PARSE_ERRORS as err:
        raise PushVerificationError(f"verified push is not a tracking message ({type(err).__name__})") from None
