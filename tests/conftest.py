"""Shared test set-up: make the plugin importable as `tlsreport` without the .pth file."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory):
    """The whole lab (every profile) started once per test session (per xdist worker).

    Scanner and grader tests scan it with the real sslyze; it is stopped at the end, and
    tests/lab/test_lab.py checks that nothing it started is left running.
    """
    from tlsreport.lab import Lab

    with Lab(tmp_path_factory.mktemp("lab")) as started:
        yield started


@pytest.fixture(scope="session")
def lab_snapshot(lab, tmp_path_factory: pytest.TempPathFactory):
    """ONE real scan of the whole lab list (per xdist worker): ``(Snapshot, raw sslyze JSON)``.

    Shared by the scanner's per-profile tests and the grader's tests so the lab is scanned
    once. Bounds are generous for a loaded CI box: the network timeout (sslyze's default,
    5 s) also bounds how long the probe waits for the silent server, in parallel with the rest.
    """
    from tlsreport.scan import scan_list
    from tlsreport.targets import load_target_list

    path = lab.write_targets_toml(
        tmp_path_factory.mktemp("lab-list") / "lab.toml", title="TLS lab", slug="lab"
    )
    return scan_list(
        load_target_list(path), network_timeout=5.0, target_timeout=90.0, overall_timeout=300.0
    )
