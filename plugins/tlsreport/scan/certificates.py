"""Certificates: sslyze's ``certificate_info`` result -> ``facts.CertificateFacts``.

Kept apart from the other scan commands because it is the only one with rules of its own:
the hostname check (RFC 6125, since sslyze reports only path validation) and the one-word
``problem`` the grader caps on (sslyze 6 tells problems apart only by error text). Pure: no
clock, disk or network; the scan time comes in as ``at``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import ipaddress
from datetime import UTC, datetime
from typing import Any

from .. import facts


def hostname_matches(
    hostname: str, dns_names: list[str], ip_addresses: list[str], common_name: str | None
) -> bool:
    """RFC 6125 style: SAN DNS names (left-most-label wildcard), IP SANs, CN only without SANs."""
    host = hostname.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return any(_same_ip(ip, a) for a in ip_addresses)
    names = dns_names if (dns_names or ip_addresses) else ([common_name] if common_name else [])
    return any(_dns_match(host, n.lower().rstrip(".")) for n in names)


def _same_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, text: str) -> bool:
    """Compare as addresses, not text: ``::1`` and ``0:0::1`` are one IP SAN."""
    try:
        return ipaddress.ip_address(text) == ip
    except ValueError:
        return False


def _dns_match(host: str, pattern: str) -> bool:
    """A wildcard stands for exactly one whole left-most label (``*.a.b`` is not ``a.b``)."""
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com"
        head = host[: -len(suffix)] if host.endswith(suffix) else ""
        return bool(head) and "." not in head
    return host == pattern


def classify_certificate_problem(
    errors: list[str],
    chain: tuple[facts.Certificate, ...],
    hostname_ok: bool | None,
    at: datetime | None = None,
) -> str | None:
    """One word for why no store trusts the chain (None when one does and the name matches).

    sslyze 6 tells certificate problems apart only by the ``validation_error`` text of
    ``cryptography``'s verifier (pitfall 4), and a self-signed leaf fails exactly like an
    unknown CA; so the texts are read first and our own checks of the received chain fill in.
    """
    text = " | ".join(e.lower() for e in errors)
    leaf = chain[0] if chain else None
    if "not valid at validation time" in text or "expired" in text:
        if leaf and at and leaf.not_before and _parse_z(leaf.not_before) > at:
            return "not-yet-valid"
        return "expired"
    if leaf and at and leaf.not_after and _parse_z(leaf.not_after) < at:
        return "expired"
    if leaf and leaf.subject == leaf.issuer and len(chain) == 1 and errors:
        return "self-signed"
    signed_by_ca = chain[:-1] or chain  # a root's own signature does not count
    weak = any(c.signature_hash in ("sha1", "md5", "md2") for c in signed_by_ca)
    if "forbidden signature algorithm" in text or (errors and weak):
        return "weak-signature"
    if hostname_ok is False or "subjectaltname" in text or "hostname" in text:
        return "mismatch"
    if errors:
        return "untrusted"
    return None


def certificate_facts(result: dict[str, Any], at: datetime | None) -> facts.CertificateFacts:
    """The first deployment of a completed ``certificate_info`` result (the one the server
    sends to a client like ours), with trust, name match and problem decided here."""
    hostname = result.get("hostname_used_for_server_name_indication") or ""
    deployments = result.get("certificate_deployments") or []
    if not deployments:
        return facts.CertificateFacts(hostname=hostname)
    dep = deployments[0]
    received = dep.get("received_certificate_chain") or []
    chain = tuple(_certificate(c) for c in received)
    trust = tuple(
        facts.TrustResult(
            store=p["trust_store"]["name"],
            trusted=bool(p.get("was_validation_successful")),
            error=p.get("validation_error"),
        )
        for p in dep.get("path_validation_results") or ()
    )
    matches: bool | None = None
    if received:
        san = received[0].get("subject_alternative_name") or {}
        matches = hostname_matches(
            hostname,
            list(san.get("dns_names") or ()),
            list(san.get("ip_addresses") or ()),
            _common_name(received[0]),
        )
    trusted = any(t.trusted for t in trust)
    problem = None
    if not trusted or matches is False:
        errors = [t.error for t in trust if t.error]
        problem = classify_certificate_problem(errors, chain, matches, at)
    ocsp = dep.get("ocsp_response")
    return facts.CertificateFacts(
        chain=chain,
        trust=trust,
        hostname=hostname,
        hostname_matches=matches,
        problem=problem,
        chain_in_order=dep.get("received_chain_has_valid_order"),
        ocsp_stapled=ocsp is not None,
        ocsp_status=(ocsp or {}).get("certificate_status"),
    )


def _certificate(cert: dict[str, Any]) -> facts.Certificate:
    """One certificate of the received chain, as sslyze's JSON describes it."""
    key = cert.get("public_key") or {}
    algorithm = str(key.get("algorithm") or "")
    key_type = next(
        (t for t in ("RSA", "DSA", "Ed25519", "Ed448", "EC") if t in algorithm), algorithm
    )
    sig = cert.get("signature_hash_algorithm")
    fingerprint = cert.get("fingerprint_sha256") or ""
    with contextlib.suppress(ValueError):  # sslyze writes base64; facts keep hex
        fingerprint = base64.b64decode(fingerprint).hex()
    san = cert.get("subject_alternative_name") or {}
    return facts.Certificate(
        subject=(cert.get("subject") or {}).get("rfc4514_string", ""),
        issuer=(cert.get("issuer") or {}).get("rfc4514_string", ""),
        sans=tuple(san.get("dns_names") or ()) + tuple(san.get("ip_addresses") or ()),
        signature_hash=sig["name"].lower() if sig else None,
        key_type=key_type,
        key_bits=int(key.get("key_size") or 0),
        rsa_exponent=key.get("rsa_e"),
        curve=key.get("ec_curve_name"),
        not_before=_iso_z(cert.get("not_valid_before")),
        not_after=_iso_z(cert.get("not_valid_after")),
        serial=str(cert.get("serial_number", "")),
        fingerprint_sha256=fingerprint,
    )


def _iso_z(value: Any) -> str:
    """sslyze JSON dates -> ``YYYY-MM-DDTHH:MM:SSZ`` (the facts convention)."""
    if not value:
        return ""
    text = str(value).replace("+00:00", "Z")
    return text if text.endswith("Z") else text + "Z"


def _parse_z(value: str) -> datetime:
    """The facts date convention back to an aware datetime, to compare with ``at``."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _common_name(cert: dict[str, Any]) -> str | None:
    """The subject's CN, which RFC 6125 lets count only when there are no SANs at all."""
    for attribute in (cert.get("subject") or {}).get("attributes") or ():
        if (attribute.get("oid") or {}).get("name") == "commonName":
            return str(attribute.get("value"))
    return None


# --- incomplete chains (scan.chain's record) -----------------------------------------------


def certificate_from_pem(pem: str) -> facts.Certificate:
    """One certificate fetched through AIA, described like a received one (pure)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    key = cert.public_key()
    key_type, bits, exponent, curve = "", 0, None, None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, bits, exponent = "RSA", key.key_size, key.public_numbers().e
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, bits, curve = "EC", key.curve.key_size, key.curve.name
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, bits = "DSA", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, bits = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, bits = "Ed448", 456
    sig = cert.signature_hash_algorithm
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = tuple(san.get_values_for_type(x509.DNSName)) + tuple(
            str(a) for a in san.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        sans = ()
    return facts.Certificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        sans=sans,
        signature_hash=sig.name.lower() if sig else None,
        key_type=key_type,
        key_bits=bits,
        rsa_exponent=exponent,
        curve=curve,
        not_before=cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        not_after=cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        serial=str(cert.serial_number),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def apply_completion(
    cert: facts.CertificateFacts, record: dict[str, Any], at: datetime | None
) -> facts.CertificateFacts:
    """The certificate facts of an incomplete chain, given scan.chain's record of completing it.

    Completed and trusted by a store: ``problem = "incomplete-chain"`` (SSL Labs' cap B), unless
    the name does not match (still M). Nothing usable fetched: ``"issuer-not-found"`` (T).
    Fetched but still not trusted: the completed chain's own problem (untrusted, expired, …).
    """
    fetched = tuple(certificate_from_pem(p) for p in record.get("fetched_pem") or ())
    trust = [
        facts.TrustResult(t["store"], bool(t["trusted"]), t.get("error"))
        for t in record.get("trust") or ()
    ]
    problem = cert.problem
    if not fetched:
        if problem in (None, "untrusted"):
            problem = "issuer-not-found"
    elif any(t.trusted for t in trust):
        problem = "mismatch" if cert.hostname_matches is False else "incomplete-chain"
    else:
        errors = [t.error for t in trust if t.error]
        problem = (
            classify_certificate_problem(errors, (*cert.chain, *fetched), cert.hostname_matches, at)
            or problem
        )
    return dataclasses.replace(
        cert,
        problem=problem,
        fetched=fetched,
        fetched_from=tuple(record.get("urls") or ()),
        fetch_error=record.get("error"),
    )
