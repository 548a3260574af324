"""A throwaway OpenSSH server on 127.0.0.1 and a copy of the repository to publish from.

Why a kit: the publish tests check the blogger's real commands (`make rsync_upload`, `make
ssh_upload`) against a real sshd, which takes a fair amount of set-up that says nothing about
publishing: host and user keys, a known_hosts file so that ``StrictHostKeyChecking=yes`` is
real, a config that listens on loopback only, and a copy of the repository so that the real
output/ and data/ are never touched.

Nothing here installs anything: ``/usr/sbin/sshd``, ``ssh-keygen``, ``rsync`` and ``scp`` come
from Debian (``.ci/run`` installs them); :func:`missing_tools` names what is absent so the
tests can fail with that message.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
SSHD = Path("/usr/sbin/sshd")
TOOLS = {
    "sshd": str(SSHD),
    "ssh-keygen": "ssh-keygen",
    "ssh": "ssh",
    "scp": "scp",
    "rsync": "rsync",
    "make": "make",
}

# What the copy leaves out: the venv (the real one is used through VENV=), build output and
# caches, and git's own data. data/ and content/ are copied as they are on disk.
_SKIP = {
    ".venv",
    "output",
    "cache",
    ".git",
    ".lab",
    ".demo",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}


def missing_tools() -> list[str]:
    """The Debian tools the publish tests need that are not installed (names, with packages)."""
    packages = {
        "sshd": "openssh-server",
        "ssh-keygen": "openssh-client",
        "ssh": "openssh-client",
        "scp": "openssh-client",
        "rsync": "rsync",
        "make": "make",
    }
    missing = []
    for name, exe in TOOLS.items():
        if not (Path(exe).is_file() if exe.startswith("/") else shutil.which(exe)):
            missing.append(f"{exe} (Debian package {packages[name]})")
    return missing


def copy_repo(dst: Path) -> Path:
    """Copy the working tree (as on disk, without .venv/.git/output) to ``dst``; keep mtimes.

    bench/out/ (generated bench data, hundreds of MiB, git-ignored) is left out too.
    """

    def ignore(directory: str, names: list[str]) -> list[str]:
        skip = [n for n in names if n in _SKIP]
        if Path(directory) == ROOT / "bench":
            skip += [n for n in names if n == "out"]
        return skip

    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)
    return dst


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class Sshd:
    """A running sshd: where it listens and the ssh options that reach it (strict host key)."""

    port: int
    user: str
    user_key: Path
    known_hosts: Path
    log: Path

    @property
    def ssh_opts(self) -> str:
        """Options for ssh/scp/rsync -e: our key only, the temp known_hosts only, no prompts."""
        return " ".join(
            [
                "-F /dev/null",  # the user's ~/.ssh/config must not change what is tested
                f"-i {self.user_key}",
                "-o IdentitiesOnly=yes",
                "-o BatchMode=yes",
                "-o StrictHostKeyChecking=yes",
                f"-o UserKnownHostsFile={self.known_hosts}",
                "-o GlobalKnownHostsFile=/dev/null",
                "-o ConnectTimeout=10",
            ]
        )


_CONFIG = """\
# A throwaway sshd for tests/site/test_publish.py: loopback only, key login only.
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers {user}
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
"""


def _wait_for_banner(port: int, proc: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                if conn.recv(64).startswith(b"SSH-2.0-"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


@contextmanager
def sshd(tmp: Path) -> Iterator[Sshd]:
    """Start ``sshd -D -f tmp/sshd_config`` on a free loopback port; stop it by its PID.

    The host key is written to known_hosts before the server starts, so the client checks the
    real key strictly (no trust on first use). sshd needs its privilege-separation directory
    ``/run/sshd``, which a container without a running sshd may lack; it is created if absent.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    host_key, user_key = tmp / "host_ed25519", tmp / "user_ed25519"
    _keygen(host_key, "tlsreport-test-host")
    _keygen(user_key, "tlsreport-test-user")
    authorized = tmp / "authorized_keys"
    authorized.write_text(user_key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    user = getpass.getuser()
    log = tmp / "sshd.log"
    for _attempt in range(5):  # a free port can be taken between probing and binding it
        port = free_port()
        config = tmp / "sshd_config"
        config.write_text(
            _CONFIG.format(
                port=port,
                host_key=host_key,
                pid_file=tmp / "sshd.pid",
                authorized_keys=authorized,
                user=user,
            )
        )
        known = tmp / "known_hosts"
        host_pub = host_key.with_suffix(".pub").read_text().split()
        known.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
        check = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"{config}: sshd -t rejected the config: {check.stderr}")
        with open(log, "ab") as log_file:
            proc = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(config)], stdout=log_file, stderr=log_file
            )
        try:
            if _wait_for_banner(port, proc, time.monotonic() + 20):
                yield Sshd(port=port, user=user, user_key=user_key, known_hosts=known, log=log)
                return
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    raise RuntimeError(f"sshd did not start on 127.0.0.1; its log:\n{log.read_text()}")


def make(
    repo: Path, *targets: str, timeout: float = 300, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run the repository copy's Makefile with the real venv, never reinstalling it.

    ``-o`` marks the venv's install stamp as up to date: the copy's requirement files are
    newer than the stamp in the real venv, and a test must not pip-install into it.
    """
    args = [
        "make",
        "-C",
        str(repo),
        "-o",
        str(VENV / ".installed"),
        f"VENV={VENV}",
        *(f"{k}={v}" for k, v in variables.items()),
        *targets,
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, for byte-for-byte comparisons."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


_PROGRESS = re.compile(r"^\s+[\d,.]+[KMG]?\s+\d+%")
_NOT_NAMES = re.compile(
    r"^(sending incremental file list|sent [\d,.]+ bytes|total size is|"
    r"deleting |building file list|receiving |\s*$)"
)


def rsync_transferred(stdout: str, output: Path) -> set[str]:
    """Files rsync -v names as sent, read from its output (progress lines and dirs dropped).

    With ``-v`` rsync prints one line per file it transfers; ``-P`` adds progress lines
    (which may share a line with the name through carriage returns). Names are kept only when
    they are files in ``output``, so a summary line can never be mistaken for one.
    """
    names: set[str] = set()
    for raw in stdout.replace("\r", "\n").splitlines():
        line = raw.rstrip()
        if _PROGRESS.match(line) or _NOT_NAMES.match(line) or line.endswith("/"):
            continue
        if (output / line).is_file():
            names.add(line)
    return names


def rsync_sent_bytes(stdout: str) -> int:
    """The ``sent N bytes`` figure of rsync's summary line."""
    m = re.search(r"^sent ([\d,.]+) bytes", stdout, flags=re.M)
    if not m:
        raise ValueError(f"no 'sent N bytes' line in rsync output:\n{stdout[-2000:]}")
    return int(m.group(1).replace(",", "").replace(".", ""))
