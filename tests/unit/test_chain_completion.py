"""Completing an incomplete chain (issue 11, point 2): the pure parts.

What the caIssuers URL may serve (DER, PEM, PKCS#7), the bounded download, and how the
completion record turns into the certificate problem the grader caps on.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from gradekit import certificate, make_facts
from tlsreport.facts import CertificateFacts
from tlsreport.grading import grade_facts
from tlsreport.scan.certificates import apply_completion, certificate_from_pem
from tlsreport.scan.chain import ChainFetcher, parse_certificates


def _cert(name: str = "Test CA") -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


CERT = _cert()
PEM = CERT.public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize(
    "body",
    [
        CERT.public_bytes(serialization.Encoding.DER),
        PEM,
        pkcs7.serialize_certificates([CERT], serialization.Encoding.DER),
        pkcs7.serialize_certificates([CERT], serialization.Encoding.PEM),
    ],
    ids=["der", "pem", "pkcs7-der", "pkcs7-pem"],
)
def test_what_a_ca_issuers_url_serves_is_read(body: bytes) -> None:
    assert parse_certificates(body) == [CERT]


def test_anything_else_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a certificate"):
        parse_certificates(b"<html>not found</html>")


@pytest.fixture
def http_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A real HTTP server on loopback serving ``pages`` by path."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def test_a_download_is_bounded_in_size_and_made_once(http_server) -> None:
    base, pages = http_server
    pages["/ok.der"] = CERT.public_bytes(serialization.Encoding.DER)
    pages["/big"] = b"0" * 70_000
    fetcher = ChainFetcher(max_bytes=64 * 1024)
    assert fetcher.fetch(base + "/ok.der") == ((PEM.decode(),), None)
    assert fetcher.fetch(base + "/ok.der")[1] is None and fetcher.fetches == 1
    pems, error = fetcher.fetch(base + "/big")
    assert pems == () and "larger than 65536 bytes" in error
    pems, error = fetcher.fetch(base + "/missing")
    assert pems == () and "404" in error
    assert ChainFetcher(enabled=False).fetch(base + "/ok.der")[1].endswith("(aia_fetch = false)")


def _incomplete() -> CertificateFacts:
    return certificate(problem="untrusted")


def test_completed_and_trusted_is_the_b_cap_dated_december_2014() -> None:
    record = {
        "urls": ["http://x/i.der"],
        "fetched_pem": [PEM.decode()],
        "error": None,
        "trust": [{"store": "Mozilla", "trusted": True, "error": None}],
    }
    cert = apply_completion(_incomplete(), record, None)
    assert cert.problem == "incomplete-chain"
    assert cert.fetched == (certificate_from_pem(PEM.decode()),)
    assert cert.fetched[0].subject == "CN=Test CA" and cert.fetched_from == ("http://x/i.der",)
    facts = make_facts(certificate=cert)
    assert grade_facts(facts, dt.date(2014, 12, 7)).letter == "A+"
    g = grade_facts(facts, dt.date(2014, 12, 8))
    assert g.letter == "B" and [r.label for r in g.reasons] == ["incomplete certificate chain"]


def test_nothing_fetched_is_t_saying_the_issuer_could_not_be_found() -> None:
    record = {
        "urls": [],
        "fetched_pem": [],
        "trust": [],
        "error": "the leaf certificate names no caIssuers URL (AIA)",
    }
    cert = apply_completion(_incomplete(), record, None)
    assert cert.problem == "issuer-not-found" and "caIssuers" in cert.fetch_error
    g = grade_facts(make_facts(certificate=cert), dt.date(2026, 11, 26))
    assert (g.letter, [r.label for r in g.reasons]) == ("T", ["incomplete chain: issuer not found"])


def test_fetched_but_still_untrusted_stays_untrusted() -> None:
    record = {
        "urls": ["http://x/i.der"],
        "fetched_pem": [PEM.decode()],
        "error": None,
        "trust": [
            {
                "store": "Mozilla",
                "trusted": False,
                "error": "candidates exhausted: unable to find issuer",
            }
        ],
    }
    cert = apply_completion(_incomplete(), record, None)
    assert cert.problem == "untrusted"
    assert grade_facts(make_facts(certificate=cert), dt.date(2026, 11, 26)).letter == "T"


def test_a_sha1_intermediate_fetched_through_aia_counts_like_a_sent_one() -> None:
    fetched = replace(
        certificate_from_pem(PEM.decode()), signature_hash="sha1", issuer="CN=Lab Root"
    )
    cert = replace(
        certificate(problem="incomplete-chain"), chain=certificate().chain[:1], fetched=(fetched,)
    )
    g = grade_facts(make_facts(certificate=cert), dt.date(2026, 11, 26))
    assert "sha1-chain" in [r.id for r in g.reasons]
