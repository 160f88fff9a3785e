"""Every Python block in README.md and docs/ runs against the sandbox and passes mypy --strict and pyright.

How blocks are read (README.md's "Documentation" section states the convention):

- A ```` ```python ```` block runs. The runnable blocks of one page form one program, in page
  order, so a later block may use what an earlier one defined. ``Client()`` and
  ``AsyncClient()`` built without ``transport=`` or ``sandbox=`` talk to the sandbox here.
- A block whose first line is ``# name.py`` is that file: the page's files are written side by
  side, and when one is a ``test_*.py`` pytest runs them.
- ```` ```python no-run ```` marks a block that deliberately does not run (it needs production
  credentials, a web server or an event loop the page describes): it is still type-checked, on
  its own, so it must be complete. One that awaits at the top level (a notebook cell) is
  type-checked as the body of a coroutine.

Every program, file and no-run block is type-checked with ``mypy --strict`` and pyright
(standard mode).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ._helpers import ROOT, run_captured

DOCS = ROOT / "docs"
EXAMPLE_ADAPTER = ROOT / "examples" / "carrier-sdk-acme"
PYRIGHT_VERSION = "1.1.414"

_FENCE = re.compile(r"^```python([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_FILE_MARKER = re.compile(r"#\s*([A-Za-z_][\w/]*\.py)\s*$")
KNOWN_FLAGS = frozenset({"no-run"})

RUNNER = '''\
"""Run a docs program with Client()/AsyncClient() pointed at the sandbox unless told otherwise."""
import runpy
import sys

import carrier_sdk


def _sandboxed(base):
    class Sandboxed(base):
        def __init__(self, *args, **kwargs):
            if "transport" not in kwargs and "sandbox" not in kwargs:
                kwargs["sandbox"] = True
            super().__init__(*args, **kwargs)

    Sandboxed.__name__ = Sandboxed.__qualname__ = base.__name__
    return Sandboxed


carrier_sdk.Client = _sandboxed(carrier_sdk.Client)
carrier_sdk.AsyncClient = _sandboxed(carrier_sdk.AsyncClient)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
'''


@dataclass
class Block:
    page: str
    line: int
    flags: frozenset[str]
    code: str

    @property
    def file_name(self) -> str | None:
        first = self.code.splitlines()[0] if self.code.strip() else ""
        match = _FILE_MARKER.fullmatch(first.strip())
        return match.group(1) if match else None


@dataclass
class Unit:
    """One thing to type-check: a page's program, one of its files, or a no-run block."""

    path: Path
    runnable: bool
    lines: list[tuple[str, int]] = field(default_factory=list)  # generated line -> (page, line)

    def where(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            page, page_line = self.lines[line - 1]
            return f"{page}:{page_line}"
        return f"{self.path.name}:{line}"


def doc_pages() -> list[Path]:
    pages = [ROOT / "README.md"]
    pages += sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
    pages += sorted(ROOT.glob("plugins/*/README.md"))  # included in docs/carriers/
    return pages


def page_blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    name = str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name
    blocks = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start(2)) + 1
        flags = frozenset(match.group(1).split())
        blocks.append(Block(name, line, flags, match.group(2)))
    return blocks


def _needs_a_cell(code: str) -> bool:
    """Whether ``code`` uses ``await`` at the top level, as a notebook cell may."""
    try:
        compile(code, "<block>", "exec")
    except SyntaxError:
        compile(code, "<block>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # still a SyntaxError if not
        return True
    return False


def _slug(page: str) -> str:
    return re.sub(r"\W+", "_", page.removesuffix(".md")).strip("_").lower()


def _add(unit: Unit, block: Block, text: str, offset: int = 0) -> None:
    source = unit.path.read_text(encoding="utf-8") if unit.path.exists() else ""
    header = f"# --- {block.page}:{block.line}\n"
    unit.lines.append((block.page, block.line))
    for number, _ in enumerate(text.splitlines()):
        unit.lines.append((block.page, block.line + offset + number))
    unit.path.write_text(source + header + text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")


@dataclass
class Workspace:
    root: Path
    programs: dict[str, Unit]  # page -> its program
    file_dirs: dict[str, Path]  # page -> folder of its files (runnable when a test_*.py is there)
    units: list[Unit]


def build_workspace(root: Path) -> Workspace:
    programs: dict[str, Unit] = {}
    file_dirs: dict[str, Path] = {}
    units: list[Unit] = []
    for page in doc_pages():
        for index, block in enumerate(page_blocks(page)):
            unknown = block.flags - KNOWN_FLAGS
            assert not unknown, f"{block.page}:{block.line}: unknown flag(s) {sorted(unknown)} on a python block"
            slug = _slug(block.page)
            if block.file_name:
                folder = file_dirs.setdefault(block.page, root / f"files_{slug}")
                folder.mkdir(exist_ok=True)
                unit = Unit(folder / block.file_name, runnable="no-run" not in block.flags)
                unit.path.parent.mkdir(parents=True, exist_ok=True)
                _add(unit, block, block.code)
                units.append(unit)
            elif "no-run" in block.flags:
                unit = Unit(root / f"{slug}_norun_{index}.py", runnable=False)
                if _needs_a_cell(block.code):
                    # IPython's top-level await: type-checked as the body of a coroutine.
                    cell = "async def _notebook_cell() -> None:\n" + textwrap.indent(block.code, "    ")
                    _add(unit, block, cell, offset=-1)
                else:
                    _add(unit, block, block.code)
                units.append(unit)
            else:
                unit = programs.get(block.page) or Unit(root / f"{slug}.py", runnable=True)
                if block.page not in programs:
                    programs[block.page] = unit
                    units.append(unit)
                _add(unit, block, block.code)
    (root / "_docs_runner.py").write_text(RUNNER, encoding="utf-8")
    return Workspace(root, programs, file_dirs, units)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("doc-examples"))


def _env(home: Path, workspace: Workspace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARRIER_SDK_")}
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    extra = [str(EXAMPLE_ADAPTER), *(str(d) for d in workspace.file_dirs.values())]
    env["PYTHONPATH"] = os.pathsep.join(extra)
    env["MYPYPATH"] = env["PYTHONPATH"]
    return env


# -- the blocks are what the tests think they are -------------------------------------------------


def test_blocks_are_found() -> None:
    found = {b.page for p in doc_pages() for b in page_blocks(p)}
    assert {"README.md", "docs/quickstart.md", "docs/testing.md"} <= found


def test_fence_reader_sees_flags_and_files(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("x\n```python no-run\nprint(1)\n```\n\n```python\n# app.py\nx = 1\n```\n", encoding="utf-8")
    first, second = page_blocks(page)
    assert first.flags == {"no-run"}
    assert first.line == 3
    assert first.file_name is None
    assert second.file_name == "app.py"


# -- run ------------------------------------------------------------------------------------------


def _program_pages() -> list[str]:
    pages = []
    for page in doc_pages():
        blocks = page_blocks(page)
        if any(not b.file_name and "no-run" not in b.flags for b in blocks):
            pages.append(str(page.relative_to(ROOT)))
    return pages


def _test_file_pages() -> list[str]:
    pages = []
    for page in doc_pages():
        names = [b.file_name for b in page_blocks(page) if b.file_name and "no-run" not in b.flags]
        if any(Path(n).name.startswith("test_") for n in names if n):
            pages.append(str(page.relative_to(ROOT)))
    return pages


@pytest.mark.parametrize("page", _program_pages())
def test_page_runs_against_the_sandbox(workspace: Workspace, page: str, tmp_path: Path) -> None:
    unit = workspace.programs[page]
    result = run_captured(
        [sys.executable, str(workspace.root / "_docs_runner.py"), str(unit.path)],
        cwd=tmp_path,
        env=_env(tmp_path, workspace),
        timeout=120,
    )
    assert result.returncode == 0, _explain(unit, result.stdout + result.stderr)


@pytest.mark.parametrize("page", _test_file_pages())
def test_page_test_files_pass(workspace: Workspace, page: str, tmp_path: Path) -> None:
    folder = workspace.file_dirs[page]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(folder)]
    result = run_captured(command, cwd=folder, env=_env(tmp_path, workspace))
    assert result.returncode == 0, f"{page}: its test files fail:\n{result.stdout}\n{result.stderr}"


def _explain(unit: Unit, output: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return unit.where(int(match.group(1)))

    return re.sub(rf'"?{re.escape(str(unit.path))}"?, line (\d+)', replace, output)


# -- type-check -----------------------------------------------------------------------------------


def _relocate(workspace: Workspace, output: str) -> str:
    """Turn ``path:line`` of generated files into ``page:line`` of the docs."""
    by_path = {str(u.path): u for u in workspace.units}
    by_path.update({str(u.path.relative_to(workspace.root)): u for u in workspace.units})
    for path, unit in by_path.items():

        def replace(match: re.Match[str], unit: Unit = unit) -> str:
            return unit.where(int(match.group(1))) + ":"

        output = re.sub(rf"(?<![\w/]){re.escape(path)}:(\d+):", replace, output)
    return output


def test_blocks_pass_mypy_strict(workspace: Workspace, tmp_path: Path) -> None:
    files = [str(u.path) for u in workspace.units]
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--python-version",
        "3.11",
        "--no-error-summary",
        "--cache-dir",
        str(tmp_path / "mypy-cache"),
        "--config-file",
        os.devnull,
        *files,
    ]
    result = run_captured(command, cwd=workspace.root, env=_env(tmp_path, workspace))
    assert result.returncode == 0, "mypy --strict on the docs' blocks:\n" + _relocate(workspace, result.stdout)


def _pyright() -> list[str] | None:
    # The dev extra installs the PyPI wrapper, which runs the npm package of that version with node.
    script = Path(sys.executable).with_name("pyright")
    if script.exists() and shutil.which("node"):
        return [str(script)]
    return None


def test_blocks_pass_pyright(workspace: Workspace, tmp_path: Path) -> None:
    import json

    command = _pyright()
    if command is None:
        message = "pyright needs the dev extra (pip install -e '.[dev]') and node on PATH"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must type-check the docs with pyright")
        pytest.skip(message)
    config = {
        # pyright ignores absolute paths in "include": name the units relative to the config file.
        "include": [os.path.relpath(u.path, workspace.root) for u in workspace.units],
        "extraPaths": [str(EXAMPLE_ADAPTER), *(str(d) for d in workspace.file_dirs.values())],
        "typeCheckingMode": "standard",
        "pythonVersion": "3.11",
    }
    config_path = workspace.root / "pyrightconfig.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    env = _env(tmp_path, workspace)
    env["PYRIGHT_PYTHON_FORCE_VERSION"] = PYRIGHT_VERSION
    result = run_captured(
        [*command, "--pythonpath", sys.executable, "-p", str(config_path)], cwd=workspace.root, env=env
    )
    # A path pyright ignores is a block nobody checks (absolute "include" entries were, silently).
    assert "Ignoring path" not in result.stdout + result.stderr, result.stdout[:2000]
    output = re.sub(r"(\S+\.py):(\d+):\d+ - ", r"\1:\2: ", result.stdout)
    assert result.returncode == 0, "pyright on the docs' blocks:\n" + _relocate(workspace, output)
