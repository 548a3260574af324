"""Scanning: one run over one target list with sslyze, bounded in time, normalised into facts.

Shape of a run (``scan_list``), and why:

1. Every target gets its own worker, at most ``concurrency`` at a time. sslyze's ``Scanner``
   yields nothing until *every* connectivity test of its batch has finished, and a server that
   accepts TCP but never answers keeps its test busy for ~11 x the network timeout (lab notes,
   pitfall 2). One ``Scanner`` per target means a slow target only ever delays itself, and
   each target has a known start time for its bound.
2. Each worker first runs a cheap probe (DNS, TCP connect, then one ClientHello or the mail
   greeting, each bounded by the network timeout). Silent, closed, unresolvable and
   non-TLS servers are recorded in about one network timeout instead of sslyze's ~11.
3. Reachable targets get the full sslyze scan through its public API (``Scanner``), with every
   scan command the grader needs. Results are mapped by request (one request per Scanner).
4. The coordinator (the caller's thread) enforces the per-target and overall bounds: a target
   past its bound is recorded as ``timeout`` and abandoned (its threads are daemons, sslyze's
   too, so they can never hold the process open).

The normaliser works on sslyze's own JSON form of a result (``ServerScanResultAsJson``). That
JSON is also what we keep beside each snapshot, so ``facts_from_sslyze_json`` can re-normalise
any old snapshot later from the kept raw file; ``facts_from_sslyze`` is the same function fed
from live sslyze objects. Both are pure: no clock, disk or network.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import __version__, facts
from .targets import Target, TargetList

STARTTLS_SERVICES = {"smtp": "SMTP", "submission": "SMTP", "imap": "IMAP", "pop3": "POP3"}

# sslyze scan command -> facts protocol key
PROTOCOL_COMMANDS: dict[str, str] = {
    "ssl_2_0_cipher_suites": "SSLv2",
    "ssl_3_0_cipher_suites": "SSLv3",
    "tls_1_0_cipher_suites": "TLSv1.0",
    "tls_1_1_cipher_suites": "TLSv1.1",
    "tls_1_2_cipher_suites": "TLSv1.2",
    "tls_1_3_cipher_suites": "TLSv1.3",
}
# Everything the grader reads (grading.md §5). http_headers is added for https only.
SCAN_COMMANDS: tuple[str, ...] = (
    *PROTOCOL_COMMANDS,
    "certificate_info",
    "session_renegotiation",
    "tls_compression",
    "tls_fallback_scsv",
    "heartbleed",
    "openssl_ccs_injection",
    "robot",
    "tls_extended_master_secret",
    "elliptic_curves",
)
_VERSION_NAMES = {"SSL_2_0": "SSLv2", "SSL_3_0": "SSLv3", "TLS_1_0": "TLSv1.0",
                  "TLS_1_1": "TLSv1.1", "TLS_1_2": "TLSv1.2", "TLS_1_3": "TLSv1.3"}
SUPPLIED_CA_STORE = "Supplied CA file"  # the trust store name sslyze gives the list's ca_file


@dataclass(frozen=True)
class ScanProgress:
    """What a progress display needs after each finished target."""

    done: int
    total: int
    failures: int  # targets whose state is not "ok"
    last: facts.TargetResult


# --- pure normalisation: sslyze JSON -> facts ------------------------------------------------

def suite_facts(suite_json: dict[str, Any]) -> facts.CipherSuite:
    """One accepted suite (sslyze JSON) with the flags the grader tests, read from its name.

    A DHE suite that sslyze reports accepted but without an ephemeral key is a group its own
    client refused (< 1024 bits, pitfall 5): kept as ``dh_key_unreadable``, never dropped.
    """
    suite = suite_json["cipher_suite"]
    name: str = suite["name"]
    key = suite_json.get("ephemeral_key")
    anonymous = bool(suite.get("is_anonymous")) or "_anon_" in name
    kex = _kex_of(name, anonymous)
    bits = int(suite.get("key_size") or 0)
    return facts.CipherSuite(
        name=name,
        openssl_name=suite.get("openssl_name") or "",
        bits=bits,
        kex=kex,
        kex_bits=key.get("size") if key else None,
        curve=key.get("curve_name") if key and key.get("type_name") == "ECDH" else None,
        forward_secrecy=kex in ("ECDHE", "DHE", "TLS13") and not anonymous,
        aead=kex == "TLS13" or any(m in name for m in ("_GCM", "_CCM", "CHACHA20_POLY1305")),
        rc4="_RC4_" in name,
        cbc="_CBC" in name,
        block_64=any(m in name for m in ("3DES", "_DES", "IDEA", "RC2")),
        export="EXPORT" in name,
        anonymous=anonymous,
        null="_NULL_" in name or name.endswith("_NULL") or bits == 0,
        dh_key_unreadable=key is None and ("_DHE_" in name or "_DH_anon_" in name),
    )


def _kex_of(name: str, anonymous: bool) -> str:
    if name.startswith("SSL_CK_"):
        return "RSA"  # every SSL 2.0 suite uses RSA key transport
    if "_WITH_" not in name:
        return "TLS13"  # TLS 1.3 names carry no key exchange (TLS_AES_128_GCM_SHA256)
    if anonymous:
        return "ANON"
    head = name.split("_WITH_", 1)[0].split("_", 1)[1]  # TLS_ECDHE_RSA -> ECDHE_RSA
    first = head.split("_", 1)[0]
    return first if first in ("ECDHE", "DHE", "RSA", "ECDH", "DH", "PSK", "SRP", "KRB5") else head


def hostname_matches(hostname: str, dns_names: list[str], ip_addresses: list[str],
                     common_name: str | None) -> bool:
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
    try:
        return ipaddress.ip_address(text) == ip
    except ValueError:
        return False


def _dns_match(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com"
        head = host[: -len(suffix)] if host.endswith(suffix) else ""
        return bool(head) and "." not in head
    return host == pattern


def _certificate(cert: dict[str, Any]) -> facts.Certificate:
    key = cert.get("public_key") or {}
    algorithm = str(key.get("algorithm") or "")
    key_type = next((t for t in ("RSA", "DSA", "Ed25519", "Ed448", "EC") if t in algorithm),
                    algorithm)
    sig = cert.get("signature_hash_algorithm")
    fingerprint = cert.get("fingerprint_sha256") or ""
    with contextlib.suppress(ValueError):
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


def _common_name(cert: dict[str, Any]) -> str | None:
    for attribute in (cert.get("subject") or {}).get("attributes") or ():
        if (attribute.get("oid") or {}).get("name") == "commonName":
            return str(attribute.get("value"))
    return None


def classify_certificate_problem(errors: list[str], chain: tuple[facts.Certificate, ...],
                                 hostname_ok: bool | None, at: datetime | None = None
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


def _parse_z(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _certificate_facts(result: dict[str, Any], at: datetime | None) -> facts.CertificateFacts:
    hostname = result.get("hostname_used_for_server_name_indication") or ""
    deployments = result.get("certificate_deployments") or []
    if not deployments:
        return facts.CertificateFacts(hostname=hostname)
    dep = deployments[0]
    received = dep.get("received_certificate_chain") or []
    chain = tuple(_certificate(c) for c in received)
    trust = tuple(
        facts.TrustResult(store=p["trust_store"]["name"],
                          trusted=bool(p.get("was_validation_successful")),
                          error=p.get("validation_error"))
        for p in dep.get("path_validation_results") or ()
    )
    matches: bool | None = None
    if received:
        san = received[0].get("subject_alternative_name") or {}
        matches = hostname_matches(hostname, list(san.get("dns_names") or ()),
                                   list(san.get("ip_addresses") or ()), _common_name(received[0]))
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


def parse_hsts(value: str | None) -> facts.Hsts:
    """A Strict-Transport-Security header value -> facts (None/empty: no header)."""
    if value is None:
        return facts.Hsts(present=False)
    max_age: int | None = None
    include, preload = False, False
    for part in value.split(";"):
        key, _, arg = part.strip().partition("=")
        key = key.strip().lower()
        if key == "max-age":
            with contextlib.suppress(ValueError):
                max_age = int(arg.strip().strip('"'))
        elif key == "includesubdomains":
            include = True
        elif key == "preload":
            preload = True
    return facts.Hsts(present=True, max_age=max_age, include_subdomains=include, preload=preload)


def _last_line(trace: str | None) -> str:
    lines = [line.strip() for line in (trace or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"


def facts_from_sslyze_json(result: dict[str, Any], *, at: datetime | None = None) -> facts.Facts:
    """Facts from one ``server_scan_results[]`` entry of sslyze's JSON (connectivity COMPLETED).

    ``at`` (the scan time) only sharpens expired vs not-yet-valid; it is data, not a clock.
    A command that errored goes into ``errors`` and its field stays None/absent.
    """
    scan = result.get("scan_result") or {}
    errors: dict[str, str] = {}

    def completed(command: str) -> dict[str, Any] | None:
        attempt = scan.get(command)
        if not attempt or attempt.get("status") == "NOT_SCHEDULED":
            return None
        if attempt.get("status") != "COMPLETED" or attempt.get("result") is None:
            reason = attempt.get("error_reason") or "ERROR"
            errors[command] = f"{reason}: {_last_line(attempt.get('error_trace'))}"
            return None
        return attempt["result"]

    protocols: dict[str, tuple[facts.CipherSuite, ...]] = {}
    for command, protocol in PROTOCOL_COMMANDS.items():
        got = completed(command)
        if got is not None:
            protocols[protocol] = tuple(suite_facts(s) for s in got.get("accepted_cipher_suites")
                                        or ())
    cert = completed("certificate_info")
    reneg = completed("session_renegotiation")
    compression = completed("tls_compression")
    fallback = completed("tls_fallback_scsv")
    heartbleed = completed("heartbleed")
    ccs = completed("openssl_ccs_injection")
    robot = completed("robot")
    ems = completed("tls_extended_master_secret")
    curves = completed("elliptic_curves")
    headers = completed("http_headers")

    hsts: facts.Hsts | None = None
    http_error: str | None = None
    if headers is not None:
        if headers.get("http_error_trace"):
            http_error = _last_line(headers["http_error_trace"])
        else:
            header = headers.get("strict_transport_security_header")
            hsts = facts.Hsts(present=False) if header is None else facts.Hsts(
                present=True, max_age=header.get("max_age"),
                include_subdomains=bool(header.get("include_subdomains")),
                preload=bool(header.get("preload")))
    elif "http_headers" in errors:
        http_error = errors["http_headers"]

    connectivity = result.get("connectivity_result") or {}
    location = result.get("server_location") or {}
    return facts.Facts(
        protocols=protocols,
        certificate=_certificate_facts(cert, at) if cert is not None else None,
        renegotiation=facts.Renegotiation(
            secure=reneg.get("supports_secure_renegotiation"),
            client_initiated=reneg.get("is_vulnerable_to_client_renegotiation_dos"),
        ) if reneg is not None else None,
        compression=compression.get("supports_compression") if compression else None,
        fallback_scsv=fallback.get("supports_fallback_scsv") if fallback else None,
        heartbleed=heartbleed.get("is_vulnerable_to_heartbleed") if heartbleed else None,
        ccs_injection=ccs.get("is_vulnerable_to_ccs_injection") if ccs else None,
        robot=robot.get("robot_result") if robot else None,
        extended_master_secret=ems.get("supports_ems_extension") if ems else None,
        curves=tuple(c["name"] for c in curves.get("supported_curves") or ())
        if curves is not None else None,
        hsts=hsts,
        http_error=http_error,
        ip=location.get("ip_address"),
        highest_version=_VERSION_NAMES.get(connectivity.get("highest_tls_version_supported", "")),
        errors=errors,
    )


def sslyze_result_to_json(server_scan_result: Any) -> dict[str, Any]:
    """sslyze's own JSON form of a ServerScanResult (what its CLI writes with --json_out)."""
    from sslyze import ServerScanResultAsJson

    return ServerScanResultAsJson.model_validate(server_scan_result).model_dump(mode="json")


def facts_from_sslyze(server_scan_result: Any, *, at: datetime | None = None) -> facts.Facts:
    """Facts from a live ``sslyze.ServerScanResult`` (through its JSON form, see module doc)."""
    return facts_from_sslyze_json(sslyze_result_to_json(server_scan_result), at=at)


# sslyze connectivity exception -> our state
_CONNECTIVITY_STATES = {
    "ServerHostnameCouldNotBeResolved": "dns-failure",
    "ServerRejectedConnection": "refused",
    "ConnectionToServerTimedOut": "timeout",
    "TlsHandshakeTimedOut": "timeout",
    "ServerRejectedOpportunisticTlsNegotiation": "starttls-refused",
    "ServerTlsConfigurationNotSupported": "handshake-failure",
    "ServerRejectedTlsHandshake": "handshake-failure",
    # the base class: sslyze's "Unexpected connection error" during the handshake
    "ConnectionToServerFailed": "handshake-failure",
}


def state_from_connectivity_error(trace: str | None) -> tuple[str, str]:
    """(state, reason) from sslyze's connectivity error trace text."""
    last = _last_line(trace)
    exc_name, _, message = last.partition(":")
    exc_name = exc_name.rsplit(".", 1)[-1].strip()
    state = _CONNECTIVITY_STATES.get(exc_name, "error")
    reason = message.strip() or last
    return state, f"{facts.UNREACHABLE_STATES[state]}: {reason}"


# --- probing: cheap, bounded reachability check before sslyze -----------------------------

@dataclass(frozen=True)
class _Probe:
    ip: str | None
    state: str = facts.STATE_OK
    reason: str | None = None


def _probe(target: Target, timeout: float) -> _Probe:
    """DNS, TCP, then the first bytes of TLS (or of the mail greeting), each bounded.

    Only answers one question: does the server answer at all, and in TLS? The handshake
    itself is sslyze's job; any TLS record back (even an alert) counts as an answer.
    """
    ip = target.address
    if ip is None:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            return _Probe(None, "dns-failure", f"{facts.UNREACHABLE_STATES['dns-failure']}: "
                                               f"{target.host} ({exc})")
        v4 = [i for i in infos if i[0] == socket.AF_INET]
        ip = str((v4 or infos)[0][4][0])
    try:
        sock = socket.create_connection((ip, target.port), timeout=timeout)
    except ConnectionRefusedError:
        return _Probe(ip, "refused", f"connection refused by {ip} port {target.port}")
    except TimeoutError:
        return _Probe(ip, "timeout", f"no TCP answer from {ip} port {target.port} "
                                     f"within {timeout:g} s")
    except OSError as exc:
        return _Probe(ip, "refused", f"cannot connect to {ip} port {target.port}: {exc}")
    with sock:
        try:
            if target.service in STARTTLS_SERVICES:
                first = sock.recv(64)
                if not first:
                    return _Probe(ip, "no-tls", "server closed the connection before greeting")
                return _Probe(ip)
            sock.sendall(_client_hello(target.host))
            first = _read_record_header(sock, time.monotonic() + timeout)
        except TimeoutError:
            what = "greeting" if target.service in STARTTLS_SERVICES else "TLS ClientHello"
            return _Probe(ip, "timeout", f"server accepted the connection but did not answer "
                                         f"the {what} within {timeout:g} s")
        except OSError as exc:
            return _Probe(ip, "handshake-failure", f"connection reset during the TLS handshake "
                                                   f"({exc})")
    if not first:
        return _Probe(ip, "handshake-failure", "server closed the connection on ClientHello")
    if first[0] & 0x80:
        return _Probe(ip)  # an SSL 2.0 record header
    if first[0] not in (0x15, 0x16) or (len(first) > 1 and first[1] != 3):
        return _Probe(ip, "no-tls", f"server answered, but not in TLS: {first!r}")
    if len(first) < 5:
        return _Probe(ip, "timeout", f"server sent only {len(first)} byte(s) of a TLS record "
                                     f"within {timeout:g} s")
    return _Probe(ip)  # a TLS alert or handshake record header


def _read_record_header(sock: socket.socket, deadline: float) -> bytes:
    """Up to the 5 bytes of a TLS record header, all within one deadline.

    One deadline rather than one timeout per read, so a server that drips a byte at a time
    cannot stretch the probe.
    """
    got = b""
    while len(got) < 5:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(5 - len(got))
        except TimeoutError:
            if got:
                break
            raise
        if not chunk:
            break
        got += chunk
        if got[0] & 0x80:
            break  # SSL 2.0: a different header, enough to know it is TLS-ish
    return got


def _client_hello(server_name: str) -> bytes:
    """The bytes of a broad ClientHello, from the stdlib (no hand-built handshake)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ssl.SSLError):
        context.set_ciphers("ALL:@SECLEVEL=0")
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        sni: str | None = None if _is_ip(server_name) else server_name
        tls = context.wrap_bio(incoming, outgoing, server_hostname=sni)
    except (ValueError, ssl.SSLError):
        tls = context.wrap_bio(incoming, outgoing)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def fetch_hsts(target: Target, ip: str, timeout: float) -> tuple[facts.Hsts | None, str | None]:
    """Read the HSTS header on the target's own path (sslyze only ever asks for "/")."""
    import http.client

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ValueError, ssl.SSLError):
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED  # old servers have HSTS too
        context.set_ciphers("ALL:@SECLEVEL=0")
    try:
        with socket.create_connection((ip, target.port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=target.host) as tls:
            request = (f"GET {target.path} HTTP/1.1\r\nHost: {target.host}\r\n"
                       f"User-Agent: tlsreport/{__version__}\r\nAccept: */*\r\n"
                       "Connection: close\r\n\r\n")
            tls.sendall(request.encode("ascii", "replace"))
            response = http.client.HTTPResponse(tls)
            response.begin()
            return parse_hsts(response.getheader("Strict-Transport-Security")), None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"GET {target.path}: {type(exc).__name__}: {exc}"


# --- one target ------------------------------------------------------------------------------

def _scan_request(target: Target, ip: str, ca_file: Any, network_timeout: float) -> Any:
    from sslyze import (
        CertificateInfoExtraArgument,
        ProtocolWithOpportunisticTlsEnum,
        ScanCommand,
        ScanCommandsExtraArguments,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
    )

    starttls = STARTTLS_SERVICES.get(target.service)
    config = ServerNetworkConfiguration(
        tls_server_name_indication=target.host,
        tls_opportunistic_encryption=ProtocolWithOpportunisticTlsEnum(starttls)
        if starttls else None,
        network_timeout=max(1, round(network_timeout)),  # sslyze takes whole seconds
    )
    commands = {ScanCommand(c) for c in SCAN_COMMANDS}
    if target.service == "https" and target.path == "/":
        commands.add(ScanCommand.HTTP_HEADERS)
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_file)
    ) if ca_file else ScanCommandsExtraArguments()
    return ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=target.host, port=target.port,
                                              ip_address=ip),
        network_configuration=config,
        scan_commands=commands,
        scan_commands_extra_arguments=extra,
    )


def scan_target(target: Target, *, ca_file: Any = None, network_timeout: float = 5.0,
                at: datetime | None = None, mail_domain: str | None = None,
                dns_server: str | None = None) -> tuple[facts.TargetResult, dict | None]:
    """Probe then fully scan one target; never raises for anything the server does."""
    from sslyze import Scanner

    started = time.monotonic()

    def done(state: str, reason: str | None, found: facts.Facts | None = None
             ) -> facts.TargetResult:
        return facts.TargetResult(target=target.ref(), state=state, reason=reason, facts=found,
                                  duration=round(time.monotonic() - started, 3))

    probe = _probe(target, network_timeout)
    if probe.state != facts.STATE_OK or probe.ip is None:
        return done(probe.state, probe.reason), None
    try:
        scanner = Scanner(per_server_concurrent_connections_limit=5,
                          concurrent_server_scans_limit=1)
        request = _scan_request(target, probe.ip, ca_file, network_timeout)
        scanner.queue_scans([request])
        by_request = {r.uuid: r for r in scanner.get_results()}
        result = by_request[request.uuid]  # pitfall 1: map by request, never by order
        raw = sslyze_result_to_json(result)
    except Exception as exc:  # a bug or surprise in sslyze must not end the whole run
        return done("error", f"{facts.UNREACHABLE_STATES['error']}: "
                             f"{type(exc).__name__}: {exc}"), None
    if raw.get("connectivity_status") != "COMPLETED":
        state, reason = state_from_connectivity_error(raw.get("connectivity_error_trace"))
        return done(state, reason), raw
    found = facts_from_sslyze_json(raw, at=at)
    if target.service == "https" and target.path != "/":
        hsts, http_error = fetch_hsts(target, probe.ip, network_timeout)
        found = _replace(found, hsts=hsts, http_error=http_error)
    from .mailscan import add_mail_facts  # mail policy and the list's mail domain (issue 14)

    found = add_mail_facts(found, target, probe.ip, mail_domain=mail_domain,
                           dns_server=dns_server, ca_file=ca_file, timeout=network_timeout)
    return done(facts.STATE_OK, None, found), raw


def _replace(obj: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(obj, **changes)


# --- one list --------------------------------------------------------------------------------

def _utcnow() -> datetime:
    return datetime.now(UTC)


def sslyze_version() -> str:
    from sslyze.__version__ import __version__ as version

    return str(version)


def scan_list(target_list: TargetList, *, network_timeout: float = 5.0,
              target_timeout: float = 60.0, overall_timeout: float = 600.0,
              concurrency: int = 10, progress: Callable[[ScanProgress], None] | None = None,
              now: Callable[[], datetime] = _utcnow) -> tuple[facts.Snapshot, dict]:
    """Scan every target of a list; returns the snapshot and sslyze's raw JSON for it.

    Unreachable targets are results (with a state and reason), never exceptions. Results keep
    the list's order whatever order they finish in.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    # Load sslyze before any bound starts: its first import (seconds on a busy machine, under
    # the import lock in every worker at once) is not time any target spent.
    import sslyze  # noqa: F401
    started_at = now().astimezone(UTC).replace(microsecond=0)
    taken = started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    targets = target_list.targets
    results: list[facts.TargetResult | None] = [None] * len(targets)
    raws: list[dict | None] = [None] * len(targets)
    finished: queue.Queue[tuple[int, facts.TargetResult, dict | None]] = queue.Queue()

    def work(index: int) -> None:
        target = targets[index]
        try:
            outcome = scan_target(target, ca_file=target_list.ca_file,
                                  network_timeout=network_timeout, at=started_at,
                                  mail_domain=target_list.mail_domain,
                                  dns_server=target_list.dns_server)
        except Exception as exc:
            outcome = (facts.TargetResult(target=target.ref(), state="error",
                                          reason=f"{type(exc).__name__}: {exc}"), None)
        finished.put((index, *outcome))

    run_deadline = time.monotonic() + overall_timeout
    pending = list(range(len(targets)))
    running: dict[int, tuple[float, str]] = {}  # index -> (deadline, which bound)
    done_count = failures = 0

    def record(index: int, result: facts.TargetResult, raw: dict | None) -> None:
        nonlocal done_count, failures
        results[index] = result
        raws[index] = raw
        done_count += 1
        failures += result.state != facts.STATE_OK
        if progress is not None:
            progress(ScanProgress(done_count, len(targets), failures, result))

    while pending or running:
        while pending and len(running) < concurrency and time.monotonic() < run_deadline:
            index = pending.pop(0)
            own = time.monotonic() + target_timeout
            running[index] = ((own, f"the per-target bound of {target_timeout:g} s")
                              if own <= run_deadline else
                              (run_deadline, f"the run's overall bound of {overall_timeout:g} s"))
            threading.Thread(target=work, args=(index,), daemon=True,
                             name=f"tlsreport-scan-{index}").start()
        if not running:
            break  # overall bound reached before the rest could start
        wait = max(0.0, min(d for d, _ in running.values()) - time.monotonic())
        try:
            index, result, raw = finished.get(timeout=wait)
        except queue.Empty:
            current = time.monotonic()
            for index in [i for i, (d, _) in running.items() if d <= current]:
                _, bound = running.pop(index)
                record(index, facts.TargetResult(
                    target=targets[index].ref(), state="timeout",
                    reason=f"{facts.UNREACHABLE_STATES['timeout']}: scan not finished "
                           f"within {bound}"), None)
            continue
        if index in running:  # a late result of an abandoned target is ignored
            del running[index]
            record(index, result, raw)
    for index in pending:
        record(index, facts.TargetResult(
            target=targets[index].ref(), state="timeout",
            reason=f"{facts.UNREACHABLE_STATES['timeout']}: not started, the run's overall "
                   f"bound of {overall_timeout:g} s was reached"), None)

    completed_at = now().astimezone(UTC)
    snapshot = facts.Snapshot(
        list_slug=target_list.slug,
        title=target_list.title,
        taken=taken,
        kind="scan",
        results=tuple(r for r in results if r is not None),
        versions={"tlsreport": __version__, "sslyze": sslyze_version(),
                  "schema": str(facts.SCHEMA_VERSION)},
    )
    raw_doc = {
        "sslyze_version": sslyze_version(),
        "date_scans_started": taken,
        "date_scans_completed": completed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "server_scan_results": [r for r in raws if r is not None],
        "invalid_server_strings": [],
    }
    return snapshot, raw_doc
