"""tlslite-ng servers for what OpenSSL 3 will not do: RC4, SSL 3.0, no RFC 5746, no SCSV.

tlslite-ng negotiates every version between ``minVersion`` and ``maxVersion`` with the same
suites, and it always honours RFC 5746 and TLS_FALLBACK_SCSV. To make each profile differ
from ``modern`` by one weakness only, the lab puts a *ClientHello filter* between tlslite's
record layer and its handshake code (``LabConnection._getMsg``): it sees the parsed
ClientHello before the server acts on it and may

- refuse a version (sslv3 answers SSL 3.0 and TLS 1.2+, but refuses TLS 1.0/1.1 as modern does),
- narrow the suites the client offers at TLS 1.2 to modern's ECDHE+AEAD (so the CBC suites
  that SSL 3.0 or TLS 1.0 need do not leak into TLS 1.2),
- hide the renegotiation_info extension and its SCSV (no-secure-reneg), or TLS_FALLBACK_SCSV
  (no-fallback-scsv), so tlslite's own code paths for them are never taken.

no-fallback-scsv cannot be shown on a TLS 1.2+1.3 server alone: sslyze (like SSL Labs) tests
SCSV by connecting with the version just below the highest one below 1.3, TLS 1.1, and a server
that refuses TLS 1.1 outright counts as protected. So that profile also offers TLS 1.1.

The handshake transcript is hashed from the bytes on the wire, so changing the parsed
message does not break Finished verification.
"""

from __future__ import annotations

import os
import socket
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

with warnings.catch_warnings():  # tlslite/__init__ imports its asyncore integration
    warnings.simplefilter("ignore", DeprecationWarning)
    import tlslite  # noqa: F401
from tlslite.constants import AlertDescription, CipherSuite, ExtensionType
from tlslite.handshakesettings import HandshakeSettings
from tlslite.messages import ClientHello
from tlslite.sessioncache import SessionCache
from tlslite.tlsconnection import TLSConnection
from tlslite.utils.keyfactory import parsePEMKey
from tlslite.x509certchain import X509CertChain

from .dialogue import http_response, read_http_request

HelloFilter = Callable[[ClientHello], "str | None"]

_SIGNALLING = {CipherSuite.TLS_FALLBACK_SCSV, CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV}


def _modern_tls12_suite(suite: int) -> bool:
    """ECDHE-RSA with an AEAD cipher, TLS 1.3 suites, or a signalling value."""
    if suite in _SIGNALLING or suite in CipherSuite.tls13Suites:
        return True
    name = CipherSuite.ietfNames.get(suite, "")
    return name.startswith("TLS_ECDHE_RSA_") and ("_GCM_" in name or "CHACHA20" in name)


def negotiated_version(hello: ClientHello, settings: HandshakeSettings) -> tuple[int, int]:
    """The version tlslite will pick for ``hello`` (mirrors its own negotiation)."""
    versions = hello.getExtension(ExtensionType.supported_versions)
    if versions is not None and hello.client_version >= (3, 3):
        for version in settings.versions:
            if version in versions.versions:
                return version
    return min(hello.client_version, (3, 3), settings.maxVersion)


def hello_filter_for(profile: str, settings: HandshakeSettings) -> HelloFilter:
    """The ClientHello filter of ``profile``: returns a refusal reason or None."""

    def narrow_tls12(hello: ClientHello) -> str | None:
        if negotiated_version(hello, settings) == (3, 3):
            hello.cipher_suites = [c for c in hello.cipher_suites if _modern_tls12_suite(c)]
        return None

    def sslv3(hello: ClientHello) -> str | None:
        if negotiated_version(hello, settings) in ((3, 1), (3, 2)):
            return "TLS 1.0 and 1.1 are not offered (only SSL 3.0 and TLS 1.2+)"
        return narrow_tls12(hello)

    def no_secure_reneg(hello: ClientHello) -> str | None:
        hello.extensions = [
            e for e in (hello.extensions or []) if e.extType != ExtensionType.renegotiation_info
        ]
        hello.cipher_suites = [
            c for c in hello.cipher_suites if c != CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV
        ]
        return None

    def no_fallback_scsv(hello: ClientHello) -> str | None:
        hello.cipher_suites = [c for c in hello.cipher_suites if c != CipherSuite.TLS_FALLBACK_SCSV]
        return narrow_tls12(hello)

    filters: dict[str, HelloFilter] = {
        "sslv3": sslv3,
        "tls10-11-12": narrow_tls12,
        "no-secure-reneg": no_secure_reneg,
        "no-fallback-scsv": no_fallback_scsv,
    }
    return filters.get(profile, lambda hello: None)


def settings_for(profile: str) -> HandshakeSettings:
    """tlslite settings equal to modern's (TLS 1.2+1.3, ECDHE+AEAD) plus the profile's change."""
    settings = HandshakeSettings()
    settings.minVersion = (3, 3)
    settings.maxVersion = (3, 4)
    settings.versions = [(3, 4), (3, 3)]
    settings.cipherNames = ["chacha20-poly1305", "aes256gcm", "aes128gcm"]
    settings.macNames = ["aead", "sha256", "sha384"]
    settings.keyExchangeNames = ["ecdhe_rsa"]
    settings.eccCurves = ["x25519", "secp256r1", "x448", "secp521r1", "secp384r1"]
    settings.keyShares = ["x25519", "secp256r1"]
    if profile == "rc4":
        settings.cipherNames.append("rc4")
        settings.macNames.append("sha")
    elif profile == "sslv3":
        settings.minVersion = (3, 0)
        settings.cipherNames += ["aes128", "aes256"]
        settings.macNames.append("sha")
    elif profile == "tls10-11-12":
        settings.minVersion = (3, 1)
        settings.versions = [(3, 4), (3, 3), (3, 2), (3, 1)]
        settings.cipherNames += ["aes128", "aes256"]
        settings.macNames.append("sha")
    elif profile == "no-fallback-scsv":
        # A downgrade needs a lower version to downgrade to: sslyze's SCSV test connects
        # with the version below the highest (TLS 1.1 below 1.2), so TLS 1.1 is offered too.
        settings.minVersion = (3, 2)
        settings.versions = [(3, 4), (3, 3), (3, 2)]
        settings.cipherNames += ["aes128", "aes256"]
        settings.macNames.append("sha")
    return settings


class LabConnection(TLSConnection):
    """A tlslite server connection that passes each ClientHello through a filter first."""

    def __init__(self, sock: socket.socket, hello_filter: HelloFilter) -> None:
        super().__init__(sock)
        self._hello_filter = hello_filter

    def _getMsg(
        self, expectedType: Any, secondaryType: Any = None, constructorType: Any = None
    ) -> Iterator[Any]:
        """tlslite's message reader, with the profile's filter applied to a ClientHello."""
        for result in super()._getMsg(expectedType, secondaryType, constructorType):
            if isinstance(result, ClientHello):
                refusal = self._hello_filter(result)
                if refusal:
                    yield from self._sendError(AlertDescription.protocol_version, refusal)
            yield result


class TlsliteServer:
    """Serves one tlslite profile: handshake, then the HSTS HTTP answer."""

    def __init__(self, profile: str, chain: Path, key: Path) -> None:
        self.profile = profile
        self.settings = settings_for(profile)
        self.hello_filter = hello_filter_for(profile, self.settings)
        self.chain = X509CertChain()
        self.chain.parsePemList(chain.read_text())
        if not self.chain.x509List:
            raise ValueError(f"{chain}: no PEM certificate found")
        self.key = parsePEMKey(key.read_text(), private=True)
        self.sessions = SessionCache()
        self.settings.ticketKeys = [os.urandom(32)]
        self.response = http_response(profile)

    def handle(self, sock: socket.socket) -> None:
        conn = LabConnection(sock, self.hello_filter)
        try:
            conn.handshakeServer(
                certChain=self.chain,
                privateKey=self.key,
                settings=self.settings,
                sessionCache=self.sessions,
            )
            if read_http_request(lambda n: bytes(conn.read(max=n))):
                conn.write(self.response)
        finally:
            try:
                conn.close()
            except Exception:
                sock.close()
