"""A host with two addresses, on loopback (issue 11, point 1).

One name, two real servers on the same port: ``modern`` (TLS 1.2/1.3, HSTS: A+) on 127.0.0.1
and ``tls10-only`` (C) on 127.0.0.2, both with a certificate for the name. SSL Labs grades
every endpoint; so must we: the target is C, "1 of 2 addresses; the other A+".

The system resolver finds both addresses through /etc/hosts: the test adds its two lines
(marked with its PID) and removes exactly those again, even when it fails. CI runs as root.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tlsreport.cli import main
from tlsreport.grading import grade_result
from tlsreport.history import History
from tlsreport.lab import Lab
from tlsreport.scan import scan_list
from tlsreport.targets import load_target_list

pytestmark = pytest.mark.lab

HOST = "multi.lab.test"
HOSTS = Path("/etc/hosts")
TODAY = date(2026, 11, 26)


def _port_free_on_both() -> int:
    for _ in range(20):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.2", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    port = _port_free_on_both()
    with Lab(
        tmp_path_factory.mktemp("endpoints"),
        ["modern", "tls10-only"],
        listen={"modern": ("127.0.0.1", port), "tls10-only": ("127.0.0.2", port)},
        host_names={"modern": HOST, "tls10-only": HOST},
    ) as lab:
        yield lab


@pytest.fixture
def hosts_entry() -> Iterator[None]:
    """HOST → 127.0.0.1 and 127.0.0.2 in /etc/hosts; exactly our lines removed afterwards
    (others may edit the file meanwhile, so it is not restored wholesale)."""
    mark = f"# tlsreport-test-endpoints-{os.getpid()}"
    ours = [f"127.0.0.1 {HOST} {mark}", f"127.0.0.2 {HOST} {mark}"]
    before = HOSTS.read_text()
    with HOSTS.open("a") as f:
        f.write(("" if before.endswith("\n") or not before else "\n") + "\n".join(ours) + "\n")
    try:
        yield
    finally:
        kept = [line for line in HOSTS.read_text().splitlines(keepends=True) if mark not in line]
        HOSTS.write_text("".join(kept))
    assert mark not in HOSTS.read_text()


def _scan(lab: Any, tmp_path: Path, address: str | None) -> Any:
    port = lab.target("modern").port
    path = tmp_path / "bank.toml"
    path.write_text(
        f'title = "Bank"\nslug = "bank"\nscan = true\n'
        f"ca_file = {json.dumps(str(lab.ca_file))}\n\n"
        f'[[target]]\nname = "Bank"\nhost = "{HOST}"\nport = {port}\n'
        + (f"address = {address}\n" if address else "")
    )
    return scan_list(
        load_target_list(path), network_timeout=5.0, target_timeout=90.0, overall_timeout=300.0
    )


def _check_c_one_of_two(snapshot: Any) -> None:
    [result] = snapshot.results
    assert [(e.address, e.state) for e in result.endpoints] == [
        ("127.0.0.1", "ok"),
        ("127.0.0.2", "ok"),
    ]
    g = grade_result(result, TODAY)
    assert g.letter == "C", g.reasons
    assert [(e.address, e.letter) for e in g.endpoints] == [("127.0.0.1", "A+"), ("127.0.0.2", "C")]
    assert g.endpoints_note == "1 of 2 addresses; the other A+"


def test_every_address_the_resolver_gives_is_scanned_and_the_worst_counts(
    two_servers: Any, hosts_entry: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    infos = socket.getaddrinfo(HOST, 443, type=socket.SOCK_STREAM)
    assert {i[4][0] for i in infos} == {"127.0.0.1", "127.0.0.2"}
    snapshot, raw = _scan(two_servers, tmp_path, None)
    _check_c_one_of_two(snapshot)
    # Both endpoints were scanned with the host as SNI, each in the raw file.
    assert sorted(e["server_location"]["ip_address"] for e in raw["server_scan_results"]) == [
        "127.0.0.1",
        "127.0.0.2",
    ]
    assert {e["server_location"]["hostname"] for e in raw["server_scan_results"]} == {HOST}
    path = History(tmp_path / "history").write(snapshot, raw=raw)
    assert main(["grade", "--json", "--rules", TODAY.isoformat(), str(path)]) == 0
    [target] = json.loads(capsys.readouterr().out)["targets"]
    assert target["grade"] == "C"
    assert [(e["address"], e["grade"]) for e in target["endpoints"]] == [
        ("127.0.0.1", "A+"),
        ("127.0.0.2", "C"),
    ]


def test_pinned_addresses_are_each_an_endpoint(two_servers: Any, tmp_path: Path) -> None:
    snapshot, _raw = _scan(two_servers, tmp_path, '["127.0.0.1", "127.0.0.2"]')
    _check_c_one_of_two(snapshot)


def test_an_unreachable_endpoint_is_its_own_state(two_servers: Any, tmp_path: Path) -> None:
    snapshot, _raw = _scan(two_servers, tmp_path, '["127.0.0.1", "127.0.0.3"]')
    [result] = snapshot.results
    assert result.state == "ok"
    assert [(e.address, e.state) for e in result.endpoints] == [
        ("127.0.0.1", "ok"),
        ("127.0.0.3", "refused"),
    ]
    g = grade_result(result, TODAY)
    assert (g.letter, g.endpoints_note) == ("A+", "1 of 2 addresses; the other refused")
    from tlsreport.cli import snapshot_rows

    [(_name, _endpoint, state, detail)] = snapshot_rows(snapshot)  # the scan's table
    assert state == "scanned" and detail.endswith("; 127.0.0.1 ok, 127.0.0.3 refused")
