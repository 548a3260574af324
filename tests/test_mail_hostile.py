"""The mail policy probe against servers that misbehave: it records an error, never raises,
and keeps what a server said only as cleaned text. Each server is a real socket server the
test starts on 127.0.0.1."""

from __future__ import annotations

import socket
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


def _babbling_ehlo(conn: socket.socket) -> None:
    conn.sendall(b"220 mx ESMTP\r\n")
    for line in _lines(conn):
        if line.startswith(b"EHLO"):
            conn.sendall(b"250-mx\r\n250-AUTH PLAIN \x1b[31m<script>\r\n250 SIZE 1\r\n")
        elif line.startswith(b"QUIT"):
            conn.sendall(b"221 bye\r\n")
            return


@pytest.mark.parametrize(("script", "words"), [
    (_refusing, "greeting 554"),
    (_overlong, f"longer than {MAX_LINE} bytes"),
    (_silent, "TimeoutError"),
    (_closes, "closed the connection"),
])
def test_misbehaving_smtp_servers_give_an_error_not_an_exception(script: Script,
                                                                 words: str) -> None:
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
    assert [f.id for f in policy_findings(policy, "smtp")][:2] == ["no-starttls",
                                                                  "auth-before-tls"]


def test_nothing_listening() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    policy = probe_mail_policy("imap", "imap.test", "127.0.0.1", port, timeout=1.0)
    assert policy.error is not None and policy.error.startswith("cannot connect")
