"""Bench: the built example site under nginx on loopback, loaded with wrk: part 4's requests/s.

    .venv/bin/python bench/bench_serve.py [--duration 10] [--connections 100] [--threads 2]
                                          [--site DIR]

Builds the example site (pelican.conf.py, scanning off) into a temp folder, unless ``--site``
names a built one, then starts nginx with a temp config (127.0.0.1, a free port, its own pid,
logs and temp paths in the temp folder, access log off, sendfile, gzip as Debian ships it) as
a child process and stops it by its PID. wrk (bounded by ``--duration``) then fetches part 4
— the page the original series saw its spike on — twice: as is, and with
``Accept-Encoding: gzip`` as browsers send it. Prints requests/s, latency and transfer/s.

Needs ``nginx`` and ``wrk`` (Debian packages nginx-light or nginx, and wrk); prints what is
missing and exits 2. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PELICAN = ROOT / ".venv" / "bin" / "pelican"
PAGE = "belgian-banks-ssl-part-4.html"

NGINX_CONF = """\
# Temp config for bench/bench_serve.py: one static site on 127.0.0.1:{port}.
user root;
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    gzip on;
    gzip_types text/css application/atom+xml image/svg+xml application/json text/csv;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        index index.html;
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_site(out: Path, cache: Path) -> None:
    cmd = [
        str(PELICAN),
        str(ROOT / "content"),
        "-o",
        str(out),
        "-s",
        str(ROOT / "pelican.conf.py"),
        "-q",
        "-e",
        'TLSREPORT_SCAN="never"',
        f"CACHE_PATH={json.dumps(str(cache))}",
    ]
    subprocess.run(cmd, check=True, capture_output=True)


def wait_http(port: int, proc: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
                if conn.recv(16).startswith(b"HTTP/"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def wrk(url: str, args: argparse.Namespace, *headers: str) -> dict[str, str]:
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "5s",
        "--latency",
    ]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, check=True, timeout=args.duration + 60
    ).stdout
    figures = {"command": shlex.join([*cmd, url])}
    for key, pattern in (
        ("requests/s", r"Requests/sec:\s+([\d.]+)"),
        ("transfer/s", r"Transfer/sec:\s+(\S+)"),
        ("latency avg", r"Latency\s+(\S+)"),
        ("latency p99", r"99%\s+(\S+)"),
        ("requests", r"(\d+) requests in"),
        ("errors", r"(Socket errors:.*|Non-2xx or 3xx responses:.*)"),
    ):
        m = re.search(pattern, out)
        figures[key] = m.group(1).strip() if m else "-"
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--site", type=Path, help="an already built site to serve")
    args = parser.parse_args()
    lacking = [
        f"{exe} (Debian package {pkg})"
        for exe, pkg in (("nginx", "nginx"), ("wrk", "wrk"))
        if not shutil.which(exe)
    ]
    if lacking:
        print("bench_serve: missing " + ", ".join(lacking), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tlsreport-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        site = args.site
        if site is None:
            site = tmp / "site"
            build_site(site, tmp / "cache")
        page = site / PAGE
        if not page.is_file():
            raise SystemExit(f"{page}: not built")
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / name).mkdir()
        port = free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(port=port, tmp=tmp, site=site.resolve()))
        proc = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            if not wait_http(port, proc, time.monotonic() + 15):
                err = (tmp / "error.log").read_text() if (tmp / "error.log").exists() else ""
                raise SystemExit(f"nginx did not start on 127.0.0.1:{port}: {err}")
            url = f"http://127.0.0.1:{port}/{PAGE}"
            print(
                f"nginx on 127.0.0.1:{port} (pid {proc.pid}); page {PAGE} "
                f"({page.stat().st_size} bytes); nproc {os.cpu_count()}, "
                f"load {os.getloadavg()[0]:.1f}"
            )
            for label, headers in (("plain", ()), ("gzip", ("Accept-Encoding: gzip",))):
                f = wrk(url, args, *headers)
                print(
                    f"{label:5}: {f['requests/s']} requests/s, latency avg {f['latency avg']} "
                    f"p99 {f['latency p99']}, {f['transfer/s']}/s, {f['requests']} requests, "
                    f"errors: {f['errors']}\n       {f['command']}",
                    flush=True,
                )
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT)  # nginx: graceful stop of master + workers
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
