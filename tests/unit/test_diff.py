"""diff: dated changes between snapshots, and "the rules changed, not the bank".

Hand-built recorded snapshots (grades as published, with their reasons) graded by the real
grader; the data mirrors the example series (shared/reference/example-series.md).
"""

from __future__ import annotations

from datetime import date

import pytest
from tlsreport.diff import (
    ADDED,
    CAUSE_BOTH,
    CAUSE_RULES,
    CAUSE_SERVER,
    CAUSE_STATE,
    CHANGED,
    REMOVED,
    STATE,
    Change,
    changes_between,
    graded,
)
from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    CipherSuite,
    Facts,
    Recorded,
    Renegotiation,
    Snapshot,
    TargetRef,
    TargetResult,
    TrustResult,
)

SHA1 = "weak signature (SHA1)"
NO12 = "no TLS 1.2"
RC4 = "RC4 (insecure)"
NOFS = "no Forward Secrecy"
RENEG = "no support for secure renegotiation"
SSL3 = "SSL3 (insecure)"
WEAKDH = "weak DH"

Entry = str | None | tuple[str | None, tuple[str, ...]]


def _host(name: str) -> str:
    return "www." + "".join(c for c in name.lower() if c.isalnum()) + ".example"


def result(name: str, entry: Entry) -> TargetResult:
    """``"B"`` / ``("B", reasons)`` a recorded grade; ``None`` grade not recorded;
    ``"!untestable"`` a target that could not be tested."""
    target = TargetRef(name=name, host=_host(name))
    if isinstance(entry, str) and entry.startswith("!"):
        return TargetResult(target=target, state=entry[1:], reason="asked not to be scanned")
    grade, reasons = entry if isinstance(entry, tuple) else (entry, ())
    return TargetResult(target=target, recorded=Recorded(grade=grade, reasons=reasons))


def snap(day: str, targets: dict[str, Entry]) -> Snapshot:
    return Snapshot(
        list_slug="banks",
        title="Banks",
        taken=f"{day}T12:00:00Z",
        kind="recorded",
        results=tuple(result(n, e) for n, e in targets.items()),
    )


def summary(changes: list[Change]) -> list[tuple[str, str, str, str | None, str | None]]:
    return [(c.first_seen, c.name, c.kind, c.old_grade, c.new_grade) for c in changes]


# --- part 4: every change under the date it was first seen ---------------------------------

PART3 = {
    "ABK": "F",
    "Bank Van Breda": "C",
    "Crelan": "B",
    "Hello Bank!": "C",
    "ING": "F",
    "Keytrade": "B",
    "MeDirect": "F",
    "Ogone": "C",
    "Record Bank": "F",
    "Argenta": ("B", (SSL3, SHA1, RC4, NOFS)),
    "Triodos": None,
    "Europabank": "!untestable",
}


def part4_history() -> list[Snapshot]:
    days: list[tuple[str, dict[str, Entry]]] = [
        ("2015-02-16", {"Keytrade": "A", "Hello Bank!": "A", "ING": "A-", "Record Bank": "A-"}),
        (
            "2015-02-17",
            {
                "ABK": ("B", (SHA1, NO12, NOFS, RENEG)),
                "Bank Van Breda": ("B", (SHA1, NO12, NOFS, RENEG)),
            },
        ),
        (
            "2015-02-18",
            {
                "MeDirect": "A",
                "Delta Lloyd": None,
                "Binck": None,
                "BKCP": ("B", (SHA1, NO12, RC4, NOFS)),
                "Fortuneo": "C",
            },
        ),
        ("2015-02-27", {"Ogone": "A-"}),
        ("2015-03-02", {"Fortuneo": ("B", (SHA1, NO12, NOFS))}),
        ("2015-03-03", {"Crelan": "A"}),
    ]
    state = dict(PART3)
    out = [snap("2015-02-15", state)]
    for day, updates in days:
        state = {**state, **updates}
        out.append(snap(day, state))
    return out


def test_part4_changes_are_listed_under_the_day_each_was_first_seen() -> None:
    history = part4_history()
    changes = changes_between(history, history[0], history[-1])
    assert summary(changes) == [
        ("2015-02-16", "Hello Bank!", CHANGED, "C", "A"),
        ("2015-02-16", "ING", CHANGED, "F", "A-"),
        ("2015-02-16", "Keytrade", CHANGED, "B", "A"),
        ("2015-02-16", "Record Bank", CHANGED, "F", "A-"),
        ("2015-02-17", "ABK", CHANGED, "F", "B"),
        ("2015-02-17", "Bank Van Breda", CHANGED, "C", "B"),
        ("2015-02-18", "Binck", ADDED, None, None),
        ("2015-02-18", "BKCP", ADDED, None, "B"),
        ("2015-02-18", "Delta Lloyd", ADDED, None, None),
        ("2015-02-18", "Fortuneo", ADDED, None, "C"),
        ("2015-02-18", "MeDirect", CHANGED, "F", "A"),
        ("2015-02-27", "Ogone", CHANGED, "C", "A-"),
        ("2015-03-02", "Fortuneo", CHANGED, "C", "B"),
        ("2015-03-03", "Crelan", CHANGED, "B", "A"),
    ]
    assert all(c.cause == CAUSE_SERVER for c in changes if c.kind == CHANGED)
    assert all(c.cause == CAUSE_STATE for c in changes if c.kind == ADDED)


def test_reasons_gained_and_lost_are_named_by_reason() -> None:
    history = part4_history()
    changes = {c.name: c for c in changes_between(history, history[0], history[-1])}
    abk = changes["ABK"]
    # ABK's reasons were not noted at F: on 02-17 they are first recorded, not new (issue 15).
    assert abk.gained == ()
    assert {r.label for r in abk.first_recorded} >= {SHA1, NO12}
    assert abk.lost == ()
    fortuneo_labels = [r.label for r in changes["Fortuneo"].first_recorded]
    assert len(fortuneo_labels) == len(set(fortuneo_labels))


def test_untestable_and_unrecorded_targets_do_not_show_as_changes() -> None:
    history = part4_history()
    names = {c.name for c in changes_between(history, history[0], history[-1])}
    assert "Europabank" not in names  # untestable the whole time
    assert "Triodos" not in names  # on the list, grade never recorded
    assert "Argenta" not in names  # same grade and reasons


def test_since_a_later_snapshot_only_shows_what_happened_after_it() -> None:
    history = part4_history()
    changes = changes_between(history, history[4], history[-1])  # since 2015-02-27
    assert summary(changes) == [
        ("2015-03-02", "Fortuneo", CHANGED, "C", "B"),
        ("2015-03-03", "Crelan", CHANGED, "B", "A"),
    ]


def test_without_since_every_target_is_new() -> None:
    history = part4_history()
    changes = changes_between(history[:1], None, history[0])
    assert {c.kind for c in changes} == {ADDED}
    assert len(changes) == len(PART3)
    assert {c.first_seen for c in changes} == {"2015-02-15"}


def test_changes_are_sorted_by_date_then_name_case_insensitively() -> None:
    history = part4_history()
    changes = changes_between(list(reversed(history)), history[0], history[-1])
    keys = [(c.first_seen, c.name.casefold()) for c in changes]
    assert keys == sorted(keys)


# --- part 5: the rules changed, not the bank -----------------------------------------------


def part5() -> tuple[Snapshot, Snapshot]:
    before = snap(
        "2015-03-03",
        {
            "PSA Bank": ("C", (SHA1, NO12, RC4, NOFS)),
            "beobank": ("B", (SHA1, NO12, RC4, NOFS)),
            "KBC": ("B", (SHA1, NO12, NOFS)),
            "Hello Bank!": "A",
            "Optima Bank": ("F", ("vulnerable to POODLE (SSL3 and TLS)", SHA1, "RC4", NOFS)),
            "ABK": ("B", (SHA1, NO12, NOFS, RENEG)),
        },
    )
    after = snap(
        "2015-12-30",
        {
            "PSA Bank": ("C", (SHA1, NO12, NOFS)),
            "beobank": ("C", (WEAKDH, NO12, RC4, NOFS, RENEG)),
            "KBC": ("C", (SHA1, NO12, NOFS)),
            "Hello Bank!": ("B", (WEAKDH,)),
            "Optima Bank": "A-",
            "ABK": None,
        },
    )
    return before, after


def test_no_tls12_b_of_february_is_c_at_the_end_of_2015_because_the_rules_changed() -> None:
    before, after = part5()
    changes = {c.name: c for c in changes_between([before, after], before, after)}
    kbc = changes["KBC"]
    assert (kbc.old_grade, kbc.new_grade) == ("B", "C")
    assert kbc.cause == CAUSE_RULES
    assert kbc.rules_only
    assert kbc.gained == () and kbc.lost == ()
    # beobank: the new grade is the one the old server gets under the new rules.
    assert changes["beobank"].cause == CAUSE_RULES


def test_a_server_that_changed_is_not_blamed_on_the_rules() -> None:
    before, after = part5()
    changes = {c.name: c for c in changes_between([before, after], before, after)}
    hello = changes["Hello Bank!"]
    assert (hello.old_grade, hello.new_grade, hello.cause) == ("A", "B", CAUSE_SERVER)
    # Its A list carried no reasons: weak DH is first recorded, not known to be new (issue 15).
    assert hello.gained == ()
    assert [r.label for r in hello.first_recorded] == [WEAKDH]
    assert changes["Optima Bank"].new_grade == "A-"
    assert changes["Optima Bank"].cause in (CAUSE_SERVER, CAUSE_BOTH)
    assert not changes["Optima Bank"].rules_only


def test_same_grade_with_a_reason_fixed_is_a_server_change() -> None:
    before, after = part5()
    psa = {c.name: c for c in changes_between([before, after], before, after)}["PSA Bank"]
    assert (psa.old_grade, psa.new_grade, psa.kind, psa.cause) == ("C", "C", CHANGED, CAUSE_SERVER)
    assert [r.label for r in psa.lost] == [RC4]


def test_a_grade_not_recorded_later_is_neither_a_change_nor_a_removal() -> None:
    before, after = part5()
    names = {c.name for c in changes_between([before, after], before, after)}
    assert "ABK" not in names


def test_a_grade_recorded_again_after_a_gap_is_compared_with_the_last_known_one() -> None:
    before, after = part5()
    later = snap("2016-01-11", {"ABK": "A"})
    abk = [c for c in changes_between([before, after, later], before, later) if c.name == "ABK"]
    assert summary(abk) == [("2016-01-11", "ABK", CHANGED, "B", "A")]


def test_graded_uses_the_snapshots_own_rules_unless_told_otherwise() -> None:
    before, _ = part5()
    own = graded(before)
    key = result("KBC", "B").target.key
    grade = own[key][1]
    assert grade is not None
    assert grade.letter == "B"
    later = graded(before, rules_on=date(2015, 12, 30))[key][1]
    assert later is not None
    assert later.letter == "C"
    abk = graded(snap("2015-12-30", {"ABK": None}))[result("ABK", None).target.key]
    assert abk[1] is None


# --- dating, flukes, removals, reachability ------------------------------------------------


def test_a_fluke_that_came_and_went_is_not_a_change() -> None:
    history = [
        snap("2026-01-01", {"X": "B"}),
        snap("2026-01-08", {"X": "A"}),
        snap("2026-01-15", {"X": "B"}),
    ]
    assert changes_between(history, history[0], history[-1]) == []


def test_a_change_is_dated_by_the_start_of_the_run_that_lasted() -> None:
    history = [
        snap("2026-01-01", {"X": "B"}),
        snap("2026-01-08", {"X": "A"}),
        snap("2026-01-15", {"X": "B"}),
        snap("2026-01-22", {"X": "A"}),
        snap("2026-01-29", {"X": "A"}),
    ]
    assert summary(changes_between(history, history[0], history[-1])) == [
        ("2026-01-22", "X", CHANGED, "B", "A")
    ]


def test_removed_target_is_listed_with_its_last_grade() -> None:
    history = [snap("2026-01-01", {"X": "B", "Y": "A"}), snap("2026-01-08", {"Y": "A"})]
    changes = changes_between(history, history[0], history[-1])
    assert summary(changes) == [("2026-01-08", "X", REMOVED, "B", None)]
    assert changes[0].new_state is None and changes[0].old_state == "ok"


def test_becoming_unreachable_is_a_state_change_not_a_grade() -> None:
    history = [snap("2026-01-01", {"X": "B"}), snap("2026-01-08", {"X": "!refused"})]
    (change,) = changes_between(history, history[0], history[-1])
    assert (change.kind, change.old_grade, change.new_grade) == (STATE, "B", None)
    assert (change.old_state, change.new_state, change.cause) == ("ok", "refused", CAUSE_STATE)
    back = [*history, snap("2026-01-15", {"X": "A"})]
    (change,) = changes_between(back, history[1], back[-1])
    assert (change.kind, change.old_state, change.new_state, change.new_grade) == (
        STATE,
        "refused",
        "ok",
        "A",
    )


def test_since_after_until_gives_no_changes() -> None:
    history = [snap("2026-01-01", {"X": "B"}), snap("2026-01-08", {"X": "A"})]
    assert changes_between(history, history[1], history[0]) == []


def test_snapshot_with_a_bad_date_names_the_field() -> None:
    bad = Snapshot(list_slug="banks", title="Banks", taken="yesterday")
    with pytest.raises(ValueError, match="taken"):
        _ = bad.day


# --- scanned facts: the same server under the rules of three dates ------------------------


def tls10_only_server() -> TargetResult:
    """A trusted server that offers TLS 1.0 only (a typical 2015 'no TLS 1.2' bank)."""
    suite = CipherSuite(
        name="TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        bits=128,
        kex="ECDHE",
        kex_bits=256,
        curve="prime256v1",
        forward_secrecy=True,
        cbc=True,
    )
    leaf = Certificate(
        subject="CN=bank.example",
        issuer="CN=CA",
        sans=("bank.example",),
        signature_hash="sha256",
        key_type="RSA",
        key_bits=2048,
        not_after="2030-01-01T00:00:00Z",
    )
    facts = Facts(
        protocols={
            "SSLv2": (),
            "SSLv3": (),
            "TLSv1.0": (suite,),
            "TLSv1.1": (),
            "TLSv1.2": (),
            "TLSv1.3": (),
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
    )
    return TargetResult(target=TargetRef(name="Bank", host="bank.example"), facts=facts)


def scan(day: str) -> Snapshot:
    return Snapshot(
        list_slug="banks", title="Banks", taken=f"{day}T12:00:00Z", results=(tls10_only_server(),)
    )


def test_identical_scans_b_in_february_c_in_december_2015_is_the_rules() -> None:
    feb, dec = scan("2015-02-16"), scan("2015-12-30")
    (change,) = changes_between([feb, dec], feb, dec)
    assert (change.old_grade, change.new_grade, change.cause) == ("B", "C", CAUSE_RULES)
    assert change.first_seen == "2015-12-30"


def test_identical_scans_gaining_reasons_from_new_rules_is_the_rules_too() -> None:
    dec, now = scan("2015-12-30"), scan("2026-11-26")
    changes = changes_between([dec, now], dec, now)
    assert len(changes) == 1
    (change,) = changes
    assert change.cause == CAUSE_RULES
    assert change.gained  # e.g. "no TLS 1.3", rules that did not exist in 2015
