"""A finding must come from a test that completed (issue 11, point 3).

sslyze counts a suite whose handshake timed out as rejected; on a busy machine a slow server's
TLS 1.3 suites then "vanish" and the grade drops from A to A- ("no TLS 1.3"). These tests pin
the normaliser's reading (a timed-out or self-contradicting protocol test is "not tested",
never "not offered") and the run's one retry, on sslyze's JSON shape.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tlsreport.grading import grade_facts
from tlsreport.scan import facts_from_sslyze_json
from tlsreport.scan.normalise import incomplete_commands
from tlsreport.scan.run import retry_incomplete

TIMED_OUT = "Connection to server timed out during the TLS handshake"
TODAY = date(2026, 11, 26)


def accepted(name: str) -> dict[str, Any]:
    return {
        "cipher_suite": {"name": name, "key_size": 128, "is_anonymous": False},
        "ephemeral_key": {"type_name": "ECDH", "size": 253, "curve_name": "X25519"},
    }


def rejected(name: str, message: str = "TLS alert: handshake failure") -> dict[str, Any]:
    return {"cipher_suite": {"name": name, "key_size": 128}, "error_message": message}


def done(acc: list[dict], rej: list[dict] | None = None) -> dict[str, Any]:
    return {
        "status": "COMPLETED",
        "result": {"accepted_cipher_suites": acc, "rejected_cipher_suites": rej or []},
    }


def server(tls13: dict[str, Any], highest: str = "TLS_1_3") -> dict[str, Any]:
    return {
        "server_location": {"ip_address": "127.0.0.1"},
        "connectivity_result": {"highest_tls_version_supported": highest},
        "scan_result": {
            "tls_1_2_cipher_suites": done(
                [accepted("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")],
                [rejected("TLS_RSA_WITH_RC4_128_SHA")],
            ),
            "tls_1_3_cipher_suites": tls13,
        },
    }


def test_a_clean_scan_is_complete() -> None:
    raw = server(done([accepted("TLS_AES_128_GCM_SHA256")]))
    assert incomplete_commands(raw) == {}
    assert facts_from_sslyze_json(raw).offered("TLSv1.3") is True


def test_a_suite_rejected_by_a_timeout_makes_its_protocol_not_tested() -> None:
    raw = server(done([], [rejected("TLS_AES_128_GCM_SHA256", TIMED_OUT)]))
    assert "timed out" in incomplete_commands(raw)["tls_1_3_cipher_suites"]
    f = facts_from_sslyze_json(raw)
    assert f.offered("TLSv1.3") is None  # not "not offered"
    assert f.errors["tls_1_3_cipher_suites"].startswith("not completed:")
    g = grade_facts(f, TODAY)
    assert "no-tls13" not in [r.id for r in g.reasons]  # the A- of the flicker
    assert "TLS 1.3" in g.not_tested


def test_a_protocol_negotiated_in_connectivity_but_without_suites_is_not_tested() -> None:
    raw = server(done([], [rejected("TLS_AES_128_GCM_SHA256")]))
    why = incomplete_commands(raw)["tls_1_3_cipher_suites"]
    assert "negotiated during connectivity" in why
    assert facts_from_sslyze_json(raw).offered("TLSv1.3") is None


def test_a_protocol_the_server_does_not_negotiate_is_not_offered() -> None:
    # The other side: rejected by the server, and not the version connectivity negotiated.
    raw = server(done([], [rejected("TLS_AES_128_GCM_SHA256")]), highest="TLS_1_2")
    assert incomplete_commands(raw) == {}
    assert facts_from_sslyze_json(raw).offered("TLSv1.3") is False


def test_an_errored_command_is_incomplete() -> None:
    raw = server(
        {
            "status": "ERROR",
            "error_reason": "CONNECTIVITY_ISSUE",
            "error_trace": "Traceback\nConnectionToServerTimedOut: x",
            "result": None,
        }
    )
    assert incomplete_commands(raw)["tls_1_3_cipher_suites"].startswith("CONNECTIVITY_ISSUE")


def test_the_retry_replaces_only_the_incomplete_commands() -> None:
    raw = server(done([], [rejected("TLS_AES_128_GCM_SHA256", TIMED_OUT)]))
    asked: list[set[str]] = []

    def rerun(only: set[str]) -> dict[str, Any]:
        asked.append(only)
        return server(done([accepted("TLS_AES_128_GCM_SHA256")]))

    merged = retry_incomplete(raw, rerun)
    assert asked == [{"tls_1_3_cipher_suites"}]
    assert merged["tlsreport_retried"] == ["tls_1_3_cipher_suites"]
    assert (
        merged["scan_result"]["tls_1_2_cipher_suites"]
        is raw["scan_result"]["tls_1_2_cipher_suites"]
    )
    assert facts_from_sslyze_json(merged).offered("TLSv1.3") is True


def test_a_retry_that_times_out_again_leaves_not_tested_never_not_offered() -> None:
    raw = server(done([], [rejected("TLS_AES_128_GCM_SHA256", TIMED_OUT)]))
    merged = retry_incomplete(raw, lambda only: raw)
    assert facts_from_sslyze_json(merged).offered("TLSv1.3") is None


def test_a_complete_scan_is_not_retried() -> None:
    raw = server(done([accepted("TLS_AES_128_GCM_SHA256")]))

    def rerun(only: set[str]) -> dict[str, Any]:
        raise AssertionError("retried a complete scan")

    assert retry_incomplete(raw, rerun) is raw


def test_a_retry_request_with_a_ca_file_asks_only_for_the_retried_commands(tmp_path: Any) -> None:
    # sslyze refuses certificate_info's extra argument when certificate_info is not asked for:
    # a retry of suites only, on a list with a ca_file, once ended the target as "error".
    from tlsreport.scan.run import _scan_request
    from tlsreport.targets import Target

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    target = Target(name="t", host="t.lab.test", port=443)
    request = _scan_request(target, "127.0.0.1", ca, 10.0, {"tls_1_3_cipher_suites"})
    assert {c.value for c in request.scan_commands} == {"tls_1_3_cipher_suites"}
    full = _scan_request(target, "127.0.0.1", ca, 5.0)
    assert full.scan_commands_extra_arguments.certificate_info is not None
