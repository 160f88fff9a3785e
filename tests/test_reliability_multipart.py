"""A 29 MiB USPS multipart label answer (issue 18 item 7), over a real loopback server.

The answer is under the 30 MiB label cap: it is bought, read once and parsed once, within the
call's deadline and with memory a small multiple of the body, on every path. The client runs in
a subprocess of its own, so that what is measured (traced peak and RSS growth) is the client's
alone, not the loopback server's.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ._helpers import domestic_request
from ._purchase_probe import measure_purchase
from .adversarial import AdversarialServer, Forward, Request, Respond

pytest.importorskip("carrier_sdk_usps")

SIZE = 29 * 1024 * 1024
DEADLINE = 20.0
BOUNDARY = "uspsBoundary29MiB"


def _big_label() -> bytes:
    """A multipart label answer of 29 MiB: USPS's metadata part, then a base64 PDF filling the rest."""
    metadata = json.dumps({"trackingNumber": "9205500000000000000000", "postage": 9.35, "zone": "01"}).encode()
    head = (
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n"
        f'Content-Disposition: form-data; name="labelMetadata"\r\n\r\n'
    ).encode() + metadata
    image_head = (
        f"\r\n--{BOUNDARY}\r\nContent-Type: application/pdf\r\n"
        f'Content-Disposition: form-data; filename="labelImage.pdf"; name="labelImage"\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    room = SIZE - len(head) - len(image_head) - len(tail)
    raw = b"%PDF-1.4\n" + bytes(range(256)) * ((room * 76 // 78 * 3 // 4 - 9) // 256)
    encoded = base64.b64encode(raw)
    wrapped = b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    body = head + image_head + wrapped + tail
    assert SIZE - 4096 < len(body) <= SIZE, len(body)
    return body


def measure(path: str) -> dict[str, Any]:
    """Buy one label whose answer is 29 MiB, in a subprocess; what it measured."""
    from carrier_sdk_usps.fake import UspsFake

    body = _big_label()
    answer = Respond(200, (("content-type", f"multipart/form-data; boundary={BOUNDARY}"),), body)

    def behave(request: Request) -> Any:
        if request.method == "POST" and request.path == "/labels/v3/label":
            return answer
        return Forward()

    fake = UspsFake()
    with AdversarialServer(behave, api=fake, host_url="https://apis.usps.com") as server:
        settings = fake.settings(base_url=server.url)
        result = measure_purchase(
            path, "usps", settings, domestic_request("US", "BIG-1"), key="big-key", deadline=DEADLINE
        )
        labels = server.count("POST /labels/v3/label")
    result["size"] = len(body)
    result["labels"] = labels
    return result


@pytest.mark.parametrize("path", ["sync", "async-httpx", "async-aiohttp"])
def test_29_mib_multipart_label(path: str) -> None:
    if path == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    result = measure(path)
    size = result["size"]
    print(
        f"{path}: {result['seconds']:.2f} s, traced peak {result['peak'] / 2**20:.0f} MiB, "
        f"RSS growth {result['rss_growth'] / 2**20:.0f} MiB for a {size / 2**20:.1f} MiB body, "
        f"longest event-loop stall {result['loop_lag']:.2f} s"
    )
    assert "error" not in result, result["error"]
    assert result["labels"] == 1
    assert result["pdf"]
    assert result["label"] > 20 * 1024 * 1024
    assert result["seconds"] < DEADLINE / 2, f"{result['seconds']:.1f} s against a {DEADLINE:.0f} s deadline"
    assert result["loop_lag"] < 1.0, f"the event loop was blocked for {result['loop_lag']:.2f} s"
    assert result["peak"] < 4 * size, f"traced peak {result['peak'] / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB body"
