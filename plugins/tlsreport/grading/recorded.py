"""Recorded grades: the facts a published reason list implies.

History typed in from old posts has a letter and the reasons its author listed, nothing else.
Turning the reasons back into facts is what lets such a target be regraded under other days'
rules and compared with a later scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..facts import (
    PROTOCOLS,
    Certificate,
    CertificateFacts,
    CipherSuite,
    Facts,
    Hsts,
    Renegotiation,
    TrustResult,
)
from ..rules import rules_of
from .findings import TLS_PROTOCOLS
from .labels import ids_for

# --- recorded grades: facts implied by published reasons ----------------------------------


def _suite(
    name: str,
    *,
    bits: int = 128,
    kex: str = "ECDHE",
    kex_bits: int | None = None,
    aead: bool = False,
    cbc: bool = False,
    rc4: bool = False,
    block_64: bool = False,
    export: bool = False,
    anonymous: bool = False,
) -> CipherSuite:
    fs = kex in ("ECDHE", "DHE", "TLS13") and not anonymous
    return CipherSuite(
        name=name,
        bits=bits,
        kex=kex,
        kex_bits=kex_bits,
        forward_secrecy=fs,
        aead=aead,
        cbc=cbc,
        rc4=rc4,
        block_64=block_64,
        export=export,
        anonymous=anonymous,
    )


_GCM_FS = (
    _suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", kex_bits=256, aead=True),
    _suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", bits=256, kex_bits=256, aead=True),
)
_CBC_FS = (
    _suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", kex_bits=256, cbc=True),
    _suite("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", bits=256, kex_bits=256, cbc=True),
)
_GCM_RSA = (
    _suite("TLS_RSA_WITH_AES_128_GCM_SHA256", kex="RSA", aead=True),
    _suite("TLS_RSA_WITH_AES_256_GCM_SHA384", bits=256, kex="RSA", aead=True),
)
_CBC_RSA = (
    _suite("TLS_RSA_WITH_AES_128_CBC_SHA", kex="RSA", cbc=True),
    _suite("TLS_RSA_WITH_AES_256_CBC_SHA", bits=256, kex="RSA", cbc=True),
)
_RC4 = _suite("TLS_RSA_WITH_RC4_128_SHA", kex="RSA", rc4=True)
_3DES = _suite("TLS_RSA_WITH_3DES_EDE_CBC_SHA", bits=168, kex="RSA", cbc=True, block_64=True)
_DES = _suite("TLS_RSA_WITH_DES_CBC_SHA", bits=56, kex="RSA", cbc=True, block_64=True)
_ANON = _suite("TLS_DH_anon_WITH_AES_128_CBC_SHA", kex="ANON", cbc=True, anonymous=True)
_TLS13 = (
    _suite("TLS_AES_128_GCM_SHA256", kex="TLS13", kex_bits=253, aead=True),
    _suite("TLS_AES_256_GCM_SHA384", bits=256, kex="TLS13", kex_bits=253, aead=True),
)
_SSL2 = _suite("SSL_CK_DES_192_EDE3_CBC_WITH_MD5", bits=168, kex="RSA", cbc=True, block_64=True)


def facts_from_reasons(
    labels: Iterable[str], *, recorded_on: date | None = None
) -> tuple[Facts, list[str]]:
    """The facts a published reason list implies, and the labels not understood.

    A recorded grade (SSL Labs, 2015) comes with the reasons its author listed and nothing
    else. We start from a clean TLS 1.2 server and add each listed weakness the way servers of
    the time typically had it. What was *not* listed is read as follows:
    - a finding graded (with any effect) under the rules of ``recorded_on`` and not listed is
      taken as absent — the list names what counted then (with ``recorded_on`` None, every
      finding counts as graded);
    - a finding not graded at that date (TLS 1.0/1.1, TLS 1.3, ROBOT, … for 2015) is left
      unknown (None / protocol absent), so regrading under later rules lists it as not tested;
    - HSTS and TLS_FALLBACK_SCSV (A+ conditions, never in a reason list) stay unknown, so a
      derived grade tops out at A.
    Placement choices: listed RC4 is accepted on every offered version (beside strong suites);
    "SSL3 (insecure)" without POODLE means SSL3 with RC4 only (the usual late-2014 POODLE fix);
    "weak DH" with "no Forward Secrecy" puts the DHE suites below TLS 1.2 (browsers did not get
    them; see the FS rule in the module docstring).
    """
    ids: set[str] = set()
    unknown: list[str] = []
    for label in labels:
        found = ids_for(label)
        if found:
            ids.update(found)
        else:
            unknown.append(label)
    ruleset = rules_of(recorded_on) if recorded_on is not None else None

    def graded(finding: str) -> bool:
        return ruleset is None or ruleset.graded(finding)

    def flag(finding: str) -> bool | None:
        return True if finding in ids else (False if graded(finding) else None)

    no_fs = "no-fs" in ids
    strong12 = (
        (_CBC_RSA if "no-aead" in ids else _GCM_RSA)
        if no_fs
        else (_CBC_FS if "no-aead" in ids else _GCM_FS)
    )
    old = _CBC_RSA if no_fs else _CBC_FS
    protocols: dict[str, tuple[CipherSuite, ...]] = {}
    if "ssl2" in ids or "drown" in ids:
        protocols["SSLv2"] = (_SSL2,)
    elif graded("ssl2"):
        protocols["SSLv2"] = ()
    ssl3 = ids & {"ssl3", "ssl3-only", "poodle-ssl3"}
    if ssl3:
        protocols["SSLv3"] = (_CBC_RSA[0],) if "poodle-ssl3" in ids else (_RC4,)
    elif graded("ssl3"):
        protocols["SSLv3"] = ()
    if "ssl3-only" in ids:
        protocols.update({p: () for p in TLS_PROTOCOLS})
    elif "no-tls12" in ids:
        protocols["TLSv1.0"] = old
        if "tls10-11" in ids:
            protocols["TLSv1.1"] = old
        elif graded("tls10-11"):
            protocols["TLSv1.1"] = ()
        protocols["TLSv1.2"] = ()
        protocols["TLSv1.3"] = ()
    else:
        protocols["TLSv1.2"] = strong12
        for p in ("TLSv1.0", "TLSv1.1"):
            if "tls10-11" in ids:
                protocols[p] = old
            elif graded("tls10-11"):
                protocols[p] = ()
        if "no-tls13" in ids:
            protocols["TLSv1.3"] = ()
        elif graded("no-tls13"):
            protocols["TLSv1.3"] = _TLS13

    def add(suite: CipherSuite, where: Iterable[str]) -> None:
        for p in where:
            if protocols.get(p):
                protocols[p] = (*protocols[p], suite)

    offered = [p for p in PROTOCOLS if protocols.get(p) and p != "SSLv2"]
    if "rc4-only" in ids:
        for p in offered:
            protocols[p] = (_RC4,)
    elif ids & {"rc4", "rc4-modern"}:
        add(_RC4, offered)
    if "3des" in ids:
        add(_3DES, [p for p in offered if p != "SSLv3"])
    if "weak-cipher" in ids:
        add(_DES, offered)
    if "anon" in ids:
        add(_ANON, offered)
    for finding, bits in (("weak-dh", 1024), ("insecure-dh", 512)):
        if finding in ids:
            dhe = _suite("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", kex="DHE", kex_bits=bits, cbc=True)
            where = (
                [p for p in offered if p in ("TLSv1.0", "TLSv1.1", "SSLv3")] if no_fs else offered
            )
            if no_fs and not where:
                protocols.setdefault("TLSv1.0", old)
                where = ["TLSv1.0"]
            add(dhe, where)

    key_bits = 512 if "insecure-key" in ids else 1024 if "weak-key" in ids else 2048
    leaf_hash = "md5" if "md5-cert" in ids else "sha1" if "sha1-cert" in ids else "sha256"
    problem = next(
        (
            name
            for finding, name in (
                ("cert-mismatch", "mismatch"),
                ("cert-self-signed", "self-signed"),
                ("cert-expired", "expired"),
                ("cert-not-yet-valid", "not-yet-valid"),
                ("cert-untrusted", "untrusted"),
                ("incomplete-chain", "incomplete-chain"),
                ("issuer-not-found", "issuer-not-found"),
            )
            if finding in ids
        ),
        None,
    )
    chain = (
        Certificate(
            subject="CN=recorded",
            issuer="CN=recorded CA",
            signature_hash=leaf_hash,
            key_type="RSA",
            key_bits=key_bits,
            rsa_exponent=1 if "rsa-e1" in ids else 65537,
        ),
        Certificate(
            subject="CN=recorded CA",
            issuer="CN=recorded root",
            signature_hash="sha1" if "sha1-chain" in ids else "sha256",
            key_type="RSA",
            key_bits=2048,
            rsa_exponent=65537,
        ),
    )
    revoked = "revoked" in ids
    cert = CertificateFacts(
        chain=chain,
        trust=(TrustResult("recorded", problem is None),),
        hostname_matches=problem != "mismatch",
        problem=problem,
        ocsp_stapled=True if revoked else None,
        ocsp_status="REVOKED" if revoked else None,
    )

    insecure_reneg = "insecure-reneg" in ids
    secure = not (insecure_reneg or "no-secure-reneg" in ids)
    reneg = Renegotiation(
        secure=secure if (not secure or graded("no-secure-reneg")) else None,
        client_initiated=True if insecure_reneg else (False if graded("insecure-reneg") else None),
    )
    robot = flag("robot")
    other = {
        k: v
        for k in ("poodle-tls", "cbc-oracles-2019", "cve-2016-2107", "ticketbleed")
        if (v := flag(k)) is not None
    }
    hsts = (
        Hsts(present=True, max_age=0)
        if "hsts-disabled" in ids
        else (
            Hsts(present=False)
            if "no-hsts" in ids
            else (Hsts(present=True, max_age=86400) if "hsts-short" in ids else None)
        )
    )
    facts = Facts(
        protocols=protocols,
        certificate=cert,
        renegotiation=reneg,
        compression=flag("compression"),
        heartbleed=flag("heartbleed"),
        ccs_injection=flag("ccs"),
        robot=None
        if robot is None
        else ("VULNERABLE_STRONG_ORACLE" if robot else "NOT_VULNERABLE_NO_ORACLE"),
        fallback_scsv=False if "no-fallback-scsv" in ids else None,
        hsts=hsts,
        other_tests=other,
    )
    return facts, unknown
