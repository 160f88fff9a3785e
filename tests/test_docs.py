"""The documentation stays complete and builds: hooks, exceptions, docstrings, defaults, Sphinx."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import pkgutil
import sys
from functools import cache
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import attrs
import pluggy
import pytest

import carrier_sdk
import carrier_sdk.adapters
from carrier_sdk import hookspecs

from ._helpers import ROOT, run_captured

DOCS = ROOT / "docs"

PUBLIC_NAMES = sorted(name for name in carrier_sdk.__all__ if not (name.startswith("__") and name.endswith("__")))
EXCEPTION_NAMES = sorted(
    name
    for name in PUBLIC_NAMES
    if isinstance(getattr(carrier_sdk, name), type) and issubclass(getattr(carrier_sdk, name), BaseException)
)


def _page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _hook_signatures() -> dict[str, tuple[str, ...]]:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    signatures = {}
    for name, caller in vars(pm.hook).items():
        if isinstance(caller, pluggy.HookCaller) and caller.spec is not None:
            signatures[name] = tuple(caller.spec.argnames)
    return signatures


def test_hookspecs_found() -> None:
    # Guards the next test against passing vacuously.
    assert "register_carriers" in _hook_signatures()


@pytest.mark.parametrize("hook", sorted(_hook_signatures()))
def test_every_hook_is_documented(hook: str) -> None:
    text = _page("plugin-hooks.md")
    argnames = _hook_signatures()[hook]
    assert f"{hook}(" in text, f"docs/plugin-hooks.md does not mention {hook}()"
    signature = f"{hook}({', '.join(argnames)})"
    assert signature in text, f"docs/plugin-hooks.md lacks the signature {signature}"
    for arg in argnames:
        assert arg in text, f"docs/plugin-hooks.md does not describe argument {arg!r} of {hook}"
    assert "automodule:: carrier_sdk.hookspecs" in text


def test_exceptions_found() -> None:
    assert {"CarrierError", "APIError", "OutcomeUnknownError"} <= set(EXCEPTION_NAMES)


@pytest.mark.parametrize("name", EXCEPTION_NAMES)
def test_every_exported_exception_is_documented(name: str) -> None:
    text = _page("errors.md")
    assert name in text, f"docs/errors.md does not name {name}"
    assert f"autoexception:: carrier_sdk.{name}\n" in text, f"docs/errors.md has no autoexception for {name}"


# -- docstrings ---------------------------------------------------------------------------------


@cache
def _core_modules() -> tuple[ModuleType, ...]:
    modules = [carrier_sdk]
    for info in pkgutil.iter_modules(carrier_sdk.__path__, "carrier_sdk."):
        if not info.ispkg:
            modules.append(importlib.import_module(info.name))
    return tuple(modules)


@cache
def _doc_comments(path: str) -> frozenset[str]:
    """Top-level names of ``path`` documented Sphinx-style: ``#:`` above, or a string below."""
    source = Path(path).read_text(encoding="utf-8")
    lines = source.splitlines()
    documented = set()
    body = ast.parse(source).body
    for index, node in enumerate(body):
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        else:
            continue
        above = lines[node.lineno - 2].strip() if node.lineno >= 2 else ""
        following = body[index + 1] if index + 1 < len(body) else None
        below = (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        )
        if above.startswith("#:") or below:
            documented.update(targets)
    return frozenset(documented)


def _has_docstring(name: str, obj: Any) -> bool:
    if isinstance(obj, type):
        return bool((obj.__dict__.get("__doc__") or "").strip())
    if isinstance(obj, FunctionType) or inspect.isbuiltin(obj):
        return bool((obj.__doc__ or "").strip())
    # Data: a ``#:`` comment where it is defined, or a sentinel whose own class documents it.
    for module in _core_modules():
        defined_here = name in getattr(module, "__all__", ()) and getattr(module, name, None) is obj
        if defined_here and module.__file__ and name in _doc_comments(module.__file__):
            return True
    own_type = type(obj)
    return own_type.__module__.startswith("carrier_sdk") and bool((own_type.__dict__.get("__doc__") or "").strip())


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_every_public_name_has_a_docstring(name: str) -> None:
    assert _has_docstring(name, getattr(carrier_sdk, name)), f"carrier_sdk.{name} has no docstring or #: comment"


@pytest.mark.parametrize("name", sorted(carrier_sdk.adapters.__all__))
def test_every_adapter_api_name_has_a_docstring_and_a_reference_entry(name: str) -> None:
    obj = getattr(carrier_sdk.adapters, name)
    assert _has_docstring(name, obj), f"carrier_sdk.adapters.{name} has no docstring or #: comment"
    documented_on = [page.name for page in DOCS.glob("*.md") if f"carrier_sdk.adapters.{name}" in _page(page.name)]
    assert documented_on, f"no page of docs/ documents carrier_sdk.adapters.{name}"


def test_docstring_check_rejects_borrowed_docs() -> None:
    # A float constant "has" float's docstring; that must not count.
    assert not _has_docstring("UNDOCUMENTED", 60.0)
    assert _has_docstring("DEFAULT_DEADLINE", carrier_sdk.DEFAULT_DEADLINE)


# -- facts quoted in the prose ----------------------------------------------------------------


def test_reliability_page_quotes_the_current_retry_defaults() -> None:
    text = _page("reliability.md")
    policy = carrier_sdk.RetryPolicy()
    for field in attrs.fields(carrier_sdk.RetryPolicy):
        value = getattr(policy, field.name)
        if field.name == "statuses":
            shown = ", ".join(str(s) for s in sorted(value))
        elif field.name in ("max_retries", "interactive_max_retries"):
            shown = str(value)
        else:
            shown = f"{value:g} s"
        assert f"| `{field.name}` | {shown} |" in text, f"reliability.md: default of {field.name} is {shown}"
    budget = carrier_sdk.RetryBudget()
    assert f"{budget.capacity} tokens, a retry costs {budget.retry_cost}" in text
    assert f"({budget.timeout_cost} after a timeout" in text
    assert f"default {carrier_sdk.DEFAULT_DEADLINE:g} s" in text


# -- the build ------------------------------------------------------------------------------------


def _missing_doc_tools() -> list[str]:
    return [name for name in ("sphinx", "furo", "myst_parser") if importlib.util.find_spec(name) is None]


def _conf() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__file__": str(DOCS / "conf.py"), "__name__": "docs_conf"}
    exec(compile((DOCS / "conf.py").read_text(encoding="utf-8"), str(DOCS / "conf.py"), "exec"), namespace)
    return namespace


def _ignored(conf: dict[str, Any], role: str, target: str) -> bool:
    import re

    return any(
        re.fullmatch(kind, role) and re.fullmatch(pattern, target) for kind, pattern in conf["nitpick_ignore_regex"]
    )


def test_docs_are_nitpicky_and_ignore_only_outside_names() -> None:
    conf = _conf()
    assert conf["nitpicky"] is True
    for target in ("httpx.Request", "decimal.Decimal", "collections.abc.Iterable", "datetime", "carrier_sdk._client.T"):
        assert _ignored(conf, "py:class", target), target
    for target in (
        "carrier_sdk.Client",
        "carrier_sdk.NoSuchThing",
        "carrier_sdk.sandbox.Sandbox",
        "Journey",
        "Sandbox",
    ):
        assert not _ignored(conf, "py:class", target), f"a broken reference to {target} would not fail the build"
    assert not _ignored(conf, "py:meth", "carrier_sdk.Client.no_such_method")


def test_private_paths_resolve_to_public_names() -> None:
    candidates = _conf()["_public_candidates"]
    assert "carrier_sdk.adapters.Carrier" in candidates("carrier_sdk._carrier.Carrier")
    assert "carrier_sdk.watch.WatchedParcel" in candidates("carrier_sdk.watch._model.WatchedParcel")
    assert "carrier_sdk.sandbox.Sandbox" in candidates("Sandbox")
    assert candidates("carrier_sdk.Client") == []  # a public path that does not resolve stays broken
    assert candidates("carrier_sdk.Carrier.api_error") == ["carrier_sdk.adapters.Carrier.api_error"]


@pytest.mark.skipif(bool(_missing_doc_tools()), reason="needs the docs extra (sphinx, furo, myst-parser)")
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "-n",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        str(DOCS),
        str(tmp_path / "html"),
    ]
    result = run_captured(command, timeout=120)
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout}\n{result.stderr}"
    html = (tmp_path / "html" / "errors.html").read_text(encoding="utf-8")
    assert "OutcomeUnknownError" in html
    assert (tmp_path / "html" / "plugin-hooks.html").exists()


def test_ci_builds_the_docs_nitpicky_with_warnings_as_errors() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    build = next(line for line in ci.splitlines() if "-m sphinx" in line)
    assert " -n " in build
    assert " -W " in build
