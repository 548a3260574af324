"""`import testssl`: real testssl.sh output of the lab's servers, imported and graded.

The session fixture runs Debian's testssl.sh 3.0.8 against every lab server that speaks TLS,
inside a network namespace with only loopback (tests/testsslkit.py), beside one tlsreport
scan of the same servers. The round trip: importing testssl.sh's result gives the grade our
own scan gives, under 2015-03-03's rules and today's, or a difference named here (and in
README "Importing SSL Labs and testssl.sh results").
"""

from __future__ import annotations

import fcntl
import json
from datetime import date
from pathlib import Path

import pytest
import testsslkit
from tlsreport import cli
from tlsreport.facts import Snapshot, TargetResult
from tlsreport.grading import grade_result
from tlsreport.history import History
from tlsreport.imports import results_from_testssl
from tlsreport.targets import load_target_list

pytestmark = pytest.mark.lab

THEN = date(2015, 3, 3)
TODAY = date(2026, 11, 26)

# What testssl.sh 3.0 does not test, that a rule needs (README lists the same):
CHAIN = "certificate"  # it describes only the leaf: the chain's signatures (SHA-2 chain: A+)
SCSV = "TLS_FALLBACK_SCSV"  # no downgrade test when no protocol below TLS 1.2 is offered
# Its OpenSSL 3 will not handshake with a server lacking RFC 5746 ("OpenSSL handshake didn't
# succeed"), so secure renegotiation is not tested and the warning (A-) is missed.
RENEG = "renegotiation"

# profile -> {day: (our scan's grade, the import's grade, what the import's "A+ not
#                   confirmed" note names (None: no such note), reason ids our scan has and
#                   the import cannot)}
Expected = tuple[str, str, tuple[str, ...] | None, set[str]]
DIFFERENCES: dict[str, dict[date, Expected]] = {
    "modern": {THEN: ("A+", "A", (CHAIN, SCSV), set()), TODAY: ("A+", "A", (CHAIN,), set())},
    "tls10-11-12": {THEN: ("A+", "A", (CHAIN,), set())},
    "client-reneg": {THEN: ("A+", "A", (CHAIN, SCSV), set()), TODAY: ("A+", "A", (CHAIN,), set())},
    "no-secure-reneg": {
        THEN: ("A-", "A", (CHAIN, RENEG, SCSV), {"no-secure-reneg"}),
        TODAY: ("A-", "A", (CHAIN, RENEG), {"no-secure-reneg"}),
    },
    # Same grades; the intermediate's SHA-1 signature is a reason only our scan can give.
    "sha1-chain": {THEN: ("A", "A", None, {"sha1-chain"}), TODAY: ("T", "T", None, {"sha1-chain"})},
    # Same grades; testssl.sh's downgrade check failed on this server ("Check failed,
    # unexpected result"), so "no TLS_FALLBACK_SCSV" (no A+ until May 2025) is not tested.
    "no-fallback-scsv": {THEN: ("A", "A", (CHAIN, SCSV), {"no-fallback-scsv"})},
}


@pytest.fixture(scope="session")
def testssl_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """testsslkit's output, made once for the whole session (all xdist workers share it)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    out = root / "testssl-roundtrip"
    with open(root / "testssl-roundtrip.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "done").exists():
            testsslkit.produce(out)
            (out / "done").touch()
    return out


@pytest.fixture(scope="session")
def scanned(testssl_run: Path) -> dict[str, TargetResult]:
    snapshot = History(testssl_run / "history").latest("lab")
    assert snapshot is not None
    return {r.target.host.split(".", 1)[0]: r for r in snapshot.results}


def _imported(
    run: Path, profile: str, form: str = "pretty", taken: str | None = None
) -> TargetResult:
    [item] = results_from_testssl(
        [run / form / f"{profile}.json"], load_target_list(run / "lab.toml"), taken=taken
    )
    return item.result


@pytest.mark.parametrize("profile", testsslkit.TESTSSL_PROFILES)
def test_round_trip_grades_match_our_scan_or_the_difference_is_named(testssl_run, scanned, profile):
    imported = _imported(testssl_run, profile)
    assert imported.state == "ok"
    for day in (THEN, TODAY):
        ours = grade_result(scanned[profile], day)
        theirs = grade_result(imported, day)
        expected = DIFFERENCES.get(profile, {}).get(day)
        if expected is None:
            assert theirs.letter == ours.letter, (
                day,
                ours.reasons,
                theirs.reasons,
                theirs.not_tested,
                theirs.note,
            )
            assert {r.id for r in theirs.reasons} == {r.id for r in ours.reasons}, day
        else:
            scan_letter, import_letter, untested, missed = expected
            assert (ours.letter, theirs.letter) == (scan_letter, import_letter), day
            assert theirs.note == (
                ""
                if untested is None
                else "A+ not confirmed: " + ", ".join(untested) + " not tested"
            )
            assert {r.id for r in theirs.reasons} == {r.id for r in ours.reasons} - missed, day


def test_import_keeps_the_testssl_start_time_tool_and_no_grade_of_3_0(
    testssl_run, tmp_path, capsys
):
    out = tmp_path / "history"
    files = [str(testssl_run / "pretty" / f"{p}.json") for p in ("modern", "rc4")]
    code = cli.main(
        ["import", "testssl", *files, "--targets", str(testssl_run / "lab.toml"), "--out", str(out)]
    )
    assert code == 0
    snapshots, errors = History(out).load_all("lab")
    assert not errors and {s.kind for s in snapshots} == {"imported"}
    starts = {
        json.loads((testssl_run / "pretty" / f"{p}.json").read_text())["startTime"]
        for p in ("modern", "rc4")
    }
    assert len(snapshots) == len(starts)  # one snapshot per testssl.sh start time
    results = [r for s in snapshots for r in s.results if r.imported is not None]
    assert {r.target.host for r in results} == {"modern.lab.test", "rc4.lab.test"}
    for r in results:
        assert (
            r.imported.tool,
            r.imported.tool_version,
            r.imported.source_grade,
            r.imported.rating_version,
        ) == ("testssl.sh", "3.0.8", None, None)
    capsys.readouterr()
    assert cli.main(["grade", str(History(out).infos("lab")[0].path), "--json"]) == 0
    entries = [t for t in json.loads(capsys.readouterr().out)["targets"] if "source" in t]
    assert entries and all(
        t["source_grade"] is None and t["source_differs"] is None for t in entries
    )


@pytest.mark.parametrize("profile", testsslkit.FLAT_PROFILES)
def test_flat_and_pretty_forms_give_the_same_facts_and_grades(testssl_run, profile):
    pretty = _imported(testssl_run, profile)
    flat = _imported(testssl_run, profile, "flat", taken="2026-11-26T10:00:00Z")
    assert flat.imported.assessed == "2026-11-26T10:00:00Z"
    for p, suites in pretty.facts.protocols.items():
        assert [s.name for s in flat.facts.protocols[p]] == [s.name for s in suites], p
    assert flat.facts.certificate.chain[0] == pretty.facts.certificate.chain[0]
    for day in (THEN, TODAY):
        assert grade_result(flat, day).letter == grade_result(pretty, day).letter


def test_findings_map_into_the_facts(testssl_run):
    sslv3 = _imported(testssl_run, "sslv3").facts
    assert sslv3.protocols["SSLv3"] and all(s.cbc for s in sslv3.protocols["SSLv3"])
    weak_dh = _imported(testssl_run, "weak-dh").facts
    assert {s.kex_bits for _, s in weak_dh.all_suites() if s.kex == "DHE"} == {1024}
    anon = _imported(testssl_run, "anon").facts
    assert any(s.anonymous for _, s in anon.all_suites())
    assert _imported(testssl_run, "self-signed").facts.certificate.problem == "self-signed"
    assert _imported(testssl_run, "expired").facts.certificate.problem == "expired"
    wrong = _imported(testssl_run, "wrong-name").facts.certificate
    assert (wrong.problem, wrong.hostname_matches) == ("mismatch", False)
    # its OpenSSL 3 could not handshake with it: not tested, never "supported"
    assert _imported(testssl_run, "no-secure-reneg").facts.renegotiation.secure is None
    modern = _imported(testssl_run, "modern").facts
    assert modern.hsts.present and modern.hsts.max_age == 31536000
    assert (modern.heartbleed, modern.ccs_injection, modern.compression) == (False, False, False)
    assert modern.other_tests == {"ticketbleed": False}
    leaf = modern.certificate.chain[0]
    assert leaf.rsa_exponent == 65537 and leaf.signature_hash == "sha256"
    assert modern.certificate.chain[1].signature_hash is None  # not described by testssl 3.0
    smtp = _imported(testssl_run, "smtp-starttls").facts
    assert smtp.hsts is None and smtp.http_error is None  # mail: no HSTS, as in a scan


def _run_import(files: list[str], targets: Path, out: Path, *extra: str) -> int:
    return cli.main(
        ["import", "testssl", *files, "--targets", str(targets), "--out", str(out), *extra]
    )


@pytest.mark.parametrize(("form", "where"), [("pretty", "scanResult[0]"), ("flat", "[0]")])
def test_a_run_that_ends_in_scan_problem_exits_2_and_writes_nothing(
    testssl_run, tmp_path, capsys, form, where
):
    bad = testssl_run / "problem" / f"{form}.json"
    good = testssl_run / "pretty" / "modern.json"
    out = tmp_path / "history"
    extra = ("--taken", "2026-11-26T10:00:00Z") if form == "flat" else ()
    assert _run_import([str(good), str(bad)], testssl_run / "lab.toml", out, *extra) == 2
    err = capsys.readouterr().err
    assert f"{bad}: {where}: testssl.sh reported a scan problem: Can't connect to" in err
    assert not out.exists()


def test_truncated_real_output_exits_2_with_its_line(testssl_run, tmp_path, capsys):
    text = (testssl_run / "pretty" / "modern.json").read_text()
    bad = tmp_path / "cut.json"
    bad.write_text(text[: len(text) * 2 // 3])
    assert _run_import([str(bad)], testssl_run / "lab.toml", tmp_path / "h") == 2
    err = capsys.readouterr().err
    assert f"{bad}: line " in err and "not valid JSON" in err
    assert not (tmp_path / "h").exists()


def test_a_flat_file_without_taken_and_an_ssl_labs_file_are_refused(testssl_run, tmp_path, capsys):
    flat = testssl_run / "flat" / "modern.json"
    assert _run_import([str(flat)], testssl_run / "lab.toml", tmp_path / "h") == 2
    assert (
        f"{flat}: a --jsonfile (flat) file records no start time: give --taken"
        in capsys.readouterr().err
    )
    ssllabs = Path(__file__).resolve().parents[1] / "data" / "ssllabs" / "v2-poodle-tls.json"
    assert _run_import([str(ssllabs)], testssl_run / "lab.toml", tmp_path / "h") == 2
    err = capsys.readouterr().err
    assert f"{ssllabs}: $: not testssl.sh JSON" in err and "use `import ssllabs`" in err
    assert not (tmp_path / "h").exists()


def test_a_server_the_list_does_not_know_is_refused(testssl_run, tmp_path, capsys):
    listing = tmp_path / "other.toml"
    listing.write_text('title = "Other"\n\n[[target]]\nhost = "elsewhere.lab.test"\n')
    good = testssl_run / "pretty" / "modern.json"
    assert _run_import([str(good)], listing, tmp_path / "h") == 2
    err = capsys.readouterr().err
    assert f"{good}: scanResult[0]: modern.lab.test:" in err
    assert 'add it to the list ([[target]] host = "modern.lab.test"' in err


def test_snapshot_schema_2_round_trips_through_history(testssl_run, tmp_path):
    out = tmp_path / "history"
    assert (
        _run_import([str(testssl_run / "pretty" / "sslv3.json")], testssl_run / "lab.toml", out)
        == 0
    )
    [info] = History(out).infos("lab")
    data = json.loads(info.path.read_text())
    assert data["schema"] == 2 and data["kind"] == "imported"
    snapshot: Snapshot = History(out).load(info)
    assert any(r.imported is not None for r in snapshot.results)


@pytest.mark.parametrize(
    ("finding", "kex", "kex_bits"),
    [
        (
            "TLS 1.2   xc030   ECDHE-RSA-AES256-GCM-SHA384       ECDH 253   AESGCM      256      "
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "ECDHE",
            253,
        ),
        (
            "TLS 1   x33     DHE-RSA-AES128-SHA                DH 1024    AES         128      "
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
            "DHE",
            1024,
        ),
        # no size printed: unknown, never the "1" of "TLS 1"
        (
            "TLS 1   x33     DHE-RSA-AES128-SHA                DH         AES         128      "
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
            "DHE",
            None,
        ),
        (
            "SSLv3   x2f     AES128-SHA                        RSA        AES         128      "
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "RSA",
            None,
        ),
    ],
)
def test_a_cipher_line_gives_its_key_exchange_and_size(finding, kex, kex_bits):
    from tlsreport.imports.testssl import _cipher

    suite = _cipher(finding)
    assert (suite.kex, suite.kex_bits) == (kex, kex_bits)
