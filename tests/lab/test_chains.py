"""Incomplete chains, completed as SSL Labs does (issue 11, point 2), on real lab servers.

The ``incomplete-chain`` server sends its leaf only; the leaf's AIA caIssuers URL points at
the lab's plain-HTTP AIA server on loopback, which serves the intermediate (DER). Completed
and trusted, the grade is capped at B from 8 Dec 2014 ("incomplete certificate chain");
with fetching turned off the issuer cannot be found and the grade is T.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tlsreport.grading import grade_result
from tlsreport.history import History
from tlsreport.lab import Lab
from tlsreport.scan import facts_from_sslyze_json, scan_list
from tlsreport.scan.chain import ChainFetcher
from tlsreport.targets import load_target_list

pytestmark = pytest.mark.lab

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def chain_lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Lab(tmp_path_factory.mktemp("chain-lab"), ["incomplete-chain", "modern"]) as lab:
        yield lab


def _scan(lab: Any, path: Path, *, aia_fetch: bool = True) -> Any:
    toml = lab.write_targets_toml(path, title="Chains", slug="chains")
    if not aia_fetch:
        toml.write_text("aia_fetch = false\n" + toml.read_text())
    return scan_list(
        load_target_list(toml), network_timeout=5.0, target_timeout=60.0, overall_timeout=300.0
    )


@pytest.fixture(scope="module")
def scanned(chain_lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return _scan(chain_lab, tmp_path_factory.mktemp("chains") / "chains.toml")


def _result(snapshot: Any, profile: str) -> Any:
    return next(r for r in snapshot.results if r.target.host.startswith(profile + "."))


def test_the_lab_sends_the_leaf_only_and_serves_the_intermediate(chain_lab: Any) -> None:
    assert chain_lab.aia_url and chain_lab.aia_url.startswith("http://127.0.0.1:")
    assert "aia-http" not in [t.profile for t in chain_lab.targets]  # a helper, not a target
    fetcher = ChainFetcher()
    pems, error = fetcher.fetch(chain_lab.aia_url)
    assert error is None and len(pems) == 1
    assert fetcher.fetch(chain_lab.aia_url) == (pems, None)
    assert fetcher.fetches == 1  # once per URL per run


def test_a_completed_chain_is_capped_at_b_from_december_2014(scanned: Any) -> None:
    snapshot, _raw = scanned
    result = _result(snapshot, "incomplete-chain")
    cert = result.facts.certificate
    assert len(cert.chain) == 1 and cert.problem == "incomplete-chain"
    assert [c.subject for c in cert.fetched] == ["CN=tlsreport Lab Intermediate CA,O=tlsreport lab"]
    today = grade_result(result, TODAY)
    assert today.letter == "B", today.reasons
    assert [(r.id, r.label) for r in today.reasons] == [
        ("incomplete-chain", "incomplete certificate chain")
    ]
    assert grade_result(result, date(2014, 12, 8)).letter == "B"
    assert grade_result(result, date(2014, 12, 7)).letter == "A+"
    assert grade_result(_result(snapshot, "modern"), TODAY).letter == "A+"
    from tlsreport.pelican_glue.pages import findings

    rows = dict(findings(result))  # what the target page says
    assert rows["Trust"].startswith("trusted once the chain was completed through AIA")
    assert rows["Fetched through AIA"].startswith("CN=tlsreport Lab Intermediate CA")


def test_the_fetched_certificates_are_kept_so_regrading_stays_offline(
    scanned: Any, tmp_path: Path
) -> None:
    snapshot, raw = scanned
    history = History(tmp_path / "history")
    written = history.write(snapshot, raw=raw)
    loaded = history.load(written)
    again = _result(loaded, "incomplete-chain")
    assert (
        again.facts.certificate.fetched
        == _result(snapshot, "incomplete-chain").facts.certificate.fetched
    )
    assert grade_result(again, TODAY).letter == "B"
    # The raw file keeps the fetched PEM too: re-normalising it needs no network.
    kept = json.loads(
        gzip.decompress(
            written.with_name(written.name.replace(".json", ".sslyze.json.gz")).read_bytes()
        )
    )
    entry = next(
        e
        for e in kept["server_scan_results"]
        if e["server_location"]["hostname"].startswith("incomplete-chain.")
    )
    assert entry["tlsreport_chain"]["fetched_pem"]
    assert facts_from_sslyze_json(entry).certificate.problem == "incomplete-chain"


def test_without_fetching_the_issuer_is_not_found_and_the_grade_is_t(
    chain_lab: Any, tmp_path: Path
) -> None:
    snapshot, _raw = _scan(chain_lab, tmp_path / "nofetch.toml", aia_fetch=False)
    result = _result(snapshot, "incomplete-chain")
    assert result.facts.certificate.problem == "issuer-not-found"
    assert "aia_fetch = false" in result.facts.certificate.fetch_error
    g = grade_result(result, TODAY)
    assert (g.letter, g.grade_if_trusted) == ("T", "A+")
    assert [r.label for r in g.reasons] == ["incomplete chain: issuer not found"]
    from tlsreport.pelican_glue.pages import findings

    assert dict(findings(result))["Missing issuer"].startswith("not fetched: AIA fetching")
