"""The example site, built for real: what a reader of the Belgian banks series sees.

The site is built once per test session from the repository's own pelican.conf.py, content/,
data/ and theme/ (the plugin included) into a temporary folder, with scanning off — the bank
list is an archive and must never be scanned. Then the HTML is read with BeautifulSoup and
compared with what the 2015 posts recorded (/work/shared/reference/example-series.md,
re-created in data/history/belgian-banks/).
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from browserkit import build_example_site
from bs4 import BeautifulSoup, Tag
from tlsreport import facts

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "data" / "history"

SHA1 = "weak signature (SHA1)"
NO12 = "no TLS 1.2"
RC4 = "RC4 (insecure)"
NOFS = "no Forward Secrecy"
SSL3 = "SSL3 (insecure)"
NORENEG = "no support for secure renegotiation"

# Part 4, as of 2015-03-03: grade -> {bank: reasons}. The A list is known only from the
# change list (no reasons recorded); Europabank (untestable) is under "not tested", the banks
# whose grade was not noted under "not recorded" (issue 15: two states, not one). Triodos is
# not on part 4's list at all: part 4 never named it.
PART4 = {
    "A+": {},
    "A": {"Keytrade": [], "Hello Bank!": [], "MeDirect": [], "Crelan": []},
    "A-": {"ING": [], "Record Bank": [], "Ogone": []},
    "B": {
        "Argenta": [SSL3, SHA1, RC4, NOFS],
        "ABK": [SHA1, NO12, NOFS, NORENEG],
        "AXA": [SHA1, SSL3, RC4, NOFS],
        "Bank Van Breda": [SHA1, NO12, NOFS, NORENEG],
        "beobank": [SHA1, NO12, RC4, NOFS],
        "BKCP": [SHA1, NO12, RC4, NOFS],
        "CPH": [NO12, RC4, NOFS],
        "DHB Bank": [SHA1, RC4],
        "Fortuneo": [SHA1, NO12, NOFS],
        "KBC": [SHA1, NO12, NOFS],
        "NIBC Direct": [SHA1, RC4, NOFS],
        "VDK": [SSL3, NO12, SHA1, RC4, NOFS],
    },
    "C": {"PSA Bank": [SHA1, NO12, RC4, NOFS]},
    "D": {},
    "E": {},
    "F": {"Optima Bank": ["vulnerable to POODLE (SSL3 and TLS)", SHA1, "RC4", NOFS]},
}
NOT_TESTED_PART4 = {"Europabank"}
NOT_RECORDED_PART4 = {"Delta Lloyd", "Deutsche Bank", "Moneyou", "Binck", "Isabel"}

# Part 4's change list: date first seen -> {bank: (from, to)}; None = added to the list.
# Fortuneo joined on 02-18 (at C, the grade its 03-02 change started from) and reached B on
# 03-02, exactly as the original post listed it.
PART4_CHANGES = {
    "2015-02-16": {
        "Keytrade": ("B", "A"),
        "Hello Bank!": ("C", "A"),
        "ING": ("F", "A-"),
        "Record Bank": ("F", "A-"),
    },
    "2015-02-17": {"ABK": ("F", "B"), "Bank Van Breda": ("C", "B")},
    "2015-02-18": {
        "MeDirect": ("F", "A"),
        "Delta Lloyd": None,
        "Deutsche Bank": None,
        "Moneyou": None,
        "Fortuneo": None,
        "BKCP": None,
        "Binck": None,
        "Isabel": None,
    },
    "2015-02-27": {"Ogone": ("C", "A-")},
    "2015-03-02": {"Fortuneo": ("C", "B")},
    "2015-03-03": {"Crelan": ("B", "A")},
}


# --- the data itself ----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(HISTORY.glob("*/*.json")), ids=lambda p: p.name)
def test_every_history_file_loads_and_is_named_by_its_time(path: Path) -> None:
    snapshot = facts.from_json(facts.Snapshot, json.loads(path.read_text()), str(path))
    assert snapshot.list_slug == path.parent.name
    stamp = snapshot.taken.replace("-", "").replace(":", "")
    assert path.stem.replace("-", "") == stamp
    keys = [r.target.key for r in snapshot.results]
    assert len(keys) == len(set(keys)), "a target appears twice"


def test_recorded_bank_history_never_invents_a_part5_grade() -> None:
    """End of 2015: only the C list, Hello Bank!, Optima and AXA were recorded."""
    data = json.loads((HISTORY / "belgian-banks" / "2015-12-30T120000Z.json").read_text())
    snapshot = facts.from_json(facts.Snapshot, data)
    graded = {
        r.target.name: r.recorded.grade for r in snapshot.results if r.recorded and r.recorded.grade
    }
    assert graded == {
        "PSA Bank": "C",
        "beobank": "C",
        "BKCP": "C",
        "Hello Bank!": "B",
        "Optima Bank": "A-",
        "AXA": "A+",
    }
    assert "F" not in graded.values()


# --- the built site -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = build_example_site(
        tmp_path_factory.mktemp("example-site"), tmp_path_factory.mktemp("example-cache")
    )
    yield out


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _name_of(li: Tag) -> str:
    """The target's name in a list entry: its link, else its text up to the first colon."""
    link = li.find("a")
    if link is not None:
        return link.get_text(" ", strip=True)
    li = copy.copy(li)
    for span in li.select("span.tls-reason, span.tls-grade, span.tls-cause-rules"):
        span.decompose()
    return li.get_text(" ", strip=True).split(":")[0].strip()


def _entry(items: list[Tag], name: str) -> Tag:
    pattern = re.compile(rf"^{re.escape(name)}(?!\w)")
    found = [li for li in items if pattern.match(_name_of(li))]
    assert len(found) == 1, f"{name!r}: {[_name_of(li) for li in items]}"
    return found[0]


def _norm(label: str) -> str:
    return re.sub(r"\s+", "", label).lower()


def _grade_sections(html: BeautifulSoup) -> dict[str, Tag]:
    """Heading (badge letter, or its text for "not tested") -> the list under it; each letter
    of a collapsed "no D or E" line -> that line."""
    block = html.select_one("div.tlsreport-grades")
    assert block is not None, "no grades view"
    sections: dict[str, Tag] = {}
    for heading in block.select("h3.tlsreport-grade-heading"):
        badge = heading.select_one("span.tls-grade")
        key = badge.get_text(strip=True) if badge else heading.get_text(" ", strip=True)
        sections[key] = heading.find_next_sibling(["ul", "p"])
    for line in block.select("p.tlsreport-none"):
        text = line.get_text(strip=True)
        assert text.startswith("no "), text
        for letter in re.split(r", | or ", text.removeprefix("no ")):
            sections[letter] = line
    return sections


def _is_none_line(under: Tag) -> bool:
    return under.name == "p" and "tlsreport-none" in under["class"]


def test_part4_lists_every_recorded_bank_under_its_grade_with_its_reasons(site: Path) -> None:
    sections = _grade_sections(_soup(site / "belgian-banks-ssl-part-4.html"))
    for grade, banks in PART4.items():
        under = sections[grade]
        if not banks:
            assert _is_none_line(under), grade
            continue
        items = under.find_all("li")
        assert len(items) == len(banks), (grade, [_name_of(li) for li in items])
        for bank, reasons in banks.items():
            shown = {_norm(s.get_text()) for s in _entry(items, bank).select("span.tls-reason")}
            missing = [r for r in reasons if _norm(r) not in shown]
            assert missing == [], (grade, bank)


def test_part4_shows_only_the_reasons_the_post_recorded(site: Path) -> None:
    """Reasons are the published labels: none inferred, none renamed (the post is a quote)."""
    sections = _grade_sections(_soup(site / "belgian-banks-ssl-part-4.html"))
    extra = {}
    for grade, banks in PART4.items():
        if not banks:
            continue
        items = sections[grade].find_all("li")
        for bank, reasons in banks.items():
            shown = [s.get_text(strip=True) for s in _entry(items, bank).select("span.tls-reason")]
            added = [r for r in shown if _norm(r) not in {_norm(x) for x in reasons}]
            if added:
                extra[bank] = added
    assert extra == {}


def test_part4_says_no_d_or_e_in_one_line(site: Path) -> None:
    sections = _grade_sections(_soup(site / "belgian-banks-ssl-part-4.html"))
    assert sections["D"] is sections["E"]
    assert sections["D"].get_text(strip=True) == "no D or E"


def test_part4_lists_untestable_banks_as_not_tested_and_unrecorded_ones_apart(site: Path) -> None:
    sections = _grade_sections(_soup(site / "belgian-banks-ssl-part-4.html"))
    for heading, banks in (("not tested", NOT_TESTED_PART4), ("not recorded", NOT_RECORDED_PART4)):
        found = [k for k in sections if k.lower().startswith(heading)]
        assert len(found) == 1, heading
        items = sections[found[0]].find_all("li")
        assert len(items) == len(banks)
        for bank in banks:
            _entry(items, bank)
    europa = _entry(sections["not tested"].find_all("li"), "Europabank").get_text()
    assert "could not test it" in europa and "guessed" in europa


def test_part4_change_list_shows_each_recorded_change_under_its_date(site: Path) -> None:
    block = _soup(site / "belgian-banks-ssl-part-4.html").select_one("div.tlsreport-changes")
    assert block is not None, "no changes view"
    days = {}
    for section in block.select("section.tlsreport-changes-date"):
        day = section.select_one("h4 time")["datetime"][:10]
        days[day] = section.select("ul.tlsreport-changes > li")
    assert sorted(days) == sorted(PART4_CHANGES)
    for day, changes in PART4_CHANGES.items():
        items = days[day]
        assert len(items) == len(changes), (day, [_name_of(li) for li in items])
        for bank, move in changes.items():
            li = _entry(items, bank)
            if move is None:
                assert "added" in li.get_text(), (day, bank)
                continue
            letters = [b.get_text(strip=True) for b in li.select("span.tls-grade")]
            assert letters[:2] == list(move), (day, bank, li.get_text(" ", strip=True))
            assert li.select_one("span.tls-cause-rules") is None, (day, bank)


def test_part5_marks_the_changes_only_stricter_rules_caused(site: Path) -> None:
    block = _soup(site / "belgian-banks-ssl-part-5.html").select_one("div.tlsreport-changes")
    assert block is not None, "no changes view"
    items = block.select("ul.tlsreport-changes > li")
    for bank in ("beobank", "BKCP"):
        li = _entry(items, bank)
        letters = [b.get_text(strip=True) for b in li.select("span.tls-grade")]
        assert letters[:2] == ["B", "C"], bank
        marker = li.select_one("span.tls-cause-rules")
        assert marker is not None and marker.get_text() == "the rules changed, not the bank"
    for bank, move in {
        "Hello Bank!": ["A", "B"],
        "Optima Bank": ["F", "A-"],
        "AXA": ["B", "A+"],
    }.items():
        li = _entry(items, bank)
        letters = [b.get_text(strip=True) for b in li.select("span.tls-grade")]
        assert letters[:2] == move, bank
        assert li.select_one("span.tls-cause-rules") is None, bank


def test_part5_dates_the_january_update(site: Path) -> None:
    block = _soup(site / "belgian-banks-ssl-part-5.html").select_one("div.tlsreport-changes")
    jan = [
        s
        for s in block.select("section.tlsreport-changes-date")
        if s.select_one("h4 time")["datetime"].startswith("2016-01-11")
    ]
    assert len(jan) == 1
    items = jan[0].select("ul.tlsreport-changes > li")
    for bank in ("ABK", "Bank Van Breda"):
        letters = [b.get_text(strip=True) for b in _entry(items, bank).select("span.tls-grade")]
        assert letters[-1] == "A", bank


def test_part5_shows_the_end_of_2015_c_list_and_no_f(site: Path) -> None:
    sections = _grade_sections(_soup(site / "belgian-banks-ssl-part-5.html"))
    c_list = {_name_of(li) for li in sections["C"].find_all("li")}
    assert c_list == {"PSA Bank", "beobank", "BKCP"}
    assert _is_none_line(sections["F"])


def test_charts_are_images_with_a_data_table(site: Path) -> None:
    html = _soup(site / "belgian-banks-ssl-part-4.html")
    figure = html.select_one("figure.tlsreport-chart")
    assert figure is not None
    img = figure.find("img")
    assert img["alt"].strip()
    assert (site / "belgian-banks-ssl-part-4.html").parent.joinpath(img["src"]).resolve().is_file()
    assert figure.select_one("details div.tlsreport-scroll table.tlsreport-table") is not None


def test_about_page_and_feed_exist(site: Path) -> None:
    about = _soup(site / "pages" / "about-the-grades.html")
    assert about.find("h1").get_text(strip=True) == "About the grades"
    feed = ET.parse(site / "feeds" / "all.atom.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = {e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)}
    assert {"Belgian banks & SSL — part 4", "Belgian banks & SSL — part 5"} <= titles


def test_series_navigation_links_part_4_and_part_5(site: Path) -> None:
    part5 = _soup(site / "belgian-banks-ssl-part-5.html")
    prev = part5.select_one("nav.series-nav a[rel=prev]")
    assert prev is not None and prev["href"].endswith("belgian-banks-ssl-part-4.html")
    nav = part5.select_one("nav.series-nav-top")
    assert "Part 5 of the series Belgian banks & SSL" in nav.get_text(" ", strip=True)
    assert [li["value"] for li in nav.select("ol.series-parts li")] == ["4", "5"]


def test_every_directive_rendered_and_no_script_anywhere(site: Path) -> None:
    """No JavaScript and no inline style in any page: the site works under a strict CSP."""
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page
        assert not re.search(r"\sstyle\s*=|<style", text, re.I), page
        html = BeautifulSoup(text, "html.parser")
        assert html.select_one(".tlsreport-error") is None, page
        for code in html.find_all(["code", "pre"]):
            code.decompose()
        assert "[tlsreport " not in html.get_text(), page


MAIL_TARGETS = {
    "SMTP (MX, STARTTLS)": "smtp",
    "Submission (STARTTLS required)": "submission",
    "SMTPS (implicit TLS)": "smtps",
    "IMAP with STARTTLS": "imap",
    "IMAPS (implicit TLS)": "imaps",
    "POP3 with STLS": "pop3",
    "POP3S (implicit TLS)": "pop3s",
}


def test_mail_history_is_one_real_scan_of_the_mail_lab_on_loopback() -> None:
    # Issue 14: real Postfix (127.0.0.2) and Courier (127.0.0.3), careful profile.
    files = sorted((HISTORY / "mail-servers").glob("*.json"))
    assert len(files) == 1
    snapshot = facts.from_json(facts.Snapshot, json.loads(files[0].read_text()))
    assert snapshot.kind == "scan" and snapshot.versions.get("sslyze")
    assert {r.target.name: r.target.service for r in snapshot.results} == MAIL_TARGETS
    for result in snapshot.results:
        assert result.state == facts.STATE_OK and result.facts is not None
        assert result.target.address in ("127.0.0.2", "127.0.0.3")
        assert result.facts.certificate.leaf.not_after
        assert result.facts.mail is not None and result.facts.mail.error is None


def test_mail_post_shows_each_mail_port_with_grade_and_certificate_expiry(site: Path) -> None:
    html = _soup(site / "mail-server-tls-postfix-courier.html")
    table = html.select_one("div.tlsreport-grades table.tlsreport-table.tlsreport-compact")
    assert table is not None
    rows = {row.th.get_text(strip=True): row for row in table.select("tbody tr")}
    assert set(rows) == set(MAIL_TARGETS)
    for name, row in rows.items():
        badge = row.select_one("span.tls-grade")
        assert badge is not None and badge.get_text(strip=True) == "A", name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.select_one("time")["datetime"]), name
    card = html.select_one("span.tlsreport-card")
    assert card is not None and "Submission (STARTTLS required)" in card.get_text()


def test_mail_post_shows_policy_and_days_left(site: Path) -> None:
    html = _soup(site / "mail-server-tls-postfix-courier.html")
    mail = html.select_one("div.tlsreport-mail table.tlsreport-mail-table")
    assert mail is not None
    rows = {row.th.get_text(strip=True): row for row in mail.select("tbody tr")}
    assert set(rows) == set(MAIL_TARGETS)
    submission = rows["Submission (STARTTLS required)"].get_text(" ", strip=True)
    assert "submission requires STARTTLS before mail" in submission
    assert "90 days left" in submission
    assert not html.select("div.tlsreport-mail li.tlsreport-mail-bad")  # the careful profile
    domain = html.select_one("div.tlsreport-mail").get_text(" ", strip=True)
    assert "MTA-STS policy in enforce mode" in domain and "DNSSEC not validated" in domain
    expiring = html.select("table.tlsreport-expiring tbody tr")
    assert len(expiring) == len(MAIL_TARGETS)
    assert all(r.find_all("td")[1].get_text() == "90 days left" for r in expiring)


def test_mail_list_and_its_targets_have_atom_feeds(site: Path) -> None:
    # Issue 14: subscribe to a list or to one server; entries come from the snapshots.
    import xml.etree.ElementTree as ET

    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(site / "tlsreport" / "mail-servers.atom.xml").getroot()
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert sorted(titles) == sorted(f"{name}: new endpoint, graded A" for name in MAIL_TARGETS)
    own = sorted((site / "tlsreport" / "mail-servers").glob("*.atom.xml"))
    assert len(own) == len(MAIL_TARGETS)
    banks = ET.parse(site / "tlsreport" / "belgian-banks.atom.xml").getroot()
    kinds = {e.find("a:category", ns).get("term") for e in banks.findall("a:entry", ns)}
    assert {"new", "grade"} <= kinds


def test_mail_tables_and_target_pages_say_days_left(site: Path) -> None:
    html = _soup(site / "mail-server-tls-postfix-courier.html")
    table = html.select_one("div.tlsreport-grades table.tlsreport-table")
    assert table is not None
    for row in table.select("tbody tr"):
        assert "(90 days left)" in row.get_text(" ", strip=True), row.th.get_text()
    pages = sorted((site / "tlsreport" / "mail-servers").glob("*.html"))
    pages = [p for p in pages if p.name != "index.html"]
    assert len(pages) == len(MAIL_TARGETS)
    for page in pages:
        doc = _soup(page)
        text = doc.get_text(" ", strip=True)
        assert "expires on 5 March 2027 (90 days left)" in text, page.name  # vocabulary.expiry_text
        assert "HSTS not applicable to mail — A is a mail server's best grade" in text, page.name
        assert "Before TLS" in text, page.name
        feed = doc.select_one("p.tlsreport-feed a")
        assert feed is not None and feed["href"].endswith(page.stem + ".atom.xml")
        assert (page.parent / f"{page.stem}.atom.xml").is_file()


def test_list_and_target_pages_announce_their_feeds(site: Path) -> None:
    for page in (
        site / "tlsreport" / "mail-servers" / "index.html",
        site / "tlsreport" / "mail-servers" / "imaps-implicit-tls.html",
    ):
        doc = _soup(page)
        link = doc.select_one(
            'head link[rel="alternate"][type="application/atom+xml"]'
            '[href$=".atom.xml"][href*="mail-servers"]'
        )
        assert link is not None, page.name
        assert (page.parent / link["href"]).resolve().is_file(), link["href"]
        visible = doc.select_one("p.tlsreport-feed a")
        assert visible is not None and visible["href"] == link["href"]
