"""SSL Labs API results (``analyze?host=...&all=done``) -> imported results.

Field meanings are those of the public API documentation (v2 and v3, "ssllabs-api-docs").
The two shapes differ where it matters here:
- v3 lists suites per protocol (``details.suites[] = {protocol, list[]}``) and the
  certificates once per host (``host.certs[]``, referred to by ``details.certChains[].certIds``);
- v2 has one suite list for every protocol (``details.suites.list[]``) and the certificate in
  the endpoint (``details.cert``, ``details.key``, ``details.chain.certs[]``).
A v2 suite is placed on every offered version that can carry it (TLS 1.3 names on TLS 1.3;
GCM/CCM/ChaCha20 and SHA-256/384 MACs on TLS 1.2; the rest on SSL 3 … TLS 1.2): the API does
not say more, and README says so.

What SSL Labs did not test stays "not tested" (None / absent), never "passed": a field the
API lacks, a test that failed (-1), timed out (-3) or is unknown (0).

Several endpoints (IP addresses) in one host: tlsreport has one result per target (the
endpoints issue has not landed), so the worst endpoint by SSL Labs' own grade is kept and the
others are named in ``Imported.note``.
"""

from __future__ import annotations

from collections.abc import Iterable
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

TOOL = "SSL Labs"
_GRADES = ("A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M")
# SSL Labs protocol ids (0x0200 SSL 2 … 0x0304 TLS 1.3) and (name, version) -> our keys.
_PROTOCOL_IDS = {
    512: "SSLv2",
    2: "SSLv2",
    768: "SSLv3",
    769: "TLSv1.0",
    770: "TLSv1.1",
    771: "TLSv1.2",
    772: "TLSv1.3",
}
_PROTOCOL_NAMES = {
    ("SSL", "2.0"): "SSLv2",
    ("SSL", "3.0"): "SSLv3",
    ("TLS", "1.0"): "TLSv1.0",
    ("TLS", "1.1"): "TLSv1.1",
    ("TLS", "1.2"): "TLSv1.2",
    ("TLS", "1.3"): "TLSv1.3",
}
# TLS 1.3 (RFC 8446) was published on 2018-08-10. Before 2017 no server offered it (not even
# a draft), so an older assessment's missing TLS 1.3 is "not offered"; from 2017 until
# SSL Labs' reports name it, a missing TLS 1.3 is "not tested" (drafts were deployed).
TLS13_EXISTS_FROM = "2017-01-01T00:00:00Z"
TLS13_TESTED_FROM = "2018-08-10T00:00:00Z"


def results_from_ssllabs(paths: Iterable[Path], target_list: TargetList) -> list[ImportedResult]:
    """Every host assessment in ``paths`` (a host object, or a list of them per file)."""
    out: list[ImportedResult] = []
    for path in paths:
        path = Path(path)
        data = read_json(path)
        hosts = data if isinstance(data, list) else [data]
        for i, host in enumerate(hosts):
            where = f"[{i}]" if isinstance(data, list) else ""
            try:
                out.append(_host_result(host, path, where, target_list))
            except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
                if isinstance(exc, ImportInputError):
                    raise
                # A field of an unexpected type deep in a hand-edited file: say so, no trace.
                raise ImportInputError(
                    path,
                    f"unexpected content ({type(exc).__name__}: "
                    f"{exc}) — not an API answer as documented",
                    where or "$",
                ) from None
    return out


def _looks_like_testssl(data: Any) -> bool:
    return (isinstance(data, dict) and ("id" in data and "finding" in data)) or (
        isinstance(data, dict) and "scanResult" in data
    )


def _host_result(host: Any, path: Path, where: str, target_list: TargetList) -> ImportedResult:
    if not isinstance(host, dict) or "host" not in host or "status" not in host:
        hint = (
            " (it looks like testssl.sh output: use `import testssl`)"
            if _looks_like_testssl(host)
            else ""
        )
        raise ImportInputError(
            path,
            "not an SSL Labs assessment (an API host object has "
            f"'host', 'status' and 'endpoints'){hint}",
            where or "$",
        )
    status = host.get("status")
    at = f"{where}.status" if where else "status"
    if status in ("IN_PROGRESS", "DNS"):
        raise ImportInputError(
            path,
            f"the assessment is still {status}: fetch it again with "
            "all=done once SSL Labs says READY",
            at,
        )
    if status == "ERROR":
        raise ImportInputError(
            path,
            "the assessment ended in ERROR "
            f"({host.get('statusMessage') or 'no message'}): nothing "
            "to import",
            at,
        )
    if status != "READY":
        raise ImportInputError(path, f"unknown status {status!r} (expected READY)", at)
    when = host.get("testTime") or host.get("startTime")
    if not isinstance(when, (int, float)) or isinstance(when, bool):
        raise ImportInputError(
            path,
            "no assessment time (testTime or startTime, in ms)",
            f"{where}.testTime" if where else "testTime",
        )
    taken = check_taken(taken_from_epoch(when / 1000), path, "testTime")
    name = host.get("host")
    port = host.get("port", 443)
    if not isinstance(name, str) or not isinstance(port, int):
        raise ImportInputError(
            path, "host must be a string and port a number", f"{where}.host" if where else "host"
        )
    target = match_target(target_list, name, port, path, f"{where}.host" if where else "host")
    endpoints = host.get("endpoints")
    if not isinstance(endpoints, list) or not endpoints:
        raise ImportInputError(
            path,
            "no endpoints in a READY assessment",
            f"{where}.endpoints" if where else "endpoints",
        )
    certs = {c.get("id"): c for c in host.get("certs") or () if isinstance(c, dict)}
    ready = [
        (i, e)
        for i, e in enumerate(endpoints)
        if isinstance(e, dict)
        and e.get("statusMessage") == "Ready"
        and isinstance(e.get("details"), dict)
    ]
    base = facts.Imported(
        tool=TOOL,
        tool_version=str(host.get("engineVersion") or ""),
        rating_version=host.get("criteriaVersion"),
        assessed=taken,
        file=path.name,
    )
    if not ready:
        first = endpoints[0] if isinstance(endpoints[0], dict) else {}
        message = str(first.get("statusMessage") or "assessment failed")
        state = (
            "refused"
            if "unable to connect" in message.lower()
            else ("handshake-failure" if "no secure protocols" in message.lower() else "error")
        )
        result = facts.TargetResult(
            target=target.ref(),
            state=state,
            reason=f"SSL Labs: {message}",
            imported=_replace(base, endpoint=str(first.get("ipAddress") or "")),
        )
        return ImportedResult(taken=taken, result=result, file=path)

    def rank(item: tuple[int, dict]) -> int:
        grade = item[1].get("grade")
        return _GRADES.index(grade) if grade in _GRADES else len(_GRADES)

    index, endpoint = max(ready, key=rank)
    ep_where = f"{where}.endpoints[{index}]" if where else f"endpoints[{index}]"
    note = ""
    if len(endpoints) > 1:
        others = ", ".join(
            f"{e.get('ipAddress')} ({e.get('grade') or e.get('statusMessage')})"
            for i, e in enumerate(endpoints)
            if i != index and isinstance(e, dict)
        )
        note = (
            f"{len(endpoints)} endpoints; kept the worst, {endpoint.get('ipAddress')} "
            f"({endpoint.get('grade') or 'no grade'}); others: {others}"
        )
    grade = endpoint.get("grade")
    trust_ignored = endpoint.get("gradeTrustIgnored")
    imported = _replace(
        base,
        source_grade=grade if grade in _GRADES else None,
        source_grade_trust_ignored=(trust_ignored if trust_ignored in _GRADES else None),
        endpoint=str(endpoint.get("ipAddress") or ""),
        note=note,
    )
    found = endpoint_facts(
        endpoint["details"], certs, taken=taken, path=path, where=ep_where, host=target.host
    )
    found = _replace(found, ip=str(endpoint.get("ipAddress") or "") or None)
    result = facts.TargetResult(
        target=target.ref(), state=facts.STATE_OK, facts=found, imported=imported
    )
    return ImportedResult(taken=taken, result=result, file=path)


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)


def _protocol_key(p: dict[str, Any]) -> str | None:
    key = _PROTOCOL_IDS.get(p.get("id"))  # type: ignore[arg-type]
    return key or _PROTOCOL_NAMES.get((str(p.get("name")), str(p.get("version"))))


def _suite(s: dict[str, Any]) -> facts.CipherSuite:
    name = str(s.get("name") or "")
    kx = str(s.get("kxType") or "")
    if ("DH" in kx and "EC" not in kx) or "_DHE_" in name or "_DH_anon_" in name:
        kex_bits = s.get("dhStrength") or s.get("kxStrength")
        if not kex_bits and isinstance(s.get("dhP"), str) and s["dhP"]:
            kex_bits = len(s["dhP"]) * 4  # hex-encoded prime
        curve = None
    else:
        kex_bits = s.get("namedGroupBits") or s.get("ecdhBits")
        curve = s.get("namedGroupName")
    return suite_from_iana(
        name,
        bits=int(s.get("cipherStrength") or 0),
        kex_bits=int(kex_bits) if kex_bits else None,
        curve=curve,
    )


def _v2_places(name: str, offered: list[str]) -> list[str]:
    """Where a suite of the v2 API's single list goes (module docstring)."""
    if name.startswith("SSL_CK_"):
        return [p for p in offered if p == "SSLv2"]
    if "_WITH_" not in name:
        return [p for p in offered if p == "TLSv1.3"]
    if any(m in name for m in ("_GCM", "_CCM", "CHACHA20", "_SHA256", "_SHA384")):
        return [p for p in offered if p == "TLSv1.2"]
    return [p for p in offered if p in ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2")]


def _protocols(
    details: dict[str, Any], taken: str, path: Path, where: str
) -> dict[str, tuple[facts.CipherSuite, ...]]:
    listed = details.get("protocols")
    if not isinstance(listed, list):
        raise ImportInputError(
            path,
            "no protocol list (was the assessment saved with all=done?)",
            f"{where}.details.protocols",
        )
    offered = [k for p in listed if isinstance(p, dict) and (k := _protocol_key(p))]
    tested = [
        p
        for p in facts.PROTOCOLS
        if p != "TLSv1.3"
        or not TLS13_EXISTS_FROM <= taken < TLS13_TESTED_FROM
        or "TLSv1.3" in offered
    ]
    protocols: dict[str, list[facts.CipherSuite]] = {p: [] for p in tested}
    suites = details.get("suites")
    if isinstance(suites, list):  # v3: suites per protocol
        for i, block in enumerate(suites):
            pid = block.get("protocol") if isinstance(block, dict) else None
            key = _PROTOCOL_IDS.get(pid) if isinstance(pid, int) else None
            if key is None:
                raise ImportInputError(
                    path, "unknown protocol id", f"{where}.details.suites[{i}].protocol"
                )
            protocols.setdefault(key, []).extend(
                _suite(s) for s in block.get("list") or () if isinstance(s, dict)
            )
    elif isinstance(suites, dict):  # v2: one list
        for s in suites.get("list") or ():
            if isinstance(s, dict):
                suite = _suite(s)
                for p in _v2_places(suite.name, offered):
                    protocols[p].append(suite)
    else:
        raise ImportInputError(path, "no cipher suites", f"{where}.details.suites")
    for p in offered:
        if not protocols.get(p) and p != "SSLv2":
            # Offered, yet no suite listed: the suites of that version were not tested.
            protocols.pop(p, None)
    if "SSLv2" in offered and not protocols.get("SSLv2"):
        # SSL 2 enabled with every suite disabled still counts as SSL 2 (DROWN).
        protocols["SSLv2"] = [suite_from_iana("SSL_CK_RC4_128_WITH_MD5", bits=128)]
    return {p: tuple(v) for p, v in protocols.items()}


def _cert_from_api(c: dict[str, Any]) -> facts.Certificate:
    raw = c.get("raw")
    if isinstance(raw, str):
        parsed = certificate_from_pem(raw)
        if parsed is not None:
            return parsed

    def iso(ms: Any) -> str:
        return taken_from_epoch(ms / 1000) if isinstance(ms, (int, float)) else ""

    alt = c.get("altNames") or ()
    return facts.Certificate(
        subject=str(c.get("subject") or ""),
        issuer=str(c.get("issuerSubject") or ""),
        sans=tuple(str(a) for a in alt),
        signature_hash=signature_hash(c.get("sigAlg")),
        key_type=str(c.get("keyAlg") or ""),
        key_bits=int(c.get("keySize") or 0),
        not_before=iso(c.get("notBefore")),
        not_after=iso(c.get("notAfter")),
        serial=str(c.get("serialNumber") or ""),
        fingerprint_sha256=str(c.get("sha256Hash") or ""),
    )


def _certificate(
    details: dict[str, Any], certs: dict[Any, dict[str, Any]], host: str, path: Path, where: str
) -> facts.CertificateFacts | None:
    chain_issues = 0
    trust: list[facts.TrustResult] = []
    if details.get("certChains"):  # v3
        chain_json = details["certChains"][0]
        ids = chain_json.get("certIds") or []
        missing = [i for i in ids if i not in certs]
        if missing:
            raise ImportInputError(
                path,
                f"certificate {missing[0]!r} is not in the host's certs[]",
                f"{where}.details.certChains[0].certIds",
            )
        listed = [certs[i] for i in ids]
        chain_issues = int(chain_json.get("issues") or 0)
        for tp in chain_json.get("trustPaths") or ():
            for t in tp.get("trust") or ():
                trust.append(
                    facts.TrustResult(
                        store=str(t.get("rootStore") or ""),
                        trusted=bool(t.get("isTrusted")),
                        error=t.get("trustErrorMessage"),
                    )
                )
        leaf_json = listed[0] if listed else {}
    elif isinstance(details.get("cert"), dict):  # v2
        leaf_json = dict(details["cert"])
        key = details.get("key") or {}
        leaf_json.setdefault("keyAlg", key.get("alg"))
        leaf_json.setdefault("keySize", key.get("size"))
        chain = details.get("chain") or {}
        listed = [leaf_json, *(chain.get("certs") or [])[1:]]
        chain_issues = int(chain.get("issues") or 0)
    else:
        return None
    if not listed:
        return None
    chain_facts = tuple(_cert_from_api(c) for c in listed)
    issues = int(leaf_json.get("issues") or 0)
    mismatch = bool(issues & 8)
    problem = (
        "mismatch"
        if mismatch
        else "self-signed"
        if issues & 64
        else "expired"
        if issues & 4
        else "not-yet-valid"
        if issues & 2
        else "incomplete-chain"
        if chain_issues & 2
        else "untrusted"
        if issues & 1 or issues & 128
        else None
    )
    if not trust:
        trust = [facts.TrustResult(store="SSL Labs", trusted=not (issues & (1 | 2 | 4 | 64 | 128)))]
    stapled = details.get("ocspStapling")
    status = {1: "REVOKED", 2: "GOOD"}.get(details.get("staplingRevocationStatus"))  # type: ignore[arg-type]
    return facts.CertificateFacts(
        chain=chain_facts,
        trust=tuple(trust),
        hostname=host,
        hostname_matches=not mismatch,
        problem=problem,
        chain_in_order=not bool(chain_issues & 8),
        ocsp_stapled=stapled if isinstance(stapled, bool) else None,
        ocsp_status=(status or "UNKNOWN") if stapled else None,
    )


def _code(details: dict[str, Any], field: str, vulnerable: set[int], fine: set[int]) -> bool | None:
    value = details.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return True if value in vulnerable else False if value in fine else None


def _oracles_2019(details: dict[str, Any]) -> bool | None:
    """Zombie POODLE, GOLDENDOODLE, 0-length padding oracle, Sleeping POODLE (API 2019)."""
    values = [
        details.get(f)
        for f in ("zombiePoodle", "goldenDoodle", "zeroLengthPaddingOracle", "sleepingPoodle")
    ]
    codes = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if any(v >= 2 for v in codes):
        return True
    if len(codes) == 4 and all(v == 1 for v in codes):
        return False
    return None


def _hsts(details: dict[str, Any]) -> tuple[facts.Hsts | None, str | None]:
    policy = details.get("hstsPolicy")
    if not isinstance(policy, dict):
        return None, None
    status = policy.get("status")
    if status == "absent":
        return facts.Hsts(present=False), None
    if status in ("present", "disabled"):
        max_age = policy.get("maxAge")
        return facts.Hsts(
            present=True,
            max_age=0
            if status == "disabled"
            else (int(max_age) if isinstance(max_age, int) else None),
            include_subdomains=bool(policy.get("includeSubDomains")),
            preload=bool(policy.get("preload")),
        ), None
    if status == "invalid":
        return facts.Hsts(present=True, max_age=None), None
    return None, f"SSL Labs: HSTS {status or 'unknown'} ({policy.get('error') or 'no headers'})"


def endpoint_facts(
    details: dict[str, Any],
    certs: dict[Any, dict[str, Any]],
    *,
    taken: str,
    path: Path,
    where: str,
    host: str = "",
) -> facts.Facts:
    """The facts one endpoint's ``details`` say (pure; ``where`` names it in errors)."""
    protocols = _protocols(details, taken, path, where)
    errors = {
        f"protocol {p}": "SSL Labs listed it but no suite"
        for p in facts.PROTOCOLS
        if p not in protocols and p != "TLSv1.3"
    }
    reneg = details.get("renegSupport")
    renegotiation = (
        facts.Renegotiation(secure=bool(reneg & 2), client_initiated=bool(reneg & 1 or reneg & 4))
        if isinstance(reneg, int) and not isinstance(reneg, bool)
        else None
    )
    compression = details.get("compressionMethods")
    robot = {
        1: "NOT_VULNERABLE_NO_ORACLE",
        2: "VULNERABLE_WEAK_ORACLE",
        3: "VULNERABLE_STRONG_ORACLE",
        4: "UNKNOWN_INCONSISTENT_RESULTS",
    }.get(details.get("bleichenbacher"))  # type: ignore[arg-type]
    other: dict[str, bool] = {}
    for key, value in (
        ("poodle-tls", _code(details, "poodleTls", {2}, {1, -2})),
        ("cve-2016-2107", _code(details, "openSSLLuckyMinus20", {2}, {1})),
        ("ticketbleed", _code(details, "ticketbleed", {2}, {1, 3})),
        ("cbc-oracles-2019", _oracles_2019(details)),
        (
            "drown",
            details.get("drownVulnerable")
            if isinstance(details.get("drownVulnerable"), bool)
            else None,
        ),
    ):
        if value is not None:
            other[key] = value
    hsts, http_error = _hsts(details)
    heartbleed = details.get("heartbleed")
    fallback = details.get("fallbackScsv")
    groups = details.get("namedGroups")
    curves = (
        tuple(str(g.get("name") or g.get("Name")) for g in groups.get("list") or ())
        if isinstance(groups, dict)
        else None
    )
    return facts.Facts(
        protocols=protocols,
        certificate=_certificate(details, certs, host, path, where),
        renegotiation=renegotiation,
        compression=bool(compression & 1) if isinstance(compression, int) else None,
        fallback_scsv=fallback if isinstance(fallback, bool) else None,
        heartbleed=heartbleed if isinstance(heartbleed, bool) else None,
        ccs_injection=_code(details, "openSslCcs", {3}, {1, 2}),
        robot=robot,
        curves=curves,
        hsts=hsts,
        http_error=http_error,
        highest_version=highest_version(protocols),
        errors=errors,
        other_tests=other,
    )
