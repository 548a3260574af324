"""A real nginx on loopback writes a real access log; the traffic report counts what was sent.

The test starts nginx itself (127.0.0.1, a free port, its own prefix, config, pid and log in a
temp folder), sends a known, bounded mix of pages, assets, referrers and user agents from
several loopback source addresses (127.0.0.0/8 is all ours, so each address is a different
reader), stops nginx by its PID, then damages the log the ways real logs get damaged (a line
cut by a crash, a block of binary garbage, lines in another format) and rotates half of it
into a gzip file. ``python -m tlsreport traffic`` must report exactly what the client sent,
count the bad lines by kind and keep addresses, user agents and query strings out.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONF = """\
worker_processes 1;
daemon off;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log combined;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/site;
        index index.html;
    }}
}}
"""

WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Safari/605.1.15"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    'Version/17.0 Mobile/15E148 Safari/604.1 "quoted"'
)  # nginx writes \x22
HUMANS = {
    WIN: ("Windows", "desktop"),
    MAC: ("Mac OS X", "desktop"),
    IPHONE: ("iOS", "phone"),
    IPAD: ("iOS", "tablet"),
}
BOTS = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "Googlebot",
    "curl/8.5.0": "curl",
}
PAGES = ("/", "/a.html", "/b/", "/b/index.html?utm_source=secret-campaign")
ASSETS = ("/style.css", "/chart.svg")
REFERRERS = (
    None,
    "https://news.example/story?id=secret-id",
    "https://www.paper.example/x",
    "https://site.test/a.html",
)
READERS = 6  # source addresses 127.0.0.10 .. 127.0.0.15
ROUNDS = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _plan() -> list[tuple[str, str, str, str, str | None]]:
    """(source address, method, path, user agent, referrer) for every request, in order."""
    humans, bots = list(HUMANS), list(BOTS)
    plan = []
    for i in range(ROUNDS):
        ip = f"127.0.0.{10 + i % READERS}"
        ua = humans[i % len(humans)]
        page = PAGES[i % len(PAGES)]
        plan.append((ip, "GET", page, ua, REFERRERS[(i // 2) % len(REFERRERS)]))
        plan.append((ip, "GET", ASSETS[i % 2], ua, f"https://site.test{page}"))
        if i % 10 == 0:
            plan.append((ip, "GET", "/missing.html", ua, None))  # 404: not a view
            plan.append((ip, "HEAD", "/a.html", ua, None))  # HEAD: not a view
            plan.append(("127.0.0.99", "GET", page, bots[(i // 10) % 2], None))
    return plan


@pytest.fixture
def nginx_log(tmp_path: Path) -> tuple[Path, list[tuple[str, str, str, str, str | None]]]:
    """Start nginx, send the plan, stop nginx; return its access log and the plan."""
    if not os.path.exists(NGINX):
        pytest.fail("nginx is missing: .ci/run installs Debian's nginx")
    site = tmp_path / "site"
    (site / "b").mkdir(parents=True)
    for name in ("index.html", "a.html", "b/index.html"):
        (site / name).write_text("<!doctype html><title>t</title><p>page</p>\n")
    (site / "style.css").write_text("p { color: black }\n")
    (site / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    port = _free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        CONF.format(tmp=tmp_path, port=port, user="user root;" if os.geteuid() == 0 else "")
    )
    proc = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    plan = _plan()
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"nginx did not start on 127.0.0.1:{port}: {err}")
                time.sleep(0.05)
        for ip, method, path, ua, ref in plan:  # bounded: len(plan) requests, 5 s each
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(ip, 0))
            headers = {"User-Agent": ua, **({"Referer": ref} if ref else {})}
            conn.request(method, path, headers=headers)
            conn.getresponse().read()
            conn.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: the log is complete when it exits
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return tmp_path / "access.log", plan


def test_report_counts_exactly_what_the_client_sent(
    nginx_log: tuple[Path, list[tuple[str, str, str, str, str | None]]], tmp_path: Path
) -> None:
    log, plan = nginx_log
    lines = log.read_bytes().splitlines(keepends=True)
    assert len(lines) == len(plan)
    assert any(b"\\x22quoted\\x22" in line for line in lines)  # nginx's escape of a quote
    # Rotate the first half into a compressed file, as logrotate does, and damage the rest.
    half = len(lines) // 2
    rotated = tmp_path / "access.log.1.gz"
    rotated.write_bytes(gzip.compress(b"".join(lines[:half])))
    log.write_bytes(
        b"".join(
            [
                *lines[half : half + 5],
                b"\x00\x00\x00\x00\x17\xff\xfe garbage from a bad disk block\n",
                # the common log format, without referrer and user agent:
                b'127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5\n',
                b"Jan  1 00:00:00 host sshd[1]: a syslog line in the wrong file\n",
                *lines[half + 5 :],
                lines[-1][:50],  # the last line again, cut by a crash (no newline)
            ]
        )
    )
    out = tmp_path / "data" / "traffic" / "nginx-test.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tlsreport",
            "traffic",
            str(log),
            str(rotated),
            "--out",
            str(out),
            "--site",
            "site.test",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
    )
    assert done.returncode == 0, done.stderr
    assert "unreadable (binary): 1" in done.stdout
    report = json.loads(out.read_text())

    # What was sent, counted here from the plan (not with the module's own helpers).
    views = [
        p
        for p in plan
        if p[1] == "GET"
        and p[3] in HUMANS
        and p[2] != "/missing.html"
        and not p[2].startswith(ASSETS)
    ]
    assert report["page_views"] == len(views) == ROUNDS
    assert report["requests"] == {
        "total": len(plan),
        "page_views": ROUNDS,
        "assets": ROUNDS,
        "other": 2 * (ROUNDS // 10),
        "bots": ROUNDS // 10,
    }
    assert report["lines"]["unreadable_by_kind"] == {
        "truncated": 1,
        "binary": 1,
        "other_format": 2,
        "bad_time": 0,
    }
    assert report["lines"]["total"] == len(plan) + 4
    pages = Counter(p[2].split("?")[0].removesuffix("index.html") for p in views)
    assert {p["path"]: p["views"] for p in report["pages"]} == dict(pages)
    refs = Counter(p[4] for p in views)
    assert report["referrers"]["direct"] == refs[None]
    assert report["referrers"]["internal"] == refs["https://site.test/a.html"]
    assert {d["domain"]: d["views"] for d in report["referrers"]["domains"]} == {
        "news.example": refs["https://news.example/story?id=secret-id"],
        "paper.example": refs["https://www.paper.example/x"],
    }
    pairs = {(p[0], p[3]) for p in views}
    if len(report["daily"]) == 1:  # a run across midnight counts a reader on both days
        assert report["visitors"] == len(pairs)
    assert sum(d["views"] for d in report["daily"]) == ROUNDS
    assert sum(h["views"] for h in report["hourly"]) == ROUNDS
    devices = Counter(HUMANS[ua][1] for _, ua in pairs)
    if len(report["daily"]) == 1:
        assert {d["name"]: d["visitors"] for d in report["systems"]["devices"]} == dict(devices)
    assert {o["name"] for o in report["systems"]["os"]} == {os_ for os_, _ in HUMANS.values()}
    assert {b["name"]: b["requests"] for b in report["bots"]["top"]} == {
        "Googlebot": ROUNDS // 20,
        "curl": ROUNDS // 20,
    }
    assert report["networks"] is None
    # Only aggregates: no address, no user agent, no query string.
    text = out.read_text()
    for leak in (
        "127.0.0.",
        "Mozilla",
        "curl/8.5.0",
        "secret-campaign",
        "secret-id",
        "utm_source",
        "quoted",
    ):
        assert leak not in text, leak
