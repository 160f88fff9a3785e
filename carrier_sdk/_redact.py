"""Redaction of secrets from requests and responses kept on exceptions and written to logs.

httpx masks only ``Authorization`` in reprs; carriers put secrets in other headers
(``X-Payment-Authorization-Token``, ``client_secret``) and in form bodies. Everything the SDK
keeps after a request (exceptions, log records) goes through this module first.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "redact_request", "redact_response", "redact_url", "scrub", "scrub_text"]

#: What a secret header, query parameter or body excerpt is replaced with.
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


#: Secrets shorter than this are not scrubbed from text (they would match everywhere).
MIN_SECRET = 4


def _variants(secret: str) -> list[bytes]:
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret, safe=""), quote_plus(secret), secret.replace("/", "\\/")}
    return sorted((f.encode("utf-8") for f in forms), key=len, reverse=True)


def scrub(data: bytes, secrets: Iterable[str]) -> bytes:
    """``data`` with every known secret (as is, URL-encoded or JSON-escaped) replaced by ``[redacted]``."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET:
            for form in _variants(secret):
                data = data.replace(form, REDACTED.encode())
    return data


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """:func:`scrub` for text."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET:
            for form in _variants(secret):
                text = text.replace(form.decode("utf-8"), REDACTED)
    return text


def redact_response(
    response: httpx.Response,
    request: httpx.Request | None = None,
    extra_headers: Iterable[str] = (),
    secrets: Iterable[str] = (),
) -> httpx.Response:
    """A copy of ``response`` with masked headers, the body cut to an excerpt, known secrets scrubbed.

    ``request`` should already be redacted; it replaces the live request the response points to.
    ``secrets`` (the carrier's credentials and tokens) are replaced wherever the excerpt or a
    header echoes them.
    """
    secrets = tuple(secrets)
    try:
        content = scrub(response.content, secrets)[:BODY_EXCERPT]
    except httpx.ResponseNotRead:
        content = b""
    headers = _headers(response.headers, extra_headers)
    if secrets:
        headers = httpx.Headers([(k, scrub_text(v, secrets)) for k, v in headers.multi_items()])
    headers.pop("content-encoding", None)
    headers.pop("content-length", None)
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=content,
        request=request if request is not None else redact_request(response.request),
    )
