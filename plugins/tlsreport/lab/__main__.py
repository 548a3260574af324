"""``python -m tlsreport.lab start|stop|targets --dir DIR``: the lab for ``make lab``.

``start`` leaves the servers running after it exits (each in its own session) and records
them in DIR/state.json; ``stop`` reads that file and stops exactly those processes by PID
and process group, after checking each PID still belongs to the process it recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from .profiles import HOSTILE_PROFILES
from .runner import Lab, LabError, LabTarget, ProcessRecord, is_alive, stop_processes

STATE = "state.json"
TOML = "lab.toml"


def _load_state(directory: Path) -> dict[str, Any]:
    path = directory / STATE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise LabError(f"{path}: no lab recorded here (start one with "
                       f"`python -m tlsreport.lab start --dir {directory}`)") from None
    except json.JSONDecodeError as exc:
        raise LabError(f"{path}, line {exc.lineno}: not valid JSON: {exc.msg}") from None


def _records(state: dict[str, Any]) -> list[ProcessRecord]:
    return [ProcessRecord(**p) for p in state.get("processes", [])]


def _print_targets(state: dict[str, Any], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    targets = [LabTarget(**t) for t in state.get("targets", [])]
    width = max((len(t.profile) for t in targets), default=7)
    for t in targets:
        print(f"{t.profile:<{width}}  {t.host}:{t.port} ({t.address})  {t.service:<5}  "
              f"{t.weakness}", file=out)
    print(f"CA file: {state['ca_file']}", file=out)
    print(f"target list: {Path(state['directory']) / TOML}", file=out)


def start(directory: Path, hostile: bool = False) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / STATE).exists():
        state = _load_state(directory)
        if any(is_alive(r) for r in _records(state)):
            raise LabError(f"{directory}: a lab is already running here; stop it first "
                           f"(python -m tlsreport.lab stop --dir {directory})")
    lab = Lab(directory, HOSTILE_PROFILES if hostile else None, detached=True)
    lab.start()
    try:
        lab.write_targets_toml(directory / TOML)
        state = lab.state()
        (directory / STATE).write_text(json.dumps(state, indent=2) + "\n")
    except BaseException:
        lab.stop()
        raise
    _print_targets(state)
    return 0


def stop(directory: Path) -> int:
    if not (directory / STATE).exists():
        print(f"no lab is running in {directory}")  # stopping twice is not an error
        return 0
    state = _load_state(directory)
    left = stop_processes(_records(state))
    if left:
        raise LabError(f"{directory}: could not stop {', '.join(left)}")
    (directory / STATE).unlink()
    print(f"lab in {directory} stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tlsreport.lab",
                                     description="real weak TLS servers on 127.0.0.1")
    parser.add_argument("command", choices=("start", "stop", "targets"))
    parser.add_argument("--dir", type=Path, default=Path(".lab"),
                        help="where the lab keeps its certificates, logs and state")
    parser.add_argument("--hostile", action="store_true",
                        help="start the hostile servers (resets, garbage, drip, markup in "
                             "certificates, ...) instead of the weakness profiles")
    args = parser.parse_args(argv)
    directory = args.dir.resolve()
    try:
        if args.command == "start":
            return start(directory, args.hostile)
        if args.command == "stop":
            return stop(directory)
        _print_targets(_load_state(directory))
        return 0
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
