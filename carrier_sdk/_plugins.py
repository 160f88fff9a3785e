"""Plugin discovery: our own entry-point loop over the ``carrier_sdk`` group.

One entry point at a time, each inside ``try``: a broken plugin is recorded and logged, never
fatal (unless ``CARRIER_SDK_STRICT_PLUGINS=1``). ``CARRIER_SDK_DISABLE_PLUGINS=a,b`` blocks
plugins by entry-point name. ``CARRIER_SDK_TRACE_PLUGINS=1`` logs every hook call. Hooks are
called through pluggy's relay (``pm.hook.<name>``): ``register_carriers`` here, the observation
hooks from :mod:`carrier_sdk._observe`.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from ._exceptions import PluginLoadError
from ._registry import CarrierRegistry

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    import pluggy

__all__ = ["PluginFailure", "PluginManager", "PluginReport", "default_plugin_manager"]

logger = logging.getLogger("carrier_sdk")

# The entry-point group, also pluggy's project name (hookspecs.PROJECT_NAME; a test checks they agree).
ENTRY_POINT_GROUP = "carrier_sdk"


@attrs.frozen(kw_only=True)
class PluginFailure:
    """A plugin that failed to load or register."""

    name: str
    distribution: str
    error: str
    traceback: str = attrs.field(repr=False, default="")


@attrs.frozen(kw_only=True)
class PluginReport:
    """What discovery found: plugins loaded, blocked and failed.

    .. versionadded:: 0.1
    """

    loaded: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    failed: tuple[PluginFailure, ...] = ()
    carriers: tuple[str, ...] = ()


def _env_flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _installed_entry_points() -> Iterable[EntryPoint]:
    from importlib import metadata  # imported at discovery time, not with the SDK

    return metadata.entry_points(group=ENTRY_POINT_GROUP)


class PluginManager:
    """The plugins of one process: pluggy's manager and the carrier registry it fills.

    Discovery is lazy and happens once, on the first use of :attr:`registry`, :attr:`hook`,
    :meth:`register` or :meth:`report`. Clients use :func:`default_plugin_manager`; build your own
    only to discover into a separate registry.

    Args:
        environ: Environment read for ``CARRIER_SDK_STRICT_PLUGINS``,
            ``CARRIER_SDK_DISABLE_PLUGINS`` and ``CARRIER_SDK_TRACE_PLUGINS`` (default
            ``os.environ``).
        entry_points: Returns the entry points to load (default: the installed ``carrier_sdk``
            group).

    Attributes:
        pm: The underlying :class:`pluggy.PluginManager`.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        entry_points: Callable[[], Iterable[EntryPoint]] | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._entry_points = entry_points or _installed_entry_points
        self._lock = threading.Lock()
        self._registry: CarrierRegistry | None = None
        self._report = PluginReport()
        import pluggy  # with the first manager, not with the SDK (a client without plugins needs neither)

        from . import hookspecs

        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        if _env_flag(self._environ, "CARRIER_SDK_TRACE_PLUGINS"):
            self.pm.trace.root.setwriter(lambda msg: logger.debug("plugin trace: %s", msg.rstrip()))
            self.pm.enable_tracing()

    @property
    def registry(self) -> CarrierRegistry:
        """The registry, discovering plugins on first access."""
        if self._registry is None:
            with self._lock:
                if self._registry is None:
                    self._registry = self._discover()
        return self._registry

    @property
    def hook(self) -> pluggy.HookRelay:
        """pluggy's hook relay (``manager.hook.<name>(...)``), after discovery.

        .. versionadded:: 0.1
        """
        _ = self.registry
        return self.pm.hook

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register ``plugin`` (a module or an object with :data:`~carrier_sdk.hookspecs.hookimpl`
        methods) on this manager, after discovery; its ``register_carriers`` runs at once.

        Returns the name pluggy registered it under (``None`` if the name is blocked).

        .. versionadded:: 0.1
        """
        _ = self.registry
        return self.pm.register(plugin, name=name)

    def unregister(self, plugin: object) -> object | None:
        """Unregister ``plugin``; its hooks are called no more. The carriers it added stay.

        .. versionadded:: 0.1
        """
        return self.pm.unregister(plugin) if self.pm.is_registered(plugin) else None

    def report(self) -> PluginReport:
        """The :class:`PluginReport` (discovers plugins if not done yet)."""
        _ = self.registry
        return self._report

    def _discover(self) -> CarrierRegistry:
        strict = _env_flag(self._environ, "CARRIER_SDK_STRICT_PLUGINS")
        disabled = {n.strip() for n in self._environ.get("CARRIER_SDK_DISABLE_PLUGINS", "").split(",") if n.strip()}
        registry = CarrierRegistry()
        loaded: list[str] = []
        blocked: list[str] = []
        failed: list[PluginFailure] = []
        # register_carriers is historic: from here on, pluggy calls it for each plugin as that
        # plugin is registered, so a failure belongs to exactly one plugin.
        self.pm.hook.register_carriers.call_historic(kwargs={"registry": registry})
        for ep in sorted(self._entry_points(), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = getattr(dist, "name", "") or ""
            dist_version = getattr(dist, "version", "") or ""
            if ep.name in disabled:
                self.pm.set_blocked(ep.name)
                blocked.append(ep.name)
                logger.debug("plugin %s disabled by CARRIER_SDK_DISABLE_PLUGINS", ep.name)
                continue
            try:
                with registry.registering(dist_name, dist_version):
                    module = ep.load()
                    if self.pm.is_registered(module):
                        continue
                    self.pm.register(module, name=ep.name)
                loaded.append(ep.name)
            except Exception as err:
                if self.pm.has_plugin(ep.name):
                    self.pm.unregister(name=ep.name)
                message = f"{type(err).__name__}: {err}"
                logger.warning("carrier plugin %r (%s) failed to load: %s", ep.name, dist_name or "?", message)
                failure = PluginFailure(
                    name=ep.name,
                    distribution=dist_name,
                    error=message,
                    traceback="".join(traceback.format_exception(err)),
                )
                failed.append(failure)
                # Duplicate codes are always an error: silently picking one would be worse.
                if strict or isinstance(err, PluginLoadError):
                    raise PluginLoadError(
                        f"carrier plugin {ep.name!r} ({dist_name or '?'}) failed: {message}",
                        plugin=ep.name,
                        distribution=dist_name,
                    ) from err
        self.pm.check_pending()
        self._report = PluginReport(
            loaded=tuple(loaded),
            blocked=tuple(blocked),
            failed=tuple(failed),
            carriers=tuple(registry.codes()),
        )
        return registry


_default: PluginManager | None = None
_default_lock = threading.Lock()


def default_plugin_manager() -> PluginManager:
    """The process-wide :class:`PluginManager`: the installed plugins, the carriers of clients
    built without ``registry=``, and the observers every client reports to.

    .. versionadded:: 0.1
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = PluginManager()
    return _default
