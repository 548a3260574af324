"""A host with several addresses on the built site (issue 11, point 1): the grades table says
when the endpoints differ, the target page lists every address with its own grade, and the
change list reports a changed set of addresses. A real Pelican build, read back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from gradekit import make_facts
from sitekit import build, post, soup, write_history
from tlsreport.facts import Endpoint, Snapshot, TargetRef, TargetResult

GOOD = make_facts()
TLS10 = make_facts(protocols={"TLSv1.0": GOOD.protocols["TLSv1.2"], "TLSv1.2": (), "TLSv1.3": ()})


def _bank(*endpoints: tuple[str, object]) -> TargetResult:
    eps = tuple(Endpoint(address=a, facts=replace(f, ip=a)) for a, f in endpoints)
    ref = TargetRef(name="Bank", host="bank.example")
    if len(eps) == 1:
        return TargetResult(target=ref, facts=eps[0].facts)
    return TargetResult(target=ref, facts=eps[0].facts, endpoints=eps)


def _scan(taken: str, result: TargetResult) -> Snapshot:
    return Snapshot(list_slug="banks", title="Banks", taken=taken, kind="scan", results=(result,))


def test_endpoints_show_in_tables_target_pages_and_change_lists(tmp_path: Path) -> None:
    write_history(
        tmp_path / "history",
        [
            _scan("2026-01-05T06:00:00Z", _bank(("192.0.2.1", GOOD))),
            _scan("2026-01-12T06:00:00Z", _bank(("192.0.2.1", GOOD), ("192.0.2.2", TLS10))),
        ],
    )
    post(tmp_path, "a", "[tlsreport grades list=banks]\n", Date="2026-01-05 12:00")
    post(
        tmp_path,
        "b",
        "[tlsreport grades list=banks]\n\n[tlsreport changes list=banks]\n",
        Date="2026-01-13 12:00",
    )
    out = build(tmp_path)

    b = soup(out / "b.html")
    grades = b.select_one(".tlsreport-grades")
    c_section = grades.select_one("#tlsreport-banks-c + ul")
    assert c_section is not None and "Bank" in c_section.get_text()
    assert "1 of 2 addresses; the other A+" in c_section.get_text()
    change = b.select_one(".tlsreport-changes li").get_text(" ", strip=True)
    assert "A+" in change and "C" in change
    assert "192.0.2.1 → 192.0.2.1, 192.0.2.2" in change

    data = json.loads((out / "tlsreport" / "data" / "b.json").read_text())
    assert data["rows"][0]["reasons"][0] == "1 of 2 addresses; the other A+"  # as the table

    a = soup(out / "a.html")  # one address then: nothing about endpoints
    assert "addresses" not in a.select_one(".tlsreport-grades").get_text()

    page = soup(out / "tlsreport" / "banks" / "bank.html")
    rows = [
        [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        for tr in page.select(".tlsreport-endpoints tbody tr")
    ]
    assert [r[:2] for r in rows] == [["192.0.2.1", "A+"], ["192.0.2.2", "C"]]
    assert "no TLS 1.2" in rows[1][2]
    assert page.select_one("#endpoints") is not None
    address = page.select_one(".tlsreport-findings .tlsreport-address").get_text(" ", strip=True)
    assert address.startswith("Address: 192.0.2.1 (the first of 2 addresses")
