"""USPS Tracking by Email: ``POST /tracking/v3/tracking/{trackingNumber}/notifications``.

This is the only notification the USPS tracking API (v3, ``tracking.yaml``, operation
``post-package-tracking-notifications``) documents: USPS e-mails up to three addresses about a
mail piece's events. It pushes to people, not to an HTTP endpoint, so it cannot feed a
:class:`carrier_sdk.watch.PushReceiver`; follow USPS parcels with the watcher's polling.

Wire facts (from the OpenAPI document): body ``TrackingNotificationRequest`` with
``notifications`` (1-3 ``{"email": ...}``, each at most 50 characters), ``notifyEventTypes``
(1-7 of ``MailingEventType``), optional ``firstName``/``lastName`` (at most 50 characters), no
other property; OAuth scope ``tracking``; answer 202 with ``TrackingNotificationAcknowledgement``
(``resultText``, ``returnCode``). Run it through a client::

    from carrier_sdk_usps.notifications import register_tracking_emails

    ack = client.run_flow("usps", lambda usps: register_tracking_emails(usps, number, ["me@example.com"]))

.. versionadded:: 0.2
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import attrs
import httpx

from carrier_sdk import ValidationError
from carrier_sdk.adapters import Flow, RequestOptions, api_request

__all__ = ["MAILING_EVENT_TYPES", "NotificationAcknowledgement", "register_tracking_emails"]

#: ``MailingEventType`` values, in the order of the abbreviations the spec's prose lists
#: (AL, FD, ED, TD, UP, FS, OA).
MAILING_EVENT_TYPES = (
    "EMAIL_ALERT",
    "EMAIL_FUTURE_DELIVERY",
    "EMAIL_DELIVERY/NON_DELIVERY_ACTIVITY",
    "EMAIL_TODAY_DELIVERY",
    "EMAIL_AVAILABLE_FOR_PICKUP",
    "PACKAGE_ADDRESSED_TO_ME/MYUSPS_ONLY",
    "OTHER_ACTIVITY",
)
_EMAIL = re.compile(r"^[a-zA-Z0-9_+&*-]+(?:\.[a-zA-Z0-9_+&*-]+)*@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$")
NOTIFICATIONS_PATH = "/tracking/v3/tracking/{number}/notifications"


@attrs.frozen(kw_only=True)
class NotificationAcknowledgement:
    """USPS's answer to a Tracking by Email registration."""

    tracking_number: str
    result_text: str = ""
    return_code: str = ""


def _request_body(emails: Sequence[str], event_types: Sequence[str], first_name: str, last_name: str) -> dict[str, Any]:
    if isinstance(emails, str) or not 1 <= len(emails) <= 3:
        raise ValidationError("give one to three e-mail addresses", field="emails", constraint="1-3 addresses")
    for email in emails:
        if not isinstance(email, str) or len(email) > 50 or not _EMAIL.match(email):
            raise ValidationError(
                f"{email!r} is not an e-mail address USPS accepts", field="emails", constraint="email"
            )
    if isinstance(event_types, str) or not 1 <= len(event_types) <= 7:
        raise ValidationError("give one to seven event types", field="event_types", constraint="1-7 types")
    for kind in event_types:
        if kind not in MAILING_EVENT_TYPES:
            raise ValidationError(
                f"unknown event type {kind!r}: one of {', '.join(MAILING_EVENT_TYPES)}",
                field="event_types",
                constraint="MailingEventType",
            )
    body: dict[str, Any] = {
        "notifications": [{"email": e} for e in emails],
        "notifyEventTypes": list(dict.fromkeys(event_types)),
    }
    for key, value in (("firstName", first_name), ("lastName", last_name)):
        if len(value) > 50:
            raise ValidationError(f"{key} is longer than 50 characters", field=key, constraint="<= 50 characters")
        if value:
            body[key] = value
    return body


def register_tracking_emails(
    usps: Any,
    tracking_number: str,
    emails: Sequence[str],
    *,
    event_types: Sequence[str] = ("EMAIL_ALERT",),
    first_name: str = "",
    last_name: str = "",
) -> Flow[NotificationAcknowledgement]:
    """A flow registering ``emails`` for USPS's e-mails about ``tracking_number``.

    Args:
        usps: The configured USPS carrier (what ``client.run_flow("usps", ...)`` passes).
        tracking_number: The USPS tracking number.
        emails: One to three e-mail addresses.
        event_types: One to seven of :data:`MAILING_EVENT_TYPES`.
        first_name: The recipient's given name (optional).
        last_name: The recipient's family name (optional).

    Raises:
        ValidationError: Bad number, addresses, event types or names (before anything is sent).
        APIStatusError: USPS refused the registration (its typed subclasses by status).
    """
    number = usps.check_number(tracking_number)
    body = _request_body(emails, event_types, first_name, last_name)
    url = usps._url(NOTIFICATIONS_PATH.format(number=quote(number, safe="")))
    operation = "register_tracking_emails"

    def build(token: str, _: str | None) -> httpx.Request:
        return api_request(
            "POST",
            url,
            json=body,
            headers={**usps._bearer(token), "Content-Type": "application/json"},
            options=RequestOptions(operation=operation, idempotent=False),
        )

    response: httpx.Response = yield from usps._authorized(build, operation)
    if response.status_code not in (200, 201, 202):
        raise usps.api_error(response, operation=operation)
    data = usps.parse_json(response, operation=operation) if response.content.strip() else {}
    if not isinstance(data, dict):
        raise usps.response_error(response, "acknowledgement is not a JSON object", operation=operation)
    return NotificationAcknowledgement(
        tracking_number=number,
        result_text=str(data.get("resultText") or ""),
        return_code=str(data.get("returnCode") or ""),
    )
