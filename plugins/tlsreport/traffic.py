"""Traffic reports: web server access logs in, aggregates out (``data/traffic/NAME.json``).

Why this exists: the example series had a post about its own readers (the day it hit the news:
views per day and hour, where readers came from, what they read it on, which organisations'
networks read it). A static blog has no analytics script, but its web server writes an access
log; this module reads nginx/Apache "combined" logs and keeps only what such a post shows.

Design decisions, each for a reason:

* **Streaming.** Lines are read one by one (plain or gzip, detected by the file's first bytes,
  not its name, because logrotate's ``.1`` files may or may not be compressed). What is kept
  grows with the number of days, minutes, distinct pages, referrer domains and visitors, never
  with the number of lines; every per-name table is capped (``MAX_KEYS``) so a log full of
  junk paths or spam referrers cannot grow it without bound.
* **Privacy.** Only aggregates leave this module: no IP address, no full user agent, no query
  string. A visitor is a keyed hash (BLAKE2b, a random key made for this run and never stored)
  of IP and user agent, counted once per day; only the counts are written. Operating systems,
  browsers and devices are the *families* a maintained parser (``ua-parser``) names, never the
  user agent itself. Paths lose their query string and fragment.
* **What is a page view.** A ``GET`` answered 200 or 304 for an HTML page: a path ending in
  ``/``, ``.html`` or ``.htm``, or whose last segment has no dot. Feeds, images, CSS, SVG
  charts and data files are assets. Crawlers, bots and tools (``ua-parser``'s "Spider" device,
  plus user agents naming a bot, crawler, spider or HTTP library, and empty user agents) are
  counted apart and never as readers.
* **Readers at once is an estimate**, said so in the output: a reader is taken to be reading
  for ``READING_MINUTES`` after each page view, so the count for a minute is the number of
  distinct visitors with a page view in that minute or the ``READING_MINUTES - 1`` before it;
  the report gives the largest such count. (Analytics tools' "active users" are the same idea
  with a script pinging; a log only has the page loads.)
* **Times** are the server's local time as written in the log (``[16/Feb/2015:12:03:44
  +0100]``): days and hours are the ones the site's readers lived in. The offsets seen are
  listed in the report.
* **Bad lines never stop a report.** A truncated line, binary garbage or a line in another
  format is counted by kind with its ``file:line`` (never its text, which holds an address);
  the report says how many.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = "tlsreport-traffic"
VERSION = 1
READING_MINUTES = 5
MAX_KEYS = 50_000  # distinct pages / referrer domains / organisations kept; the rest: "(other)"
MAX_UA_CACHE = 20_000
MAX_EXAMPLES = 5  # file:line examples per kind of bad line
MAX_LINE = 64 * 1024  # nginx's own limits keep a real line far below this
MAX_UA = 1024  # characters of a user agent given to the parser (the families come first)
DEFAULT_TOP = 20
OTHER = "(other)"

# Kinds of unreadable lines (keys of the report's "bad_lines").
BAD_TRUNCATED = "truncated"
BAD_BINARY = "binary"
BAD_FORMAT = "other_format"
BAD_TIME = "bad_time"
BAD_KINDS = (BAD_TRUNCATED, BAD_BINARY, BAD_FORMAT, BAD_TIME)
BAD_TEXT = {
    BAD_TRUNCATED: "truncated line",
    BAD_BINARY: "binary garbage",
    BAD_FORMAT: "not a combined log line",
    BAD_TIME: "unreadable time",
}

# nginx "combined" and Apache "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"":
# remote address, ident, user, [time], "request", status, bytes, "referer", "user agent".
# Apache escapes a quote inside a field as \" (nginx as \x22): both are read. Extra fields
# after the user agent (a "combined" log with $request_time appended) are allowed.
# A quoted field, with backslash escapes; written as "unrolled loop" (no alternation per
# character), five times faster than (?:[^"\\]|\\.)* on these lines.
_Q = rb'[^"\\]*(?:\\.[^"\\]*)*'
_COMBINED = re.compile(
    rb'([^ ]+) [^ ]+ (?:"' + _Q + rb'"|[^ ]+) \[([^\]]{26})\] '
    rb'"(' + _Q + rb')" (\d{3}) (?:\d+|-) "(' + _Q + rb')" "(' + _Q + rb')"'
    rb"(?: [^\n]*)?\r?\n?\Z"
)
# The start of an access log line (address, ident, user, "["): a line that has this but is
# neither a combined nor a common log line was cut short.
_START = re.compile(rb"[^ ]+ [^ ]+ [^ ]+ \[\d")
# The Common Log Format (no referrer, no user agent): a whole line in another format.
_COMMON = re.compile(rb'[^ ]+ [^ ]+ [^ ]+ \[[^\]]{26}\] "' + _Q + rb'" \d{3} (?:\d+|-)\r?\n?\Z')
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_MONTHS = {
    m.encode(): i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_EPOCH = dt.datetime(1970, 1, 1)
_END = 10**9  # a minute index after every log (year 3871): "close everything"

_BOT_WORDS = re.compile(
    r"(?<![a-z])bot\b|bot/|crawl|spider|slurp|curl/|wget/|python-|python/|httpclient|http-client|"
    r"go-http|java/|libwww|scrapy|headless|okhttp|feedfetcher|monitor|preview|scanner|"
    r"facebookexternalhit|ia_archiver",
    re.I,
)
_PAGE_SUFFIXES = (b"/", b".html", b".htm")
_PHONE_OS = (
    "iOS",
    "Android",
    "Windows Phone",
    "BlackBerry OS",
    "Symbian OS",
    "Firefox OS",
    "KaiOS",
)

BOT = "bot"


class TrafficError(ValueError):
    """A log or database that cannot be read at all, or a report file that is not valid;
    the message names the file (and the field)."""


@dataclass(frozen=True)
class Client:
    """What a user agent says, reduced to families (never the user agent itself)."""

    device: str  # desktop, phone, tablet, or BOT
    os: str
    browser: str


def classify(ua: str) -> Client:
    """Families of a user agent via ua-parser; device type by a documented heuristic.

    ua-parser names device *models* (iPhone, Pixel 8, "Spider" for crawlers), not types; the
    type is: bot for a Spider, an empty user agent or one that names a bot or HTTP library;
    tablet for iPads, Kindles and Android without "Mobile" (Google's own rule for Android
    tablets); phone for other phone systems or a "Mobile" user agent; desktop otherwise.
    """
    from ua_parser import parse

    if not ua.strip() or ua.strip() == "-":
        return Client(BOT, "Other", "(no user agent)")
    r = parse(ua)
    browser = r.user_agent.family if r.user_agent else "Other"
    os_name = r.os.family if r.os else "Other"
    device_family = r.device.family if r.device else ""
    if device_family == "Spider" or _BOT_WORDS.search(ua):
        return Client(BOT, os_name, browser)
    if (
        device_family in ("iPad", "Kindle")
        or "Tablet" in device_family
        or "Silk" in ua
        or (os_name == "Android" and "Mobile" not in ua)
    ):
        return Client("tablet", os_name, browser)
    if os_name in _PHONE_OS or "Mobile" in ua or device_family in ("iPhone", "iPod"):
        return Client("phone", os_name, browser)
    return Client("desktop", os_name, browser)


def is_page(path: bytes) -> bool:
    """An HTML page (not an asset): ends in /, .html or .htm, or its last segment has no dot."""
    if path.endswith(_PAGE_SUFFIXES):
        return True
    return b"." not in path.rpartition(b"/")[2]


def page_path(target: bytes) -> str:
    """The path of a request target without query string or fragment; ``/x/index.html`` and
    ``/x/`` are one page."""
    path = target.split(b"?", 1)[0].split(b"#", 1)[0]
    if path.endswith(b"/index.html"):
        path = path[: -len(b"index.html")]
    return path.decode("ascii", "backslashreplace")


def referrer_domain(ref: bytes) -> str | None:
    """The host a referrer URL names (lower case, without ``www.`` and port); None for none."""
    if ref in (b"", b"-"):
        return None
    scheme, sep, rest = ref.partition(b"://")
    if not sep or not scheme[:1].isalpha() or not scheme.translate(None, b"+-.").isalnum():
        return "(not a URL)"
    host = rest.split(b"/", 1)[0].split(b"?", 1)[0].split(b"#", 1)[0]
    host = host.rpartition(b"@")[2]
    bracketed = host.startswith(b"[")  # an IPv6 literal keeps its colons
    host = host.split(b"]", 1)[0] + b"]" if bracketed else host.split(b":", 1)[0]
    host = host.lower()
    if host.startswith(b"www."):
        host = host[4:]
    return host.decode("ascii", "backslashreplace") or "(not a URL)"


def _minute(stamp: bytes) -> tuple[int, str, str]:
    """``16/Feb/2015:12:03:44 +0100`` -> (minutes since 1970 in local time, day, offset).

    Raises ValueError for an impossible date or time."""
    day, mon, rest = stamp[:2], stamp[3:6], stamp[7:]
    year, hour, minute = int(rest[:4]), int(rest[5:7]), int(rest[8:10])
    if stamp[2:3] != b"/" or stamp[6:7] != b"/" or rest[4:5] != b":" or rest[7:8] != b":":
        raise ValueError("bad separators")
    if not (0 <= int(rest[11:13]) <= 60):
        raise ValueError("bad seconds")
    offset = stamp[21:26]
    if stamp[20:21] != b" " or offset[:1] not in (b"+", b"-") or not offset[1:].isdigit():
        raise ValueError("bad offset")
    when = dt.datetime(year, _MONTHS[mon], int(day), hour, minute)
    return int((when - _EPOCH).total_seconds()) // 60, when.date().isoformat(), offset.decode()


def _minute_text(index: int) -> str:
    return (_EPOCH + dt.timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M")


class _Capped(dict[str, int]):
    """A name -> count table that stops taking new names at MAX_KEYS (they count as OTHER)."""

    def add(self, key: str, n: int = 1) -> None:
        if key in self or len(self) < MAX_KEYS:
            self[key] = self.get(key, 0) + n
        else:
            self[OTHER] = self.get(OTHER, 0) + n


@dataclass
class _Source:
    name: str
    lines: int = 0
    bad: int = 0


@dataclass
class Aggregator:
    """Counts what a traffic report shows, one log line at a time.

    ``site_hosts``: the site's own host names; referrers from them are internal navigation,
    counted as such, not as referrer domains. ``asn_db``: an opened MaxMind-format reader
    (``maxminddb``) mapping addresses to organisations; without it there is no networks table.
    """

    site_hosts: frozenset[str] = frozenset()
    asn_db: Any = None
    requests: int = 0
    page_views: int = 0
    assets: int = 0
    other: int = 0
    bot_requests: int = 0
    bot_page_requests: int = 0
    direct: int = 0
    internal: int = 0
    bad: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD_KINDS, 0))
    bad_examples: list[str] = field(default_factory=list)
    sources: list[_Source] = field(default_factory=list)
    # Open days (the newest two): per-minute counts and visitor sets. Older days are closed:
    # folded into per-day and per-hour counts, their sets dropped (see _close).
    minute_views: dict[int, int] = field(default_factory=dict)
    reading: dict[int, int] = field(default_factory=dict)  # minute -> visitors reading
    day_visitors: dict[str, set[bytes]] = field(default_factory=dict)
    day_views: dict[str, int] = field(default_factory=dict)
    hour_views: dict[str, int] = field(default_factory=dict)
    visitor_days: dict[str, int] = field(default_factory=dict)
    peak: tuple[int, int] | None = None  # (views, -minute) of the busiest closed minute
    most_reading: tuple[int, int] | None = None
    pages: _Capped = field(default_factory=_Capped)
    referrers: _Capped = field(default_factory=_Capped)
    os: _Capped = field(default_factory=_Capped)
    browsers: _Capped = field(default_factory=_Capped)
    devices: _Capped = field(default_factory=_Capped)
    bots: _Capped = field(default_factory=_Capped)
    networks: _Capped = field(default_factory=_Capped)
    network_visitors: _Capped = field(default_factory=_Capped)
    offsets: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._key = os.urandom(32)  # the visitor-hash key: made here, never stored
        self._ua: dict[bytes, Client] = {}
        self._minutes: dict[bytes, tuple[int, str]] = {}
        self._last: dict[bytes, tuple[int, int]] = {}  # visitor -> reading interval (minutes)
        self._org: dict[bytes, str] = {}
        self._newest_day = -1  # days since 1970 of the newest line so far

    # -- reading ------------------------------------------------------------------------------

    def read_file(self, path: Path) -> None:
        """Count every line of one log file (plain or gzip)."""
        source = _Source(path.name)
        self.sources.append(source)
        with _open_log(path) as stream:
            self.read_lines(_bounded_lines(stream), source)

    def read_lines(self, lines: Iterable[bytes], source: _Source | None = None) -> None:
        """Count lines (bytes, each with its newline except perhaps the last)."""
        if source is None:
            source = _Source("-")
            self.sources.append(source)
        match = _COMBINED.match
        page_status = (b"200", b"304")
        ok_status = (b"200", b"206", b"304")
        number = source.lines
        for line in lines:
            number += 1
            m = match(line)
            if m is None:
                self._bad_line(line, source, number)
                continue
            ip, stamp, request, status, ref, ua = m.groups()
            cached = self._minutes.get(stamp[:17])
            if cached is None:
                try:
                    index, day, offset = _minute(stamp)
                except (ValueError, KeyError):
                    self._bad(BAD_TIME, source, number)
                    continue
                self.offsets.add(offset)
                if len(self._minutes) >= MAX_UA_CACHE:
                    self._minutes.clear()
                cached = self._minutes[stamp[:17]] = (index, day)
                if index // 1440 > self._newest_day:
                    self._newest_day = index // 1440
                    self._close(before=(self._newest_day - 1) * 1440)
            self.requests += 1
            client = self._ua.get(ua)
            if client is None:
                if len(self._ua) >= MAX_UA_CACHE:
                    self._ua.clear()
                client = self._ua[ua] = classify(_unescape(ua[:MAX_UA]))
            parts = request.split(b" ")
            is_view = (
                len(parts) == 3
                and parts[0] == b"GET"
                and status in page_status
                and is_page(parts[1].split(b"?", 1)[0])
            )
            if client.device == BOT:
                self.bot_requests += 1
                self.bots.add(client.browser)
                if is_view:
                    self.bot_page_requests += 1
                continue
            if not is_view:
                # Assets: files fetched to show a page. Everything else (HEAD, POST, errors,
                # requests that are not HTTP) is "other".
                if status in ok_status and parts[0] == b"GET" and len(parts) == 3:
                    self.assets += 1
                else:
                    self.other += 1
                continue
            self._view(ip, ua, cached, parts[1], ref, client)
        source.lines = number

    def _view(
        self, ip: bytes, ua: bytes, when: tuple[int, str], target: bytes, ref: bytes, client: Client
    ) -> None:
        index, day = when
        self.page_views += 1
        self.minute_views[index] = self.minute_views.get(index, 0) + 1
        self.pages.add(page_path(target))
        host = referrer_domain(ref)
        if host is None:
            self.direct += 1
        elif host in self.site_hosts:
            self.internal += 1
        else:
            self.referrers.add(host)
        visitor = hashlib.blake2b(ip + b"\0" + ua, key=self._key, digest_size=8).digest()
        seen = self.day_visitors.get(day)
        if seen is None:
            seen = self.day_visitors[day] = set()
        new_today = visitor not in seen
        if new_today:
            seen.add(visitor)
            self.os.add(client.os)
            self.browsers.add(client.browser)
            self.devices.add(client.device)
        if self.asn_db is not None:
            org = self._organisation(ip)
            self.networks.add(org)
            if new_today:
                self.network_visitors.add(org)
        self._reading(visitor, index)

    def _reading(self, visitor: bytes, index: int) -> None:
        """Mark ``visitor`` as reading from ``index`` for READING_MINUTES (see module doc)."""
        start, end = index, index + READING_MINUTES - 1
        last = self._last.get(visitor)
        reading = self.reading
        if last is None or start > last[1] + 1 or end < last[0] - 1:
            minutes: Iterable[int] = range(start, end + 1)
            self._last[visitor] = (start, end)
        else:
            lo, hi = last
            minutes = [m for m in range(start, end + 1) if m < lo or m > hi]
            self._last[visitor] = (min(lo, start), max(hi, end))
        for m in minutes:
            reading[m] = reading.get(m, 0) + 1

    def _close(self, before: int) -> None:
        """Fold every minute before ``before`` into day and hour counts and drop the visitor
        sets of the days before it: what keeps memory flat in the length of the log.

        Lines are expected roughly in time order (the CLI reads rotated files oldest first);
        a line for an already closed day still counts as a view, and its visitor is counted
        again for that day if it was already seen (the only cost of closing days).
        """
        for index in [m for m in self.minute_views if m < before]:
            n = self.minute_views.pop(index)
            text = _minute_text(index)
            self.day_views[text[:10]] = self.day_views.get(text[:10], 0) + n
            self.hour_views[text[:13]] = self.hour_views.get(text[:13], 0) + n
            if self.peak is None or (n, -index) > self.peak:
                self.peak = (n, -index)
        for index in [m for m in self.reading if m < before]:
            n = self.reading.pop(index)
            if self.most_reading is None or (n, -index) > self.most_reading:
                self.most_reading = (n, -index)
        first_open = _minute_text(before)[:10] if before < _END else "~"  # "~" > any day
        for day in [d for d in self.day_visitors if d < first_open]:
            self.visitor_days[day] = self.visitor_days.get(day, 0) + len(self.day_visitors.pop(day))
        for visitor in [v for v, (_, end) in self._last.items() if end < before]:
            del self._last[visitor]

    def _organisation(self, ip: bytes) -> str:
        org = self._org.get(ip)
        if org is None:
            try:
                record = self.asn_db.get(ip.decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                record = None
            org = _org_name(record)
            if len(self._org) >= MAX_UA_CACHE:
                self._org.clear()
            self._org[ip] = org
        return org

    def _bad_line(self, line: bytes, source: _Source, number: int) -> None:
        if _CONTROL.search(line) or not _utf8(line):
            kind = BAD_BINARY
        elif _COMMON.match(line):
            kind = BAD_FORMAT
        elif not line.endswith(b"\n") or _START.match(line):
            kind = BAD_TRUNCATED
        else:
            kind = BAD_FORMAT
        self._bad(kind, source, number)

    def _bad(self, kind: str, source: _Source, number: int) -> None:
        self.bad[kind] += 1
        source.bad += 1
        if sum(1 for e in self.bad_examples if e.endswith(BAD_TEXT[kind])) < MAX_EXAMPLES:
            self.bad_examples.append(f"{source.name}:{number}: {BAD_TEXT[kind]}")

    # -- the report ---------------------------------------------------------------------------

    def report(
        self, *, top: int = DEFAULT_TOP, label: str = "", networks_note: str = ""
    ) -> dict[str, Any]:
        """The aggregates as plain JSON data; only counts and family names, sorted."""
        self._close(before=_END)
        days, hours = self.day_views, self.hour_views
        peak, most = self.peak, self.most_reading
        all_days = sorted(set(days) | set(self.visitor_days))
        humans = sum(self.devices.values())
        out: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "label": label,
            "sources": [
                {"file": s.name, "lines": s.lines, "unreadable": s.bad} for s in self.sources
            ],
            "period": {
                "first": all_days[0] if all_days else None,
                "last": all_days[-1] if all_days else None,
                "utc_offsets": sorted(self.offsets),
                "time": "the server's local time, as written in the log",
            },
            "lines": {
                "total": sum(s.lines for s in self.sources),
                "read": self.requests,
                "unreadable": sum(self.bad.values()),
                "unreadable_by_kind": dict(self.bad),
                "examples": list(self.bad_examples),
            },
            "requests": {
                "total": self.requests,
                "page_views": self.page_views,
                "assets": self.assets,
                "other": self.other,
                "bots": self.bot_requests,
            },
            "page_views": self.page_views,
            "visitors": sum(self.visitor_days.values()),
            "daily": [
                {"day": d, "views": days.get(d, 0), "visitors": self.visitor_days.get(d, 0)}
                for d in all_days
            ],
            "hourly": [{"hour": h, "views": n} for h, n in sorted(hours.items())],
            "peak_minute": ({"at": _minute_text(-peak[1]), "views": peak[0]} if peak else None),
            "readers_at_once": {
                "max": most[0] if most else 0,
                "at": _minute_text(-most[1]) if most else None,
                "reading_minutes": READING_MINUTES,
                "method": (
                    f"estimate: distinct visitors with a page view in the same minute "
                    f"or the {READING_MINUTES - 1} before it (a reader is taken to read "
                    f"for {READING_MINUTES} minutes after each page loads)"
                ),
            },
            "pages": _top(self.pages, top, "path"),
            "referrers": {
                "direct": self.direct,
                "internal": self.internal,
                "domains": _top(self.referrers, top, "domain"),
            },
            "systems": {
                "visitors": humans,
                "os": _shares(self.os, top, humans),
                "browsers": _shares(self.browsers, top, humans),
                "devices": _shares(self.devices, top, humans),
            },
            "bots": {
                "requests": self.bot_requests,
                "page_requests": self.bot_page_requests,
                "top": _top(self.bots, top, "name", key="requests"),
            },
            "networks": None,
            "networks_note": networks_note
            or ("no IP-to-organisation database was given, so there is no networks table"),
        }
        if self.asn_db is not None:
            out["networks"] = [
                {"organisation": name, "views": n, "visitors": self.network_visitors.get(name, 0)}
                for name, n in _ranked(self.networks, top)
            ]
            out["networks_note"] = networks_note
        return out


def _top(table: dict[str, int], top: int, name: str, key: str = "views") -> list[dict[str, Any]]:
    return [{name: k, key: n} for k, n in _ranked(table, top)]


def _shares(table: dict[str, int], top: int, total: int) -> list[dict[str, Any]]:
    return [
        {"name": k, "visitors": n, "share": round(100 * n / total, 1) if total else 0.0}
        for k, n in _ranked(table, top)
    ]


def _ranked(table: dict[str, int], top: int) -> list[tuple[str, int]]:
    """Highest count first, ties by name, so the same log always gives the same file."""
    return sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def _org_name(record: Any) -> str:
    if isinstance(record, dict):
        for key in ("autonomous_system_organization", "organization", "isp", "org", "name"):
            value = record.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:120]
    return "(unknown network)"


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unescape(ua: bytes) -> str:
    """A user agent as the client sent it: nginx writes ``\\xHH`` escapes, Apache ``\\"``."""
    if b"\\" in ua:
        ua = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), ua)
        ua = ua.replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    return ua.decode("utf-8", "replace")


_TOO_LONG = b"(a line longer than MAX_LINE)\n"  # read as "not a combined log line"


def _bounded_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's lines, never holding more than MAX_LINE bytes of one: a log that is one
    endless line (binary garbage with no newline) must not be read into memory whole."""
    readline = stream.readline
    while True:
        line = readline(MAX_LINE)
        if not line:
            return
        if len(line) == MAX_LINE and not line.endswith(b"\n"):
            while True:  # skip the rest of the over-long line
                rest = readline(MAX_LINE)
                if not rest or rest.endswith(b"\n"):
                    break
            yield _TOO_LONG
        else:
            yield line


@contextlib.contextmanager
def _open_log(path: Path) -> Iterator[IO[bytes]]:
    """A log file as a binary line stream: gzip when it starts with gzip's magic bytes."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below, or handed to the gzip reader
    except OSError as exc:
        raise TrafficError(f"{path}: cannot read the log: {exc.strerror or exc}") from None
    try:
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            stream: IO[bytes] = io.BufferedReader(gzip.GzipFile(fileobj=raw), 1 << 20)
        else:
            raw.seek(0)
            stream = io.BufferedReader(raw, 1 << 20)
        try:
            yield stream
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise TrafficError(f"{path}: the compressed log is damaged: {exc}") from None
    finally:
        raw.close()


def open_asn_db(path: Path) -> Any:
    """A MaxMind-format (``.mmdb``) database, read offline with ``maxminddb``."""
    import maxminddb

    try:
        return maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise TrafficError(f"{path}: not a readable MaxMind database (.mmdb): {exc}") from None


def first_minute(path: Path, *, probe: int = 1000) -> int | None:
    """The minute of the first readable line among a log's first ``probe`` lines (None: none).

    Used to read rotated logs oldest first whatever order they are given in, because days
    are closed as the reading moves past them (see Aggregator._close)."""
    with _open_log(path) as stream:
        for n, line in enumerate(stream):
            if n >= probe:
                break
            m = _COMBINED.match(line)
            if m is not None:
                try:
                    return _minute(m.group(2))[0]
                except (ValueError, KeyError):
                    continue
    return None


def order_logs(paths: Iterable[Path]) -> list[Path]:
    """Logs oldest first by their first line's time; unreadable-at-start ones last, by name."""
    keyed = [(first_minute(p), str(p), p) for p in paths]
    return [p for _, _, p in sorted(keyed, key=lambda k: (k[0] is None, k[0] or 0, k[1]))]


def build_report(
    logs: Iterable[Path],
    *,
    site_hosts: Iterable[str] = (),
    asn_db: Path | None = None,
    top: int = DEFAULT_TOP,
    label: str = "",
) -> dict[str, Any]:
    """Read every log in order and return the report's data."""
    reader = open_asn_db(asn_db) if asn_db is not None else None
    hosts = frozenset(h.lower().removeprefix("www.") for h in site_hosts)
    agg = Aggregator(site_hosts=hosts, asn_db=reader)
    try:
        for path in order_logs(logs):
            agg.read_file(path)
    finally:
        if reader is not None:
            reader.close()
    note = f"organisations from {asn_db.name}" if asn_db is not None else ""
    return agg.report(top=top, label=label, networks_note=note)


def dumps(report: dict[str, Any]) -> bytes:
    """The report file's bytes: stable key order, one value per line where short."""
    return (json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_report(report: dict[str, Any], out: Path) -> None:
    """Write atomically (temp file in the same folder, then rename): a crash or a full disk
    leaves the previous report whole."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(dumps(report))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
