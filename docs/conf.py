"""Sphinx configuration for the carrier-sdk documentation (Sphinx + furo + MyST).

Build with ``sphinx-build -W -b html docs docs/_build/html``; the build needs no network.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PLUGINS = ROOT / "plugins"

# Import the working tree's package even when it is not installed.
sys.path.insert(0, str(ROOT))

import carrier_sdk  # noqa: E402  (needs the path above)
import carrier_sdk.adapters  # noqa: E402

#: Names documented once, under ``carrier_sdk.adapters``, also where written as ``carrier_sdk.<name>``.
ADAPTER_NAMES = frozenset(carrier_sdk.adapters.__all__)

project = "carrier-sdk"
author = "carrier-sdk developers"
copyright = "carrier-sdk developers"
release = carrier_sdk.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

# The build must work offline: no inventories are fetched.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# Pages that may be absent from a checkout: pages other contributors write, and the carrier
# pages, which only include their plugin's README. A missing one is excluded and its toctree
# entry dropped (see _drop_missing_pages), so the rest of the site still builds with -W.
CARRIER_PLUGINS = ("usps", "cainiao", "correos", "singpost")
OPTIONAL_PAGES: dict[str, Path] = {
    "cli": DOCS / "cli.md",
    "writing-adapters": DOCS / "writing-adapters.md",
    "testing": DOCS / "testing.md",
    **{f"carriers/{name}": PLUGINS / name / "README.md" for name in CARRIER_PLUGINS},
}
MISSING_PAGES = frozenset(page for page, needed in OPTIONAL_PAGES.items() if not needed.exists())
exclude_patterns += [f"{page}.md" for page in MISSING_PAGES]

myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"carrier-sdk {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
autodoc_default_options: dict[str, Any] = {}

napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Attributes as :ivar: fields: no index entries, so an attribute documented on a base class and
# a subclass never clashes.
napoleon_use_ivar = True

# Every cross-reference must resolve: a broken one fails the build (-W in CI).
nitpicky = True
suppress_warnings: list[str] = []

# The build is offline (no intersphinx inventories), so references to the standard library and to
# third-party packages cannot resolve; they render as plain text. Only these are let through:
# a reference into carrier_sdk that does not resolve is an error.
EXTERNAL_MODULES = (
    "_pytest",
    "asyncio",
    "attr",
    "attrs",
    "click",
    "collections",
    "concurrent",
    "contextlib",
    "datetime",
    "decimal",
    "enum",
    "http",
    "httpx",
    "io",
    "ipaddress",
    "json",
    "logging",
    "opentelemetry",
    "os",
    "pathlib",
    "pluggy",
    "pytest",
    "random",
    "respx",
    "sqlite3",
    "ssl",
    "threading",
    "types",
    "typing",
    "typing_extensions",
    "uuid",
    "xml",
)
#: Names the standard library and attrs give to annotations that are written unqualified.
EXTERNAL_NAMES = (
    "Any",
    "AsyncIterator",
    "AttrsInstance",
    "Awaitable",
    "Callable",
    "ClassVar",
    "Counter",
    "Decimal",
    "Element",
    "Enum",
    "EntryPoint",
    "Generator",
    "Iterable",
    "Iterator",
    "Literal",
    "Mapping",
    "MutableMapping",
    "Path",
    "PathLike",
    "Self",
    "Sequence",
    "date",
    "datetime",
    "timedelta",
    "tzinfo",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(EXTERNAL_MODULES)})(\..+)?"),
    (r"py:.*", rf"({'|'.join(EXTERNAL_NAMES)})"),
    # The internal rate limiter that state backends hand to the clients (not public API).
    (r"py:class", r"(carrier_sdk\._ratelimit\.)?RateLimiter"),
    # Subscripted annotations Sphinx cannot split when it re-parses a string annotation.
    (r"py:class", r"(Callable|Mapping|dict|tuple|list)\[.*"),
    # The type of the NOT_GIVEN sentinel, which is documented on the clients page.
    (r"py:class", r"(carrier_sdk\._constants\.)?NotGiven"),
    # Type variables of generic functions and classes (T, E ...) are not documented objects.
    (r"py:.*", r"(carrier_sdk(\.\w+)*\.)?_?[A-Z]"),
]

#: Public namespaces, searched in this order for a name written unqualified or through a private
#: module (``carrier_sdk._carrier.Carrier`` is documented as ``carrier_sdk.Carrier``).
PUBLIC_NAMESPACES = (
    "carrier_sdk",
    "carrier_sdk.adapters",
    "carrier_sdk.sandbox",
    "carrier_sdk.fakes",
    "carrier_sdk.testing",
    "carrier_sdk.testing.conformance",
    "carrier_sdk.hookspecs",
    "carrier_sdk.watch",
    "carrier_sdk.state",
    "carrier_sdk.cli",
)


def _drop_missing_pages(app: Any, docname: str, source: list[str]) -> None:
    """Remove toctree entries that name a page in ``MISSING_PAGES``."""
    folder = docname.rpartition("/")[0]
    lines = []
    in_toctree = False
    for line in source[0].splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("```{toctree}"):
            in_toctree = True
        elif in_toctree and stripped.startswith("```"):
            in_toctree = False
        elif in_toctree and stripped and not stripped.startswith(":"):
            target = f"{folder}/{stripped}" if folder else stripped
            if target in MISSING_PAGES:
                continue
        lines.append(line)
    source[0] = "".join(lines)


_README_SOURCES = (str(PLUGINS) + "/", *(str(DOCS / "carriers" / f"{name}.md") for name in CARRIER_PLUGINS))


class _PluginReadmeFilter(logging.Filter):
    """Drop MyST link and heading-level warnings raised inside an included plugin README.

    A README is written for GitHub: its relative links (``carrier_sdk_usps/_wire.py``) point
    at files that are not documents here, and they render as plain text instead. Warnings from
    our own pages still fail the build. MyST reports some of them against the README and some
    against the carrier page that includes it, which holds nothing else.
    """

    SUBTYPES = frozenset({"xref_missing", "header"})

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "type", "") != "myst" or getattr(record, "subtype", "") not in self.SUBTYPES:
            return True
        location = getattr(record, "location", None)
        source = getattr(location, "source", None) or (location if isinstance(location, str) else "")
        if isinstance(location, tuple) and location:  # (docname, line)
            source = str(DOCS / f"{location[0]}.md")
        return not str(source).startswith(_README_SOURCES)


def _public_candidates(target: str) -> list[str]:
    """Where an unresolved reference to ``target`` may be documented under its public name."""
    if target.startswith("carrier_sdk."):
        parts = target.split(".")
        private = [i for i, part in enumerate(parts) if part.startswith("_")]
        if not private:  # the adapter API is documented under carrier_sdk.adapters only
            name = target.removeprefix("carrier_sdk.").partition(".")[0]
            return [f"carrier_sdk.adapters.{target.removeprefix('carrier_sdk.')}"] if name in ADAPTER_NAMES else []
        tail = ".".join(parts[private[-1] + 1 :])
        if not tail:
            return []
        package = ".".join(parts[: private[0]])
        return [f"{package}.{tail}", *(f"{ns}.{tail}" for ns in PUBLIC_NAMESPACES)]
    return [f"{ns}.{target}" for ns in PUBLIC_NAMESPACES]


def _resolve_public(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``carrier_sdk._private.Name`` and bare ``Name`` to the documented public object."""
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    for candidate in _public_candidates(node["reftarget"]):
        found = domain.resolve_xref(
            env, node.get("refdoc", ""), app.builder, node["reftype"], candidate, node, contnode
        )
        if found is not None:
            return found
    return None


def setup(app: Any) -> None:
    app.connect("missing-reference", _resolve_public)
    app.connect("source-read", _drop_missing_pages)
    readme_filter = _PluginReadmeFilter()
    for handler in logging.getLogger("sphinx").handlers:
        # First in line, so a dropped record is neither counted nor raised by -W.
        handler.filters.insert(0, readme_filter)
