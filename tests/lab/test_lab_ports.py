"""The lab keeps its ports, takes a fixed base port, and starts or stops one server by name.

Real detached lab servers on 127.0.0.1 (``python -m tlsreport.lab`` in a subprocess, as
``make lab`` runs it); every started process is stopped by PID at the end.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tlsreport.lab.profiles import ALL_PROFILES
from tlsreport.lab.runner import ProcessRecord, is_alive, port_plan

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def lab(*args: str, directory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    return subprocess.run(
        [sys.executable, "-m", "tlsreport.lab", *args, "--dir", str(directory)],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def state_of(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "state.json").read_text())


def ports(directory: Path) -> dict[str, int]:
    return {t["profile"]: t["port"] for t in state_of(directory)["targets"]}


def records(directory: Path) -> dict[str, ProcessRecord]:
    return {p["profile"]: ProcessRecord(**p) for p in state_of(directory)["processes"]}


def verified_handshake(ca_file: str, port: int) -> None:
    """A handshake that checks the chain against the lab's CA: same root after a restart."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
        ctx.wrap_socket(sock, server_hostname="modern.lab.test"),
    ):
        pass


def test_one_server_stops_and_starts_alone_on_the_same_port(tmp_path: Path) -> None:
    seen: list[ProcessRecord] = []
    try:
        started = lab("start", "modern", "tls10-only", directory=tmp_path)
        assert started.returncode == 0, started.stderr
        first = ports(tmp_path)
        seen += records(tmp_path).values()
        other = records(tmp_path)["tls10-only"]

        stopped = lab("stop", "modern", directory=tmp_path)
        assert stopped.returncode == 0, stopped.stderr
        assert not is_alive(next(r for r in seen if r.profile == "modern"))
        assert is_alive(other), "stopping one server stopped another"

        again = lab("start", "modern", directory=tmp_path)
        assert again.returncode == 0, again.stderr
        assert f"modern started on 127.0.0.1:{first['modern']}" in again.stdout
        assert ports(tmp_path) == first
        assert records(tmp_path)["tls10-only"] == other
        seen += records(tmp_path).values()
        verified_handshake(state_of(tmp_path)["ca_file"], first["modern"])

        twice = lab("start", "modern", directory=tmp_path)
        assert twice.returncode == 1 and "already running" in twice.stderr

        assert lab("stop", directory=tmp_path).returncode == 0
        assert not (tmp_path / "state.json").exists()
        restarted = lab("start", "modern", "tls10-only", directory=tmp_path)
        assert restarted.returncode == 0, restarted.stderr
        seen += records(tmp_path).values()
        assert ports(tmp_path) == first, "ports changed across a restart"
    finally:
        lab("stop", directory=tmp_path)
    assert not any(is_alive(r) for r in seen)


def test_a_base_port_fixes_every_port(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    base = free - ALL_PROFILES.index("modern")
    try:
        started = lab("start", "modern", "--base-port", str(base), directory=tmp_path)
        assert started.returncode == 0, started.stderr
        assert ports(tmp_path) == {"modern": free}
        seen = list(records(tmp_path).values())
    finally:
        lab("stop", directory=tmp_path)
    assert not any(is_alive(r) for r in seen)


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = lab("start", "modern", "--base-port", str(port), directory=tmp_path)
    assert started.returncode == 1
    assert f"lab profile 'modern': cannot listen on 127.0.0.1:{port}" in started.stderr


def test_port_plan_prefers_what_the_lab_had() -> None:
    assert port_plan(["modern", "rc4"], base_port=20000, ports={"rc4": 31000}) == {
        "modern": 20000,
        "rc4": 31000,
    }
    assert port_plan(["modern"]) == {"modern": 0}
