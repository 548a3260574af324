"""Real mail servers in the lab: Debian's Postfix and Courier (IMAP, POP3) on loopback.

The mail post is about configuring Postfix (STARTTLS on the MX, submission that requires TLS,
authentication only over TLS, smtps) and Courier (IMAP/POP3 with STARTTLS and implicit TLS)
with a 90-day certificate. The policy checks (``tlsreport.mailpolicy``) are only worth what
the servers they are tested against are worth, so the lab runs the real daemons, each from
its own configuration folder, never the system's:

- Postfix: one instance per profile, with its own ``config_directory``, ``queue_directory``
  and ``data_directory``, started with ``postfix -c DIR start`` and stopped with
  ``postfix -c DIR stop`` (the daemon's own stop command for its own config). It needs root,
  which CI and the developers' machines are.
- Courier: one ``couriertcpd`` per service in the foreground, in its own process group,
  stopped by PID like every other lab server (``runner.stop_processes``). Courier reads its
  settings from the environment, so no file under /etc/courier is read or changed.

Why Courier and not Dovecot: Courier is the post's server and installs cleanly from Debian
(the two conflict; we install Courier). Servers listen on 127.0.0.2-5 and the scanner
connects from 127.0.0.1: a daemon that trusts "its own address" (Dovecot does) would
otherwise relax its policy for the test client.

Why the state lives in a fresh folder under the system temp dir rather than in the caller's
``directory``: Postfix's unprivileged daemons and Courier's login process (user ``courier``)
must reach their files, and pytest's temporary folders are private to root (mode 0700).

Profiles:
- ``careful``: the post's settings. MX (``smtp``) with STARTTLS "may" and no AUTH;
  submission with ``smtpd_tls_security_level=encrypt`` and ``smtpd_tls_auth_only=yes``;
  smtps (wrapper mode); IMAP and POP3 with STARTTLS required before login; imaps, pop3s.
  TLS 1.2 and 1.3 only.
- ``sloppy``: submission offering AUTH PLAIN before STARTTLS and accepting mail in clear
  text, TLS 1.0 and anonymous suites with a 1024-bit DH group; IMAP advertising AUTH=PLAIN
  in clear text (no LOGINDISABLED); POP3 offering USER and SASL PLAIN before STLS.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .pki import ca_certificate, write_dh_params
from .runner import LabError, LabTarget, ProcessRecord, process_start_time, stop_processes

MAIL_DOMAIN = "lab.test"
MAIL_HOST = f"mail.{MAIL_DOMAIN}"
MTA_STS_HOST = f"mta-sts.{MAIL_DOMAIN}"  # the same certificate serves the MTA-STS policy
CERT_DAYS = 90  # the post's certificate (a Let's Encrypt-style 90 days)
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

POSTFIX = "/usr/sbin/postfix"
COURIERTCPD = "/usr/sbin/couriertcpd"
COURIERTLS = "/usr/bin/couriertls"
IMAPLOGIN = "/usr/lib/courier/courier/imaplogin"
IMAPD = "/usr/bin/imapd"
POP3LOGIN = "/usr/lib/courier/courier/courierpop3login"
POP3D = "/usr/lib/courier/courier/courierpop3d"
# The Debian packages that provide the binaries above (make test installs them when missing:
# tests/debian-packages.txt).
DEBIAN_PACKAGES = ("postfix", "courier-imap", "courier-pop", "libsasl2-modules")

MAIL_PROFILES: tuple[str, ...] = ("careful", "sloppy")
# profile -> (Postfix address, Courier address); the client is always 127.0.0.1.
_ADDRESSES = {"careful": ("127.0.0.2", "127.0.0.3"), "sloppy": ("127.0.0.4", "127.0.0.5")}
# profile -> services, in the order targets are listed
_SERVICES = {
    "careful": ("smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s"),
    "sloppy": ("submission", "imap", "pop3"),
}
_POSTFIX_SERVICES = ("smtp", "submission", "smtps")
_IMPLICIT_TLS = ("smtps", "imaps", "pop3s")


def missing_binaries() -> list[str]:
    """The server binaries this machine lacks (empty when the mail lab can start)."""
    return [
        p
        for p in (POSTFIX, COURIERTCPD, COURIERTLS, IMAPLOGIN, IMAPD, POP3LOGIN, POP3D)
        if not Path(p).exists()
    ]


@dataclass(frozen=True)
class MailCertificate:
    """The files of the mail lab's PKI: its own root, and a 90-day leaf for MAIL_HOST."""

    ca_file: Path
    chain_file: Path  # leaf then root, PEM
    key_file: Path
    combined_file: Path  # key + leaf, what Courier loads (owned by the courier user)
    leaf_der: bytes  # the leaf as served, for DANE tests


MAIL_ORGANIZATION = "tlsreport mail lab"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, MAIL_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_certificate(
    directory: Path, now: dt.datetime, *, host: str = MAIL_HOST
) -> MailCertificate:
    """A root CA and one leaf valid ``CERT_DAYS`` from ``now`` (passed in: no clock here)."""
    directory.mkdir(parents=True, exist_ok=True)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = ca_certificate(
        "tlsreport Mail Lab Root CA",
        root_key,
        None,
        root_key,
        now,
        path_length=0,
        organization=MAIL_ORGANIZATION,
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(root.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(host), x509.DNSName(MTA_STS_HOST)]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = leaf_key.private_bytes(
        pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(root.public_bytes(pem))
    chain_file = directory / "chain.pem"
    chain_file.write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
    key_file = directory / "key.pem"
    key_file.write_bytes(key_pem)
    key_file.chmod(0o600)
    combined = directory / "courier.pem"
    combined.write_bytes(key_pem + leaf.public_bytes(pem) + root.public_bytes(pem))
    combined.chmod(0o600)
    return MailCertificate(
        ca_file, chain_file, key_file, combined, leaf.public_bytes(serialization.Encoding.DER)
    )


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


# --- Postfix ---------------------------------------------------------------------------------

# The daemons a running smtpd talks to (address rewriting, anvil, TLS session cache, ...).
# chroot is "n" everywhere: a chroot would need copies of /etc files inside the queue folder.
_MASTER_TAIL = """\
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def postfix_main_cf(root: Path, profile: str, cert: MailCertificate, dh1024: Path) -> str:
    """main.cf of one Postfix instance (pure: the caller writes it)."""
    lines = [
        "compatibility_level = 3.6",
        f"config_directory = {root}/conf",
        f"queue_directory = {root}/queue",
        f"data_directory = {root}/data",
        f"maillog_file = {root}/maillog",
        f"maillog_file_prefixes = {root}",
        f"myhostname = {MAIL_HOST}",
        "mydomain = lab.test",
        "mydestination =",
        "inet_interfaces = loopback-only",  # explicit host:port in master.cf for every service
        "inet_protocols = ipv4",
        "smtpd_peername_lookup = no",
        "smtp_dns_support_level = disabled",
        "biff = no",
        "smtpd_banner = $myhostname ESMTP",
        f"smtpd_tls_chain_files = {cert.key_file}, {cert.chain_file}",
        "smtpd_sasl_type = cyrus",
        f"cyrus_sasl_config_path = {root}/sasl",
        "smtpd_sasl_path = smtpd",
        "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination",
    ]
    if profile == "careful":
        lines += [
            "smtpd_tls_security_level = may",
            "smtpd_tls_protocols = >=TLSv1.2",
            "smtpd_tls_mandatory_protocols = >=TLSv1.2",
            "smtpd_tls_ciphers = high",
            "smtpd_tls_mandatory_ciphers = high",
            "smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, SHA1",
            "smtpd_tls_auth_only = yes",
        ]
    else:
        # The mistakes of the sloppy server: everything OpenSSL can still be talked into.
        lines += [
            "smtpd_tls_security_level = may",
            "smtpd_tls_protocols = >=TLSv1",
            "smtpd_tls_mandatory_protocols = >=TLSv1",
            "smtpd_tls_ciphers = medium",
            "tls_medium_cipherlist = ALL:!eNULL:@SECLEVEL=0",
            f"smtpd_tls_dh1024_param_file = {dh1024}",
            "smtpd_tls_auth_only = no",
        ]
    return "\n".join(lines) + "\n"


def postfix_master_cf(profile: str, address: str, ports: dict[str, int]) -> str:
    """master.cf of one instance: the listening services, then the daemons smtpd needs."""
    lines: list[str] = []
    for service, port in ports.items():
        lines.append(f"{address}:{port} inet n - n - - smtpd")
        if service == "submission":
            if profile == "careful":
                lines += [
                    "  -o smtpd_tls_security_level=encrypt",
                    "  -o smtpd_sasl_auth_enable=yes",
                    "  -o smtpd_tls_auth_only=yes",
                ]
            else:
                lines += ["  -o smtpd_sasl_auth_enable=yes", "  -o smtpd_tls_auth_only=no"]
        elif service == "smtps":
            lines += ["  -o smtpd_tls_wrappermode=yes", "  -o smtpd_sasl_auth_enable=yes"]
        else:  # the MX: no AUTH, TLS offered
            lines += ["  -o smtpd_sasl_auth_enable=no"]
    return "\n".join(lines) + "\n" + _MASTER_TAIL


def _sasl_conf(root: Path) -> str:
    # AUTH is offered (mechanisms exist) but no account exists: the probe never logs in.
    return (
        "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
        f"sasldb_path: {root}/sasl/sasldb2\n"
    )


# --- Courier ---------------------------------------------------------------------------------


def courier_env(profile: str, service: str, cert: MailCertificate, dh_file: Path) -> dict[str, str]:
    """The environment one Courier server reads its settings from (as Debian's init scripts
    set it from /etc/courier/imapd, imapd-ssl, pop3d and pop3d-ssl)."""
    env = {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "COURIERTLS": COURIERTLS,
        "TLS_CERTFILE": str(cert.combined_file),
        "TLS_DHPARAMS": str(dh_file),
        "TLS_VERIFYPEER": "NONE",
        "MAILDIRPATH": "Maildir",
    }
    if profile == "careful":
        env["TLS_PRIORITY"] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
    else:
        env["TLS_PRIORITY"] = "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0"
    implicit = service in _IMPLICIT_TLS
    if service.startswith("imap"):
        env.update(
            {
                "IMAP_CAPABILITY": "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE IDLE"
                + (" AUTH=PLAIN" if profile == "sloppy" else ""),
                "IMAP_CAPABILITY_TLS": "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE IDLE AUTH=PLAIN",
                "IMAP_STARTTLS": "NO" if implicit else "YES",
                "IMAP_TLS_REQUIRED": "1" if profile == "careful" and not implicit else "0",
            }
        )
        if implicit:
            env["IMAP_TLS"] = "1"
    else:
        env.update(
            {
                "POP3AUTH": "PLAIN LOGIN" if profile == "sloppy" else "",
                "POP3AUTH_TLS": "PLAIN LOGIN",
                "POP3_STARTTLS": "NO" if implicit else "YES",
                "POP3_TLS_REQUIRED": "1" if profile == "careful" and not implicit else "0",
            }
        )
        if implicit:
            env["POP3_TLS"] = "1"
    return env


def courier_command(service: str, address: str, port: int) -> list[str]:
    """couriertcpd in the foreground (no courierlogger), for one service."""
    login, server = (IMAPLOGIN, IMAPD) if service.startswith("imap") else (POP3LOGIN, POP3D)
    tls = [COURIERTLS, "-server", "-tcpd"] if service in _IMPLICIT_TLS else []
    return [
        COURIERTCPD,
        f"-address={address}",
        "-nodnslookup",
        "-noidentlookup",
        "-maxprocs=20",
        "-maxperip=20",
        str(port),
        *tls,
        login,
        server,
        "Maildir",
    ]


# --- the mail lab ----------------------------------------------------------------------------


class MailLab:
    """Postfix and Courier on loopback, per profile; a context manager like ``Lab``."""

    def __init__(
        self,
        directory: Path,
        profiles: Iterable[str] = MAIL_PROFILES,
        *,
        now: dt.datetime | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.profiles = tuple(profiles)
        for name in self.profiles:
            if name not in MAIL_PROFILES:
                raise LabError(f"unknown mail profile {name!r} (known: {', '.join(MAIL_PROFILES)})")
        self.now = now or dt.datetime.now(dt.UTC)
        self.state: Path | None = None
        self.targets: list[LabTarget] = []
        self.certificate: MailCertificate | None = None
        self._postfix_roots: list[Path] = []
        self._records: list[ProcessRecord] = []
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> MailLab:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def ca_file(self) -> Path:
        if self.certificate is None:
            raise LabError("the mail lab is not started")
        return self.certificate.ca_file

    def start(self) -> None:
        missing = missing_binaries()
        if missing:
            raise LabError(
                f"mail lab: missing {', '.join(missing)} — install the Debian "
                f"packages {' '.join(DEBIAN_PACKAGES)} (make test does: "
                "tests/debian-packages.txt)"
            )
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.state = Path(tempfile.mkdtemp(prefix="tlsreport-mail-"))
        self.state.chmod(0o755)
        pki = self.state / "pki"
        self.certificate = cert = make_certificate(pki, self.now)
        courier = pwd.getpwnam("courier")
        os.chown(cert.combined_file, courier.pw_uid, courier.pw_gid)
        write_dh_params(pki)
        for profile in self.profiles:
            postfix_address, courier_address = _ADDRESSES[profile]
            ports = {
                s: _free_port(postfix_address if s in _POSTFIX_SERVICES else courier_address)
                for s in _SERVICES[profile]
            }
            self._start_postfix(
                profile, postfix_address, {s: p for s, p in ports.items() if s in _POSTFIX_SERVICES}
            )
            for service, port in ports.items():
                if service not in _POSTFIX_SERVICES:
                    self._start_courier(profile, service, courier_address, port, pki)
            for service, port in ports.items():
                address = postfix_address if service in _POSTFIX_SERVICES else courier_address
                self.targets.append(
                    LabTarget(
                        profile=f"mail-{profile}",
                        name=f"Mail {profile} {service}",
                        host=MAIL_HOST,
                        port=port,
                        service=service,
                        address=address,
                        weakness=f"{profile} mail server ({service})",
                    )
                )
        deadline = time.monotonic() + READY_TIMEOUT
        for target in self.targets:
            self._wait_ready(target, deadline)

    def _start_postfix(self, profile: str, address: str, ports: dict[str, int]) -> None:
        assert self.state is not None and self.certificate is not None
        root = self.state / f"postfix-{profile}"
        for sub in ("conf", "queue", "data", "sasl"):
            (root / sub).mkdir(parents=True)
        postfix_user = pwd.getpwnam("postfix")
        os.chown(root / "data", postfix_user.pw_uid, postfix_user.pw_gid)
        (root / "conf" / "main.cf").write_text(
            postfix_main_cf(root, profile, self.certificate, self.state / "pki" / "dh1024.pem")
        )
        (root / "conf" / "master.cf").write_text(postfix_master_cf(profile, address, ports))
        (root / "sasl" / "smtpd.conf").write_text(_sasl_conf(root))
        self._postfix_roots.append(root)
        done = subprocess.run(
            [POSTFIX, "-c", str(root / "conf"), "start"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            log = (
                (root / "maillog").read_text(errors="replace")
                if (root / "maillog").exists()
                else ""
            )
            raise LabError(
                f"mail lab: postfix ({profile}) did not start: {(done.stderr + log).strip()[-800:]}"
            )

    def _start_courier(
        self, profile: str, service: str, address: str, port: int, pki: Path
    ) -> None:
        assert self.certificate is not None
        log = self.directory / f"courier-{profile}-{service}.log"
        with log.open("wb") as out:
            child = subprocess.Popen(
                courier_command(service, address, port),
                env=courier_env(profile, service, self.certificate, pki / "ffdhe2048.pem"),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.state,
                start_new_session=True,
            )
        started = process_start_time(child.pid)
        if started is None:
            raise LabError(f"mail lab: courier {service} ({profile}) exited at once; see {log}")
        self._children[child.pid] = child
        self._records.append(ProcessRecord(f"mail-{profile}-{service}", child.pid, started))

    def _wait_ready(self, target: LabTarget, deadline: float) -> None:
        """Until the server greets (or, for implicit TLS, accepts a connection)."""
        last = ""
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((target.address, target.port), timeout=2) as s:
                    if target.service in _IMPLICIT_TLS:
                        return
                    s.settimeout(3)
                    if s.recv(64):
                        return
                    last = "closed the connection without a greeting"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise LabError(
            f"mail lab: {target.name} on {target.address}:{target.port} not ready "
            f"within {READY_TIMEOUT:g} s ({last})"
        )

    def postfix_master_pids(self) -> list[int]:
        """The PIDs of the running Postfix masters this lab started (from their pid files)."""
        pids = []
        for root in self._postfix_roots:
            with contextlib.suppress(OSError, ValueError):
                pid = int((root / "queue" / "pid" / "master.pid").read_text().split()[0])
                if process_start_time(pid) is not None:
                    pids.append(pid)
        return pids

    def pids(self) -> list[int]:
        """Every process this lab started that is still running (Courier and Postfix)."""
        alive = [r.pid for r in self._records if process_start_time(r.pid) == r.start_time]
        return alive + self.postfix_master_pids()

    def stop(self) -> None:
        """Stop what was started: ``postfix -c DIR stop`` per instance, Courier by PID."""
        problems: list[str] = []
        masters = self.postfix_master_pids()
        for root in self._postfix_roots:
            if (root / "queue" / "pid" / "master.pid").exists():
                done = subprocess.run(
                    [POSTFIX, "-c", str(root / "conf"), "stop"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                if done.returncode != 0:
                    problems.append(f"postfix -c {root}/conf stop: {done.stderr.strip()}")
        deadline = time.monotonic() + STOP_TIMEOUT
        while (
            any(process_start_time(p) is not None for p in masters) and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        problems += [
            f"postfix master (pid {p})" for p in masters if process_start_time(p) is not None
        ]
        problems += stop_processes(self._records, self._children)
        self._records.clear()
        self._children.clear()
        self._postfix_roots.clear()
        if self.state is not None and not problems:
            shutil.rmtree(self.state, ignore_errors=True)
            self.state = None
        if problems:
            raise LabError(f"mail lab: could not stop {', '.join(problems)}")

    def target(self, profile: str, service: str) -> LabTarget:
        for t in self.targets:
            if t.profile == f"mail-{profile}" and t.service == service:
                return t
        raise KeyError(f"{profile} {service}")

    def write_targets_toml(
        self, path: Path, *, title: str = "Mail lab", slug: str = "mail", extra: str = ""
    ) -> Path:
        """The scanner's target list for every started server (``extra``: more top keys)."""
        from .runner import targets_toml

        text = targets_toml(self.targets, self.ca_file.resolve(), title=title, slug=slug)
        if extra:
            head, _, rest = text.partition("\n\n")
            text = f"{head}\n{extra.rstrip()}\n\n{rest}"
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path
