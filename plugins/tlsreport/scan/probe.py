"""Probing: the cheap, bounded network checks tlsreport makes itself, beside sslyze.

``probe_target`` runs before sslyze on every target: DNS, TCP connect, then one ClientHello
(or the mail greeting), each bounded by the network timeout. sslyze's own connectivity test
keeps a server that accepts TCP but never answers busy for ~11 x the network timeout (lab
notes, pitfall 2); the probe records silent, closed, unresolvable and non-TLS servers in
about one.

``fetch_hsts`` reads the Strict-Transport-Security header on a target's own path, which
sslyze's http_headers command cannot do (it only ever asks for "/").
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass

from .. import facts
from ..targets import Target
from ..version import __version__
from .normalise import parse_hsts

# Services that greet in plain text and upgrade with STARTTLS -> sslyze's name for the protocol
STARTTLS_SERVICES = {"smtp": "SMTP", "submission": "SMTP", "imap": "IMAP", "pop3": "POP3"}


@dataclass(frozen=True)
class Probe:
    """What the probe found: the address to scan, or the state and reason to record."""

    ip: str | None
    state: str = facts.STATE_OK
    reason: str | None = None


def probe_target(target: Target, timeout: float) -> Probe:
    """DNS, TCP, then the first bytes of TLS (or of the mail greeting), each bounded.

    Only answers one question: does the server answer at all, and in TLS? The handshake
    itself is sslyze's job; any TLS record back (even an alert) counts as an answer.
    """
    ip = target.address
    if ip is None:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            return Probe(
                None,
                "dns-failure",
                f"{facts.UNREACHABLE_STATES['dns-failure']}: {target.host} ({exc})",
            )
        v4 = [i for i in infos if i[0] == socket.AF_INET]
        ip = str((v4 or infos)[0][4][0])
    try:
        sock = socket.create_connection((ip, target.port), timeout=timeout)
    except ConnectionRefusedError:
        return Probe(ip, "refused", f"connection refused by {ip} port {target.port}")
    except TimeoutError:
        return Probe(
            ip, "timeout", f"no TCP answer from {ip} port {target.port} within {timeout:g} s"
        )
    except OSError as exc:
        return Probe(ip, "refused", f"cannot connect to {ip} port {target.port}: {exc}")
    with sock:
        try:
            if target.service in STARTTLS_SERVICES:
                first = sock.recv(64)
                if not first:
                    return Probe(ip, "no-tls", "server closed the connection before greeting")
                return Probe(ip)
            sock.sendall(_client_hello(target.host))
            first = _read_record_header(sock, time.monotonic() + timeout)
        except TimeoutError:
            what = "greeting" if target.service in STARTTLS_SERVICES else "TLS ClientHello"
            return Probe(
                ip,
                "timeout",
                f"server accepted the connection but did not answer "
                f"the {what} within {timeout:g} s",
            )
        except OSError as exc:
            return Probe(
                ip, "handshake-failure", f"connection reset during the TLS handshake ({exc})"
            )
    if not first:
        return Probe(ip, "handshake-failure", "server closed the connection on ClientHello")
    if first[0] & 0x80:
        return Probe(ip)  # an SSL 2.0 record header
    if first[0] not in (0x15, 0x16) or (len(first) > 1 and first[1] != 3):
        return Probe(ip, "no-tls", f"server answered, but not in TLS: {first!r}")
    if len(first) < 5:
        return Probe(
            ip,
            "timeout",
            f"server sent only {len(first)} byte(s) of a TLS record within {timeout:g} s",
        )
    return Probe(ip)  # a TLS alert or handshake record header


def _read_record_header(sock: socket.socket, deadline: float) -> bytes:
    """Up to the 5 bytes of a TLS record header, all within one deadline.

    One deadline rather than one timeout per read, so a server that drips a byte at a time
    cannot stretch the probe.
    """
    got = b""
    while len(got) < 5:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(5 - len(got))
        except TimeoutError:
            if got:
                break
            raise
        if not chunk:
            break
        got += chunk
        if got[0] & 0x80:
            break  # SSL 2.0: a different header, enough to know it is TLS-ish
    return got


def _client_hello(server_name: str) -> bytes:
    """The bytes of a broad ClientHello, from the stdlib (no hand-built handshake)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ssl.SSLError):
        context.set_ciphers("ALL:@SECLEVEL=0")
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        sni: str | None = None if _is_ip(server_name) else server_name
        tls = context.wrap_bio(incoming, outgoing, server_hostname=sni)
    except (ValueError, ssl.SSLError):
        tls = context.wrap_bio(incoming, outgoing)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def _is_ip(name: str) -> bool:
    """SNI may not carry an IP address (RFC 6066), so an IP target sends none."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def fetch_hsts(target: Target, ip: str, timeout: float) -> tuple[facts.Hsts | None, str | None]:
    """Read the HSTS header on the target's own path (sslyze only ever asks for "/")."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ValueError, ssl.SSLError):
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED  # old servers have HSTS too
        context.set_ciphers("ALL:@SECLEVEL=0")
    try:
        with (
            socket.create_connection((ip, target.port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=target.host) as tls,
        ):
            request = (
                f"GET {target.path} HTTP/1.1\r\nHost: {target.host}\r\n"
                f"User-Agent: tlsreport/{__version__}\r\nAccept: */*\r\n"
                "Connection: close\r\n\r\n"
            )
            tls.sendall(request.encode("ascii", "replace"))
            response = http.client.HTTPResponse(tls)
            response.begin()
            return parse_hsts(response.getheader("Strict-Transport-Security")), None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"GET {target.path}: {type(exc).__name__}: {exc}"
