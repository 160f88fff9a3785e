"""Pre-registration (create_shipment) and annulment (cancel_shipment) over SOAP, both clients."""

from __future__ import annotations

import base64
import time
from decimal import Decimal
from xml.etree import ElementTree as ET

import httpx
import pytest
import respx

from carrier_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    Customs,
    CustomsItem,
    InvalidRequestError,
    Money,
    NotFoundError,
    OutcomeUnknownError,
    Parcel,
    ResponseError,
    ValidationError,
)
from carrier_sdk.adapters import local_name
from carrier_sdk.testing import sample_customs, sample_customs_item

NS = "{http://www.correos.es/iris6/services/preregistroetiquetas}"
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"


def _sent(route) -> ET.Element:
    return ET.fromstring(route.calls.last.request.content)


def _text(root: ET.Element, path: str) -> str | None:
    elem = root.find(f"{SOAP}Body/" + "/".join(NS + p for p in path.split("/")))
    return None if elem is None else elem.text


# -- create_shipment: 1. the request ---------------------------------------------------------------------


def test_create_request_is_built_correctly(carrier_runner, h):
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(200, content=h.fixture_bytes("preregistro_ok.xml"))
        carrier_runner()("create_shipment", "correos", h.shipment_request(), idempotency_key="key-1")
    request = route.calls.last.request
    assert request.headers["soapaction"] == "PreRegistro"
    assert request.headers["content-type"] == "text/xml; charset=utf-8"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"pre-user:pre-secret-canary").decode()
    root = _sent(route)
    assert local_name(root.tag) == "Envelope"
    assert _text(root, "PreregistroEnvio/CodEtiquetador") == "10BC"
    assert _text(root, "PreregistroEnvio/ModDevEtiqueta") == "2"
    assert _text(root, "PreregistroEnvio/Envio/CodProducto") == "S0132"
    assert _text(root, "PreregistroEnvio/Envio/ModalidadEntrega") == "ST"
    assert _text(root, "PreregistroEnvio/Envio/TipoFranqueo") == "FP"
    assert _text(root, "PreregistroEnvio/Envio/ReferenciaCliente") == "ORDER-1"
    assert _text(root, "PreregistroEnvio/Envio/Pesos/Peso/Valor") == "1200"  # grams, integer
    assert _text(root, "PreregistroEnvio/Envio/Pesos/Peso/TipoPeso") == "R"
    assert (_text(root, "PreregistroEnvio/Envio/Largo"), _text(root, "PreregistroEnvio/Envio/Ancho")) == ("30", "20")
    assert _text(root, "PreregistroEnvio/Envio/Alto") == "10"
    assert _text(root, "PreregistroEnvio/Remitente/CP") == "28001"
    assert _text(root, "PreregistroEnvio/Remitente/Telefonocontacto") == "910000000"
    assert _text(root, "PreregistroEnvio/Envio/Aduana") is None


def test_xml_escaping_round_trips(carrier_runner, h):
    request = h.shipment_request(
        recipient=h.address(name="Smith & Sons <Ltd>", company="A&B \"Q\" 'S'", street1="Pl. Ñ & <1>", city="Peñíscola")
    )
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(200, content=h.fixture_bytes("preregistro_ok.xml"))
        carrier_runner()("create_shipment", "correos", request)
    raw = route.calls.last.request.content
    assert b"Smith &amp; Sons &lt;Ltd&gt;" in raw
    assert "Peñíscola".encode() in raw
    root = _sent(route)
    assert _text(root, "PreregistroEnvio/Destinatario/Identificacion/Nombre") == "Smith & Sons <Ltd>"
    assert _text(root, "PreregistroEnvio/Destinatario/Identificacion/Empresa") == "A&B \"Q\" 'S'"
    assert _text(root, "PreregistroEnvio/Destinatario/DatosDireccion/Direccion") == "Pl. Ñ & <1>"
    assert _text(root, "PreregistroEnvio/Destinatario/DatosDireccion/Localidad") == "Peñíscola"


def test_reference_falls_back_to_idempotency_key_and_service_overrides_product(carrier_runner, h):
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(200, content=h.fixture_bytes("preregistro_ok.xml"))
        shipment = carrier_runner()(
            "create_shipment", "correos", h.shipment_request(reference="", service="s0235"), idempotency_key="my-key-7"
        )
    root = _sent(route)
    assert _text(root, "PreregistroEnvio/Envio/ReferenciaCliente") == "my-key-7"
    assert _text(root, "PreregistroEnvio/Envio/CodProducto") == "S0235"
    assert shipment.service == "S0235"
    assert shipment.idempotency_key == "my-key-7"


def test_international_shipment_carries_customs(carrier_runner, h):
    # The kit's item line (two of 200 g each, HS 9503.00.41) with a description to escape, priced in euros.
    item = sample_customs_item(description="Camiseta & <algodón>", value=Money(amount="12.50", currency="EUR"))
    request = h.shipment_request(
        recipient=h.address(name="Jane", city="Paris", postal_code="75001", country="FR", state=""),
        customs=sample_customs(item),
        service="S0410",
    )
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(200, content=h.fixture_bytes("preregistro_ok.xml"))
        carrier_runner()("create_shipment", "correos", request)
    root = _sent(route)
    line = "PreregistroEnvio/Envio/Aduana/DescAduanera/DATOSADUANA"
    assert _text(root, "PreregistroEnvio/Envio/Aduana/TipoEnvio") == "2"
    assert _text(root, f"{line}/Cantidad") == "2"
    assert _text(root, f"{line}/Descripcion") == "Camiseta & <algodón>"
    assert _text(root, f"{line}/NTarifario") == "95030041"
    assert _text(root, f"{line}/Pesoneto") == "400"
    assert _text(root, f"{line}/Valorneto") == "2500"  # [A] cents
    assert _text(root, "PreregistroEnvio/Destinatario/Pais") == "FR"
    assert _text(root, "PreregistroEnvio/Destinatario/ZIP") == "75001"
    assert _text(root, "PreregistroEnvio/Destinatario/CP") is None


# -- validation before sending ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recipient_email": "x" * 46 + "@a.es"}, "recipient.email"),
        ({"recipient_phone": "1234567890123456"}, "recipient.phone"),
        ({"recipient_street1": "a" * 60, "recipient_street2": "b" * 50}, "recipient.street1"),
        ({"recipient_postal_code": "2800"}, "recipient.postal_code"),
        ({"service": "S01320"}, "service"),
        ({"parcels": 2}, "parcels"),
        ({"shipper_country": "FR"}, "shipper.country"),
    ],
)
def test_length_limits_are_validated_before_sending(carrier_runner, h, overrides, field):
    recipient = {k.removeprefix("recipient_"): v for k, v in overrides.items() if k.startswith("recipient_")}
    kwargs = {}
    if recipient:
        kwargs["recipient"] = h.address(**recipient)
    if "service" in overrides:
        kwargs["service"] = overrides["service"]
    if "parcels" in overrides:
        kwargs["parcels"] = [Parcel(weight=1), Parcel(weight=2)]
    if "shipper_country" in overrides:
        kwargs["shipper"] = h.address(country="FR")
        kwargs["recipient"] = h.address(country="FR")
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(h.PRE_URL)
        with pytest.raises(ValidationError) as info:
            carrier_runner()("create_shipment", "correos", h.shipment_request(**kwargs))
    assert info.value.field == field
    assert info.value.constraint
    assert not route.called


def test_tracking_only_settings_raise_configuration_error_before_any_request(carrier_runner, h):
    settings = {"tracking_user": "u", "tracking_password": "p"}
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route()
        client = carrier_runner(settings)
        with pytest.raises(ConfigurationError, match="preregistro_user"):
            client("create_shipment", "correos", h.shipment_request())
        with pytest.raises(ConfigurationError, match="labeller_code"):
            client("cancel_shipment", "correos", h.NUMBER)
    assert not route.called


def test_create_flow_raises_configuration_error_before_yielding(h):
    from carrier_sdk_correos._carrier import CorreosCarrier
    from carrier_sdk_correos._settings import CorreosSettings

    carrier = CorreosCarrier(CorreosSettings(tracking_user="u", tracking_password="p"))
    flow = carrier.create_shipment(h.shipment_request(), idempotency_key="k")
    with pytest.raises(ConfigurationError):
        next(flow)


# -- create_shipment: 2. success ------------------------------------------------------------------------------


def test_create_success_parses_by_element_names(carrier_runner, h):
    with respx.mock(assert_all_called=True) as mock:
        mock.post(h.PRE_URL).respond(200, content=h.fixture_bytes("preregistro_ok.xml"))
        shipment = carrier_runner()("create_shipment", "correos", h.shipment_request())
    assert shipment.carrier == "correos"
    assert shipment.tracking_number == "PQ10BC0721392610108021C"
    assert shipment.carrier_reference == "0XXX100000001234"
    assert shipment.label is not None
    assert shipment.label.data == b"%PDF-1.4\n% fake\n%%EOF\n"
    assert shipment.service == "S0132"


# -- create_shipment: 3. carrier errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "fixture", "code", "message"),
    [
        (200, "preregistro_error.xml", "1063", "Código postal de destino no válido"),  # Resultado 1 + BultoError
        (200, "soap_fault.xml", "soapenv:Client", "Error de esquema: CodProducto"),
        (400, "soap_fault.xml", "soapenv:Client", "Error de esquema: CodProducto"),
        # A SOAP Client fault rejects the input: the core hands it to the flow (rejected_for_sure).
        (500, "soap_fault.xml", "soapenv:Client", "Error de esquema: CodProducto"),
    ],
)
def test_create_refusal_is_typed_with_carrier_code_and_not_resent(carrier_runner, h, status, fixture, code, message):
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(status, content=h.fixture_bytes(fixture))
        with pytest.raises(InvalidRequestError) as info:
            carrier_runner()("create_shipment", "correos", h.shipment_request(), idempotency_key="k-refused")
    assert route.call_count == 1
    assert (info.value.status_code, info.value.error_code, info.value.error_message) == (status, code, message)


def test_create_server_fault_on_http_500_is_outcome_unknown(carrier_runner, h):
    # A Server fault may come after the shipment was registered: never resend, reconcile.
    body = h.fixture_bytes("soap_fault.xml").replace(b"soapenv:Client", b"soapenv:Server")
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(500, content=body)
        with pytest.raises(OutcomeUnknownError) as info:
            carrier_runner()("create_shipment", "correos", h.shipment_request(), idempotency_key="k-500")
    assert route.call_count == 1
    assert info.value.idempotency_key == "k-500"
    assert info.value.reference == "ORDER-1"


def test_create_401_is_authentication_error(carrier_runner, h):
    with respx.mock(assert_all_called=True) as mock:
        mock.post(h.PRE_URL).respond(401, text="Unauthorized")
        with pytest.raises(AuthenticationError) as info:
            carrier_runner()("create_shipment", "correos", h.shipment_request())
    assert "pre-secret-canary" not in repr(info.value) + str(info.value)


def test_create_bad_label_base64_is_outcome_unknown(carrier_runner, h):
    body = h.fixture_bytes("preregistro_ok.xml").replace(b"JVBERi0xLjQKJSBmYWtlCiUlRU9GCg==", b"!!not base64!!")
    with respx.mock(assert_all_called=True) as mock:
        mock.post(h.PRE_URL).respond(200, content=body)
        with pytest.raises(OutcomeUnknownError) as info:  # registered (2xx), label unreadable
            carrier_runner()("create_shipment", "correos", h.shipment_request())
    assert info.value.identifiers.get("CodEnvio")


# -- create_shipment: 4. transport failures ---------------------------------------------------------------------


def test_create_read_timeout_is_outcome_unknown_and_not_resent(carrier_runner, h):
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(OutcomeUnknownError) as info:
            carrier_runner()("create_shipment", "correos", h.shipment_request(), idempotency_key="k-t")
    assert route.call_count == 1
    assert info.value.idempotency_key == "k-t"


@pytest.mark.parametrize(
    ("operation", "failure", "error"),
    [
        ("create_shipment", httpx.ConnectError("refused"), APIConnectionError),
        ("cancel_shipment", httpx.ReadTimeout("slow"), APITimeoutError),
    ],
)
def test_transport_failure_after_a_retry_is_typed(carrier_runner, h, operation, failure, error):
    """The fourth case of create_shipment and of cancel_shipment: a transport failure is a typed error."""
    argument = h.shipment_request() if operation == "create_shipment" else h.NUMBER
    with respx.mock(assert_all_called=True) as mock:
        mock.post(h.PRE_URL).mock(side_effect=failure)
        with pytest.raises(error):
            carrier_runner(max_retries=1)(operation, "correos", argument)


# -- cancel_shipment: the four cases -----------------------------------------------------------------------------


def test_cancel_request_is_built_correctly(carrier_runner, h):
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(200, content=h.fixture_bytes("anular_ok.xml"))
        result = carrier_runner()("cancel_shipment", "correos", h.NUMBER.lower())
    request = route.calls.last.request
    assert request.headers["soapaction"] == "AnularOp"
    assert request.headers["content-type"] == "text/xml; charset=utf-8"
    root = _sent(route)
    assert _text(root, "PeticionAnular/codCertificado") == h.NUMBER
    assert result.cancelled is True
    assert result.tracking_number == h.NUMBER
    assert result.status == "cancelled"


def test_cancel_refused_is_typed(carrier_runner, h):
    with respx.mock(assert_all_called=True) as mock:
        mock.post(h.PRE_URL).respond(200, content=h.fixture_bytes("anular_error.xml"))
        with pytest.raises(InvalidRequestError) as info:
            carrier_runner()("cancel_shipment", "correos", h.NUMBER)
    assert info.value.error_code == "65"
    assert info.value.error_message == "El envío ya ha sido admitido"


def test_cancel_unknown_is_not_found_and_repeat_is_success(carrier_runner, h):
    unknown = h.fixture_bytes("anular_error.xml").replace(b">65<", b">67<")
    again = h.fixture_bytes("anular_error.xml").replace(b">65<", b">66<")
    with respx.mock(assert_all_called=True) as mock:
        mock.post(h.PRE_URL).mock(
            side_effect=[httpx.Response(200, content=unknown), httpx.Response(200, content=again)]
        )
        client = carrier_runner()
        with pytest.raises(NotFoundError):
            client("cancel_shipment", "correos", h.NUMBER)
        assert client("cancel_shipment", "correos", h.NUMBER).status == "already_cancelled"


def test_cancel_fault_500_after_retries_carries_fault_text(carrier_runner, h):
    from carrier_sdk import CarrierServerError

    body = h.fixture_bytes("soap_fault.xml").replace(b"soapenv:Client", b"soapenv:Server")
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(h.PRE_URL).respond(500, content=body)
        with pytest.raises(CarrierServerError) as info:
            carrier_runner(max_retries=1)("cancel_shipment", "correos", h.NUMBER)
    assert route.call_count == 2
    assert info.value.error_message == "Error de esquema: CodProducto"


# -- hostile XML ---------------------------------------------------------------------------------------------------

_BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<RespuestaPreregistroEnvio><Resultado>&lol9;</Resultado></RespuestaPreregistroEnvio></soapenv:Body></soapenv:Envelope>"""
_XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<RespuestaPreregistroEnvio><Resultado>0</Resultado><Bulto><CodEnvio>&xxe;</CodEnvio></Bulto>
</RespuestaPreregistroEnvio></soapenv:Body></soapenv:Envelope>"""
_DEEP = b"<a>" * 100_000 + b"</a>" * 100_000
_TRUNCATED = (
    b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Bo'
)
_NOT_SOAP = b"<RespuestaPreregistroEnvio><Resultado>0</Resultado></RespuestaPreregistroEnvio>"


@pytest.mark.parametrize(
    "body", [_BILLION_LAUGHS, _XXE, _DEEP, _TRUNCATED, _NOT_SOAP, b"", b"\xff\xfe<x/>"],
    ids=["billion-laughs", "xxe", "deep", "truncated", "not-soap", "empty", "bad-bytes"],
)  # fmt: skip
@pytest.mark.parametrize("operation", ["create", "cancel"])
def test_hostile_xml_is_rejected_quickly(carrier_runner, h, body, operation):
    client = carrier_runner(max_retries=0)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(h.PRE_URL).respond(200, content=body)
        call = (
            (lambda: client("create_shipment", "correos", h.shipment_request()))
            if operation == "create"
            else (lambda: client("cancel_shipment", "correos", h.NUMBER))
        )
        started = time.perf_counter()
        # A 2xx purchase answer that cannot be read is OutcomeUnknownError (it may be registered).
        with pytest.raises(OutcomeUnknownError if operation == "create" else ResponseError):
            call()
        assert time.perf_counter() - started < 1.0


def test_customs_lines_limit_and_currency(carrier_runner, h):
    item = CustomsItem(description="x", value=Money(amount=Decimal(1), currency="USD"), weight=1, origin_country="ES")
    request = h.shipment_request(
        recipient=h.address(country="FR", postal_code="75001", state=""), customs=Customs(items=[item])
    )
    with pytest.raises(ValidationError) as info:
        carrier_runner()("create_shipment", "correos", request)
    assert info.value.field == "customs.items.value.currency"
    eur = CustomsItem(description="x", value=Money(amount=1, currency="EUR"), weight=1, origin_country="ES")
    request = h.shipment_request(
        recipient=h.address(country="FR", postal_code="75001", state=""), customs=Customs(items=[eur] * 6)
    )
    with pytest.raises(ValidationError) as info:
        carrier_runner()("create_shipment", "correos", request)
    assert info.value.field == "customs.items"
