"""Charts are drawn once per distinct data: memo within a build, files in CACHE_PATH across."""

from __future__ import annotations

from pathlib import Path

from sitekit import recorded, snapshot
from tlsreport import chartmaker, charts
from tlsreport.chartmaker import ChartMaker
from tlsreport.pelican_glue.build import BuildGrades

SNAP = snapshot(
    "2015-02-16T12:00:00Z", [recorded("ING", "A-"), recorded("KBC", "B"), recorded("Isabel", None)]
)


def test_counts_put_targets_without_a_grade_under_the_pages_word() -> None:
    """A recorded target without a published grade is "not recorded" on the page, so in the
    chart too (vocabulary.py): one word per state."""
    counts = ChartMaker(None, BuildGrades().letter).counts(SNAP)
    assert counts == {"A-": 1, "B": 1, charts.NOT_RECORDED: 1}


def test_a_cached_chart_is_the_same_chart_and_is_not_redrawn(tmp_path: Path, monkeypatch) -> None:
    first = ChartMaker(tmp_path, BuildGrades().letter).distribution(SNAP)
    assert len(list(tmp_path.glob("*.json"))) == 1

    def must_not_draw(*args: object, **kw: object) -> charts.Chart:
        raise AssertionError("drew a chart that is in the cache")

    monkeypatch.setattr(charts, "distribution_chart", must_not_draw)
    again = ChartMaker(tmp_path, BuildGrades().letter).distribution(SNAP)
    assert again == first and again.name() == first.name()


def test_a_damaged_cache_entry_is_drawn_again(tmp_path: Path) -> None:
    first = ChartMaker(tmp_path, BuildGrades().letter).history([SNAP])
    (entry,) = tmp_path.glob("*.json")
    entry.write_text("{not json")
    assert ChartMaker(tmp_path, BuildGrades().letter).history([SNAP]) == first


def test_targets_with_the_same_history_share_one_timeline_file() -> None:
    snaps = [
        snapshot("2015-02-15T12:00:00Z", [recorded("ING", "F"), recorded("KBC", "F")]),
        snapshot("2015-02-16T12:00:00Z", [recorded("ING", "A-"), recorded("KBC", "A-")]),
    ]
    maker = ChartMaker(None, BuildGrades().letter)
    ing, kbc = maker.timeline(snaps, "ING"), maker.timeline(snaps, "KBC")
    assert ing.svg == kbc.svg and ing.name() == kbc.name()
    assert ing.alt.startswith("ING: grade over time. F from 2015-02-15; A- from 2015-02-16")
    assert kbc.title == "KBC: grade over time"


def test_each_result_is_graded_once_per_date(monkeypatch) -> None:
    import tlsreport.grading.result as grade  # the build's GradeMemo calls grade_result

    calls = []
    real = grade.grade_result
    monkeypatch.setattr(
        grade, "grade_result", lambda r, on, taken=None: calls.append(r) or real(r, on, taken=taken)
    )
    maker = ChartMaker(None, BuildGrades().letter)
    for _ in range(3):
        maker.counts(SNAP)
    assert len(calls) == 2  # ING and KBC; Isabel has no recorded grade to grade


def test_timelines_drawn_ahead_are_the_same_charts_and_drawn_once(
    tmp_path: Path, monkeypatch
) -> None:
    grades = ("A", "B", "C", "F", "T", "M")
    snaps = [
        snapshot(
            f"2015-02-{day:02d}T12:00:00Z",
            [recorded(f"T{i}", grades[(i * day) % len(grades)]) for i in range(5)],
        )
        for day in (1, 2, 3)
    ]
    names = [f"T{i}" for i in range(5)] + ["T0"]
    ahead = ChartMaker(tmp_path, BuildGrades().letter)
    assert ahead.prepare_timelines(snaps, names) == 5  # T0 twice: drawn once
    one_by_one = ChartMaker(None, BuildGrades().letter)
    for name in names:
        assert ahead.timeline(snaps, name) == one_by_one.timeline(snaps, name)

    def must_not_draw(*args: object, **kw: object) -> charts.Chart:
        raise AssertionError("drew a timeline that is in the cache")

    monkeypatch.setattr(charts, "timeline_chart", must_not_draw)
    assert ChartMaker(tmp_path, BuildGrades().letter).prepare_timelines(snaps, names) == 0


def test_the_cache_key_changes_with_the_svg_writer(tmp_path: Path) -> None:
    """A change to svgchart.py changes every chart's cache key, like a change to charts.py."""
    import shutil
    import subprocess
    import sys

    root = Path(chartmaker.__file__).resolve().parent
    shutil.copytree(root, tmp_path / "tlsreport", ignore=shutil.ignore_patterns("__pycache__"))
    writer = tmp_path / "tlsreport" / "svgchart.py"
    writer.write_text(writer.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    code = subprocess.run(
        [sys.executable, "-c", "from tlsreport import chartmaker; print(chartmaker._CODE)"],
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert code and code != chartmaker._CODE
