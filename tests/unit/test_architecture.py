"""The import contracts of ARCHITECTURE.md hold, and they catch what they are there to catch.

Each broken-house case copies the plugin, adds one import that the architecture forbids, and
runs the real ``lint-imports`` against the copy: a contract that cannot fail is no contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(plugins: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=plugins,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_repository_keeps_every_contract() -> None:
    run = lint(ROOT / "plugins")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("render.py", "from .grading import grade_result", "never grade or scan"),
        ("chartmaker.py", "from .scan import scan_list", "never grade or scan"),
        ("facts.py", "from . import diff", "Layers"),
        ("grading/labels.py", "from . import result", "No import cycles"),
        ("history.py", "from . import lab", "import the lab"),
        ("diff.py", "from .pelican_glue import build", "Layers"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    shutil.copytree(
        ROOT / "plugins" / "tlsreport",
        tmp_path / "tlsreport",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    path = tmp_path / "tlsreport" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    run = lint(tmp_path)
    assert run.returncode != 0, run.stdout
    broken = [ln for ln in run.stdout.splitlines() if ln.endswith(" BROKEN")]
    assert any(contract in ln for ln in broken), run.stdout
