"""A generated nginx "combined" access log shaped like the series' traffic post, and its
IP-to-organisation database.

    .venv/bin/python bench/make_traffic_log.py OUT.log [--mmdb OUT.mmdb] [--size BYTES]

Why generated: the original blog's logs are long gone and held readers' addresses; what
survives are the figures the traffic post gave (../shared/reference/example-series.md): about
12,000 views on Monday 2015-02-16 after a small build-up on the Sunday, a decay over the
following days, referrers led by a broadcaster's news site, ~60 % Windows / 12 % OS X / 10 %
iOS, 79 % desktop / 15 % phones / 6 % tablets, and page views from named corporate networks.
This script writes a log with that shape, so the example post can be re-created by the real
report (``python -m tlsreport traffic``) and says in its text that the log is generated.

Deterministic: a fixed seed, no clock; the same arguments always give the same bytes.
Addresses are from private ranges (10.0.0.0/8, 172.16.0.0/12): they are text in a file, no
packet is ever sent to them. ``--mmdb`` writes a MaxMind-format database mapping those ranges
to the networks' names (needs the ``mmdb-writer`` package from requirements-dev.txt).
``--size`` repeats the 18-day shape (dates running on) until the file reaches that many bytes:
the benchmark's 1 GiB log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

SEED = 2015
SITE = "blog.example"
FIRST_DAY = dt.date(2015, 2, 9)
# Page views per day, 9 to 26 February 2015: quiet, the Sunday build-up, the Monday peak
# (part 4 published, on the news), then the decay.
DAILY_VIEWS = (
    180,
    170,
    190,
    160,
    150,
    140,
    1400,
    12000,
    5200,
    2600,
    1500,
    1000,
    600,
    550,
    700,
    500,
    420,
    380,
)
PEAK_DAY_INDEX = 7
# Share of a day's views per local hour (a working day's reading: mornings and lunch).
HOURS = (1, 0.5, 0.3, 0.3, 0.3, 0.6, 2, 5, 9, 10, 9, 8, 7, 8, 7, 6, 5, 5, 5, 5, 5, 4, 3, 2)

PART = "/belgian-banks-ssl-part-{}.html"
PAGES_BEFORE = ((PART.format(3), 30), (PART.format(1), 25), (PART.format(2), 20), ("/", 25))
PAGES_PEAK = (
    (PART.format(4), 83),
    (PART.format(3), 6),
    (PART.format(1), 4),
    (PART.format(2), 3),
    ("/", 4),
)
PAGES_AFTER = (
    (PART.format(4), 55),
    (PART.format(3), 17),
    (PART.format(1), 12),
    (PART.format(2), 8),
    ("/", 8),
)
ASSETS = ("/theme/css/main.css", "/tlsreport/charts/3f2a9c1d0b7e.svg", "/theme/favicon.ico")

# Where a visit's first page view came from (None: typed or bookmarked, no referrer).
REFERRERS = (
    (None, 30),
    ("https://news.broadcaster.example/tech/article-1234", 20),
    ("https://www.national-paper.example/economie/banken", 12),
    ("https://it-news.example/nieuws/beveiliging", 10),
    ("https://t.co/AbCdEf12", 8),
    ("https://dutch-tech.example/forum/list_messages/123", 5),
    ("https://www.google.example/", 5),
    ("https://www.facebook.example/", 3),
    ("http://intranet.federal-it.example/news", 1),
    ("http://intranet.bank-a.example/", 1),
    ("http://intranet.bank-b.example/security", 1),
    ("https://www.bank-c.example/mailing", 1),
    ("https://mail.webmail.example/", 1),
    ("https://reader.feeds.example/", 2),
)
# (user agent, weight): Windows 60, OS X 12, Linux 5, Chrome OS 2 (desktop 79);
# iPhone 6, Android phone 9 (phones 15); iPad 4, Android tablet 2 (tablets 6). iOS = 10.
AGENTS = (
    (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/40.0.2214.111 Safari/537.36",
        25,
    ),
    ("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", 15),
    ("Mozilla/5.0 (Windows NT 6.1; WOW64; rv:35.0) Gecko/20100101 Firefox/35.0", 12),
    (
        "Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/40.0.2214.115 Safari/537.36",
        8,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_2) AppleWebKit/600.3.18 (KHTML, like Gecko) "
        "Version/8.0.3 Safari/600.3.18",
        7,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_2) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/40.0.2214.111 Safari/537.36",
        5,
    ),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:35.0) Gecko/20100101 Firefox/35.0", 5),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 6680.78.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/40.0.2214.102 Safari/537.36",
        2,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 8_1_3 like Mac OS X) AppleWebKit/600.1.4 "
        "(KHTML, like Gecko) Version/8.0 Mobile/12B466 Safari/600.1.4",
        6,
    ),
    (
        "Mozilla/5.0 (Linux; Android 4.4.2; GT-I9505 Build/KOT49H) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/40.0.2214.89 Mobile Safari/537.36",
        9,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 8_1_3 like Mac OS X) AppleWebKit/600.1.4 (KHTML, like Gecko) "
        "Version/8.0 Mobile/12B466 Safari/600.1.4",
        4,
    ),
    (
        "Mozilla/5.0 (Linux; Android 4.4.2; SM-T530 Build/KOT49H) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/40.0.2214.89 Safari/537.36",
        2,
    ),
)
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/7.38.0",
)
BOT_SHARE = 0.06  # of all requests

# Networks: (name, first address of its block, block size, share of visits). The two consumer
# ISPs first; the corporate networks sized to the post's page views over the period.
NETWORKS = (
    ("Consumer ISP One", "10.1.0.0", 1 << 16, 0.42),
    ("Consumer ISP Two", "10.2.0.0", 1 << 16, 0.28),
    ("Bank Van Breda", "172.16.1.0", 16, 0.00633),
    ("ING", "172.16.2.0", 16, 0.00587),
    ("Fortis", "172.16.3.0", 16, 0.00417),
    ("KBC", "172.16.4.0", 16, 0.00359),
    ("AXA", "172.16.5.0", 16, 0.00329),
    ("Ogone", "172.16.6.0", 8, 0.0014),
    ("HP", "172.16.7.0", 8, 0.0016),
    ("Crelan", "172.16.8.0", 8, 0.0015),
    ("Argenta", "172.16.9.0", 8, 0.0013),
    ("Infrabel", "172.16.10.0", 8, 0.0012),
    ("Deutsche Bank", "172.16.11.0", 8, 0.0011),
    ("Microsoft", "172.16.12.0", 8, 0.0011),
    ("Flemish government", "172.16.13.0", 8, 0.0009),
    ("AGFA", "172.16.14.0", 8, 0.0008),
    ("Getronics", "172.16.15.0", 8, 0.0008),
    ("Postal service", "172.16.16.0", 8, 0.0007),
)
OTHER_NETWORKS = ("Other ISPs", "10.3.0.0", 1 << 16)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _address(rng: random.Random) -> str:
    pick = rng.random()
    first, size = OTHER_NETWORKS[1], OTHER_NETWORKS[2]
    for _name, block, block_size, share in NETWORKS:
        if pick < share:
            first, size = block, block_size
            break
        pick -= share
    a, b, c, d = (int(x) for x in first.split("."))
    n = ((a << 24) | (b << 16) | (c << 8) | d) + rng.randrange(size)
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _stamp(day: dt.date, second: int) -> str:
    h, rest = divmod(second, 3600)
    return (
        f"{day.day:02d}/{_MONTHS[day.month - 1]}/{day.year}:"
        f"{h:02d}:{rest // 60:02d}:{rest % 60:02d} +0100"
    )


def _pick(rng: random.Random, table: tuple[tuple[object, float], ...]) -> object:
    items, weights = zip(*table, strict=True)
    return rng.choices(items, weights=weights)[0]


def day_lines(
    day: dt.date, views: int, pages: tuple[tuple[str, int], ...], rng: random.Random
) -> list[tuple[int, str]]:
    """(second of day, line) for one day with about ``views`` human page views."""
    out: list[tuple[int, str]] = []
    made = 0
    hours = list(range(24))
    while made < views:
        second = rng.choices(hours, weights=HOURS)[0] * 3600 + rng.randrange(3600)
        ip = _address(rng)
        agent = str(_pick(rng, AGENTS))  # type: ignore[arg-type]
        ref = _pick(rng, REFERRERS)  # type: ignore[arg-type]
        length = rng.choices((1, 2, 3), weights=(80, 13, 7))[0]
        for k in range(min(length, views - made)):
            page = str(_pick(rng, pages))  # type: ignore[arg-type]
            referer = ref if k == 0 else f"https://{SITE}/"
            status = 304 if rng.random() < 0.04 else 200
            size = 0 if status == 304 else 9000 + rng.randrange(20000)
            at = min(second + k * (60 + rng.randrange(180)), 86399)
            out.append(
                (
                    at,
                    f'{ip} - - [{_stamp(day, at)}] "GET {page} HTTP/1.1" {status} '
                    f'{size} "{referer or "-"}" "{agent}"',
                )
            )
            for asset in ASSETS[: 1 + rng.randrange(len(ASSETS))]:
                a_status = 304 if k else 200
                out.append(
                    (
                        at,
                        f'{ip} - - [{_stamp(day, at)}] "GET {asset} HTTP/1.1" '
                        f"{a_status} {0 if a_status == 304 else 4000} "
                        f'"https://{SITE}{page}" "{agent}"',
                    )
                )
            made += 1
    for _ in range(int(len(out) * BOT_SHARE)):
        second = rng.randrange(86400)
        page = str(_pick(rng, pages))  # type: ignore[arg-type]
        out.append(
            (
                second,
                f"10.9.{rng.randrange(64, 80)}.{rng.randrange(256)} - - "
                f'[{_stamp(day, second)}] "GET {page} HTTP/1.1" 200 12000 "-" '
                f'"{rng.choice(BOTS)}"',
            )
        )
    for _ in range(max(1, views // 200)):
        second = rng.randrange(86400)
        out.append(
            (
                second,
                f"{_address(rng)} - - [{_stamp(day, second)}] "
                f'"GET /wp-login.php HTTP/1.1" 404 162 "-" "{AGENTS[0][0]}"',
            )
        )
    out.sort(key=lambda p: p[0])
    return out


def write_log(out: Path, *, size: int | None = None) -> int:
    """Write the log; with ``size``, repeat the shape until the file has that many bytes."""
    rng = random.Random(SEED)
    written = 0
    cycle = 0
    with open(out, "w", encoding="ascii", newline="\n") as f:
        while True:
            for i, views in enumerate(DAILY_VIEWS):
                day = FIRST_DAY + dt.timedelta(days=cycle * len(DAILY_VIEWS) + i)
                if i < PEAK_DAY_INDEX:
                    pages = PAGES_BEFORE
                elif i == PEAK_DAY_INDEX:
                    pages = PAGES_PEAK
                else:
                    pages = PAGES_AFTER
                for _, line in day_lines(day, views, pages, rng):
                    f.write(line + "\n")
                    written += len(line) + 1
                if size is not None and written >= size:
                    return written
            cycle += 1
            if size is None:
                return written


def write_mmdb(out: Path) -> None:
    """The networks as a MaxMind-format database (GeoLite2-ASN field names)."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(
        ip_version=4,
        database_type="GeoLite2-ASN",
        description={"en": "tlsreport example networks (generated)"},
    )
    number = 64512  # private-use AS numbers
    for name, first, size, _share in (*NETWORKS, (*OTHER_NETWORKS, 0.0)):
        prefix = 32 - (size.bit_length() - 1)
        writer.insert_network(
            IPSet([f"{first}/{prefix}"]),
            {"autonomous_system_number": number, "autonomous_system_organization": name},
        )
        number += 1
    writer.to_db_file(str(out))


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.strip().lower().removesuffix("ib").removesuffix("b")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="the log file to write")
    parser.add_argument("--mmdb", type=Path, help="also write the networks database here")
    parser.add_argument("--size", type=_size, help="repeat until this size (e.g. 1GiB)")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    written = write_log(args.out, size=args.size)
    print(f"{args.out}: {written} bytes", file=sys.stderr)
    if args.mmdb:
        write_mmdb(args.mmdb)
        print(f"{args.mmdb}: networks database", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
