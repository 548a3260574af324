"""Hostile and broken servers: the scan ends, the build completes, nothing reaches a page raw.

The lab's hostile profiles (``HOSTILE_PROFILES``: resets, garbage, alerts, a server that drips
one byte a second, markup in certificate names, a 100-certificate chain, flooded HSTS headers,
a refused STARTTLS) are scanned ONCE per module with the real sslyze and small bounds, written
to history with the real ``History``, and shown in a real Pelican build. Each test then checks
one promise: a recorded state or a grade for every server, the bound for the one that never
finishes, and escaping of everything a server could say.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from safetykit import svg_problems
from sitekit import build, post, soup
from tlsreport.facts import Snapshot, TargetResult
from tlsreport.grading import GRADES, grade_facts
from tlsreport.history import History
from tlsreport.lab import HOSTILE_PROFILES, Lab
from tlsreport.lab.profiles import HOSTILE_ATTRIBUTE, HOSTILE_SCRIPT
from tlsreport.scan import scan_list
from tlsreport.targets import load_target_list

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("hostile")]

# Below the 5 s the drip server takes for a record header (so the probe stops it), above what
# a loaded machine needs for a handshake. The per-target bound is only a backstop here.
NETWORK_TIMEOUT = 3.0
TARGET_TIMEOUT = 30.0
OVERALL_TIMEOUT = 90.0

# What each hostile server must end as: a state (and for "ok", that it is graded).
EXPECTED_STATE: dict[str, set[str]] = {
    "reset-after-hello": {"handshake-failure"},
    "garbage": {"no-tls"},
    # sslyze reports an OpenSSL "unexpected message" as an unexpected connection error
    "tls-garbage": {"handshake-failure", "error"},
    "alert": {"handshake-failure"},
    "drip": {"timeout"},
    "hostile-names": {"ok"},
    "long-chain": {"ok"},
    "hsts-repeated": {"ok"},
    "hsts-huge": {"ok"},
    "starttls-refused": {"starttls-refused"},
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Start the hostile lab, scan it once, write the snapshot, build a site that shows it."""
    root = tmp_path_factory.mktemp("hostile")
    with Lab(root / "lab", HOSTILE_PROFILES) as lab:
        target_list = load_target_list(
            lab.write_targets_toml(
                root / "targets" / "hostile.toml", title=f"Hostile {HOSTILE_SCRIPT}", slug="hostile"
            )
        )
        snapshot, raw = scan_list(
            target_list,
            network_timeout=NETWORK_TIMEOUT,
            target_timeout=TARGET_TIMEOUT,
            overall_timeout=OVERALL_TIMEOUT,
        )
    site = root / "site"
    History(site / "history").write(snapshot, raw)
    day = dt.date.fromisoformat(snapshot.taken[:10]) + dt.timedelta(days=1)
    post(
        site,
        "hostile",
        """
        [tlsreport grades list=hostile]

        [tlsreport grades list=hostile compact=yes]

        [tlsreport changes list=hostile]

        [tlsreport chart list=hostile]

        [tlsreport chart list=hostile kind=timeline target="Lab hostile-names"]

        Names: [tlsreport target list=hostile target="Lab hostile-names"]

        Chain: [tlsreport target list=hostile target="Lab long-chain"]
        """,
        Date=day.isoformat(),
        Slug="hostile",
    )
    out = build(site)
    return {"snapshot": snapshot, "raw": raw, "out": out, "site": site}


def _by_profile(snapshot: Snapshot) -> dict[str, TargetResult]:
    return {r.target.name.removeprefix("Lab "): r for r in snapshot.results}


def test_every_hostile_server_ends_as_its_expected_state(hostile: dict[str, Any]) -> None:
    results = _by_profile(hostile["snapshot"])
    assert set(results) == set(HOSTILE_PROFILES) == set(EXPECTED_STATE)
    got = {name: r.state for name, r in results.items()}
    assert {n: s for n, s in got.items() if s not in EXPECTED_STATE[n]} == {}
    for name, result in results.items():
        if result.state != "ok":
            assert result.reason, name  # every failure state says why
            assert result.facts is None, name


def test_only_the_drip_server_times_out_and_a_bound_stops_it(hostile: dict[str, Any]) -> None:
    """A byte a second never trips a socket timeout; the probe's or the target's bound must."""
    results = _by_profile(hostile["snapshot"])
    reason = results["drip"].reason or ""
    assert (
        f"within {NETWORK_TIMEOUT:g} s" in reason
        or f"per-target bound of {TARGET_TIMEOUT:g} s" in reason
    ), reason
    # Every other server was decided by the scan itself, not by a bound.
    assert [n for n, r in results.items() if r.state == "timeout" and n != "drip"] == []


def test_servers_that_complete_a_handshake_are_graded(hostile: dict[str, Any]) -> None:
    results = _by_profile(hostile["snapshot"])
    on = dt.date.fromisoformat(hostile["snapshot"].taken[:10])
    for name in ("hostile-names", "long-chain", "hsts-repeated", "hsts-huge"):
        result = results[name]
        assert result.facts is not None, name
        grade = grade_facts(result.facts, on, hostname=result.target.host)
        assert grade.letter in GRADES, name
    names, chain = results["hostile-names"].facts, results["long-chain"].facts
    assert names is not None and names.certificate is not None
    assert grade_facts(names, on, hostname="hostile-names.lab.test").letter == "T"
    assert chain is not None and chain.certificate is not None
    assert len(chain.certificate.chain) == 100
    assert grade_facts(chain, on, hostname="long-chain.lab.test").letter == "T"


def test_flooded_hsts_is_not_tested_never_a_pass(hostile: dict[str, Any]) -> None:
    """150 conflicting headers or one 80 kB header: HSTS is unknown, so no A+ is confirmed."""
    results = _by_profile(hostile["snapshot"])
    on = dt.date.fromisoformat(hostile["snapshot"].taken[:10])
    for name in ("hsts-repeated", "hsts-huge"):
        found = results[name].facts
        assert found is not None and found.hsts is None and found.http_error, name
        grade = grade_facts(found, on, hostname=results[name].target.host)
        assert grade.letter != "A+", name
        assert any("HSTS" in t or "Strict" in t for t in grade.not_tested), grade.not_tested


def test_markup_from_certificates_is_recorded_verbatim(hostile: dict[str, Any]) -> None:
    """The snapshot keeps what the server said (escaping is the page's job, not history's)."""
    found = _by_profile(hostile["snapshot"])["hostile-names"].facts
    assert found is not None and found.certificate is not None
    leaf, ca = found.certificate.chain
    # Names come as RFC 4514 strings (which backslash '<', '>' and '"'); SANs come raw.
    assert "script\\>alert('tlsreport')" in leaf.subject and "onerror=alert(1)" in leaf.subject
    assert "alert('issuer')" in leaf.issuer and leaf.issuer == ca.subject
    assert f"{HOSTILE_SCRIPT}.lab.test" in leaf.sans and HOSTILE_ATTRIBUTE in leaf.sans


def test_build_completes_and_shows_every_server(hostile: dict[str, Any]) -> None:
    page = soup(hostile["out"] / "hostile.html")
    text = page.select_one(".post-content").get_text(" ", strip=True)
    for name in HOSTILE_PROFILES:
        assert f"Lab {name}" in text, name
    assert page.select_one("figure.tlsreport-chart img") is not None
    assert (hostile["out"] / "tlsreport" / "hostile" / "index.html").is_file()


def _pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_no_server_supplied_markup_becomes_an_element(hostile: dict[str, Any]) -> None:
    pages = _pages(hostile["out"])
    assert len(pages) > 3
    for page in pages:
        html = soup(page)
        assert html.find("script") is None, page
        assert html.find("img", attrs={"onerror": True}) is None, page
        handlers = [
            (t.name, a) for t in html.find_all(True) for a in t.attrs if a.lower().startswith("on")
        ]
        assert handlers == [], page
        raw = page.read_text(encoding="utf-8")
        assert "<script" not in raw.lower(), page
        assert "<img src=x" not in raw, page


def test_server_supplied_markup_is_shown_as_text(hostile: dict[str, Any]) -> None:
    """The reader sees the certificate's names as the server sent them, escaped in the HTML."""
    out = hostile["out"]
    shown = " ".join(soup(p).get_text(" ") for p in _pages(out))
    raw = " ".join(p.read_text(encoding="utf-8") for p in _pages(out))
    assert "<script>alert(" in shown  # as text...
    assert "&lt;script&gt;alert(" in raw  # ...because it was escaped
    assert "Hostile <script>alert('tlsreport')</script>" in shown  # the list title too


def test_svg_charts_carry_no_script_or_external_reference(hostile: dict[str, Any]) -> None:
    charts = sorted((hostile["out"] / "tlsreport").rglob("*.svg"))
    assert charts
    for chart in charts:
        assert svg_problems(chart.read_bytes()) == [], chart
