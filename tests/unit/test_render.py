"""render: the HTML fragments posts and pages show, parsed back with BeautifulSoup.

Server-supplied text is hostile by assumption: a target name or certificate subject of
``<script>`` or ``"'><img onerror=…>`` must come out as text, never as an element.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from tlsreport import render
from tlsreport.charts import distribution_chart
from tlsreport.diff import changes_between
from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    CipherSuite,
    Facts,
    Hsts,
    Recorded,
    Renegotiation,
    Snapshot,
    TargetRef,
    TargetResult,
    TrustResult,
)
from tlsreport.grading import grade_result
from tlsreport.pelican_glue.build import BuildGrades
from tlsreport.pelican_glue.pages import findings as target_findings
from tlsreport.vocabulary import fold_reasons

SCRIPT = "<script>alert(1)</script>"
ATTR = "\"'><img src=x onerror=alert(1)>"
GRADE_LABELS = ["A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M", "not tested"]


def grades_view(env, snapshot: Snapshot, *, on: date, **kw) -> str:  # type: ignore[no-untyped-def]
    """The grades view with the build's grader, under ``on``'s rules."""
    return render.grades_view(
        env, snapshot, on=on, grades=BuildGrades().of_snapshot(snapshot, on), **kw
    )


@pytest.fixture(scope="module")
def env():  # type: ignore[no-untyped-def]
    return render.environment()


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def assert_inert(html: str) -> None:
    """Nothing a server sent became markup: no script, no img, no event handler attribute."""
    doc = soup(html)
    assert doc.find("script") is None
    assert doc.find("img", src="x") is None
    for el in doc.find_all(True):
        assert not any(a.startswith("on") for a in el.attrs), el


def modern_facts(subject: str = "CN=bank.example", issuer: str = "CN=Test CA") -> Facts:
    suite12 = CipherSuite(
        name="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        bits=128,
        kex="ECDHE",
        kex_bits=253,
        curve="X25519",
        forward_secrecy=True,
        aead=True,
    )
    suite13 = CipherSuite(
        name="TLS_AES_256_GCM_SHA384",
        bits=256,
        kex="TLS13",
        kex_bits=253,
        curve="X25519",
        forward_secrecy=True,
        aead=True,
    )
    leaf = Certificate(
        subject=subject,
        issuer=issuer,
        sans=("bank.example",),
        signature_hash="sha256",
        key_type="RSA",
        key_bits=2048,
        not_before="2026-01-01T00:00:00Z",
        not_after="2027-03-31T23:59:59Z",
    )
    return Facts(
        protocols={
            "SSLv2": (),
            "SSLv3": (),
            "TLSv1.0": (),
            "TLSv1.1": (),
            "TLSv1.2": (suite12,),
            "TLSv1.3": (suite13,),
        },
        certificate=CertificateFacts(
            chain=(leaf,),
            trust=(TrustResult("Mozilla", True),),
            hostname="bank.example",
            hostname_matches=True,
        ),
        renegotiation=Renegotiation(secure=True, client_initiated=False),
        compression=False,
        fallback_scsv=True,
        heartbleed=False,
        ccs_injection=False,
        robot="NOT_VULNERABLE_NO_ORACLE",
        hsts=Hsts(present=True, max_age=31536000),
    )


def scanned(name: str, facts: Facts | None = None, group: tuple[str, ...] = ()) -> TargetResult:
    return TargetResult(
        target=TargetRef(name=name, host="bank.example", group=group), facts=facts or modern_facts()
    )


def recorded(name: str, grade: str | None, *reasons: str) -> TargetResult:
    return TargetResult(
        target=TargetRef(name=name, host=name.lower().replace(" ", "") + ".be"),
        recorded=Recorded(grade=grade, reasons=reasons),
    )


def part4_snapshot() -> Snapshot:
    return Snapshot(
        list_slug="belgian-banks",
        title="Belgian banks",
        taken="2015-03-03T12:00:00Z",
        kind="recorded",
        results=(
            recorded("KBC", "B", "weak signature (SHA1)", "no TLS 1.2", "no Forward Secrecy"),
            recorded(
                "Argenta",
                "B",
                "SSL3 (insecure)",
                "weak signature (SHA1)",
                "RC4 (insecure)",
                "no Forward Secrecy",
            ),
            recorded(
                "PSA Bank",
                "C",
                "weak signature (SHA1)",
                "no TLS 1.2",
                "RC4 (insecure)",
                "no Forward Secrecy",
            ),
            recorded(
                "Optima Bank",
                "F",
                "vulnerable to POODLE (SSL3 and TLS)",
                "weak signature (SHA1)",
                "RC4",
                "no Forward Secrecy",
            ),
            recorded("ING", "A-"),
            recorded("Triodos", None),
            TargetResult(
                target=TargetRef(name="Europabank", host="www.europabank.be"),
                state="untestable",
                reason="asked SSL Labs not to scan it",
            ),
        ),
    )


def sections(html: str) -> dict[str, BeautifulSoup]:
    """Heading text → the element after it (the target list or the n/a line)."""
    out = {}
    for h in soup(html).find_all("h3", class_="tlsreport-grade-heading"):
        out[h.get_text(strip=True)] = h.find_next_sibling()
    return out


# --- grades view (series format) -------------------------------------------------------------


def test_series_format_has_a_heading_per_grade_with_targets_then_not_tested(env) -> None:  # type: ignore[no-untyped-def]
    html = grades_view(env, part4_snapshot(), on=date(2015, 3, 3))
    doc = soup(html)
    wrapper = doc.find("div")
    assert wrapper["class"] == ["tlsreport", "tlsreport-grades"]
    # A grade never written down gets its own heading after "not tested" (issue 15).
    assert list(sections(html)) == ["A-", "B", "C", "F", "not tested", "not recorded"]
    ids = [el["id"] for el in doc.find_all(id=True)]
    assert len(set(ids)) == len(ids)
    # Every grade keeps its anchor, empty or not: links to #…-a-plus still land.
    assert {f"tlsreport-belgian-banks-{s}" for s in render.GRADE_SLUGS.values()} <= set(ids)


def test_empty_grades_collapse_into_one_line_per_run(env) -> None:  # type: ignore[no-untyped-def]
    doc = soup(grades_view(env, part4_snapshot(), on=date(2015, 3, 3)))
    lines = [p.get_text() for p in doc.find_all("p", class_="tlsreport-none")]
    assert lines == ["no A+ or A", "no D or E", "no T or M"]
    assert "n/a" not in doc.get_text()
    got = sections(str(doc))
    assert got["B"].name == "ul" and got["B"]["class"] == ["tlsreport-targets"]


def test_targets_are_listed_alphabetically_with_their_reasons(env) -> None:  # type: ignore[no-untyped-def]
    got = sections(grades_view(env, part4_snapshot(), on=date(2015, 3, 3)))
    items = got["B"].find_all("li")
    assert [li.get_text().split(":")[0] for li in items] == ["Argenta", "KBC"]
    kbc = [s.get_text() for s in items[1].find_all("span", class_="tls-reason")]
    assert "no TLS 1.2" in kbc and "weak signature (SHA1)" in kbc
    assert "Optima Bank" in got["F"].get_text()
    assert "ING" in got["A-"].get_text()


def test_unreachable_targets_are_not_tested_and_unrecorded_ones_not_recorded(env) -> None:  # type: ignore[no-untyped-def]
    got = sections(grades_view(env, part4_snapshot(), on=date(2015, 3, 3)))
    text = {li.get_text() for li in got["not tested"].find_all("li")}
    assert text == {"Europabank: asked SSL Labs not to scan it"}
    gaps = {li.get_text() for li in got["not recorded"].find_all("li")}
    assert gaps == {"Triodos: not recorded"}


def test_grades_are_those_of_the_rules_in_force_on_the_given_date(env) -> None:  # type: ignore[no-untyped-def]
    got = sections(grades_view(env, part4_snapshot(), on=date(2015, 12, 30)))
    assert "KBC" in got["C"].get_text()  # no TLS 1.2 caps at C after May 2015
    assert "B" not in got  # nobody left at B: one "no A- or B" line instead


def test_group_filter_and_target_links(env) -> None:  # type: ignore[no-untyped-def]
    snap = Snapshot(
        list_slug="x",
        title="X",
        taken="2026-11-26T10:00:00Z",
        results=(scanned("Bank", group=("bank",)), scanned("Insurer", group=("insurer",))),
    )
    html = grades_view(
        env,
        snap,
        on=date(2026, 11, 26),
        group="bank",
        target_url=lambda t: f"/t/{t.name.lower()}.html",
    )
    doc = soup(html)
    assert [a["href"] for a in doc.find_all("a")] == ["/t/bank.html"]
    assert "Insurer" not in doc.get_text()


def test_badges_carry_colour_class_letter_and_title() -> None:
    b = soup(str(render.badge("A+"))).span
    assert b["class"] == ["tls-grade", "tls-grade-a-plus"]
    assert b["title"] == "Grade A+" and b.get_text() == "A+"
    assert soup(str(render.badge("A-"))).span["class"][1] == "tls-grade-a-minus"
    na = soup(str(render.badge(None))).span
    assert na["class"] == ["tls-grade", "tls-grade-na"] and na.get_text() == "not tested"
    nr = soup(str(render.badge(None, "not recorded"))).span
    assert nr["class"] == ["tls-grade", "tls-grade-not-recorded"]
    assert soup(str(render.badge("<b>"))).find("b") is None


# --- compact table ----------------------------------------------------------------------------


def test_compact_table_has_the_agreed_columns(env) -> None:  # type: ignore[no-untyped-def]
    snap = Snapshot(
        list_slug="x", title="X", taken="2026-11-26T10:00:00Z", results=(scanned("Bank"),)
    )
    html = grades_view(env, snap, on=date(2026, 11, 26), compact=True)
    doc = soup(html)
    # Four columns, reasons third: the table fits a 704 px column and stacks on a phone.
    assert doc.table["class"] == ["tlsreport-table", "tlsreport-stack", "tlsreport-compact"]
    head = [th.get_text() for th in doc.thead.find_all("th")]
    assert head == ["Target", "Grade", "Reasons", "Protocols, key, certificate"]
    cells = [c.get_text() for c in doc.tbody.tr.find_all(["th", "td"])]
    grade = grade_result(snap.results[0], date(2026, 11, 26))
    assert grade is not None
    assert cells[:2] == ["Bank", grade.letter]
    facts = [f.get_text() for f in doc.tbody.find_all("span", class_="tlsreport-fact")]
    assert facts == [
        "TLS 1.2–1.3",
        "forward secrecy: yes",
        "key RSA 2048",
        "certificate expires on 31 March 2027 (125 days left)",
    ]
    assert doc.tbody.find("time")["datetime"] == "2027-03-31"
    assert [td["data-label"] for td in doc.tbody.tr.find_all("td")] == ["Grade", "Reasons", "Setup"]


def test_compact_table_sorts_best_grade_first(env) -> None:  # type: ignore[no-untyped-def]
    html = grades_view(env, part4_snapshot(), on=date(2015, 3, 3), compact=True)
    names = [tr.th.get_text() for tr in soup(html).tbody.find_all("tr")]
    assert names[0] == "ING" and names[-2:] == ["Europabank", "Triodos"]


def test_protocol_summary_names_ranges_and_untested_protocols() -> None:
    base = modern_facts()
    assert render.protocols_summary(base) == "TLS 1.2–1.3"
    old = CipherSuite(name="TLS_RSA_WITH_RC4_128_SHA", bits=128, kex="RSA", rc4=True)
    legacy = Facts(
        protocols={
            "SSLv2": (),
            "SSLv3": (old,),
            "TLSv1.0": (old,),
            "TLSv1.1": (old,),
            "TLSv1.2": (),
            "TLSv1.3": (),
        }
    )
    assert render.protocols_summary(legacy) == "SSL 3, TLS 1.0–1.1"
    assert render.forward_secrecy_summary(legacy) == "no"
    partial = Facts(protocols={"TLSv1.0": (old,), "TLSv1.2": base.protocols["TLSv1.2"]})
    assert render.protocols_summary(partial) == (
        "TLS 1.0, TLS 1.2 (SSL 2, SSL 3, TLS 1.1, TLS 1.3 not tested)"
    )
    assert render.forward_secrecy_summary(partial) == "partly"
    assert render.protocols_summary(None) == "—"


# --- escaping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("evil", [SCRIPT, ATTR])
def test_hostile_target_names_and_subjects_stay_text_everywhere(env, evil: str) -> None:  # type: ignore[no-untyped-def]
    result = TargetResult(
        target=TargetRef(name=evil, host="bank.example", note=evil),
        facts=modern_facts(subject=f"CN={evil}", issuer=f"O={evil}"),
    )
    snap = Snapshot(list_slug="x", title=evil, taken="2026-11-26T10:00:00Z", results=(result,))
    day = date(2026, 11, 26)
    grade = grade_result(result, day)
    before = Snapshot(list_slug="x", title=evil, taken="2026-11-01T10:00:00Z")
    changes = changes_between([before, snap], before, snap)
    fragments = [
        grades_view(env, snap, on=day, target_url=lambda t: f"/{t.name}.html"),
        grades_view(env, snap, on=day, compact=True),
        render.target_card(env, result, grade, url=f"/{evil}"),
        render.target_history_table(env, [(day, grade, result)]),
        render.changes_view(env, changes, since_label=evil, target_url=lambda k: f"/{k}"),
        render.error_box(env, f"post.md, line 3: unknown list {evil}"),
        render.chart_view(env, distribution_chart({"A": 1}, title=evil), src=f"x/{evil}.svg"),
    ]
    for html in fragments:
        assert_inert(html)
    # Shown as the very characters the server sent (the history table names no target).
    for i, html in enumerate(fragments):
        if i != 3:
            assert evil in soup(html).get_text(), html


# --- changes ----------------------------------------------------------------------------------


def test_changes_are_grouped_by_date_with_the_rules_only_marker(env) -> None:  # type: ignore[no-untyped-def]
    feb = Snapshot(
        list_slug="b",
        title="B",
        taken="2015-02-16T12:00:00Z",
        kind="recorded",
        results=(
            recorded("KBC", "B", "weak signature (SHA1)", "no TLS 1.2"),
            recorded("Hello Bank!", "A"),
            recorded("Gone", "B"),
        ),
    )
    dec = Snapshot(
        list_slug="b",
        title="B",
        taken="2015-12-30T12:00:00Z",
        kind="recorded",
        results=(
            recorded("KBC", "C", "weak signature (SHA1)", "no TLS 1.2"),
            recorded("Hello Bank!", "B", "weak DH"),
            recorded("New", "A"),
        ),
    )
    changes = changes_between([feb, dec], feb, dec)
    html = render.changes_view(
        env,
        changes,
        since_label="part 4",
        target_url=lambda key: "/t/" + key.split(":")[0] + ".html",
    )
    doc = soup(html)
    assert doc.div["class"] == ["tlsreport", "tlsreport-changes"]
    (section,) = doc.find_all("section", class_="tlsreport-changes-date")
    assert section.h4.time["datetime"] == "2015-12-30"
    assert section.h4.get_text() == "30 December 2015"
    items = {
        li.get_text(" ", strip=True).split(":")[0].strip(): li
        for li in section.find("ul", class_="tlsreport-changes").find_all("li")
    }
    assert set(items) == {"Gone", "Hello Bank!", "KBC", "New"}
    kbc = items["KBC"]
    assert [b.get_text() for b in kbc.find_all("span", class_="tls-grade")] == ["B", "C"]
    assert kbc.find("span", class_="tls-cause-rules").get_text() == (
        "the rules changed, not the bank"
    )
    hello = items["Hello Bank!"]
    assert hello.find("span", class_="tls-cause-rules") is None
    # Its A was recorded without reasons: weak DH is "first recorded", not "new" (issue 15).
    assert "first recorded: weak DH" in hello.get_text(" ", strip=True).replace(" ,", ",")
    assert "removed from the list" in items["Gone"].get_text()
    assert "added to the list" in items["New"].get_text()
    assert kbc.a["href"] == "/t/kbc.be.html"


def test_same_grade_with_other_reasons_reads_still(env) -> None:  # type: ignore[no-untyped-def]
    a = Snapshot(
        list_slug="b",
        title="B",
        taken="2015-03-03T12:00:00Z",
        kind="recorded",
        results=(recorded("PSA Bank", "C", "no TLS 1.2", "RC4 (insecure)"),),
    )
    b = Snapshot(
        list_slug="b",
        title="B",
        taken="2015-12-30T12:00:00Z",
        kind="recorded",
        results=(recorded("PSA Bank", "C", "no TLS 1.2"),),
    )
    html = render.changes_view(env, changes_between([a, b], a, b), since_label="part 4")
    text = soup(html).li.get_text(" ", strip=True)
    assert "still C" in text and "→" not in text and "no longer: RC4 (insecure)" in text


def test_no_changes_says_so(env) -> None:  # type: ignore[no-untyped-def]
    html = render.changes_view(env, [], since_label="15 February 2015")
    assert soup(html).get_text(strip=True) == "No changes since 15 February 2015."


# --- chart, card, history, error ------------------------------------------------------------


def test_chart_figure_has_image_caption_and_data_table(env) -> None:  # type: ignore[no-untyped-def]
    chart = distribution_chart({"A": 2, "B": 1}, title="Banks today")
    doc = soup(render.chart_view(env, chart, src="../tlsreport/charts/" + chart.name()))
    fig = doc.find("figure", class_="tlsreport-chart")
    img = fig.img
    assert img["src"].endswith(chart.name()) and img["alt"] == chart.alt
    assert (img["width"], img["height"]) == (str(chart.width), str(chart.height))
    assert fig.figcaption.get_text() == "Banks today"
    table = fig.details.find("div", class_="tlsreport-scroll").table
    assert fig.details.summary.get_text() == "Data"
    assert [th.get_text() for th in table.thead.find_all("th")] == ["Grade", "Targets"]
    assert len(table.tbody.find_all("tr")) == len(chart.table_rows)


def test_target_card_is_inline_with_grade_reasons_and_expiry(env) -> None:  # type: ignore[no-untyped-def]
    result = scanned("Bank")
    grade = grade_result(result, date(2026, 11, 26))
    doc = soup(render.target_card(env, result, grade, url="/bank.html"))
    card = doc.find("span", class_="tlsreport-card")
    assert card is not None and doc.find("div") is None and doc.find("p") is None
    assert card.find("span", class_="tls-grade") is not None
    assert card.a["href"] == "/bank.html"
    assert card.time["datetime"] == "2027-03-31"


def test_history_table_is_newest_first(env) -> None:  # type: ignore[no-untyped-def]
    old, new = recorded("KBC", "B", "no TLS 1.2"), recorded("KBC", None)
    grade = grade_result(old, date(2015, 3, 3), taken=date(2015, 3, 3))
    doc = soup(
        render.target_history_table(
            env, [(date(2015, 3, 3), grade, old), (date(2015, 12, 30), None, new)]
        )
    )
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in doc.tbody.find_all("tr")]
    assert rows[0][:3] == ["30 December 2015", "not recorded", "—"]  # the word is said once
    assert rows[1][:3] == ["3 March 2015", "B", "no TLS 1.2"]


def test_error_box_is_an_alert(env) -> None:  # type: ignore[no-untyped-def]
    box = soup(render.error_box(env, "content/post.md, line 7: unknown list 'bankz'")).div
    assert box["class"] == ["tlsreport-error"] and box["role"] == "alert"
    assert "line 7" in box.get_text()


def test_a_theme_can_override_a_fragment(tmp_path: Path) -> None:
    (tmp_path / "tlsreport").mkdir()
    (tmp_path / "tlsreport" / "error.html").write_text(
        '<p class="my-error">{{ message }}</p>', encoding="utf-8"
    )
    themed = render.environment(tmp_path)
    assert render.error_box(themed, "<oops>") == '<p class="my-error">&lt;oops&gt;</p>'
    # An override can wrap the plugin's own fragment instead of copying it.
    (tmp_path / "tlsreport" / "card.html").write_text(
        '<em>{% include "tlsreport-default/card.html" %}</em>', encoding="utf-8"
    )
    card = soup(render.target_card(themed, scanned("Bank"), None))
    assert card.em.find("span", class_="tlsreport-card") is not None
    # Fragments the theme does not override still come from the plugin.
    assert "tlsreport-none" in grades_view(themed, part4_snapshot(), on=date(2015, 3, 3))


def test_rendering_is_deterministic(env) -> None:  # type: ignore[no-untyped-def]
    a = grades_view(env, part4_snapshot(), on=date(2015, 3, 3))
    b = grades_view(render.environment(), part4_snapshot(), on=date(2015, 3, 3))
    assert a == b


# --- a real scan of the lab ---------------------------------------------------------------------


@pytest.mark.lab
def test_a_real_lab_scan_renders_every_target_under_its_grade(env, lab_snapshot) -> None:  # type: ignore[no-untyped-def]
    """Each lab profile, scanned by the real sslyze, is listed under the grade the grader
    gives it; unreachable ones under "not tested" with their state; nothing becomes markup."""
    snapshot, _raw = lab_snapshot
    day = snapshot.day
    html = grades_view(env, snapshot, on=day)
    assert_inert(html)
    got = sections(html)
    for result in snapshot.results:
        grade = grade_result(result, day, taken=day)
        label = grade.letter if grade is not None else "not tested"
        names = [li.get_text().split(":")[0] for li in got[label].find_all("li")]
        if grade is not None:  # the reasons shown are the grader's, the general ones folded
            shown = [
                s.get_text()
                for li in got[label].find_all("li")
                if li.get_text().split(":")[0] == result.target.name
                for s in li.find_all("span", class_="tls-reason")
            ]
            assert shown == [r.label for r in fold_reasons(grade.reasons)]
        assert result.target.name in names, (result.target.name, label)
        if result.state != "ok":
            assert render.state_text(result) in got[label].get_text()
    compact = soup(grades_view(env, snapshot, on=day, compact=True))
    rows = {
        tr.th.get_text(): [td.get_text() for td in tr.find_all("td")]
        for tr in compact.tbody.find_all("tr")
    }
    assert len(rows) == len(snapshot.results)
    for result in snapshot.results:
        if result.facts is not None and result.facts.all_suites():
            assert render.protocols_summary(result.facts) in rows[result.target.name][2]
            findings = dict(target_findings(result))
            leaf = result.facts.certificate.leaf if result.facts.certificate else None
            if leaf is not None:
                assert findings["Certificate subject"] == leaf.subject


# The target history template as it was when every row was rendered through it (one template
# call per cell per row): kept as a theme's override, it must still work and read the same.
ROW_BY_ROW_HISTORY = """\
{% import "tlsreport/_macros.html" as m %}
<div class="tlsreport tlsreport-history">
<table class="tlsreport-table tlsreport-stack">
<thead><tr><th scope="col">Snapshot</th><th scope="col">Grade</th><th scope="col">Reasons</th>\
<th scope="col">Certificate</th></tr></thead>
<tbody>
{% for day, row, timed in rows %}
<tr><th scope="row">{% if timed %}<time datetime="{{ row.when.isoformat() }}">\
{{ row.when | human_time }}</time>{% else %}<time datetime="{{ day.isoformat() }}">\
{{ day | human_date }}</time>{% endif %}</th><td data-label="Grade">\
{{ row.letter | tls_badge(row.word) }}</td><td data-label="Reasons" class="tlsreport-reasons">\
{{ m.reasons(row.badge_reasons) }}</td><td data-label="Certificate">{% if row.expiry %}\
{{ m.expiry_phrase(row) }}{% else %}—{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
</div>"""


def test_history_cells_render_once_per_build_and_read_as_row_by_row(tmp_path: Path) -> None:
    """A big list's thousand target pages repeat their cells (the same snapshot days, grades
    and reasons): each distinct cell is rendered once per environment (a build's), and the
    table reads byte for byte as the row-by-row template did, which a theme may still use."""
    from datetime import datetime

    badges: list[tuple[str | None, str]] = []

    def counting_badge(letter: str | None, word: str = render.NOT_TESTED) -> object:
        badges.append((letter, word))
        return render.badge(letter, word)

    env = render.environment()
    env.filters["tls_badge"] = counting_badge
    (tmp_path / "tlsreport").mkdir()
    (tmp_path / "tlsreport" / "target_history.html").write_text(ROW_BY_ROW_HISTORY)
    row_by_row = render.environment(tmp_path)

    def page(name: str) -> list:  # type: ignore[type-arg]
        served = TargetResult(target=TargetRef(name=name, host="a.example"), facts=modern_facts())
        old = recorded(name, "B", "no TLS 1.2", f"<b>{name}</b>")
        gone = TargetResult(
            target=served.target, state="timeout", reason="connection timed out", duration=5.0
        )
        rows = [
            (date(2015, 3, 3), grade_result(old, date(2015, 3, 3), taken=date(2015, 3, 3)), old)
        ]
        rows.append((date(2015, 12, 30), None, recorded(name, None)))
        for days in range(0, 21, 7):
            day = date(2026, 11, 2 + days)
            rows.append((day, grade_result(served, day), served))
        for hour in (8, 16):  # two snapshots on one day: each shows its time
            when = datetime(2026, 11, 30, hour, 5)
            rows.append((when, grade_result(served, when.date()), served))
        rows.append((datetime(2026, 12, 1, 9, 0), None, gone))
        return rows

    pages = [page("First bank"), page("Second bank"), page("First bank")]
    for rows in pages:
        assert render.target_history_table(env, rows) == render.target_history_table(
            row_by_row, rows
        )
    assert len(badges) == len(set(badges)), f"a badge cell was rendered twice: {badges}"
    assert len(badges) == 4  # B, not recorded, A, not tested (timeout)
    assert "&lt;b&gt;Second bank&lt;/b&gt;" in render.target_history_table(env, pages[1])
