"""Hostile servers: the scanner survives them and records what happened, quickly.

Uses the lab's HOSTILE_PROFILES (resets, non-TLS bytes, broken TLS records, fatal alerts,
a server that drips one byte a second, markup in certificates, a 100-certificate chain,
pathological HSTS headers, STARTTLS answered with 454), scanned once for this module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tlsreport import facts
from tlsreport.lab import Lab
from tlsreport.lab.profiles import HOSTILE_ATTRIBUTE, HOSTILE_PROFILES, HOSTILE_SCRIPT
from tlsreport.scan import scan_list
from tlsreport.targets import load_target_list

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, facts.TargetResult]]:
    directory = tmp_path_factory.mktemp("hostile-lab")
    with Lab(directory, HOSTILE_PROFILES) as lab:
        tl = load_target_list(lab.write_targets_toml(directory / "hostile.toml", slug="hostile"))
        # the per-target bound is far above the network timeout: what stops drip is the probe
        snapshot, _ = scan_list(tl, network_timeout=4, target_timeout=60, overall_timeout=120)
    yield {r.target.host.removesuffix(".lab.test"): r for r in snapshot.results}


@pytest.mark.parametrize(
    ("profile", "state", "words"),
    [
        ("reset-after-hello", "handshake-failure", "reset"),
        ("garbage", "no-tls", "not in TLS"),
        ("tls-garbage", "handshake-failure", "unexpected message"),
        ("alert", "handshake-failure", "could not find a TLS version"),
        ("drip", "timeout", "byte(s) of a TLS record"),
        ("starttls-refused", "starttls-refused", "STARTTLS rejected"),
    ],
)
def test_unusable_servers_get_a_state_and_reason(
    hostile: dict[str, facts.TargetResult], profile: str, state: str, words: str
) -> None:
    r = hostile[profile]
    assert (r.state, r.facts) == (state, None)
    assert r.reason is not None and words in r.reason


def test_markup_in_certificate_names_is_kept_verbatim(
    hostile: dict[str, facts.TargetResult],
) -> None:
    """Facts hold what the server sent; escaping is the renderer's job, not the scanner's."""
    r = hostile["hostile-names"]
    assert r.state == "ok" and r.facts is not None and r.facts.certificate is not None
    cert = r.facts.certificate
    leaf = cert.leaf
    assert leaf is not None
    assert f"{HOSTILE_SCRIPT}.lab.test" in leaf.sans and HOSTILE_ATTRIBUTE in leaf.sans
    # RFC 4514 strings escape '<' and '>' with a backslash but keep the markup
    assert r"\<script\>" in leaf.subject and "onerror=alert(1)" in leaf.issuer
    assert cert.hostname_matches is True  # its own name is among the SANs
    assert cert.problem == "untrusted"


def test_a_100_certificate_chain_is_read_whole(hostile: dict[str, facts.TargetResult]) -> None:
    r = hostile["long-chain"]
    assert r.state == "ok" and r.facts is not None and r.facts.certificate is not None
    assert len(r.facts.certificate.chain) == 100
    assert r.facts.certificate.problem == "untrusted"


@pytest.mark.parametrize("profile", ["hsts-repeated", "hsts-huge"])
def test_pathological_hsts_never_reads_as_no_hsts(
    hostile: dict[str, facts.TargetResult], profile: str
) -> None:
    r = hostile[profile]
    assert r.state == "ok" and r.facts is not None
    assert r.facts.offered("TLSv1.3") is True  # the rest of the scan still counts
    hsts, error = r.facts.hsts, r.facts.http_error
    # Either a header was read, or the failure is recorded; "present=False" would be a lie.
    assert (hsts is not None and hsts.present) or (hsts is None and error)
