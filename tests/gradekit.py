"""Hand-built Facts for grader tests: a clean A+ server by default, one weakness per test.

Why: a rule test should read like the behaviour it checks ("an RC4-only server is F after
October 2015"), so building the server must take one line. ``make_facts()`` is the `modern`
lab profile as facts; each keyword swaps one part.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    CipherSuite,
    Facts,
    Hsts,
    Renegotiation,
    TrustResult,
)


def suite(name: str, **kw: Any) -> CipherSuite:
    """A cipher suite with flags read from its IANA name (override any with keywords)."""
    fields: dict[str, Any] = {
        "bits": 256
        if ("AES_256" in name or "CHACHA20" in name)
        else 168
        if "3DES" in name
        else 56
        if "_DES_" in name
        else 40
        if "EXPORT" in name
        else 0
        if "NULL" in name
        else 128,
        "kex": "TLS13"
        if not name.startswith(("TLS_RSA", "TLS_ECDHE", "TLS_DHE", "TLS_DH_", "SSL_"))
        and name.startswith("TLS_")
        else "ECDHE"
        if "ECDHE" in name
        else "DHE"
        if "DHE" in name
        else "ANON"
        if "anon" in name
        else "RSA",
        "aead": "GCM" in name or "CHACHA20" in name or "CCM" in name,
        "cbc": "_CBC_" in name,
        "rc4": "RC4" in name,
        "block_64": "3DES" in name or "_DES_" in name,
        "export": "EXPORT" in name,
        "anonymous": "anon" in name,
        "null": "NULL" in name,
    }
    fields["forward_secrecy"] = (
        fields["kex"] in ("ECDHE", "DHE", "TLS13") and not fields["anonymous"]
    )
    if fields["kex"] in ("ECDHE", "TLS13"):
        fields["kex_bits"] = 253
    if fields["kex"] == "DHE":
        fields["kex_bits"] = 2048
    fields.update(kw)
    return CipherSuite(name=name, **fields)


TLS13 = (
    suite("TLS_AES_128_GCM_SHA256"),
    suite("TLS_AES_256_GCM_SHA384"),
    suite("TLS_CHACHA20_POLY1305_SHA256"),
)
TLS12 = (
    suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
)
CBC = (suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), suite("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"))
RC4 = suite("TLS_RSA_WITH_RC4_128_SHA")
DES3 = suite("TLS_RSA_WITH_3DES_EDE_CBC_SHA")
RSA_GCM = (suite("TLS_RSA_WITH_AES_128_GCM_SHA256"), suite("TLS_RSA_WITH_AES_256_GCM_SHA384"))


def cert(
    name: str = "good.lab.test",
    *,
    hash: str = "sha256",
    key_bits: int = 2048,
    key_type: str = "RSA",
    inter_hash: str = "sha256",
    exponent: int = 65537,
) -> tuple[Certificate, ...]:
    """Leaf + intermediate as a server sends them."""
    return (
        Certificate(
            subject=f"CN={name}",
            issuer="CN=Lab Intermediate",
            sans=(name,),
            signature_hash=hash,
            key_type=key_type,
            key_bits=key_bits,
            rsa_exponent=exponent if key_type == "RSA" else None,
        ),
        Certificate(
            subject="CN=Lab Intermediate",
            issuer="CN=Lab Root",
            signature_hash=inter_hash,
            key_type="RSA",
            key_bits=2048,
            rsa_exponent=65537,
        ),
    )


def certificate(
    *, problem: str | None = None, chain: tuple[Certificate, ...] | None = None, **kw: Any
) -> CertificateFacts:
    base = CertificateFacts(
        chain=chain if chain is not None else cert(),
        trust=(
            TrustResult("Supplied CA file", problem is None, None if problem is None else problem),
        ),
        hostname="good.lab.test",
        hostname_matches=problem != "mismatch",
        problem=problem,
        chain_in_order=True,
        ocsp_stapled=False,
    )
    return replace(base, **kw)


def make_facts(
    *,
    protocols: dict[str, tuple[CipherSuite, ...]] | None = None,
    add: dict[str, tuple[CipherSuite, ...]] | None = None,
    **changes: Any,
) -> Facts:
    """A clean A+ server (TLS 1.2 + 1.3, ECDHE + AEAD, RSA 2048 SHA-256 chain, HSTS one year,
    secure renegotiation, FALLBACK_SCSV), with ``protocols`` replacing versions, ``add``
    appending suites to versions, and any other Facts field replaced."""
    protos: dict[str, tuple[CipherSuite, ...]] = {
        "SSLv2": (),
        "SSLv3": (),
        "TLSv1.0": (),
        "TLSv1.1": (),
        "TLSv1.2": TLS12,
        "TLSv1.3": TLS13,
    }
    protos.update(protocols or {})
    for p, extra in (add or {}).items():
        protos[p] = (*protos.get(p, ()), *extra)
    base = Facts(
        protocols=protos,
        certificate=certificate(),
        renegotiation=Renegotiation(secure=True, client_initiated=False),
        compression=False,
        fallback_scsv=True,
        heartbleed=False,
        ccs_injection=False,
        robot="NOT_VULNERABLE_RSA_NOT_SUPPORTED",
        extended_master_secret=True,
        hsts=Hsts(present=True, max_age=31536000),
        highest_version="TLSv1.3",
    )
    return replace(base, **changes)
