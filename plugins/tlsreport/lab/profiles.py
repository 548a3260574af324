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

Hostile profiles (``HOSTILE_PROFILES``) are servers a scanner must survive rather than grade:
they reset, babble, drip, or carry markup in their certificates and headers. They live in a
separate tuple so ``Lab(dir)`` (every ``PROFILES`` entry) and the tests that compare the whole
lab with ``modern`` stay as they are; start them with ``Lab(dir, HOSTILE_PROFILES)``.
Implementations only they use: "reset" (RST after the ClientHello), "garbage" (bytes that
are not TLS), "tls-garbage" (a TLS record header, then nonsense), "alert" (a fatal alert to
everything), "drip" (one byte a second, for ever); the others reuse "pyssl" and "mail".
"""

from __future__ import annotations

from dataclasses import dataclass

HOST_SUFFIX = ".lab.test"


@dataclass(frozen=True)
class Profile:
    """How one lab server is built: its implementation, service and certificate kind."""

    name: str
    # "pyssl" | "tlslite" | "mail" | "silent" | "closed", or a hostile one (module doc)
    implementation: str
    weakness: str
    service: str = "https"
    # Which certificate the server presents: "chain" (leaf + intermediate, trusted),
    # "sha1-chain", "self-signed", "expired", "wrong-name", "hostile-names", "long-chain";
    # "" for servers without a certificate.
    certificate: str = "chain"
    # Serve one connection at a time (accept, handle, close, accept): a single-threaded
    # server such as ``openssl s_server``, which a parallel scanner on a busy machine waits for.
    serial: bool = False

    @property
    def host(self) -> str:
        return f"{self.name}{HOST_SUFFIX}"

    @property
    def speaks_tls(self) -> bool:
        return self.implementation in ("pyssl", "tlslite", "mail")

    @property
    def helper(self) -> bool:
        """Serves the other servers (AIA), is not scanned: never a target of the lab."""
        return self.implementation == "http-file"

    @property
    def hostile(self) -> bool:
        return self.name in HOSTILE_PROFILES

    @property
    def human_name(self) -> str:
        return f"Lab {self.name}"


_ALL: tuple[Profile, ...] = (
    Profile(
        "modern",
        "pyssl",
        "none: TLS 1.2+1.3, ECDHE+AEAD only, trusted SHA-256 chain, HSTS max-age=31536000",
    ),
    Profile(
        "tls10-only",
        "pyssl",
        "TLS 1.0 only (no TLS 1.2; hence also no TLS 1.3 and only CBC suites)",
    ),
    Profile(
        "tls10-11-12", "tlslite", "TLS 1.0 and 1.1 (CBC suites) offered next to TLS 1.2 and 1.3"
    ),
    Profile("rc4", "tlslite", "RC4 suite (ECDHE-RSA-RC4-SHA) accepted at TLS 1.2"),
    Profile(
        "sslv3", "tlslite", "SSL 3.0 with CBC suites (POODLE); TLS 1.0/1.1 refused as in modern"
    ),
    Profile(
        "sha1-chain",
        "pyssl",
        "leaf and intermediate certificates signed with SHA-1",
        certificate="sha1-chain",
    ),
    Profile("weak-dh", "pyssl", "DHE suites with a 1024-bit group (RFC 2409 group 2)"),
    Profile("no-fs", "pyssl", "RSA key exchange only, no forward secrecy (hence also no TLS 1.3)"),
    Profile("no-secure-reneg", "tlslite", "no secure renegotiation (RFC 5746 not supported)"),
    Profile(
        "client-reneg",
        "pyssl",
        "client-initiated renegotiation allowed (secure renegotiation still supported)",
    ),
    Profile(
        "no-fallback-scsv",
        "tlslite",
        "TLS_FALLBACK_SCSV ignored (no downgrade protection); TLS 1.1 (CBC) also offered,"
        " since a downgrade needs a lower version to go to",
    ),
    Profile("anon", "pyssl", "anonymous DH suites (ADH-AES-GCM, 2048-bit group) accepted"),
    Profile("self-signed", "pyssl", "self-signed leaf certificate", certificate="self-signed"),
    Profile("expired", "pyssl", "leaf certificate expired", certificate="expired"),
    Profile(
        "wrong-name",
        "pyssl",
        "certificate for another name (elsewhere.lab.test)",
        certificate="wrong-name",
    ),
    Profile("smtp-starttls", "mail", "none: SMTP with STARTTLS, modern TLS", service="smtp"),
    Profile("imap-starttls", "mail", "none: IMAP with STARTTLS, modern TLS", service="imap"),
    Profile("pop3-starttls", "mail", "none: POP3 with STLS, modern TLS", service="pop3"),
    Profile("imaps", "mail", "none: IMAP over implicit TLS, modern TLS", service="imaps"),
    Profile("pop3s", "mail", "none: POP3 over implicit TLS, modern TLS", service="pop3s"),
    Profile("silent", "silent", "accepts TCP connections and never answers", certificate=""),
    Profile("closed", "closed", "nothing listens on the port", certificate=""),
)

# Markup a hostile server puts wherever it can (certificate names, headers): if any of it
# reaches a page unescaped, a reader's browser runs it. Tests look for exactly these strings.
HOSTILE_SCRIPT = "<script>alert('tlsreport')</script>"
HOSTILE_ATTRIBUTE = "\"'><img src=x onerror=alert(1)>"

_HOSTILE: tuple[Profile, ...] = (
    Profile(
        "reset-after-hello",
        "reset",
        "accepts TCP, reads the ClientHello, then resets the connection (RST)",
        certificate="",
    ),
    Profile(
        "garbage",
        "garbage",
        "answers every ClientHello with bytes that are not TLS",
        certificate="",
    ),
    Profile(
        "tls-garbage",
        "tls-garbage",
        "answers with a TLS handshake record header followed by nonsense",
        certificate="",
    ),
    Profile(
        "alert",
        "alert",
        "answers every ClientHello with a fatal handshake_failure alert",
        certificate="",
    ),
    Profile(
        "drip",
        "drip",
        "answers one byte a second for ever (a record that never completes)",
        certificate="",
    ),
    Profile(
        "hostile-names",
        "pyssl",
        "certificate subject, issuer and SAN names carry <script> and attribute-breaking"
        " markup; issued by its own (untrusted) CA",
        certificate="hostile-names",
    ),
    Profile(
        "long-chain",
        "pyssl",
        "sends a chain of 100 certificates (leaf + 99 CAs), untrusted",
        certificate="long-chain",
    ),
    Profile(
        "hsts-repeated",
        "pyssl",
        "HTTP answer repeats Strict-Transport-Security 150 times with conflicting values",
    ),
    Profile(
        "hsts-huge",
        "pyssl",
        "HTTP answer has one 80 kB Strict-Transport-Security header full of markup",
    ),
    Profile(
        "starttls-refused",
        "mail",
        "SMTP server that advertises STARTTLS and then answers 454 to it",
        service="smtp",
        certificate="chain",
    ),
)

# What real servers on the internet add to the lab's weaknesses (issue 11). Separate, like
# the hostile ones, so the whole-lab tests and the demo stay as they are; start them with
# ``Lab(dir, INTERNET_PROFILES)``.
_INTERNET: tuple[Profile, ...] = (
    Profile(
        "one-at-a-time",
        "pyssl",
        "none but speed: serves one connection at a time, like a single-threaded"
        " s_server (a finding must not depend on how busy the machine is)",
        serial=True,
    ),
    Profile(
        "slow-tls13",
        "pyssl",
        "modern, but a handshake offering one TLS 1.3 suite alone (a scanner's test of"
        " that suite) is answered only after 7 s: slow, never silent",
    ),
    Profile(
        "incomplete-chain",
        "pyssl",
        "sends its leaf only; the leaf's AIA caIssuers URL points at the lab's AIA server,"
        " which serves the intermediate",
        certificate="incomplete-chain",
    ),
    # A helper, not a target: the plain-HTTP server of the intermediate (DER) for AIA.
    Profile(
        "aia-http",
        "http-file",
        "plain HTTP: serves the lab intermediate (DER) for AIA",
        service="http",
        certificate="",
    ),
)

PROFILE_TABLE: dict[str, Profile] = {p.name: p for p in (*_ALL, *_HOSTILE, *_INTERNET)}
PROFILES: tuple[str, ...] = tuple(p.name for p in _ALL)
HOSTILE_PROFILES: tuple[str, ...] = tuple(p.name for p in _HOSTILE)
INTERNET_PROFILES: tuple[str, ...] = tuple(p.name for p in _INTERNET)
ALL_PROFILES: tuple[str, ...] = PROFILES + HOSTILE_PROFILES + INTERNET_PROFILES

# The name the wrong-name profile's certificate is issued for.
WRONG_NAME = "elsewhere" + HOST_SUFFIX


def profile(name: str) -> Profile:
    """The profile called ``name``; KeyError names the known ones."""
    try:
        return PROFILE_TABLE[name]
    except KeyError:
        raise KeyError(f"unknown lab profile {name!r}; known: {', '.join(ALL_PROFILES)}") from None
