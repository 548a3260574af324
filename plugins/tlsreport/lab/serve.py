"""One lab server process: ``python -m tlsreport.lab.serve PROFILE --listen-fd N ...``.

Each profile runs in its own process so that stopping it by PID is real and a crashing
server cannot take the test run (or another server) down. The parent binds the listening
socket and hands it over (``--listen-fd``), so the port is never free for someone else
between "picked" and "listening". When the server is ready to answer it writes ``ready`` on
``--ready-fd``; anything that goes wrong before that goes to stderr, which the parent shows.

Every connection gets its own thread: sslyze opens several connections per server at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .profiles import Profile, profile

# A connection that stays idle this long is dropped, so abandoned threads do not pile up.
IDLE_TIMEOUT = 30.0

Handler = Callable[[socket.socket], None]


def _pyssl_https(prof: Profile, ctx: ssl.SSLContext) -> Handler:
    from .dialogue import hostile_http_response, http_response, read_http_request

    response = (
        hostile_http_response(prof.name)
        if prof.name.startswith("hsts-")
        else http_response(prof.name)
    )

    def handle(sock: socket.socket) -> None:
        with ctx.wrap_socket(sock, server_side=True) as tls:
            if read_http_request(tls.recv):
                tls.sendall(response)

    return handle


def _mail(prof: Profile, ctx: ssl.SSLContext) -> Handler:
    from .dialogue import run_mail_session

    def start_tls(sock: socket.socket) -> socket.socket:
        return ctx.wrap_socket(sock, server_side=True)

    def handle(sock: socket.socket) -> None:
        run_mail_session(
            sock,
            prof.service,
            prof.host,
            start_tls,
            refuse_starttls=prof.name == "starttls-refused",
        )

    return handle


def _silent(sock: socket.socket) -> None:
    """Read and discard until the peer gives up; never send a byte."""
    sock.settimeout(None)
    while sock.recv(4096):
        pass


# --- hostile servers: they must never make a scan hang or crash --------------------------

# Deterministic nonsense (not TLS: the first byte is no record type a scanner accepts).
GARBAGE = bytes((i * 89 + 7) % 251 for i in range(512)).replace(b"\x15", b"?")
GARBAGE = b"\x00" + GARBAGE.replace(b"\x16", b"?")
# A plausible TLS handshake record header (type 22, TLS 1.2, 64 bytes) with junk inside.
TLS_GARBAGE = b"\x16\x03\x03\x00\x40" + bytes(range(0xC0, 0x100))
ALERT_HANDSHAKE_FAILURE = b"\x15\x03\x03\x00\x02\x02\x28"  # fatal, handshake_failure
# A record announcing 16 kB; dripped one byte a second it completes after ~4.5 hours.
DRIP = b"\x16\x03\x03\x40\x00\x02\x00\x3f\xfc\x03\x03" + b"\x00" * 16373
DRIP_INTERVAL = 1.0


def _read_hello(sock: socket.socket) -> bytes:
    """Wait for the client's first bytes (its ClientHello, or the start of it)."""
    return sock.recv(16384)


def _reset(sock: socket.socket) -> None:
    """Read the ClientHello, then close with SO_LINGER 0: the kernel sends RST, not FIN."""
    _read_hello(sock)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _answer_with(data: bytes) -> Handler:
    def handle(sock: socket.socket) -> None:
        if _read_hello(sock):
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                sock.recv(4096)  # let the peer read the answer before the close

    return handle


def _drip(sock: socket.socket) -> None:
    if not _read_hello(sock):
        return
    # Wait before each byte, the first one too: the 5-byte record header then takes 5 s, so a
    # probe with a network timeout below that never sees it complete (no race at the edge).
    for byte in DRIP:
        time.sleep(DRIP_INTERVAL)
        sock.sendall(bytes([byte]))  # raises once the peer has gone: the thread ends


HOSTILE_HANDLERS: dict[str, Handler] = {
    "reset": _reset,
    "garbage": _answer_with(GARBAGE),
    "tls-garbage": _answer_with(TLS_GARBAGE),
    "alert": _answer_with(ALERT_HANDSHAKE_FAILURE),
    "drip": _drip,
}


def _http_file(body: bytes) -> Handler:
    """Plain HTTP/1.0: whatever the request, 200 with ``body`` as a DER certificate."""
    head = (
        f"HTTP/1.0 200 OK\r\nContent-Type: application/pkix-cert\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")

    def handle(sock: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 16384:
            chunk = sock.recv(4096)
            if not chunk:
                return
            request += chunk
        sock.sendall(head + body)

    return handle


# slow-tls13: how long a handshake offering one TLS 1.3 suite alone waits. Above the network
# timeout the lab's tests give sslyze (5 s), below twice that (a retry's wait).
STALL_SECONDS = 7.0
_TLS13_SUITES = range(0x1301, 0x1306)
_SIGNALLING = (0x00FF, 0x5600)  # EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV


def client_hello_suites(data: bytes) -> tuple[int, ...] | None:
    """The cipher suites of a TLS ClientHello (the first record's bytes); None if not one."""
    if len(data) < 5 or data[0] != 0x16:
        return None
    body = data[5:]
    if len(body) < 39 or body[0] != 0x01:
        return None
    pos = 4 + 2 + 32  # handshake header, client_version, random
    pos += 1 + body[pos]  # session id
    if len(body) < pos + 2:
        return None
    length = int.from_bytes(body[pos : pos + 2], "big")
    raw = body[pos + 2 : pos + 2 + length]
    if len(raw) < length:
        return None  # only part of the list arrived: never judge a truncated list
    return tuple(int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2))


def _peek_hello(sock: socket.socket) -> bytes:
    """The whole first record, left in the socket for the TLS stack (bounded: 2 s)."""
    deadline = time.monotonic() + 2.0
    data = b""
    while time.monotonic() < deadline:
        data = sock.recv(16384, socket.MSG_PEEK)
        if not data or (len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5], "big")):
            break
        time.sleep(0.01)
    return data


def _slow_tls13_suite_tests(inner: Handler) -> Handler:
    """Answer a handshake that offers one TLS 1.3 suite alone only after STALL_SECONDS.

    Why: a slow server that keeps answering must get the same grade as a fast one. A scanner
    that counts a timed-out suite as "rejected" concludes "no TLS 1.3" (A-); one that retries
    with a longer wait sees the suites accepted. Browsers and connectivity checks offer
    several suites and are answered at once.
    """

    def handle(sock: socket.socket) -> None:
        offered = tuple(
            s for s in client_hello_suites(_peek_hello(sock)) or () if s not in _SIGNALLING
        )
        if len(offered) == 1 and offered[0] in _TLS13_SUITES:
            time.sleep(STALL_SECONDS)
        inner(sock)

    return handle


def build_handler(
    prof: Profile, chain: Path | None, key: Path | None, dh_dir: Path | None
) -> Handler:
    """The per-connection function of ``prof`` (loads certificates: fails early, loudly)."""
    if prof.implementation == "silent":
        return _silent
    if prof.implementation == "http-file":
        from .pki import INTERMEDIATE_DER

        if dh_dir is None:
            raise SystemExit(f"{prof.name}: --dh-dir (the lab's PKI directory) is required")
        return _http_file((dh_dir / INTERMEDIATE_DER).read_bytes())
    if prof.implementation in HOSTILE_HANDLERS:
        return HOSTILE_HANDLERS[prof.implementation]
    if chain is None or key is None:
        raise SystemExit(f"{prof.name}: --chain and --key are required")
    if prof.implementation == "tlslite":
        from .tlslite_server import TlsliteServer

        return TlsliteServer(prof.name, chain, key).handle
    from .contexts import server_context

    ctx = server_context(prof.name, chain, key, dh_dir or chain.parent)
    if prof.implementation == "mail":
        return _mail(prof, ctx)
    if prof.name == "slow-tls13":
        return _slow_tls13_suite_tests(_pyssl_https(prof, ctx))
    return _pyssl_https(prof, ctx)


def _connection(handler: Handler, sock: socket.socket) -> None:
    try:
        sock.settimeout(IDLE_TIMEOUT)
        handler(sock)
    except Exception:  # a scanner's odd handshake must not stop the server
        pass
    finally:
        sock.close()


def serve_forever(listener: socket.socket, handler: Handler, *, serial: bool = False) -> None:
    """Accept for ever; ``serial``: handle each connection before accepting the next."""
    while True:
        try:
            sock, _ = listener.accept()
        except InterruptedError:
            continue
        if serial:
            _connection(handler, sock)
            continue
        threading.Thread(target=_connection, args=(handler, sock), daemon=True).start()


def _exit_when_parent_dies(lifeline_fd: int) -> None:
    """Block on the lifeline pipe; EOF means the process that started the lab is gone."""
    while os.read(lifeline_fd, 1):
        pass
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tlsreport.lab.serve")
    parser.add_argument("profile")
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int)
    parser.add_argument("--chain", type=Path)
    parser.add_argument("--key", type=Path)
    parser.add_argument("--dh-dir", type=Path)
    parser.add_argument(
        "--lifeline-fd",
        type=int,
        help="exit when this pipe reaches EOF (the starting process died)",
    )
    args = parser.parse_args(argv)
    prof = profile(args.profile)
    if args.lifeline_fd is not None:
        threading.Thread(
            target=_exit_when_parent_dies, args=(args.lifeline_fd,), daemon=True
        ).start()
    listener = socket.socket(fileno=args.listen_fd)
    handler = build_handler(prof, args.chain, args.key, args.dh_dir)
    if args.ready_fd is not None:
        os.write(args.ready_fd, b"ready\n")
        os.close(args.ready_fd)
    try:
        serve_forever(listener, handler, serial=prof.serial)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
