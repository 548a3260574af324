"""A mail domain on loopback: a real DNS server (dnslib) and the MTA-STS policy over HTTPS.

``tlsreport.maildns`` asks DNS for MTA-STS, TLS-RPT and DANE TLSA records and fetches the
MTA-STS policy over HTTPS. To test that (and to record the mail post's scan) without the
internet, this module serves a zone from a dnslib DNS server on 127.0.0.1 and the policy
file from an HTTPS server on its own 127.0.0.x address at port 443 (the port senders use).
Both run in threads of the calling process and stop with it.

``record_mail_post`` is how the mail post's history was made: one real scan of the careful
mail profile (Postfix and Courier) with the lab's mail domain, written to history::

    python -m tlsreport.lab.maildomain --history data/history --list data/targets/mail-servers.toml
"""

from __future__ import annotations

import argparse
import http.server
import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .mail import MAIL_DOMAIN, MAIL_HOST, MailCertificate

POLICY_PATH = "/.well-known/mta-sts.txt"
# The mail post's names for the careful profile's services.
POST_NAMES = {
    "smtp": "SMTP (MX, STARTTLS)",
    "submission": "Submission (STARTTLS required)",
    "smtps": "SMTPS (implicit TLS)",
    "imap": "IMAP with STARTTLS",
    "imaps": "IMAPS (implicit TLS)",
    "pop3": "POP3 with STLS",
    "pop3s": "POP3S (implicit TLS)",
}
LIST_HEADER = """\
# Mail servers (lab): the list behind the post on Postfix/Courier TLS.
#
# Its history (data/history/mail-servers/) is ONE real scan (sslyze and tlsreport's mail
# policy probe) of the "careful" mail profile of tlsreport's lab: Debian's Postfix (MX,
# submission, smtps) and Courier (IMAP/POP3 with STARTTLS, imaps, pop3s) on 127.0.0.2-3, set
# up as the post says, with a 90-day certificate from the lab's CA, and the lab's mail domain
# (MTA-STS, TLS-RPT, DANE) served by a DNS server on loopback. It was made with
#   python -m tlsreport.lab.maildomain --history data/history --list data/targets/mail-servers.toml
# The ports and the DNS server are the ones the lab had during that scan; `scan = false`:
# nothing connects to them again (`make scan` skips the list).
#
# To check YOUR mail server, copy this file to e.g. my-mail.toml and:
#   - set title and slug (slug = the name in the directives: [tlsreport grades list=my-mail]);
#   - for each port you serve, one [[target]] with your server's name as `host` and the
#     `service`: smtp (25), submission (587), smtps (465), imap (143), imaps (993), pop3 (110)
#     or pop3s (995); `port` only when it is not the usual one; drop `address`;
#   - set mail_domain to your mail domain and drop dns_server (the system's resolver is used);
#   - set scan = true, then `make scan` (daily from cron is plenty) and `make html`.
"""
POLICY = f"version: STSv1\nmode: enforce\nmx: {MAIL_HOST}\nmax_age: 604800\n"


def lab_zone(policy_address: str, spki_sha256: str) -> str:
    """The lab domain's records: MX, MTA-STS, TLS-RPT and a DANE-EE TLSA for its MX."""
    return f"""
{MAIL_DOMAIN}. 300 IN MX 10 {MAIL_HOST}.
_mta-sts.{MAIL_DOMAIN}. 300 IN TXT "v=STSv1; id=20261205T000000"
mta-sts.{MAIL_DOMAIN}. 300 IN A {policy_address}
_smtp._tls.{MAIL_DOMAIN}. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@{MAIL_DOMAIN}"
_25._tcp.{MAIL_HOST}. 300 IN TLSA 3 1 1 {spki_sha256}
"""


@contextmanager
def dns_server(zone: str) -> Iterator[str]:
    """A dnslib DNS server (UDP) on 127.0.0.1 for ``zone``; yields "127.0.0.1:PORT"."""
    from dnslib.server import DNSLogger, DNSServer
    from dnslib.zoneresolver import ZoneResolver

    quiet = DNSLogger(
        "-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False, logf=lambda _: None
    )
    server = DNSServer(ZoneResolver(zone), address="127.0.0.1", port=0, logger=quiet)
    server.start_thread()
    try:
        yield f"127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.stop()
        server.server.server_close()


@contextmanager
def policy_server(
    address: str, certificate: MailCertificate, policy: str = POLICY
) -> Iterator[str]:
    """HTTPS on ``address``:443 serving ``policy`` at the MTA-STS path; yields the address."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = policy.encode() if self.path == POLICY_PATH else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((address, 443), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.chain_file, certificate.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield address
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def record_mail_post(
    history_dir: Path, list_path: Path, *, work: Path, policy_address: str = "127.0.0.16"
) -> Path:
    """Scan the careful mail profile with its mail domain and write the snapshot to history.

    The list file is rewritten with the ports the lab had (``scan = false``: nothing
    connects to them again); returns the snapshot's path.
    """
    import dataclasses

    from ..history import History
    from ..mailpolicy import certificate_hashes
    from ..scan import scan_list
    from ..targets import load_target_list
    from .mail import MailLab

    with MailLab(work, ["careful"]) as lab:
        assert lab.certificate is not None
        lab.targets = [
            dataclasses.replace(t, name=POST_NAMES[t.service], path="/") for t in lab.targets
        ]
        _, spki = certificate_hashes(lab.certificate.leaf_der)
        with (
            policy_server(policy_address, lab.certificate),
            dns_server(lab_zone(policy_address, spki)) as dns,
        ):
            scan_path = lab.write_targets_toml(
                work / "mail-servers.toml",
                title="Mail servers (lab)",
                slug="mail-servers",
                extra=f'mail_domain = "{MAIL_DOMAIN}"\ndns_server = "{dns}"',
            )
            snapshot, raw = scan_list(
                load_target_list(scan_path),
                network_timeout=5.0,
                target_timeout=120.0,
                overall_timeout=300.0,
            )
    text = scan_path.read_text().replace("scan = true", "scan = false")
    ca_line = next(line for line in text.splitlines() if line.startswith("ca_file"))
    text = text.replace(ca_line + "\n", "")  # the lab's CA is gone with the lab
    list_path.write_text(LIST_HEADER + text.replace('path = "/"\n', ""))
    return History(history_dir).write(snapshot, raw)


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(
        prog="python -m tlsreport.lab.maildomain", description=record_mail_post.__doc__
    )
    parser.add_argument("--history", type=Path, required=True)
    parser.add_argument("--list", type=Path, required=True)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tlsreport-mailpost-") as work:
        path = record_mail_post(args.history, args.list, work=Path(work))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
