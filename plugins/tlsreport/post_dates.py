"""Which snapshot a post shows, which post came before it, and its series (pure decisions).

A post is frozen in time: it shows the newest snapshot taken on or before the *end of its day*
in the site's time zone (its ``Modified:`` day when it has one), or the snapshot its metadata
names. "Changed since the last post" compares with the snapshot the previous post on the same
list showed. Keeping these decisions here, free of Pelican objects, clock and disk, is what lets
them be unit-tested and lets a rebuild years later give the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .facts import parse_taken


class SnapshotChoiceError(ValueError):
    """A post's snapshot metadata that cannot be read; the message names the field."""


@dataclass(frozen=True)
class Moment:
    """When a post looks at history: ``at`` in UTC; ``exact`` when it must match a snapshot."""

    at: datetime
    exact: bool = False


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The last microsecond of ``day`` in ``tz``, as aware UTC.

    A post dated 2015-02-16 shows what was known by the evening of that day where the blog
    lives, so a scan taken that afternoon (UTC) is in it and one taken after local midnight
    is not.
    """
    next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return (next_midnight - timedelta(microseconds=1)).astimezone(UTC)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
# The snapshot's file name (``2026-12-05T082358Z.json``), as `ls data/history/x/` shows it.
_FILE_STAMP = re.compile(
    r"(?P<d>\d{4}-\d{2}-\d{2})T(?P<h>\d{2})(?P<m>\d{2})(?P<s>\d{2})Z(?:\.json)?\Z"
)
PIN_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def moment_from_metadata(value: str, tz: tzinfo) -> Moment:
    """``Tlsreport_snapshot:`` → a Moment: a day means its end, a UTC time names one snapshot.

    The time is accepted as a snapshot's ``taken`` (``2026-12-05T08:23:58Z``) and as its file
    name (``2026-12-05T082358Z`` or ``2026-12-05T082358Z.json``), because bloggers copy the
    name they see in ``data/history/<list>/``.
    """
    text = str(value).strip()
    try:
        if _DAY.match(text):
            return Moment(end_of_day(date.fromisoformat(text), tz))
        if _STAMP.match(text):
            return Moment(parse_taken(text, strict=True), exact=True)
        m = _FILE_STAMP.match(text)
        if m:
            stamp = f"{m['d']}T{m['h']}:{m['m']}:{m['s']}Z"
            return Moment(parse_taken(stamp, strict=True), exact=True)
    except ValueError:
        pass
    raise SnapshotChoiceError(
        f"Tlsreport_snapshot: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or a snapshot's file "
        f"name (YYYY-MM-DDTHHMMSSZ.json), got {text!r}"
    )


def post_moment(
    published: datetime, modified: datetime | None, tz: tzinfo, *, honour_time: bool = False
) -> Moment:
    """When a post looks at history: its Modified (else Date) in the site's time zone.

    ``honour_time`` (the post's date was written with a time of day): the newest snapshot at
    or before that very minute, so a post written at 09:00 does not take the 15:00 scan.
    Otherwise the end of that day, as before.
    """
    when = modified or published
    local = when.astimezone(tz) if when.tzinfo is not None else when.replace(tzinfo=tz)
    if honour_time:
        return Moment(local.astimezone(UTC))
    return Moment(end_of_day(local.date(), tz))


_DATE_WITH_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]+\d{1,2}:\d{2}")


def has_time_of_day(value: str) -> bool:
    """Whether a ``Date:``/``Modified:`` value as written carries a time (``2026-12-05 09:30``).

    Pelican turns ``2026-12-05`` into midnight, so the parsed date cannot tell "no time" from
    "at midnight"; the text as written can.
    """
    return bool(_DATE_WITH_TIME.search(str(value)))


def pin_text(when: datetime) -> str:
    """The metadata line that pins the snapshot taken at ``when``."""
    return f"Tlsreport_snapshot: {when.astimezone(UTC).strftime(PIN_FORMAT)}"


def nearest(taken: Sequence[datetime], at: datetime, count: int = 3) -> list[datetime]:
    """The ``count`` snapshot times closest to ``at`` (both sides), plus all of ``at``'s UTC
    day, oldest first: what an error shows so a near miss can be corrected by copying."""
    day = at.astimezone(UTC).date()
    close = sorted(taken, key=lambda t: (abs((t - at).total_seconds()), t))[:count]
    same_day = [t for t in taken if t.astimezone(UTC).date() == day]
    return sorted(set(close) | set(same_day))


def describe_choices(taken: Sequence[datetime], at: datetime) -> str:
    """``nearest: 2026-12-05T08:23:58Z, …; write "Tlsreport_snapshot: …"`` for an error."""
    near = nearest(taken, at)
    if not near:
        return "the list has no snapshot yet"
    stamps = ", ".join(t.astimezone(UTC).strftime(PIN_FORMAT) for t in near)
    best = min(near, key=lambda t: abs((t - at).total_seconds()))
    return f"nearest snapshots: {stamps}; to show the closest, write '{pin_text(best)}'"


@dataclass(frozen=True)
class PostRef:
    """What the decisions need to know about a post: an id, its date, its lists, its series."""

    id: str
    date: datetime
    lists: tuple[str, ...] = ()
    series: str | None = None
    series_index: int | None = None
    lang: str = ""


def previous_on_list(posts: Sequence[PostRef]) -> dict[tuple[str, str], str | None]:
    """(post id, list slug) → the id of the previous post (by date) showing that list.

    Posts are compared only with posts of the same language, so a translation's "since the
    last post" is the previous post in its own language. Ties on date are broken by id so the
    answer never depends on the order files were read in.
    """
    ordered = sorted(posts, key=lambda p: (p.date, p.id))
    last: dict[tuple[str, str], str] = {}
    out: dict[tuple[str, str], str | None] = {}
    for post in ordered:
        for slug in post.lists:
            out[(post.id, slug)] = last.get((post.lang, slug))
        for slug in post.lists:
            last[(post.lang, slug)] = post.id
    return out


@dataclass(frozen=True)
class SeriesInfo:
    """A series as the theme shows it: part ``index`` of ``len(ids)``; previous/next ids."""

    name: str
    index: int
    ids: tuple[str, ...] = field(default_factory=tuple)
    previous: str | None = None
    next: str | None = None


def series_of(posts: Sequence[PostRef]) -> dict[str, SeriesInfo]:
    """post id → its series. Order: ``Series_index`` first, then date (posts without index last).

    ``index`` is the post's Series_index when it has one (a series whose parts 1-3 live
    elsewhere still calls part 4 "part 4"), else its position (1-based) in that order.
    """
    groups: dict[tuple[str, str], list[PostRef]] = {}
    for post in posts:
        if post.series:
            groups.setdefault((post.lang, post.series), []).append(post)
    out: dict[str, SeriesInfo] = {}
    for (_, name), members in groups.items():
        members.sort(
            key=lambda p: (
                p.series_index is None,
                p.series_index if p.series_index is not None else 0,
                p.date,
                p.id,
            )
        )
        ids = tuple(p.id for p in members)
        for i, post in enumerate(members):
            out[post.id] = SeriesInfo(
                name=name,
                index=post.series_index if post.series_index is not None else i + 1,
                ids=ids,
                previous=ids[i - 1] if i > 0 else None,
                next=ids[i + 1] if i + 1 < len(ids) else None,
            )
    return out


def parse_series_index(value: object) -> int | None:
    """``Series_index: 4`` → 4; anything else that is not a positive integer → ValueError."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"Series_index: expected a whole number from 1 up, got {text!r}")
    return int(text)
