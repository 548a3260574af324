"""The mail policy probe against servers that misbehave: it records an error, never raises,
and keeps what a server said only as cleaned text. Each server is a real socket server the
test starts on 127.0.0.1."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest
from tlsreport.mailpolicy import MAX_LINE, policy_findings, probe_mail_policy

Script = Callable[[socket.socket], None]


@contextmanager
def _server(script: Script) -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn, suppress(OSError):
                script(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _lines(conn: socket.socket) -> Iterator[bytes]:
    buffer = b""
    while True:
        while b"\n" not in buffer:
            chunk = conn.recv(4096)
            if not chunk:
                return
            buffer += chunk
        line, _, buffer = buffer.partition(b"\n")
        yield line.rstrip(b"\r")


def _refusing(conn: socket.socket) -> None:
    conn.sendall(b"554 5.7.1 go away\r\n")


def _overlong(conn: socket.socket) -> None:
    conn.sendall(b"220 " + b"x" * (MAX_LINE + 10))
    conn.recv(100)


def _silent(conn: socket.socket) -> None:
    conn.recv(100)  # until the client gives up


def _closes(conn: socket.socket) -> None:
    conn.sendall(b"220 hello\r\n")


def _resets(conn: socket.socket) -> None:
    """Greets, reads the client's EHLO, then aborts the connection (RST): what a client sees
    as a reset when a server closes with its command unread, depending on timing alone.
    (Waiting for the EHLO keeps the reset after the client's connect() has returned.)"""
    conn.sendall(b"220 hello\r\n")
    conn.recv(100)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _babbling_ehlo(conn: socket.socket) -> None:
    conn.sendall(b"220 mx ESMTP\r\n")
    for line in _lines(conn):
        if line.startswith(b"EHLO"):
            conn.sendall(b"250-mx\r\n250-AUTH PLAIN \x1b[31m<script>\r\n250 SIZE 1\r\n")
        elif line.startswith(b"QUIT"):
            conn.sendall(b"221 bye\r\n")
            return


@pytest.mark.parametrize(
    ("script", "words"),
    [
        (_refusing, "greeting 554"),
        (_overlong, f"longer than {MAX_LINE} bytes"),
        (_silent, "TimeoutError"),
        (_closes, "closed the connection"),
        (_resets, "closed the connection"),
    ],
)
def test_misbehaving_smtp_servers_give_an_error_not_an_exception(
    script: Script, words: str
) -> None:
    with _server(script) as port:
        policy = probe_mail_policy("submission", "mx.test", "127.0.0.1", port, timeout=1.0)
    assert policy.error is not None and words in policy.error
    assert policy.starttls_offered is None and policy.auth_before_tls is None
    assert policy_findings(policy, "submission")[0].id == "mail-unread"


def test_server_text_is_kept_cleaned() -> None:
    with _server(_babbling_ehlo) as port:
        policy = probe_mail_policy("smtp", "mx.test", "127.0.0.1", port, timeout=2.0)
    assert policy.error is None and policy.starttls_offered is False
    assert "AUTH PLAIN ?[31m<script>" in policy.capabilities  # escape char replaced
    assert policy.auth_before_tls == ("PLAIN", "?[31M<SCRIPT>")
    assert [f.id for f in policy_findings(policy, "smtp")][:2] == ["no-starttls", "auth-before-tls"]


def test_nothing_listening() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    policy = probe_mail_policy("imap", "imap.test", "127.0.0.1", port, timeout=1.0)
    assert policy.error is not None and policy.error.startswith("cannot connect")


def test_dns_that_never_answers_gives_errors_per_check() -> None:
    from tlsreport.maildns import check_mail_domain, domain_findings

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:  # bound, never answers
        quiet.bind(("127.0.0.1", 0))
        port = quiet.getsockname()[1]
        found = check_mail_domain(
            "example.test", mx_host="mx.example.test", nameserver=f"127.0.0.1:{port}", timeout=0.5
        )
    assert set(found.errors) == {"MX", "MTA-STS TXT", "TLS-RPT TXT", "TLSA"}
    assert all("Timeout" in e or "timed out" in e for e in found.errors.values())
    assert found.tlsa_match is None
    assert {f.id for f in domain_findings(found) if f.level == "warning"} == {
        "dns-MX",
        "dns-MTA-STS TXT",
        "dns-TLS-RPT TXT",
        "dns-TLSA",
    }


def test_an_invalid_mta_sts_policy_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt
    import os

    from tlsreport.lab.mail import MAIL_DOMAIN, make_certificate
    from tlsreport.lab.maildomain import dns_server, lab_zone, policy_server
    from tlsreport.maildns import check_mail_domain

    cert = make_certificate(tmp_path, dt.datetime.now(dt.UTC))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    address = f"127.0.0.{32 + (int(worker[2:]) if worker[2:].isdigit() else 0)}"
    with (
        policy_server(address, cert, policy="version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n"),
        dns_server(lab_zone(address, "00" * 32)) as dns,
    ):
        found = check_mail_domain(MAIL_DOMAIN, nameserver=dns, ca_file=cert.ca_file, timeout=5)
    assert found.mta_sts_txt is not None
    assert "mode 'strict' is not enforce, testing or none" in (found.mta_sts_error or "")
