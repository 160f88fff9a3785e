"""``carrier-sdk new-adapter NAME``: write a new adapter project that passes its own tests.

The project is rendered from the reference adapter, a tree of real files shipped as package data
in ``carrier_sdk/_template`` (the one adapter shape: ``__init__.py``, ``_wire.py``,
``_mapping.py``, ``_settings.py``, ``_carrier.py``, ``fake.py``, its tests, ``pyproject.toml``
and ``README.md``). Every file whose name ends in ``-tpl`` loses that suffix; ``${token}``
placeholders (:class:`string.Template`) in file names and contents are replaced by the values of
:func:`template_context`. The same template, rendered in memory for the code ``fakecarrier``, is
the testing kit's :class:`~carrier_sdk.testing.FakeCarrier` (:func:`load_reference`).

.. versionadded:: 0.1
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import re
import string
import sys
from collections.abc import Mapping, Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import CodeType, ModuleType

from ._exceptions import ConfigurationError
from ._version import VERSION

__all__ = ["load_reference", "project_files", "template_context", "template_files", "write_adapter"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
#: What a template file's name ends with (removed when rendering).
_SUFFIX = "-tpl"
#: The template directory's name for the adapter's package.
_PACKAGE_DIR = "${package}"


def core_requirement(version: str = VERSION) -> str:
    """The ``carrier-sdk`` requirement a new adapter declares: this version up to the next minor.

    It names the version that wrote the project (so it exists: it is the one installed), never a
    later release.
    """
    major, minor = (int(part) for part in version.split(".")[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f">={version},<{upper}"


def template_context(name: str) -> dict[str, str]:
    """The placeholder values of the adapter ``name`` (``acme``, ``parcel_hub``).

    Raises:
        ConfigurationError: ``name`` is not a lowercase identifier of 2-31 letters, digits and
            single underscores.
    """
    if not _NAME.match(name) or name.endswith("_") or "__" in name:
        raise ConfigurationError(
            f"adapter name {name!r} must be a lowercase identifier of 2-31 letters, digits and single underscores"
        )
    parts = name.split("_")
    letters = "".join(ch for ch in name.upper() if ch.isalpha())
    stem = "".join(p.capitalize() for p in parts)
    dist = "carrier-sdk-" + name.replace("_", "-")
    return {
        "code": name,
        "Class": stem,
        "carrier_class": f"{stem}Carrier",
        "settings_class": f"{stem}Settings",
        "fake_class": f"{stem}Fake",
        "display": " ".join(p.capitalize() for p in parts),
        "dist": dist,
        "package": "carrier_sdk_" + name,
        "prefix": (letters + "XX")[:2],
        "base_url": f"https://api.{name.replace('_', '-')}.example",
        "header": f"X-{stem}-Key",
        "sandbox_key": f"{name.replace('_', '-')}-sandbox-key",
        "docs_url": f"https://github.com/your-org/{dist}",
        "env": name.upper(),
        "core_pin": core_requirement(),
    }


def _template_root() -> Traversable:
    return files("carrier_sdk").joinpath("_template")


def _walk(folder: Traversable, prefix: str) -> dict[str, Traversable]:
    found: dict[str, Traversable] = {}
    for entry in folder.iterdir():
        if entry.name == "__pycache__":
            continue
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.update(_walk(entry, relative + "/"))
        else:
            found[relative] = entry
    return found


def template_files() -> dict[str, str]:
    """The reference adapter's template: file text by path relative to the template root.

    Read from the installed package data (``carrier_sdk/_template``), sorted by path.
    """
    entries = _walk(_template_root(), "")
    return {path: entries[path].read_text(encoding="utf-8") for path in sorted(entries)}


def _render(text: str, context: Mapping[str, str], where: str) -> str:
    try:
        return string.Template(text).substitute(context)
    except (KeyError, ValueError) as err:
        raise ConfigurationError(f"template {where}: bad placeholder ({err})") from None


def _rendered_path(path: str, context: Mapping[str, str]) -> str:
    path = _render(path, context, path)
    return path.removesuffix(_SUFFIX)


def project_files(name: str) -> dict[str, str]:
    """The files of a new adapter project, by relative path (rendered from :func:`template_files`)."""
    context = template_context(name)
    return {_rendered_path(path, context): _render(text, context, path) for path, text in template_files().items()}


def write_adapter(name: str, dest: Path) -> Path:
    """Write the project ``carrier-sdk-<name>`` under the directory ``dest``; return its path.

    Raises:
        ConfigurationError: ``name`` is not a lowercase identifier, or the project directory
            already exists and is not empty.
    """
    files_ = project_files(name)
    root = Path(dest) / template_context(name)["dist"]
    if root.exists() and any(root.iterdir()):
        raise ConfigurationError(f"{root} already exists and is not empty")
    for relative, text in files_.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


# -- the reference adapter as modules (the testing kit's FakeCarrier) ----------------------------


class _RenderedModules(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Finds and loads the modules of one rendered template package, from memory.

    Each module's file name is ``carrier_sdk/_template/<package>/<module>.py``, a path that names
    the template and the rendered package and exists nowhere: tracebacks and :mod:`inspect` get
    the rendered text from :meth:`get_source` (rendering keeps the template's line numbers).
    """

    def __init__(self, package: str, sources: Mapping[str, tuple[str, str]]) -> None:
        self.package = package
        self.sources = dict(sources)  # module name -> (template file, rendered source)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.sources:
            return None
        origin = self.sources[fullname][0]
        spec = importlib.util.spec_from_loader(fullname, self, origin=origin, is_package=self.is_package(fullname))
        if spec is not None:
            spec.has_location = True  # __file__ is set, for tools that want one
            if fullname == self.package:
                spec.submodule_search_locations = []
        return spec

    def is_package(self, fullname: str) -> bool:
        return fullname == self.package

    def get_source(self, fullname: str) -> str:
        if fullname not in self.sources:
            raise ImportError(f"no rendered module {fullname!r}", name=fullname)
        return self.sources[fullname][1]

    def get_code(self, fullname: str) -> CodeType:
        origin, source = self.sources[fullname]
        return compile(source, origin, "exec", dont_inherit=True)


def load_reference(package: str, context: Mapping[str, str]) -> ModuleType:
    """Import the template's adapter package rendered for ``context`` as the package ``package``.

    ``context`` holds the values of :func:`template_context` (with ``package`` equal to the
    ``package`` argument); the modules (``package._carrier``, ``package.fake``, ...) are
    rendered in memory and imported on demand through a finder on :data:`sys.meta_path`, so
    string references such as ``Carrier.fake`` resolve in any process that imported the caller.
    Loading the same package twice returns the module already imported.
    """
    if context.get("package") != package:
        raise ConfigurationError(f"context package {context.get('package')!r} is not {package!r}")
    if package in sys.modules:
        return sys.modules[package]
    root = _template_root()
    sources: dict[str, tuple[str, str]] = {}
    for path, text in template_files().items():
        head, _, file_name = path.partition("/")
        if head != _PACKAGE_DIR or not file_name.endswith(".py" + _SUFFIX):
            continue
        stem = file_name.removesuffix(".py" + _SUFFIX)
        fullname = package if stem == "__init__" else f"{package}.{stem}"
        # A file name that names both (and exists nowhere, so line caches ask the loader for the text).
        origin = str(root.joinpath(package, stem + ".py"))
        sources[fullname] = (origin, _render(text, context, path))
    sys.meta_path.append(_RenderedModules(package, sources))
    return importlib.import_module(package)
