"""Sphinx configuration for the carrier-sdk documentation (Sphinx + furo + MyST).

Build with ``sphinx-build -W -b html docs docs/_build/html``; the build needs no network.
"""

from __future__ import annotations

import enum
import logging
import sys
from pathlib import Path
from typing import Any

import attrs

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PLUGINS = ROOT / "plugins"

# Import the working tree's package even when it is not installed.
sys.path.insert(0, str(ROOT))

import carrier_sdk  # noqa: E402  (needs the path above)

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

nitpicky = False
suppress_warnings: list[str] = []


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

    A README is written for GitHub: its relative links (``carrier_sdk_usps/_schemas.py``) point
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


def _default_text(value: Any) -> str:
    if isinstance(value, attrs.Factory):
        return "<factory>"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return repr(value)


def _attrs_signature(
    app: Any, what: str, name: str, obj: Any, options: Any, signature: str | None, return_annotation: str | None
) -> tuple[str, str | None] | None:
    """Show an attrs model's fields with their declared types.

    The generated ``__init__`` of a field with a converter takes ``Any``, and its defaults read
    ``attr_dict['name'].default``; the field declarations are what a reader needs.
    """
    if what not in ("class", "exception") or not (isinstance(obj, type) and attrs.has(obj)):
        return None
    positional, keyword = [], []
    for field in attrs.fields(obj):
        if not field.init:
            continue
        hint = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", None)
        text = (field.alias or field.name) + (f": {hint}" if hint else "")
        if field.default is not attrs.NOTHING:
            text += f" = {_default_text(field.default)}"
        (keyword if field.kw_only else positional).append(text)
    params = positional + (["*", *keyword] if keyword else [])
    return f"({', '.join(params)})", return_annotation


def setup(app: Any) -> None:
    app.connect("autodoc-process-signature", _attrs_signature)
    app.connect("source-read", _drop_missing_pages)
    readme_filter = _PluginReadmeFilter()
    for handler in logging.getLogger("sphinx").handlers:
        # First in line, so a dropped record is neither counted nor raised by -W.
        handler.filters.insert(0, readme_filter)
