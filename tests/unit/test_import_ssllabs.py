"""`import ssllabs`: SSL Labs API results become imported history, their grade beside ours.

The fixtures in tests/data/ssllabs are written from the public API documentation (v2 and v3
shapes): two endpoints of one host, the older API's single suite list with POODLE against
TLS, an ``ssllabs-scan`` list of two hosts (one where SSL Labs and we differ for a known
cause), a 2019 padding oracle, an unfinished and a failed assessment. Pure: no network.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from tlsreport import cli
from tlsreport.diff import changes_between
from tlsreport.facts import Snapshot, TargetRef, TargetResult
from tlsreport.grading import grade_result
from tlsreport.history import History
from tlsreport.imports import ImportInputError, build_snapshots, difference, results_from_ssllabs
from tlsreport.pelican_glue.build import BuildGrades
from tlsreport.targets import load_target_list

DATA = Path(__file__).resolve().parents[1] / "data" / "ssllabs"
TARGETS = DATA / "targets.toml"


def _import(tmp_path: Path, *names: str) -> tuple[int, Path]:
    out = tmp_path / "history"
    code = cli.main(
        [
            "import",
            "ssllabs",
            *(str(DATA / n) for n in names),
            "--targets",
            str(TARGETS),
            "--out",
            str(out),
        ]
    )
    return code, out


def _ok(tmp_path: Path, *names: str) -> Path:
    code, out = _import(tmp_path, *names)
    assert code == 0
    return out


def _imported(out: Path) -> list[Snapshot]:
    snapshots, errors = History(out).load_all("imported")
    assert not errors
    return snapshots


def _by_name(snapshot: Snapshot) -> dict[str, TargetResult]:
    return {r.target.name: r for r in snapshot.results}


def test_one_snapshot_per_assessment_time_kind_imported_with_source_versions(tmp_path):
    code, out = _import(tmp_path, "ssllabs-scan-2020.json", "v2-poodle-tls.json")
    assert code == 0
    snapshots = _imported(out)
    # the times SSL Labs recorded (testTime), not the import's
    assert [s.taken for s in snapshots] == [
        "2015-02-16T09:00:00Z",
        "2020-06-01T09:00:00Z",
        "2020-06-01T09:05:00Z",
    ]
    assert {s.kind for s in snapshots} == {"imported"}
    modern = _by_name(snapshots[1])["Modern"]
    assert modern.imported is not None
    assert (
        modern.imported.tool,
        modern.imported.tool_version,
        modern.imported.rating_version,
        modern.imported.source_grade,
    ) == ("SSL Labs", "2.1.0", "2009q", "A+")
    assert snapshots[1].versions["source"] == "SSL Labs"
    assert snapshots[1].versions["source_rating"] == "2009q"
    # every other target of the list is there, its grade not recorded (carried forward)
    others = [r for r in snapshots[1].results if r.target.name != "Modern"]
    assert len(others) == 5
    assert all(r.facts is None and r.recorded.grade is None for r in others)


def test_v3_suites_per_protocol_and_certificate_chain_map_into_facts(tmp_path):
    code, out = _import(tmp_path, "ssllabs-scan-2020.json")
    assert code == 0
    modern = _by_name(_imported(out)[0])["Modern"]
    f = modern.facts
    assert set(f.protocols) == {"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
    assert [p for p in f.protocols if f.protocols[p]] == ["TLSv1.2", "TLSv1.3"]
    assert [s.name for s in f.protocols["TLSv1.3"]] == [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
    ]
    assert f.protocols["TLSv1.2"][0].kex == "ECDHE" and f.protocols["TLSv1.2"][0].aead
    cert = f.certificate
    assert cert.trusted and cert.problem is None and cert.hostname_matches
    assert [c.signature_hash for c in cert.chain] == ["sha256", "sha256"]
    assert cert.chain[0].rsa_exponent == 65537 and cert.chain[0].key_bits == 2048  # from raw
    assert f.hsts.present and f.hsts.max_age == 31536000
    assert f.fallback_scsv is True and f.heartbleed is False and f.ccs_injection is False
    assert f.robot == "NOT_VULNERABLE_NO_ORACLE" and f.renegotiation.secure is True
    assert f.other_tests == {
        "poodle-tls": False,
        "cve-2016-2107": False,
        "ticketbleed": False,
        "cbc-oracles-2019": False,
        "drown": False,
    }


def test_v2_single_suite_list_is_placed_on_the_versions_that_carry_it(tmp_path):
    code, out = _import(tmp_path, "v2-poodle-tls.json")
    assert code == 0
    f = _by_name(_imported(out)[0])["Optima-like"].facts
    for p in ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"):
        assert {s.name for s in f.protocols[p]} == {
            "TLS_RSA_WITH_RC4_128_SHA",
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_CBC_SHA",
        }
    assert f.protocols["TLSv1.3"] == ()  # 2015: TLS 1.3 did not exist yet
    assert f.certificate.chain[0].signature_hash == "sha1"
    assert f.other_tests["poodle-tls"] is True


def test_poodle_tls_from_ssl_labs_gives_f_and_the_grades_agree(tmp_path):
    out = _ok(tmp_path, "v2-poodle-tls.json")
    result = _by_name(_imported(out)[0])["Optima-like"]
    g = grade_result(result, date(2015, 2, 16))
    assert (g.letter, g.caps[0].rule) == ("F", "poodle-tls")
    assert difference(result, g) is None
    # before SSL Labs graded POODLE-TLS (Dec 2014) it was not an F
    assert grade_result(result, date(2014, 11, 1)).letter != "F"


def test_several_endpoints_keep_the_worst_and_say_so(tmp_path):
    out = _ok(tmp_path, "v3-two-endpoints.json")
    result = _by_name(_imported(out)[0])["Example Bank"]
    assert result.imported.source_grade == "B" and result.imported.endpoint == "192.0.2.11"
    assert result.imported.note == (
        "2 endpoints; kept the worst, 192.0.2.11 (B); others: 192.0.2.10 (A)"
    )
    assert result.facts.ip == "192.0.2.11"
    assert grade_result(result, date(2015, 3, 3)).letter == "B"


def test_2019_padding_oracle_is_f_with_its_rule(tmp_path):
    out = _ok(tmp_path, "v3-zero-length-oracle.json")
    result = _by_name(_imported(out)[0])["Oracle"]
    g = grade_result(result, date(2019, 6, 12))
    assert g.letter == "F" and [c.rule for c in g.caps if c.grade == "F"] == ["cbc-oracles-2019"]


def test_grade_json_gives_the_source_grade_beside_ours_and_why_they_differ(tmp_path, capsys):
    out = _ok(tmp_path, "ssllabs-scan-2020.json")
    capsys.readouterr()
    legacy = next((out / "imported").glob("2020-06-01T090500Z.json"))
    assert cli.main(["grade", str(legacy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    entry = next(t for t in report["targets"] if t["name"] == "Legacy")
    assert (entry["grade"], entry["source"], entry["source_grade"], entry["source_rating"]) == (
        "C",
        "SSL Labs",
        "A",
        "2009q",
    )
    assert entry["source_differs"] == (
        "SSL Labs said A (3DES: SSL Labs judges what its reference browsers negotiate, we "
        "judge what the server accepts)"
    )
    never = next(t for t in report["targets"] if t["name"] == "Never imported")
    assert never["grade"] is None and "source_grade" not in never


def test_a_change_list_across_imports_names_the_changes_and_carries_others(tmp_path):
    out = _ok(tmp_path, "v3-two-endpoints.json", "v2-poodle-tls.json")
    first, second = _imported(out)
    # Optima-like is not in the second import: its F is carried forward, not "removed"; Example
    # Bank was not in the first, so it has no "before" to change from.
    assert changes_between([first, second], first, second) == []
    since_start = {
        c.name: (c.kind, c.new_grade) for c in changes_between([first, second], None, second)
    }
    assert since_start == {
        "Optima-like": ("added", "F"),
        "Example Bank": ("added", "B"),
        "Modern": ("added", None),
        "Legacy": ("added", None),
        "Oracle": ("added", None),
        "Never imported": ("added", None),
    }


BAD_CASES = {
    "in-progress": (
        "in-progress.json",
        "in-progress.json: status: the assessment is still IN_PROGRESS: fetch it "
        "again with all=done once SSL Labs says READY",
    ),
    "error": (
        "error.json",
        "error.json: status: the assessment ended in ERROR (Unable to "
        "resolve domain name): nothing to import",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_unfinished_or_failed_assessment_exits_2_naming_file_and_path(tmp_path, capsys, case):
    name, message = BAD_CASES[case]
    code, out = _import(tmp_path, "v2-poodle-tls.json", name)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()  # nothing written, not even the good file's snapshot


def test_truncated_json_exits_2_with_line_and_nothing_written(tmp_path, capsys):
    text = (DATA / "v2-poodle-tls.json").read_text()
    bad = tmp_path / "cut.json"
    bad.write_text(text[: len(text) // 2])
    out = tmp_path / "history"
    code = cli.main(["import", "ssllabs", str(bad), "--targets", str(TARGETS), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and f"{bad}: line " in err and "not valid JSON" in err
    assert not out.exists()


def test_a_file_from_another_tool_is_named_as_such(tmp_path, capsys):
    other = tmp_path / "testssl.json"
    other.write_text(
        json.dumps(
            [
                {
                    "id": "SSLv2",
                    "ip": "a/1.2.3.4",
                    "port": "443",
                    "severity": "OK",
                    "finding": "not offered",
                }
            ]
        )
    )
    code = cli.main(
        ["import", "ssllabs", str(other), "--targets", str(TARGETS), "--out", str(tmp_path / "h")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"{other}: [0]: not an SSL Labs assessment" in err and "import testssl" in err


def test_a_host_the_list_does_not_know_names_the_target_to_add(tmp_path, capsys):
    data = json.loads((DATA / "v2-poodle-tls.json").read_text())
    data["host"] = "unknown.example.test"
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(data))
    code = cli.main(
        ["import", "ssllabs", str(path), "--targets", str(TARGETS), "--out", str(tmp_path / "h")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"{path}: host: unknown.example.test:443 is not a target of {TARGETS} — add it to "
        'the list ([[target]] host = "unknown.example.test", port = 443)'
    ) in err


def test_importing_the_same_file_twice_writes_nothing_the_second_time(tmp_path, capsys):
    assert _import(tmp_path, "v2-poodle-tls.json")[0] == 0
    before = sorted(p.name for p in (tmp_path / "history" / "imported").iterdir())
    code, _ = _import(tmp_path, "v2-poodle-tls.json")
    assert code == 2 and "imported before; nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "history" / "imported").iterdir()) == before


def test_an_endpoint_ssl_labs_could_not_reach_is_a_state_not_a_grade(tmp_path):
    data = json.loads((DATA / "v2-poodle-tls.json").read_text())
    data["endpoints"][0] = {
        "ipAddress": "192.0.2.20",
        "statusMessage": "Unable to connect to the server",
        "progress": 100,
    }
    path = tmp_path / "down.json"
    path.write_text(json.dumps(data))
    [item] = results_from_ssllabs([path], load_target_list(TARGETS))
    assert (item.result.state, item.result.reason) == (
        "refused",
        "SSL Labs: Unable to connect to the server",
    )
    assert grade_result(item.result, date(2015, 2, 16)) is None


def test_not_tested_fields_stay_not_tested(tmp_path):
    data = json.loads((DATA / "ssllabs-scan-2020.json").read_text())[0]
    details = data["endpoints"][0]["details"]
    for field in (
        "heartbleed",
        "openSslCcs",
        "poodleTls",
        "bleichenbacher",
        "zombiePoodle",
        "drownVulnerable",
        "hstsPolicy",
        "compressionMethods",
    ):
        details.pop(field)
    details["ticketbleed"] = -1  # the test failed
    path = tmp_path / "sparse.json"
    path.write_text(json.dumps(data))
    [item] = results_from_ssllabs([path], load_target_list(TARGETS))
    f = item.result.facts
    assert (f.heartbleed, f.ccs_injection, f.robot, f.hsts, f.compression) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert "poodle-tls" not in f.other_tests and "ticketbleed" not in f.other_tests
    assert "cbc-oracles-2019" not in f.other_tests and "drown" not in f.other_tests
    g = grade_result(item.result, date(2020, 6, 1))
    assert g.letter == "A" and "Heartbleed" in g.not_tested  # not confirmed as A+
    assert g.note.startswith("A+ not confirmed")


def test_build_snapshots_refuses_one_target_twice_at_one_time(tmp_path):
    copy = tmp_path / "copy.json"
    shutil.copy(DATA / "v2-poodle-tls.json", copy)
    items = results_from_ssllabs([DATA / "v2-poodle-tls.json", copy], load_target_list(TARGETS))
    with pytest.raises(ImportInputError, match="was assessed at 2015-02-16T09:00:00Z in "):
        build_snapshots(load_target_list(TARGETS), items, tool="SSL Labs")


def test_difference_is_none_without_a_source_grade():
    result = TargetResult(target=TargetRef(name="x", host="x.test"))
    assert difference(result, None) is None


def test_tables_say_what_ssl_labs_said_only_where_it_differs_under_its_own_rules(tmp_path):
    from tlsreport import render

    out = _ok(tmp_path, "ssllabs-scan-2020.json")
    modern, legacy = _imported(out)
    env = render.environment()

    def table(snap, on, **kw):  # type: ignore[no-untyped-def]
        return render.grades_view(
            env, snap, on=on, grades=BuildGrades().of_snapshot(snap, on), **kw
        )

    html = table(legacy, date(2020, 6, 1), compact=True)
    assert (
        "SSL Labs said A (3DES: SSL Labs judges what its reference browsers negotiate, "
        "we judge what the server accepts)"
    ) in html
    # the same grade as SSL Labs: nothing to say; another day's rules: no comparison
    assert "SSL Labs said" not in table(modern, date(2020, 6, 1))
    assert "SSL Labs said" not in table(legacy, date(2026, 11, 26))


def test_a_change_list_over_scans_recorded_grades_and_imports_names_the_import(tmp_path):
    from tlsreport import render
    from tlsreport.facts import Recorded

    out = _ok(tmp_path, "v2-poodle-tls.json")
    [imported] = _imported(out)
    target = _by_name(imported)["Optima-like"].target
    recorded = Snapshot(
        list_slug="imported",
        title="Imported",
        taken="2015-01-10T12:00:00Z",
        kind="recorded",
        results=(
            TargetResult(
                target=target,
                recorded=Recorded(grade="B", reasons=("RC4 (insecure)",), source="a post"),
            ),
        ),
    )
    scan = replace_results(imported, taken="2015-03-01T12:00:00Z", kind="scan")
    history = [recorded, imported, scan]
    changes = changes_between(history, recorded, scan)
    [change] = [c for c in changes if c.name == "Optima-like"]
    assert (change.old_grade, change.new_grade, change.first_seen, change.source) == (
        "B",
        "F",
        "2015-02-16",
        "imported from SSL Labs, v2-poodle-tls.json",
    )
    html = render.changes_view(render.environment(), changes, since_label="part 3")
    assert "(imported from SSL Labs, v2-poodle-tls.json)" in html


def replace_results(snapshot: Snapshot, *, taken: str, kind: str) -> Snapshot:
    """The same findings as a later scan of ours (facts kept, import record dropped)."""
    from dataclasses import replace

    return replace(
        snapshot,
        taken=taken,
        kind=kind,
        results=tuple(replace(r, imported=None) for r in snapshot.results if r.facts is not None),
    )


def test_taken_puts_a_batch_into_one_snapshot_keeping_each_assessment_time(tmp_path, capsys):
    out = tmp_path / "history"
    code = cli.main(
        [
            "import",
            "ssllabs",
            str(DATA / "ssllabs-scan-2020.json"),
            "--targets",
            str(TARGETS),
            "--out",
            str(out),
            "--taken",
            "2020-06-01T09:10:00Z",
        ]
    )
    assert code == 0
    [snapshot] = _imported(out)
    assert snapshot.taken == "2020-06-01T09:10:00Z"
    got = {r.target.name: r.imported.assessed for r in snapshot.results if r.imported}
    assert got == {"Modern": "2020-06-01T09:00:00Z", "Legacy": "2020-06-01T09:05:00Z"}
    code = cli.main(
        [
            "import",
            "ssllabs",
            str(DATA / "v2-poodle-tls.json"),
            "--targets",
            str(TARGETS),
            "--out",
            str(out),
            "--taken",
            "June",
        ]
    )
    assert code == 2
    assert "error: --taken: 'June' is not a time" in capsys.readouterr().err


def test_schema_1_snapshots_still_load_beside_schema_2_imports(tmp_path):
    repo_history = Path(__file__).resolve().parents[2] / "data" / "history"
    old = History(repo_history).load(repo_history / "belgian-banks" / "2015-03-03T120000Z.json")
    assert old.schema == 1 and all(r.imported is None for r in old.results)
    [new] = _imported(_ok(tmp_path, "v2-poodle-tls.json"))
    assert new.schema == 2


def test_a_field_of_the_wrong_type_is_bad_input_not_a_crash(tmp_path, capsys):
    data = json.loads((DATA / "ssllabs-scan-2020.json").read_text())
    data[1]["endpoints"][0]["details"]["certChains"] = ["not an object"]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(data))
    code = cli.main(
        ["import", "ssllabs", str(path), "--targets", str(TARGETS), "--out", str(tmp_path / "h")]
    )
    assert code == 2
    assert f"{path}: [1]: unexpected content (AttributeError" in capsys.readouterr().err
    assert not (tmp_path / "h").exists()
