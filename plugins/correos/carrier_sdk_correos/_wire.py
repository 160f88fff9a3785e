"""Correos' wire formats: endpoints, the localizador JSON, the pre-registration SOAP service.

Model-free: constants, parsers from JSON and XML to the plain wire records below, and the SOAP
envelope builder. Every guess is a named constant whose comment says ``[A]`` (assumption) or
``[M]`` (one source only); ``[V]`` marks facts seen in several independent sources. The README
("Wire facts") names the public sources.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

import attrs

from carrier_sdk.adapters import in_zone, local_name

__all__ = [
    "ANNUL_ALREADY_CANCELLED",
    "ANNUL_ERROR_CODES",
    "ANNUL_REQUEST_ELEMENT",
    "ANNUL_RESPONSE_ELEMENT",
    "ANNUL_SOAP_ACTION",
    "CUSTOMS_TIPO_ENVIO",
    "CUSTOMS_VALUE_IN_CENTS",
    "DEFAULT_DELIVERY_MODE",
    "DEFAULT_FRANKING",
    "DEFAULT_PRODUCT",
    "DOMESTIC_CODE_PATTERN",
    "ERROR_LANGUAGE",
    "FOUND_CODE",
    "LABEL_MODE_PDF",
    "LENGTH_LIMITS",
    "MADRID_TZ",
    "MAX_CUSTOMS_LINES",
    "NOT_FOUND_CODE",
    "PREREGISTRO_NS",
    "PREREGISTRO_SOAP_ACTION",
    "PREREGISTRO_URLS",
    "REPEATABLE_KEYS",
    "SOAP_ENV_NS",
    "TRACKING_AUTH_ERROR_WORDS",
    "TRACKING_BASE_URL",
    "TRACKING_LANGUAGE",
    "UNIT_TYPE_PREFIXES",
    "AnnulResult",
    "LocalizadorEvent",
    "LocalizadorShipment",
    "PreregistroResult",
    "SoapFault",
    "add_child",
    "annul_envelope",
    "correos_object",
    "madrid_to_utc",
    "parse_annul",
    "parse_localizador",
    "parse_preregistro",
    "repeats_possible",
    "serialize",
    "soap_body",
    "soap_envelope",
    "soap_fault",
    "unit_town",
]

# -- endpoints -----------------------------------------------------------------------------------

#: Authenticated localizador; ``/{code}`` is appended [V].
TRACKING_BASE_URL = "https://localizador.correos.es/canonico/eventos_envio_servicio_auth"
#: ``codIdioma`` sent with tracking requests (``ES`` or ``EN``).
TRACKING_LANGUAGE = "ES"
#: Pre-registration SOAP endpoints by environment [V].
PREREGISTRO_URLS = {
    "production": "https://preregistroenvios.correos.es/preregistroenvios",
    "pre-production": "https://preregistroenviospre.correos.es/preregistroenvios",
}

# -- SOAP constants -------------------------------------------------------------------------------

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PREREGISTRO_NS = "http://www.correos.es/iris6/services/preregistroetiquetas"
#: SOAPAction of the single-parcel pre-registration [V].
PREREGISTRO_SOAP_ACTION = "PreRegistro"
#: SOAPAction of the annulment: the WSDL operation name [V: soapAction = operation name].
ANNUL_SOAP_ACTION = "AnularOp"
#: [M] Request element of ``AnularOp`` (PHP WSDL-generated structs and a PrestaShop template:
#: ``<PeticionAnular><IdiomaErrores/><codCertificado>…</codCertificado></PeticionAnular>``).
ANNUL_REQUEST_ELEMENT = "PeticionAnular"
#: [A] Response element of ``AnularOp`` (WSDL-generated PHP names it ``RespuestaAnular``; its
#: children ``Resultado`` and ``ErroresValidacion/ErrorVal/{Error,DescError}`` are assumed).
ANNUL_RESPONSE_ELEMENT = "RespuestaAnular"
#: [M] Annulment error codes seen in one PHP connector: 65 admitted, 66 already cancelled,
#: 67 never pre-registered.
ANNUL_ERROR_CODES = {
    "65": "the item has already been admitted",
    "66": "the item has already been cancelled",
    "67": "the item has not been pre-registered",
}
#: [A] "Already cancelled" counts as success, so a resent annulment is harmless (idempotent).
ANNUL_ALREADY_CANCELLED = "66"
#: ``IdiomaErrores`` is sent empty (Correos' default language) [V sample].
ERROR_LANGUAGE = ""

# -- pre-registration defaults ----------------------------------------------------------------------

#: ``CodProducto`` when ``ShipmentRequest.service`` is not given: S0132 "Paq Premium" [V].
DEFAULT_PRODUCT = "S0132"
#: ``ModalidadEntrega`` ST = home delivery (standard) [V enum].
DEFAULT_DELIVERY_MODE = "ST"
#: ``TipoFranqueo`` FP = franqueo pagado [V enum].
DEFAULT_FRANKING = "FP"
#: ``ModDevEtiqueta`` 2 = label returned inline as PDF [V].
LABEL_MODE_PDF = "2"
#: [A] ``Aduana/TipoEnvio`` for merchandise. Seen as 2 (PrestaShop module) and 4 (a TS client).
CUSTOMS_TIPO_ENVIO = {"merchandise": "2", "gift": "1", "documents": "3", "sample": "4", "returned_goods": "5"}
#: [A] ``DATOSADUANA/Valorneto`` is sent in euro cents (integer); ``Pesoneto`` in grams.
CUSTOMS_VALUE_IN_CENTS = True
#: [M] Correos accepts up to 5 ``DATOSADUANA`` lines (a TS client's comment).
MAX_CUSTOMS_LINES = 5

#: WSDL length limits, checked before sending [V].
LENGTH_LIMITS = {
    "CP": 5,
    "Telefonocontacto": 15,
    "Email": 50,
    "Direccion": 100,
    "Localidad": 100,
    "Provincia": 40,
    "Nombre": 300,
    "Empresa": 300,
    "Nif": 15,
    "CodProducto": 5,
    "ReferenciaCliente": 100,
    "CodEtiquetador": 4,
    # [A] not among the published limits; kept generous but bounded.
    "Descripcion": 100,
}

# -- tracking ------------------------------------------------------------------------------------

#: ``error.codError`` of a number the localizador does not know (yet) [V].
NOT_FOUND_CODE = "3"
#: ``error.codError`` of success [V].
FOUND_CODE = "0"
#: [A] Words in ``desError`` that mean the credentials were refused inside a 200 body.
TRACKING_AUTH_ERROR_WORDS = ("autoriz", "credencial", "usuario", "password", "contrase")
#: Localizador times are Europe/Madrid wall-clock (Canary scans may be Atlantic/Canary: [A] ignored).
MADRID_TZ = "Europe/Madrid"

#: 23-character domestic code: 2 letters, 4-character labeller code, 16 digits, check letter.
#: The check-letter algorithm is unknown [A]: it is not validated.
DOMESTIC_CODE_PATTERN = re.compile(r"^[A-Z]{2}[A-Z0-9]{4}\d{16}[A-Z]$")


# -- wire schemas (only the fields the adapter reads) ------------------------------------------


@attrs.frozen(kw_only=True)
class LocalizadorEvent:
    """One ``eventos[]`` item of the localizador JSON."""

    code: str = ""  # codEvento
    date: str = ""  # fecEvento DD/MM/YYYY
    time: str = ""  # horEvento HH:MM:SS
    unit: str = ""  # unidad
    phase: str = ""  # fase ("1".."4") [M]
    phase_text: str = ""  # desFase [M]
    summary: str = ""  # desTextoResumen
    detail: str = ""  # desTextoAmpliado


@attrs.frozen(kw_only=True)
class LocalizadorShipment:
    """The shipment envelope of the localizador JSON."""

    number: str = ""  # codEnvio
    error_code: str | None = None  # error.codError
    error_text: str = ""  # error.desError
    summary: str = ""  # resumen_ultimo
    associated: tuple[str, ...] = ()  # enviosAsociados[].codEnvio
    events: tuple[LocalizadorEvent, ...] | None = None  # eventos (null when unknown)


@attrs.frozen(kw_only=True)
class SoapFault:
    """A ``soapenv:Fault``."""

    code: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class PreregistroResult:
    """``RespuestaPreregistroEnvio``, read by element names."""

    result: str = ""  # Resultado ("0" = OK)
    expedition: str = ""  # CodExpedicion
    tracking_number: str = ""  # Bulto/CodEnvio
    label_base64: str | None = None  # Bulto/Etiqueta/Etiqueta_pdf/Fichero
    error_code: str = ""  # BultoError/Error
    error_text: str = ""  # BultoError/DescError


@attrs.frozen(kw_only=True)
class AnnulResult:
    """``RespuestaAnular`` [A], read by element names."""

    result: str = ""  # Resultado
    errors: tuple[tuple[str, str], ...] = ()  # ErroresValidacion/ErrorVal/(Error, DescError)


# -- localizador JSON -------------------------------------------------------------------------------


@functools.cache
def _madrid() -> ZoneInfo:
    return ZoneInfo(MADRID_TZ)


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
    day = _day(date_text)
    time_text = time_text.strip()
    if not time_text:
        return in_zone(f"{day}T00:00:00", _madrid())
    time_match = _TIME.match(time_text)
    if time_match is None:
        raise ValueError("horEvento is not HH:MM:SS")
    if len(time_text) != 8 or not time_text.isascii():  # not the usual HH:MM:SS: write it so
        hour_text, minute_text, second_text = time_match.groups()
        time_text = f"{int(hour_text):02d}:{int(minute_text):02d}:{int(second_text or 0):02d}"
    return in_zone(f"{day}T{time_text}", _madrid())


@functools.lru_cache(maxsize=256)  # a history has several events a day: each date is read once
def _day(date_text: str) -> str:
    """``DD/MM/YYYY`` -> ``YYYY-MM-DD``; ``ValueError`` when it is not that shape."""
    date_match = _DATE.match(date_text.strip())
    if date_match is None:
        raise ValueError("fecEvento is not DD/MM/YYYY")
    day, month, year = map(int, date_match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _str(value: Any) -> str:
    if type(value) is str:  # the common case first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("boolean where text was expected")
    if isinstance(value, str | int):
        return str(value).strip()
    raise TypeError(f"{type(value).__name__} where text was expected")


def _mapping(value: Any) -> Mapping[str, Any]:
    if type(value) is not dict and not isinstance(value, Mapping):
        raise TypeError("object expected")
    return value


#: Keys whose repeats all survive decoding: some localizador bodies repeat ``eventos`` (one
#: event per key) instead of sending one array (the corpus shows it; README "Tracking").
REPEATABLE_KEYS = frozenset({"eventos", "enviosAsociados"})


#: Each repeatable key as it stands in a body, quotes included.
_QUOTED_REPEATABLE = tuple(b'"' + key.encode() + b'"' for key in sorted(REPEATABLE_KEYS))
#: A ``\\u`` escape of an ASCII letter (``\\u0065`` is ``e``), which could spell a key in other bytes.
_LETTER_ESCAPE = re.compile(rb"\\u00[4-7]")


def repeats_possible(body: bytes) -> bool:
    """Whether a key of :data:`REPEATABLE_KEYS` could repeat in ``body``: its quoted name occurs
    more than once, or an escape could spell it. When not, :func:`correos_object` would build
    exactly the objects a plain decoder builds, and the body is decoded without it (faster)."""
    return any(body.count(key) > 1 for key in _QUOTED_REPEATABLE) or _LETTER_ESCAPE.search(body) is not None


def correos_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for localizador JSON: repeated :data:`REPEATABLE_KEYS` accumulate.

    Each repeat adds its value (an object, or every item of an array) to one list, in body
    order; any other repeated key keeps its last value, as :func:`json.loads` does.
    """
    obj = dict(pairs)
    if len(obj) == len(pairs):  # no key repeated: what the loop below builds
        return obj
    obj = {}
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


@functools.lru_cache(maxsize=256)  # a history names a few units, each many times
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
        raw_events = [raw_events]  # a single event is sent as a bare object (the corpus shows it)
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


# -- SOAP documents ---------------------------------------------------------------------------------


def add_child(parent: Element, tag: str, text: str | None = None) -> Element:
    """Append ``<tag>text</tag>`` to ``parent`` (text escaped when serialized)."""
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def soap_envelope() -> tuple[Element, Element]:
    """A SOAP 1.1 envelope in the service's own namespace, and its empty ``Body``.

    Literal prefixes keep the envelope as the service's samples show it; ElementTree escapes
    every text node, so names like ``Smith & Sons <Ltd>`` cannot break the document.
    """
    envelope = Element("soapenv:Envelope", {"xmlns:soapenv": SOAP_ENV_NS, "xmlns": PREREGISTRO_NS})
    add_child(envelope, "soapenv:Header")
    body = add_child(envelope, "soapenv:Body")
    return envelope, body


def serialize(envelope: Element) -> bytes:
    """The UTF-8 document of ``envelope``, with its XML declaration."""
    data: bytes = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return data


def annul_envelope(tracking_number: str) -> bytes:
    """The ``AnularOp`` envelope: ``PeticionAnular/codCertificado`` [M]."""
    envelope, body = soap_envelope()
    peticion = add_child(body, ANNUL_REQUEST_ELEMENT)
    add_child(peticion, "IdiomaErrores", ERROR_LANGUAGE)
    add_child(peticion, "codCertificado", tracking_number)
    return serialize(envelope)


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
