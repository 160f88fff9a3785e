"""The LINK gateway signature: ``data_digest = base64(md5(logistics_interface + secret_key))``.

The digest is the raw 16-byte MD5 (not its hex form) of the UTF-8 bytes of the exact
``logistics_interface`` string that is sent, base64-encoded with padding (README "Signing").
The JSON is serialized once, signed, and that same string is form-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from carrier_sdk import Secret

__all__ = [
    "FORM_CONTENT_TYPE",
    "data_digest",
    "digest_matches",
    "encode_form",
    "serialize",
    "signed_form",
]

#: Content type of every gateway call.
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"


def serialize(payload: Any) -> str:
    """The ``logistics_interface`` JSON text: compact, UTF-8 (no ``\\u`` escapes), built once."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _secret_text(secret: str | Secret) -> str:
    return secret.get_secret_value() if isinstance(secret, Secret) else secret


def data_digest(content: str, secret: str | Secret) -> str:
    """``base64(md5_raw(content + secret))`` over UTF-8 bytes."""
    raw = hashlib.md5((content + _secret_text(secret)).encode("utf-8"), usedforsecurity=False).digest()
    return base64.b64encode(raw).decode("ascii")


def digest_matches(content: str, digest: str, secret: str | Secret) -> bool:
    """Whether ``digest`` is the signature of ``content``; constant-time comparison."""
    expected = data_digest(content, secret).encode("ascii")
    return hmac.compare_digest(expected, digest.encode("utf-8", "surrogatepass"))


def signed_form(
    msg_type: str,
    content: str,
    *,
    logistic_provider_id: str,
    secret: str | Secret,
    to_code: str,
) -> dict[str, str]:
    """The form fields of one gateway call, signing exactly ``content``."""
    return {
        "msg_type": msg_type,
        "logistic_provider_id": logistic_provider_id,
        "to_code": to_code,
        "logistics_interface": content,
        "data_digest": data_digest(content, secret),
    }


def encode_form(fields: dict[str, str]) -> bytes:
    """URL-encode ``fields`` as UTF-8 ``application/x-www-form-urlencoded``."""
    return urlencode(fields, encoding="utf-8").encode("ascii")
