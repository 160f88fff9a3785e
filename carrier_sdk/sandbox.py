"""The sandbox: every installed carrier's fake behind one transport (built by the sandbox issue)."""

from __future__ import annotations

from typing import Any

from ._exceptions import ConfigurationError

__all__ = ["Sandbox"]


class Sandbox:
    """Placeholder until the sandbox lands: constructing it raises a clear error."""

    def __init__(self, **kwargs: Any) -> None:
        raise ConfigurationError("sandbox mode is not available yet in this version of carrier-sdk")

    def settings_for(self, code: str) -> dict[str, Any]:
        raise NotImplementedError

    def quota_for(self, code: str) -> Any:
        raise NotImplementedError

    def transport(self) -> Any:
        raise NotImplementedError

    def async_transport(self) -> Any:
        raise NotImplementedError
