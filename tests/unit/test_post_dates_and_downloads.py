"""Which snapshot a post shows and which post came before (pure decisions, no Pelican)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from tlsreport.post_dates import (
    PostRef,
    SnapshotChoiceError,
    end_of_day,
    moment_from_metadata,
    parse_series_index,
    post_moment,
    previous_on_list,
    series_of,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_end_of_day_is_local_midnight_in_utc() -> None:
    # Brussels is UTC+1 in February: the 16th ends at 22:59:59.999999 UTC.
    assert end_of_day(date(2015, 2, 16), BRUSSELS) == datetime(
        2015, 2, 16, 22, 59, 59, 999999, tzinfo=UTC
    )
    # ... and UTC+2 in summer.
    assert end_of_day(date(2015, 7, 1), BRUSSELS).hour == 21


def test_modified_wins_over_date() -> None:
    published = datetime(2015, 2, 16, 8, 30, tzinfo=BRUSSELS)
    modified = datetime(2015, 3, 3, 21, 0, tzinfo=BRUSSELS)
    assert post_moment(published, modified, BRUSSELS).at == end_of_day(date(2015, 3, 3), BRUSSELS)
    assert post_moment(published, None, BRUSSELS).at == end_of_day(date(2015, 2, 16), BRUSSELS)


def test_metadata_names_a_day_or_one_exact_snapshot() -> None:
    day = moment_from_metadata("2015-02-16", BRUSSELS)
    assert not day.exact and day.at == end_of_day(date(2015, 2, 16), BRUSSELS)
    exact = moment_from_metadata("2015-02-16T12:00:00Z", BRUSSELS)
    assert exact.exact and exact.at == datetime(2015, 2, 16, 12, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["16/02/2015", "2015-02-30", "2015-02-16 12:00", "latest"])
def test_bad_snapshot_metadata_names_the_field(bad: str) -> None:
    with pytest.raises(SnapshotChoiceError, match="Tlsreport_snapshot"):
        moment_from_metadata(bad, BRUSSELS)


def _at(day: int) -> datetime:
    return datetime(2015, 2, day, tzinfo=UTC)


def test_previous_post_is_the_last_earlier_post_showing_the_same_list() -> None:
    refs = [
        PostRef("p3", _at(1), ("banks",)),
        PostRef("mail", _at(5), ("mail",)),
        PostRef("p4", _at(16), ("banks", "mail")),
        PostRef("p4-fr", _at(17), ("banks",), lang="fr"),
    ]
    prev = previous_on_list(refs)
    assert prev[("p3", "banks")] is None
    assert prev[("p4", "banks")] == "p3"
    assert prev[("p4", "mail")] == "mail"
    assert prev[("p4-fr", "banks")] is None  # other language: its own chain


def test_series_are_ordered_by_index_then_date() -> None:
    refs = [
        PostRef("b", _at(2), series="S", series_index=2),
        PostRef("a", _at(9), series="S", series_index=1),
        PostRef("c", _at(3), series="S"),
        PostRef("x", _at(1)),
    ]
    series = series_of(refs)
    assert series["a"].ids == ("a", "b", "c")
    assert (series["b"].index, series["b"].previous, series["b"].next) == (2, "a", "c")
    assert series["c"].index == 3  # no Series_index: its position
    assert "x" not in series


def test_series_index_is_kept_when_earlier_parts_are_elsewhere() -> None:
    refs = [
        PostRef("p4", _at(16), series="S", series_index=4),
        PostRef("p5", _at(28), series="S", series_index=5),
    ]
    assert [series_of(refs)[i].index for i in ("p4", "p5")] == [4, 5]


def test_series_index_must_be_a_positive_whole_number() -> None:
    assert parse_series_index("4") == 4 and parse_series_index(None) is None
    with pytest.raises(ValueError, match="Series_index"):
        parse_series_index("four")


def test_post_data_rows_are_what_the_tables_showed() -> None:
    from sitekit import recorded, snapshot
    from tlsreport.downloads import PostView, data_csv, record_rows
    from tlsreport.pelican_glue.build import BuildGrades

    snap = snapshot(
        "2015-02-16T12:00:00Z",
        [
            recorded("ING", "A-", group=("bank",)),
            recorded("Isabel", None, group=("tool",)),
            recorded("KBC", "B", "RC4 (insecure)", group=("bank",)),
        ],
    )
    view = PostView("p", "P", "p.html", _at(16))
    grades = BuildGrades().of_snapshot(snap)
    record_rows(view, snap, grades, group="bank")
    record_rows(view, snap, grades, target="ING")  # the same row is not added twice
    assert [(r["target"], r["grade"], r["state"]) for r in view.rows] == [
        ("ING", "A-", "ok"),
        ("KBC", "B", "ok"),
    ]
    record_rows(view, snap, grades, target="Isabel")
    assert view.rows[-1]["state"] == "not recorded" and view.rows[-1]["grade"] is None
    lines = data_csv(view).decode().splitlines()
    assert lines[0] == (
        "list,snapshot,target,host,port,service,state,state_reason,shown_as,grade,reasons,source"
    )
    assert lines[2].startswith("banks,2015-02-16T12:00:00Z,KBC,kbc.example,443,https,ok,,B,B,RC4")
    # The word the page showed where a grade would be: the badge's, the chart's.
    assert view.rows[-1]["shown_as"] == "not recorded"
