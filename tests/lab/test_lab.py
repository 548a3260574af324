"""The lab, scanned with the real sslyze: each profile shows its weakness and nothing else.

The whole lab is scanned once per session (one Scanner for every TLS target; silent and
closed apart, with a short timeout, because a silent server holds a whole batch for 11x the
network timeout). Each profile's test then compares a small "signature" of its scan with
modern's: the only keys allowed to differ are the ones the profile declares, so an accidental
extra weakness fails the test as surely as a missing one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sslyze import (
    ProtocolWithOpportunisticTlsEnum,
    ScanCommand,
    ScanCommandAttemptStatusEnum,
    ScanCommandsExtraArguments,
    Scanner,
    ServerConnectivityStatusEnum,
    ServerNetworkConfiguration,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanResult,
    ServerScanStatusEnum,
)
from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
from tlsreport.lab import PROFILES, Lab, LabError, LabTarget
from tlsreport.lab.runner import ProcessRecord, is_alive

# xdist_group: with `--dist loadgroup` every lab test runs in one worker, so the lab is
# scanned once per run rather than once per worker.
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]

ROOT = Path(__file__).resolve().parents[2]
OPPORTUNISTIC = {
    "smtp": ProtocolWithOpportunisticTlsEnum.SMTP,
    "imap": ProtocolWithOpportunisticTlsEnum.IMAP,
    "pop3": ProtocolWithOpportunisticTlsEnum.POP3,
}
UNREACHABLE = ("silent", "closed")
# The commands whose results a profile's weakness can change. Heartbleed, CCS injection and
# ROBOT cannot be reproduced by any implementation here (tls-lab-notes.md); curves, EMS and
# resumption are not graded. Leaving them out keeps the session's one scan short.
COMMANDS = {
    ScanCommand.SSL_2_0_CIPHER_SUITES,
    ScanCommand.SSL_3_0_CIPHER_SUITES,
    ScanCommand.TLS_1_0_CIPHER_SUITES,
    ScanCommand.TLS_1_1_CIPHER_SUITES,
    ScanCommand.TLS_1_2_CIPHER_SUITES,
    ScanCommand.TLS_1_3_CIPHER_SUITES,
    ScanCommand.CERTIFICATE_INFO,
    ScanCommand.SESSION_RENEGOTIATION,
    ScanCommand.TLS_FALLBACK_SCSV,
    ScanCommand.TLS_COMPRESSION,
    ScanCommand.HTTP_HEADERS,
}


def _request(target: LabTarget, ca_file: Path, timeout: float = 5) -> ServerScanRequest:
    commands = set(COMMANDS)
    if target.service != "https":
        commands.discard(ScanCommand.HTTP_HEADERS)  # WRONG_USAGE on non-HTTP targets
    return ServerScanRequest(
        server_location=ServerNetworkLocation(
            hostname=target.host, port=target.port, ip_address="127.0.0.1"
        ),
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=target.host,
            tls_opportunistic_encryption=OPPORTUNISTIC.get(target.service),
            network_timeout=timeout,
        ),
        scan_commands=commands,
        scan_commands_extra_arguments=ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_file)
        ),
    )


def _run(requests: dict[str, ServerScanRequest]) -> dict[str, ServerScanResult]:
    """Scan with one Scanner; results come back in completion order, so map them by uuid."""
    by_uuid = {r.uuid: name for name, r in requests.items()}
    scanner = Scanner()
    scanner.queue_scans(list(requests.values()))
    return {by_uuid[result.uuid]: result for result in scanner.get_results()}


@pytest.fixture(scope="session")
def scans(lab: Lab) -> dict[str, ServerScanResult]:
    tls = {t.profile: _request(t, lab.ca_file) for t in lab.targets if t.profile not in UNREACHABLE}
    # sslyze types the timeout as int but passes it to socket.settimeout: 0.5 s halves the
    # silent server's 11 x timeout.
    slow = {
        t.profile: _request(t, lab.ca_file, timeout=0.5)
        for t in lab.targets
        if t.profile in UNREACHABLE
    }
    with ThreadPoolExecutor(max_workers=1) as pool:
        unreachable = pool.submit(_run, slow)  # the silent server's 11 s overlap the rest
        results = _run(tls)
        results.update(unreachable.result())
    return results


def _attempt(result: ServerScanResult, name: str) -> Any:
    assert result.scan_result is not None, result.connectivity_error_trace
    attempt = getattr(result.scan_result, name)
    if attempt.status == ScanCommandAttemptStatusEnum.NOT_SCHEDULED:
        return None
    assert attempt.status == ScanCommandAttemptStatusEnum.COMPLETED, (
        f"{result.server_location.hostname}: {name} failed: {attempt.error_trace}"
    )
    return attempt.result


SUITE_LISTS = {
    "SSLv2": "ssl_2_0_cipher_suites",
    "SSLv3": "ssl_3_0_cipher_suites",
    "TLSv1.0": "tls_1_0_cipher_suites",
    "TLSv1.1": "tls_1_1_cipher_suites",
    "TLSv1.2": "tls_1_2_cipher_suites",
    "TLSv1.3": "tls_1_3_cipher_suites",
}


def signature(result: ServerScanResult) -> dict[str, Any]:
    """The facts of one scan that a profile's weakness may change, in comparable form."""
    assert result.scan_status == ServerScanStatusEnum.COMPLETED, result.connectivity_error_trace
    accepted = {v: _attempt(result, attr).accepted_cipher_suites for v, attr in SUITE_LISTS.items()}
    suites = [(v, s) for v, lst in accepted.items() for s in lst]
    names = [s.cipher_suite.name for _, s in suites]
    reneg = _attempt(result, "session_renegotiation")
    headers = _attempt(result, "http_headers")
    (deployment,) = _attempt(result, "certificate_info").certificate_deployments
    supplied = [
        p for p in deployment.path_validation_results if p.trust_store.name == "Supplied CA file"
    ]
    assert len(supplied) == 1
    error = supplied[0].validation_error or ""
    return {
        "versions": sorted(v for v, lst in accepted.items() if lst),
        "rc4": any("_RC4_" in n for n in names),
        "cbc": sorted({v for v, s in suites if "_CBC_" in s.cipher_suite.name}),
        "anonymous": any(s.cipher_suite.is_anonymous for _, s in suites),
        "without_forward_secrecy": sorted(
            {n for (_, s), n in zip(suites, names, strict=True) if s.ephemeral_key is None}
        ),
        "dh_bits": sorted(
            {
                s.ephemeral_key.size
                for _, s in suites
                if s.ephemeral_key is not None
                and type(s.ephemeral_key).__name__ == "DhEphemeralKeyInfo"
            }
        ),
        "secure_renegotiation": reneg.supports_secure_renegotiation,
        "client_renegotiation": reneg.is_vulnerable_to_client_renegotiation_dos,
        "fallback_scsv": _attempt(result, "tls_fallback_scsv").supports_fallback_scsv,
        "compression": _attempt(result, "tls_compression").supports_compression,
        "hsts_max_age": (
            headers.strict_transport_security_header.max_age
            if headers and headers.strict_transport_security_header
            else None
        ),
        "chain_hashes": [
            c.signature_hash_algorithm.name for c in deployment.received_certificate_chain
        ],
        "trusted": supplied[0].was_validation_successful,
        "validation_error": (
            None
            if not error
            else "expired"
            if "not valid at validation time" in error
            else "mismatch"
            if "no matching subjectAltName" in error
            else "weak-signature"
            if "Forbidden signature algorithm" in error
            else "untrusted"
            if "candidates exhausted" in error
            else error
        ),
    }


# What each profile changes relative to modern; every other key must be equal.
EXPECTED_DIFFERENCES: dict[str, dict[str, Any]] = {
    "modern": {},
    "tls10-only": {"versions": ["TLSv1.0"], "cbc": ["TLSv1.0"]},
    "tls10-11-12": {
        "versions": ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
        "cbc": ["TLSv1.0", "TLSv1.1"],
    },
    "rc4": {"rc4": True},
    "sslv3": {"versions": ["SSLv3", "TLSv1.2", "TLSv1.3"], "cbc": ["SSLv3"]},
    "sha1-chain": {
        "chain_hashes": ["sha1", "sha1"],
        "trusted": False,
        "validation_error": "weak-signature",
    },
    "weak-dh": {"dh_bits": [1024]},
    "no-fs": {
        "versions": ["TLSv1.2"],
        "without_forward_secrecy": [
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
        ],
    },
    "no-secure-reneg": {"secure_renegotiation": False},
    "client-reneg": {"client_renegotiation": True},
    "no-fallback-scsv": {
        "fallback_scsv": False,
        "versions": ["TLSv1.1", "TLSv1.2", "TLSv1.3"],
        "cbc": ["TLSv1.1"],
    },
    "anon": {"anonymous": True, "dh_bits": [2048]},
    "self-signed": {"chain_hashes": ["sha256"], "trusted": False, "validation_error": "untrusted"},
    "expired": {"trusted": False, "validation_error": "expired"},
    "wrong-name": {"trusted": False, "validation_error": "mismatch"},
    # Mail servers: the same TLS as modern; HTTP headers are not read on them.
    "smtp-starttls": {"hsts_max_age": None},
    "imap-starttls": {"hsts_max_age": None},
    "pop3-starttls": {"hsts_max_age": None},
    "imaps": {"hsts_max_age": None},
    "pop3s": {"hsts_max_age": None},
}


def test_every_profile_has_a_test() -> None:
    assert set(EXPECTED_DIFFERENCES) | set(UNREACHABLE) == set(PROFILES)


def test_modern_shows_none_of_the_weaknesses(scans: dict[str, ServerScanResult]) -> None:
    assert signature(scans["modern"]) == {
        "versions": ["TLSv1.2", "TLSv1.3"],
        "rc4": False,
        "cbc": [],
        "anonymous": False,
        "without_forward_secrecy": [],
        "dh_bits": [],
        "secure_renegotiation": True,
        "client_renegotiation": False,
        "fallback_scsv": True,
        "compression": False,
        "hsts_max_age": 31536000,
        "chain_hashes": ["sha256", "sha256"],
        "trusted": True,
        "validation_error": None,
    }
    tls13 = _attempt(scans["modern"], "tls_1_3_cipher_suites").accepted_cipher_suites
    assert all(s.ephemeral_key is not None for s in tls13)


@pytest.mark.parametrize("name", [p for p in EXPECTED_DIFFERENCES if p != "modern"])
def test_profile_differs_from_modern_by_its_weakness_only(
    name: str, scans: dict[str, ServerScanResult]
) -> None:
    expected = {**signature(scans["modern"]), **EXPECTED_DIFFERENCES[name]}
    assert signature(scans[name]) == expected


def test_rc4_server_accepts_an_rc4_suite(scans: dict[str, ServerScanResult]) -> None:
    tls12 = _attempt(scans["rc4"], "tls_1_2_cipher_suites").accepted_cipher_suites
    assert "TLS_ECDHE_RSA_WITH_RC4_128_SHA" in {s.cipher_suite.name for s in tls12}


def test_weak_dh_ephemeral_key_is_1024_bits(scans: dict[str, ServerScanResult]) -> None:
    tls12 = _attempt(scans["weak-dh"], "tls_1_2_cipher_suites").accepted_cipher_suites
    dhe = [s for s in tls12 if s.cipher_suite.name.startswith("TLS_DHE_")]
    assert dhe and {s.ephemeral_key.size for s in dhe} == {1024}


def test_sslv3_server_accepts_cbc_suites(scans: dict[str, ServerScanResult]) -> None:
    ssl3 = _attempt(scans["sslv3"], "ssl_3_0_cipher_suites").accepted_cipher_suites
    assert ssl3 and all("_CBC_" in s.cipher_suite.name for s in ssl3)


def test_sha1_chain_is_read_from_the_received_chain(scans: dict[str, ServerScanResult]) -> None:
    (deployment,) = _attempt(scans["sha1-chain"], "certificate_info").certificate_deployments
    leaf, intermediate = deployment.received_certificate_chain
    assert leaf.signature_hash_algorithm.name == "sha1"
    assert intermediate.signature_hash_algorithm.name == "sha1"
    # No verified chain exists, so sslyze cannot say it from the verified one (pitfall).
    assert deployment.verified_chain_has_sha1_signature is None


@pytest.mark.parametrize(
    "name", ["smtp-starttls", "imap-starttls", "pop3-starttls", "imaps", "pop3s"]
)
def test_mail_server_completes_the_handshake_and_returns_a_certificate(
    name: str, lab: Lab, scans: dict[str, ServerScanResult]
) -> None:
    result = scans[name]
    assert result.connectivity_status == ServerConnectivityStatusEnum.COMPLETED
    (deployment,) = _attempt(result, "certificate_info").certificate_deployments
    leaf = deployment.received_certificate_chain[0]
    assert lab.target(name).host in str(leaf.subject.rfc4514_string())


def test_silent_server_fails_connectivity(scans: dict[str, ServerScanResult]) -> None:
    result = scans["silent"]
    assert result.connectivity_status == ServerConnectivityStatusEnum.ERROR
    assert result.connectivity_error_trace.exc_type.__name__ == (
        "ServerTlsConfigurationNotSupported"
    )


def test_closed_port_is_rejected(scans: dict[str, ServerScanResult]) -> None:
    result = scans["closed"]
    assert result.connectivity_status == ServerConnectivityStatusEnum.ERROR
    assert result.connectivity_error_trace.exc_type.__name__ == "ServerRejectedConnection"


def test_targets_toml_lists_every_started_target(lab: Lab, tmp_path: Path) -> None:
    path = lab.write_targets_toml(tmp_path / "lab.toml", title="My lab", slug="my-lab")
    data = tomllib.loads(path.read_text())
    assert (data["title"], data["slug"], data["scan"]) == ("My lab", "my-lab", True)
    assert Path(data["ca_file"]) == lab.ca_file.resolve()
    assert [t["name"] for t in data["target"]] == [f"Lab {p}" for p in PROFILES]
    rc4 = data["target"][PROFILES.index("rc4")]
    assert rc4 == {
        "name": "Lab rc4",
        "host": "rc4.lab.test",
        "port": lab.target("rc4").port,
        "address": "127.0.0.1",
        "service": "https",
        "path": "/",
    }


# --- life cycle -----------------------------------------------------------------------------


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_stop_leaves_no_process_alive(tmp_path: Path) -> None:
    with Lab(tmp_path, ["modern", "rc4", "silent", "closed"]) as lab:
        pids = lab.pids()
        assert len(pids) == 3  # closed has no process
        assert [t.profile for t in lab.targets] == ["modern", "rc4", "silent", "closed"]
    assert all(_gone(pid) for pid in pids)
    assert lab.pids() == []


def test_servers_exit_when_the_process_that_started_them_is_killed(tmp_path: Path) -> None:
    script = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from tlsreport.lab import Lab\n"
        "lab = Lab(Path(sys.argv[1]), ['modern', 'rc4', 'silent'])\n"
        "lab.start()\n"
        "print(json.dumps(lab.state()['processes']), flush=True)\n"
        "time.sleep(120)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
    )
    try:
        records = [ProcessRecord(**p) for p in json.loads(owner.stdout.readline())]
        assert len(records) == 3 and all(is_alive(r) for r in records)
    finally:
        owner.kill()  # no stop(): only the lifeline pipe can tell the servers
        owner.wait()
        owner.stdout.close()
    deadline = time.monotonic() + 20
    while any(is_alive(r) for r in records) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [r for r in records if is_alive(r)]
    for r in left:  # do not leave them running even if the test fails
        os.killpg(r.pid, signal.SIGKILL)
    assert left == []


def test_a_server_that_cannot_start_names_its_profile_and_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tlsreport.lab import runner

    real_make_pki = runner.make_pki

    def broken_rc4_chain(*args: Any, **kwargs: Any) -> Any:
        pki = real_make_pki(*args, **kwargs)
        pki.credentials["rc4"].chain_file.write_text("not a certificate\n")
        return pki

    monkeypatch.setattr(runner, "make_pki", broken_rc4_chain)
    lab = Lab(tmp_path, ["modern", "rc4"])
    with pytest.raises(LabError, match=r"(?s)'rc4'.*server stderr"):
        lab.start()
    assert lab.pids() == []  # the modern server that did start was stopped again


def _tls_handshake(target: dict[str, Any]) -> str:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((target["address"], target["port"]), timeout=5) as sock,
        ctx.wrap_socket(sock, server_hostname=target["host"]) as tls,
    ):
        tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        return tls.recv(4096).decode()


def test_detached_lab_survives_its_command_and_stops_by_pid(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    command = [sys.executable, "-m", "tlsreport.lab"]
    started = subprocess.run(
        [*command, "start", "--dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, started.stderr
    state = json.loads((tmp_path / "state.json").read_text())
    records = [ProcessRecord(**p) for p in state["processes"]]
    try:
        assert "modern" in started.stdout and state["ca_file"] in started.stdout
        assert len(records) == len(PROFILES) - 1 and all(is_alive(r) for r in records)
        listed = tomllib.loads((tmp_path / "lab.toml").read_text())["target"]
        modern = next(t for t in listed if t["host"] == "modern.lab.test")
        assert "Strict-Transport-Security: max-age=31536000" in _tls_handshake(modern)
        again = subprocess.run(
            [*command, "targets", "--dir", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.stdout == started.stdout
    finally:
        stopped = subprocess.run(
            [*command, "stop", "--dir", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert stopped.returncode == 0, stopped.stderr
    assert not any(is_alive(r) for r in records)
    assert not (tmp_path / "state.json").exists()
