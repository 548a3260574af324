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
import os
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .profiles import Profile, profile

# A connection that stays idle this long is dropped, so abandoned threads do not pile up.
IDLE_TIMEOUT = 30.0

Handler = Callable[[socket.socket], None]


def _pyssl_https(prof: Profile, ctx: ssl.SSLContext) -> Handler:
    from .dialogue import http_response, read_http_request

    response = http_response(prof.name)

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
        run_mail_session(sock, prof.service, prof.host, start_tls)

    return handle


def _silent(sock: socket.socket) -> None:
    """Read and discard until the peer gives up; never send a byte."""
    sock.settimeout(None)
    while sock.recv(4096):
        pass


def build_handler(prof: Profile, chain: Path | None, key: Path | None,
                  dh_dir: Path | None) -> Handler:
    """The per-connection function of ``prof`` (loads certificates: fails early, loudly)."""
    if prof.implementation == "silent":
        return _silent
    if chain is None or key is None:
        raise SystemExit(f"{prof.name}: --chain and --key are required")
    if prof.implementation == "tlslite":
        from .tlslite_server import TlsliteServer

        return TlsliteServer(prof.name, chain, key).handle
    from .contexts import server_context

    ctx = server_context(prof.name, chain, key, dh_dir or chain.parent)
    if prof.implementation == "mail":
        return _mail(prof, ctx)
    return _pyssl_https(prof, ctx)


def _connection(handler: Handler, sock: socket.socket) -> None:
    try:
        sock.settimeout(IDLE_TIMEOUT)
        handler(sock)
    except Exception:  # a scanner's odd handshake must not stop the server
        pass
    finally:
        sock.close()


def serve_forever(listener: socket.socket, handler: Handler) -> None:
    while True:
        try:
            sock, _ = listener.accept()
        except InterruptedError:
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
    parser.add_argument("--lifeline-fd", type=int,
                        help="exit when this pipe reaches EOF (the starting process died)")
    args = parser.parse_args(argv)
    prof = profile(args.profile)
    if args.lifeline_fd is not None:
        threading.Thread(target=_exit_when_parent_dies, args=(args.lifeline_fd,),
                         daemon=True).start()
    listener = socket.socket(fileno=args.listen_fd)
    handler = build_handler(prof, args.chain, args.key, args.dh_dir)
    if args.ready_fd is not None:
        os.write(args.ready_fd, b"ready\n")
        os.close(args.ready_fd)
    try:
        serve_forever(listener, handler)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
