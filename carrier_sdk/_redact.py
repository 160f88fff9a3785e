"""Redaction of secrets from requests and responses kept on exceptions and written to logs.

httpx masks only ``Authorization`` in reprs; carriers put secrets in other headers
(``X-Payment-Authorization-Token``, ``client_secret``) and in form bodies. Everything the SDK
keeps after a request (exceptions, log records) goes through this module first.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "redact_request", "redact_response", "redact_url"]

REDACTED = "[redacted]"

#: Header names (lower case) whose values never leave the request unmasked.
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-payment-authorization-token",
        "client_id",
        "client_secret",
        "x-idempotency-key-secret",
    }
)

#: Query parameter names (lower case) treated as secret.
SENSITIVE_PARAMS = frozenset(
    {"client_secret", "secret", "token", "access_token", "api_key", "apikey", "userid", "password"}
)

#: Keep at most this many bytes of a response body on an exception.
BODY_EXCERPT = 2048


def _headers(headers: httpx.Headers, extra: Iterable[str]) -> httpx.Headers:
    sensitive = SENSITIVE_HEADERS | {h.lower() for h in extra}
    return httpx.Headers([(k, REDACTED if k.lower() in sensitive else v) for k, v in headers.multi_items()])


def redact_url(url: httpx.URL) -> httpx.URL:
    """Return ``url`` with secret-looking query parameters masked."""
    if not url.query:
        return url
    params = [(k, REDACTED if k.lower() in SENSITIVE_PARAMS else v) for k, v in url.params.multi_items()]
    return url.copy_with(params=params)


def redact_request(request: httpx.Request, extra_headers: Iterable[str] = ()) -> httpx.Request:
    """A body-less copy of ``request`` with secret headers and query values masked."""
    return httpx.Request(
        request.method,
        redact_url(request.url),
        headers=_headers(request.headers, extra_headers),
    )


def redact_response(
    response: httpx.Response,
    request: httpx.Request | None = None,
    extra_headers: Iterable[str] = (),
) -> httpx.Response:
    """A copy of ``response`` with masked headers and the body cut to an excerpt.

    ``request`` should already be redacted; it replaces the live request the response points to.
    """
    try:
        content = response.content[:BODY_EXCERPT]
    except httpx.ResponseNotRead:
        content = b""
    headers = _headers(response.headers, extra_headers)
    headers.pop("content-encoding", None)
    headers.pop("content-length", None)
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=content,
        request=request if request is not None else redact_request(response.request),
    )
