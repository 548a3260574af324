""" "Not recorded" and "not tested" are two states and look different (issue 15, point 6).

A recorded list's target whose grade nobody wrote down is a gap in the record; an untestable
or unreachable server is a test that could not be made. The charts count them apart, give them
separate rows in their data tables and alt text, and draw "not recorded" hatched / hollow.
"""

from __future__ import annotations

from datetime import date

from tlsreport import charts
from tlsreport.chartmaker import ChartMaker
from tlsreport.facts import Recorded, Snapshot, TargetRef, TargetResult
from tlsreport.vocabulary import state_word as category


def _rec(name: str, grade: str | None) -> TargetResult:
    return TargetResult(
        target=TargetRef(name=name, host=f"{name.lower()}.example"), recorded=Recorded(grade=grade)
    )


def _untestable(name: str) -> TargetResult:
    return TargetResult(
        target=TargetRef(name=name, host=f"{name.lower()}.example"),
        state="untestable",
        reason="could not be tested",
    )


def _letter(result: TargetResult, on: date) -> str | None:
    return result.recorded.grade if result.state == "ok" and result.recorded else None


def _snap(day: str, *results: TargetResult) -> Snapshot:
    return Snapshot(
        list_slug="l", title="L", taken=f"{day}T12:00:00Z", kind="recorded", results=results
    )


SNAP = _snap(
    "2015-12-30", _rec("A1", "A"), _rec("Gap1", None), _rec("Gap2", None), _untestable("Closed")
)


def test_category_tells_a_gap_in_the_record_from_a_test_not_made() -> None:
    assert category(_rec("x", None), None) == charts.NOT_RECORDED
    assert category(_untestable("x"), None) == charts.NOT_TESTED
    assert category(_rec("x", "B"), "B") == "B"


def test_counts_keep_not_recorded_apart_from_not_tested() -> None:
    counts = ChartMaker(None, _letter).counts(SNAP)
    assert counts == {"A": 1, charts.NOT_RECORDED: 2, charts.NOT_TESTED: 1}


def test_distribution_has_a_hatched_not_recorded_bar_of_its_own() -> None:
    chart = ChartMaker(None, _letter).distribution(SNAP)
    rows = dict(chart.table_rows)
    assert rows[charts.NOT_RECORDED] == "2" and rows[charts.NOT_TESTED] == "1"
    assert "2 not recorded" in chart.alt and "1 not tested" in chart.alt
    assert b"<pattern" in chart.svg  # the hatch: "not recorded" never looks like a result
    assert charts.colour(charts.NOT_RECORDED) != charts.colour(charts.NOT_TESTED)


def test_history_chart_stacks_not_recorded_as_its_own_category() -> None:
    other = _snap(
        "2015-03-03", _rec("A1", "B"), _rec("Gap1", "C"), _rec("Gap2", None), _untestable("Closed")
    )
    chart = ChartMaker(None, _letter).history([other, SNAP])
    assert charts.NOT_RECORDED in chart.table_head and charts.NOT_TESTED in chart.table_head
    last = dict(zip(chart.table_head, chart.table_rows[-1], strict=True))
    assert (last[charts.NOT_RECORDED], last[charts.NOT_TESTED]) == ("2", "1")
    assert b"<pattern" in chart.svg


def test_timeline_shows_not_recorded_where_nothing_was_recorded() -> None:
    history = [
        _snap("2015-02-15", _rec("Gap1", "F"), _untestable("Closed")),
        _snap("2015-12-30", _rec("Gap1", None), _untestable("Closed")),
        _snap("2016-01-11", _rec("Gap1", "A"), _untestable("Closed")),
    ]
    maker = ChartMaker(None, _letter)
    gap = maker.timeline(history, "Gap1")
    assert [g for _, g in gap.table_rows] == ["F", charts.NOT_RECORDED, "A"]
    assert "not recorded from 2015-12-30" in gap.alt and charts.NOT_TESTED not in gap.alt
    closed = maker.timeline(history, "Closed")
    assert {g for _, g in closed.table_rows} == {charts.NOT_TESTED}
