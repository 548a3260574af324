"""The example series told truthfully (issue 15, part A): the site's claims against the record.

Each test reads the built example site (the repository's own pelican.conf.py, content/, data/)
and checks a statement it makes against the recorded history in data/history/, which
re-creates what the 2015 posts recorded (/work/shared/reference/example-series.md). One test
(or a few) per point of the issue, so a later change cannot bring a false claim back:

1. part 5's prose follows its own change list; 2. Europabank's "asked not to be scanned" only
as a guess; 3. Triodos absent from part 4, its recorded change in part 5's list; 4. "first
recorded" is not "new", inferred grades marked; 5. the data files carry the reasons the tables
show and their source; 6. "not recorded" counted and drawn apart from "not tested"; 7. the list
page says what its data is and its date; 8. no derived detail shown as recorded; 9. each
example post says what its data is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browserkit import build_example_site
from bs4 import BeautifulSoup, Tag
from tlsreport import facts
from tlsreport.render import human_date

ROOT = Path(__file__).resolve().parents[2]
BANKS = ROOT / "data" / "history" / "belgian-banks"
PART4 = "belgian-banks-ssl-part-4.html"
PART5 = "belgian-banks-ssl-part-5.html"
MAIL = "mail-server-tls-postfix-courier.html"


# --- the record -----------------------------------------------------------------------------


def _history(folder: Path = BANKS) -> list[facts.Snapshot]:
    snaps = [
        facts.from_json(facts.Snapshot, json.loads(p.read_text()), str(p))
        for p in sorted(folder.glob("*.json"))
    ]
    return sorted(snaps, key=lambda s: s.taken_at)


HISTORY = _history()
BY_DAY = {s.day.isoformat(): s for s in HISTORY}


def _by_name(snap: facts.Snapshot) -> dict[str, facts.TargetResult]:
    return {r.target.name: r for r in snap.results}


def _record_before(name: str, day: str) -> facts.TargetResult | None:
    """The target's last result with a recorded grade in a snapshot before ``day``."""
    for snap in reversed([s for s in HISTORY if s.day.isoformat() < day]):
        r = _by_name(snap).get(name)
        if r is None:
            return None  # off the list: nothing before to compare with
        if r.recorded is not None and r.recorded.grade is not None:
            return r
    return None


# --- the built site -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_example_site(
        tmp_path_factory.mktemp("truth-site"), tmp_path_factory.mktemp("truth-cache")
    )


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _text(path: Path) -> str:
    """The page's reading text: no code blocks, whitespace collapsed."""
    html = _soup(path)
    for code in html.find_all(["code", "pre", "script", "style"]):
        code.decompose()
    return re.sub(r"\s+", " ", html.get_text(" "))


def _article_text(path: Path) -> str:
    html = _soup(path)
    body = html.select_one("article") or html
    for code in body.find_all(["code", "pre"]):
        code.decompose()
    return re.sub(r"\s+", " ", body.get_text(" "))


def _li_name(li: Tag) -> str:
    link = li.find("a")
    if link is not None:
        return link.get_text(" ", strip=True)
    return li.get_text(" ", strip=True).split(":")[0].strip()


def _change_lines(page: Path) -> list[dict]:
    """Each change line: date, name, grades, and the reasons after each marker word."""
    out = []
    block = _soup(page).select_one("div.tlsreport-changes")
    assert block is not None, page
    for section in block.select("section.tlsreport-changes-date"):
        day = section.select_one("h4 time")["datetime"][:10]
        for li in section.select("ul.tlsreport-changes > li"):
            marks: dict[str, list[str]] = {}
            current = None
            for node in li.descendants:
                if isinstance(node, Tag):
                    if "tls-reason" in (node.get("class") or []):
                        marks.setdefault(current or "?", []).append(node.get_text(strip=True))
                    continue
                parent = node.parent
                if parent is not None and "tls-reason" in (parent.get("class") or []):
                    continue
                for word in ("no longer:", "first recorded:", "new:"):
                    if word in str(node):
                        current = word.rstrip(":")
            out.append(
                {
                    "day": day,
                    "name": _li_name(li),
                    "li": li,
                    "text": li.get_text(" ", strip=True),
                    "grades": [b.get_text(strip=True) for b in li.select("span.tls-grade")],
                    "new": marks.get("new", []),
                    "first": marks.get("first recorded", []),
                    "lost": marks.get("no longer", []),
                    "rules_only": li.select_one("span.tls-cause-rules") is not None,
                }
            )
    return out


def _grade_sections(page: Path) -> dict[str, list[Tag]]:
    block = _soup(page).select_one("div.tlsreport-grades")
    assert block is not None, page
    out: dict[str, list[Tag]] = {}
    for heading in block.select("h3.tlsreport-grade-heading"):
        badge = heading.select_one("span.tls-grade")
        key = badge.get_text(strip=True) if badge else heading.get_text(" ", strip=True)
        nxt = heading.find_next_sibling(["ul", "p"])
        out[key] = nxt.find_all("li") if nxt is not None and nxt.name == "ul" else []
    return out


# --- 1. part 5's prose follows its change list ----------------------------------------------

_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_DROP = re.compile(
    r"\b(one|two|three|four|five|six|\d+) (?:banks? )?(?:dropped|fell|went|moved|"
    r"slipped)\b[^.]*?\bto (?:an? )?C\b",
    re.I,
)


def test_part5_b_to_c_moves_are_the_ones_the_record_holds(site: Path) -> None:
    old, new = _by_name(BY_DAY["2015-03-03"]), _by_name(BY_DAY["2015-12-30"])
    recorded = {
        n
        for n, r in new.items()
        if r.recorded
        and r.recorded.grade == "C"
        and n in old
        and old[n].recorded
        and old[n].recorded.grade == "B"
    }
    assert recorded == {"beobank", "BKCP"}
    shown = {c["name"] for c in _change_lines(site / PART5) if c["grades"][:2] == ["B", "C"]}
    assert shown == recorded
    psa = [c for c in _change_lines(site / PART5) if c["name"] == "PSA Bank"]
    assert len(psa) == 1 and "still" in psa[0]["text"]  # already C in part 4


def test_part5_never_counts_more_banks_down_to_c_than_its_change_list(site: Path) -> None:
    moved = sum(1 for c in _change_lines(site / PART5) if c["grades"][:2] == ["B", "C"])
    texts = [
        _article_text(site / PART5),
        _text(site / "index.html"),
        (site / "feeds" / "all.atom.xml").read_text(encoding="utf-8"),
    ]
    for text in texts:
        for m in _DROP.finditer(text):
            word = m.group(1).lower()
            assert _COUNTS.get(word, int(word) if word.isdigit() else -1) == moved, m.group(0)


def test_part5_does_not_say_banks_changed_nothing_when_its_list_shows_they_did(site: Path) -> None:
    lines = [c for c in _change_lines(site / PART5) if c["rules_only"]]
    assert lines, "part 5 marks the moves the rules alone explain"
    touched = [c["name"] for c in lines if c["new"] or c["lost"]]
    assert "beobank" in touched  # its list shows it lost SHA-1 and gained weak DH
    text = " ".join([_article_text(site / PART5), _text(site / "index.html")]).lower()
    for claim in (
        "without touching",
        "without changing anything",
        "did not change anything",
        "without changing their",
        "changed nothing",
    ):
        assert claim not in text, claim
    for name in touched:  # the prose names what they changed
        assert name.lower() in _article_text(site / PART5).split("The C list")[-1].lower()


# --- 2. Europabank: a guess stays a guess ----------------------------------------------------

_ASKED = re.compile(r"asked[^.;]{0,40}?not to (?:be )?(?:scan|scanned|test|tested)", re.I)


def _guess_only(text: str, where: str) -> None:
    for m in _ASKED.finditer(text):
        window = text[max(0, m.start() - 80) : m.end()].lower()
        assert "guess" in window, f"{where}: {text[max(0, m.start() - 80) : m.end() + 20]!r}"


def test_europabank_asking_not_to_be_scanned_is_only_ever_said_as_a_guess(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert pages
    for page in pages:
        _guess_only(_text(page), str(page.relative_to(site)))
    for data in sorted((site / "tlsreport" / "data").glob("*")):
        _guess_only(data.read_text(encoding="utf-8"), data.name)
    for feed in sorted((site / "feeds").glob("*.xml")):
        _guess_only(feed.read_text(encoding="utf-8"), feed.name)


def test_europabank_is_recorded_as_untestable_with_the_guess_marked() -> None:
    for snap in HISTORY:
        europa = _by_name(snap)["Europabank"]
        assert europa.state == "untestable" and europa.recorded is None
        _guess_only(europa.reason or "", snap.taken)
    _guess_only((ROOT / "data" / "targets" / "belgian-banks.toml").read_text(), "targets")


# --- 3. Triodos: not in part 4; its recorded change in part 5's list ------------------------


def test_part4_never_names_triodos_because_its_record_does_not(site: Path) -> None:
    for day in (
        "2015-02-15",
        "2015-02-16",
        "2015-02-17",
        "2015-02-18",
        "2015-02-27",
        "2015-03-02",
        "2015-03-03",
    ):
        assert "Triodos" not in _by_name(BY_DAY[day]), day
    assert "Triodos" not in _article_text(site / PART4)
    shown = {_li_name(li) for items in _grade_sections(site / PART4).values() for li in items}
    assert shown == set(_by_name(BY_DAY["2015-03-03"]))
    page = _soup(site / "tlsreport" / "belgian-banks" / "triodos.html")
    mentions = [a.get_text(strip=True) for a in page.select("a")]
    assert "Belgian banks & SSL — part 4" not in mentions


def test_part5_change_list_carries_every_change_its_record_names(site: Path) -> None:
    lines = _change_lines(site / PART5)
    for snap in (BY_DAY["2015-12-30"],):
        for r in snap.results:
            if r.recorded is None or not r.recorded.new_reasons:
                continue
            mine = [c for c in lines if c["name"] == r.target.name]
            assert len(mine) == 1, r.target.name
            assert mine[0]["new"] == list(r.recorded.new_reasons), mine[0]["text"]
    triodos = [c for c in lines if c["name"] == "Triodos"]
    assert triodos and triodos[0]["new"] == ["no Forward Secrecy"]


# --- 4. "first recorded" is not "new"; inferred grades marked --------------------------------


def test_no_reason_is_new_unless_the_record_before_it_was_written_down(site: Path) -> None:
    checked = 0
    for page in (PART4, PART5):
        for c in _change_lines(site / page):
            if not c["new"]:
                continue
            before = _record_before(c["name"], c["day"])
            now = _by_name(BY_DAY[c["day"]])[c["name"]].recorded
            declared = set(now.new_reasons) if now is not None else set()
            for reason in c["new"]:
                checked += 1
                assert reason in declared or (before is not None and before.recorded.reasons), (
                    page,
                    c["text"],
                )
    assert checked >= 3  # beobank, BKCP, Triodos


def test_reasons_never_written_down_before_are_first_recorded(site: Path) -> None:
    lines = {(c["day"], c["name"]): c for c in _change_lines(site / PART4)}
    for key in (
        ("2015-02-17", "ABK"),
        ("2015-02-17", "Bank Van Breda"),
        ("2015-03-02", "Fortuneo"),
    ):
        c = lines[key]
        before = _record_before(key[1], key[0])
        assert before is not None and before.recorded.reasons == ()  # not written down
        assert c["new"] == [], c["text"]
        assert c["first"] == list(_by_name(BY_DAY[key[0]])[key[1]].recorded.reasons)
    hello = next(c for c in _change_lines(site / PART5) if c["name"] == "Hello Bank!")
    assert hello["new"] == [] and hello["first"] == ["weak DH"]


def test_added_grades_are_marked_inferred_exactly_where_the_record_infers_them(site: Path) -> None:
    added = [c for c in _change_lines(site / PART4) if "added to the list" in c["text"]]
    assert {c["name"] for c in added} == {
        "Delta Lloyd",
        "Deutsche Bank",
        "Moneyou",
        "Fortuneo",
        "BKCP",
        "Binck",
        "Isabel",
    }
    for c in added:
        arrival = _by_name(BY_DAY[c["day"]])[c["name"]].recorded
        assert arrival is not None
        assert ("inferred" in c["text"]) == bool(arrival.inferred), c["text"]
    assert {c["name"] for c in added if "inferred" in c["text"]} == {"BKCP", "Fortuneo"}


# --- 5. the data files carry what the tables show, and where it came from --------------------


def test_post_data_rows_carry_the_table_reasons_and_their_source(site: Path) -> None:
    for page, day in ((PART4, "2015-03-03"), (PART5, "2016-01-11")):
        stem = page.removesuffix(".html")
        doc = json.loads((site / "tlsreport" / "data" / f"{stem}.json").read_text())
        record = _by_name(BY_DAY[day])
        table = {}
        for items in _grade_sections(site / page).values():
            for li in items:
                table[_li_name(li)] = [s.get_text(strip=True) for s in li.select("span.tls-reason")]
        rows = [r for r in doc["rows"] if r["list"] == "belgian-banks"]
        assert rows
        for row in rows:
            assert row["source"] == "recorded", row
            if row["grade"] is None:
                continue
            assert row["reasons"] == list(record[row["target"]].recorded.reasons), row
            assert row["reasons"] == table[row["target"]], row
        csv_head = (site / "tlsreport" / "data" / f"{stem}.csv").read_text().splitlines()[0]
        assert csv_head.split(",")[-1] == "source"
    mail = json.loads(
        (site / "tlsreport" / "data" / "mail-server-tls-postfix-courier.json").read_text()
    )
    assert {r["source"] for r in mail["rows"]} == {"scanned"}


# --- 6. "not recorded" is not "not tested", in numbers and in looks --------------------------


def _charts(page: Path) -> list[Tag]:
    return _soup(page).select("figure.tlsreport-chart")


def _table(figure: Tag) -> list[list[str]]:
    return [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in figure.select("table tr")
    ]


def test_distribution_counts_not_recorded_apart_from_not_tested(site: Path) -> None:
    latest = HISTORY[-1]
    gaps = sum(
        1
        for r in latest.results
        if r.state == "ok" and r.recorded is not None and r.recorded.grade is None
    )
    untested = sum(1 for r in latest.results if r.state != "ok")
    page = site / "tlsreport" / "belgian-banks" / "index.html"
    figure = next(f for f in _charts(page) if "bar chart of" in f.find("img")["alt"])
    counts = dict(r for r in _table(figure) if len(r) == 2)
    assert int(counts["not recorded"]) == gaps and gaps > 0
    assert int(counts["not tested"]) == untested == 1
    svg = (page.parent / figure.find("img")["src"]).resolve().read_bytes()
    assert b"<pattern" in svg  # hatched: it does not look like a result


def test_history_chart_of_part5_has_both_states_with_their_own_counts(site: Path) -> None:
    figure = next(f for f in _charts(site / PART5) if "stacked bar" in f.find("img")["alt"])
    rows = _table(figure)
    head, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert "not recorded" in head and "not tested" in head
    snap = BY_DAY["2015-12-30"]
    gaps = sum(
        1
        for r in snap.results
        if r.state == "ok" and r.recorded is not None and r.recorded.grade is None
    )
    assert int(body["2015-12-30"]["not recorded"]) == gaps
    assert int(body["2015-12-30"]["not tested"]) == 1


@pytest.mark.parametrize(
    "name,slug", [("ABK", "abk"), ("Triodos", "triodos"), ("Europabank", "europabank")]
)
def test_timelines_show_not_recorded_only_where_nothing_was_recorded(
    site: Path, name: str, slug: str
) -> None:
    figure = _charts(site / "tlsreport" / "belgian-banks" / f"{slug}.html")[0]
    shown = {r[0]: r[1] for r in _table(figure)[1:]}
    for snap in HISTORY:
        r = _by_name(snap).get(name)
        if r is None:
            assert snap.day.isoformat() not in shown
            continue
        if r.state != "ok":
            want = "not tested"
        elif r.recorded is not None and r.recorded.grade is None:
            want = "not recorded"
        else:
            want = r.recorded.grade if r.recorded else shown[snap.day.isoformat()]
        assert shown[snap.day.isoformat()] == want, (name, snap.day)


# --- 7. the list page says what its data is, and its date -----------------------------------


@pytest.mark.parametrize(
    "slug,folder,word",
    [
        ("belgian-banks", BANKS, "recorded"),
        ("mail-servers", ROOT / "data" / "history" / "mail-servers", "scan"),
    ],
)
def test_list_page_heading_names_the_data_and_its_date(
    site: Path, slug: str, folder: Path, word: str
) -> None:
    latest = _history(folder)[-1]
    heading = _soup(site / "tlsreport" / slug / "index.html").select_one("h2#grades")
    text = heading.get_text(" ", strip=True)
    assert "today" not in text.lower()
    assert word in text and human_date(latest.day) in text, text


# --- 8. nothing derived is shown as recorded -------------------------------------------------


def test_no_size_or_number_of_bits_the_record_does_not_hold(site: Path) -> None:
    recorded = " ".join(
        " ".join(
            [
                *(r.recorded.reasons if r.recorded else ()),
                r.reason or "",
                r.recorded.source if r.recorded else "",
            ]
        )
        for s in HISTORY
        for r in s.results
    )
    pages = [
        site / PART4,
        site / PART5,
        *sorted((site / "tlsreport" / "belgian-banks").glob("*.html")),
    ]
    for page in pages:
        for m in re.finditer(r"\b(\d{3,5})[- ]?bits?\b", _text(page)):
            assert m.group(1) in recorded, (page.name, m.group(0))
    hello = _text(site / "tlsreport" / "belgian-banks" / "hello-bank.html")
    assert "1024" not in hello and "1024" not in _article_text(site / PART5)


# --- 9. each example post says plainly what its data is ---------------------------------------


def _byline(page: Path) -> str:
    meta = _soup(page).select_one(".post-meta")
    return meta.get_text(" ", strip=True) if meta is not None else ""


@pytest.mark.parametrize("page", [PART4, PART5])
def test_bank_posts_say_they_re_create_grades_recorded_by_hand(site: Path, page: str) -> None:
    assert all(s.kind == "recorded" for s in HISTORY)
    text = _article_text(site / page)
    assert "recorded by hand" in text and "SSL Labs" in text
    assert "re-creat" in text and "did not scan" in text


@pytest.mark.parametrize("page", [PART4, PART5, MAIL])
def test_posts_by_tlsreport_speak_for_no_one_in_the_first_person(site: Path, page: str) -> None:
    assert "by tlsreport" in _byline(site / page)
    text = _article_text(site / page)
    found = re.findall(r"\b(I|I'm|I've|my|me|mine)\b", text)
    assert found == [], (page, found)


def test_mail_post_says_its_grades_are_of_the_lab_not_of_a_mail_server(site: Path) -> None:
    snap = _history(ROOT / "data" / "history" / "mail-servers")[-1]
    # Issue 14: the mail lab's real Postfix (127.0.0.2) and Courier (127.0.0.3), on loopback.
    assert {r.target.address for r in snap.results} == {"127.0.0.2", "127.0.0.3"}
    text = _article_text(site / MAIL)
    assert "mail server behind this blog" not in text
    opening = text[:1200]
    assert "lab" in opening and "loopback" in opening
