"""A mail domain's published TLS policy: MTA-STS, TLS-RPT and DANE TLSA, read from DNS.

What a sender's MTA consults before delivering to a domain decides whether TLS can be
required at all on port 25 (where the server itself may not require it, RFC 3207). For a
list's ``mail_domain`` this module reads:

- MTA-STS (RFC 8461): the ``_mta-sts.<domain>`` TXT record, then the policy file at
  ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` with a verified certificate, and
  whether the domain's MX hosts are covered by the policy's ``mx`` patterns.
- TLS-RPT (RFC 8460): the ``_smtp._tls.<domain>`` TXT record.
- DANE (RFC 7672): the TLSA records at ``_25._tcp.<mx>``, compared with the certificate the
  MX served (hashes from ``tlsreport.mailpolicy``). tlsreport does **not** validate DNSSEC:
  a match says the records agree with the server, not that a DANE sender would trust them,
  and every report says so (``dnssec_validated`` is always False).

The resolver is configurable (a list's ``dns_server``) so tests can point it at a real DNS
server on loopback. Pure parsers and the pure ``domain_findings`` sit around one I/O
function, ``check_mail_domain``, which never raises for what DNS or a server answers.
"""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path
from typing import Any

from .facts import MailDomain, TlsaRecord
from .mailpolicy import MailFinding, clean
from .targets import DnsServerError, parse_dns_server

__all__ = ["DnsServerError", "check_mail_domain", "domain_findings", "parse_dns_server"]

MAX_POLICY = 64 * 1024  # RFC 8461 §3.3 lets a sender stop at 64 KiB
POLICY_PATH = "/.well-known/mta-sts.txt"


# --- pure parsers ----------------------------------------------------------------------------


def sts_record(txts: list[str]) -> str | None:
    """The one ``v=STSv1`` record among a name's TXT strings (RFC 8461 §3.1), else None."""
    found = [t for t in txts if t.strip().startswith("v=STSv1")]
    return found[0] if len(found) == 1 else None


def tlsrpt_record(txts: list[str]) -> str | None:
    found = [t for t in txts if t.strip().startswith("v=TLSRPTv1")]
    return found[0] if len(found) == 1 else None


def parse_sts_policy(text: str) -> tuple[str, tuple[str, ...], int]:
    """An MTA-STS policy file -> (mode, mx patterns, max_age); ValueError says what is wrong."""
    fields: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"policy line {number}: expected 'key: value'")
        fields.setdefault(key.strip(), []).append(value.strip())
    if fields.get("version") != ["STSv1"]:
        raise ValueError("policy: version must be STSv1")
    mode = (fields.get("mode") or [""])[0]
    if mode not in ("enforce", "testing", "none"):
        raise ValueError(f"policy: mode {clean(mode)!r} is not enforce, testing or none")
    raw_age = (fields.get("max_age") or [""])[0]
    if not raw_age.isdigit():
        raise ValueError("policy: max_age must be a number of seconds")
    mx = tuple(fields.get("mx", []))
    if mode != "none" and not mx:
        raise ValueError("policy: no mx line")
    return mode, mx, int(raw_age)


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: exact name, or "*.example.org" for exactly one more label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return pattern == host


def tlsa_matches(
    records: tuple[TlsaRecord, ...], leaf_sha256: str, spki_sha256: str
) -> bool | None:
    """Does a DANE-EE SHA-256 record (3 0 1 or 3 1 1) match the certificate served?

    None when there is nothing we can compare: no records, no certificate, or only usages
    and matching types we do not check (DANE-TA needs the chain; SHA-512 and full data are
    rare on the MX and not compared here).
    """
    if not records or not (leaf_sha256 or spki_sha256):
        return None
    comparable = [r for r in records if r.usage == 3 and r.mtype == 1 and r.selector in (0, 1)]
    if not comparable:
        return None
    return any(
        r.data.lower() == (leaf_sha256 if r.selector == 0 else spki_sha256).lower()
        for r in comparable
    )


# --- findings --------------------------------------------------------------------------------


def domain_findings(found: MailDomain | None) -> tuple[MailFinding, ...]:
    """What the mail-domain section says, worst first. Pure."""
    if found is None:
        return ()
    out: list[MailFinding] = []
    for what, error in sorted(found.errors.items()):
        out.append(MailFinding(f"dns-{what}", "warning", f"{what} could not be read: {error}"))
    if found.mta_sts_txt is None:
        out.append(
            MailFinding(
                "no-mta-sts", "info", "no MTA-STS policy: senders cannot be told to require TLS"
            )
        )
    elif found.mta_sts_error:
        out.append(
            MailFinding(
                "mta-sts-broken",
                "bad",
                f"MTA-STS announced but its policy is unusable: {found.mta_sts_error}",
            )
        )
    else:
        level = {"enforce": "good", "testing": "warning", "none": "info"}[
            found.mta_sts_mode or "none"
        ]
        out.append(
            MailFinding(
                "mta-sts",
                level,
                f"MTA-STS policy in {found.mta_sts_mode} mode (max_age {found.mta_sts_max_age} s)",
            )
        )
        uncovered = [m for m in found.mx if not any(mx_matches(p, m) for p in found.mta_sts_mx)]
        if uncovered and found.mta_sts_mode != "none":
            out.append(
                MailFinding(
                    "mta-sts-mx",
                    "bad",
                    f"MX not covered by the MTA-STS policy: {', '.join(uncovered)}",
                )
            )
    if found.tls_rpt:
        out.append(MailFinding("tls-rpt", "good", "TLS-RPT reports requested"))
    else:
        out.append(MailFinding("no-tls-rpt", "info", "no TLS-RPT record"))
    unvalidated = "DNSSEC not validated by tlsreport"
    if not found.tlsa:
        out.append(
            MailFinding(
                "no-dane", "info", f"no DANE TLSA records at {found.tlsa_name or '_25._tcp'}"
            )
        )
    elif found.tlsa_match:
        out.append(
            MailFinding(
                "dane-match",
                "good",
                f"DANE TLSA at {found.tlsa_name} matches the certificate served ({unvalidated})",
            )
        )
    elif found.tlsa_match is False:
        out.append(
            MailFinding(
                "dane-mismatch",
                "bad",
                f"DANE TLSA at {found.tlsa_name} does not match the certificate "
                f"served: DANE senders will refuse to deliver ({unvalidated})",
            )
        )
    else:
        out.append(
            MailFinding(
                "dane-unchecked",
                "info",
                f"DANE TLSA at {found.tlsa_name} not compared (no DANE-EE SHA-256 "
                f"record, or no certificate read; {unvalidated})",
            )
        )
    order = ("bad", "warning", "info", "good")
    return tuple(sorted(out, key=lambda f: order.index(f.level)))


# --- I/O -------------------------------------------------------------------------------------


def _resolver(nameserver: str | None, timeout: float) -> Any:
    import dns.resolver

    if nameserver:
        address, port = parse_dns_server(nameserver)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [address]
        resolver.port = port
    else:
        resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver


def _query(resolver: Any, name: str, rdtype: str) -> list[Any]:
    """Answers for (name, type); [] for "no such name / no data"; raises on failure."""
    import dns.resolver

    try:
        return list(resolver.resolve(name, rdtype))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []


def _txt(resolver: Any, name: str) -> list[str]:
    return [b"".join(r.strings).decode("utf-8", "replace") for r in _query(resolver, name, "TXT")]


def fetch_sts_policy(
    domain: str, resolver: Any, *, ca_file: Path | None, port: int, timeout: float
) -> str:
    """GET the policy over HTTPS with a verified certificate for mta-sts.<domain>."""
    host = f"mta-sts.{domain}"
    addresses = [r.address for r in _query(resolver, host, "A")]
    if not addresses:
        raise ValueError(f"{host} has no A record")
    context = ssl.create_default_context()  # the system's CAs, and the list's on top
    if ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    deadline = time.monotonic() + timeout
    with (
        socket.create_connection((addresses[0], port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(
            f"GET {POLICY_PATH} HTTP/1.0\r\nHost: {host}\r\n"
            "User-Agent: tlsreport\r\nConnection: close\r\n\r\n".encode("ascii")
        )
        data = b""
        while len(data) <= MAX_POLICY + 4096:
            tls.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    if " 200 " not in f"{status} ":
        raise ValueError(f"policy fetch answered {clean(status)!r}")
    if len(body) > MAX_POLICY:
        raise ValueError("policy larger than 64 KiB")
    return body.decode("utf-8", "replace")


def check_mail_domain(
    domain: str,
    *,
    mx_host: str | None = None,
    leaf_sha256: str = "",
    spki_sha256: str = "",
    nameserver: str | None = None,
    ca_file: Path | None = None,
    https_port: int = 443,
    timeout: float = 5.0,
) -> MailDomain:
    """Read the domain's MTA-STS, TLS-RPT and (for ``mx_host``) DANE records.

    ``leaf_sha256``/``spki_sha256`` are the hashes of the certificate ``mx_host`` served.
    Every failure lands in ``errors`` (or ``mta_sts_error``) under its check's name.
    """
    import dns.exception

    resolver = _resolver(nameserver, timeout)
    errors: dict[str, str] = {}
    result: dict[str, Any] = {"domain": domain, "nameserver": nameserver or ""}

    def guarded(what: str, work: Any) -> Any:
        try:
            return work()
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            errors[what] = clean(f"{type(exc).__name__}: {exc}")
            return None

    mx = guarded(
        "MX",
        lambda: sorted(
            (r.preference, str(r.exchange).rstrip(".").lower())
            for r in _query(resolver, domain, "MX")
        ),
    )
    result["mx"] = tuple(h for _, h in mx or [])
    sts = guarded("MTA-STS TXT", lambda: _txt(resolver, f"_mta-sts.{domain}"))
    if sts is not None:
        result["mta_sts_txt"] = sts_record(sts)
        if sts and result["mta_sts_txt"] is None:
            result["mta_sts_error"] = "TXT records at _mta-sts hold no single v=STSv1 record"
    if result.get("mta_sts_txt"):
        try:
            text = fetch_sts_policy(
                domain, resolver, ca_file=ca_file, port=https_port, timeout=timeout
            )
            mode, patterns, max_age = parse_sts_policy(text)
            result.update(mta_sts_mode=mode, mta_sts_mx=patterns, mta_sts_max_age=max_age)
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            result["mta_sts_error"] = clean(f"{type(exc).__name__}: {exc}")
    rpt = guarded("TLS-RPT TXT", lambda: _txt(resolver, f"_smtp._tls.{domain}"))
    if rpt is not None:
        result["tls_rpt"] = tlsrpt_record(rpt)
    target = mx_host or (result["mx"][0] if result["mx"] else None)
    if target:
        name = f"_25._tcp.{target}"
        result["tlsa_name"] = name
        records = guarded(
            "TLSA",
            lambda: [
                TlsaRecord(int(r.usage), int(r.selector), int(r.mtype), r.cert.hex())
                for r in _query(resolver, name, "TLSA")
            ],
        )
        result["tlsa"] = tuple(records or ())
        result["tlsa_match"] = tlsa_matches(result["tlsa"], leaf_sha256, spki_sha256)
    return MailDomain(**result, errors=errors)
