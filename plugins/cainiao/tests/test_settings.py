"""Settings: env strings, the app_key alias, environments, to_code overrides, secrecy."""

from __future__ import annotations

import pickle

import pytest
from carrier_sdk_cainiao import CainiaoCarrier, CainiaoEnvironment, CainiaoSettings
from carrier_sdk_cainiao._settings import parse_to_codes

from carrier_sdk import ConfigurationError, Environment, ValidationError
from carrier_sdk.adapters import load_settings


def from_env(**env: str) -> CainiaoSettings:
    environ = {f"CARRIER_SDK_CAINIAO_{k.upper()}": v for k, v in env.items()}
    settings: CainiaoSettings = load_settings(CainiaoCarrier, None, environ)
    return settings


def test_everything_settable_from_env_strings() -> None:
    s = from_env(
        logistic_provider_id="RC1",
        secret_key="sk-env",
        environment="pre-production",
        to_codes="cnge.track.get=TRACK2, cnge.order.create=CNGCP-OPEN-EU",
        locale="zh_CN",
    )
    assert s.logistic_provider_id == "RC1"
    assert s.secret_key.get_secret_value() == "sk-env"
    assert s.environment is CainiaoEnvironment.PRE_PRODUCTION
    assert s.url == "https://prelink.cainiao.com/gateway/link.do"
    assert s.to_code("cnge.track.get") == "TRACK2"
    assert s.to_code("cnge.order.create") == "CNGCP-OPEN-EU"
    assert s.to_code("cnge.waybill.get") == "CGOP"
    assert s.to_code("cnge.order.cancel") == "CNGCP-OPEN"
    assert s.locale == "zh_CN"


def test_app_key_is_an_alias() -> None:
    s = from_env(app_key="RC2", secret_key="x")
    assert s.logistic_provider_id == "RC2"
    assert CainiaoCarrier(s).credential_id() == "RC2"
    same = CainiaoSettings(app_key="RC2", logistic_provider_id="RC2", secret_key="x")
    assert same.logistic_provider_id == "RC2"
    with pytest.raises(ValidationError, match="differ"):
        CainiaoSettings(app_key="A", logistic_provider_id="B", secret_key="x")


def test_missing_credentials_name_the_variables_not_values() -> None:
    with pytest.raises(ConfigurationError, match="CARRIER_SDK_CAINIAO_SECRET_KEY"):
        from_env(logistic_provider_id="RC")
    with pytest.raises(ConfigurationError, match="logistic_provider_id"):
        from_env(secret_key="very-secret-value")
    with pytest.raises(ConfigurationError) as info:
        from_env(logistic_provider_id="RC", secret_key="very-secret-value", environment="mars")
    assert "very-secret-value" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("production", "https://link.cainiao.com/gateway/link.do"),
        ("PROD", "https://link.cainiao.com/gateway/link.do"),
        ("pre_production", "https://prelink.cainiao.com/gateway/link.do"),
        ("integration_test", "https://link.cainiao.com/gateway/custom/open_integration_test_env"),
        ("test", "https://link.cainiao.com/gateway/custom/open_integration_test_env"),
        pytest.param(
            Environment.TEST, "https://link.cainiao.com/gateway/custom/open_integration_test_env", id="enum-test"
        ),
        pytest.param(Environment.PRODUCTION, "https://link.cainiao.com/gateway/link.do", id="enum-production"),
    ],
)
def test_environments(value: object, url: str) -> None:
    assert CainiaoSettings(logistic_provider_id="RC", secret_key="x", environment=value).url == url


def test_base_url_overrides_environment() -> None:
    s = CainiaoSettings(
        logistic_provider_id="RC",
        secret_key="x",
        environment="pre_production",
        base_url="https://de-link.cainiao.com/gateway/link.do",
    )
    assert s.url == "https://de-link.cainiao.com/gateway/link.do"
    with pytest.raises(ValidationError):
        CainiaoSettings(logistic_provider_id="RC", secret_key="x", base_url="ftp://x")


def test_to_codes_forms() -> None:
    assert parse_to_codes({"cnge.track.get": "T"}) == (("cnge.track.get", "T"),)
    assert parse_to_codes("") == ()
    assert parse_to_codes("cnge.track.get=A;cnge.waybill.get=B,") == (
        ("cnge.track.get", "A"),
        ("cnge.waybill.get", "B"),
    )
    with pytest.raises(ValidationError, match="unknown msg_type"):
        parse_to_codes("cnge.track.gte=TRACK")
    with pytest.raises(ValidationError):
        parse_to_codes("cnge.track.get")
    with pytest.raises(ValidationError):
        parse_to_codes("cnge.track.get=")


def test_secret_never_shown_and_settings_pickle() -> None:
    s = CainiaoSettings(logistic_provider_id="RC", secret_key="canary-5f1e")
    assert "canary-5f1e" not in repr(s)
    assert "canary-5f1e" not in str(s)
    assert pickle.loads(pickle.dumps(s)) == s
