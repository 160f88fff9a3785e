"""The helpers every adapter uses: ``Carrier.api_error``, ``Carrier.parsing``, ``PARSE_ERRORS``, ``Carrier.claim``,
``Carrier.recognize_s10``, ``lazy_exports``, ``lazy_adapter``.
"""

from __future__ import annotations

import json
import pickle
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError
from zoneinfo import ZoneInfo

import attrs
import httpx
import pluggy
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import carrier_sdk
from carrier_sdk import (
    APIStatusError,
    AuthenticationError,
    CarrierError,
    CarrierRegistry,
    CarrierServerError,
    Confidence,
    Identification,
    InvalidRequestError,
    Money,
    NotFoundError,
    RateLimitError,
    ResponseError,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
    adapters,
    hookspecs,
)
from carrier_sdk.adapters import (
    PARSE_ERRORS,
    Carrier,
    Flow,
    RequestOptions,
    Secret,
    api_request,
    drive_sync,
    lazy_adapter,
    lazy_exports,
)

SECRET = "s3cr3t-client-secret-value"
TOKEN = "Bearer tok-abcdefghijklmnop"


@attrs.frozen(kw_only=True)
class _Settings:
    client_id: str = "client-1"
    client_secret: Secret = attrs.field(converter=Secret.coerce, repr=False, default=SECRET)


class _Demo(Carrier):
    code = "demo"
    display_name = "Demo"
    Settings = _Settings

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        body = json.loads(response.content)
        return body["error"]["code"], body["error"]["message"]

    def track(self, number: str) -> Flow[TrackingInfo]:
        response = yield api_request(
            "GET", f"https://api.demo.test/track/{number}", options=RequestOptions(operation="track", idempotent=True)
        )
        if response.status_code != 200:
            raise self.api_error(response, operation="track", not_found=TrackingNotFoundError)
        with self.parsing(response, operation="track"):
            events = json.loads(response.content)["events"]
            return TrackingInfo(
                carrier=self.code, tracking_number=number, status=TrackingStatus(events[0]["status"]), events=()
            )


def _response(status: int, body: Any = None, *, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request(
        "POST", "https://api.demo.test/labels?key=1", headers={"Authorization": TOKEN}, content=b'{"card": 1}'
    )
    content = json.dumps(body).encode() if body is not None else b""
    return httpx.Response(status, content=content, headers=headers or {}, request=request)


def _error_body(code: str = "E42", message: str = "label refused") -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _carrier() -> _Demo:
    return _Demo(_Settings())


# -- api_error --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "prefix"),
    [
        (401, AuthenticationError, "authentication failed"),
        (403, AuthenticationError, "authentication failed"),
        (404, NotFoundError, "not found"),
        (410, NotFoundError, "not found"),
        (429, RateLimitError, "rate limited"),
        (400, InvalidRequestError, "request rejected"),
        (422, InvalidRequestError, "request rejected"),
        (500, CarrierServerError, "carrier server error"),
        (503, CarrierServerError, "carrier server error"),
        (302, APIStatusError, "unexpected redirect (not followed)"),
        (204, APIStatusError, "unexpected HTTP status"),
    ],
)
def test_api_error_types_each_status(status: int, cls: type[APIStatusError], prefix: str) -> None:
    error = _carrier().api_error(_response(status, _error_body()), operation="create_shipment")
    assert type(error) is cls
    assert error.status_code == status
    assert error.carrier == "demo"
    assert error.operation == "create_shipment"
    assert error.message == f"{prefix}: label refused"


def test_api_error_not_found_class_for_tracking() -> None:
    error = _carrier().api_error(_response(404, _error_body()), operation="track", not_found=TrackingNotFoundError)
    assert type(error) is TrackingNotFoundError
    assert type(_carrier().api_error(_response(400, _error_body()), not_found=TrackingNotFoundError)) is (
        InvalidRequestError
    )


def test_api_error_reads_the_carrier_code_and_message_from_error_details() -> None:
    error = _carrier().api_error(_response(400, _error_body("INVALID_ZIP", "ZIP code unknown")))
    assert (error.error_code, error.error_message) == ("INVALID_ZIP", "ZIP code unknown")
    assert "carrier code INVALID_ZIP" in str(error)


def test_api_error_prefers_what_the_flow_already_read() -> None:
    error = _carrier().api_error(_response(400, _error_body()), error_code="X1", error_message="from the flow")
    assert (error.error_code, error.error_message) == ("X1", "from the flow")


def test_api_error_survives_an_error_details_bug() -> None:
    error = _carrier().api_error(_response(502), operation="rates")  # empty body: error_details raises
    assert type(error) is CarrierServerError
    assert (error.error_code, error.error_message) == (None, None)
    assert error.message == "carrier server error: Bad Gateway"


def test_api_error_carries_the_request_id() -> None:
    error = _carrier().api_error(_response(500, _error_body(), headers={"X-Request-Id": "req-123"}))
    assert error.request_id == "req-123"
    assert "request id req-123" in str(error)
    long = _carrier().api_error(_response(500, _error_body(), headers={"x-correlation-id": "c" * 500}))
    assert long.request_id == "c" * 128
    assert _carrier().api_error(_response(500, _error_body())).request_id is None


def test_api_error_rate_limit_reads_retry_after() -> None:
    error = _carrier().api_error(_response(429, _error_body(), headers={"Retry-After": "7"}))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0
    # a body that says "throttled" under a 200 or a 400 gets the header too
    typed = _carrier().api_error(
        _response(400, _error_body(), headers={"Retry-After": "3"}), error_class=RateLimitError
    )
    assert isinstance(typed, RateLimitError)
    assert typed.retry_after == 3.0
    assert typed.status_code == 400


def test_api_error_class_decided_by_the_body() -> None:
    error = _carrier().api_error(
        _response(400, _error_body("NO_LABEL", "no such label")), operation="cancel", error_class=NotFoundError
    )
    assert type(error) is NotFoundError
    assert error.status_code == 400
    assert error.message == "not found: no such label"
    custom = _carrier().api_error(_response(200, _error_body()), error_class=AuthenticationError, message="bad key")
    assert type(custom) is AuthenticationError
    assert custom.message == "bad key"


def test_api_error_scrubs_known_secrets() -> None:
    body = _error_body(f"code-{SECRET}", f"invalid client_secret {SECRET} for token {TOKEN.split()[1]}")
    error = _carrier().api_error(_response(401, body), operation="token", message=f"rejected {SECRET}")
    assert error.request is not None
    assert error.response is not None
    texts = [
        str(error),
        repr(error),
        error.message,
        error.error_code or "",
        error.error_message or "",
        error.response.text,
        str(error.request.headers),
        str(error.response.headers),
    ]
    for text in texts:
        assert SECRET not in text
        assert TOKEN.split()[1] not in text
    assert error.request.content == b""  # the request body is never kept
    restored = pickle.loads(pickle.dumps(error))
    assert SECRET not in restored.message


def test_api_error_raised_by_a_flow() -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=_error_body("AUTH", "expired"), headers={"x-request-id": "r-9"})

    with pytest.raises(AuthenticationError) as caught:
        drive_sync(_carrier().track("N1"), httpx.Client(transport=httpx.MockTransport(transport)).send)
    assert caught.value.error_code == "AUTH"
    assert caught.value.request_id == "r-9"


# -- parsing ----------------------------------------------------------------------------------------


def test_parse_errors_is_the_canonical_tuple() -> None:
    for kind in (KeyError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError, RecursionError):
        assert kind in PARSE_ERRORS
    assert ParseError in PARSE_ERRORS
    assert issubclass(json.JSONDecodeError, PARSE_ERRORS)
    assert issubclass(UnicodeDecodeError, PARSE_ERRORS)
    assert issubclass(OverflowError, PARSE_ERRORS)


@pytest.mark.parametrize(
    "error",
    [
        KeyError("events"),
        TypeError("x"),
        ValueError("x"),
        IndexError("x"),
        AttributeError("x"),
        ZeroDivisionError("x"),
        OverflowError("x"),
        RecursionError("x"),
        ParseError("x"),
        json.JSONDecodeError("x", "doc", 0),
    ],
)
def test_parsing_turns_parse_errors_into_response_error(error: Exception) -> None:
    response = _response(200, {"ok": True}, headers={"x-request-id": "rid-1"})
    with pytest.raises(ResponseError) as caught, _carrier().parsing(response, operation="rates"):
        raise error
    assert type(caught.value) is ResponseError
    assert caught.value.operation == "rates"
    assert caught.value.carrier == "demo"
    assert caught.value.status_code == 200
    assert caught.value.request_id == "rid-1"
    assert type(error).__name__ in caught.value.message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_parsing_never_quotes_the_exception_text() -> None:
    with pytest.raises(ResponseError) as caught, _carrier().parsing(_response(200, {}), operation="track"):
        raise KeyError(f"value echoed from the body {SECRET}")
    assert SECRET not in str(caught.value)
    assert caught.value.request is not None
    assert TOKEN not in str(caught.value.request.headers)


def test_parsing_turns_a_model_refusing_a_carrier_value_into_response_error() -> None:
    guard = _carrier().parsing(_response(200, {}), operation="rates")
    with pytest.raises(ResponseError, match=r"unexpected rates payload \(ValidationError\)") as caught, guard:
        Money(amount="nan", currency="USD")
    assert caught.value.operation == "rates"


def test_parsing_lets_other_errors_and_success_through() -> None:
    carrier = _carrier()
    with pytest.raises(TrackingNotFoundError), carrier.parsing(_response(200, {}), operation="track"):
        raise TrackingNotFoundError("none", carrier="demo", status_code=200)
    with pytest.raises(RuntimeError), carrier.parsing(_response(200, {}), operation="track"):
        raise RuntimeError("an adapter bug is not a bad body")
    with carrier.parsing(_response(200, {}), operation="track"):
        value = 1
    assert value == 1


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        ({"events": [{"status": "delivered"}]}, TrackingStatus.DELIVERED),
        ({"events": []}, ResponseError),  # IndexError
        ({"events": [{"status": "nonsense"}]}, ResponseError),  # ValueError
        ({"nothing": 1}, ResponseError),  # KeyError
        ([1, 2], ResponseError),  # TypeError
    ],
)
def test_parsing_inside_a_flow(body: Any, outcome: Any) -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    flow = _carrier().track("N1")
    client = httpx.Client(transport=httpx.MockTransport(transport))
    if outcome is ResponseError:
        with pytest.raises(ResponseError, match=r"unexpected track payload \(\w+Error\)"):
            drive_sync(flow, client.send)
    else:
        assert drive_sync(flow, client.send).status is outcome


# -- recognition -----------------------------------------------------------------------------------


def test_claim_is_this_carriers_identification() -> None:
    assert _Demo.claim(Confidence.MEDIUM, "DE + 9 digits") == Identification(
        carrier="demo", confidence=Confidence.MEDIUM, reason="DE + 9 digits"
    )


@pytest.mark.parametrize(
    ("number", "inbound", "confidence"),
    [
        ("RR123456785SG", True, Confidence.HIGH),  # issued by the post's own country
        ("RR123456785SG", False, Confidence.HIGH),
        ("RR123456785DE", True, Confidence.LOW),  # another post's item, delivered here perhaps
        ("RR123456785DE", False, None),  # inbound items not claimed
        ("RR123456784SG", True, None),  # wrong check digit
        ("RR123456784DE", True, None),
        ("RR12345678SG", True, None),  # not S10-shaped
        ("9400111899223855123450", True, None),
    ],
)
def test_recognize_s10(number: str, inbound: bool, confidence: Confidence | None) -> None:
    claim = _Demo.recognize_s10(number, "SG", inbound=inbound)
    assert (claim and claim.confidence) == confidence
    if claim is not None:
        assert claim.carrier == "demo"
        assert "S10" in claim.reason


# -- lazy_exports -----------------------------------------------------------------------------------


@pytest.fixture
def write_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, dict[str, str]], str]]:
    """Writes a package (file name -> source) under ``tmp_path``, importable by its name until the test ends."""
    names: list[str] = []
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name: str, files: dict[str, str]) -> str:
        (tmp_path / name).mkdir()
        for file_name, source in files.items():
            (tmp_path / name / file_name).write_text(textwrap.dedent(source))
        names.append(name)
        return name

    yield write
    for module in [m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in names)]:
        del sys.modules[module]


@pytest.fixture
def lazy_package(write_package: Callable[[str, dict[str, str]], str]) -> str:
    init = """
        from carrier_sdk.adapters import lazy_exports

        __all__ = ["Heavy", "helper"]
        __getattr__, __dir__ = lazy_exports(__name__, {"Heavy": "._heavy", "helper": "._heavy"})
        LIGHT = 1
        """
    heavy = "class Heavy:\n    pass\n\n\ndef helper() -> int:\n    return 2\n"
    return write_package("lazy_pkg_for_test", {"__init__.py": init, "_heavy.py": heavy})


def test_lazy_exports_import_on_first_access(lazy_package: str) -> None:
    import importlib

    package = importlib.import_module(lazy_package)
    assert f"{lazy_package}._heavy" not in sys.modules
    heavy = package.Heavy
    assert f"{lazy_package}._heavy" in sys.modules
    assert heavy is sys.modules[f"{lazy_package}._heavy"].Heavy
    assert package.helper() == 2
    assert "Heavy" in vars(package)  # cached: the next access is a plain attribute read


def test_lazy_exports_unknown_name_and_dir(lazy_package: str) -> None:
    import importlib

    package = importlib.import_module(lazy_package)
    with pytest.raises(AttributeError, match=rf"module '{lazy_package}' has no attribute 'Missing'"):
        _ = package.Missing
    assert not hasattr(package, "Missing")
    names = dir(package)
    assert {"Heavy", "helper", "LIGHT", "__getattr__"} <= set(names)
    assert names == sorted(names)
    assert f"{lazy_package}._heavy" not in sys.modules  # dir() imports nothing


def test_lazy_exports_missing_attribute_in_target_module(lazy_package: str) -> None:
    getattr_, _ = lazy_exports(lazy_package, {"Nope": "._heavy"})
    import importlib

    importlib.import_module(lazy_package)
    with pytest.raises(AttributeError):
        getattr_("Nope")


@pytest.mark.parametrize("mapping", [{"Bad Name": "._x"}, {"Good": ""}, {"Good": "._x-y"}, {"Good": "..."}])
def test_lazy_exports_refuses_bad_mappings(mapping: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="expected an identifier and a module path"):
        lazy_exports("anything", mapping)


# -- lazy_adapter ----------------------------------------------------------------------------------

_PROBE_CARRIER = """
    from carrier_sdk.adapters import Carrier

    from ._settings import ProbeSettings


    class ProbeCarrier(Carrier):
        code = "lazyprobe"
        display_name = "Lazy probe"
        Settings = ProbeSettings
    """


@pytest.fixture
def adapter_package(write_package: Callable[[str, dict[str, str]], str]) -> str:
    init = """
        from carrier_sdk.adapters import lazy_adapter

        __all__ = ["ProbeCarrier", "ProbeSettings", "register_carriers"]
        __getattr__, __dir__, register_carriers = lazy_adapter(
            __name__, "lazyprobe", "ProbeCarrier", {"ProbeSettings": "._settings"}
        )
        """
    settings = "class ProbeSettings:\n    pass\n"
    files = {"__init__.py": init, "_settings.py": settings, "_carrier.py": _PROBE_CARRIER}
    return write_package("carrier_sdk_lazyprobe", files)


def test_lazy_adapter_hook_registers_the_carrier_without_importing_it(adapter_package: str) -> None:
    import importlib

    package = importlib.import_module(adapter_package)
    registry = CarrierRegistry()
    package.register_carriers(registry)
    assert registry.codes() == ["lazyprobe"]
    assert f"{adapter_package}._carrier" not in sys.modules
    carrier = registry.get("lazyprobe")
    assert carrier is sys.modules[f"{adapter_package}._carrier"].ProbeCarrier
    assert package.ProbeCarrier is carrier


def test_lazy_adapter_hook_is_a_pluggy_hookimpl_of_the_package(adapter_package: str) -> None:
    import importlib

    package = importlib.import_module(adapter_package)
    hook = package.register_carriers
    assert (hook.__module__, hook.__name__) == (adapter_package, "register_carriers")
    assert "ProbeCarrier" in (hook.__doc__ or "")
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(package)  # checked against the hook's spec
    assert [impl.plugin for impl in manager.hook.register_carriers.get_hookimpls()] == [package]


def test_lazy_adapter_public_names_are_lazy(adapter_package: str) -> None:
    import importlib

    package = importlib.import_module(adapter_package)
    assert {"ProbeCarrier", "ProbeSettings", "register_carriers"} <= set(dir(package))
    assert f"{adapter_package}._settings" not in sys.modules
    assert package.ProbeSettings is sys.modules[f"{adapter_package}._settings"].ProbeSettings
    assert f"{adapter_package}._carrier" not in sys.modules
    with pytest.raises(AttributeError):
        _ = package.Missing


@pytest.mark.parametrize(
    ("carrier", "exports"),
    [("Not a name", {}), ("", {}), ("ProbeCarrier", {"Bad Name": "._settings"}), ("ProbeCarrier", {"X": ""})],
)
def test_lazy_adapter_refuses_bad_names(carrier: str, exports: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="identifier"):
        lazy_adapter("carrier_sdk_lazyprobe", "lazyprobe", carrier, exports)


# -- the author's module ----------------------------------------------------------------------------


def test_adapters_all_is_importable() -> None:
    for name in adapters.__all__:
        assert getattr(adapters, name) is not None, name
    assert {"PARSE_ERRORS", "lazy_exports", "Carrier"} <= set(adapters.__all__)


def test_status_error_is_gone_in_favour_of_api_error() -> None:
    assert not hasattr(carrier_sdk, "status_error")
    assert not hasattr(adapters, "status_error")
    assert not hasattr(Carrier, "status_error")


def test_carrier_error_is_not_a_parse_error() -> None:
    assert not issubclass(CarrierError, PARSE_ERRORS)


def test_every_adapter_name_is_on_the_reference_page() -> None:
    page = (Path(__file__).parent.parent / "docs" / "adapter-api.md").read_text(encoding="utf-8")
    missing = [
        name for name in adapters.__all__ if f"carrier_sdk.{name}`" not in page and f"adapters.{name}" not in page
    ]
    assert missing == []


# -- at_offset -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "offset", "utc"),
    [
        ("2024-11-15T16:32:33", timedelta(hours=-5), datetime(2024, 11, 15, 21, 32, 33, tzinfo=UTC)),
        ("2024-11-15 16:32", timedelta(hours=5, minutes=30), datetime(2024, 11, 15, 11, 2, tzinfo=UTC)),
        ("2024-12-31T23:00:00", timedelta(hours=-5), datetime(2025, 1, 1, 4, 0, tzinfo=UTC)),
        ("2024-11-15T00:00:00", timedelta(0), datetime(2024, 11, 15, tzinfo=UTC)),
        ("2024-11-15T00:00:00", timedelta(hours=1, seconds=30), datetime(2024, 11, 14, 22, 59, 30, tzinfo=UTC)),
    ],
)
def test_at_offset_reads_a_wall_time_at_a_fixed_offset(wall: str, offset: timedelta, utc: datetime) -> None:
    at = adapters.at_offset(wall, timezone(offset))
    assert at == utc
    assert at.tzinfo is UTC
    assert at == datetime.fromisoformat(wall).replace(tzinfo=timezone(offset)).astimezone(UTC)


def _reference_at_offset(wall: str, zone: tzinfo) -> datetime:
    """What ``at_offset`` promises, read the long way: the wall time, the zone, then UTC."""
    return datetime.fromisoformat(wall).replace(tzinfo=zone).astimezone(UTC)


@given(
    wall=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)),
    seconds=st.integers(min_value=-86399, max_value=86399),
    spec=st.sampled_from(["auto", "seconds", "minutes", "milliseconds"]),
    separator=st.sampled_from(["T", " "]),
)
@example(wall=datetime(1, 1, 1), seconds=3600, spec="seconds", separator="T")  # before year 1 in UTC
@example(wall=datetime(9999, 12, 31, 23, 30), seconds=-3600, spec="minutes", separator="T")  # after 9999
@example(wall=datetime(1, 1, 1), seconds=-3600, spec="seconds", separator="T")
def test_at_offset_is_the_wall_time_at_the_zone_in_utc(wall: datetime, seconds: int, spec: str, separator: str) -> None:
    """Any wall time and any fixed offset of whole seconds, the years' edges included: the same
    instant as reading the wall time, attaching the zone and converting to UTC, or the same error."""
    zone = timezone(timedelta(seconds=seconds))
    text = wall.isoformat(sep=separator, timespec=spec)
    try:
        expected: datetime | type[Exception] = _reference_at_offset(text, zone)
    except (OverflowError, ValueError) as err:
        expected = type(err)
    try:
        got: datetime | type[Exception] = adapters.at_offset(text, zone)
    except (OverflowError, ValueError) as err:
        got = type(err)
    assert got == expected
    if isinstance(got, datetime):
        assert got.tzinfo is UTC
        assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("wall", "zone", "message"),
    [
        ("2024-11-15T16:32:33Z", UTC, "Invalid isoformat"),  # an offset of its own
        ("2024-11-15", timezone(timedelta(hours=-5)), "not ISO date-and-time"),  # a date alone
        ("2024-02-30T10:00:00", UTC, "day"),
        ("yesterday", UTC, "Invalid isoformat"),
        ("2024-07-01T10:00:00", ZoneInfo("Europe/Madrid"), "not a fixed offset"),
        ("2024-07-01T10:00:00", timezone(timedelta(microseconds=5)), "not a fixed offset"),
    ],
)
def test_at_offset_refuses_what_it_cannot_read(wall: str, zone: tzinfo, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        adapters.at_offset(wall, zone)


# -- in_zone ---------------------------------------------------------------------------------------

#: Zones with the kinds of change a day can hold: Madrid and Singapore (the adapters' own), a
#: change at midnight (Sao Paulo until 2019), a half-hour change (Lord Howe), a skipped day
#: (Apia, 30 December 2011), a change in the late evening (Nuuk follows the EU's 01:00 UTC, 22:00
#: local), negative summer time (Dublin), and fixed offsets all year round.
IN_ZONE_ZONES = (
    "Europe/Madrid",
    "Asia/Singapore",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/Nuuk",
    "Europe/Dublin",
    "America/New_York",
    "Asia/Kolkata",
)


def _reference_in_zone(wall: str, zone: tzinfo) -> datetime | type[Exception]:
    try:
        return datetime.fromisoformat(wall).replace(tzinfo=zone).astimezone(UTC)
    except (OverflowError, ValueError) as err:
        return type(err)


def _in_zone(wall: str, zone: tzinfo) -> datetime | type[Exception]:
    try:
        got = adapters.in_zone(wall, zone)
    except (OverflowError, ValueError) as err:
        return type(err)
    assert got.tzinfo is UTC
    return got


def _change_days(zone: ZoneInfo, first_year: int, last_year: int) -> list[date]:
    """Every local day of the years given on which the offset changes: its first and last moments
    differ, or the next day starts at another offset (Singapore's 1981 change skipped the last
    half hour of 31 December, which ``fold=0`` reads at the old offset)."""
    days = []
    day = date(first_year, 1, 1)
    start = datetime.combine(day, datetime.min.time(), zone).utcoffset()
    while day.year <= last_year:
        end = datetime.combine(day, datetime.max.time(), zone).utcoffset()
        following = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).utcoffset()
        if start != end or end != following:
            days.append(day)
        day += timedelta(days=1)
        start = following
    return days


@pytest.mark.parametrize("name", IN_ZONE_ZONES)
def test_in_zone_on_every_day_the_offset_changes(name: str) -> None:
    """Each change day of 1970-2030 and the days either side of it, at every quarter hour: the
    same instant as the general path, the skipped and repeated hours included."""
    zone = ZoneInfo(name)
    changes = _change_days(zone, 1970, 2030)
    if name != "Asia/Kolkata":
        assert changes, f"{name} changed its offset at least once in 1970-2030"
    for change in changes:
        for day in (change - timedelta(days=1), change, change + timedelta(days=1)):
            for minutes in range(0, 24 * 60, 15):
                wall = f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}:00"
                assert _in_zone(wall, zone) == _reference_in_zone(wall, zone), wall


@given(
    wall=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)),
    name=st.sampled_from(IN_ZONE_ZONES),
    spec=st.sampled_from(["auto", "hours", "minutes", "seconds", "milliseconds"]),
    separator=st.sampled_from(["T", " "]),
)
@example(wall=datetime(1, 1, 1), name="Asia/Singapore", spec="seconds", separator="T")  # before year 1 in UTC
@example(wall=datetime(9999, 12, 31, 23, 59), name="America/New_York", spec="minutes", separator="T")
@example(wall=datetime(1905, 6, 1, 12), name="Asia/Singapore", spec="seconds", separator="T")  # +06:55:25
def test_in_zone_is_the_general_path(wall: datetime, name: str, spec: str, separator: str) -> None:
    zone = ZoneInfo(name)
    text = wall.isoformat(sep=separator, timespec=spec)
    assert _in_zone(text, zone) == _reference_in_zone(text, zone)


@pytest.mark.parametrize(
    "wall",
    [
        "2026-03-05",  # a date alone is midnight
        "2026-W10-4T10:11:12",  # a week date
        "20260305T101112",  # the basic format
        "2026-03-05T10:11:12Z",  # an offset of its own: refused
        "2026-03-05T10:11:12+01:00",
        "2026-02-30T10:00:00",  # no such day
        "2026-03-05T24:00:00",
        "2026-03-05X10:11:12",
        "yesterday",
        "",
    ],
)
def test_in_zone_reads_or_refuses_what_the_general_path_does(wall: str) -> None:
    for name in ("Europe/Madrid", "Asia/Singapore"):
        assert _in_zone(wall, ZoneInfo(name)) == _reference_in_zone(wall, ZoneInfo(name))


def test_in_zone_reads_madrid_summer_and_winter() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    assert adapters.in_zone("2026-03-05T10:11:12", madrid) == datetime(2026, 3, 5, 9, 11, 12, tzinfo=UTC)
    assert adapters.in_zone("2026-07-05T10:11:12", madrid) == datetime(2026, 7, 5, 8, 11, 12, tzinfo=UTC)
    assert adapters.in_zone("2026-03-29T02:30:00", madrid) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # skipped
    assert adapters.in_zone("2026-10-25T02:30:00", madrid) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # twice


def test_no_zone_changes_its_offset_twice_within_48_hours() -> None:
    """What ``in_zone`` rests on: a day whose first and last moments have the same offset has it
    throughout. Read from the installed time zone database's own transitions (TZif files)."""
    import os
    import zoneinfo
    from zoneinfo import _common  # the loader ZoneInfo itself uses; no public API lists transitions

    checked = 0
    close: list[str] = []
    for name in sorted(zoneinfo.available_timezones()):
        path = next(
            (os.path.join(base, name) for base in zoneinfo.TZPATH if os.path.isfile(os.path.join(base, name))), None
        )
        if path is None:
            continue
        with open(path, "rb") as source:
            indexes, starts, offsets, *_ = _common.load_data(source)
        checked += 1
        after = [offsets[i] for i in indexes]  # the offset in force from each transition on
        for k in range(1, len(starts)):
            if starts[k] - starts[k - 1] < 48 * 3600 and after[k] != after[k - 1]:
                close.append(f"{name} at {datetime.fromtimestamp(starts[k - 1], UTC)}")
    if not checked:
        pytest.skip("no TZif files under zoneinfo.TZPATH (a tzdata-only install): nothing to read here")
    assert not close, close
