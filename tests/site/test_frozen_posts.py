"""Frozen means frozen: a published post keeps the snapshot it was first built with.

Real Pelican builds of small sites (sitekit) with history written through the real History
class: a second scan on a post's day, a content cache on or off, a Date with a time of day,
pins written as a snapshot's file name, and near misses whose error lists that day's snapshots.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sitekit import build, post, recorded, snapshot, soup, write_history
from tlsreport.pelican_glue.fill import DirectiveBuildError

MORNING = snapshot("2015-03-05T08:00:00Z", [recorded("ING", "A"), recorded("KBC", "B")])
AFTERNOON = snapshot(
    "2015-03-05T14:00:00Z", [recorded("ING", "F", "SSL3 (insecure)"), recorded("KBC", "B")]
)


def grade_of(page: Path, name: str) -> str:
    """The heading a target is listed under in the grades view of a built post."""
    for heading in soup(page).select(".tlsreport-grades .tlsreport-grade-heading"):
        ul = heading.find_next_sibling()
        if ul is not None and name in ul.get_text():
            return heading.get_text(" ", strip=True).split()[0]
    raise AssertionError(f"{name} not in {page}")


def lock_of(site: Path) -> dict:
    return json.loads((site / "tlsreport-lock.json").read_text(encoding="utf-8"))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_history(tmp_path / "history", [MORNING])
    return tmp_path


@pytest.mark.parametrize("cache", [False, True])
def test_a_second_scan_the_same_day_leaves_a_published_post_alone(site: Path, cache: bool) -> None:
    opts = {"CACHE_CONTENT": cache, "LOAD_CONTENT_CACHE": cache}
    post(site, "part-1", "[tlsreport grades list=banks]\n", Date="2015-03-05")
    out = build(site, **opts)
    assert grade_of(out / "part-1.html", "ING") == "A"
    assert lock_of(site)["posts"]["posts/part-1.md"]["banks"]["snapshot"] == (
        "2015-03-05T08:00:00Z"
    )

    write_history(site / "history", [AFTERNOON])  # the same day, later
    post(
        site,
        "part-2",
        "[tlsreport changes list=banks]\n\n[tlsreport grades list=banks]\n",
        Date="2015-03-05",
        Title="Part 2",
    )
    out = build(site, **opts)
    assert grade_of(out / "part-1.html", "ING") == "A", "part 1 moved"
    assert grade_of(out / "part-2.html", "ING") == "F"
    changes = soup(out / "part-2.html").select_one(".tlsreport-changes").get_text(" ")
    assert "ING" in changes and "No changes" not in changes
    locked = lock_of(site)["posts"]
    assert locked["posts/part-1.md"]["banks"]["snapshot"] == "2015-03-05T08:00:00Z"
    assert locked["posts/part-2.md"]["banks"]["snapshot"] == "2015-03-05T14:00:00Z"


def test_without_the_lock_entry_the_post_takes_the_newest_of_its_day(site: Path) -> None:
    post(site, "part-1", "[tlsreport grades list=banks]\n", Date="2015-03-05")
    build(site)
    write_history(site / "history", [AFTERNOON])
    (site / "tlsreport-lock.json").unlink()  # what the lock file's "about" says to do
    out = build(site)
    assert grade_of(out / "part-1.html", "ING") == "F"


def test_a_new_modified_date_chooses_again(site: Path) -> None:
    post(site, "p", "[tlsreport grades list=banks]\n", Date="2015-03-05")
    build(site)
    write_history(
        site / "history",
        [snapshot("2015-03-09T08:00:00Z", [recorded("ING", "C"), recorded("KBC", "B")])],
    )
    out = build(site)
    assert grade_of(out / "p.html", "ING") == "A"
    post(site, "p", "[tlsreport grades list=banks]\n", Date="2015-03-05", Modified="2015-03-09")
    out = build(site)
    assert grade_of(out / "p.html", "ING") == "C"
    assert lock_of(site)["posts"]["posts/p.md"]["banks"]["snapshot"] == "2015-03-09T08:00:00Z"


def test_drafts_are_not_locked(site: Path) -> None:
    post(site, "d", "[tlsreport grades list=banks]\n", Date="2015-03-05", Status="draft")
    build(site)
    assert not (site / "tlsreport-lock.json").exists()


def test_a_date_with_a_time_of_day_shows_what_was_known_then(site: Path) -> None:
    write_history(site / "history", [AFTERNOON])
    # 10:00 in Brussels is 09:00 UTC: after the morning scan, before the afternoon one.
    post(site, "timed", "[tlsreport grades list=banks]\n", Date="2015-03-05 10:00")
    post(site, "daily", "[tlsreport grades list=banks]\n", Date="2015-03-05")
    out = build(site)
    assert grade_of(out / "timed.html", "ING") == "A"
    assert grade_of(out / "daily.html", "ING") == "F"


@pytest.mark.parametrize(
    "pin", ["2015-03-05T080000Z", "2015-03-05T080000Z.json", "2015-03-05T08:00:00Z"]
)
def test_a_pin_may_be_written_as_the_snapshot_file_name(site: Path, pin: str) -> None:
    write_history(site / "history", [AFTERNOON])
    post(site, "p", "[tlsreport grades list=banks]\n", Date="2015-03-06", Tlsreport_snapshot=pin)
    out = build(site)
    assert grade_of(out / "p.html", "ING") == "A"
    assert not (site / "tlsreport-lock.json").exists(), "a pinned post needs no lock entry"


def test_a_near_miss_lists_that_days_snapshots_and_the_line_to_write(site: Path) -> None:
    write_history(site / "history", [AFTERNOON])
    post(
        site,
        "p",
        "[tlsreport grades list=banks]\n",
        Date="2015-03-06",
        Tlsreport_snapshot="2015-03-05T08:00:01Z",
    )
    with pytest.raises(DirectiveBuildError) as exc:
        build(site)
    message = str(exc.value)
    assert "posts/p.md:" in message
    assert "2015-03-05T08:00:00Z, 2015-03-05T14:00:00Z" in message
    assert "write 'Tlsreport_snapshot: 2015-03-05T08:00:00Z'" in message


def test_a_post_before_the_history_says_what_to_do(site: Path) -> None:
    post(site, "early", "[tlsreport grades list=banks]\n", Date="2015-01-01")
    with pytest.raises(DirectiveBuildError) as exc:
        build(site)
    assert "pin one with 'Tlsreport_snapshot: 2015-03-05T08:00:00Z'" in str(exc.value)


def test_a_broken_lock_file_is_named(site: Path) -> None:
    (site / "tlsreport-lock.json").write_text("{ nope", encoding="utf-8")
    post(site, "p", "[tlsreport grades list=banks]\n", Date="2015-03-05")
    with pytest.raises(ValueError, match=r"tlsreport-lock\.json:1: not JSON"):
        build(site)
