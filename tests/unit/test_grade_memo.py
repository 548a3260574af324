"""The build's grade memo: same grades as grading afresh, each question asked once per build.

A build grades every target-snapshot for its charts and target pages and again for its change
lists; the memo (``grade.GradeMemo``) is shared by both, so the second time costs nothing. It
must never change an answer: keys carry the result and the rule set (and the day it was taken).
"""

from __future__ import annotations

from datetime import date

import pytest
import tlsreport.grading.result as grade_mod
from gradekit import TLS12, make_facts
from sitekit import recorded
from tlsreport import diff, render
from tlsreport.chartmaker import ChartMaker
from tlsreport.facts import Snapshot, TargetRef, TargetResult
from tlsreport.grading import GradeMemo, grade_result
from tlsreport.pelican_glue.build import BuildGrades

# TLS 1.0 only: a B in February 2015, a C from 2015-10-14 with the very same server.
SCANNED = TargetResult(
    target=TargetRef(name="Bank", host="bank.example"),
    facts=make_facts(protocols={"TLSv1.0": TLS12, "TLSv1.2": (), "TLSv1.3": ()}),
)


def _scan(day: str) -> Snapshot:
    return Snapshot(list_slug="banks", title="Banks", taken=f"{day}T12:00:00Z", results=(SCANNED,))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[TargetResult]:
    """Every call the memo makes to the real grade_result."""
    calls: list[TargetResult] = []
    real = grade_mod.grade_result
    monkeypatch.setattr(
        grade_mod,
        "grade_result",
        lambda r, on, taken=None: calls.append(r) or real(r, on, taken=taken),
    )
    return calls


def test_the_memo_gives_what_grading_afresh_gives() -> None:
    memo = GradeMemo()
    rec = recorded("ING", "B", "no TLS 1.2")
    for result in (SCANNED, rec):
        for on, taken in (
            (date(2015, 2, 16), date(2015, 2, 16)),
            (date(2015, 12, 30), date(2015, 2, 16)),
            (date(2015, 2, 16), None),
        ):
            assert memo.grade(result, on, taken=taken) == grade_result(result, on, taken=taken)
            assert memo.grade(result, on, taken=taken) == grade_result(result, on, taken=taken)


def test_days_under_the_same_rules_share_an_entry_other_rules_do_not(counted) -> None:
    memo = GradeMemo()
    memo.grade(SCANNED, date(2015, 6, 1), taken=date(2015, 6, 1))
    memo.grade(SCANNED, date(2015, 6, 1), taken=date(2015, 6, 1))
    assert len(counted) == 1
    # 2015-06-01 and 2015-06-02 are both under the rules of 2015-05-20: same answer
    memo.grade(SCANNED, date(2015, 6, 2), taken=date(2015, 6, 1))
    assert len(counted) == 1
    # a rule change (2015-10-14) in between: graded again
    memo.grade(SCANNED, date(2015, 12, 30), taken=date(2015, 6, 1))
    assert len(counted) == 2
    # another result, even with equal content, is another question
    twin = TargetResult(target=SCANNED.target, facts=SCANNED.facts)
    memo.grade(twin, date(2015, 6, 1), taken=date(2015, 6, 1))
    assert len(counted) == 3 and memo.calls == 3


def test_change_lists_reuse_the_grades_charts_already_computed(counted) -> None:
    snaps = [_scan("2015-02-16"), _scan("2015-06-01"), _scan("2015-12-30")]
    grades = BuildGrades()
    maker = ChartMaker(None, grades.letter)
    for s in snaps:
        maker.counts(s)
    charted = len(counted)
    assert charted == 3  # one per snapshot

    shared = diff.changes_between(snaps, snaps[0], snaps[-1], memo=grades.memo)
    # only the regrading of the old result under the new rules (the "is it the rules?" test)
    # is a new question
    assert len(counted) == charted + 1
    alone = diff.changes_between(snaps, snaps[0], snaps[-1])
    assert shared == alone
    assert [(c.old_grade, c.new_grade, c.cause) for c in shared] == [("B", "C", diff.CAUSE_RULES)]


def test_a_grades_table_costs_no_second_grading_with_the_builds_grader(
    counted: list[TargetResult],
) -> None:
    memo = GradeMemo()
    snap = _scan("2015-02-16")
    on = date(2015, 2, 16)
    memo.grade(SCANNED, on, taken=on)  # the charts graded it first
    assert len(counted) == 1
    grades = BuildGrades(memo).of_snapshot(snap)
    html = render.grades_view(render.environment(), snap, on=on, grades=grades)
    assert len(counted) == 1, "the grades table graded the same result again"
    assert grades[SCANNED.target.key] is not None and "Bank" in html
