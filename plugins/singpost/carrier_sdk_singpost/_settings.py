"""Settings of the SingPost adapter (read from a mapping or ``CARRIER_SDK_SINGPOST_*``)."""

from __future__ import annotations

from typing import Any

import attrs
import httpx

from carrier_sdk import Secret

from ._wire import DEFAULT_SYSTEM_ID, NAMED_URLS, PRODUCTION_URL

__all__ = ["SingPostSettings"]


def _base_url(value: Any) -> str:
    """Accept a URL or one of :data:`NAMED_URLS` (``production``, ``legacy``, ``sandbox``)."""
    if not isinstance(value, str):
        raise TypeError("base_url must be a string")
    text = value.strip()
    text = NAMED_URLS.get(text.lower(), text)
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ValueError("base_url is not a URL") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise ValueError("base_url must be an http(s) URL")
    return text


def _system_id(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("system_id must be a string")
    text = value.strip() or DEFAULT_SYSTEM_ID
    if len(text) > 64 or not text.isprintable():
        raise ValueError("system_id must be up to 64 printable characters")
    return text


@attrs.frozen(kw_only=True)
class SingPostSettings:
    """Settings of :class:`~carrier_sdk_singpost.SingPostCarrier`.

    Attributes:
        api_key: The key SingPost issues (sent raw in the ``Authorization`` header). An empty
            key sends no header (the legacy ESB historically needed none).
        base_url: The tracking endpoint the XML is POSTed to, or a name: ``production``
            (APIM, the default), ``legacy`` (the ESB), ``sandbox`` (APIM QA).
        system_id: The ``SystemID`` element of every request (``-`` unless SingPost assigns one).
    """

    api_key: Secret = attrs.field(converter=Secret.coerce, repr=False)  # type: ignore[misc]
    base_url: str = attrs.field(default=PRODUCTION_URL, converter=_base_url)
    system_id: str = attrs.field(default=DEFAULT_SYSTEM_ID, converter=_system_id)
