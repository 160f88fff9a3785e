"""Per-operation body caps (issue 18 item 7), over a real loopback server, for every carrier.

Each operation states the largest answer it can carry (``RequestOptions.max_body``): tracking
answers 2 MiB, label answers 30 MiB, Correos' SOAP pre-registration (one parcel's PDF inline) 8
MiB. A server that floods an answer far past the cap, with a declared ``Content-Length`` or
without one, gets :class:`ResponseTooLargeError` (inside :class:`OutcomeUnknownError` for a
purchase) without the client reading it all: the server sees the connection go long before the
flood's end.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import attrs
import pytest

from carrier_sdk import (
    OutcomeUnknownError,
    ResponseTooLargeError,
)
from carrier_sdk.adapters import DEFAULT_MAX_BODY
from carrier_sdk.testing import make_registry

from ._helpers import domestic_request, run_on_path
from .adversarial import AdversarialServer, Forward, Request

MiB = 1024 * 1024
FLOOD = 96 * MiB
#: What loopback socket buffers can hold beyond what the client read (send + receive buffers).
IN_FLIGHT = 16 * MiB
PATHS = ["sync", "async-httpx", "async-aiohttp"]


@attrs.frozen
class Flood:
    """A 200 answer of ``total`` bytes sent in 64 KiB chunks, declared or close-delimited."""

    content_type: str
    total: int = FLOOD
    declared: bool = True


class FloodServer(AdversarialServer):
    """The adversarial server, plus :class:`Flood`; ``sent`` is what it could send."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent = 0
        self.flooded = threading.Event()

    def _act(self, conn: socket.socket, action: Any, forwarded: Any) -> bool:
        if not isinstance(action, Flood):
            return super()._act(conn, action, forwarded)
        head = f"HTTP/1.1 200 OK\r\ncontent-type: {action.content_type}\r\n"
        head += f"content-length: {action.total}\r\n" if action.declared else "connection: close\r\n"
        chunk = b" " * 65536
        try:
            conn.sendall((head + "\r\n").encode())
            while self.sent < action.total:
                conn.sendall(chunk)
                self.sent += len(chunk)
        except OSError:
            pass
        finally:
            self.flooded.set()
        return False


def _case(carrier: str) -> tuple[type[Any], Any, str, str]:
    """(adapter class, fake, the fake's host URL, a scenario number) for ``carrier``."""
    if carrier == "usps":
        from carrier_sdk_usps._carrier import UspsCarrier
        from carrier_sdk_usps.fake import UspsFake

        return UspsCarrier, UspsFake(), "https://apis.usps.com", UspsFake.scenario_numbers["in_transit"]
    if carrier == "singpost":
        from carrier_sdk_singpost._carrier import SingPostCarrier
        from carrier_sdk_singpost.fake import SingPostFake

        return SingPostCarrier, SingPostFake(), "", SingPostFake.scenario_numbers["in_transit"]
    if carrier == "correos":
        from carrier_sdk_correos._carrier import CorreosCarrier
        from carrier_sdk_correos.fake import CorreosFake

        fake = CorreosFake()
        return CorreosCarrier, fake, "https://preregistroenvios.correos.es", fake.scenario_numbers["in_transit"]
    from carrier_sdk_cainiao._carrier import CainiaoCarrier
    from carrier_sdk_cainiao.fake import CainiaoFake

    return CainiaoCarrier, CainiaoFake(), "https://link.cainiao.com", CainiaoFake.scenario_numbers["in_transit"]


def _call(path: str, carrier: str, adapter: type[Any], settings: dict[str, Any], call: str, arg: Any) -> Any:
    def op(client: Any) -> Any:
        if call == "track":
            return client.track(arg, carrier=carrier)
        return client.create_shipment(carrier, arg, idempotency_key="cap-key")

    return run_on_path(path, op, settings={carrier: settings}, registry=make_registry(adapter), deadline=20)


def _skip_aiohttp(path: str) -> None:
    if path == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "streamed"])
@pytest.mark.parametrize("carrier", ["usps", "singpost", "correos", "cainiao"])
@pytest.mark.parametrize("path", PATHS)
def test_tracking_answer_over_2_mib_is_refused_unread(path: str, carrier: str, declared: bool) -> None:
    _skip_aiohttp(path)
    pytest.importorskip(f"carrier_sdk_{carrier}")
    adapter, fake, host_url, number = _case(carrier)
    content_type = "text/xml" if carrier == "singpost" else "application/json"

    def behave(request: Request) -> Any:
        if request.operation in ("track", "?", "") or carrier != "usps":
            return Flood(content_type, declared=declared)
        return Forward()  # the USPS OAuth token

    with FloodServer(behave, api=fake if carrier == "usps" else None, host_url=host_url) as server:
        outcome = _call(path, carrier, adapter, fake.settings(base_url=server.url), "track", number)
        assert server.flooded.wait(10)
        sent = server.sent
    assert isinstance(outcome, ResponseTooLargeError), repr(outcome)
    assert outcome.limit == DEFAULT_MAX_BODY
    assert outcome.operation == "track"
    assert sent < DEFAULT_MAX_BODY + IN_FLIGHT, f"the server sent {sent / MiB:.0f} MiB of a {FLOOD / MiB:.0f} MiB flood"


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "streamed"])
@pytest.mark.parametrize("path", PATHS)
def test_correos_preregistration_answer_has_its_own_cap(path: str, declared: bool) -> None:
    """12 MiB is under the 30 MiB label cap but over the pre-registration answer's 8 MiB."""
    _skip_aiohttp(path)
    pytest.importorskip("carrier_sdk_correos")
    from carrier_sdk_correos._carrier import PREREGISTRO_MAX_BODY

    adapter, fake, _, _ = _case("correos")
    request = domestic_request("ES", "C")
    total = 12 * MiB

    def behave(request: Request) -> Any:
        return Flood("text/xml; charset=utf-8", total=total, declared=declared)

    with FloodServer(behave) as server:
        outcome = _call(path, "correos", adapter, fake.settings(base_url=server.url), "create_shipment", request)
        assert server.flooded.wait(10)
    assert 8 * MiB == PREREGISTRO_MAX_BODY
    # A 2xx purchase answer that cannot be read: the label may be bought.
    assert isinstance(outcome, OutcomeUnknownError), repr(outcome)
    assert outcome.cause_kind == "ResponseTooLargeError"
    assert outcome.idempotency_key == "cap-key"
    assert str(PREREGISTRO_MAX_BODY) in str(outcome)


@pytest.mark.parametrize("path", PATHS)
def test_usps_label_answer_over_30_mib_is_refused_unread(path: str) -> None:
    _skip_aiohttp(path)
    pytest.importorskip("carrier_sdk_usps")
    from carrier_sdk.adapters import LABEL_MAX_BODY

    adapter, fake, host_url, _ = _case("usps")
    request = domestic_request("US", "C")

    def behave(request: Request) -> Any:
        if request.method == "POST" and request.path == "/labels/v3/label":
            return Flood("multipart/form-data; boundary=b", declared=False)
        return Forward()

    with FloodServer(behave, api=fake, host_url=host_url) as server:
        outcome = _call(path, "usps", adapter, fake.settings(base_url=server.url), "create_shipment", request)
        assert server.flooded.wait(10)
        sent = server.sent
    assert isinstance(outcome, OutcomeUnknownError), repr(outcome)
    assert outcome.cause_kind == "ResponseTooLargeError"
    assert str(LABEL_MAX_BODY) in str(outcome)
    assert sent < LABEL_MAX_BODY + IN_FLIGHT, f"the server sent {sent / MiB:.0f} MiB of a {FLOOD / MiB:.0f} MiB flood"
