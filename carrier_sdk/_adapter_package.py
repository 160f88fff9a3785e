"""The ``__init__.py`` of an adapter package: its lazy public names and its registration hook."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._lazy import lazy_exports
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from ._registry import CarrierRegistry

__all__ = ["lazy_adapter"]


def lazy_adapter(
    package: str, code: str, carrier: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], Callable[[CarrierRegistry], None]]:
    """An adapter package's ``(__getattr__, __dir__, register_carriers)``, for its ``__init__.py``::

        __getattr__, __dir__, register_carriers = lazy_adapter(
            __name__, "acme", "AcmeCarrier", {"AcmeSettings": "._settings"}
        )

    ``carrier`` names the :class:`~carrier_sdk.adapters.Carrier` subclass in the package's
    ``_carrier`` module (the one adapter shape). The hook registers it under ``code`` with
    :meth:`~carrier_sdk.CarrierRegistry.add_lazy`, and it and the names of ``exports`` (name to
    module, as for :func:`lazy_exports`) are the package's public names, each imported on first
    access. Plugin discovery imports the package to find the hook, so discovery imports no
    adapter module; the class is imported when the carrier is first used.

    Raises:
        ValueError: ``carrier`` is not an identifier, or a mapping is malformed (see
            :func:`lazy_exports`).

    .. versionadded:: 0.4
    """
    if not carrier.isidentifier():
        raise ValueError(f"carrier class name {carrier!r} is not an identifier")
    target = f"{importlib.util.resolve_name('._carrier', package)}:{carrier}"
    __getattr__, __dir__ = lazy_exports(package, {carrier: "._carrier", **exports})

    @hookimpl
    def register_carriers(registry: CarrierRegistry) -> None:
        registry.add_lazy(code, target)

    register_carriers.__module__ = package
    register_carriers.__doc__ = f"Register :class:`{carrier}` (its module is imported on first use)."
    return __getattr__, __dir__, register_carriers
