"""Pure functions between Correos wire formats and carrier-sdk models.

* Tracking: the localizador JSON -> :class:`LocalizadorShipment` -> :class:`TrackingInfo`, with the
  status table, Europe/Madrid -> UTC conversion and return detection.
* Shipments: :class:`ShipmentRequest` -> the ``PreregistroEnvio`` SOAP envelope (built with
  :mod:`xml.etree.ElementTree`, so every value is escaped), checked against the WSDL length limits
  first; SOAP responses are read by element *names*, never by position.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from carrier_sdk import (
    DimensionUnit,
    Location,
    RelatedNumber,
    ShipmentRequest,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
    ValidationError,
    WeightUnit,
)
from carrier_sdk._xml import local_name

from ._schemas import (
    ANNUL_REQUEST_ELEMENT,
    ANNUL_RESPONSE_ELEMENT,
    CUSTOMS_TIPO_ENVIO,
    CUSTOMS_VALUE_IN_CENTS,
    DEFAULT_DELIVERY_MODE,
    DEFAULT_FRANKING,
    DEFAULT_PRODUCT,
    ERROR_LANGUAGE,
    LABEL_MODE_PDF,
    LENGTH_LIMITS,
    MADRID_TZ,
    MAX_CUSTOMS_LINES,
    PREREGISTRO_NS,
    SOAP_ENV_NS,
    AnnulResult,
    LocalizadorEvent,
    LocalizadorShipment,
    PreregistroResult,
    SoapFault,
)

__all__ = [
    "EVENT_STATUS",
    "HELD_KEYWORDS",
    "PHASE_NUMBER_STATUS",
    "PHASE_TEXT_STATUS",
    "RETURN_EVENT_CODES",
    "SUMMARY_KEYWORDS",
    "build_annul_envelope",
    "build_preregistro_envelope",
    "event_status",
    "REPEATABLE_KEYS",
    "UNIT_TYPE_PREFIXES",
    "correos_object",
    "madrid_to_utc",
    "parse_annul",
    "parse_localizador",
    "parse_preregistro",
    "soap_body",
    "soap_fault",
    "to_tracking_info",
    "unit_town",
]

S = TrackingStatus

#: ``codEvento`` -> status (WIRE.md §4.5, overall [M]; A090000V/X010000V pre-transit is [A]).
EVENT_STATUS: Mapping[str, TrackingStatus] = {
    "A090000V": S.PRE_TRANSIT,
    "X010000V": S.PRE_TRANSIT,
    "A010000V": S.IN_TRANSIT,
    "P040000V": S.IN_TRANSIT,
    "P090000V": S.IN_TRANSIT,
    "P100000V": S.IN_TRANSIT,
    "P110000V": S.IN_TRANSIT,
    "P101110V": S.IN_TRANSIT,
    "P101120V": S.IN_TRANSIT,
    "G01L010V": S.IN_TRANSIT,
    "H01I360V": S.IN_TRANSIT,
    "X020000V": S.IN_TRANSIT,
    "X040000V": S.IN_TRANSIT,
    "X060000V": S.IN_TRANSIT,
    "X070000V": S.IN_TRANSIT,
    "X110100V": S.IN_TRANSIT,
    "H020000V": S.OUT_FOR_DELIVERY,
    "X080000V": S.OUT_FOR_DELIVERY,
    "L010000V": S.AVAILABLE_FOR_PICKUP,
    "H01I350V": S.AVAILABLE_FOR_PICKUP,
    "X380000V": S.AVAILABLE_FOR_PICKUP,
    "X390000V": S.AVAILABLE_FOR_PICKUP,
    "I010000V": S.DELIVERED,
    "I01H210V": S.DELIVERED,
    "X120000V": S.DELIVERED,
    "H010930R": S.DELIVERY_FAILED,
    "H06P010V": S.DELIVERY_FAILED,
    "X090100R": S.DELIVERY_FAILED,
    "X090060R": S.DELIVERY_FAILED,
    "X130000R": S.DELIVERY_FAILED,
    "M01E020R": S.DELIVERY_FAILED,
    "EOL.9001": S.DELIVERY_FAILED,
    "O140000V": S.RETURNED_TO_SENDER,
}

#: Codes that mean the parcel is on its way back to the sender [M].
RETURN_EVENT_CODES = frozenset({"O140000V"})

#: ``desFase`` text (accents folded, upper case) -> status. ENTREGADO and DEVOLUCION are [M];
#: the other labels are [A]. Checked in order, as substrings.
PHASE_TEXT_STATUS: Sequence[tuple[str, TrackingStatus]] = (
    ("DEVOLUC", S.RETURNED_TO_SENDER),
    ("ENTREGADO", S.DELIVERED),
    ("PRE-ADMISION", S.PRE_TRANSIT),
    ("PREADMISION", S.PRE_TRANSIT),
    ("REPARTO", S.OUT_FOR_DELIVERY),
    ("ADMISION", S.IN_TRANSIT),
    ("TRANSITO", S.IN_TRANSIT),
    ("CLASIFICA", S.IN_TRANSIT),
)

#: [A] ``fase`` number -> status ("4" = delivered is [M]).
PHASE_NUMBER_STATUS: Mapping[str, TrackingStatus] = {
    "1": S.PRE_TRANSIT,
    "2": S.IN_TRANSIT,
    "3": S.IN_TRANSIT,
    "4": S.DELIVERED,
}

#: Keywords in ``desTextoResumen`` (lower case, accents folded) -> status, checked in order:
#: returns and failures before "entregado" ("no entregado", "entregado al remitente").
SUMMARY_KEYWORDS: Sequence[tuple[str, TrackingStatus]] = (
    ("devolucion", S.RETURNED_TO_SENDER),
    ("devuelto", S.RETURNED_TO_SENDER),
    ("remitente", S.RETURNED_TO_SENDER),
    ("no entregado", S.DELIVERY_FAILED),
    ("fallid", S.DELIVERY_FAILED),
    ("ausente", S.DELIVERY_FAILED),
    ("rehusado", S.DELIVERY_FAILED),
    ("incidencia", S.DELIVERY_FAILED),
    ("disponible para recoger", S.AVAILABLE_FOR_PICKUP),
    ("lista de correos", S.AVAILABLE_FOR_PICKUP),
    ("en oficina", S.AVAILABLE_FOR_PICKUP),
    ("en reparto", S.OUT_FOR_DELIVERY),
    ("entregado", S.DELIVERED),
    ("prerregistrado", S.PRE_TRANSIT),
    ("preregistrado", S.PRE_TRANSIT),
    ("pre-registrado", S.PRE_TRANSIT),
    ("admitido", S.IN_TRANSIT),
    ("clasificado", S.IN_TRANSIT),
    ("en transito", S.IN_TRANSIT),
    ("en camino", S.IN_TRANSIT),
)

#: ``desTextoResumen`` phrases (lower case, accents folded) of a hold at customs or by Correos,
#: waiting for action: "retenido/detenido en aduana", "pendiente de pago" (of duties), "pendiente
#: de documentación". [A] No public body shows their ``codEvento``; they are matched by text,
#: after the code table and before the phase, because a hold is reported inside a transit phase.
HELD_KEYWORDS: Sequence[str] = ("retenid", "detenid", "pendiente de pago", "pendiente de documentacion")

_MADRID = ZoneInfo(MADRID_TZ)


def _fold(text: str) -> str:
    """Strip accents (``DEVOLUCIÓN`` -> ``DEVOLUCION``)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def event_status(code: str, phase: str = "", phase_text: str = "", summary: str = "") -> TrackingStatus:
    """Status of one event: return phase first, then ``codEvento``, hold phrases, ``desFase``,
    ``fase``, keywords."""
    phase_folded = _fold(phase_text).upper()
    if "DEVOLUC" in phase_folded:
        return S.RETURNED_TO_SENDER
    status = EVENT_STATUS.get(code.strip().upper())
    if status is not None:
        return status
    text = _fold(summary).lower()
    if any(needle in text for needle in HELD_KEYWORDS):
        return S.HELD
    for needle, candidate in PHASE_TEXT_STATUS:
        if needle in phase_folded:
            return candidate
    status = PHASE_NUMBER_STATUS.get(phase.strip())
    if status is not None:
        return status
    text = _fold(summary).lower()
    for needle, candidate in SUMMARY_KEYWORDS:
        if needle in text:
            return candidate
    return S.UNKNOWN


def _is_return_event(event: LocalizadorEvent) -> bool:
    return (
        event.code.strip().upper() in RETURN_EVENT_CODES
        or "DEVOLUC" in _fold(event.phase_text).upper()
        or "devolucion" in _fold(event.summary).lower()
    )


_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def madrid_to_utc(date_text: str, time_text: str = "") -> datetime:
    """``DD/MM/YYYY`` + ``HH:MM[:SS]`` Europe/Madrid wall-clock time -> aware UTC datetime.

    A missing time is midnight. At the DST boundaries the wall clock is ambiguous (the repeated
    02:00-02:59 hour on the last Sunday of October) or does not exist (02:00-02:59 on the last
    Sunday of March). Correos sends no offset, so both resolve with ``fold=0``: an ambiguous time
    is taken as the first occurrence (summer time, UTC+2) and a non-existent one with the offset
    in force before the jump (winter time, UTC+1). Raises ``ValueError`` on malformed text.
    """
    date_match = _DATE.match(date_text.strip())
    if date_match is None:
        raise ValueError("fecEvento is not DD/MM/YYYY")
    day, month, year = (int(g) for g in date_match.groups())
    hour = minute = second = 0
    if time_text.strip():
        time_match = _TIME.match(time_text.strip())
        if time_match is None:
            raise ValueError("horEvento is not HH:MM:SS")
        hour, minute = int(time_match.group(1)), int(time_match.group(2))
        second = int(time_match.group(3) or 0)
    local = datetime(year, month, day, hour, minute, second, tzinfo=_MADRID, fold=0)
    return local.astimezone(UTC)


# -- tracking JSON ---------------------------------------------------------------------------------


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("boolean where text was expected")
    if isinstance(value, str | int):
        return str(value).strip()
    raise TypeError(f"{type(value).__name__} where text was expected")


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError("object expected")
    return value


#: Keys whose repeats all survive decoding: some localizador bodies repeat ``eventos`` (one
#: event per key) instead of sending one array (issue 11; tests/external/correos).
REPEATABLE_KEYS = frozenset({"eventos", "enviosAsociados"})


def correos_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for localizador JSON: repeated :data:`REPEATABLE_KEYS` accumulate.

    Each repeat adds its value (an object, or every item of an array) to one list, in body
    order; any other repeated key keeps its last value, as :func:`json.loads` does.
    """
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in REPEATABLE_KEYS and key in obj:
            previous = obj[key]
            merged = list(previous) if isinstance(previous, list) else [] if previous is None else [previous]
            if isinstance(value, list):
                merged.extend(value)
            elif value is not None:
                merged.append(value)
            obj[key] = merged
        else:
            obj[key] = value
    return obj


#: Facility types that prefix a Correos unit named after its town: ``CTA SANTIAGO DE COMPOSTELA``
#: (centro de tratamiento automatizado; tests/external/correos), and the other centre types.
UNIT_TYPE_PREFIXES = ("CTA", "CTP", "CAE", "CTI")
_OFFICE_SUFFIX = re.compile(r"\s+SUC(?:\.|URSAL)?\s+\S.*$")


def unit_town(unit: str) -> str:
    """The town in a localizador ``unidad`` name, or ``""`` when the name does not say.

    ``CTA MADRID`` -> ``MADRID``; ``MADRID SUC 37. LA ELIPA`` (an office, ``nom_codired``) ->
    ``MADRID``. Other names (``OFICINA MADRID CENTRAL``) keep only the facility name.
    """
    words = unit.strip().split()
    if len(words) >= 2 and words[0].upper().rstrip(".") in UNIT_TYPE_PREFIXES:
        return " ".join(words[1:])
    match = _OFFICE_SUFFIX.search(unit.strip())
    if match is not None and match.start() > 0:
        return unit.strip()[: match.start()]
    return ""


def parse_localizador(data: Any) -> LocalizadorShipment:
    """Read the localizador body: an array whose first item is the shipment, or a bare object.

    Raises ``TypeError``/``ValueError``/``KeyError`` on shapes it cannot read (the caller wraps).
    """
    if isinstance(data, list):
        if not data:
            raise ValueError("empty array")
        data = data[0]
    body = _mapping(data)
    error = body.get("error")
    error_code: str | None = None
    error_text = ""
    if error is not None:
        error_map = _mapping(error)
        error_code = _str(error_map.get("codError")) or None
        error_text = _str(error_map.get("desError"))
    raw_events = body.get("eventos")
    events: tuple[LocalizadorEvent, ...] | None = None
    if isinstance(raw_events, Mapping):
        raw_events = [raw_events]  # a single event is sent as a bare object (issue 11)
    if raw_events is not None:
        if not isinstance(raw_events, list):
            raise TypeError("eventos is neither an array nor an object")
        events = tuple(
            LocalizadorEvent(
                code=_str(e.get("codEvento")),
                date=_str(e.get("fecEvento")),
                time=_str(e.get("horEvento")),
                unit=_str(e.get("unidad")),
                phase=_str(e.get("fase")),
                phase_text=_str(e.get("desFase")),
                summary=_str(e.get("desTextoResumen")),
                detail=_str(e.get("desTextoAmpliado")),
            )
            for e in map(_mapping, raw_events)
        )
    associated_raw = body.get("enviosAsociados") or []
    if not isinstance(associated_raw, list):
        raise TypeError("enviosAsociados is not an array")
    associated = tuple(code for code in (_str(_mapping(a).get("codEnvio")).upper() for a in associated_raw) if code)
    return LocalizadorShipment(
        number=_str(body.get("codEnvio")).upper(),
        error_code=error_code,
        error_text=error_text,
        summary=_str(body.get("resumen_ultimo")),
        associated=associated,
        events=events,
    )


def _to_event(event: LocalizadorEvent) -> TrackingEvent:
    status = event_status(event.code, event.phase, event.phase_text, event.summary)
    local = f"{event.date} {event.time}".strip()
    return TrackingEvent(
        occurred_at=madrid_to_utc(event.date, event.time),
        status=status,
        description=event.summary or event.detail,
        carrier_status_code=event.code,
        carrier_status_text=event.detail or event.summary,
        location=Location(facility=event.unit, city=unit_town(event.unit), country="ES") if event.unit else None,
        local_time=f"{local} {MADRID_TZ}",
    )


def to_tracking_info(carrier: str, requested: str, shipment: LocalizadorShipment) -> TrackingInfo:
    """Map a found shipment to :class:`TrackingInfo`, sorting events and detecting returns.

    A returned parcel ends in a "delivered" phase (delivered back to the sender): any delivered
    event after a return event is reported as ``returned_to_sender``, and so is the shipment.
    """
    pairs = sorted(
        ((_to_event(e), e) for e in shipment.events or ()),
        key=lambda pair: pair[0].occurred_at,
    )
    events: list[TrackingEvent] = []
    returning = False
    for event, raw in pairs:
        if _is_return_event(raw):
            returning = True
        if returning and event.status is S.DELIVERED:
            event = TrackingEvent(
                occurred_at=event.occurred_at,
                status=S.RETURNED_TO_SENDER,
                description=event.description,
                carrier_status_code=event.carrier_status_code,
                carrier_status_text=event.carrier_status_text,
                location=event.location,
                local_time=event.local_time,
            )
        events.append(event)
    latest = events[-1] if events else None
    return TrackingInfo(
        carrier=carrier,
        tracking_number=shipment.number or requested,
        status=TrackingInfo.status_of(events),
        events=events,
        status_detail=shipment.summary or (latest.description if latest else ""),
        related_numbers=tuple(
            RelatedNumber(tracking_number=code, carrier=carrier, relation="associated")
            for code in shipment.associated
            if code != (shipment.number or requested)
        ),
    )


# -- SOAP request building -----------------------------------------------------------------------------


def _check(value: str, element: str, field: str) -> str:
    limit = LENGTH_LIMITS[element]
    if len(value) > limit:
        raise ValidationError(
            f"{field} is {len(value)} characters long; Correos {element} takes at most {limit}",
            field=field,
            constraint=f"length <= {limit} (Correos {element})",
        )
    return value


def _sub(parent: Element, tag: str, text: str | None = None) -> Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def _envelope() -> tuple[Element, Element]:
    # Literal prefixes keep the envelope exactly as WIRE.md §4.3 shows it; ElementTree escapes
    # every text node, so names like "Smith & Sons <Ltd>" cannot break the document.
    envelope = Element("soapenv:Envelope", {"xmlns:soapenv": SOAP_ENV_NS, "xmlns": PREREGISTRO_NS})
    _sub(envelope, "soapenv:Header")
    body = _sub(envelope, "soapenv:Body")
    return envelope, body


def _serialize(envelope: Element) -> bytes:
    data: bytes = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return data


def _phone(value: str) -> str:
    return re.sub(r"[\s\-().]", "", value)


def _party(parent: Element, tag: str, address: Any, prefix: str, *, domestic: bool) -> None:
    party = _sub(parent, tag)
    ident = _sub(party, "Identificacion")
    name = address.name or address.company
    _sub(ident, "Nombre", _check(name, "Nombre", f"{prefix}.name"))
    if address.name and address.company:
        _sub(ident, "Empresa", _check(address.company, "Empresa", f"{prefix}.company"))
    where = _sub(party, "DatosDireccion")
    street = ", ".join(p for p in (address.street1, address.street2) if p)
    _sub(where, "Direccion", _check(street, "Direccion", f"{prefix}.street1"))
    _sub(where, "Localidad", _check(address.city, "Localidad", f"{prefix}.city"))
    if address.state:
        _sub(where, "Provincia", _check(address.state, "Provincia", f"{prefix}.state"))
    postal = address.postal_code.replace(" ", "")
    if domestic:
        if not re.fullmatch(r"\d{5}", postal):
            raise ValidationError(
                f"{prefix}.postal_code must be a 5-digit Spanish postcode",
                field=f"{prefix}.postal_code",
                constraint="5 digits (Correos CP)",
            )
        _sub(party, "CP", _check(postal, "CP", f"{prefix}.postal_code"))
    else:
        # [A] foreign addresses carry ZIP and Pais instead of CP.
        if postal:
            _sub(party, "ZIP", postal[:10])
        _sub(party, "Pais", address.country)
    if address.phone:
        _sub(party, "Telefonocontacto", _check(_phone(address.phone), "Telefonocontacto", f"{prefix}.phone"))
    if address.email:
        _sub(party, "Email", _check(address.email, "Email", f"{prefix}.email"))


def _grams(value: Decimal) -> int:
    return max(1, int(value.to_integral_value(rounding=ROUND_CEILING)))


def _customs(parent: Element, request: ShipmentRequest) -> None:
    customs = request.customs
    if customs is None:  # pragma: no cover - the model requires customs for international shipments
        return
    if len(customs.items) > MAX_CUSTOMS_LINES:
        raise ValidationError(
            f"Correos takes at most {MAX_CUSTOMS_LINES} customs lines",
            field="customs.items",
            constraint=f"<= {MAX_CUSTOMS_LINES} items",
        )
    total = customs.total_value
    if total.currency != "EUR":
        raise ValidationError(
            "Correos customs values are in EUR",
            field="customs.items.value.currency",
            constraint="EUR",
        )
    aduana = _sub(parent, "Aduana")
    _sub(aduana, "TipoEnvio", CUSTOMS_TIPO_ENVIO.get(customs.contents_type, CUSTOMS_TIPO_ENVIO["merchandise"]))
    _sub(aduana, "EnvioComercial", "S" if customs.contents_type == "merchandise" else "N")
    _sub(aduana, "FacturaSuperiora500", "S" if total.amount > 500 else "N")
    _sub(aduana, "DUAConCorreos", "N")
    desc = _sub(aduana, "DescAduanera")
    for index, item in enumerate(customs.items):
        line = _sub(desc, "DATOSADUANA")
        _sub(line, "Cantidad", str(item.quantity))
        _sub(line, "Descripcion", _check(item.description, "Descripcion", f"customs.items[{index}].description"))
        if item.hs_code:
            _sub(line, "NTarifario", item.hs_code)
        grams = _grams(item.weight * item.quantity * _unit_to_grams(item.weight_unit))
        _sub(line, "Pesoneto", str(grams))
        value = item.total_value.amount
        if CUSTOMS_VALUE_IN_CENTS:
            value = value * 100
        _sub(line, "Valorneto", str(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))))


_GRAMS = {
    WeightUnit.G: Decimal(1),
    WeightUnit.KG: Decimal(1000),
    WeightUnit.OZ: Decimal("28.349523125"),
    WeightUnit.LB: Decimal("453.59237"),
}


def _unit_to_grams(unit: WeightUnit) -> Decimal:
    return _GRAMS[unit]


def build_preregistro_envelope(
    request: ShipmentRequest,
    *,
    labeller_code: str,
    reference: str,
    now: datetime,
    contract_number: str = "",
    client_number: str = "",
) -> bytes:
    """The ``PreregistroEnvio`` SOAP envelope for ``request``; raises :class:`ValidationError`."""
    if len(request.parcels) != 1:
        raise ValidationError(
            "Correos PreRegistro takes exactly one parcel (multi-parcel is not supported yet)",
            field="parcels",
            constraint="exactly 1 parcel",
        )
    if request.shipper.country != "ES":
        raise ValidationError(
            "Correos pre-registration ships from Spain",
            field="shipper.country",
            constraint="ES",
        )
    if request.label_format.value != "pdf":
        raise ValidationError(
            "the Correos adapter returns PDF labels only",
            field="label_format",
            constraint="pdf",
        )
    product = (request.service or DEFAULT_PRODUCT).strip().upper()
    _check(product, "CodProducto", "service")
    _check(labeller_code, "CodEtiquetador", "labeller_code")
    _check(reference, "ReferenciaCliente", "reference")
    parcel = request.parcels[0]

    envelope, body = _envelope()
    pre = _sub(body, "PreregistroEnvio")
    _sub(pre, "IdiomaErrores", ERROR_LANGUAGE)
    _sub(pre, "FechaOperacion", now.astimezone(_MADRID).strftime("%d-%m-%Y %H:%M:%S"))
    _sub(pre, "CodEtiquetador", labeller_code)
    if contract_number:
        _sub(pre, "NumContrato", contract_number)
    if client_number:
        _sub(pre, "NumCliente", client_number)
    _sub(pre, "TotalBultos", "1")
    _sub(pre, "ModDevEtiqueta", LABEL_MODE_PDF)
    _party(pre, "Remitente", request.shipper, "shipper", domestic=True)
    _party(pre, "Destinatario", request.recipient, "recipient", domestic=request.recipient.country == "ES")
    envio = _sub(pre, "Envio")
    _sub(envio, "CodProducto", product)
    if reference:
        _sub(envio, "ReferenciaCliente", reference)
    _sub(envio, "TipoFranqueo", DEFAULT_FRANKING)
    _sub(envio, "ModalidadEntrega", DEFAULT_DELIVERY_MODE)
    pesos = _sub(envio, "Pesos")
    peso = _sub(pesos, "Peso")
    _sub(peso, "TipoPeso", "R")
    _sub(peso, "Valor", str(_grams(parcel.weight_in(WeightUnit.G))))
    dims = parcel.dimensions_in(DimensionUnit.CM)
    if dims is not None:
        length, width, height = (max(1, math.ceil(d)) for d in dims)
        _sub(envio, "Largo", str(length))
        _sub(envio, "Alto", str(height))
        _sub(envio, "Ancho", str(width))
    if request.is_international or request.customs is not None:
        _customs(envio, request)
    return _serialize(envelope)


def build_annul_envelope(tracking_number: str) -> bytes:
    """The ``AnularOp`` envelope: ``PeticionAnular/codCertificado`` [M]."""
    envelope, body = _envelope()
    peticion = _sub(body, ANNUL_REQUEST_ELEMENT)
    _sub(peticion, "IdiomaErrores", ERROR_LANGUAGE)
    _sub(peticion, "codCertificado", tracking_number)
    return _serialize(envelope)


# -- SOAP response reading ------------------------------------------------------------------------------


def _children(elem: Element, name: str) -> Iterable[Element]:
    return (child for child in elem if local_name(child.tag) == name)


def _child(elem: Element | None, *path: str) -> Element | None:
    for name in path:
        if elem is None:
            return None
        elem = next(iter(_children(elem, name)), None)
    return elem


def _text(elem: Element | None) -> str:
    return (elem.text or "").strip() if elem is not None else ""


def soap_body(root: Element) -> Element:
    """The ``Body`` of a SOAP envelope; ``ValueError`` when the document is not one."""
    if local_name(root.tag) != "Envelope":
        raise ValueError("not a SOAP envelope")
    body = _child(root, "Body")
    if body is None:
        raise ValueError("SOAP envelope without Body")
    return body


def soap_fault(body: Element) -> SoapFault | None:
    """The ``Fault`` in ``body``, if any."""
    fault = _child(body, "Fault")
    if fault is None:
        return None
    return SoapFault(code=_text(_child(fault, "faultcode")), message=_text(_child(fault, "faultstring")))


def parse_preregistro(body: Element) -> PreregistroResult:
    """Read ``RespuestaPreregistroEnvio`` by element names; ``ValueError`` when it is missing."""
    answer = _child(body, "RespuestaPreregistroEnvio")
    if answer is None:
        raise ValueError("no RespuestaPreregistroEnvio in the SOAP body")
    bulto = _child(answer, "Bulto")
    fichero = _child(bulto, "Etiqueta", "Etiqueta_pdf", "Fichero")
    error = _child(answer, "BultoError")
    return PreregistroResult(
        result=_text(_child(answer, "Resultado")),
        expedition=_text(_child(answer, "CodExpedicion")),
        tracking_number=_text(_child(bulto, "CodEnvio")).upper(),
        label_base64=_text(fichero) if fichero is not None else None,
        error_code=_text(_child(error, "Error")),
        error_text=_text(_child(error, "DescError")),
    )


def parse_annul(body: Element) -> AnnulResult:
    """Read ``RespuestaAnular`` [A] by element names; ``ValueError`` when it is missing."""
    answer = _child(body, ANNUL_RESPONSE_ELEMENT)
    if answer is None:
        raise ValueError(f"no {ANNUL_RESPONSE_ELEMENT} in the SOAP body")
    errors: list[tuple[str, str]] = []
    for container in _children(answer, "ErroresValidacion"):
        for item in _children(container, "ErrorVal"):
            errors.append((_text(_child(item, "Error")), _text(_child(item, "DescError"))))
    for item in _children(answer, "BultoError"):
        errors.append((_text(_child(item, "Error")), _text(_child(item, "DescError"))))
    return AnnulResult(result=_text(_child(answer, "Resultado")), errors=tuple(errors))
