"""Fast checks of the lab's pure parts: profiles, target list, mail and HTTP replies,
the tlslite ClientHello filters, and the certificates the lab makes (no servers, no network).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
from tlslite.constants import CipherSuite, ExtensionType
from tlslite.extensions import RenegotiationInfoExtension, SupportedVersionsExtension
from tlslite.messages import ClientHello
from tlsreport.lab import PROFILES
from tlsreport.lab.dialogue import (
    HSTS_HEADER,
    greeting,
    http_response,
    imap_reply,
    pop3_reply,
    read_http_request,
    smtp_reply,
)
from tlsreport.lab.pki import make_pki
from tlsreport.lab.profiles import PROFILE_TABLE, WRONG_NAME, profile
from tlsreport.lab.runner import LabTarget, targets_toml
from tlsreport.lab.tlslite_server import hello_filter_for, negotiated_version, settings_for

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def test_profiles_are_unique_lab_test_names_in_a_fixed_order() -> None:
    assert PROFILES[0] == "modern" and len(set(PROFILES)) == len(PROFILES) == 22
    for name in PROFILES:
        prof = profile(name)
        assert prof.host == f"{name}.lab.test" and prof.weakness
    assert {PROFILE_TABLE[n].service for n in PROFILES} == {
        "https",
        "smtp",
        "imap",
        "pop3",
        "imaps",
        "pop3s",
    }


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="rc4"):
        profile("rc5")


def test_targets_toml_has_exactly_the_scanner_keys() -> None:
    targets = [
        LabTarget("rc4", "Lab rc4", "rc4.lab.test", 40123, "https"),
        LabTarget("smtp-starttls", 'Lab "smtp"', "smtp-starttls.lab.test", 25, "smtp"),
    ]
    data = tomllib.loads(targets_toml(targets, Path("/abs/ca.pem"), title="TLS lab", slug="lab"))
    assert data == {
        "title": "TLS lab",
        "slug": "lab",
        "scan": True,
        "ca_file": "/abs/ca.pem",
        "target": [
            {
                "name": "Lab rc4",
                "host": "rc4.lab.test",
                "port": 40123,
                "address": "127.0.0.1",
                "service": "https",
                "path": "/",
            },
            {
                "name": 'Lab "smtp"',
                "host": "smtp-starttls.lab.test",
                "port": 25,
                "address": "127.0.0.1",
                "service": "smtp",
                "path": "/",
            },
        ],
    }


def test_http_answer_carries_the_hsts_header_of_modern() -> None:
    response = http_response("rc4").decode()
    head, body = response.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 200 OK\r\n")
    assert HSTS_HEADER in head.split("\r\n")
    assert f"Content-Length: {len(body.encode())}" in head


def test_http_request_is_read_up_to_the_blank_line() -> None:
    chunks = [b"GET / HTTP/1.1\r\n", b"Host: x\r\n\r\n", b"never read"]
    assert read_http_request(lambda n: chunks.pop(0)) == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    assert read_http_request(lambda n: b"") == b""


def test_smtp_offers_starttls_until_tls_is_on() -> None:
    assert greeting("smtp", "h", tls=False).startswith("220 h ")
    assert smtp_reply("EHLO scanner", "h", tls=False).text.splitlines()[-1] == "250 STARTTLS"
    assert "STARTTLS" not in smtp_reply("EHLO scanner", "h", tls=True).text
    assert smtp_reply("STARTTLS", "h", tls=False).start_tls
    assert not smtp_reply("STARTTLS", "h", tls=True).start_tls
    assert smtp_reply("QUIT", "h", tls=True).close


def test_imap_and_pop3_answer_what_scanners_send() -> None:
    assert "STARTTLS" in greeting("imap", "h", tls=False)
    reply = imap_reply(". STARTTLS", tls=False)
    assert reply.start_tls and reply.text.startswith(". OK")
    assert imap_reply("a1 CAPABILITY", tls=True).text.endswith("a1 OK CAPABILITY completed\r\n")
    assert greeting("pop3", "h", tls=False).startswith("+OK")
    reply = pop3_reply("STLS", tls=False)
    assert reply.start_tls and reply.text.startswith("+OK")
    assert pop3_reply("CAPA", tls=False).text.endswith("STLS\r\n.\r\n")
    assert pop3_reply("RETR 1", tls=False).text.startswith("-ERR")


def _hello(
    version: tuple[int, int], suites: list[int], supported: list | None = None, reneg: bool = True
) -> ClientHello:
    extensions = []
    if supported:
        extensions.append(SupportedVersionsExtension().create(supported))
    if reneg:
        extensions.append(RenegotiationInfoExtension().create(bytearray(0)))
    return ClientHello().create(
        version, bytearray(32), bytearray(0), list(suites), extensions=extensions
    )


AEAD = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
CBC = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
RSA_CBC = CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA
SCSV = CipherSuite.TLS_FALLBACK_SCSV


def test_negotiated_version_follows_supported_versions_then_client_version() -> None:
    settings = settings_for("tls10-11-12")
    assert negotiated_version(_hello((3, 3), [AEAD], [(3, 4), (3, 3)]), settings) == (3, 4)
    assert negotiated_version(_hello((3, 3), [AEAD]), settings) == (3, 3)
    assert negotiated_version(_hello((3, 1), [CBC]), settings) == (3, 1)


def test_sslv3_profile_refuses_tls10_and_11_and_keeps_tls12_modern() -> None:
    settings = settings_for("sslv3")
    accept = hello_filter_for("sslv3", settings)
    assert accept(_hello((3, 1), [CBC])) is not None
    assert accept(_hello((3, 2), [CBC])) is not None
    ssl3 = _hello((3, 0), [CBC, RSA_CBC])
    assert accept(ssl3) is None and ssl3.cipher_suites == [CBC, RSA_CBC]
    tls12 = _hello((3, 3), [CBC, AEAD, SCSV])
    assert accept(tls12) is None and tls12.cipher_suites == [AEAD, SCSV]


def test_no_secure_reneg_hides_rfc5746_and_nothing_else() -> None:
    hello = _hello((3, 3), [AEAD, CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV, SCSV])
    assert hello_filter_for("no-secure-reneg", settings_for("no-secure-reneg"))(hello) is None
    assert hello.getExtension(ExtensionType.renegotiation_info) is None
    assert hello.cipher_suites == [AEAD, SCSV]


def test_no_fallback_scsv_hides_the_scsv_only() -> None:
    hello = _hello((3, 2), [CBC, SCSV])
    assert hello_filter_for("no-fallback-scsv", settings_for("no-fallback-scsv"))(hello) is None
    assert hello.cipher_suites == [CBC]
    assert hello.getExtension(ExtensionType.renegotiation_info) is not None


def test_modern_like_tlslite_settings_change_one_thing_each() -> None:
    base = settings_for("no-secure-reneg")
    assert (base.minVersion, base.maxVersion) == ((3, 3), (3, 4))
    assert "rc4" in settings_for("rc4").cipherNames and "rc4" not in base.cipherNames
    assert settings_for("sslv3").minVersion == (3, 0)
    assert settings_for("sslv3").keyExchangeNames == ["ecdhe_rsa"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    leaves = {
        "modern": ("modern.lab.test", "chain"),
        "sha1-chain": ("sha1-chain.lab.test", "sha1-chain"),
        "self-signed": ("self-signed.lab.test", "self-signed"),
        "expired": ("expired.lab.test", "expired"),
        "wrong-name": ("wrong-name.lab.test", "wrong-name"),
    }
    return make_pki(tmp_path_factory.mktemp("pki"), leaves, NOW)


def _chain(pki, name: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pki.credentials[name].chain_file.read_bytes())


def test_leaf_is_rsa2048_sha256_with_a_non_critical_san_under_an_intermediate(pki) -> None:
    leaf, intermediate = _chain(pki, "modern")
    root = x509.load_pem_x509_certificate(pki.ca_file.read_bytes())
    assert leaf.public_key().key_size == 2048
    assert leaf.signature_hash_algorithm.name == "sha256"
    san = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert not san.critical and san.value.get_values_for_type(x509.DNSName) == ["modern.lab.test"]
    assert leaf.not_valid_before_utc < NOW < leaf.not_valid_after_utc
    leaf.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)


def test_the_lab_chain_passes_cryptographys_strict_verifier(pki) -> None:
    from cryptography.x509.verification import PolicyBuilder, Store

    leaf, intermediate = _chain(pki, "modern")
    store = Store([x509.load_pem_x509_certificate(pki.ca_file.read_bytes())])
    verifier = (
        PolicyBuilder()
        .store(store)
        .time(NOW)
        .build_server_verifier(x509.DNSName("modern.lab.test"))
    )
    assert len(verifier.verify(leaf, [intermediate])) == 3


def test_broken_certificates_are_broken_in_one_way_each(pki) -> None:
    sha1_leaf, sha1_inter = _chain(pki, "sha1-chain")
    assert [c.signature_hash_algorithm.name for c in (sha1_leaf, sha1_inter)] == ["sha1"] * 2
    (self_signed,) = _chain(pki, "self-signed")
    assert self_signed.issuer == self_signed.subject
    expired, _ = _chain(pki, "expired")
    assert expired.not_valid_after_utc < NOW
    wrong, _ = _chain(pki, "wrong-name")
    san = wrong.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [WRONG_NAME]


def test_server_with_an_unreadable_certificate_exits_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "chain.pem"
    bad.write_text("not a certificate\n")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tlsreport.lab.serve",
                "rc4",
                "--listen-fd",
                str(listener.fileno()),
                "--chain",
                str(bad),
                "--key",
                str(bad),
            ],
            pass_fds=(listener.fileno(),),
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
        )
    assert done.returncode != 0
    assert str(bad) in done.stderr
