"""Correos wire values <-> carrier-sdk models.

* Tracking: :class:`~._wire.LocalizadorShipment` -> :class:`TrackingInfo`, with the status table
  and return detection.
* Shipments: :class:`ShipmentRequest` -> the ``PreregistroEnvio`` SOAP envelope, checked against
  the service's length limits first.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

import attrs

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

from ._settings import CorreosSettings
from ._wire import (
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
    LocalizadorEvent,
    LocalizadorShipment,
    add_child,
    madrid_to_utc,
    serialize,
    soap_envelope,
    unit_town,
)

__all__ = [
    "EVENT_STATUS",
    "HELD_KEYWORDS",
    "PHASE_NUMBER_STATUS",
    "PHASE_TEXT_STATUS",
    "RETURN_EVENT_CODES",
    "SUMMARY_KEYWORDS",
    "create_shipment_body",
    "map_status",
    "to_tracking_info",
]

S = TrackingStatus

#: ``codEvento`` -> status (overall [M]; A090000V/X010000V pre-transit is [A]; README "Wire facts").
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


@functools.lru_cache(maxsize=256)  # phase and summary texts repeat in every history
def _fold(text: str) -> str:
    """Strip accents (``DEVOLUCIÓN`` -> ``DEVOLUCION``)."""
    if text.isascii():  # nothing to decompose
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def map_status(code: str, text: str = "", *, phase: str = "", phase_text: str = "") -> TrackingStatus:
    """Status of one event from its ``codEvento`` and ``desTextoResumen`` (``text``), and its
    ``fase``/``desFase`` when known: return phase first, then ``codEvento``, hold phrases,
    ``desFase``, ``fase``, keywords. Never raises (anything unusable is ``UNKNOWN``)."""
    try:
        return _status(str(code or ""), str(text or ""), str(phase or ""), str(phase_text or ""))
    except Exception:  # map_status must never raise, whatever it is handed
        return S.UNKNOWN


@functools.lru_cache(maxsize=512)  # a history repeats a few (code, summary, phase) combinations
def _status(code: str, summary: str, phase: str, phase_text: str) -> TrackingStatus:
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
    for needle, candidate in SUMMARY_KEYWORDS:
        if needle in text:
            return candidate
    return S.UNKNOWN


@functools.lru_cache(maxsize=512)  # a history repeats a few (code, phase, summary) combinations
def _is_return_event(code: str, phase_text: str, summary: str) -> bool:
    """Whether an event with this ``codEvento``, ``desFase`` and ``desTextoResumen`` is on the way back."""
    return (
        code.strip().upper() in RETURN_EVENT_CODES
        or "DEVOLUC" in _fold(phase_text).upper()
        or "devolucion" in _fold(summary).lower()
    )


@functools.lru_cache(maxsize=256)  # a history names a few units, each in many events
def _unit_location(unit: str) -> Location:
    """The place of an event scanned at ``unit`` (a :class:`Location` is immutable: shared)."""
    return Location(facility=unit, city=unit_town(unit), country="ES")


def _to_event(event: LocalizadorEvent) -> TrackingEvent:
    # The wire fields are text already: _status directly, without map_status's coercions.
    status = _status(event.code, event.summary, event.phase, event.phase_text)
    local = f"{event.date} {event.time}".strip()
    return TrackingEvent._parsed(
        occurred_at=madrid_to_utc(event.date, event.time),
        status=status,
        description=event.summary or event.detail,
        carrier_status_code=event.code,
        carrier_status_text=event.detail or event.summary,
        location=_unit_location(event.unit) if event.unit else None,
        local_time=f"{local} {MADRID_TZ}",
    )


def to_tracking_info(carrier: str, number: str, wire: LocalizadorShipment) -> TrackingInfo:
    """Map a found shipment to :class:`TrackingInfo`, sorting events and detecting returns.

    A returned parcel ends in a "delivered" phase (delivered back to the sender): any delivered
    event after a return event is reported as ``returned_to_sender``, and so is the shipment.
    """
    pairs = sorted(
        ((_to_event(e), e) for e in wire.events or ()),
        key=lambda pair: pair[0].occurred_at,
    )
    events: list[TrackingEvent] = []
    returning = False
    for event, raw in pairs:
        if _is_return_event(raw.code, raw.phase_text, raw.summary):
            returning = True
        if returning and event.status is S.DELIVERED:
            event = attrs.evolve(event, status=S.RETURNED_TO_SENDER)
        events.append(event)
    latest = events[-1] if events else None
    return TrackingInfo(
        carrier=carrier,
        tracking_number=wire.number or number,
        status=TrackingInfo.status_of(events),
        events=events,
        status_detail=wire.summary or (latest.description if latest else ""),
        related_numbers=tuple(
            RelatedNumber(tracking_number=code, carrier=carrier, relation="associated")
            for code in wire.associated
            if code != (wire.number or number)
        ),
    )


# -- the pre-registration request ---------------------------------------------------------------------


def _check(value: str, element: str, field: str) -> str:
    limit = LENGTH_LIMITS[element]
    if len(value) > limit:
        raise ValidationError(
            f"{field} is {len(value)} characters long; Correos {element} takes at most {limit}",
            field=field,
            constraint=f"length <= {limit} (Correos {element})",
        )
    return value


def _phone(value: str) -> str:
    return re.sub(r"[\s\-().]", "", value)


def _party(parent: Element, tag: str, address: Any, prefix: str, *, domestic: bool) -> None:
    party = add_child(parent, tag)
    ident = add_child(party, "Identificacion")
    name = address.name or address.company
    add_child(ident, "Nombre", _check(name, "Nombre", f"{prefix}.name"))
    if address.name and address.company:
        add_child(ident, "Empresa", _check(address.company, "Empresa", f"{prefix}.company"))
    where = add_child(party, "DatosDireccion")
    street = ", ".join(p for p in (address.street1, address.street2) if p)
    add_child(where, "Direccion", _check(street, "Direccion", f"{prefix}.street1"))
    add_child(where, "Localidad", _check(address.city, "Localidad", f"{prefix}.city"))
    if address.state:
        add_child(where, "Provincia", _check(address.state, "Provincia", f"{prefix}.state"))
    postal = address.postal_code.replace(" ", "")
    if domestic:
        if not re.fullmatch(r"\d{5}", postal):
            raise ValidationError(
                f"{prefix}.postal_code must be a 5-digit Spanish postcode",
                field=f"{prefix}.postal_code",
                constraint="5 digits (Correos CP)",
            )
        add_child(party, "CP", _check(postal, "CP", f"{prefix}.postal_code"))
    else:
        # [A] foreign addresses carry ZIP and Pais instead of CP.
        if postal:
            add_child(party, "ZIP", postal[:10])
        add_child(party, "Pais", address.country)
    if address.phone:
        add_child(party, "Telefonocontacto", _check(_phone(address.phone), "Telefonocontacto", f"{prefix}.phone"))
    if address.email:
        add_child(party, "Email", _check(address.email, "Email", f"{prefix}.email"))


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
    aduana = add_child(parent, "Aduana")
    add_child(aduana, "TipoEnvio", CUSTOMS_TIPO_ENVIO.get(customs.contents_type, CUSTOMS_TIPO_ENVIO["merchandise"]))
    add_child(aduana, "EnvioComercial", "S" if customs.contents_type == "merchandise" else "N")
    add_child(aduana, "FacturaSuperiora500", "S" if total.amount > 500 else "N")
    add_child(aduana, "DUAConCorreos", "N")
    desc = add_child(aduana, "DescAduanera")
    for index, item in enumerate(customs.items):
        line = add_child(desc, "DATOSADUANA")
        add_child(line, "Cantidad", str(item.quantity))
        add_child(line, "Descripcion", _check(item.description, "Descripcion", f"customs.items[{index}].description"))
        if item.hs_code:
            add_child(line, "NTarifario", item.hs_code)
        grams = _grams(item.weight_in(WeightUnit.G) * item.quantity)
        add_child(line, "Pesoneto", str(grams))
        value = item.total_value.amount
        if CUSTOMS_VALUE_IN_CENTS:
            value = value * 100
        add_child(line, "Valorneto", str(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))))


def create_shipment_body(request: ShipmentRequest, account: CorreosSettings, *, reference: str, now: datetime) -> bytes:
    """The ``PreregistroEnvio`` SOAP envelope for ``request``, sent as ``account`` (its labeller
    code, and its contract and client numbers when set); raises :class:`ValidationError`."""
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
    labeller_code = account.labeller_code
    _check(labeller_code, "CodEtiquetador", "labeller_code")
    _check(reference, "ReferenciaCliente", "reference")
    parcel = request.parcels[0]

    envelope, body = soap_envelope()
    pre = add_child(body, "PreregistroEnvio")
    add_child(pre, "IdiomaErrores", ERROR_LANGUAGE)
    add_child(pre, "FechaOperacion", now.astimezone(ZoneInfo(MADRID_TZ)).strftime("%d-%m-%Y %H:%M:%S"))
    add_child(pre, "CodEtiquetador", labeller_code)
    if account.contract_number:
        add_child(pre, "NumContrato", account.contract_number)
    if account.client_number:
        add_child(pre, "NumCliente", account.client_number)
    add_child(pre, "TotalBultos", "1")
    add_child(pre, "ModDevEtiqueta", LABEL_MODE_PDF)
    _party(pre, "Remitente", request.shipper, "shipper", domestic=True)
    _party(pre, "Destinatario", request.recipient, "recipient", domestic=request.recipient.country == "ES")
    envio = add_child(pre, "Envio")
    add_child(envio, "CodProducto", product)
    if reference:
        add_child(envio, "ReferenciaCliente", reference)
    add_child(envio, "TipoFranqueo", DEFAULT_FRANKING)
    add_child(envio, "ModalidadEntrega", DEFAULT_DELIVERY_MODE)
    pesos = add_child(envio, "Pesos")
    peso = add_child(pesos, "Peso")
    add_child(peso, "TipoPeso", "R")
    add_child(peso, "Valor", str(_grams(parcel.weight_in(WeightUnit.G))))
    dims = parcel.dimensions_in(DimensionUnit.CM)
    if dims is not None:
        length, width, height = (max(1, math.ceil(d)) for d in dims)
        add_child(envio, "Largo", str(length))
        add_child(envio, "Alto", str(height))
        add_child(envio, "Ancho", str(width))
    if request.is_international or request.customs is not None:
        _customs(envio, request)
    return serialize(envelope)
