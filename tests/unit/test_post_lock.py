"""The post lock file (post_lock) and the pin/near-miss helpers of post_dates: pure logic.

The lock keeps a published post on the snapshot it was first built with; these tests pin down
when it re-chooses (another moment, a vanished snapshot), what it writes (stable, sorted, only
on change), and that a broken file is named with its line.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tlsreport.post_dates import (
    describe_choices,
    end_of_day,
    has_time_of_day,
    moment_from_metadata,
    post_moment,
)
from tlsreport.post_lock import LockError, PostLock, lock_path_for, to_text

BRUSSELS = ZoneInfo("Europe/Brussels")
T8 = datetime(2026, 12, 5, 8, 23, 58, tzinfo=UTC)
T14 = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
EOD = end_of_day(date(2026, 12, 5), BRUSSELS)


def test_first_choice_is_kept_when_a_newer_snapshot_of_the_day_appears(tmp_path: Path) -> None:
    path = tmp_path / "tlsreport-lock.json"
    lock = PostLock.load(path)
    assert lock.choose("posts/a.md", "lab", EOD, [T8]) == T8
    assert lock.save(lambda post: True)
    again = PostLock.load(path)
    assert again.choose("posts/a.md", "lab", EOD, [T8, T14]) == T8
    assert not again.save(lambda post: True), "nothing changed: the file is not rewritten"
    # A new post on the same day takes the newest.
    assert again.choose("posts/b.md", "lab", EOD, [T8, T14]) == T14


def test_another_moment_or_a_vanished_snapshot_chooses_again(tmp_path: Path) -> None:
    lock = PostLock(tmp_path / "l.json")
    lock.choose("p", "lab", EOD, [T8])
    lock.save(lambda post: True)
    lock = PostLock.load(tmp_path / "l.json")
    later = end_of_day(date(2026, 12, 6), BRUSSELS)
    assert lock.choose("p", "lab", later, [T8, T14]) == T14
    lock = PostLock.load(tmp_path / "l.json")
    assert lock.choose("p", "lab", EOD, [T14]) == T14  # the 08:23 file was removed


def test_entries_of_deleted_posts_are_dropped_others_kept(tmp_path: Path) -> None:
    lock = PostLock(tmp_path / "l.json")
    lock.choose("gone.md", "lab", EOD, [T8])
    lock.choose("kept.md", "lab", EOD, [T8])
    lock.save(lambda post: True)
    lock = PostLock.load(tmp_path / "l.json")
    lock.choose("new.md", "lab", EOD, [T8])
    lock.save(lambda post: post != "gone.md")
    posts = json.loads((tmp_path / "l.json").read_text())["posts"]
    assert sorted(posts) == ["kept.md", "new.md"]


def test_the_text_is_stable_and_says_what_it_is() -> None:
    lock = PostLock(Path("x"))
    lock.choose("b.md", "lab", EOD, [T8])
    lock.choose("a.md", "lab", EOD, [T8])
    text = to_text(lock.merged(lambda post: True))
    assert text.index('"a.md"') < text.index('"b.md"')
    assert '"snapshot": "2026-12-05T08:23:58Z"' in text
    assert "Commit it" in json.loads(text)["about"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("{ nope", r"l\.json:1: not JSON"),
        ('{"posts": []}', "field 'posts'"),
        (
            '{"posts": {"a.md": {"lab": {"as_of": "x", "snapshot": "2026-12-05T08:23:58Z"}}}}',
            r"posts\.a\.md\.lab\.as_of",
        ),
    ],
)
def test_a_broken_lock_file_is_named_with_the_field(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "l.json").write_text(text)
    with pytest.raises(LockError, match=where):
        PostLock.load(tmp_path / "l.json")


def test_the_lock_lives_beside_the_history(tmp_path: Path) -> None:
    assert (
        lock_path_for(tmp_path / "data" / "history")
        == (tmp_path / "data" / "tlsreport-lock.json").resolve()
    )


@pytest.mark.parametrize(
    "pin", ["2026-12-05T082358Z", "2026-12-05T082358Z.json", "2026-12-05T08:23:58Z"]
)
def test_a_pin_is_a_snapshot_time_or_its_file_name(pin: str) -> None:
    moment = moment_from_metadata(pin, BRUSSELS)
    assert moment.exact and moment.at == T8


def test_a_time_of_day_in_the_date_is_honoured() -> None:
    written = datetime(2026, 12, 5, 10, 0, tzinfo=BRUSSELS)
    assert post_moment(written, None, BRUSSELS, honour_time=True).at == datetime(
        2026, 12, 5, 9, 0, tzinfo=UTC
    )
    assert post_moment(written, None, BRUSSELS).at == EOD
    assert has_time_of_day("2026-12-05 10:00") and has_time_of_day("2026-12-05T10:00:00")
    assert not has_time_of_day("2026-12-05")


def test_a_near_miss_lists_the_days_snapshots_and_the_line_to_write() -> None:
    other_day = datetime(2026, 11, 1, tzinfo=UTC)
    text = describe_choices([other_day, T8, T14], datetime(2026, 12, 5, 8, 23, 59, tzinfo=UTC))
    assert "2026-12-05T08:23:58Z, 2026-12-05T14:00:00Z" in text
    assert "write 'Tlsreport_snapshot: 2026-12-05T08:23:58Z'" in text


def test_a_kept_snapshot_with_a_newer_one_of_its_moment_is_noted(tmp_path: Path) -> None:
    lock = PostLock(tmp_path / "l.json")
    lock.choose("p", "lab", EOD, [T8])
    lock.save(lambda post: True)
    lock = PostLock.load(tmp_path / "l.json")
    assert lock.choose("p", "lab", EOD, [T8, T14]) == T8
    assert lock.held_back == [("p", "lab", T8, T14)]
