"""Traffic reports from access logs: the pure logic (parsing, counting, privacy, bad lines).

The real-server test (nginx on loopback writing a real log) is tests/test_traffic_nginx.py.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from tlsreport import traffic

ROOT = Path(__file__).resolve().parents[2]

WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
ANDROID_TAB = (
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def line(
    ip: str = "192.0.2.1",
    when: str = "16/Feb/2015:10:00:00 +0100",
    request: str = "GET /a.html HTTP/1.1",
    status: int = 200,
    ref: str = "-",
    ua: str = WIN,
) -> bytes:
    return f'{ip} - - [{when}] "{request}" {status} 123 "{ref}" "{ua}"\n'.encode()


def report(lines: list[bytes], **kw: object) -> dict:
    agg = traffic.Aggregator(**kw)  # type: ignore[arg-type]
    agg.read_lines(lines)
    return agg.report()


def test_page_views_are_html_pages_answered_200_or_304() -> None:
    r = report(
        [
            line(request="GET /a.html HTTP/1.1"),
            line(request="GET / HTTP/1.1", status=304),
            line(request="GET /about HTTP/1.1"),
            line(request="GET /post/index.html?utm=x HTTP/1.1"),
            line(request="GET /theme/main.css HTTP/1.1"),  # asset
            line(request="GET /chart.svg HTTP/1.1"),  # asset
            line(request="GET /feeds/all.atom.xml HTTP/1.1"),  # asset
            line(request="GET /missing.html HTTP/1.1", status=404),
            line(request="HEAD /a.html HTTP/1.1"),  # not a view
            line(request="\\x16\\x03\\x01", status=400),  # TLS spoken to the plain port
        ]
    )
    assert r["page_views"] == 4
    assert r["requests"] == {"total": 10, "page_views": 4, "assets": 3, "other": 3, "bots": 0}
    assert {p["path"]: p["views"] for p in r["pages"]} == {
        "/a.html": 1,
        "/": 1,
        "/about": 1,
        "/post/": 1,
    }


def test_visitors_are_counted_once_per_day_by_address_and_agent() -> None:
    r = report(
        [
            line(ip="192.0.2.1", when="16/Feb/2015:10:00:00 +0100"),
            line(ip="192.0.2.1", when="16/Feb/2015:18:00:00 +0100"),
            line(ip="192.0.2.1", when="16/Feb/2015:18:01:00 +0100", ua=IPHONE),
            line(ip="192.0.2.2", when="16/Feb/2015:19:00:00 +0100"),
            line(ip="192.0.2.1", when="17/Feb/2015:09:00:00 +0100"),
        ]
    )
    assert r["daily"] == [
        {"day": "2015-02-16", "views": 4, "visitors": 3},
        {"day": "2015-02-17", "views": 1, "visitors": 1},
    ]
    assert r["visitors"] == 4
    assert r["hourly"] == [
        {"hour": "2015-02-16T10", "views": 1},
        {"hour": "2015-02-16T18", "views": 2},
        {"hour": "2015-02-16T19", "views": 1},
        {"hour": "2015-02-17T09", "views": 1},
    ]
    assert r["period"]["utc_offsets"] == ["+0100"]


def test_peak_minute_and_readers_at_once_estimate() -> None:
    # Visitors 1..3 each load a page at 10:00; visitor 1 again at 10:03 (still reading);
    # visitor 4 at 10:06 when 2 and 3 have stopped (5-minute reading window): at most 3.
    lines = [line(ip=f"192.0.2.{i}", when="16/Feb/2015:10:00:10 +0100") for i in (1, 2, 3)]
    lines += [
        line(ip="192.0.2.1", when="16/Feb/2015:10:03:00 +0100"),
        line(ip="192.0.2.4", when="16/Feb/2015:10:06:00 +0100"),
    ]
    r = report(lines)
    assert r["peak_minute"] == {"at": "2015-02-16T10:00", "views": 3}
    assert r["readers_at_once"]["max"] == 3
    assert r["readers_at_once"]["at"] == "2015-02-16T10:00"
    assert "estimate" in r["readers_at_once"]["method"]


def test_days_closed_while_reading_keep_the_same_totals() -> None:
    # Five days: the first three are closed (folded) while the later ones are read. Day 13
    # has 5 readers at 12:04; day 14 has 6 views but never more than 5 reading at once: the
    # first minute with the most wins.
    lines = []
    for day in range(10, 15):
        for i in range(day - 8):
            lines.append(line(ip=f"192.0.2.{i}", when=f"{day}/Feb/2015:12:0{i}:00 +0100"))
    r = report(lines)
    assert [(d["day"], d["views"], d["visitors"]) for d in r["daily"]] == [
        (f"2015-02-{d}", d - 8, d - 8) for d in range(10, 15)
    ]
    assert r["peak_minute"]["views"] == 1
    assert r["readers_at_once"] == {**r["readers_at_once"], "max": 5, "at": "2015-02-13T12:04"}


def test_referrer_domains_direct_and_internal() -> None:
    r = report(
        [
            line(ref="https://www.News.Example:8443/tech/x?y=1"),
            line(ref="https://news.example/other"),
            line(ref="-"),
            line(ref=""),
            line(ref="https://blog.example/"),
            line(ref="not a url"),
            line(ref="http://user:pw@[2001:db8::1]:80/x"),
            line(ref="android-app://com.example.reader/"),
        ],
        site_hosts=frozenset({"blog.example"}),
    )
    assert r["referrers"]["direct"] == 2
    assert r["referrers"]["internal"] == 1
    assert r["referrers"]["domains"] == [
        {"domain": "news.example", "views": 2},
        {"domain": "(not a URL)", "views": 1},
        {"domain": "[2001:db8::1]", "views": 1},
        {"domain": "com.example.reader", "views": 1},
    ]


@pytest.mark.parametrize(
    ("ua", "device", "os_name"),
    [
        (WIN, "desktop", "Windows"),
        (IPHONE, "phone", "iOS"),
        (IPAD, "tablet", "iOS"),
        (ANDROID_TAB, "tablet", "Android"),
        (GOOGLEBOT, traffic.BOT, None),
        ("curl/8.5.0", traffic.BOT, None),
        ("python-requests/2.31", traffic.BOT, None),
        ("", traffic.BOT, None),
        (
            "Mozilla/5.0 (compatible; MyCrawler/1.0; +https://crawler.example/bot)",
            traffic.BOT,
            None,
        ),
        (
            "Mozilla/5.0 (Linux; Android 9; Cubot X30) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36",
            "phone",
            "Android",
        ),  # "bot" inside a brand
        ("-", traffic.BOT, None),
    ],
)
def test_classify_devices(ua: str, device: str, os_name: str | None) -> None:
    client = traffic.classify(ua)
    assert client.device == device
    if os_name is not None:
        assert client.os == os_name


def test_systems_count_visitors_and_bots_are_counted_apart() -> None:
    r = report(
        [
            line(ip="192.0.2.1", ua=WIN),
            line(ip="192.0.2.1", ua=WIN),
            line(ip="192.0.2.2", ua=IPHONE),
            line(ip="192.0.2.3", ua=IPAD),
            line(ip="198.51.100.7", ua=GOOGLEBOT),
            line(ip="198.51.100.7", ua=GOOGLEBOT, request="GET /robots.txt HTTP/1.1"),
        ]
    )
    assert r["page_views"] == 4
    assert r["systems"]["visitors"] == 3
    assert r["systems"]["devices"] == [
        {"name": "desktop", "visitors": 1, "share": 33.3},
        {"name": "phone", "visitors": 1, "share": 33.3},
        {"name": "tablet", "visitors": 1, "share": 33.3},
    ]
    assert {o["name"] for o in r["systems"]["os"]} == {"Windows", "iOS"}
    assert r["bots"] == {
        "requests": 2,
        "page_requests": 1,
        "top": [{"name": "Googlebot", "requests": 2}],
    }


def test_apache_escaped_quote_and_nginx_hex_escape_in_user_agent() -> None:
    r = report(
        [
            b'192.0.2.1 - - [16/Feb/2015:10:00:00 +0100] "GET / HTTP/1.1" 200 5 "-" '
            b'"Mozilla/5.0 \\"quoted\\" (Windows NT 10.0) Chrome/120.0 Safari/537.36"\n',
            b'192.0.2.2 - - [16/Feb/2015:10:00:00 +0100] "GET / HTTP/1.1" 200 5 "-" '
            b'"Mozilla/5.0 \\x22x\\x22 (Windows NT 10.0) Chrome/120.0 Safari/537.36"\n',
        ]
    )
    assert r["lines"]["unreadable"] == 0
    assert r["page_views"] == 2
    assert r["systems"]["os"] == [{"name": "Windows", "visitors": 2, "share": 100.0}]


def test_bad_lines_are_counted_by_kind_with_file_and_line_never_a_crash(tmp_path: Path) -> None:
    good = line()
    log = tmp_path / "access.log"
    log.write_bytes(
        b"".join(
            [
                good,
                good[:40] + b"\n",  # cut in the middle
                b"\x00\x01\xffGARBAGE\xfe\x80 binary\n",  # binary
                b'192.0.2.9 - - [16/Feb/2015:10:00:00 +0100] "GET / HTTP/1.1" 200 12\n',  # CLF
                b'{"remote_addr": "192.0.2.9", "request": "GET /"}\n',  # JSON log
                line(when="16/Foo/2015:10:00:00 +0100"),  # impossible month
                line(when="31/Feb/2015:10:00:00 +0100"),  # impossible day
                b"\n",
                good,
                good[:-30],  # the last line, cut by a crash, no newline
            ]
        )
    )
    agg = traffic.Aggregator()
    agg.read_file(log)
    r = agg.report()
    assert r["page_views"] == 2
    assert r["lines"]["total"] == 10
    assert r["lines"]["unreadable_by_kind"] == {
        "truncated": 2,
        "binary": 1,
        "other_format": 3,
        "bad_time": 2,
    }
    assert r["lines"]["examples"][:3] == [
        "access.log:2: truncated line",
        "access.log:3: binary garbage",
        "access.log:4: not a combined log line",
    ]
    assert "access.log:10: truncated line" in r["lines"]["examples"]
    assert r["sources"] == [{"file": "access.log", "lines": 10, "unreadable": 8}]


def test_random_bytes_and_mangled_lines_never_crash_and_are_all_accounted_for() -> None:
    rng = random.Random(15)
    good = line()
    lines = []
    for _ in range(3000):
        kind = rng.randrange(4)
        if kind == 0:  # random bytes
            lines.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
        elif kind == 1:  # a good line cut anywhere
            lines.append(good[: rng.randrange(len(good))])
        elif kind == 2:  # a good line with one byte changed
            i = rng.randrange(len(good))
            lines.append(good[:i] + bytes([rng.randrange(256)]) + good[i + 1 :])
        else:
            lines.append(good)
    agg = traffic.Aggregator()
    agg.read_lines(lines)
    r = agg.report()
    assert r["lines"]["total"] == 3000
    assert r["lines"]["read"] + r["lines"]["unreadable"] == 3000
    assert r["page_views"] >= lines.count(good)


def test_an_endless_line_is_one_bad_line_and_is_never_read_whole(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    with open(log, "wb") as f:
        f.write(line())
        f.write(b"A" * (5 * traffic.MAX_LINE + 17) + b"\n")  # five buffers and a bit
        f.write(line(ip="192.0.2.2"))
    agg = traffic.Aggregator()
    agg.read_file(log)
    r = agg.report()
    assert r["page_views"] == 2
    assert r["lines"]["total"] == 3
    assert r["lines"]["unreadable_by_kind"][traffic.BAD_FORMAT] == 1
    assert r["lines"]["examples"] == ["access.log:2: not a combined log line"]


def test_gzip_rotated_logs_in_any_order_give_the_same_report(tmp_path: Path) -> None:
    old = [line(ip=f"192.0.2.{i}", when=f"1{i}/Feb/2015:10:00:00 +0100") for i in range(5)]
    new = [line(ip=f"192.0.2.{i}", when=f"2{i}/Feb/2015:10:00:00 +0100") for i in range(5)]
    (tmp_path / "access.log").write_bytes(b"".join(new))
    with gzip.open(tmp_path / "access.log.1", "wb") as f:  # compressed, no .gz suffix
        f.write(b"".join(old))
    plain = tmp_path / "plain.log"
    plain.write_bytes(b"".join(old + new))
    one = traffic.build_report([plain])
    rotated = traffic.build_report([tmp_path / "access.log", tmp_path / "access.log.1"])
    for key in ("daily", "hourly", "visitors", "page_views", "peak_minute", "pages"):
        assert rotated[key] == one[key], key
    assert [s["file"] for s in rotated["sources"]] == ["access.log.1", "access.log"]


def test_a_damaged_gzip_log_is_an_error_naming_the_file(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(line() for _ in range(2000)))
    bad = tmp_path / "access.log.2.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(traffic.TrafficError, match=r"access\.log\.2\.gz: the compressed log"):
        traffic.build_report([bad])


def test_only_aggregates_reach_the_report(tmp_path: Path) -> None:
    secret_ua = WIN + " SecretCorpBuild/7.7.7-unique"
    r = report(
        [
            line(
                ip="203.0.113.77",
                request="GET /a.html?token=hunter2&mail=x@y HTTP/1.1",
                ref="https://news.example/path?session=abc123",
                ua=secret_ua,
            ),
            line(ip="2001:db8::beef", ua=IPHONE),
        ]
    )
    text = traffic.dumps(r).decode()
    for leak in (
        "203.0.113.77",
        "2001:db8::beef",
        "hunter2",
        "token",
        "session",
        "abc123",
        "SecretCorpBuild",
        "Mozilla",
        "/path",
    ):
        assert leak not in text, leak
    assert r["page_views"] == 2


def test_networks_only_with_a_database(tmp_path: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    db = tmp_path / "asn.mmdb"
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN")
    writer.insert_network(IPSet(["192.0.2.0/25"]), {"autonomous_system_organization": "Bank A"})
    writer.insert_network(IPSet(["192.0.2.128/25"]), {"autonomous_system_organization": "ISP <b>"})
    writer.to_db_file(str(db))
    log = tmp_path / "a.log"
    log.write_bytes(
        b"".join(
            [
                line(ip="192.0.2.1"),
                line(ip="192.0.2.1"),
                line(ip="192.0.2.200"),
                line(ip="198.51.100.1"),
                line(ip="not-an-ip"),
            ]
        )
    )
    with_db = traffic.build_report([log], asn_db=db)
    assert with_db["networks"] == [  # ties by name
        {"organisation": "(unknown network)", "views": 2, "visitors": 2},
        {"organisation": "Bank A", "views": 2, "visitors": 1},
        {"organisation": "ISP <b>", "views": 1, "visitors": 1},
    ]
    without = traffic.build_report([log])
    assert without["networks"] is None
    assert "no IP-to-organisation database" in without["networks_note"]
    with pytest.raises(traffic.TrafficError, match="not a readable MaxMind database"):
        traffic.build_report([log], asn_db=log)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tlsreport", "traffic", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "plugins"), "PATH": "/usr/bin"},
    )


def test_cli_writes_the_report_and_rejects_bad_input(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(line() + b"\x00junk\n")
    out = tmp_path / "traffic" / "spike.json"
    done = run_cli(str(log), "--out", str(out), "--label", "test log")
    assert done.returncode == 0, done.stderr
    assert "1 page views" in done.stdout and "unreadable (binary): 1" in done.stdout
    assert "access.log:2: binary garbage" in done.stdout
    assert "networks: left out" in done.stdout
    data = json.loads(out.read_text())
    assert data["format"] == traffic.FORMAT and data["label"] == "test log"
    assert not list(out.parent.glob(".*.tmp"))

    bad_name = run_cli(str(log), "--out", str(tmp_path / "Bad Name.json"))
    assert bad_name.returncode == 2 and "--out" in bad_name.stderr
    missing = run_cli(str(tmp_path / "nope.log"), "--out", str(out))
    assert missing.returncode == 2 and "nope.log: no such log file" in missing.stderr
    bad_db = run_cli(str(log), "--out", str(out), "--asn-db", str(log))
    assert bad_db.returncode == 2 and "not a readable MaxMind database" in bad_db.stderr
    assert json.loads(out.read_text()) == data  # a failed run leaves the report as it was
