"""The layers of docs/architecture.md hold (`lint-imports`), and a deliberate upward import
breaks them: the contracts are not vacuous."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_layers_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_an_upward_import_breaks_them(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "gateway", tmp_path / "gateway", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    provider = tmp_path / "gateway" / "clouds" / "healthomics" / "provider.py"
    provider.write_text(provider.read_text() + "\nimport gateway.schema.query  # upward\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "Layers, top to bottom BROKEN" in result.stdout
    assert "gateway.clouds.healthomics.provider -> gateway.schema.query" in result.stdout
