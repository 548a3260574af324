"""The lab's profiles: which weakness each server shows, and which implementation shows it.

This module is pure data so that the test suite, the command line and the server processes
all agree on one table. Each profile differs from ``modern`` (TLS 1.2 + 1.3, ECDHE + AEAD
only, a trusted SHA-256 chain, HSTS max-age=31536000) by its weakness only, except where an
implementation cannot help it; those extras are spelled out in ``weakness`` so a grader test
that sees them knows they are intended.

Implementations (see reference/tls-lab-notes.md for why each was chosen):
- "pyssl": Python's ``ssl`` module (the system OpenSSL 3) in a threaded server process.
- "tlslite": tlslite-ng (pure Python), for what OpenSSL 3 refuses (RC4, SSL 3.0) and for the
  two behaviours a modern server never shows (no RFC 5746, no TLS_FALLBACK_SCSV), reached
  through a ClientHello filter in ``tlslite_server.py``.
- "mail": the pyssl server speaking enough SMTP/IMAP/POP3 to reach the handshake.
- "silent": accepts TCP and never answers. "closed": no process at all.
"""

from __future__ import annotations

from dataclasses import dataclass

HOST_SUFFIX = ".lab.test"


@dataclass(frozen=True)
class Profile:
    """How one lab server is built: its implementation, service and certificate kind."""

    name: str
    implementation: str  # "pyssl" | "tlslite" | "mail" | "silent" | "closed"
    weakness: str
    service: str = "https"
    # Which certificate the server presents: "chain" (leaf + intermediate, trusted),
    # "sha1-chain", "self-signed", "expired", "wrong-name"; "" for servers without TLS.
    certificate: str = "chain"

    @property
    def host(self) -> str:
        return f"{self.name}{HOST_SUFFIX}"

    @property
    def speaks_tls(self) -> bool:
        return self.implementation in ("pyssl", "tlslite", "mail")

    @property
    def human_name(self) -> str:
        return f"Lab {self.name}"


_ALL: tuple[Profile, ...] = (
    Profile("modern", "pyssl",
            "none: TLS 1.2+1.3, ECDHE+AEAD only, trusted SHA-256 chain, HSTS max-age=31536000"),
    Profile("tls10-only", "pyssl",
            "TLS 1.0 only (no TLS 1.2; hence also no TLS 1.3 and only CBC suites)"),
    Profile("tls10-11-12", "tlslite",
            "TLS 1.0 and 1.1 (CBC suites) offered next to TLS 1.2 and 1.3"),
    Profile("rc4", "tlslite", "RC4 suite (ECDHE-RSA-RC4-SHA) accepted at TLS 1.2"),
    Profile("sslv3", "tlslite",
            "SSL 3.0 with CBC suites (POODLE); TLS 1.0/1.1 refused as in modern"),
    Profile("sha1-chain", "pyssl", "leaf and intermediate certificates signed with SHA-1",
            certificate="sha1-chain"),
    Profile("weak-dh", "pyssl", "DHE suites with a 1024-bit group (RFC 2409 group 2)"),
    Profile("no-fs", "pyssl",
            "RSA key exchange only, no forward secrecy (hence also no TLS 1.3)"),
    Profile("no-secure-reneg", "tlslite", "no secure renegotiation (RFC 5746 not supported)"),
    Profile("client-reneg", "pyssl",
            "client-initiated renegotiation allowed (secure renegotiation still supported)"),
    Profile("no-fallback-scsv", "tlslite",
            "TLS_FALLBACK_SCSV ignored (no downgrade protection); TLS 1.1 (CBC) also offered,"
            " since a downgrade needs a lower version to go to"),
    Profile("anon", "pyssl", "anonymous DH suites (ADH-AES-GCM, 2048-bit group) accepted"),
    Profile("self-signed", "pyssl", "self-signed leaf certificate", certificate="self-signed"),
    Profile("expired", "pyssl", "leaf certificate expired", certificate="expired"),
    Profile("wrong-name", "pyssl",
            "certificate for another name (elsewhere.lab.test)", certificate="wrong-name"),
    Profile("smtp-starttls", "mail", "none: SMTP with STARTTLS, modern TLS", service="smtp"),
    Profile("imap-starttls", "mail", "none: IMAP with STARTTLS, modern TLS", service="imap"),
    Profile("pop3-starttls", "mail", "none: POP3 with STLS, modern TLS", service="pop3"),
    Profile("imaps", "mail", "none: IMAP over implicit TLS, modern TLS", service="imaps"),
    Profile("pop3s", "mail", "none: POP3 over implicit TLS, modern TLS", service="pop3s"),
    Profile("silent", "silent", "accepts TCP connections and never answers", certificate=""),
    Profile("closed", "closed", "nothing listens on the port", certificate=""),
)

PROFILE_TABLE: dict[str, Profile] = {p.name: p for p in _ALL}
PROFILES: tuple[str, ...] = tuple(p.name for p in _ALL)

# The name the wrong-name profile's certificate is issued for.
WRONG_NAME = "elsewhere" + HOST_SUFFIX


def profile(name: str) -> Profile:
    """The profile called ``name``; KeyError names the known ones."""
    try:
        return PROFILE_TABLE[name]
    except KeyError:
        raise KeyError(f"unknown lab profile {name!r}; known: {', '.join(PROFILES)}") from None
