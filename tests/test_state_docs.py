"""The recipe of docs/many-machines.md runs as written, against a real redis-server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def recipe(heading: str) -> str:
    text = (ROOT / "docs" / "many-machines.md").read_text()
    section = text.split(heading, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_state_recipe_runs(redis_url: str, tmp_path: Path) -> None:
    script = tmp_path / "recipe.py"
    script.write_text(recipe("## Recipe: several processes"))
    env: dict[str, Any] = {**os.environ, "CARRIER_SDK_STATE_URL": redis_url}
    result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=180)
    print(result.stdout)
    assert result.returncode == 0, result.stderr
    assert "statuses: ['in_transit']" in result.stdout
    assert "token requests: 1\n" in result.stdout
    assert "labels: 1 orders bought: 1\n" in result.stdout
