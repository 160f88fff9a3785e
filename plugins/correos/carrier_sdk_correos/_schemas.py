"""Correos wire constants and the small wire schemas the adapter reads.

Facts come from WIRE.md §4. Every guess is a named constant whose name or comment says
``[A]`` (assumption) or ``[M]`` (one source only); the README lists them all.
"""

from __future__ import annotations

import re

import attrs

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
    "LABEL_MODE_PDF",
    "LENGTH_LIMITS",
    "MAX_CUSTOMS_LINES",
    "MADRID_TZ",
    "NOT_FOUND_CODE",
    "PREREGISTRO_NS",
    "PREREGISTRO_SOAP_ACTION",
    "PREREGISTRO_URLS",
    "SOAP_ENV_NS",
    "TRACKING_AUTH_ERROR_WORDS",
    "TRACKING_BASE_URL",
    "FOUND_CODE",
    "TRACKING_LANGUAGE",
    "LocalizadorEvent",
    "LocalizadorShipment",
    "PreregistroResult",
    "AnnulResult",
    "SoapFault",
]

# -- endpoints -----------------------------------------------------------------------------------

#: Authenticated localizador; ``/{code}`` is appended [V-3p].
TRACKING_BASE_URL = "https://localizador.correos.es/canonico/eventos_envio_servicio_auth"
#: ``codIdioma`` sent with tracking requests (``ES`` or ``EN``).
TRACKING_LANGUAGE = "ES"
#: Pre-registration SOAP endpoints by environment [V-3p].
PREREGISTRO_URLS = {
    "production": "https://preregistroenvios.correos.es/preregistroenvios",
    "pre-production": "https://preregistroenviospre.correos.es/preregistroenvios",
}

# -- SOAP ----------------------------------------------------------------------------------------

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PREREGISTRO_NS = "http://www.correos.es/iris6/services/preregistroetiquetas"
#: SOAPAction of the single-parcel pre-registration [V-3p].
PREREGISTRO_SOAP_ACTION = "PreRegistro"
#: SOAPAction of the annulment: the WSDL operation name [V-3p: soapAction = operation name].
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
#: ``IdiomaErrores`` is sent empty (Correos' default language) [V-3p sample].
ERROR_LANGUAGE = ""

# -- pre-registration defaults ----------------------------------------------------------------------

#: ``CodProducto`` when ``ShipmentRequest.service`` is not given: S0132 "Paq Premium" [V-3p].
DEFAULT_PRODUCT = "S0132"
#: ``ModalidadEntrega`` ST = home delivery (standard) [V-3p enum].
DEFAULT_DELIVERY_MODE = "ST"
#: ``TipoFranqueo`` FP = franqueo pagado [V-3p enum].
DEFAULT_FRANKING = "FP"
#: ``ModDevEtiqueta`` 2 = label returned inline as PDF [V-3p].
LABEL_MODE_PDF = "2"
#: [A] ``Aduana/TipoEnvio`` for merchandise. Seen as 2 (PrestaShop module) and 4 (a TS client).
CUSTOMS_TIPO_ENVIO = {"merchandise": "2", "gift": "1", "documents": "3", "sample": "4", "returned_goods": "5"}
#: [A] ``DATOSADUANA/Valorneto`` is sent in euro cents (integer); ``Pesoneto`` in grams.
CUSTOMS_VALUE_IN_CENTS = True
#: [M] Correos accepts up to 5 ``DATOSADUANA`` lines (a TS client's comment).
MAX_CUSTOMS_LINES = 5

#: WSDL length limits, checked before sending [V-3p].
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
    # [A] not in the WIRE.md list; kept generous but bounded.
    "Descripcion": 100,
}

# -- tracking ------------------------------------------------------------------------------------

#: ``error.codError`` of a number the localizador does not know (yet) [V-3p].
NOT_FOUND_CODE = "3"
#: ``error.codError`` of success [V-3p].
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
