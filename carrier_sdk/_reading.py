"""Reading response bodies with a size cap and bounded decompression (no decompression bombs).

httpx has no body limit and inflates gzip without bound; the clients read raw bytes through
:class:`_Reader`, which decodes with ``zlib`` in bounded steps and stops at the cap.
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx

from ._carrier import Carrier
from ._exceptions import ResponseError, ResponseTooLargeError
from ._flow import RequestOptions
from ._redact import redact_request

__all__ = ["_Reader"]

_BODY_HEADERS = (b"content-encoding", b"content-length")


class _Decoder:
    """Bounded decoding of a response's content encoding (no decompression bombs)."""

    def __init__(self, encoding: str | None) -> None:
        enc = (encoding or "identity").strip().lower()
        if enc in ("identity", ""):
            self._z: Any = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 32)
        else:
            raise ValueError(enc)

    def feed(self, data: bytes, room: int) -> bytes:
        if self._z is None:
            return data
        out: bytes = self._z.decompress(data, room + 1)
        if len(out) > room or self._z.unconsumed_tail:
            return out + b"\0"  # signals overflow to the caller
        return out


class _Reader:
    """Accumulates a capped body; raises :class:`ResponseTooLargeError` past the cap."""

    def __init__(self, carrier: Carrier, options: RequestOptions, response: httpx.Response) -> None:
        self.carrier = carrier
        self.options = options
        self.response = response
        self.limit = options.max_body
        self.buffer = bytearray()
        declared = response.headers.get("content-length")
        if (
            declared
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > self.limit
            and not response.headers.get("content-encoding")
        ):
            raise self.too_large()
        try:
            self.decoder = _Decoder(response.headers.get("content-encoding"))
        except ValueError:
            raise ResponseError(
                "unsupported content encoding",
                carrier=carrier.code,
                operation=options.operation,
                status_code=response.status_code,
                request=redact_request(response.request, carrier.sensitive_headers),
            ) from None

    def too_large(self) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"response body exceeds {self.limit} bytes",
            limit=self.limit,
            carrier=self.carrier.code,
            operation=self.options.operation,
            status_code=self.response.status_code,
            request=redact_request(self.response.request, self.carrier.sensitive_headers),
        )

    def feed(self, chunk: bytes) -> None:
        try:
            data = self.decoder.feed(chunk, self.limit - len(self.buffer))
        except zlib.error:
            raise ResponseError(
                "corrupt compressed body",
                carrier=self.carrier.code,
                operation=self.options.operation,
                status_code=self.response.status_code,
            ) from None
        self.buffer += data
        if len(self.buffer) > self.limit:
            raise self.too_large()

    def feed_decoded(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > self.limit:
            raise self.too_large()

    def build(self) -> httpx.Response:
        """The response over the decoded body: no content encoding, its own length, read already."""
        body = bytes(self.buffer)
        headers = [(k, v) for k, v in self.response.headers.raw if k.lower() not in _BODY_HEADERS]
        headers.append((b"Content-Length", str(len(body)).encode()))
        response = httpx.Response(
            self.response.status_code,
            headers=headers,
            stream=httpx.ByteStream(body),
            request=self.response.request,
            extensions={k: v for k, v in self.response.extensions.items() if k in ("http_version", "reason_phrase")},
        )
        # The body is in memory: httpx's read() would only copy it through its decoders again
        # (~9 us a response); its content is the body, as after read().
        response._content = body
        return response
