"""Hook specifications for carrier-sdk plugins (the plugin author's reference).

A plugin is a module named by an entry point in the ``carrier_sdk`` group::

    [project.entry-points.carrier_sdk]
    acme = "carrier_sdk_acme"

that implements the hooks below with :data:`hookimpl`::

    from carrier_sdk.hookspecs import hookimpl

    @hookimpl
    def register_carriers(registry):
        registry.add(AcmeCarrier)

Carrier *behaviour* is not a hook: it is the :class:`carrier_sdk.adapters.Carrier` subclass the plugin
registers. Hooks evolve by adding arguments only; an implementation may accept just the
arguments it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._registry import CarrierRegistry

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec", "register_carriers"]

#: The pluggy project name, also the entry-point group.
PROJECT_NAME = "carrier_sdk"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorate a plugin's hook implementations with this marker.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec(historic=True)
def register_carriers(registry: CarrierRegistry) -> None:
    """Register the plugin's carrier classes.

    When: once per plugin, the first time a client needs the list of carriers (loading is lazy:
    importing :mod:`carrier_sdk` loads no plugin), at the moment discovery registers the plugin
    with pluggy. The hook is *historic*: a plugin registered later on the same manager is
    called with the same registry when it is registered.

    How often: exactly once per plugin and registry. A hook that raises is recorded in
    ``Client.plugin_report()`` and logged, and whatever that plugin had added is removed; under
    ``CARRIER_SDK_STRICT_PLUGINS=1`` it raises :class:`carrier_sdk.PluginLoadError` instead.

    Args:
        registry: Call ``registry.add(CarrierClass)`` for each carrier, or
            ``registry.add_lazy("code", "package.module:CarrierClass")`` to import the carrier's
            module only when it is first used (what our own adapters do: discovery then imports
            no adapter module). A code already registered by another distribution is an error
            naming both.

    Returns:
        Nothing; the return value is ignored. ``historic``, not ``firstresult``.
    """
