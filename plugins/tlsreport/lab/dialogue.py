"""What the lab servers say once a connection is up: an HTTP answer and mail greetings.

The HTTP answer carries the same HSTS header on every HTTPS profile, so that a profile differs
from ``modern`` by its TLS weakness only. The mail dialogues speak just enough SMTP, IMAP and
POP3 for a scanner to reach the TLS handshake the way it would against Postfix or Dovecot:
greeting, capabilities, STARTTLS/STLS, and a polite answer to anything else.

Replies are decided by pure functions (``*_reply``) so they can be tested without sockets;
``run_mail_session`` is the thin I/O loop around them.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

HSTS_HEADER = "Strict-Transport-Security: max-age=31536000"
MAX_REQUEST = 65536
MAX_LINE = 4096


def http_response(profile: str) -> bytes:
    """The one answer every lab HTTPS server gives, whatever was asked."""
    body = (
        f"<!doctype html><title>tlsreport lab: {profile}</title>"
        f"<p>tlsreport lab server, profile {profile}.</p>\n"
    ).encode()
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{HSTS_HEADER}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


HSTS_REPEATS = 150  # above http.client's limit of 100 headers
HSTS_HUGE_BYTES = 80_000  # above http.client's limit of 65536 bytes per header line


def hostile_http_response(profile: str) -> bytes:
    """The HSTS-flooding answers: repeated conflicting headers, or one huge header.

    Both carry markup so a report that shows header text unescaped is caught too.
    """
    from .profiles import HOSTILE_ATTRIBUTE, HOSTILE_SCRIPT

    if profile == "hsts-repeated":
        values = [
            "max-age=31536000",
            "max-age=0",
            f"max-age={HOSTILE_SCRIPT}",
            "max-age=15768000; includeSubDomains; preload",
        ]
        headers = "".join(
            f"Strict-Transport-Security: {values[i % len(values)]}\r\n" for i in range(HSTS_REPEATS)
        )
    elif profile == "hsts-huge":
        filler = (HOSTILE_ATTRIBUTE + HOSTILE_SCRIPT) * (HSTS_HUGE_BYTES // 60)
        headers = f"Strict-Transport-Security: max-age=31536000; {filler}\r\n"
    else:
        raise ValueError(f"no hostile HTTP answer for profile {profile!r}")
    body = b"<!doctype html><title>hostile</title>\n"
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{headers}Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def read_http_request(recv: Callable[[int], bytes]) -> bytes:
    """Read until the end of the request headers (or EOF, or a size limit)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < MAX_REQUEST:
        chunk = recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@dataclass(frozen=True)
class Reply:
    """A server reply: the text to send and whether to start TLS / close afterwards."""

    text: str
    start_tls: bool = False
    close: bool = False


def greeting(service: str, host: str, tls: bool) -> str:
    """The banner a mail server sends first (after the handshake for implicit TLS)."""
    if service == "smtp":
        return f"220 {host} ESMTP tlsreport lab\r\n"
    if service in ("imap", "imaps"):
        return f"* OK [CAPABILITY {_imap_caps(tls)}] {host} tlsreport lab IMAP ready\r\n"
    if service in ("pop3", "pop3s"):
        return f"+OK {host} tlsreport lab POP3 ready\r\n"
    raise ValueError(f"not a mail service: {service!r}")


def _imap_caps(tls: bool) -> str:
    return "IMAP4rev1 LOGINDISABLED" if tls else "IMAP4rev1 STARTTLS LOGINDISABLED"


def smtp_reply(line: str, host: str, tls: bool) -> Reply:
    words = line.split()
    verb = words[0].upper() if words else ""
    if verb == "EHLO":
        extensions = ["PIPELINING", "8BITMIME"] + ([] if tls else ["STARTTLS"])
        lines = [host, *extensions]
        text = "".join(f"250-{x}\r\n" for x in lines[:-1]) + f"250 {lines[-1]}\r\n"
        return Reply(text)
    if verb == "HELO":
        return Reply(f"250 {host}\r\n")
    if verb == "STARTTLS" and not tls:
        return Reply("220 2.0.0 Ready to start TLS\r\n", start_tls=True)
    if verb in ("NOOP", "RSET"):
        return Reply("250 2.0.0 OK\r\n")
    if verb == "QUIT":
        return Reply("221 2.0.0 Bye\r\n", close=True)
    return Reply("502 5.5.2 Command not implemented\r\n")


def imap_reply(line: str, tls: bool) -> Reply:
    words = line.split()
    if len(words) < 2:
        return Reply("* BAD missing tag or command\r\n")
    tag, verb = words[0], words[1].upper()
    if verb == "CAPABILITY":
        return Reply(f"* CAPABILITY {_imap_caps(tls)}\r\n{tag} OK CAPABILITY completed\r\n")
    if verb == "STARTTLS" and not tls:
        return Reply(f"{tag} OK Begin TLS negotiation now\r\n", start_tls=True)
    if verb == "NOOP":
        return Reply(f"{tag} OK NOOP completed\r\n")
    if verb == "LOGOUT":
        return Reply(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n", close=True)
    return Reply(f"{tag} BAD command not implemented\r\n")


def pop3_reply(line: str, tls: bool) -> Reply:
    words = line.split()
    verb = words[0].upper() if words else ""
    if verb == "CAPA":
        caps = ["USER"] + ([] if tls else ["STLS"])
        return Reply(
            "+OK Capability list follows\r\n" + "".join(f"{c}\r\n" for c in caps) + ".\r\n"
        )
    if verb == "STLS" and not tls:
        return Reply("+OK Begin TLS negotiation\r\n", start_tls=True)
    if verb == "NOOP":
        return Reply("+OK\r\n")
    if verb == "QUIT":
        return Reply("+OK Bye\r\n", close=True)
    return Reply("-ERR command not implemented\r\n")


def mail_reply(service: str, line: str, host: str, tls: bool) -> Reply:
    if service == "smtp":
        return smtp_reply(line, host, tls)
    if service in ("imap", "imaps"):
        return imap_reply(line, tls)
    return pop3_reply(line, tls)


def refusal(service: str) -> str:
    """The answer of a server that advertised STARTTLS and then will not start it."""
    if service == "smtp":
        return "454 4.7.0 TLS not available due to temporary reason\r\n"
    if service == "imap":
        return "* BAD STARTTLS unavailable\r\n"
    return "-ERR STLS unavailable\r\n"


def run_mail_session(
    sock: socket.socket,
    service: str,
    host: str,
    start_tls: Callable[[socket.socket], socket.socket],
    refuse_starttls: bool = False,
) -> None:
    """Serve one mail connection; ``start_tls`` wraps the socket (server side).

    ``refuse_starttls``: advertise STARTTLS but refuse it (the starttls-refused profile).
    """
    tls = service in ("imaps", "pop3s")
    if tls:
        sock = start_tls(sock)
    sock.sendall(greeting(service, host, tls).encode("ascii"))
    buffer = b""
    while True:
        while b"\n" not in buffer:
            chunk = sock.recv(MAX_LINE)
            if not chunk or len(buffer) > MAX_LINE:
                return
            buffer += chunk
        raw, buffer = buffer.split(b"\n", 1)
        reply = mail_reply(service, raw.decode("ascii", "replace").strip(), host, tls)
        if reply.start_tls and refuse_starttls:
            reply = Reply(refusal(service))
        sock.sendall(reply.text.encode("ascii"))
        if reply.close:
            return
        if reply.start_tls:
            # Anything pipelined before the handshake must be dropped (the STARTTLS
            # command injection lesson): start the TLS layer on a clean socket.
            buffer = b""
            sock = start_tls(sock)
            tls = True
