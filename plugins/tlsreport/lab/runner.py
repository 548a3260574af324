"""Start and stop the lab: one server process per profile, each in its own process group.

The Lab is the I/O edge of the lab package: it makes the PKI, binds the ports, starts the
server processes, waits until each one answers, and stops exactly the processes it started,
by PID and process group, never by name. A stopped lab leaves nothing behind, which the
tests check.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .pki import (
    INTERMEDIATE_DER,
    LabPki,
    PkiError,
    ServerCredentials,
    make_pki,
    write_dh_params,
)
from .profiles import ALL_PROFILES, PROFILES, Profile, profile

READY_TIMEOUT = 30.0  # seconds for every server to say "ready" (a slow CI box, many servers)
PROBE_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
IMPLICIT_TLS = ("https", "imaps", "pop3s")


class LabError(RuntimeError):
    """A lab server could not be started or stopped; the message names the profile."""


@dataclass(frozen=True)
class LabTarget:
    """One started lab server, as a scanner needs it."""

    profile: str  # "rc4"
    name: str  # "Lab rc4"
    host: str  # SNI / certificate name; never resolved, ``address`` is used
    port: int
    service: str  # "https" | "smtp" | "imap" | "pop3" | "imaps" | "pop3s"
    address: str = "127.0.0.1"
    path: str = "/"
    weakness: str = ""


@dataclass(frozen=True)
class ProcessRecord:
    """A started server process; ``start_time`` guards against a recycled PID."""

    profile: str
    pid: int
    start_time: int


def _plugins_dir() -> str:
    return str(Path(__file__).resolve().parent.parent.parent)


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot); None if gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def is_alive(record: ProcessRecord) -> bool:
    return process_start_time(record.pid) == record.start_time


def stop_processes(
    records: Iterable[ProcessRecord], children: dict[int, subprocess.Popen[bytes]] | None = None
) -> list[str]:
    """Stop each recorded process group (TERM, then KILL); return what could not be stopped.

    ``children`` are Popen objects of the same PIDs when this process started them: they
    are waited for, so no zombie is left. Otherwise (the detached lab of ``make lab``) the
    processes' parent is init, which reaps them; we poll until they are gone.
    """
    records = [r for r in records if is_alive(r)]
    children = children or {}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for record in records:
            if is_alive(record):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(record.pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        for record in records:
            child = children.get(record.pid)
            if child is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=max(0.0, deadline - time.monotonic()))
            else:
                while is_alive(record) and time.monotonic() < deadline:
                    time.sleep(0.02)
        records = [r for r in records if is_alive(r)]
        if not records:
            break
    return [f"{r.profile} (pid {r.pid})" for r in records]


def port_plan(
    names: Iterable[str], *, base_port: int | None = None, ports: dict[str, int] | None = None
) -> dict[str, int]:
    """profile → port to bind (0: any free port). Pure.

    ``ports`` (what the lab had last time) wins, so a target list written for the lab keeps
    working across restarts; then ``base_port`` + the profile's place in ALL_PROFILES, which
    gives every profile the same port whichever subset is started.
    """
    if base_port is not None and not 1024 <= base_port <= 65535 - len(ALL_PROFILES):
        raise LabError(
            f"--base-port: {base_port} must be between 1024 and "
            f"{65535 - len(ALL_PROFILES)} (the lab needs {len(ALL_PROFILES)} ports "
            "from it)"
        )
    plan: dict[str, int] = {}
    for name in names:
        if ports and ports.get(name):
            plan[name] = int(ports[name])
        elif base_port is not None:
            plan[name] = base_port + ALL_PROFILES.index(name)
        else:
            plan[name] = 0
    return plan


def _listener(address: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on a loopback address (a free port unless given), handed to a
    server process."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _toml_string(value: str) -> str:
    # A TOML basic string accepts JSON's escapes for everything a path or name holds.
    return json.dumps(value, ensure_ascii=False)


def targets_toml(targets: Iterable[LabTarget], ca_file: Path, *, title: str, slug: str) -> str:
    """The target list in the scanner's TOML format (pure: the caller writes it)."""
    lines = [
        f"title = {_toml_string(title)}",
        f"slug = {_toml_string(slug)}",
        "scan = true",
        f"ca_file = {_toml_string(str(ca_file))}",
    ]
    for t in targets:
        lines += [
            "",
            "[[target]]",
            f"name = {_toml_string(t.name)}",
            f"host = {_toml_string(t.host)}",
            f"port = {t.port}",
            f"address = {_toml_string(t.address)}",
            f"service = {_toml_string(t.service)}",
            f"path = {_toml_string(t.path)}",
        ]
    return "\n".join(lines) + "\n"


def _existing_pki(pki_dir: Path, names: list[str]) -> LabPki:
    """The certificates a running lab made, for servers restarted beside it."""
    credentials: dict[str, ServerCredentials] = {}
    for name in names:
        chain = pki_dir / f"{name}.chain.pem"
        if not chain.exists():
            raise LabError(
                f"lab profile {name!r}: this lab has no certificate for it (it was "
                "not started with it); stop the lab and start it with that profile"
            )
        credentials[name] = ServerCredentials(chain, pki_dir / "leaf.key")
    return LabPki(pki_dir / "ca.pem", credentials)


class Lab:
    """Real TLS servers on 127.0.0.1, one per profile, each showing one weakness."""

    def __init__(
        self,
        directory: Path,
        profiles: Iterable[str] | None = None,
        *,
        detached: bool = False,
        base_port: int | None = None,
        ports: dict[str, int] | None = None,
        reuse_pki: bool = False,
        listen: dict[str, tuple[str, int]] | None = None,
        host_names: dict[str, str] | None = None,
    ) -> None:
        """``detached``: the servers outlive this process (``make lab``). Otherwise each
        server holds a lifeline pipe to this process and exits when it dies, so a killed
        test run leaves no server behind even when ``stop()`` never runs.

        ``base_port``/``ports``: fixed ports (see ``port_plan``); default any free port.
        ``reuse_pki``: start with the certificates already in ``directory/pki`` (one server
        restarted beside running ones must chain to the same root).
        ``listen`` puts a profile on a given loopback (address, port) and ``host_names`` gives
        it another certificate name: one host with several addresses (endpoints) is two
        profiles on 127.0.0.1 and 127.0.0.2, same port, same name."""
        self.directory = Path(directory)
        self.detached = detached
        self.reuse_pki = reuse_pki
        self._lifeline: tuple[int, int] | None = None
        wanted = set(PROFILES if profiles is None else profiles)
        for name in wanted:
            profile(name)  # KeyError naming the known profiles
        if any(profile(n).certificate == "incomplete-chain" for n in wanted):
            wanted.add("aia-http")  # its leaf's AIA URL must answer
        self._profiles: list[Profile] = [profile(n) for n in ALL_PROFILES if n in wanted]
        self._ports = port_plan([p.name for p in self._profiles], base_port=base_port, ports=ports)
        self.ca_file: Path = self.directory / "pki" / "ca.pem"
        self.targets: list[LabTarget] = []
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._records: list[ProcessRecord] = []
        self._started = False
        self.aia_url: str | None = None  # the AIA server's URL of the intermediate, if started
        self._listen = dict(listen or {})
        for name, (address, _port) in self._listen.items():
            if not ipaddress.ip_address(address).is_loopback:  # the lab never leaves loopback
                raise LabError(f"lab profile {name!r}: {address} is not a loopback address")
        self._host_names = dict(host_names or {})
        self._prebound: dict[str, socket.socket] = {}

    # --- life cycle -------------------------------------------------------------------

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start every server and return once each one answers; LabError if one does not."""
        if self._started:
            raise LabError(f"{self.directory}: this lab is already started")
        self._started = True
        try:
            self._start()
        except PkiError as exc:
            self.stop()
            raise LabError(f"{self.directory}: lab certificates could not be made: {exc}") from exc
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        pki_dir = self.directory / "pki"
        logs = self.directory / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        tls_profiles = [p for p in self._profiles if p.speaks_tls]
        if any(p.helper for p in self._profiles):
            # Bound before the certificates are made: the leaf's AIA URL names its port.
            listener = _listener()
            self._prebound["aia-http"] = listener
            self.aia_url = f"http://127.0.0.1:{listener.getsockname()[1]}/{INTERMEDIATE_DER}"
        if self.reuse_pki and (pki_dir / "ca.pem").exists():
            pki = _existing_pki(pki_dir, [p.name for p in tls_profiles if p.certificate])
        else:
            pki = make_pki(
                pki_dir,
                {p.name: (self._host(p), p.certificate) for p in tls_profiles},
                dt.datetime.now(dt.UTC),
                aia_url=self.aia_url,
            )
        if any(p.name in ("weak-dh", "anon") for p in tls_profiles):
            write_dh_params(pki_dir)
        self.ca_file = pki.ca_file

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [_plugins_dir(), *filter(None, [env.get("PYTHONPATH")])]
        )
        if not self.detached:
            self._lifeline = os.pipe()
        waiting: dict[int, Profile] = {}  # ready pipe -> profile
        targets: list[LabTarget] = []
        for prof in self._profiles:
            if prof.implementation == "closed":
                port = self._ports.get(prof.name) or _free_port()
            else:
                port, ready_fd = self._spawn(
                    prof, pki.credentials.get(prof.name), pki_dir, logs, env
                )
                waiting[ready_fd] = prof
            if prof.helper:
                continue  # serves the others, never scanned
            address = self._listen.get(prof.name, ("127.0.0.1", 0))[0]
            targets.append(
                LabTarget(
                    prof.name,
                    prof.human_name,
                    self._host(prof),
                    port,
                    prof.service,
                    address=address,
                    weakness=prof.weakness,
                )
            )
        self.targets = targets
        self._wait_ready(waiting, logs)
        for target in self.targets:
            self._probe(profile(target.profile), target, logs)

    def _spawn(
        self,
        prof: Profile,
        creds: ServerCredentials | None,
        pki_dir: Path,
        logs: Path,
        env: dict[str, str],
    ) -> tuple[int, int]:
        listener = self._prebound.pop(prof.name, None)
        if listener is None:
            address, wanted = self._listen.get(
                prof.name, ("127.0.0.1", self._ports.get(prof.name, 0))
            )
            try:
                listener = _listener(address, wanted)
            except OSError as exc:
                raise LabError(
                    f"lab profile {prof.name!r}: cannot listen on {address}:{wanted} "
                    f"({exc.strerror}); stop what uses it, or start the lab with "
                    "another --base-port"
                ) from None
        port = int(listener.getsockname()[1])
        ready_r, ready_w = os.pipe()
        command = [
            sys.executable,
            "-m",
            "tlsreport.lab.serve",
            prof.name,
            "--listen-fd",
            str(listener.fileno()),
            "--ready-fd",
            str(ready_w),
            "--dh-dir",
            str(pki_dir),
        ]
        if creds is not None:
            command += ["--chain", str(creds.chain_file), "--key", str(creds.key_file)]
        passed = [listener.fileno(), ready_w]
        if self._lifeline is not None:
            command += ["--lifeline-fd", str(self._lifeline[0])]
            passed.append(self._lifeline[0])
        log = (logs / f"{prof.name}.log").open("wb")
        try:
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=passed,
                env=env,
                start_new_session=True,
                cwd=self.directory,
            )
        finally:
            log.close()
            listener.close()
            os.close(ready_w)
        self._children[child.pid] = child
        start_time = process_start_time(child.pid)
        self._records.append(ProcessRecord(prof.name, child.pid, start_time or -1))
        return port, ready_r

    def _host(self, prof: Profile) -> str:
        return self._host_names.get(prof.name, prof.host)

    def _failure(self, prof: Profile, what: str, logs: Path) -> LabError:
        try:
            stderr = (logs / f"{prof.name}.log").read_text(errors="replace").strip()
        except OSError:
            stderr = ""
        return LabError(
            f"lab profile {prof.name!r}: {what}" + (f"; server stderr:\n{stderr}" if stderr else "")
        )

    def _wait_ready(self, waiting: dict[int, Profile], logs: Path) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        buffers = dict.fromkeys(waiting, b"")
        try:
            while waiting:
                left = deadline - time.monotonic()
                if left <= 0:
                    prof = next(iter(waiting.values()))
                    raise self._failure(prof, f"not ready after {READY_TIMEOUT:.0f} s", logs)
                readable, _, _ = select.select(list(waiting), [], [], left)
                for fd in readable:
                    chunk = os.read(fd, 64)
                    buffers[fd] += chunk
                    if b"ready" in buffers[fd]:
                        os.close(fd)
                        del waiting[fd]
                    elif not chunk:
                        prof = waiting.pop(fd)
                        os.close(fd)
                        raise self._failure(prof, "server exited before it was ready", logs)
        finally:
            for fd in waiting:
                os.close(fd)

    def _probe(self, prof: Profile, target: LabTarget, logs: Path) -> None:
        """A real exchange with each server (handshake or banner), so "ready" means ready."""
        if not prof.speaks_tls:  # closed, silent, and the hostile ones that never finish TLS
            return
        try:
            with socket.create_connection(
                (target.address, target.port), timeout=PROBE_TIMEOUT
            ) as sock:
                if target.service in IMPLICIT_TLS:
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                    with warnings.catch_warnings():  # TLS 1.0: the tls10-only profile
                        warnings.simplefilter("ignore", DeprecationWarning)
                        ctx.minimum_version = ssl.TLSVersion.TLSv1
                    ctx.set_ciphers("ALL:@SECLEVEL=0")
                    with ctx.wrap_socket(sock, server_hostname=target.host):
                        pass
                elif not sock.recv(512):
                    raise OSError("connection closed without a greeting")
        except (OSError, ssl.SSLError) as exc:
            raise self._failure(
                prof, f"probe of 127.0.0.1:{target.port} failed: {exc}", logs
            ) from exc

    def stop(self) -> None:
        """Stop every process this lab started and wait for them; LabError if one stays."""
        left = stop_processes(self._records, self._children)
        self._children.clear()
        for listener in self._prebound.values():  # a start that failed before handing it over
            listener.close()
        self._prebound.clear()
        if self._lifeline is not None:
            for fd in self._lifeline:
                os.close(fd)
            self._lifeline = None
        if left:
            raise LabError(f"{self.directory}: could not stop {', '.join(left)}")

    # --- what callers read ------------------------------------------------------------

    def target(self, name: str) -> LabTarget:
        for t in self.targets:
            if t.profile == name:
                return t
        raise KeyError(
            f"lab profile {name!r} is not started "
            f"(started: {', '.join(t.profile for t in self.targets) or 'none'})"
        )

    def pids(self) -> list[int]:
        """PIDs of the processes this lab started that are still alive."""
        return [r.pid for r in self._records if is_alive(r)]

    def processes(self) -> list[ProcessRecord]:
        return list(self._records)

    def write_targets_toml(self, path: Path, *, title: str = "TLS lab", slug: str = "lab") -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(targets_toml(self.targets, self.ca_file.resolve(), title=title, slug=slug))
        return path

    def state(self) -> dict[str, Any]:
        """What ``python -m tlsreport.lab stop`` needs to find this lab again."""
        return {
            "directory": str(self.directory.resolve()),
            "ca_file": str(self.ca_file.resolve()),
            "targets": [asdict(t) for t in self.targets],
            "processes": [asdict(r) for r in self._records],
        }
