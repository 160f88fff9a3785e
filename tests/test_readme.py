"""The README's commands and .ci/run stay in step."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert text.index("```bash") < 40
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("carrier-sdk demo")
    assert commands[1].endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci


def test_every_plugin_is_installed_by_both_commands() -> None:
    plugins = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())
    assert plugins
    for command in readme_commands():
        for name in plugins:
            assert f"-e plugins/{name}" in command
