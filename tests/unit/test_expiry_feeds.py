"""Days left, expiry levels and Atom feeds from snapshots (pure; feeds parsed as XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest
from tlsreport.expiry import expiring, expiry_of, level_for
from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    Facts,
    Recorded,
    Snapshot,
    TargetRef,
    TargetResult,
)
from tlsreport.feeds import ATOM, entries, list_feed, target_feed
from tlsreport.vocabulary import days_left_text

NS = {"a": ATOM}


def _scan(name: str, not_after: str, port: int = 25) -> TargetResult:
    leaf = Certificate(subject=f"CN={name}", issuer="CN=CA", not_after=not_after)
    return TargetResult(
        target=TargetRef(name=name, host=f"{name}.example.org", port=port, service="smtp"),
        facts=Facts(certificate=CertificateFacts(chain=(leaf,))),
    )


def _recorded(name: str, grade: str) -> TargetResult:
    return TargetResult(
        target=TargetRef(name=name, host=f"{name}.example.org"), recorded=Recorded(grade=grade)
    )


def _snap(taken: str, *results: TargetResult, kind: str = "scan") -> Snapshot:
    return Snapshot(
        list_slug="mail", title="Mail <servers>", taken=taken, kind=kind, results=results
    )


def test_days_left_text():
    # The words are vocabulary's (one place for them); expiry only counts.
    assert [days_left_text(d) for d in (12, 1, 0, -1, -3)] == [
        "12 days left",
        "1 day left",
        "expires today",
        "expired 1 day ago",
        "expired 3 days ago",
    ]


def test_levels_at_the_thresholds():
    assert [level_for(d) for d in (31, 30, 8, 7, 0, -1)] == [
        "ok",
        "warning",
        "warning",
        "alert",
        "alert",
        "expired",
    ]
    assert level_for(10, warn_days=14, alert_days=10) == "alert"
    with pytest.raises(ValueError, match="alert"):
        level_for(3, warn_days=5, alert_days=9)


def test_expiry_of_a_result_counts_from_the_day_given():
    result = _scan("mx", "2026-12-20T10:00:00Z")
    exp = expiry_of(result, date(2026, 12, 5))
    assert exp is not None and (exp.days_left, exp.level) == (15, "warning")
    assert days_left_text(exp.days_left) == "15 days left"
    assert expiry_of(_recorded("x", "A"), date(2026, 12, 5)) is None


def test_expiring_list_is_soonest_first_and_bounded():
    snap = _snap(
        "2026-12-05T09:00:00Z",
        _scan("b", "2026-12-30T00:00:00Z"),
        _scan("a", "2027-03-01T00:00:00Z", 26),
        _scan("c", "2026-12-01T00:00:00Z", 27),
    )
    got = [(r.target.name, e.days_left) for r, e in expiring(snap, date(2026, 12, 5), within=30)]
    assert got == [("c", -4), ("b", 25)]


def _letters(result: TargetResult, on: date, taken: date) -> str | None:
    return result.recorded.grade if result.recorded else None


def test_feed_entries_for_grade_changes_and_endpoints():
    snaps = [
        _snap(
            "2015-02-16T12:00:00Z", _recorded("ING", "A-"), _recorded("KBC", "F"), kind="recorded"
        ),
        _snap("2015-03-03T12:00:00Z", _recorded("ING", "A"), kind="recorded"),
        _snap(
            "2015-03-04T12:00:00Z", _recorded("ING", "A"), _recorded("BNP", "B"), kind="recorded"
        ),
    ]
    found = entries(snaps, id_base="https://blog.example/tls/mail.atom.xml", letter=_letters)
    assert [(e.updated[:10], e.kind, e.title) for e in found] == [
        ("2015-03-04", "new", "BNP: new endpoint, graded B"),
        ("2015-03-03", "grade", "ING: A- → A"),
        ("2015-03-03", "lost", "KBC: endpoint gone"),
        ("2015-02-16", "new", "KBC: new endpoint, graded F"),
        ("2015-02-16", "new", "ING: new endpoint, graded A-"),
    ]
    assert len({e.id for e in found}) == len(found)


def test_feed_expiry_entries_warn_then_alert_then_renewed():
    snaps = [
        _snap("2026-11-01T00:00:00Z", _scan("mx", "2026-12-10T00:00:00Z")),  # 39 days
        _snap("2026-11-15T00:00:00Z", _scan("mx", "2026-12-10T00:00:00Z")),  # 25: warning
        _snap("2026-11-20T00:00:00Z", _scan("mx", "2026-12-10T00:00:00Z")),  # 20: same
        _snap("2026-12-05T00:00:00Z", _scan("mx", "2026-12-10T00:00:00Z")),  # 5: alert
        _snap("2026-12-06T00:00:00Z", _scan("mx", "2027-03-06T00:00:00Z")),
    ]  # renewed
    found = [e for e in entries(snaps, id_base="x", letter=lambda *_: None) if e.kind == "expiry"]
    assert [(e.updated[:10], e.title) for e in found] == [
        ("2026-12-06", "mx: certificate renewed"),
        ("2026-12-05", "mx: certificate 5 days left"),
        ("2026-11-15", "mx: certificate 25 days left"),
    ]


def test_atom_feeds_parse_and_are_deterministic():
    snaps = [
        _snap(
            "2026-11-15T00:00:00Z",
            _scan("mx", "2026-12-10T00:00:00Z"),
            _scan("imap\x01<b>", "2027-01-10T00:00:00Z", 143),
        )
    ]
    text = list_feed(
        snaps,
        base_url="https://blog.example/tls/",
        slug="mail",
        title="Mail <servers>",
        letter=lambda *_: "A",
    )
    assert text == list_feed(
        snaps,
        base_url="https://blog.example/tls/",
        slug="mail",
        title="Mail <servers>",
        letter=lambda *_: "A",
    )
    root = ET.fromstring(text.encode())
    assert root.tag == f"{{{ATOM}}}feed"
    assert root.findtext("a:id", namespaces=NS) == "https://blog.example/tls/mail.atom.xml"
    assert root.findtext("a:title", namespaces=NS) == "Mail <servers>: TLS report"
    assert root.findtext("a:updated", namespaces=NS) == "2026-11-15T00:00:00Z"
    assert root.find("a:author/a:name", NS) is not None
    titles = [e.findtext("a:title", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert sorted(titles) == [
        "imap\ufffd<b>: new endpoint, graded A",
        "mx: certificate 25 days left",
        "mx: new endpoint, graded A",
    ]
    for entry in root.findall("a:entry", NS):
        for tag in ("id", "title", "updated", "summary"):
            assert entry.findtext(f"a:{tag}", namespaces=NS)
    one = ET.fromstring(
        target_feed(
            snaps,
            "mx.example.org:25/smtp",
            base_url="https://b/",
            slug="mail",
            target_slug="mx",
            name="mx",
            letter=lambda *_: "A",
        ).encode()
    )
    assert one.findtext("a:id", namespaces=NS) == "https://b/mail/mx.atom.xml"
    assert len(one.findall("a:entry", NS)) == 2


def test_empty_feed_is_still_valid_atom():
    root = ET.fromstring(
        list_feed(
            [_snap("2026-11-15T00:00:00Z")],
            base_url="https://b",
            slug="mail",
            title="Mail",
            letter=lambda *_: None,
        ).encode()
    )
    assert root.findtext("a:updated", namespaces=NS) == "2026-11-15T00:00:00Z"
    assert root.findall("a:entry", NS) == []


def test_feed_files_of_a_site_build():
    from tlsreport.feeds import feed_files

    snaps = [
        _snap(
            "2026-11-15T00:00:00Z",
            _scan("mx", "2026-12-10T00:00:00Z"),
            _scan("imap", "2027-01-10T00:00:00Z", 143),
        )
    ]
    stems = {"mx.example.org:25/smtp": "mx", "imap.example.org:143/smtp": "imap"}
    files = feed_files(
        [("mail", "Mail", snaps), ("empty", "Empty", [])],
        out_dir="tlsreport",
        site_url="https://blog.example",
        target_stems=lambda slug: stems,
        letter=lambda *_: "A",
    )
    assert sorted(files) == [
        "tlsreport/mail.atom.xml",
        "tlsreport/mail/imap.atom.xml",
        "tlsreport/mail/mx.atom.xml",
    ]
    whole = ET.fromstring(files["tlsreport/mail.atom.xml"])
    mx = ET.fromstring(files["tlsreport/mail/mx.atom.xml"])
    ids = {e.findtext("a:id", namespaces=NS) for e in whole.findall("a:entry", NS)}
    mx_ids = {e.findtext("a:id", namespaces=NS) for e in mx.findall("a:entry", NS)}
    assert len(ids) == 3 and len(mx_ids) == 2 and mx_ids <= ids  # the same entries, same ids
    assert mx.findtext("a:id", namespaces=NS) == "https://blog.example/tlsreport/mail/mx.atom.xml"
    link = mx.find("a:entry/a:link", NS)
    assert link is not None and link.get("href") == "https://blog.example/tlsreport/mail/mx.html"
    dev = feed_files(
        [("mail", "Mail", snaps)],
        out_dir="tlsreport",
        site_url="",
        target_stems=lambda slug: stems,
        letter=lambda *_: "A",
    )
    dev_id = ET.fromstring(dev["tlsreport/mail.atom.xml"]).findtext("a:id", namespaces=NS)
    assert dev_id == "tag:tlsreport,2026:tlsreport/mail.atom.xml"  # absolute without SITEURL
