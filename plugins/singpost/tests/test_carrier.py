"""Metadata, recognition, settings, secrets, unsupported operations, plugin registration."""

from __future__ import annotations

import pickle
from decimal import Decimal
from importlib.metadata import entry_points

import pytest
from carrier_sdk_singpost import SingPostCarrier, SingPostSettings
from carrier_sdk_singpost._wire import BATCH_SIZE, LEGACY_URL, PRODUCTION_URL, SANDBOX_URL

from carrier_sdk import (
    Address,
    Capability,
    CarrierRegistry,
    Client,
    Confidence,
    ConfigurationError,
    Parcel,
    RateRequest,
    ShipmentRequest,
    UnsupportedOperationError,
    ValidationError,
)
from carrier_sdk.adapters import s10_check_digit
from carrier_sdk.testing import assert_not_recognized, assert_recognized, make_registry, offline_transport

from .conftest import API_KEY


def test_metadata():
    assert SingPostCarrier.code == "singpost"
    assert SingPostCarrier.display_name == "Singapore Post"
    assert SingPostCarrier.capabilities == {Capability.TRACK, Capability.TRACK_BATCH}
    assert SingPostCarrier.batch_size == BATCH_SIZE == 10
    assert SingPostCarrier.fake == "carrier_sdk_singpost.fake:SingPostFake"
    assert "authorization" in SingPostCarrier.sensitive_headers


def test_entry_point_registers_the_carrier():
    (ep,) = [ep for ep in entry_points(group="carrier_sdk") if ep.name == "singpost"]
    assert ep.value == "carrier_sdk_singpost"
    registry = CarrierRegistry()
    ep.load().register_carriers(registry=registry)
    assert registry.get("singpost") is SingPostCarrier


def test_fake_path_resolves():
    module, _, name = SingPostCarrier.fake.partition(":")
    import importlib

    cls = getattr(importlib.import_module(module), name)
    assert cls.carrier_code == SingPostCarrier.code


# -- recognize --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["RR123456785SG", "RA987654326SG", "EE000012349SG"])
def test_recognize_singpost_s10_high(number):
    assert_recognized(SingPostCarrier, number, Confidence.HIGH)


@pytest.mark.parametrize("number", ["CP314159268ES", "UA555555555CN", "RB112233447US"])
def test_recognize_foreign_s10_low(number):
    assert_recognized(SingPostCarrier, number, Confidence.LOW)


@pytest.mark.parametrize(
    "number",
    [
        "RR123456784SG",  # wrong check digit
        "RR12345678SG",  # too short
        "LP00667794278588",  # Cainiao order code
        "9400111899223855123450",  # USPS IMpb
        "A" * 21,  # SmartPac length: not claimed
        "",
    ],
)
def test_recognize_rejects(number):
    assert_not_recognized(SingPostCarrier, number)


def test_check_digit_rule_per_serial():
    for serial in ("00000000", "12345678", "99999999", "31415926"):
        good = f"RR{serial}{s10_check_digit(serial)}SG"
        bad = f"RR{serial}{(s10_check_digit(serial) + 1) % 10}SG"
        assert_recognized(SingPostCarrier, good, Confidence.HIGH)
        assert_not_recognized(SingPostCarrier, bad)


def test_check_number_accepts_smartpac_when_named():
    assert SingPostCarrier.check_number("abcde 12345 67890 abcde 1") == "ABCDE1234567890ABCDE1"
    assert SingPostCarrier.check_number("rr 123 456 785 sg") == "RR123456785SG"
    with pytest.raises(ValidationError):
        SingPostCarrier.check_number("RR123456784SG")
    with pytest.raises(ValidationError):
        SingPostCarrier.check_number(None)  # type: ignore[arg-type]


# -- settings -----------------------------------------------------------------------------------


def test_settings_defaults_and_names():
    settings = SingPostSettings(api_key="k")
    assert settings.base_url == PRODUCTION_URL
    assert settings.system_id == "-"
    assert SingPostSettings(api_key="k", base_url="legacy").base_url == LEGACY_URL
    assert SingPostSettings(api_key="k", base_url=" Sandbox ").base_url == SANDBOX_URL
    assert SingPostSettings(api_key="k", system_id="  ").system_id == "-"


@pytest.mark.parametrize("value", ["ftp://x", "not a url", "https://"])
def test_bad_base_url_is_configuration_error(value):
    client = Client(settings={"singpost": {"api_key": API_KEY, "base_url": value}}, registry=_registry(), environ={})
    with pytest.raises(ConfigurationError) as caught:
        client.track("RR123456785SG")
    assert API_KEY not in str(caught.value)


def test_settings_from_env_vars():
    environ = {
        "CARRIER_SDK_SINGPOST_API_KEY": "env-key",
        "CARRIER_SDK_SINGPOST_BASE_URL": "sandbox",
        "CARRIER_SDK_SINGPOST_SYSTEM_ID": "SYS1",
    }
    from carrier_sdk.adapters import load_settings

    settings = load_settings(SingPostCarrier, None, environ)
    assert settings.api_key.get_secret_value() == "env-key"
    assert settings.base_url == SANDBOX_URL
    assert settings.system_id == "SYS1"


def test_missing_api_key_names_the_env_var():
    from carrier_sdk.adapters import load_settings

    with pytest.raises(ConfigurationError, match="CARRIER_SDK_SINGPOST_API_KEY"):
        load_settings(SingPostCarrier, {}, {})


def test_secret_never_shown():
    settings = SingPostSettings(api_key=API_KEY)
    carrier = SingPostCarrier(settings)
    for text in (repr(settings), str(settings), repr(carrier), carrier.credential_id()):
        assert API_KEY not in text
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_credential_id_is_a_stable_non_secret_digest():
    a = SingPostCarrier(SingPostSettings(api_key=API_KEY)).credential_id()
    b = SingPostCarrier(SingPostSettings(api_key=API_KEY)).credential_id()
    c = SingPostCarrier(SingPostSettings(api_key="other")).credential_id()
    assert a == b != c
    assert API_KEY not in a
    assert len(a) <= 20
    assert SingPostCarrier(SingPostSettings(api_key="")).credential_id() == "default"


# -- unsupported operations: raise before any I/O --------------------------------------------------


def _registry():
    return make_registry(SingPostCarrier)


ADDRESS = Address(name="A", street1="10 Eunos Road 8", city="Singapore", postal_code="408600", country="SG")
PARCEL = Parcel(weight=Decimal("1.2"))


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("rates", ("singpost", RateRequest(shipper=ADDRESS, recipient=ADDRESS, parcels=(PARCEL,)))),
        ("create_shipment", ("singpost", ShipmentRequest(shipper=ADDRESS, recipient=ADDRESS, parcels=(PARCEL,)))),
        ("cancel_shipment", ("singpost", "RR123456785SG")),
        ("validate_address", ("singpost", ADDRESS)),
    ],
)
def test_unsupported_operations_raise_before_io(carrier_runner, method, args):
    with pytest.raises(UnsupportedOperationError) as caught:
        carrier_runner(transport=offline_transport())(method, *args)
    assert caught.value.carrier == "singpost"


@pytest.mark.parametrize("name", ["rates", "create_shipment", "cancel_shipment", "validate_address"])
def test_flows_for_unsupported_operations_raise_too(name):
    carrier = SingPostCarrier(SingPostSettings(api_key="k"))
    method = getattr(carrier, name)
    kwargs = {"idempotency_key": "k"} if name == "create_shipment" else {}
    with pytest.raises(UnsupportedOperationError):
        method(None, **kwargs)
