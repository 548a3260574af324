"""Facts → findings: which weaknesses a scan's facts show (True), rule out (False) or leave
untested (None — never counted as passed).

The "negotiated with modern browsers" vs "offered" choice described in ``grading`` lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..facts import PROTOCOLS, Certificate, CertificateFacts, CipherSuite, Facts, Renegotiation
from ..suites import MODERN_STRONG, has_forward_secrecy

HSTS_MIN_AGE = 15552000  # 180 days: SSL Labs' HstsPolicy.LONG_MAX_AGE

Tri = bool | None  # True present, False absent, None not tested


def _any(values: Iterable[Tri]) -> Tri:
    """Three-valued OR: a sure True wins; otherwise any unknown makes the answer unknown."""
    seen_none = False
    for v in values:
        if v is True:
            return True
        if v is None:
            seen_none = True
    return None if seen_none else False


def _suites_any(facts: Facts, protocols: Iterable[str], pred: Callable[[CipherSuite], bool]) -> Tri:
    """True if a suite matching ``pred`` is accepted on one of ``protocols``; None if none is
    seen but one of those protocols was not tested."""
    values: list[Tri] = []
    for p in protocols:
        if p not in facts.protocols:
            values.append(None)
        else:
            values.append(any(pred(s) for s in facts.protocols[p]))
    return _any(values)


def _is_fs(s: CipherSuite) -> bool:
    # The table's Forward secrecy column asks the same function (suites.py), so the two agree.
    return has_forward_secrecy(s)


def _is_dhe(s: CipherSuite) -> bool:
    return s.kex == "DHE" and not s.anonymous


TLS_PROTOCOLS = ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_MODERN_WEAK = ("TLSv1.1", "TLSv1.2")  # where a weak suite reaches modern browsers
_MODERN_STRONG = MODERN_STRONG  # where a strong suite must be for modern browsers


def _not_offered(facts: Facts, protocol: str) -> Tri:
    offered = facts.offered(protocol)
    return None if offered is None else not offered


def _only_rc4(facts: Facts) -> Tri:
    suites = [s for _, s in facts.all_suites()]
    if any(not s.rc4 for s in suites):
        return False
    if not suites:
        return False
    return True if all(p in facts.protocols for p in PROTOCOLS) else None


def _ssl3_only(facts: Facts) -> Tri:
    ssl3 = facts.offered("SSLv3")
    if ssl3 is not True:
        return ssl3 if ssl3 is None else False
    tls = _any(facts.offered(p) for p in TLS_PROTOCOLS)
    return None if tls is None else not tls


def _cbc_on_tls(facts: Facts) -> Tri:
    return _suites_any(facts, TLS_PROTOCOLS, lambda s: s.cbc)


def _untestable(facts: Facts, key: str, needs_cbc: bool) -> Tri:
    """A finding sslyze cannot test: a recorded/probed result if there is one; else known absent
    when its precondition (CBC suites on TLS) is known absent; else not tested."""
    if key in facts.other_tests:
        return facts.other_tests[key]
    if needs_cbc and _cbc_on_tls(facts) is False:
        return False
    return None


def _self_issued(c: Certificate) -> bool:
    return bool(c.subject) and c.subject == c.issuer


def _key_bands(c: Certificate | None) -> tuple[Tri, Tri]:
    """(weak, insecure) for the leaf key: RSA/DSA < 2048 / < 1024; EC < 163 / < 123 bits."""
    if c is None or not c.key_bits:
        return None, None
    bits = c.key_bits
    if c.key_type.upper() in ("EC", "ECDSA", "ED25519", "ED448"):
        return 123 <= bits < 163, bits < 123
    return 1024 <= bits < 2048, bits < 1024


def _hostname_matches(cert: CertificateFacts, hostname: str | None) -> Tri:
    if cert.hostname_matches is not None:
        return cert.hostname_matches
    if cert.problem == "mismatch":
        return False
    if cert.problem is None and cert.trusted:
        return True  # sslyze's verifier checks the name: a trusted chain matched it
    leaf = cert.leaf
    name = (hostname or cert.hostname).lower().rstrip(".")
    if leaf is None or not name or not leaf.sans:
        return None
    for san in leaf.sans:
        san = san.lower().rstrip(".")
        if san == name:
            return True
        if san.startswith("*.") and name.count(".") >= 2 and name.split(".", 1)[1] == san[2:]:
            return True
    return False


def _certificate_findings(cert: CertificateFacts | None, hostname: str | None) -> dict[str, Tri]:
    keys = (
        "cert-mismatch",
        "cert-self-signed",
        "cert-expired",
        "cert-not-yet-valid",
        "cert-untrusted",
        "revoked",
        "md5-cert",
        "insecure-key",
        "weak-key",
        "rsa-e1",
        "sha1-cert",
        "sha1-chain",
        "incomplete-chain",
        "issuer-not-found",
    )
    if cert is None or not cert.chain:
        return dict.fromkeys(keys, None)
    leaf = cert.chain[0]
    # A chain completed through AIA is judged whole, as SSL Labs judges it (fetched included).
    signed = [leaf, *(c for c in (*cert.chain[1:], *cert.fetched) if not _self_issued(c))]

    def hashed(certs: list[Certificate], names: tuple[str, ...]) -> Tri:
        return _any(
            None if c.signature_hash is None else c.signature_hash.lower() in names for c in certs
        )

    weak, insecure = _key_bands(leaf)
    out: dict[str, Tri] = {
        "md5-cert": hashed(signed, ("md5", "md2")),
        "sha1-cert": hashed([leaf], ("sha1",)),
        "sha1-chain": hashed(signed[1:], ("sha1",)),
        "weak-key": weak,
        "insecure-key": insecure,
        "rsa-e1": leaf.rsa_exponent == 1
        if leaf.rsa_exponent is not None
        else (False if leaf.key_type.upper() not in ("RSA", "") else None),
        "cert-mismatch": _not(_hostname_matches(cert, hostname)),
        "revoked": (cert.ocsp_status == "REVOKED") if cert.ocsp_stapled else None,
    }
    problem = cert.problem
    if problem is None and cert.trust and not cert.trusted:
        problem = "untrusted"
    known = problem is not None or cert.trusted
    for key, name in (
        ("cert-self-signed", "self-signed"),
        ("cert-expired", "expired"),
        ("cert-not-yet-valid", "not-yet-valid"),
        ("incomplete-chain", "incomplete-chain"),
        ("issuer-not-found", "issuer-not-found"),
    ):
        out[key] = (problem == name) if known else None
    untrusted: Tri = (problem == "untrusted") if known else None
    if problem == "weak-signature" and not (
        out["sha1-cert"] or out["sha1-chain"] or out["md5-cert"]
    ):
        untrusted = True  # rejected for a signature we cannot see: plain "not trusted"
    out["cert-untrusted"] = untrusted
    return out


def _not(v: Tri) -> Tri:
    return None if v is None else not v


def findings(facts: Facts, hostname: str | None = None) -> dict[str, Tri]:
    """Every finding id the rules know → True / False / None (not tested). Pure."""
    p = facts.offered
    tls12_or_13 = _any((p("TLSv1.2"), p("TLSv1.3")))
    offered_count = [p(x) for x in PROTOCOLS if x != "SSLv2"]
    n_offered = sum(1 for v in offered_count if v)
    single: Tri = (
        (n_offered <= 1) if None not in offered_count else (False if n_offered > 1 else None)
    )
    reneg = facts.renegotiation or Renegotiation()
    hsts = facts.hsts
    robot = facts.robot
    out: dict[str, Tri] = {
        "ssl2": p("SSLv2"),
        # DROWN also through another host sharing the key: only an import (SSL Labs'
        # drownVulnerable) can say so; sslyze sees SSL 2 on this server only.
        "drown": True if facts.other_tests.get("drown") else p("SSLv2"),
        "ssl3": p("SSLv3"),
        "ssl3-only": _ssl3_only(facts),
        "poodle-ssl3": _suites_any(facts, ("SSLv3",), lambda s: s.cbc),
        "poodle-tls": _untestable(facts, "poodle-tls", needs_cbc=True),
        "cbc-oracles-2019": _untestable(facts, "cbc-oracles-2019", needs_cbc=True),
        "cve-2016-2107": _untestable(facts, "cve-2016-2107", needs_cbc=True),
        "ticketbleed": _untestable(facts, "ticketbleed", needs_cbc=False),
        "beast": None
        if tls12_or_13 is None or p("TLSv1.1") is None
        else (
            not tls12_or_13
            and not p("TLSv1.1")
            and bool(_suites_any(facts, ("SSLv3", "TLSv1.0"), lambda s: s.cbc))
        ),
        "no-tls12": _not(tls12_or_13),
        "tls10-11": _any((p("TLSv1.0"), p("TLSv1.1"))),
        "no-tls13": _not_offered(facts, "TLSv1.3"),
        "rc4": _suites_any(facts, PROTOCOLS, lambda s: s.rc4),
        "rc4-modern": _suites_any(facts, _MODERN_WEAK, lambda s: s.rc4),
        "rc4-only": _only_rc4(facts),
        "3des": _suites_any(facts, _MODERN_WEAK, lambda s: s.block_64),
        "weak-cipher": _suites_any(facts, PROTOCOLS, lambda s: s.null or s.export or s.bits < 112),
        "anon": _suites_any(facts, PROTOCOLS, lambda s: s.anonymous),
        "no-fs": _not(_suites_any(facts, _MODERN_STRONG, _is_fs)),
        "no-aead": _not(_suites_any(facts, _MODERN_STRONG, lambda s: s.aead or s.kex == "TLS13")),
        "weak-dh": _suites_any(
            facts,
            PROTOCOLS,
            lambda s: _is_dhe(s) and s.kex_bits is not None and 1024 <= s.kex_bits < 2048,
        ),
        "insecure-dh": _suites_any(
            facts,
            PROTOCOLS,
            lambda s: (
                _is_dhe(s)
                and (s.dh_key_unreadable or (s.kex_bits is not None and s.kex_bits < 1024))
            ),
        ),
        "insecure-reneg": None
        if reneg.secure is None or (reneg.secure is False and reneg.client_initiated is None)
        else (reneg.secure is False and reneg.client_initiated is True),
        "no-secure-reneg": _not(reneg.secure),
        "compression": facts.compression,
        "heartbleed": facts.heartbleed,
        "ccs": facts.ccs_injection,
        "robot": None
        if robot is None or robot.startswith("UNKNOWN")
        else robot in ("VULNERABLE_STRONG_ORACLE", "VULNERABLE_WEAK_ORACLE"),
        "no-hsts": None if hsts is None else not hsts.present,
        "hsts-short": None
        if hsts is None
        else (hsts.present and (hsts.max_age or 0) < HSTS_MIN_AGE),
        "hsts-disabled": None if hsts is None else (hsts.present and hsts.max_age == 0),
        # sslyze's downgrade test needs a lower version to go to: with one version, untestable.
        "no-fallback-scsv": False
        if single
        else (None if facts.fallback_scsv is None else not facts.fallback_scsv),
        "fallback-untestable": single,
        "_no-a-plus-yet": True,
    }
    out.update(_certificate_findings(facts.certificate, hostname))
    return out


# What to call a finding in "not tested" (several findings share one test).
TEST_NAMES: dict[str, str] = {
    "poodle-tls": "POODLE (TLS)",
    "cbc-oracles-2019": "Zombie POODLE/GOLDENDOODLE",
    "cve-2016-2107": "OpenSSL padding oracle (CVE-2016-2107)",
    "ticketbleed": "Ticketbleed",
    "revoked": "revocation (no OCSP stapling)",
    "ssl2": "SSL 2",
    "drown": "SSL 2",
    "ssl3": "SSL 3",
    "ssl3-only": "SSL 3",
    "poodle-ssl3": "SSL 3",
    "beast": "protocol versions",
    "no-tls12": "TLS 1.2/1.3",
    "tls10-11": "TLS 1.0/1.1",
    "no-tls13": "TLS 1.3",
    "rc4": "cipher suites",
    "rc4-modern": "cipher suites",
    "rc4-only": "cipher suites",
    "3des": "cipher suites",
    "weak-cipher": "cipher suites",
    "anon": "cipher suites",
    "no-fs": "cipher suites",
    "no-aead": "cipher suites",
    "weak-dh": "cipher suites",
    "insecure-dh": "cipher suites",
    "insecure-reneg": "renegotiation",
    "no-secure-reneg": "renegotiation",
    "compression": "TLS compression (CRIME)",
    "heartbleed": "Heartbleed",
    "ccs": "CCS injection",
    "robot": "ROBOT",
    "no-hsts": "HSTS",
    "hsts-short": "HSTS",
    "hsts-disabled": "HSTS",
    "no-fallback-scsv": "TLS_FALLBACK_SCSV",
    "fallback-untestable": "TLS_FALLBACK_SCSV",
}
# Tests no sslyze scan can do: listed when their rule is in force, never blocking A+.
UNTESTABLE: frozenset[str] = frozenset(
    {"poodle-tls", "cbc-oracles-2019", "cve-2016-2107", "ticketbleed", "revoked"}
)
NEGOTIATED = ("no-fs", "no-aead", "rc4-modern", "3des")
CLIENT_SIMULATION = "client simulation (negotiated suites judged from offered ones)"
DROWN_OTHER_HOSTS = "DROWN on other hosts sharing the key"
