"""Hostile text from a real scanned lab server reaches the site as text, never as markup.

The lab's ``hostile-names`` server presents a certificate whose subject, issuer and names
carry ``<script>`` and attribute-breaking markup; ``hsts-huge`` sends an 80 kB HSTS header
full of markup. They are scanned with the real scanner, and the site is built and read back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sitekit import build, post, soup
from tlsreport.history import History
from tlsreport.lab import Lab
from tlsreport.scan import scan_list
from tlsreport.targets import load_target_list


@pytest.mark.lab
def test_markup_from_a_scanned_server_is_escaped(tmp_path: Path) -> None:
    with Lab(tmp_path / "lab", ["hostile-names", "hsts-huge"]) as lab:
        toml = lab.write_targets_toml(
            tmp_path / "targets" / "hostile.toml", title="Hostile lab", slug="hostile"
        )
        snapshot, raw = scan_list(load_target_list(toml), network_timeout=2.0)
    History(tmp_path / "history").write(snapshot, raw)
    subjects = [
        r.facts.certificate.leaf.subject
        for r in snapshot.results
        if r.facts and r.facts.certificate and r.facts.certificate.leaf
    ]
    # The scan really saw the markup (RFC 4514 puts a backslash before < and >).
    (hostile,) = [s for s in subjects if "<script" in s and "onerror" in s]

    post(
        tmp_path,
        "hostile",
        """
        [tlsreport grades list=hostile]

        [tlsreport grades list=hostile compact=yes]

        Inline: [tlsreport target list=hostile target="Lab hostile-names"]
        """,
        Date=snapshot.taken[:10],
        Tlsreport_snapshot=snapshot.taken,
    )
    out = build(tmp_path)
    for page in sorted(out.rglob("*.html")):
        html = soup(page)
        assert html.find("script") is None, page
        assert html.find("img", attrs={"onerror": True}) is None, page
    (page,) = (out / "tlsreport" / "hostile").glob("lab-hostile-names*.html")
    findings = soup(page).select_one(".tlsreport-findings").get_text()
    assert hostile in findings
