"""The mail and expiring views (HTML, escaped) and their directives; JSON helpers."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from tlsreport.directive import DirectiveError, parse_directive
from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    Facts,
    MailDomain,
    MailPolicy,
    Snapshot,
    TargetRef,
    TargetResult,
)
from tlsreport.mailview import expiring_view, expiry_json, mail_json, mail_view

HOSTILE = '<script>alert("x")</script>'


class _Grade:
    letter = "A"


def _result(
    name: str,
    service: str,
    not_after: str,
    policy: MailPolicy | None,
    domain: MailDomain | None = None,
) -> TargetResult:
    leaf = Certificate(subject="CN=x", issuer="CN=ca", not_after=not_after)
    return TargetResult(
        target=TargetRef(name=name, host="mail.example.org", port=587, service=service),
        facts=Facts(certificate=CertificateFacts(chain=(leaf,)), mail=policy, mail_domain=domain),
    )


SLOPPY = MailPolicy(
    protocol="smtp",
    starttls_offered=True,
    auth_before_tls=("PLAIN",),
    mail_before_tls=True,
    mail_reply=f"250 {HOSTILE}",
)
SNAP = Snapshot(
    list_slug="mail",
    title="Mail",
    taken="2026-12-05T09:00:00Z",
    results=(
        _result(
            HOSTILE,
            "submission",
            "2026-12-10T00:00:00Z",
            SLOPPY,
            MailDomain(domain="example.org", tlsa_name="_25._tcp.mail.example.org"),
        ),
        _result(
            "IMAPS", "imaps", "2027-03-01T00:00:00Z", MailPolicy(protocol="imap", implicit_tls=True)
        ),
        TargetResult(target=TargetRef(name="Web", host="www.example.org")),
    ),
)


def test_mail_view_escapes_and_lists_findings_beside_the_grade():
    html = mail_view(SNAP, on=date(2026, 12, 5), grader=lambda r, on: _Grade())
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and HOSTILE in soup.get_text()
    rows = soup.select("table.tlsreport-mail-table tbody tr")
    assert [r.th.get_text() for r in rows] == [HOSTILE, "IMAPS"]
    first = rows[0].find_all("td")
    assert first[1].get_text() == "A" and first[2].get_text() == "5 days left (alert)"
    assert "tls-grade" in first[1].span["class"]  # the grade badge of the other tables
    assert [li["class"][0] for li in rows[0].select("li")][:2] == ["tlsreport-mail-bad"] * 2
    assert "not part of the grade" in soup.get_text()
    assert "Mail domain example.org" in soup.get_text()
    assert "no DANE TLSA records" in soup.get_text()


def test_mail_view_for_one_target_and_when_there_is_none():
    one = BeautifulSoup(
        mail_view(SNAP, on=date(2026, 12, 5), grader=lambda r, on: None, target="IMAPS"),
        "html.parser",
    )
    assert len(one.select("tbody tr")) == 1 and "implicit TLS" in one.get_text()
    web_only = Snapshot(
        list_slug="w", title="W", taken="2026-12-05T09:00:00Z", results=(SNAP.results[2],)
    )
    assert "No mail target" in mail_view(web_only, on=date(2026, 12, 5), grader=lambda r, on: None)


def test_expiring_view():
    soup = BeautifulSoup(expiring_view(SNAP, on=date(2026, 12, 5), within=30), "html.parser")
    rows = soup.select("tbody tr")
    assert len(rows) == 1 and rows[0]["class"] == ["tlsreport-expiry-alert"]
    assert rows[0].find_all("td")[1].get_text() == "5 days left"
    assert soup.find("script") is None
    none = expiring_view(SNAP, on=date(2026, 12, 5), within=3)
    assert "No certificate ends within 3 days of 2026-12-05" in none


def test_json_helpers():
    assert expiry_json(SNAP.results[0], date(2026, 12, 20)) == {
        "not_after": "2026-12-10",
        "days_left": -10,
        "expiry": "expired",
        "expiry_text": "expired 10 days ago",
    }
    assert expiry_json(SNAP.results[2], date(2026, 12, 5))["days_left"] is None
    found = mail_json(SNAP.results[0])
    assert found["mail_policy"][0]["id"] == "auth-before-tls"
    assert {f["id"] for f in found["mail_domain"]} >= {"no-mta-sts", "no-dane"}
    assert mail_json(SNAP.results[2]) == {"mail_policy": [], "mail_domain": []}


def test_directives():
    d = parse_directive("[tlsreport expiring list=mail within=14]")
    assert d.options == {"list": "mail", "within": 14}
    assert parse_directive('[tlsreport mail list=mail target="SMTP"]').options["target"] == "SMTP"
    with pytest.raises(DirectiveError, match="number of days"):
        parse_directive("[tlsreport expiring list=mail within=soon]")
    with pytest.raises(DirectiveError, match="unknown option 'within' for view 'mail'"):
        parse_directive("[tlsreport mail list=mail within=3]")
