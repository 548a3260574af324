"""Reasons: stable finding ids, the blog's labels for them, and published spellings.

A recorded grade comes with reasons as an author typed them ("RC4", "no FS", SSL Labs' own
sentences); matching those to one stable id is what lets recorded and scanned history be
graded, diffed and charted alike.
"""

from __future__ import annotations

import re

from ..grade import Reason
from ..rules import latest

# id -> blog label (reference/grading.md §6, in the series' style).
LABELS: dict[str, str] = {
    "cert-mismatch": "certificate name mismatch",
    "cert-self-signed": "self-signed certificate",
    "cert-expired": "expired certificate",
    "cert-not-yet-valid": "certificate not yet valid",
    "cert-untrusted": "certificate not trusted",
    "revoked": "revoked certificate",
    "md5-cert": "insecure signature (MD5)",
    "insecure-key": "insecure key (<1024-bit)",
    "rsa-e1": "RSA exponent 1",
    "sha1-cert": "weak signature (SHA1)",
    "sha1-chain": "weak signature (SHA1) in chain",
    "ssl2": "SSL2 (insecure)",
    "drown": "vulnerable to DROWN",
    "ssl3-only": "only SSL3",
    "poodle-tls": "vulnerable to POODLE (TLS)",
    "rc4-only": "only RC4 ciphers",
    "anon": "anonymous ciphers",
    "weak-cipher": "weak ciphers (<112 bit)",
    "insecure-dh": "insecure DH (<1024-bit)",
    "insecure-reneg": "insecure renegotiation",
    "heartbleed": "vulnerable to Heartbleed",
    "ccs": "vulnerable to CCS injection",
    "robot": "vulnerable to ROBOT",
    "ticketbleed": "vulnerable to Ticketbleed",
    "cve-2016-2107": "OpenSSL padding oracle (CVE-2016-2107)",
    "cbc-oracles-2019": "vulnerable to Zombie POODLE / GOLDENDOODLE",
    "poodle-ssl3": "vulnerable to POODLE",
    "no-tls12": "no TLS 1.2",
    "rc4-modern": "RC4 with modern browsers",
    "3des": "3DES (SWEET32)",
    "compression": "TLS compression (CRIME)",
    "ssl3": "SSL3 (insecure)",
    "rc4": "RC4 (insecure)",
    "tls10-11": "TLS 1.0/1.1 (obsolete)",
    "weak-key": "weak key (<2048-bit)",
    "weak-dh": "weak DH",
    "no-fs": "no Forward Secrecy",
    "no-aead": "no AEAD (GCM) ciphers",
    "incomplete-chain": "incomplete certificate chain",
    "issuer-not-found": "incomplete chain: issuer not found",
    "beast": "BEAST (no mitigation)",
    "no-secure-reneg": "no support for secure renegotiation",
    "no-tls13": "no TLS 1.3",
    "hsts-disabled": "HSTS disabled (max-age=0)",
    "no-hsts": "no HSTS",
    "hsts-short": "HSTS max-age too short",
    "no-fallback-scsv": "no downgrade protection (TLS_FALLBACK_SCSV)",
    "fallback-untestable": "TLS_FALLBACK_SCSV untestable (one protocol)",
}

# Other published spellings (SSL Labs UI, testssl, the series) -> ids. Matching ignores case,
# spaces and the punctuation around words.
_ALIASES: dict[str, tuple[str, ...]] = {
    "RC4": ("rc4",),
    "RC4 ciphers offered": ("rc4",),
    "SSL3": ("ssl3",),
    "SSL 3 (insecure)": ("ssl3",),
    "SSLv3 is offered": ("ssl3",),
    "SSL 2 (insecure)": ("ssl2",),
    "only SSL 3": ("ssl3-only",),
    "vulnerable to POODLE (SSL3)": ("poodle-ssl3",),
    "POODLE (SSL3)": ("poodle-ssl3",),
    "POODLE": ("poodle-ssl3",),
    "POODLE (TLS)": ("poodle-tls",),
    "vulnerable to POODLE (SSL3 and TLS)": ("poodle-tls", "poodle-ssl3"),
    "weak signature": ("sha1-cert",),
    "SHA1 certificate": ("sha1-cert",),
    "weak DH (1024-bit)": ("weak-dh",),
    "weak Diffie-Hellman": ("weak-dh",),
    "weak key (1024-bit RSA)": ("weak-key",),
    "no FS": ("no-fs",),
    "no forward secrecy": ("no-fs",),
    "no secure renegotiation": ("no-secure-reneg",),
    "certificate not trusted (T)": ("cert-untrusted",),
    "untrusted certificate": ("cert-untrusted",),
    "certificate name mismatch (M)": ("cert-mismatch",),
    "TLS 1.0/1.1": ("tls10-11",),
    "CRIME": ("compression",),
    "export ciphers (FREAK)": ("weak-cipher",),
    "3DES": ("3des",),
    "SWEET32": ("3des",),
    "Heartbleed": ("heartbleed",),
    "ROBOT": ("robot",),
    "Ticketbleed": ("ticketbleed",),
    "DROWN": ("drown",),
    "no HSTS": ("no-hsts",),
    "no TLS_FALLBACK_SCSV": ("no-fallback-scsv",),
}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9+]+", " ", text.lower()).strip()


_LOOKUP: dict[str, tuple[str, ...]] = {}
for _id, _label in LABELS.items():
    _LOOKUP[_norm(_label)] = (_id,)
    _LOOKUP[_norm(_id)] = (_id,)
for _alias, _ids in _ALIASES.items():
    _LOOKUP.setdefault(_norm(_alias), _ids)


def ids_for(label_or_id: str) -> tuple[str, ...]:
    """Every finding id a published label names (one label can name two, e.g. POODLE SSL3+TLS)."""
    return _LOOKUP.get(_norm(label_or_id), ())


def _severity_now(finding: str) -> str:
    rule = latest().rule(finding)
    return rule.effect if rule else ""


def reason_for(label_or_id: str) -> Reason:
    """The Reason for a published label ("RC4", "RC4 (insecure)") or a stable id ("rc4").

    The severity is the finding's effect under today's rules ("" when no longer graded). A label
    naming two findings returns the worse one. Raises KeyError for a label we do not know, so a
    typo in hand-typed history is reported instead of silently dropped.
    """
    ids = ids_for(label_or_id)
    if not ids:
        raise KeyError(f"unknown reason label {label_or_id!r}")
    return Reason(ids[0], LABELS[ids[0]], _severity_now(ids[0]))
