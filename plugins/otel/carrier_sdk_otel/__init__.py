"""OpenTelemetry spans and metrics for carrier-sdk, from its observation hooks.

Installed, this distribution is a carrier-sdk plugin (entry point ``otel``): every client's calls
become spans and metrics in the global OpenTelemetry providers your application configures (with
only ``opentelemetry-api`` and no SDK configured they cost next to nothing and go nowhere). To
send them elsewhere, register an :class:`OpenTelemetryObserver` of your own::

    from carrier_sdk import default_plugin_manager
    from carrier_sdk_otel import OpenTelemetryObserver

    default_plugin_manager().register(OpenTelemetryObserver(tracer_provider=provider))

(and set ``CARRIER_SDK_DISABLE_PLUGINS=otel`` if the automatic one should not report too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import lazy_exports
from carrier_sdk.hookspecs import OperationResult, RequestAttempt, RetryDecision, hookimpl

if TYPE_CHECKING:
    from ._observer import MAX_PENDING_CALLS, OpenTelemetryObserver

__all__ = [
    "MAX_PENDING_CALLS",
    "OpenTelemetryObserver",
    "on_operation_result",
    "on_request_attempt",
    "on_retry_decision",
]


# OpenTelemetry is imported on first use, not when plugin discovery imports this package.
__getattr__, __dir__ = lazy_exports(
    __name__, {"MAX_PENDING_CALLS": "._observer", "OpenTelemetryObserver": "._observer"}
)


_default: OpenTelemetryObserver | None = None


def _global_observer() -> OpenTelemetryObserver:
    """The observer of the global providers, made on first use (a race makes two; both work)."""
    global _default
    if _default is None:
        from ._observer import OpenTelemetryObserver

        _default = OpenTelemetryObserver()
    return _default


@hookimpl
def on_request_attempt(event: RequestAttempt) -> None:
    """The plugin's hook: forwards to the global providers' observer."""
    _global_observer().on_request_attempt(event)


@hookimpl
def on_retry_decision(event: RetryDecision) -> None:
    """The plugin's hook: forwards to the global providers' observer."""
    _global_observer().on_retry_decision(event)


@hookimpl
def on_operation_result(event: OperationResult) -> None:
    """The plugin's hook: forwards to the global providers' observer."""
    _global_observer().on_operation_result(event)
