"""The data_digest signature and the form encoding."""

from __future__ import annotations

import base64
import hashlib

import pytest
from carrier_sdk_cainiao._auth import (
    FORM_CONTENT_TYPE,
    data_digest,
    digest_matches,
    encode_form,
    serialize,
    signed_form,
)

from carrier_sdk import Secret

CONTENT = '{"mailNo":"LP00667794278588","locale":"en_US"}'


@pytest.mark.parametrize(
    ("content", "secret", "expected"),
    [
        (CONTENT, "test-secret", "e4LL6mxfVelXm4tFp8RnQg=="),
        ('{"name":"张三"}', "s3cr3t", "A/3AwHassYwJ5hfBoJgwnw=="),
    ],
)
def test_vectors(content: str, secret: str, expected: str) -> None:
    assert data_digest(content, secret) == expected
    assert data_digest(content, Secret(secret)) == expected
    assert digest_matches(content, expected, secret)


def test_hex_variant_is_not_what_we_send() -> None:
    wrong = base64.b64encode(hashlib.md5((CONTENT + "test-secret").encode()).hexdigest().encode()).decode()
    assert wrong.startswith("N2I4MmNi")
    assert data_digest(CONTENT, "test-secret") != wrong
    assert not digest_matches(CONTENT, wrong, "test-secret")


def test_form_matches_the_documented_example_body() -> None:
    form = signed_form(
        "cnge.track.get", CONTENT, logistic_provider_id="RESOURCE_CODE", secret="test-secret", to_code="TRACK"
    )
    assert encode_form(form) == (
        b"msg_type=cnge.track.get&logistic_provider_id=RESOURCE_CODE&to_code=TRACK"
        b"&logistics_interface=%7B%22mailNo%22%3A%22LP00667794278588%22%2C%22locale%22%3A%22en_US%22%7D"
        b"&data_digest=e4LL6mxfVelXm4tFp8RnQg%3D%3D"
    )
    assert FORM_CONTENT_TYPE == "application/x-www-form-urlencoded; charset=UTF-8"


def test_serialize_is_compact_utf8_and_signs_what_it_sends() -> None:
    text = serialize({"name": "张三", "n": 1})
    assert text == '{"name":"张三","n":1}'
    assert data_digest(serialize({"name": "张三"}), "s3cr3t") == "A/3AwHassYwJ5hfBoJgwnw=="
    with pytest.raises(ValueError, match="not JSON compliant"):
        serialize({"x": float("nan")})


@pytest.mark.parametrize("digest", ["", "e4LL6mxfVelXm4tFp8RnQg=", "E4LL6mxfVelXm4tFp8RnQg==", "é"])
def test_digest_mismatch(digest: str) -> None:
    assert not digest_matches(CONTENT, digest, "test-secret")
