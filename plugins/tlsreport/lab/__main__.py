"""``python -m tlsreport.lab start|stop|targets [PROFILE ...] --dir DIR``: the lab for ``make lab``.

``start`` leaves the servers running after it exits (each in its own session) and records
them in DIR/state.json; ``stop`` reads that file and stops exactly those processes by PID
and process group, after checking each PID still belongs to the process it recorded.

Ports stay put: every start records each profile's port in DIR/ports.json (kept by
``stop``) and the next start binds the same ports, so a target list written for the lab
keeps working; ``--base-port N`` fixes them outright (N + the profile's place in the list).
Naming profiles starts or stops just those servers; a server started beside a running lab
reuses its certificates and its port.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from .profiles import ALL_PROFILES, HOSTILE_PROFILES, PROFILES
from .runner import (
    Lab,
    LabError,
    LabTarget,
    ProcessRecord,
    is_alive,
    stop_processes,
    targets_toml,
)

STATE = "state.json"
TOML = "lab.toml"
PORTS = "ports.json"


def _load_state(directory: Path) -> dict[str, Any]:
    path = directory / STATE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise LabError(
            f"{path}: no lab recorded here (start one with "
            f"`python -m tlsreport.lab start --dir {directory}`)"
        ) from None
    except json.JSONDecodeError as exc:
        raise LabError(f"{path}, line {exc.lineno}: not valid JSON: {exc.msg}") from None


def _records(state: dict[str, Any]) -> list[ProcessRecord]:
    return [ProcessRecord(**p) for p in state.get("processes", [])]


def _print_targets(state: dict[str, Any], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    targets = [LabTarget(**t) for t in state.get("targets", [])]
    width = max((len(t.profile) for t in targets), default=7)
    for t in targets:
        print(
            f"{t.profile:<{width}}  {t.host}:{t.port} ({t.address})  {t.service:<5}  {t.weakness}",
            file=out,
        )
    print(f"CA file: {state['ca_file']}", file=out)
    print(f"target list: {Path(state['directory']) / TOML}", file=out)


def _remembered_ports(directory: Path) -> dict[str, int]:
    try:
        data = json.loads((directory / PORTS).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def _remember_ports(directory: Path, targets: list[dict[str, Any]]) -> None:
    ports = _remembered_ports(directory)
    ports.update({t["profile"]: t["port"] for t in targets})
    (directory / PORTS).write_text(json.dumps(dict(sorted(ports.items())), indent=2) + "\n")


def _write_state(directory: Path, state: dict[str, Any]) -> None:
    (directory / STATE).write_text(json.dumps(state, indent=2) + "\n")
    ca_file = Path(state["ca_file"])
    targets = [LabTarget(**t) for t in state["targets"]]
    (directory / TOML).write_text(targets_toml(targets, ca_file, title="TLS lab", slug="lab"))
    _remember_ports(directory, state["targets"])


def start(
    directory: Path,
    hostile: bool = False,
    names: list[str] | None = None,
    base_port: int | None = None,
) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    running: dict[str, Any] | None = None
    if (directory / STATE).exists():
        state = _load_state(directory)
        if any(is_alive(r) for r in _records(state)):
            running = state
    if running is not None and not names:
        raise LabError(
            f"{directory}: a lab is already running here; stop it first "
            f"(python -m tlsreport.lab stop --dir {directory}), or name the "
            "profiles to start beside it"
        )
    if running is not None:
        return _start_beside(directory, running, names or [], base_port)
    ports = {} if base_port is not None else _remembered_ports(directory)
    chosen = names or list(HOSTILE_PROFILES if hostile else PROFILES)
    lab = Lab(directory, chosen, detached=True, base_port=base_port, ports=ports)
    lab.start()
    try:
        state = lab.state()
        _write_state(directory, state)
    except BaseException:
        lab.stop()
        raise
    _print_targets(state)
    return 0


def _start_beside(
    directory: Path, state: dict[str, Any], names: list[str], base_port: int | None
) -> int:
    """Start the named servers beside a running lab: same certificates, same ports."""
    alive = {r.profile for r in _records(state) if is_alive(r)}
    already = [n for n in names if n in alive]
    if already:
        raise LabError(
            f"{directory}: {', '.join(already)} already running; stop it first "
            f"(python -m tlsreport.lab stop {' '.join(already)} --dir {directory})"
        )
    known = {t["profile"]: t["port"] for t in state["targets"]}
    ports = {**({} if base_port is not None else _remembered_ports(directory)), **known}
    lab = Lab(directory, names, detached=True, base_port=base_port, ports=ports, reuse_pki=True)
    lab.start()
    try:
        started = lab.state()
        state["targets"] = [t for t in state["targets"] if t["profile"] not in names]
        state["targets"] += started["targets"]
        state["processes"] = [p for p in state["processes"] if p["profile"] not in names] + started[
            "processes"
        ]
        _write_state(directory, state)
    except BaseException:
        lab.stop()
        raise
    for t in started["targets"]:
        print(f"{t['profile']} started on 127.0.0.1:{t['port']}")
    return 0


def stop(directory: Path, names: list[str] | None = None) -> int:
    if not (directory / STATE).exists():
        print(f"no lab is running in {directory}")  # stopping twice is not an error
        return 0
    state = _load_state(directory)
    records = _records(state)
    if names:
        unknown = [n for n in names if n not in {r.profile for r in records}]
        if unknown:
            raise LabError(
                f"{directory}: {', '.join(unknown)} not started in this lab "
                f"(started: {', '.join(r.profile for r in records) or 'none'})"
            )
        records = [r for r in records if r.profile in names]
    left = stop_processes(records)
    if left:
        raise LabError(f"{directory}: could not stop {', '.join(left)}")
    if names:
        # The target stays in the state (and its port in ports.json) for a later start.
        state["processes"] = [p for p in state["processes"] if p["profile"] not in names]
        (directory / STATE).write_text(json.dumps(state, indent=2) + "\n")
        print(f"stopped {', '.join(names)} (ports kept for the next start)")
        if state["processes"]:
            return 0
    (directory / STATE).unlink()
    print(f"lab in {directory} stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tlsreport.lab",
        description="Real weak TLS servers on 127.0.0.1 to scan and blog about. Ports are "
        "kept from one start to the next (DIR/ports.json).",
    )
    parser.add_argument("command", choices=("start", "stop", "targets"))
    parser.add_argument(
        "profiles",
        nargs="*",
        metavar="PROFILE",
        help=f"start or stop only these servers (default: all); known: {', '.join(ALL_PROFILES)}",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(".lab"),
        help="where the lab keeps its certificates, logs and state",
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        metavar="N",
        help="fixed ports: N + the profile's place in the list above",
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="start the hostile servers (resets, garbage, drip, markup in "
        "certificates, ...) instead of the weakness profiles",
    )
    args = parser.parse_args(argv)
    directory = args.dir.resolve()
    unknown = [n for n in args.profiles if n not in ALL_PROFILES]
    if unknown:
        print(
            f"error: unknown lab profile {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(ALL_PROFILES)}",
            file=sys.stderr,
        )
        return 2
    try:
        if args.command == "start":
            return start(directory, args.hostile, args.profiles, args.base_port)
        if args.command == "stop":
            return stop(directory, args.profiles)
        _print_targets(_load_state(directory))
        return 0
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
