"""Normalising: sslyze's JSON for one server -> ``facts.Facts``, one function per scan command.

Laid out like sslyze's own plugins (one per scan command): ``NORMALISERS`` maps each command's
name in sslyze's JSON (``scan_result.<command>``, the names of ``SCAN_COMMANDS`` plus
``http_headers``) to one small function from that command's completed result to the Facts
fields it fills; ``facts_from_sslyze_json`` walks the table and records every command that did
not complete in ``Facts.errors``. Adding a command to the scan means one function and one
table row here, and its name in ``SCAN_COMMANDS``.

It works on sslyze's JSON form (``ServerScanResultAsJson``) rather than its live objects
because that JSON is also what we keep beside each snapshot: any old snapshot can be
re-normalised later from its raw file. Everything here is pure: no clock, disk or network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .. import facts
from .certificates import apply_completion, certificate_facts

# Where scan.run keeps scan.chain's record of completing an incomplete chain (a server's raw
# JSON); the same name as scan.chain.RECORD_KEY, written here so normalising needs no network
# code.
CHAIN_RECORD = "tlsreport_chain"

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
HTTP_HEADERS = "http_headers"

_VERSION_NAMES = {
    "SSL_2_0": "SSLv2",
    "SSL_3_0": "SSLv3",
    "TLS_1_0": "TLSv1.0",
    "TLS_1_1": "TLSv1.1",
    "TLS_1_2": "TLSv1.2",
    "TLS_1_3": "TLSv1.3",
}

Fields = dict[str, Any]
"""Keyword arguments of ``facts.Facts``, as one command fills them."""
Normaliser = Callable[[dict[str, Any], datetime | None], Fields]
"""One command's completed ``result`` (and the scan time) -> the Facts fields it fills."""


# --- cipher suites (the six protocol commands) -----------------------------------------------


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
    """The key exchange from an IANA suite name (sslyze gives no separate field for it)."""
    if name.startswith("SSL_CK_"):
        return "RSA"  # every SSL 2.0 suite uses RSA key transport
    if "_WITH_" not in name:
        return "TLS13"  # TLS 1.3 names carry no key exchange (TLS_AES_128_GCM_SHA256)
    if anonymous:
        return "ANON"
    head = name.split("_WITH_", 1)[0].split("_", 1)[1]  # TLS_ECDHE_RSA -> ECDHE_RSA
    first = head.split("_", 1)[0]
    return first if first in ("ECDHE", "DHE", "RSA", "ECDH", "DH", "PSK", "SRP", "KRB5") else head


def _accepted_suites(protocol: str) -> Normaliser:
    """The normaliser of one protocol's cipher suite command (six commands, one shape)."""

    def normalise(result: dict[str, Any], _at: datetime | None) -> Fields:
        suites = tuple(suite_facts(s) for s in result.get("accepted_cipher_suites") or ())
        return {"protocols": {protocol: suites}}

    return normalise


# --- the other commands, one function each ----------------------------------------------------


def _certificate_info(result: dict[str, Any], at: datetime | None) -> Fields:
    return {"certificate": certificate_facts(result, at)}


def _session_renegotiation(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {
        "renegotiation": facts.Renegotiation(
            secure=result.get("supports_secure_renegotiation"),
            client_initiated=result.get("is_vulnerable_to_client_renegotiation_dos"),
        )
    }


def _tls_compression(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {"compression": result.get("supports_compression")}


def _tls_fallback_scsv(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {"fallback_scsv": result.get("supports_fallback_scsv")}


def _heartbleed(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {"heartbleed": result.get("is_vulnerable_to_heartbleed")}


def _openssl_ccs_injection(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {"ccs_injection": result.get("is_vulnerable_to_ccs_injection")}


def _robot(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {"robot": result.get("robot_result")}


def _tls_extended_master_secret(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {"extended_master_secret": result.get("supports_ems_extension")}


def _elliptic_curves(result: dict[str, Any], _at: datetime | None) -> Fields:
    return {"curves": tuple(c["name"] for c in result.get("supported_curves") or ())}


# --- http headers: HSTS ------------------------------------------------------------------------


def _http_headers(result: dict[str, Any], _at: datetime | None) -> Fields:
    """HSTS as sslyze parsed it; a failed GET is an ``http_error`` (unknown, not "no HSTS")."""
    if result.get("http_error_trace"):
        return {"http_error": _last_line(result["http_error_trace"])}
    header = result.get("strict_transport_security_header")
    return {
        "hsts": facts.Hsts(present=False)
        if header is None
        else facts.Hsts(
            present=True,
            max_age=header.get("max_age"),
            include_subdomains=bool(header.get("include_subdomains")),
            preload=bool(header.get("preload")),
        )
    }


def _http_headers_failed(error: str) -> Fields:
    """The command itself failed: the page still says why HSTS is unknown."""
    return {"http_error": error}


def parse_hsts(value: str | None) -> facts.Hsts:
    """A Strict-Transport-Security header value -> facts (None/empty: no header).

    For the headers tlsreport fetches itself (``probe.fetch_hsts``, paths other than "/",
    which sslyze never asks for).
    """
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


# --- the table and its walk --------------------------------------------------------------------

# In SCAN_COMMANDS order, then http_headers: the order of Facts.protocols and Facts.errors.
NORMALISERS: dict[str, Normaliser] = {
    **{command: _accepted_suites(protocol) for command, protocol in PROTOCOL_COMMANDS.items()},
    "certificate_info": _certificate_info,
    "session_renegotiation": _session_renegotiation,
    "tls_compression": _tls_compression,
    "tls_fallback_scsv": _tls_fallback_scsv,
    "heartbleed": _heartbleed,
    "openssl_ccs_injection": _openssl_ccs_injection,
    "robot": _robot,
    "tls_extended_master_secret": _tls_extended_master_secret,
    "elliptic_curves": _elliptic_curves,
    HTTP_HEADERS: _http_headers,
}
# Commands whose failure is itself a fact (beyond its line in Facts.errors).
ON_FAILURE: dict[str, Callable[[str], Fields]] = {HTTP_HEADERS: _http_headers_failed}


def facts_from_sslyze_json(result: dict[str, Any], *, at: datetime | None = None) -> facts.Facts:
    """Facts from one ``server_scan_results[]`` entry of sslyze's JSON (connectivity COMPLETED).

    ``at`` (the scan time) only sharpens expired vs not-yet-valid; it is data, not a clock.
    A command that errored goes into ``errors`` and its field stays None/absent; a command
    not scheduled (http_headers on a mail server) leaves its field None and no error.
    """
    scan = result.get("scan_result") or {}
    fields: Fields = {"protocols": {}}
    errors: dict[str, str] = {}
    unfinished = incomplete_commands(result)
    for command, normalise in NORMALISERS.items():
        attempt = scan.get(command)
        if not attempt or attempt.get("status") == "NOT_SCHEDULED":
            continue
        if command in PROTOCOL_COMMANDS and command in unfinished:
            # Its suite list may lack what timed out: "not tested", never "not offered".
            errors[command] = f"not completed: {unfinished[command]}"
            continue
        if attempt.get("status") != "COMPLETED" or attempt.get("result") is None:
            reason = attempt.get("error_reason") or "ERROR"
            errors[command] = f"{reason}: {_last_line(attempt.get('error_trace'))}"
            if command in ON_FAILURE:
                _merge(fields, ON_FAILURE[command](errors[command]))
            continue
        _merge(fields, normalise(attempt["result"], at))

    record = result.get(CHAIN_RECORD)
    if record is not None and fields.get("certificate") is not None:
        fields["certificate"] = apply_completion(fields["certificate"], record, at)
    connectivity = result.get("connectivity_result") or {}
    location = result.get("server_location") or {}
    return facts.Facts(
        **fields,
        ip=location.get("ip_address"),
        highest_version=_VERSION_NAMES.get(connectivity.get("highest_tls_version_supported", "")),
        errors=errors,
    )


# sslyze counts a suite whose handshake timed out as *rejected* (``_test_cipher_suite``: "no
# easy way to differentiate this error from a network glitch"). On a loaded machine a slow
# server's strong suites then vanish, and the grader would conclude "not offered".
_TIMED_OUT = "timed out"


def incomplete_commands(result: dict[str, Any]) -> dict[str, str]:
    """Scan commands whose answer cannot be trusted as complete -> why. Pure.

    A command is incomplete when sslyze says it errored, when one of a protocol's suites was
    "rejected" by a timeout rather than by the server, or when connectivity negotiated a
    protocol for which no suite was accepted (sslyze contradicting itself). ``scan.run``
    retries these once; whatever is still incomplete is recorded as not tested.
    """
    scan = result.get("scan_result") or {}
    out: dict[str, str] = {}
    for command in NORMALISERS:
        attempt = scan.get(command)
        if not attempt or attempt.get("status") == "NOT_SCHEDULED":
            continue
        if attempt.get("status") != "COMPLETED" or attempt.get("result") is None:
            out[command] = (
                f"{attempt.get('error_reason') or 'ERROR'}: "
                f"{_last_line(attempt.get('error_trace'))}"
            )
            continue
        if command not in PROTOCOL_COMMANDS:
            continue
        timed_out = sum(
            1
            for r in attempt["result"].get("rejected_cipher_suites") or ()
            if _TIMED_OUT in (r.get("error_message") or "").lower()
        )
        if timed_out:
            out[command] = f"{timed_out} cipher suite test(s) timed out"
    highest = (result.get("connectivity_result") or {}).get("highest_tls_version_supported")
    top_protocol = _VERSION_NAMES.get(highest or "")
    top_command = next((c for c, p in PROTOCOL_COMMANDS.items() if p == top_protocol), None)
    attempt = scan.get(top_command or "") or {}
    if (
        top_command
        and top_command not in out
        and attempt.get("status") == "COMPLETED"
        and not ((attempt.get("result") or {}).get("accepted_cipher_suites"))
    ):
        out[top_command] = (
            f"{top_protocol} was negotiated during connectivity but no suite was accepted for it"
        )
    return out


def _merge(fields: Fields, new: Fields) -> None:
    """Add one command's fields; ``protocols`` is the one field several commands share."""
    for key, value in new.items():
        if key == "protocols":
            fields["protocols"].update(value)
        else:
            fields[key] = value


def sslyze_result_to_json(server_scan_result: Any) -> dict[str, Any]:
    """sslyze's own JSON form of a ServerScanResult (what its CLI writes with --json_out)."""
    # Lazy: sslyze (nassl, cryptography, pydantic) takes seconds to import; re-normalising a
    # kept raw file, the grader and the site build never need it, only a live scan does.
    from sslyze import ServerScanResultAsJson

    return ServerScanResultAsJson.model_validate(server_scan_result).model_dump(mode="json")


# --- connectivity: why sslyze could not scan at all ------------------------------------------

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
    """(state, reason) from sslyze's connectivity error trace text.

    The JSON keeps only the traceback text, so the exception's class name on its last line
    is what tells a refused connection from a timeout.
    """
    last = _last_line(trace)
    exc_name, _, message = last.partition(":")
    exc_name = exc_name.rsplit(".", 1)[-1].strip()
    state = _CONNECTIVITY_STATES.get(exc_name, "error")
    reason = message.strip() or last
    return state, f"{facts.UNREACHABLE_STATES[state]}: {reason}"


def _last_line(trace: str | None) -> str:
    """The last non-blank line of a traceback: the exception and its message."""
    lines = [line.strip() for line in (trace or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"
