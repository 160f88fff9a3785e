"""Module attributes imported on first access (PEP 562), for packages that must import cheaply."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(module_name: str, mapping: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``(__getattr__, __dir__)`` pair that imports each public name on first access.

    ``mapping`` maps each name to the module that defines it, relative to ``module_name`` (a
    package, as in ``__init__.py``) or absolute::

        __getattr__, __dir__ = lazy_exports(__name__, {"AcmeCarrier": "._carrier"})

    Plugin discovery imports an adapter's package to find its hook; with this, that import loads
    no adapter module. The first access imports the module and keeps the value in the package's
    namespace, so later accesses are plain attribute reads. An unknown name raises
    :class:`AttributeError`, as for any module; ``dir()`` lists the module's names and the lazy
    ones. Bad mappings fail at once: every value must be a module path (``"._carrier"``).

    .. versionadded:: 0.4
    """
    targets = dict(mapping)
    for name, target in targets.items():
        if (
            not name.isidentifier()
            or not target
            or not all(part.isidentifier() for part in target.lstrip(".").split("."))
        ):
            raise ValueError(f"lazy export {name!r} -> {target!r}: expected an identifier and a module path")

    def __getattr__(name: str) -> Any:
        target = targets.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(target, module_name), name)
        setattr(sys.modules[module_name], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module_name])) | targets.keys())

    return __getattr__, __dir__
