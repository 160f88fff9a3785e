"""Refusing plain ``http://`` carrier URLs outside the sandbox and loopback (issue 18).

Production credentials (OAuth secrets, API keys, payment tokens) must not cross a network in
cleartext by accident: a base URL mistyped as ``http://`` is refused before any I/O unless the
client was built with ``allow_insecure_http=True``. Loopback hosts (local fakes, mock servers,
a tunnel's local end) and the in-process sandbox are always allowed.
"""

from __future__ import annotations

import functools
import ipaddress

import httpx

from ._exceptions import ConfigurationError

__all__ = ["check_cleartext", "is_loopback"]


@functools.lru_cache(maxsize=256)  # asked on every cleartext request; a client talks to few hosts
def is_loopback(host: str) -> bool:
    """``localhost`` (and its subdomains), ``127.0.0.0/8`` and ``::1``."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_cleartext(request: httpx.Request, *, carrier: str, allowed: bool) -> None:
    """Raise :class:`ConfigurationError` for a cleartext request that is not allowed."""
    if request.url.scheme != "http" or allowed or is_loopback(request.url.host):
        return
    raise ConfigurationError(
        f"{carrier}: refusing to send a request to http://{request.url.host} in cleartext (credentials "
        "would cross the network unencrypted); use an https:// URL, or pass allow_insecure_http=True "
        "to Client/AsyncClient (--allow-insecure-http on the command line) to allow cleartext on purpose",
        carrier=carrier,
    )
