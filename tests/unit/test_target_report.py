"""The target page's report: at least what SSL Labs' report shows for one host.

Grade and grade-if-trusted, the four scores as bars, every cap with its reason and the rule's
date, a protocol table (yes / no / not tested), suites per protocol with weak ones marked, the
certificate chain with days left, HSTS, the "not tested" list; and a history that reads well
with one snapshot or several on one day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bs4 import BeautifulSoup
from gradekit import RC4, TLS12, cert, certificate, make_facts
from tlsreport import render
from tlsreport.facts import Certificate, TargetRef, TargetResult
from tlsreport.grading import grade_result

DAY = date(2026, 12, 5)


def _result(facts, name: str = "Lab") -> TargetResult:  # type: ignore[no-untyped-def]
    return TargetResult(target=TargetRef(name=name, host="good.lab.test"), facts=facts)


def _report(result: TargetResult) -> BeautifulSoup:
    grade = grade_result(result, DAY)
    html = render.target_report(render.environment(), result, grade, on=DAY)
    return BeautifulSoup(html, "html.parser")


def test_an_untrusted_server_shows_its_grade_and_the_grade_if_trusted() -> None:
    doc = _report(_result(make_facts(certificate=certificate(problem="self-signed"))))
    overall = doc.find("p", class_="tlsreport-overall")
    badges = [b.get_text() for b in overall.find_all("span", class_="tls-grade")]
    assert badges == ["T", "A+"]
    assert "if the certificate were trusted" in overall.get_text()
    assert "not trusted: self-signed certificate" in doc.get_text()


def test_the_four_scores_are_bars_with_their_numbers() -> None:
    result = _result(make_facts())
    grade = grade_result(result, DAY)
    assert grade is not None and grade.scores is not None
    meters = _report(result).find_all("meter")
    assert [m.find_parent("div").dt.get_text() for m in meters] == [
        "Protocol support",
        "Key exchange",
        "Cipher strength",
        "Overall",
    ]
    assert [int(m["value"]) for m in meters] == [
        grade.scores.protocol,
        grade.scores.key_exchange,
        grade.scores.cipher,
        grade.scores.total,
    ]


def test_every_cap_has_its_reason_and_the_date_its_rule_took_effect() -> None:
    result = _result(make_facts(add={"TLSv1.2": (RC4,)}))
    grade = grade_result(result, DAY)
    assert grade is not None and grade.caps
    caps = _report(result).find("ul", class_="tlsreport-caps").find_all("li")
    texts = [li.get_text(" ", strip=True) for li in caps]
    assert any("RC4 with modern browsers" in t and "rule in force since" in t for t in texts)
    assert not any("RC4 (insecure)" in t for t in texts)  # the pair is folded here too
    for li in caps:
        assert li.time is not None and len(li.time["datetime"]) == 10


def test_the_protocol_table_says_yes_no_or_not_tested_for_ssl2_to_tls13() -> None:
    facts = make_facts()
    protos = dict(facts.protocols)
    del protos["SSLv2"]  # its scan did not complete: not tested, never "no"
    doc = _report(_result(replace(facts, protocols=protos)))
    rows = [
        [c.get_text() for c in tr.find_all(["th", "td"])]
        for tr in doc.find("table", class_="tlsreport-protocols").tbody.find_all("tr")
    ]
    assert rows == [
        ["SSL 2", "not tested"],
        ["SSL 3", "no"],
        ["TLS 1.0", "no"],
        ["TLS 1.1", "no"],
        ["TLS 1.2", "yes"],
        ["TLS 1.3", "yes"],
    ]


def test_suites_are_listed_per_protocol_with_the_weak_ones_marked() -> None:
    doc = _report(_result(make_facts(protocols={"TLSv1.2": (*TLS12, RC4)})))
    tables = doc.find_all("table", class_="tlsreport-suites")
    assert [t.caption.get_text() for t in tables] == ["TLS 1.3 (3 suites)", "TLS 1.2 (3 suites)"]
    weak = tables[1].find_all("tr", class_="tlsreport-weak")
    assert len(weak) == 1 and "TLS_RSA_WITH_RC4_128_SHA" in weak[0].get_text()
    assert "RC4" in weak[0].th.get_text() and "no forward secrecy" in weak[0].th.get_text()


def test_the_chain_shows_subject_issuer_key_hash_and_days_left() -> None:
    leaf, inter = cert()
    leaf = replace(leaf, not_before="2026-01-01T00:00:00Z", not_after="2026-11-05T00:00:00Z")
    inter = replace(inter, not_before="2025-01-01T00:00:00Z", not_after="2030-01-01T00:00:00Z")
    facts = make_facts(certificate=certificate(problem="expired", chain=(leaf, inter)))
    doc = _report(_result(facts))
    certs = doc.find_all("table", class_="tlsreport-cert")
    assert [t.caption.get_text() for t in certs] == ["server certificate", "chain certificate 1"]
    first = {tr.th.get_text(): tr.td.get_text() for tr in certs[0].find_all("tr")}
    assert first["Subject"] == "CN=good.lab.test" and first["Issuer"] == "CN=Lab Intermediate"
    assert first["Key"] == "RSA 2048" and first["Signature hash"] == "SHA256"
    assert "expired on 5 November 2026 (30 days before the scan)" in first["Validity"]
    assert "tlsreport-expired" in certs[0]["class"]
    second = {tr.th.get_text(): tr.td.get_text() for tr in certs[1].find_all("tr")}
    assert "expires on 1 January 2030" in second["Validity"] and "days left" in second["Validity"]


def test_hsts_and_the_not_tested_list_are_shown() -> None:
    result = _result(make_facts())
    grade = grade_result(result, DAY)
    assert grade is not None and grade.not_tested
    doc = _report(result)
    assert "max-age=31536000 (365 days)" in doc.get_text()
    listed = [li.get_text() for li in doc.find("ul", class_="tlsreport-not-tested").find_all("li")]
    assert listed[: len(grade.not_tested)] == list(grade.not_tested)


def test_server_text_in_the_report_stays_text() -> None:
    evil = Certificate(
        subject="CN=<script>alert(1)</script>",
        issuer="CN=<b>x</b>",
        sans=("<img src=x>",),
        signature_hash="sha256",
        key_type="RSA",
        key_bits=2048,
    )
    doc = _report(_result(make_facts(certificate=certificate(chain=(evil,)))))
    assert doc.find("script") is None and doc.find("img") is None and doc.find("b") is None
    assert "CN=<script>alert(1)</script>" in doc.get_text()


def test_an_unreachable_target_reports_not_tested_and_why() -> None:
    result = TargetResult(target=TargetRef(name="Closed", host="closed.lab.test"), state="refused")
    doc = _report(result)
    assert doc.find("span", class_="tls-grade").get_text() == "not tested"
    assert "connection refused" in doc.get_text()
    assert doc.find("table") is None


# --- history ---------------------------------------------------------------------------------


def test_same_day_snapshots_show_their_times_newest_first() -> None:
    result = _result(make_facts())
    grade = grade_result(result, DAY)
    at = [datetime(2026, 12, 5, h, m, tzinfo=UTC) for h, m in ((8, 23), (9, 5), (14, 40))]
    rows_in = [(t, grade, result) for t in at] + [
        (datetime(2026, 11, 26, 10, 0, tzinfo=UTC), grade, result)
    ]
    doc = BeautifulSoup(render.target_history_table(render.environment(), rows_in), "html.parser")
    firsts = [tr.th.get_text() for tr in doc.tbody.find_all("tr")]
    assert firsts == [
        "5 December 2026, 14:40 UTC",
        "5 December 2026, 09:05 UTC",
        "5 December 2026, 08:23 UTC",
        "26 November 2026",
    ]
    assert len(set(firsts)) == len(firsts)
