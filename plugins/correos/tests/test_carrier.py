"""Metadata, recognition, settings and plugin registration."""

from __future__ import annotations

import pytest
from carrier_sdk_correos._carrier import CorreosCarrier
from carrier_sdk_correos._mapping import EVENT_STATUS
from carrier_sdk_correos._settings import CorreosSettings

from carrier_sdk import Capability, Confidence, ConfigurationError, TrackingStatus
from carrier_sdk.adapters import load_settings
from carrier_sdk.testing import assert_not_recognized, assert_recognized


@pytest.mark.parametrize(
    ("number", "confidence"),
    [
        ("PQXXX10721392610108021C", Confidence.HIGH),
        ("PY53VM9100000810108640T", Confidence.HIGH),
        ("PK10BC0000000000108001Z", Confidence.HIGH),  # check letter not validated [A]
        ("CP314159268ES", Confidence.HIGH),
        ("LX271828189ES", Confidence.HIGH),
        ("RR123456785SG", Confidence.LOW),  # another post's S10: Spain may be the destination
        ("EC123456785US", Confidence.LOW),
    ],
)
def test_recognize(number, confidence):
    assert_recognized(CorreosCarrier, number, confidence)


@pytest.mark.parametrize(
    "number",
    [
        "CP314159260ES",
        "PQXXX1072139261010802C",
        "PQXXX107213926101080211",
        "P1XXX10721392610108021C",
        "",
        "9400111899223855123450",
    ],
)
def test_recognize_rejects(number):
    assert_not_recognized(CorreosCarrier, number)


def test_metadata():
    assert CorreosCarrier.code == "correos"
    assert CorreosCarrier.display_name == "Correos"
    assert CorreosCarrier.capabilities == {Capability.TRACK, Capability.CREATE_SHIPMENT, Capability.CANCEL_SHIPMENT}
    assert CorreosCarrier.supports_idempotency_key is False
    assert all(isinstance(v, TrackingStatus) for v in EVENT_STATUS.values())


def test_entry_point_registers_the_carrier():
    from importlib.metadata import entry_points

    from carrier_sdk import CarrierRegistry

    (ep,) = [e for e in entry_points(group="carrier_sdk") if e.name == "correos"]
    module = ep.load()
    registry = CarrierRegistry()
    module.register_carriers(registry)
    assert registry.get("correos") is CorreosCarrier


def test_settings_from_env_and_secrets_hidden():
    env = {
        "CARRIER_SDK_CORREOS_TRACKING_USER": "u",
        "CARRIER_SDK_CORREOS_TRACKING_PASSWORD": "secret-1",
        "CARRIER_SDK_CORREOS_PREREGISTRO_PASSWORD": "secret-2",
        "CARRIER_SDK_CORREOS_ENVIRONMENT": "PRE",
        "CARRIER_SDK_CORREOS_LABELLER_CODE": "10bc",
    }
    settings = load_settings(CorreosCarrier, {}, env)
    assert settings.environment == "pre-production"
    assert settings.labeller_code == "10BC"
    assert settings.tracking_password.get_secret_value() == "secret-1"
    assert "secret" not in repr(settings)
    assert "secret" not in str(settings)
    assert not settings.can_ship  # no preregistro_user


def test_tracking_only_settings_are_enough():
    settings = load_settings(CorreosCarrier, {"tracking_user": "u", "tracking_password": "p"}, {})
    assert settings.preregistro_user == ""
    assert not settings.can_ship
    assert CorreosCarrier(settings).credential_id() == "u"


@pytest.mark.parametrize(
    "bad", [{"labeller_code": "TOOLONG"}, {"environment": "staging"}, {"preregistro_url": "ftp://x"}, {"nope": 1}]
)
def test_bad_settings_are_configuration_errors(bad):
    with pytest.raises(ConfigurationError):
        load_settings(CorreosCarrier, {"tracking_user": "u", "tracking_password": "p", **bad}, {})


def test_missing_tracking_credentials_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="CARRIER_SDK_CORREOS_TRACKING_USER"):
        load_settings(CorreosCarrier, {}, {})


def test_preregistro_url_follows_environment():
    prod = CorreosCarrier(CorreosSettings(tracking_user="u", tracking_password="p"))
    pre = CorreosCarrier(CorreosSettings(tracking_user="u", tracking_password="p", environment="pre-production"))
    assert prod._preregistro_url() == "https://preregistroenvios.correos.es/preregistroenvios"
    assert pre._preregistro_url() == "https://preregistroenviospre.correos.es/preregistroenvios"


def test_package_exports_the_carrier_and_its_settings_lazily() -> None:
    import carrier_sdk_correos

    assert {"CorreosCarrier", "CorreosSettings"} <= set(dir(carrier_sdk_correos))
    assert carrier_sdk_correos.CorreosCarrier is CorreosCarrier
    assert carrier_sdk_correos.CorreosSettings is CorreosSettings is CorreosCarrier.Settings
    with pytest.raises(AttributeError):
        carrier_sdk_correos.CorreosFake  # noqa: B018  (the fake is not a package export)
