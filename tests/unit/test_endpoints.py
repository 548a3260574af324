"""Endpoints (issue 11, point 1): every address of a host, each graded, the worst one counts.

Pure parts: the target list's ``address = [...]``, the worst endpoint's grade and the words
for "they differ", ``grade --json``'s endpoints list, a changed set of addresses in the
change list, and version 1 snapshots loading as one endpoint.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from gradekit import make_facts
from tlsreport import facts
from tlsreport.cli import main
from tlsreport.diff import changes_between
from tlsreport.grading import grade_result
from tlsreport.history import History
from tlsreport.render import endpoints_table, environment, reasons_of
from tlsreport.targets import TargetListError, load_target_list

TODAY = date(2026, 11, 26)
CLEAN = make_facts(ip="192.0.2.1")
TLS10 = replace(make_facts(protocols={"TLSv1.0": (), "TLSv1.2": (), "TLSv1.3": ()}), ip="x")


def _list(tmp_path: Path, address: str) -> Path:
    path = tmp_path / "l.toml"
    path.write_text(
        f'title = "L"\n\n[[target]]\nname = "Bank"\nhost = "bank.example"\naddress = {address}\n'
    )
    return path


def test_address_pins_one_or_several(tmp_path: Path) -> None:
    one = load_target_list(_list(tmp_path, '"192.0.2.1"')).targets[0]
    assert (one.address, one.addresses) == ("192.0.2.1", ())
    two = load_target_list(_list(tmp_path, '["192.0.2.1", "2001:db8::1"]')).targets[0]
    assert (two.address, two.addresses) == ("192.0.2.1", ("192.0.2.1", "2001:db8::1"))
    assert two.ref().addresses == ("192.0.2.1", "2001:db8::1")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[]", "an empty list pins no address"),
        ('["192.0.2.1", "nope"]', "'nope' is not an IP address"),
        ('["192.0.2.1", "192.0.2.1"]', "192.0.2.1 is listed twice"),
    ],
)
def test_a_bad_address_list_names_file_line_and_field(
    tmp_path: Path, value: str, message: str
) -> None:
    with pytest.raises(TargetListError) as err:
        load_target_list(_list(tmp_path, value))
    text = str(err.value)
    assert message in text and "target[1].address" in text and "l.toml:6" in text


def _two(second: facts.Endpoint) -> facts.TargetResult:
    ref = facts.TargetRef(name="Bank", host="good.lab.test")
    first = facts.Endpoint(address="127.0.0.1", facts=replace(CLEAN, ip="127.0.0.1"))
    return facts.TargetResult(target=ref, facts=first.facts, endpoints=(first, second))


C_SERVER = facts.Endpoint(
    address="127.0.0.2",
    facts=make_facts(
        protocols={"TLSv1.0": make_facts().protocols["TLSv1.2"], "TLSv1.2": (), "TLSv1.3": ()},
        ip="127.0.0.2",
    ),
)


def test_the_target_gets_the_worst_endpoints_grade_and_says_the_endpoints_differ() -> None:
    g = grade_result(_two(C_SERVER), TODAY)
    assert g is not None and g.letter == "C"
    assert [(e.address, e.letter) for e in g.endpoints] == [("127.0.0.1", "A+"), ("127.0.0.2", "C")]
    assert g.endpoints_note == "1 of 2 addresses; the other A+"
    result = _two(C_SERVER)
    assert reasons_of(result, g)[0] == "1 of 2 addresses; the other A+"


def test_endpoints_that_agree_say_nothing_more() -> None:
    same = facts.Endpoint(address="127.0.0.2", facts=replace(CLEAN, ip="127.0.0.2"))
    g = grade_result(_two(same), TODAY)
    assert g.letter == "A+" and g.endpoints_note == ""


def test_an_unreachable_endpoint_is_its_own_state_not_the_targets() -> None:
    down = facts.Endpoint(address="127.0.0.2", state="refused", reason="connection refused")
    g = grade_result(_two(down), TODAY)
    assert g.letter == "A+"
    assert g.endpoints_note == "1 of 2 addresses; the other refused"
    html = endpoints_table(environment(), g)
    assert "127.0.0.2" in html and "connection refused" in html and "tls-grade-a-plus" in html


def test_the_endpoints_table_escapes_and_is_empty_for_one_address() -> None:
    env = environment()
    assert (
        endpoints_table(
            env,
            grade_result(
                facts.TargetResult(
                    target=facts.TargetRef(name="x", host="good.lab.test"), facts=CLEAN
                ),
                TODAY,
            ),
        )
        == ""
    )
    down = facts.Endpoint(address="127.0.0.2", state="error", reason="<script>x</script>")
    html = endpoints_table(env, grade_result(_two(down), TODAY))
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def _snapshot(taken: str, *results: facts.TargetResult) -> facts.Snapshot:
    return facts.Snapshot(list_slug="banks", title="Banks", taken=taken, results=results)


def test_a_changed_set_of_addresses_is_a_change_even_with_the_same_grade() -> None:
    ref = facts.TargetRef(name="Bank", host="good.lab.test")
    before = _snapshot(
        "2026-11-01T00:00:00Z", facts.TargetResult(target=ref, facts=replace(CLEAN, ip="127.0.0.1"))
    )
    same = facts.Endpoint(address="127.0.0.2", facts=replace(CLEAN, ip="127.0.0.2"))
    after = _snapshot("2026-11-20T00:00:00Z", _two(same))
    [change] = changes_between([before, after], before, after)
    assert (change.old_grade, change.new_grade) == ("A+", "A+")
    assert change.old_addresses == ("127.0.0.1",)
    assert change.new_addresses == ("127.0.0.1", "127.0.0.2")
    assert changes_between([after, after], after, after) == []
    from tlsreport.render import changes_view

    html = changes_view(environment(), [change], since_label="the last post")
    assert "still" in html and "127.0.0.1, 127.0.0.2" in html


def test_a_version_1_snapshot_loads_as_one_endpoint_and_grade_json_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(
        "2026-11-20T00:00:00Z",
        facts.TargetResult(target=facts.TargetRef(name="Bank", host="good.lab.test"), facts=CLEAN),
    )
    data = facts.to_json(snap)
    data["schema"] = 1
    for r in data["results"]:  # what tlsreport wrote before endpoints
        del r["endpoints"]
        del r["target"]["addresses"]
        for key in ("fetched", "fetched_from", "fetch_error"):
            del r["facts"]["certificate"][key]
    path = tmp_path / "history" / "banks" / "2026-11-20T000000Z.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    loaded = History(tmp_path / "history").load(path)
    assert loaded.schema == 1 and loaded.results[0].endpoints == ()
    assert main(["grade", "--json", str(path)]) == 0
    [target] = json.loads(capsys.readouterr().out)["targets"]
    assert target["grade"] == "A+"
    assert target["endpoints"] == [
        {
            "address": "192.0.2.1",
            "state": "ok",
            "reason": None,
            "grade": "A+",
            "grade_if_trusted": "A+",
            "reasons": [],
            "reason_ids": [],
        }
    ]


def test_grade_json_lists_every_endpoint_beside_the_targets_grade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = History(tmp_path / "history")
    path = history.write(_snapshot("2026-11-20T00:00:00Z", _two(C_SERVER)))
    assert main(["grade", "--json", str(path)]) == 0
    [target] = json.loads(capsys.readouterr().out)["targets"]
    assert target["grade"] == "C"
    assert target["endpoints_note"] == "1 of 2 addresses; the other A+"
    assert [(e["address"], e["state"], e["grade"]) for e in target["endpoints"]] == [
        ("127.0.0.1", "ok", "A+"),
        ("127.0.0.2", "ok", "C"),
    ]
    assert "no-tls12" in target["endpoints"][1]["reason_ids"]
