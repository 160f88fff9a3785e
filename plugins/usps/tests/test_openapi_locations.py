"""Locations 3.0 requests and the fake's answers, validated against ``locations.yaml``.

Opt-in like ``test_openapi.py`` (``CARRIER_SDK_USPS_OPENAPI_DIR``). A location request is a
``GET`` whose query is the whole request: every parameter sent must be one the path declares, its
value must validate against the parameter's schema, and every required parameter must be sent.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from carrier_sdk import LocationKind

from .conftest import shipper
from .test_openapi import _by_path, _exchanges, _need_specs, _spec, check, osv, session

__all__ = ["_need_specs", "session"]  # fixtures, used by name

_PATHS = {
    LocationKind.POST_OFFICE: "/post-office-locations",
    LocationKind.PARCEL_LOCKER: "/parcel-locker-locations",
    LocationKind.DROP_OFF: "/dropoff-locations",
}


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _parameters(path: str) -> dict[str, dict[str, Any]]:
    spec = _spec("locations")
    operation = spec["paths"][path]["get"]
    return {p["name"]: p for p in (_resolve(spec, raw) for raw in operation["parameters"]) if p["in"] == "query"}


def _typed(value: str, schema: dict[str, Any]) -> Any:
    """A query string value as the type its schema declares (``explode: false`` arrays are comma lists)."""
    kind = schema.get("type")
    if kind == "array":
        return [_typed(v, schema["items"]) for v in value.split(",")]
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return value == "true"
    return value


def check_query(path: str, sent: httpx.Request) -> None:
    declared = _parameters(path)
    params = sent.url.params
    unknown = set(params) - set(declared)
    assert not unknown, f"{path}: parameters the spec does not declare: {sorted(unknown)}"
    missing = [n for n, p in declared.items() if p.get("required") and n not in params]
    assert not missing, f"{path}: required parameters not sent: {missing}"
    for name, value in params.multi_items():
        schema = declared[name]["schema"]
        errors = list(osv.OAS30WriteValidator(schema, format_checker=osv.oas30_format_checker).iter_errors(
            _typed(value, schema)
        ))  # fmt: skip
        assert not errors, f"{path}?{name}={value!r}: {errors[0].message}"


def _check_answer(kind: LocationKind, body: Any) -> None:
    if kind is LocationKind.PARCEL_LOCKER:
        check("locations", "ParcelLockerLocation", body)  # the array itself
    elif kind is LocationKind.DROP_OFF:
        assert isinstance(body, list)
        for item in body:
            check("locations", "DropShipmentLocation", item)
    else:
        answer = _spec("locations")["paths"]["/post-office-locations"]["get"]["responses"]["200"]
        check_inline(answer["content"]["application/json"]["schema"], body)


def check_inline(schema: dict[str, Any], instance: Any) -> None:
    """Validate against an inline schema of ``locations.yaml`` (its ``$ref`` resolve in the spec)."""
    import referencing
    from referencing.jsonschema import DRAFT4

    uri = "urn:usps-openapi:locations"
    resource = referencing.Resource.from_contents(_spec("locations"), default_specification=DRAFT4)
    registry = referencing.Registry().with_resource(uri, resource)

    def rebase(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (uri + v if k == "$ref" and v.startswith("#") else rebase(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [rebase(v) for v in node]
        return node

    validator = osv.OAS30ReadValidator(rebase(schema), registry=registry, format_checker=osv.oas30_format_checker)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors)


@pytest.mark.parametrize("kind", list(LocationKind))
@pytest.mark.parametrize("near", ["63116", "20500-0003", "address"])
def test_location_requests_and_answers(session: Any, kind: LocationKind, near: str) -> None:
    fake, client = session
    where: Any = shipper() if near == "address" else near

    def action() -> None:
        assert client.find_locations("usps", where, kind=kind, limit=4)

    pairs = _exchanges(fake, client, action)
    path = _PATHS[kind]
    sent, answer = _by_path(pairs, path)
    assert sent.method == "GET"
    assert sent.url.path == "/locations/v3" + path
    check_query(path, sent)
    assert answer.status_code == 200
    _check_answer(kind, answer.json())


@pytest.mark.parametrize("kind", list(LocationKind))
def test_location_error_answers(session: Any, kind: LocationKind) -> None:
    fake, client = session

    def action() -> None:
        with pytest.raises(Exception, match="not a ZIP Code in use"):
            client.find_locations("usps", "99990", kind=kind)

    pairs = _exchanges(fake, client, action)
    sent, answer = _by_path(pairs, _PATHS[kind])
    check_query(_PATHS[kind], sent)
    assert answer.status_code == 400
    check("locations", "ErrorMessage", answer.json())


def test_check_query_catches_what_the_spec_forbids() -> None:
    """The query check fails on an undeclared parameter, a bad value and a missing required one."""
    bad = [
        httpx.Request("GET", "https://x/locations/v3/post-office-locations?ZIP=63116"),
        httpx.Request("GET", "https://x/locations/v3/post-office-locations?ZIPCode=63116&limit=500"),
        httpx.Request("GET", "https://x/locations/v3/dropoff-locations?mailClass=PARCEL_SELECT"),
        httpx.Request("GET", "https://x/locations/v3/parcel-locker-locations?ZIPCode=6311"),
    ]
    paths = ["/post-office-locations", "/post-office-locations", "/dropoff-locations", "/parcel-locker-locations"]
    for request, path in zip(bad, paths, strict=True):
        with pytest.raises(AssertionError):
            check_query(path, request)
