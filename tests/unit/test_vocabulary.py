"""One vocabulary: the same word for a state and the same colour for a grade everywhere.

The reader met one unreachable server as "n/a", "not tested" and "refused", a "TLS 1.0 only"
server with Forward secrecy "yes" beside "no Forward Secrecy", reasons in pairs, an expired
certificate that "expires on" a past date, "not trusted (weak-signature)", and badges and
chart dots of different colours. Each test here pins one of those down.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from gradekit import CBC, RC4, TLS12, certificate, make_facts
from tlsreport import charts, render, suites, vocabulary
from tlsreport.cli import snapshot_rows
from tlsreport.diff import CHANGED, Change
from tlsreport.downloads import result_row
from tlsreport.facts import UNREACHABLE_STATES, Recorded, Snapshot, TargetRef, TargetResult
from tlsreport.grade import GRADES, Reason
from tlsreport.grading import grade_result
from tlsreport.grading.labels import LABELS
from tlsreport.vocabulary import NOT_RECORDED, NOT_TESTED, fold_reasons

CSS = Path(__file__).resolve().parents[2] / "theme" / "static" / "css" / "style.css"
# The plugin's own stylesheet for themes that do not style its classes: the same colours.
PLUGIN_CSS = (
    Path(__file__).resolve().parents[2] / "plugins" / "tlsreport" / "static" / ("tlsreport.css")
)
DAY = date(2026, 12, 5)


def _target(name: str = "Lab") -> TargetRef:
    return TargetRef(name=name, host="lab.test")


def refused() -> TargetResult:
    return TargetResult(target=_target("Closed"), state="refused")


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


# --- one word per state -------------------------------------------------------------------


def test_an_unreachable_target_is_not_tested_on_the_badge_chart_changes_cli_and_json() -> None:
    r = refused()
    badge = _soup(str(render.badge(None, vocabulary.state_word(r, None)))).span.get_text()
    snap = Snapshot(list_slug="lab", title="Lab", taken="2026-12-05T08:00:00Z", results=(r,))
    (cli_row,) = snapshot_rows(snap)
    change = Change(
        key=r.target.key,
        name="Closed",
        kind=CHANGED,
        old_grade="A",
        new_grade=None,
        gained=(),
        lost=(),
        first_seen="2026-12-05",
        cause="state",
        old_state="ok",
        new_state="refused",
    )
    changes = render.changes_view(render.environment(), [change], since_label="then")
    row = result_row(snap, r, None)
    assert badge == NOT_TESTED
    assert cli_row[2] == NOT_TESTED and cli_row[3] == UNREACHABLE_STATES["refused"]
    assert f"{NOT_TESTED} (connection refused)" in _soup(changes).get_text()
    assert row["shown_as"] == NOT_TESTED and row["state"] == "refused"
    assert "n/a" not in badge + _soup(changes).get_text()


def test_a_recorded_target_without_a_grade_is_not_recorded_everywhere() -> None:
    r = TargetResult(target=_target(), recorded=Recorded(grade=None))
    assert vocabulary.state_word(r, None) == NOT_RECORDED
    assert render.state_text(r) == NOT_RECORDED
    snap = Snapshot(list_slug="lab", title="Lab", taken="2026-12-05T08:00:00Z", results=(r,))
    assert result_row(snap, r, None)["shown_as"] == NOT_RECORDED
    badge = _soup(str(render.badge(None, NOT_RECORDED))).span
    assert badge.get_text() == NOT_RECORDED and "tls-grade-not-recorded" in badge["class"]


# --- one colour per grade -----------------------------------------------------------------


def _css_rules(css: Path = CSS) -> dict[str, dict[str, str]]:
    text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8"), flags=re.S)
    out: dict[str, dict[str, str]] = {}
    for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        decl = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+);", body))
        for s in sel.split(","):
            out.setdefault(s.strip(), {}).update({k: v.strip() for k, v in decl.items()})
    return out


@pytest.mark.parametrize("css", [CSS, PLUGIN_CSS], ids=["theme", "plugin"])
@pytest.mark.parametrize("word", [*GRADES, NOT_TESTED, NOT_RECORDED])
def test_badge_and_chart_use_one_colour_per_grade(word: str, css: Path) -> None:
    rule = _css_rules(css)[f".tls-grade-{vocabulary.slug(word)}"]
    background, text = vocabulary.COLOURS[word]
    assert rule["background-color"].lower() == background
    assert rule["color"].lower() == text
    assert charts.colour(word) == background


# --- the column and the reason say the same ------------------------------------------------


def test_tls10_only_shows_no_forward_secrecy_in_the_column_and_the_reason() -> None:
    facts = make_facts(protocols={"TLSv1.0": CBC, "TLSv1.2": (), "TLSv1.3": ()})
    grade = grade_result(TargetResult(target=_target(), facts=facts), DAY)
    assert grade is not None
    assert "no-fs" in {r.id for r in grade.reasons}
    assert render.forward_secrecy_summary(facts) == "no"


@pytest.mark.parametrize(
    "protocols, word",
    [
        ({}, "yes"),
        ({"TLSv1.2": (*TLS12, RC4)}, "partly"),
        ({"TLSv1.2": (RC4,), "TLSv1.3": ()}, "no"),
    ],
)
def test_forward_secrecy_column_is_no_exactly_when_the_grader_says_no_fs(
    protocols: dict, word: str
) -> None:  # type: ignore[type-arg]
    facts = make_facts(protocols=protocols)
    grade = grade_result(TargetResult(target=_target(), facts=facts), DAY)
    assert grade is not None
    assert suites.forward_secrecy_summary(facts) == word
    assert ("no-fs" in {r.id for r in grade.reasons}) == (word == "no")


# --- the most specific reason only ----------------------------------------------------------


def _reason(rid: str, severity: str) -> Reason:
    return Reason(rid, LABELS[rid], severity)


def test_rc4_with_modern_browsers_is_not_repeated_as_rc4() -> None:
    shown = fold_reasons([_reason("rc4-modern", "C"), _reason("rc4", "B")])
    assert [r.label for r in shown] == ["RC4 with modern browsers"]


def test_sha1_in_chain_is_not_repeated_beside_the_leaf_sha1() -> None:
    shown = fold_reasons([_reason("sha1-cert", "T"), _reason("sha1-chain", "T")])
    assert [r.label for r in shown] == ["weak signature (SHA1)"]


def test_a_general_reason_that_caps_harder_than_the_specific_one_stays() -> None:
    """Early 2015: RC4 capped at B while "RC4 with modern browsers" was a warning."""
    shown = fold_reasons([_reason("rc4", "B"), _reason("rc4-modern", "warning")])
    assert [r.id for r in shown] == ["rc4", "rc4-modern"]


def test_a_real_grade_shows_each_reason_once() -> None:
    facts = make_facts(
        add={"TLSv1.2": (RC4,)},
        certificate=certificate(problem="weak-signature", chain=certificate().chain),
    )
    result = TargetResult(target=_target(), facts=facts)
    grade = grade_result(result, DAY)
    assert grade is not None
    assert {"rc4", "rc4-modern"} <= {r.id for r in grade.reasons}  # the grader keeps both
    shown = render.reasons_of(result, grade)
    assert "RC4 with modern browsers" in shown and "RC4 (insecure)" not in shown


# --- dates and trust in words --------------------------------------------------------------


def test_a_past_expiry_says_expired_on_and_a_future_one_days_left() -> None:
    assert vocabulary.expiry_text(date(2026, 11, 5), DAY) == (
        "expired on 5 November 2026 (30 days before the scan)"
    )
    assert vocabulary.expiry_text(date(2027, 1, 4), DAY) == (
        "expires on 4 January 2027 (30 days left)"
    )


@pytest.mark.parametrize(
    "problem",
    [
        "expired",
        "self-signed",
        "weak-signature",
        "untrusted",
        "mismatch",
        "issuer-not-found",
        "not-yet-valid",
    ],
)
def test_trust_is_said_in_words_never_as_an_internal_id(problem: str) -> None:
    text = vocabulary.trust_text(problem, trusted=False)
    assert text == f"not trusted: {vocabulary.TRUST_WORDS[problem]}"
    assert f"({problem})" not in text and " " in vocabulary.TRUST_WORDS[problem]
    assert vocabulary.trust_text(None, trusted=True) == "trusted"


def test_an_incomplete_chain_completed_through_aia_reads_as_trusted_once_completed() -> None:
    """ "incomplete-chain" is the issue-11 problem of a chain that was completed and trusted
    (cap B), whatever the stores said of the chain as sent."""
    for trusted in (False, True):
        assert vocabulary.trust_text("incomplete-chain", trusted=trusted) == (
            "trusted once the chain was completed through AIA (incomplete chain)"
        )


def test_empty_grade_runs_read_as_one_line() -> None:
    assert vocabulary.join_words(["D", "E", "F"]) == "D, E or F"
    assert vocabulary.join_words(["T"]) == "T"


def test_the_posts_data_lists_the_reasons_the_page_showed() -> None:
    facts = make_facts(add={"TLSv1.2": (RC4,)})
    result = TargetResult(target=_target(), facts=facts)
    grade = grade_result(result, DAY)
    snap = Snapshot(list_slug="lab", title="Lab", taken="2026-12-05T08:00:00Z", results=(result,))
    row = result_row(snap, result, grade)
    assert row["reasons"] == render.reasons_of(result, grade)
    assert "RC4 (insecure)" not in row["reasons"] and row["shown_as"] == row["grade"]
