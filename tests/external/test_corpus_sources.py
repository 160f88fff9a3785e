"""Every corpus body of every carrier has its provenance and its test."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
CARRIERS = {"cainiao": "## Cainiao", "correos": "## Correos", "singpost": "## Singapore Post", "usps": "## USPS"}


def _section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("carrier", sorted(CARRIERS))
def test_every_body_is_sourced_and_tested(carrier: str) -> None:
    section = _section((HERE / "SOURCES.md").read_text(encoding="utf-8"), CARRIERS[carrier])
    bodies = sorted(p.name for p in (HERE / carrier).iterdir() if p.is_file() and p.name != ".gitkeep")
    assert f"Corpus size: {len(bodies)}" in section
    module = HERE / f"test_{carrier}_corpus.py"
    tests = module.read_text(encoding="utf-8") if module.exists() else ""
    for name in bodies:
        assert f"`{carrier}/{name}`" in section, f"{name} has no row in SOURCES.md"
        assert f'"{name}"' in tests, f"{name} is not fed through the client by {module.name}"
