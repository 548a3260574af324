"""diff says no more than the record (issue 15, part A, point 4).

"First recorded" is not "new": a reason is new only when the old side's reasons were written
down (or measured) with that finding graded on its day. "No longer" needs the new side's
reasons. A recorded grade's reasons keep the post's words, an inferred grade its inference, and
a reason the publication itself calls new ("Triodos lost Forward Secrecy") is new even with no
earlier record of the target. Hand-built recorded snapshots, graded by the real grader.
"""

from __future__ import annotations

from tlsreport.diff import ADDED, CHANGED, Change, changes_between
from tlsreport.facts import Recorded, Snapshot, TargetRef, TargetResult
from tlsreport.grading import facts_from_reasons

SHA1 = "weak signature (SHA1)"
NO12 = "no TLS 1.2"
RC4 = "RC4 (insecure)"
NOFS = "no Forward Secrecy"
WEAKDH = "weak DH"


def rec(
    name: str, grade: str | None, reasons: tuple[str, ...] = (), **extra: object
) -> TargetResult:
    target = TargetRef(name=name, host=f"www.{name.lower()}.example")
    return TargetResult(target=target, recorded=Recorded(grade=grade, reasons=reasons, **extra))  # type: ignore[arg-type]


def snap(day: str, *results: TargetResult) -> Snapshot:
    return Snapshot(
        list_slug="banks", title="Banks", taken=f"{day}T12:00:00Z", kind="recorded", results=results
    )


def by_name(history: list[Snapshot]) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    for c in changes_between(history, history[0], history[-1]):
        out.setdefault(c.name, []).append(c)
    return out


def labels(reasons: tuple) -> list[str]:
    return [r.label for r in reasons]


def test_reasons_not_written_down_before_are_first_recorded_not_new() -> None:
    history = [
        snap("2015-02-15", rec("ABK", "F")),
        snap("2015-02-17", rec("ABK", "B", (SHA1, NO12, NOFS))),
    ]
    (abk,) = by_name(history)["ABK"]
    assert abk.kind == CHANGED and abk.gained == ()
    assert labels(abk.first_recorded) == [SHA1, NO12, NOFS]


def test_reasons_gained_against_a_written_down_list_are_new() -> None:
    history = [
        snap("2015-03-03", rec("beobank", "B", (SHA1, NO12, RC4, NOFS))),
        snap("2015-12-30", rec("beobank", "C", (WEAKDH, NO12, RC4, NOFS))),
    ]
    (beo,) = by_name(history)["beobank"]
    assert labels(beo.gained) == [WEAKDH] and beo.first_recorded == ()
    assert labels(beo.lost) == [SHA1]


def test_nothing_is_no_longer_there_when_the_new_reasons_were_not_recorded() -> None:
    """Optima's A- of part 5 came with no reasons: 'no longer POODLE, RC4…' is not recorded."""
    history = [
        snap("2015-03-03", rec("Optima", "F", (SHA1, "RC4", NOFS))),
        snap("2015-12-30", rec("Optima", "A-")),
    ]
    (optima,) = by_name(history)["Optima"]
    assert (optima.old_grade, optima.new_grade) == ("F", "A-")
    assert optima.lost == () and optima.gained == () and optima.first_recorded == ()


def test_a_recorded_grade_is_compared_in_the_words_it_was_published_in() -> None:
    """The grader would say 'RC4 with modern browsers'; the post said 'RC4 (insecure)'."""
    history = [
        snap("2015-03-03", rec("PSA", "C", (SHA1, NO12, RC4, NOFS))),
        snap("2015-12-30", rec("PSA", "C", (SHA1, NO12, NOFS))),
    ]
    (psa,) = by_name(history)["PSA"]
    assert labels(psa.lost) == [RC4]


def test_an_inferred_grade_on_arrival_carries_its_inference() -> None:
    why = "grade on the day it was added not written down; C is where its next change began"
    history = [
        snap("2015-02-17", rec("Other", "B")),
        snap("2015-02-18", rec("Other", "B"), rec("Fortuneo", "C", inferred=why)),
        snap("2015-03-02", rec("Other", "B"), rec("Fortuneo", "B", (SHA1, NO12, NOFS))),
    ]
    added, moved = by_name(history)["Fortuneo"]
    assert (added.kind, added.new_grade, added.inferred) == (ADDED, "C", why)
    assert (moved.kind, moved.old_grade, moved.new_grade, moved.inferred) == (CHANGED, "C", "B", "")
    assert moved.gained == () and labels(moved.first_recorded) == [SHA1, NO12, NOFS]


def test_an_inferred_grade_is_marked_even_when_later_tables_confirm_it() -> None:
    """BKCP: B on arrival is the 03-03 table's grade carried back; the 03-03 record is not."""
    why = "carried back from the 2015-03-03 table"
    reasons = (SHA1, NO12, RC4, NOFS)
    history = [
        snap("2015-02-17", rec("Other", "B")),
        snap("2015-02-18", rec("Other", "B"), rec("BKCP", "B", reasons, inferred=why)),
        snap("2015-03-03", rec("Other", "B"), rec("BKCP", "B", reasons)),
    ]
    (bkcp,) = by_name(history)["BKCP"]
    assert (bkcp.kind, bkcp.new_grade, bkcp.inferred) == (ADDED, "B", why)


def test_a_reason_the_publication_calls_new_is_new_without_an_earlier_record() -> None:
    """Part 5: 'Triodos lost Forward Secrecy', its grade not recorded, part 4 silent on it."""
    history = [
        snap("2015-03-03", rec("Other", "B")),
        snap("2015-12-30", rec("Other", "B"), rec("Triodos", None, (NOFS,), new_reasons=(NOFS,))),
    ]
    (triodos,) = by_name(history)["Triodos"]
    assert triodos.kind == ADDED and triodos.new_grade is None
    assert labels(triodos.gained) == [NOFS]


def test_a_scanned_old_side_makes_every_gained_reason_new() -> None:
    """A scan measured everything it lists: what it did not list was not there."""
    target = TargetRef(name="Lab", host="127.0.0.1")

    def scanned(*reasons: str) -> TargetResult:
        return TargetResult(target=target, facts=facts_from_reasons(reasons)[0])

    history = [snap("2015-03-03", scanned(SHA1)), snap("2015-12-30", scanned(SHA1, NO12))]
    (lab,) = by_name(history)["Lab"]
    assert lab.first_recorded == ()
    assert "no-tls12" in {r.id for r in lab.gained}
