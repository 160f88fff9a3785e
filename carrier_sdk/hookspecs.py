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

from ._events import OperationResult, RequestAttempt, RetryDecision

if TYPE_CHECKING:
    from ._registry import CarrierRegistry

__all__ = [
    "PROJECT_NAME",
    "OperationResult",
    "RequestAttempt",
    "RetryDecision",
    "hookimpl",
    "hookspec",
    "on_operation_result",
    "on_request_attempt",
    "on_retry_decision",
    "register_carriers",
]

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


@hookspec
def on_request_attempt(event: RequestAttempt) -> None:
    """Observe one request attempt (one HTTP exchange, or one that failed to happen).

    When: after every attempt of every request a client sends, the first and each retry, once
    its answer is read (or its transport error raised) and before the retry decision.

    How often: once per attempt. Called synchronously where the call runs; keep it quick.

    Args:
        event: The :class:`RequestAttempt`: carrier, operation, attempt number, method, host,
            status code or error type, duration, sandbox flag; no secret, path, query or body.

    Returns:
        Nothing; the return value is ignored. Not ``firstresult``, not ``historic``.
    """


@hookspec
def on_retry_decision(event: RetryDecision) -> None:
    """Observe the decision taken after an attempt that failed in a way worth retrying.

    When: after an attempt that ended in a transport error or a retryable status (429, 5xx
    ...), once the engine decided to retry (``event.retry``, with the ``delay`` it will sleep)
    or to stop (with the ``reason``). Successes and final statuses such as a 404 make no
    decision.

    How often: at most once per attempt. Called synchronously where the call runs.

    Args:
        event: The :class:`RetryDecision`.

    Returns:
        Nothing; the return value is ignored. Not ``firstresult``, not ``historic``.
    """


@hookspec
def on_operation_result(event: OperationResult) -> None:
    """Observe the end of one SDK call (``track``, ``create_shipment``, a step of bulk work).

    When: when the call returns or raises, after its last attempt; ``event.error_type`` names
    the error raised (``None`` on success).

    How often: exactly once per call that reached a carrier adapter. Called synchronously where
    the call runs.

    Args:
        event: The :class:`OperationResult`.

    Returns:
        Nothing; the return value is ignored. Not ``firstresult``, not ``historic``.
    """
