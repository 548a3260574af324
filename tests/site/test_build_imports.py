"""A cold build of the example site imports no plotting library (issue 17: matplotlib's
import alone cost about 0.2 s of CPU, and its charts ~2.5 s of a ~3 s build)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_cold_example_build_draws_every_chart_without_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests'); from pathlib import Path;"
        "from browserkit import build_example_site;"
        f"out = build_example_site(Path({str(tmp_path / 'out')!r}), Path({str(tmp_path / 'c')!r}));"
        "print(len(list((out / 'tlsreport' / 'charts').glob('*.svg'))),"
        " 'matplotlib' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    charts, imported = run.stdout.split()[-2:]
    assert int(charts) > 0  # the build did draw (cold cache)
    assert imported == "False"
