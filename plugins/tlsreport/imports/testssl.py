"""testssl.sh JSON (``--jsonfile`` flat, ``--jsonfile-pretty``) -> imported results.

testssl.sh writes findings as ``{"id", "severity", "finding"}`` entries (plus ``ip`` and
``port`` in the flat form). The ids used here are those of testssl.sh 3.0 (Debian's 3.0.8) and
later: ``SSLv2`` … ``TLS1_3``, ``cipher-<proto>_x<hex>`` (``-E``, ciphers per protocol),
``cert_*`` (``-S``), ``HSTS*`` (``-h``), ``heartbleed``, ``CCS``, ``ticketbleed``, ``ROBOT``,
``secure_renego``, ``secure_client_renego``, ``CRIME_TLS``, ``fallback_SCSV``, ``DROWN``, and
``overall_grade`` / ``rating_spec`` where the version rates (3.2 on; 3.0 does not).

What the run did not test stays "not tested": a protocol whose finding is neither "offered"
nor "not offered", suites of a run without ``-E`` (the protocols are then absent and named
in ``Facts.errors``), a check whose finding is not a clear "vulnerable" / "not vulnerable".
testssl.sh 3.0 names only the leaf's signature algorithm: the chain's other certificates are
kept with an unknown signature, so "SHA-2 chain" (an A+ condition) is not tested.

A flat file records no start time: ``taken`` must then be given (``--taken``); the pretty
form's ``startTime`` is used otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import facts
from ..targets import TargetList
from .common import (
    ImportedResult,
    ImportInputError,
    certificate_from_pem,
    check_taken,
    highest_version,
    match_target,
    read_json,
    signature_hash,
    suite_from_iana,
    taken_from_epoch,
)

TOOL = "testssl.sh"
_PROTOCOL_IDS = {
    "SSLv2": "SSLv2",
    "SSLv3": "SSLv3",
    "TLS1": "TLSv1.0",
    "TLS1_1": "TLSv1.1",
    "TLS1_2": "TLSv1.2",
    "TLS1_3": "TLSv1.3",
}
_CIPHER_PROTOCOLS = {
    "ssl2": "SSLv2",
    "ssl3": "SSLv3",
    "tls1": "TLSv1.0",
    "tls1_1": "TLSv1.1",
    "tls1_2": "TLSv1.2",
    "tls1_3": "TLSv1.3",
}
_CIPHER_ID = re.compile(r"^cipher-(ssl2|ssl3|tls1|tls1_1|tls1_2|tls1_3)_x[0-9a-f]+$")
_CERT_SUFFIX = re.compile(r"\s*<cert#(\d+)>$")
_KX_BITS = re.compile(r"\s(?:ECDH|DH|X25519|X448)\s+(\d+)\s")
_GRADES = ("A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M")


@dataclass
class _Run:
    """The findings of one host:port in one file."""

    host: str
    address: str
    port: int
    where: str
    findings: dict[str, str] = field(default_factory=dict)
    ciphers: list[tuple[str, str]] = field(default_factory=list)  # (protocol id, finding)


def results_from_testssl(
    paths: Iterable[Path], target_list: TargetList, *, taken: str | None = None
) -> list[ImportedResult]:
    """Every host:port tested in ``paths``; ``taken`` is required for flat files."""
    out: list[ImportedResult] = []
    for path in paths:
        path = Path(path)
        data = read_json(path)
        try:
            runs, when, version = _runs(data, path)
        except (AttributeError, TypeError, KeyError, IndexError) as exc:
            raise ImportInputError(
                path,
                f"unexpected content ({type(exc).__name__}: {exc}) — "
                "not testssl.sh JSON as it writes it",
            ) from None
        if when is None:
            if taken is None:
                raise ImportInputError(
                    path,
                    "a --jsonfile (flat) file records no start "
                    "time: give --taken YYYY-MM-DDTHH:MM:SSZ (when "
                    "testssl.sh ran), or import its "
                    "--jsonfile-pretty output",
                )
            when = check_taken(taken, path, "--taken")
        for run in runs:
            target = match_target(target_list, run.host or run.address, run.port, path, run.where)
            found, grade, spec = _facts(run, target.host, target.service)
            imported = facts.Imported(
                tool=TOOL,
                tool_version=version,
                rating_version=spec,
                source_grade=grade,
                assessed=when,
                file=path.name,
                endpoint=run.address,
            )
            result = facts.TargetResult(
                target=target.ref(), state=facts.STATE_OK, facts=found, imported=imported
            )
            out.append(ImportedResult(taken=when, result=result, file=path))
    return out


def _entry_list(entries: Any, path: Path, where: str) -> list[dict[str, Any]]:
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and "id" in e and "finding" in e for e in entries
    ):
        hint = (
            " (it looks like an SSL Labs assessment: use `import ssllabs`)"
            if isinstance(entries, dict) and "endpoints" in entries
            else ""
        )
        raise ImportInputError(
            path,
            f"not testssl.sh JSON (expected the output of --jsonfile or --jsonfile-pretty){hint}",
            where or "$",
        )
    for i, e in enumerate(entries):
        if e.get("id") == "scanProblem":
            raise ImportInputError(
                path,
                f"testssl.sh reported a scan problem: "
                f"{e.get('finding')!s} — the run did not complete; "
                "nothing to import",
                f"{where}[{i}]",
            )

    return entries


def _runs(data: Any, path: Path) -> tuple[list[_Run], str | None, str]:
    """(runs, start time or None, testssl.sh version) of a flat or pretty file."""
    if isinstance(data, dict) and "scanResult" in data:
        when = None
        start = data.get("startTime")
        try:
            when = taken_from_epoch(int(start)) if start is not None else None
        except (TypeError, ValueError):
            raise ImportInputError(
                path, f"startTime {start!r} is not a Unix time", "startTime"
            ) from None
        version = str(data.get("version") or "").split(" ")[0]
        results = data.get("scanResult")
        if not isinstance(results, list) or not results:
            raise ImportInputError(
                path, "no scan results (testssl.sh ended before testing anything?)", "scanResult"
            )
        runs = []
        loose: list[dict[str, Any]] = []  # findings before a host's sections (warnings)
        for i, sr in enumerate(results):
            where = f"scanResult[{i}]"
            if not isinstance(sr, dict):
                raise ImportInputError(path, "expected an object", where)
            if "id" in sr:  # a bare finding: a warning of the run, or its scanProblem
                _entry_list([sr], path, "scanResult")
                loose.append(sr)
                continue
            run = _Run(
                host=str(sr.get("targetHost") or ""),
                address=str(sr.get("ip") or ""),
                port=_port(sr.get("port"), path, f"{where}.port"),
                where=where,
            )
            for section, entries in sr.items():
                if isinstance(entries, list):
                    for e in _entry_list(entries, path, f"{where}.{section}"):
                        _add(run, e)
            runs.append(run)
        if not runs:
            raise ImportInputError(
                path, "no host was tested (testssl.sh ended before testing anything?)", "scanResult"
            )
        for run in runs:
            for e in loose:
                _add(run, e)
        return runs, when, version
    entries = _entry_list(data, path, "")
    by_endpoint: dict[tuple[str, str], _Run] = {}
    for i, e in enumerate(entries):
        ip = str(e.get("ip") or "")
        host, _, address = ip.partition("/")
        key = (ip, str(e.get("port")))
        endpoint = by_endpoint.get(key)
        if endpoint is None:
            endpoint = by_endpoint[key] = _Run(
                host=host if address else "",
                address=address or host,
                port=_port(e.get("port"), path, f"[{i}].port"),
                where=f"[{i}]",
            )
        _add(endpoint, e)
    return list(by_endpoint.values()), None, ""


def _port(value: Any, path: Path, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ImportInputError(path, f"port {value!r} is not a number", where) from None


def _add(run: _Run, entry: dict[str, Any]) -> None:
    ident = str(entry["id"])
    finding = str(entry.get("finding") or "")
    m = _CERT_SUFFIX.search(ident)
    if m:
        if m.group(1) != "1":
            return  # several certificates (RSA + EC): the first is the one graded
        ident = ident[: m.start()]
    cipher = _CIPHER_ID.match(ident)
    if cipher:
        run.ciphers.append((cipher.group(1), finding))
    else:
        run.findings.setdefault(ident, finding)


def _state(finding: str | None) -> bool | None:
    """ "not vulnerable" -> False, "VULNERABLE" -> True, anything else -> not tested."""
    if finding is None:
        return None
    text = finding.lower()
    if text.startswith("not vulnerable") or (text.startswith("no ") and "vulnerable" not in text):
        return False
    if text.startswith("vulnerable") or text.startswith("potentially vulnerable"):
        return True
    return None


def _cipher(finding: str) -> facts.CipherSuite | None:
    """``TLS 1.2  xc030  ECDHE-RSA-AES256-GCM-SHA384  ECDH 253  AESGCM  256  TLS_ECDHE_…``."""
    parts = finding.split()
    if len(parts) < 5:
        return None
    iana = parts[-1]
    try:
        bits = int(parts[-2])
    except ValueError:
        return None
    # The key-exchange column: "ECDH 253", "DH 1024" ("TLS 1" in front is a version).
    m = _KX_BITS.search(finding)
    kex_bits = int(m.group(1)) if m else None
    if iana.startswith("SSL_CK_") or "_" not in iana:
        return None if "_" not in iana else suite_from_iana(iana, bits=bits)
    return suite_from_iana(iana, bits=bits, kex_bits=kex_bits)


def _protocols(run: _Run) -> tuple[dict[str, tuple[facts.CipherSuite, ...]], dict[str, str]]:
    offered: dict[str, bool | None] = {}
    for ident, key in _PROTOCOL_IDS.items():
        finding = run.findings.get(ident)
        text = (finding or "").lower()
        # "not offered", "TLSv1.1 is not offered, and downgraded to a weaker protocol",
        # "offered (deprecated)", "offered with final"; anything else was not tested.
        offered[key] = (
            False if "not offered" in text else True if text.startswith("offered") else None
        )
    suites: dict[str, list[facts.CipherSuite]] = {}
    for proto, finding in run.ciphers:
        suite = _cipher(finding)
        if suite is not None:
            suites.setdefault(_CIPHER_PROTOCOLS[proto], []).append(suite)
    protocols: dict[str, tuple[facts.CipherSuite, ...]] = {}
    errors: dict[str, str] = {}
    for key, state in offered.items():
        if state is False:
            protocols[key] = ()
        elif state and suites.get(key):
            protocols[key] = tuple(suites[key])
        elif state and key == "SSLv2":
            protocols[key] = (suite_from_iana("SSL_CK_RC4_128_WITH_MD5", bits=128),)
        elif state:
            errors[f"ciphers {key}"] = (
                "testssl.sh found the protocol offered but listed no suites for it (run it with -E)"
            )
        else:
            errors[f"protocol {key}"] = f"testssl.sh: {run.findings.get(_ident(key)) or 'not run'}"
    return protocols, errors


def _ident(key: str) -> str:
    return next(i for i, k in _PROTOCOL_IDS.items() if k == key)


def _certificate(run: _Run, host: str) -> facts.CertificateFacts | None:
    f = run.findings
    pem = f.get("cert")
    leaf = certificate_from_pem(pem) if pem else None
    if leaf is None:
        if "cert_signatureAlgorithm" not in f:
            return None
        key = (f.get("cert_keySize") or "").split()
        leaf = facts.Certificate(
            subject=f.get("cert_commonName", ""),
            issuer=f.get("cert_caIssuers", ""),
            sans=tuple(f.get("cert_subjectAltName", "").split()),
            signature_hash=signature_hash(f.get("cert_signatureAlgorithm")),
            key_type=key[0] if key else "",
            key_bits=int(key[1]) if len(key) > 1 and key[1].isdigit() else 0,
        )
    try:
        count = int(f.get("certs_countServer") or 1)
    except ValueError:
        count = 1
    # testssl.sh 3.0 does not describe the other certificates it received: kept, unknown.
    others = tuple(
        facts.Certificate(
            subject=f"(certificate {i + 1} as sent; not described by testssl.sh)", issuer=""
        )
        for i in range(1, count)
    )
    trust_text = (f.get("cert_trust") or "").lower()
    matches: bool | None = (
        True
        if trust_text.startswith("ok")
        else False
        if "mismatch" in trust_text or "does not match" in trust_text
        else None
    )
    chain_text = (f.get("cert_chain_of_trust") or "").lower()
    trusted = chain_text.startswith("passed")
    expiry = (f.get("cert_expirationStatus") or "").lower()
    problem = None
    if matches is False:
        problem = "mismatch"
    elif "expired" in expiry or "expired" in chain_text:
        problem = "expired"
    elif "self signed" in chain_text or "self-signed" in chain_text:
        problem = "self-signed"
    elif "incomplete" in chain_text:
        problem = "incomplete-chain"
    elif chain_text and not trusted:
        problem = "untrusted"
    stapling = (f.get("OCSP_stapling") or "").lower()
    stapled = (
        False
        if stapling.startswith("not offered")
        else True
        if stapling.startswith("offered")
        else None
    )
    return facts.CertificateFacts(
        chain=(leaf, *others),
        trust=(
            facts.TrustResult(
                store="testssl.sh",
                trusted=trusted,
                error=None if trusted else f.get("cert_chain_of_trust"),
            ),
        ),
        hostname=host,
        hostname_matches=matches,
        problem=problem,
        ocsp_stapled=stapled,
        ocsp_status="GOOD" if stapled else None,
    )


def _hsts(run: _Run) -> facts.Hsts | None:
    f = run.findings
    if "HSTS" in f:
        text = f["HSTS"].lower()
        if text.startswith("not offered") or text.startswith("--"):
            return facts.Hsts(present=False)
    if "HSTS_time" not in f:
        return None
    m = re.search(r"=\s*(\d+)\s*seconds", f["HSTS_time"]) or re.search(r"(\d+)", f["HSTS_time"])
    max_age = int(m.group(1)) if m else None
    return facts.Hsts(
        present=True,
        max_age=max_age,
        include_subdomains="only for this domain"
        not in (f.get("HSTS_subdomains") or "only for this domain").lower(),
        preload="not" not in (f.get("HSTS_preload") or "not").lower(),
    )


def _robot(finding: str | None) -> str | None:
    if finding is None:
        return None
    text = finding.lower()
    if "no rsa key transport" in text:
        return "NOT_VULNERABLE_RSA_NOT_SUPPORTED"
    if text.startswith("not vulnerable"):
        return "NOT_VULNERABLE_NO_ORACLE"
    if text.startswith("vulnerable"):
        return "VULNERABLE_WEAK_ORACLE" if "weak" in text else "VULNERABLE_STRONG_ORACLE"
    return None


def _facts(run: _Run, host: str, service: str) -> tuple[facts.Facts, str | None, str | None]:
    f = run.findings
    protocols, errors = _protocols(run)
    secure = (f.get("secure_renego") or "").lower()
    secure_state = (
        True
        if secure.startswith("supported")
        else False
        if secure.startswith("not supported") or "vulnerable" in secure
        else None
    )
    client = _state(f.get("secure_client_renego"))
    renegotiation = (
        facts.Renegotiation(secure=secure_state, client_initiated=client)
        if (secure_state is not None or client is not None)
        else None
    )
    fallback_text = (f.get("fallback_SCSV") or "").lower()
    fallback = (
        True
        if fallback_text.startswith("supported") or "prevention supported" in fallback_text
        else False
        if fallback_text.startswith("not supported") or "vulnerable" in fallback_text
        else None
    )
    other: dict[str, bool] = {}
    ticketbleed = _state(f.get("ticketbleed"))
    if ticketbleed is not None:
        other["ticketbleed"] = ticketbleed
    if _state(f.get("DROWN")) is True:
        other["drown"] = True
    web = service == "https"  # mail services have no HSTS (as in a scan)
    hsts = _hsts(run) if web else None
    grade = f.get("overall_grade")
    found = facts.Facts(
        protocols=protocols,
        certificate=_certificate(run, host),
        renegotiation=renegotiation,
        compression=_state(f.get("CRIME_TLS")),
        fallback_scsv=fallback,
        heartbleed=_state(f.get("heartbleed")),
        ccs_injection=_state(f.get("CCS")),
        robot=_robot(f.get("ROBOT")),
        hsts=hsts,
        http_error=None
        if hsts is not None or not web
        else "testssl.sh did not read the HTTP headers (run it with -h)",
        ip=run.address or None,
        highest_version=highest_version(protocols),
        errors=errors,
        other_tests=other,
    )
    return found, grade if grade in _GRADES else None, f.get("rating_spec")
