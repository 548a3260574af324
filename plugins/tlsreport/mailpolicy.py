"""Mail policy beyond the handshake: what a mail server says before TLS starts.

A cipher scan cannot tell a server that hands out passwords in clear text from one that
refuses them: both negotiate the same TLS once asked. The mail post's reader needs that
difference, so this module reads the protocol's own words before TLS:

- SMTP: the EHLO answer (``STARTTLS``, ``AUTH ...``); on a submission port, whether a mail
  transaction is refused before STARTTLS, probed with ``MAIL FROM`` then ``RSET``. No
  recipient, no data, no credentials are ever sent.
- IMAP: the CAPABILITY answer (``STARTTLS``, ``AUTH=...``, ``LOGINDISABLED``).
- POP3: the CAPA answer (``STLS``, ``USER``, ``SASL ...``); when USER is listed, a
  ``USER`` command with a made-up name tells whether the server would go on to take a
  password in clear text (``PASS`` is never sent).

After that it asks for STARTTLS and completes one handshake only to hash the certificate
served (DANE compares TLSA records against it), then leaves politely. Implicit-TLS ports say
nothing in clear text; their policy is "TLS from the first byte".

Shape: pure parsers (``parse_*``) and a pure judgement (``policy_findings``) around one
bounded I/O function (``probe_mail_policy``), so most of it is tested without sockets and
the rest against real Postfix and Courier (tests/lab/test_mail_lab.py). SSL Labs does not grade
mail and no published rating rule covers this, so these findings never change the letter:
they are their own column and section.

Text the server sent is kept cleaned (printable ASCII, bounded length) but not escaped: it
is data, and every report escapes it when it shows it.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import time
from dataclasses import dataclass

from .facts import MailPolicy

# service -> protocol spoken; implicit-TLS services speak it only inside TLS.
PROTOCOL_OF: dict[str, str] = {
    "smtp": "smtp",
    "submission": "smtp",
    "smtps": "smtp",
    "imap": "imap",
    "imaps": "imap",
    "pop3": "pop3",
    "pop3s": "pop3",
}
IMPLICIT_TLS = ("smtps", "imaps", "pop3s")
MAX_LINE = 4096
MAX_LINES = 100
MAX_TEXT = 200
EHLO_NAME = "tlsreport.invalid"
PROBE_SENDER = "tlsreport-probe@example.invalid"  # never a real mailbox; no mail is sent
PROBE_USER = "tlsreport-probe"  # POP3 USER probe: a name nobody has; PASS is never sent


class DialogueError(Exception):
    """The server's answer did not follow its protocol (the message says where)."""


def clean(text: str) -> str:
    """Printable ASCII only, bounded: what is kept of a line a server sent."""
    kept = "".join(c if " " <= c <= "~" else "?" for c in text.strip())
    return kept if len(kept) <= MAX_TEXT else kept[: MAX_TEXT - 1] + "…"


# --- pure parsers ----------------------------------------------------------------------------


def parse_ehlo(lines: list[str]) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    """EHLO reply lines ("250-PIPELINING", "250 STARTTLS") -> (keywords, STARTTLS, AUTH mechs).

    The first line is the server's name, not a keyword. ``AUTH=LOGIN`` (the old form some
    servers still send) counts as AUTH too.
    """
    keywords: list[str] = []
    mechs: list[str] = []
    for line in lines[1:]:
        text = clean(line[4:])  # mechanisms too are server text: kept cleaned
        if not text:
            continue
        keywords.append(text)
        word, _, rest = text.partition(" ")
        upper = word.upper()
        if upper == "AUTH" or upper.startswith("AUTH="):
            found = rest.split() if upper == "AUTH" else [word[5:], *rest.split()]
            mechs += [m.upper() for m in found if m.upper() not in mechs]
    starttls = any(k.upper() == "STARTTLS" for k in keywords)
    return tuple(keywords), starttls, tuple(mechs)


def parse_imap_capability(line: str) -> tuple[tuple[str, ...], bool, tuple[str, ...], bool]:
    """An IMAP "* CAPABILITY ..." (or greeting "[CAPABILITY ...]") line ->
    (capabilities, STARTTLS, AUTH= mechanisms, LOGINDISABLED)."""
    text = line.strip()
    if "[CAPABILITY " in text.upper():
        start = text.upper().index("[CAPABILITY ") + len("[CAPABILITY ")
        text = text[start:].split("]", 1)[0]
    elif text.upper().startswith("* CAPABILITY"):
        text = text[len("* CAPABILITY") :]
    else:
        raise DialogueError(f"not a CAPABILITY line: {clean(line)!r}")
    caps = tuple(clean(c) for c in text.split())
    upper = [c.upper() for c in caps]
    mechs = tuple(c[5:] for c in upper if c.startswith("AUTH="))
    return caps, "STARTTLS" in upper, mechs, "LOGINDISABLED" in upper


def parse_pop3_capa(lines: list[str]) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    """POP3 CAPA lines (after "+OK", before ".") -> (capabilities, STLS, clear-text logins).

    The logins are the SASL mechanisms plus "USER" when the USER command is listed.
    """
    caps = tuple(clean(line) for line in lines if line.strip())
    logins: list[str] = []
    for cap in caps:
        word, _, rest = cap.partition(" ")
        if word.upper() == "USER":
            logins.append("USER")
        elif word.upper() == "SASL":
            logins += [m.upper() for m in rest.split()]
    return caps, any(c.upper() == "STLS" for c in caps), tuple(logins)


def smtp_mail_refused(code: int) -> bool | None:
    """Reply code to MAIL FROM -> accepted (True), refused for want of TLS (False), unknown.

    530 is "must issue STARTTLS first" (RFC 3207); any other 5xx/4xx may be refused for a
    reason that has nothing to do with TLS, so it is "unknown", not "required".
    """
    if 200 <= code < 300:
        return True
    if code == 530:
        return False
    return None


# --- findings: what the report says ----------------------------------------------------------


@dataclass(frozen=True)
class MailFinding:
    """One line of the mail-policy section: ``level`` is "bad", "warning", "good" or "info"."""

    id: str
    level: str
    text: str


LEVEL_ORDER = ("bad", "warning", "info", "good")


def policy_findings(policy: MailPolicy | None, service: str) -> tuple[MailFinding, ...]:
    """The mail-policy findings for one target, worst first. Pure."""
    if policy is None:
        return ()
    out: list[MailFinding] = []
    if policy.error:
        out.append(
            MailFinding(
                "mail-unread", "warning", f"mail dialogue could not be read: {policy.error}"
            )
        )
    if policy.implicit_tls:
        out.append(
            MailFinding(
                "implicit-tls",
                "good",
                "TLS from the first byte (implicit TLS): nothing in clear text",
            )
        )
        return _sorted(out)
    if policy.starttls_offered is False:
        out.append(
            MailFinding(
                "no-starttls", "bad", "STARTTLS not offered: everything travels in clear text"
            )
        )
    elif policy.starttls_offered:
        out.append(MailFinding("starttls", "good", "STARTTLS offered"))
    if policy.auth_before_tls:
        out.append(
            MailFinding(
                "auth-before-tls",
                "bad",
                f"login offered before TLS ({', '.join(policy.auth_before_tls)}): "
                "passwords can be sent in clear text",
            )
        )
    elif policy.auth_before_tls == () and service != "smtp":
        out.append(MailFinding("no-auth-before-tls", "good", "no login offered before TLS"))
    if service == "submission":
        if policy.mail_before_tls:
            out.append(
                MailFinding(
                    "submission-tls-optional",
                    "bad",
                    "submission accepts mail before STARTTLS: TLS not required",
                )
            )
        elif policy.mail_before_tls is False:
            out.append(
                MailFinding(
                    "submission-tls-required", "good", "submission requires STARTTLS before mail"
                )
            )
        else:
            out.append(
                MailFinding(
                    "submission-tls-unknown",
                    "info",
                    "whether submission requires TLS could not be told from "
                    f"its answer ({policy.mail_reply or 'none'})",
                )
            )
    if service == "smtp" and policy.starttls_offered:
        out.append(
            MailFinding(
                "mx-tls-optional",
                "info",
                "TLS is optional on an MX, as RFC 3207 asks of a public MX; "
                "MTA-STS or DANE let senders require it",
            )
        )
    return _sorted(out)


def _sorted(found: list[MailFinding]) -> tuple[MailFinding, ...]:
    return tuple(sorted(found, key=lambda f: LEVEL_ORDER.index(f.level)))


_BEST_FIRST = ("submission-tls-required", "implicit-tls", "no-auth-before-tls", "starttls")


def policy_summary(policy: MailPolicy | None, service: str) -> str:
    """A few words for a table column: the worst finding, or "" when there is none."""
    found = policy_findings(policy, service)
    if not found:
        return ""
    worst = found[0]
    if worst.level == "good":  # all good: name the strongest thing said
        ids = [f.id for f in found]
        worst = found[
            min(
                range(len(ids)),
                key=lambda i: (
                    _BEST_FIRST.index(ids[i]) if ids[i] in _BEST_FIRST else len(_BEST_FIRST)
                ),
            )
        ]
    short = {
        "no-starttls": "no STARTTLS",
        "auth-before-tls": "login before TLS",
        "submission-tls-optional": "TLS optional",
        "mail-unread": "policy not read",
        "implicit-tls": "implicit TLS",
        "submission-tls-required": "TLS required",
        "starttls": "STARTTLS",
        "no-auth-before-tls": "STARTTLS, no clear login",
        "mx-tls-optional": "STARTTLS",
        "submission-tls-unknown": "STARTTLS",
    }
    return short.get(worst.id, worst.text)


# --- the probe (I/O) -------------------------------------------------------------------------


def _closed(exc: OSError) -> DialogueError:
    """A reset is how a server that closed with our command unread looks from here: which of
    the two the client sees depends on timing alone, so both read as one error."""
    return DialogueError(f"the server closed the connection ({exc.strerror or exc})")


class _Conversation:
    """Line I/O on one socket with one deadline for the whole dialogue."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""

    def _timeout(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the server did not finish its answer in time")
        return left

    def line(self) -> str:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise DialogueError(f"line longer than {MAX_LINE} bytes")
            self.sock.settimeout(self._timeout())
            try:
                chunk = self.sock.recv(4096)
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise _closed(exc) from exc
            if not chunk:
                raise DialogueError("the server closed the connection")
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\n")
        return raw.decode("latin-1").rstrip("\r")

    def send(self, text: str) -> None:
        self.sock.settimeout(self._timeout())
        try:
            self.sock.sendall(text.encode("ascii") + b"\r\n")
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise _closed(exc) from exc

    def smtp_reply(self) -> tuple[int, list[str]]:
        lines = []
        for _ in range(MAX_LINES):
            line = self.line()
            lines.append(line)
            if len(line) < 3 or not line[:3].isdigit():
                raise DialogueError(f"not an SMTP reply: {clean(line)!r}")
            if line[3:4] != "-":
                return int(line[:3]), lines
        raise DialogueError(f"SMTP reply longer than {MAX_LINES} lines")

    def tagged(self, tag: str) -> list[str]:
        lines = []
        for _ in range(MAX_LINES):
            line = self.line()
            lines.append(line)
            if line.startswith(tag + " "):
                return lines
        raise DialogueError(f"IMAP answer longer than {MAX_LINES} lines")

    def pop3_multiline(self) -> list[str]:
        first = self.line()
        if not first.startswith("+OK"):
            return []
        lines: list[str] = []
        for _ in range(MAX_LINES):
            line = self.line()
            if line == ".":
                return lines
            lines.append(line)
        raise DialogueError(f"POP3 answer longer than {MAX_LINES} lines")


def _tls_context() -> ssl.SSLContext:
    """Accept any certificate and any version: we only hash what is served."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def certificate_hashes(der: bytes) -> tuple[str, str]:
    """(SHA-256 of the certificate, SHA-256 of its SubjectPublicKeyInfo), hex: DANE's 0/1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_der_x509_certificate(der)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest(), hashlib.sha256(spki).hexdigest()


def _handshake(sock: socket.socket, host: str, deadline: float) -> tuple[str, str]:
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    with _tls_context().wrap_socket(
        sock, server_hostname=host, do_handshake_on_connect=True
    ) as tls:
        der = tls.getpeercert(binary_form=True)
        with contextlib.suppress(OSError, ValueError):
            tls.unwrap()
    return certificate_hashes(der) if der else ("", "")


def probe_mail_policy(
    service: str, host: str, ip: str, port: int, *, timeout: float = 10.0
) -> MailPolicy:
    """Read one mail server's pre-TLS policy; never raises for anything the server does."""
    protocol = PROTOCOL_OF[service]
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((ip, port), timeout=timeout)
    except OSError as exc:
        return MailPolicy(
            protocol=protocol,
            implicit_tls=service in IMPLICIT_TLS,
            error=clean(f"cannot connect: {exc}"),
        )
    try:
        if service in IMPLICIT_TLS:
            leaf, spki = _handshake(sock, host, deadline)
            return MailPolicy(
                protocol=protocol, implicit_tls=True, tls_leaf_sha256=leaf, tls_spki_sha256=spki
            )
        talk = _Conversation(sock, deadline)
        if protocol == "smtp":
            return _smtp(talk, service, host, deadline)
        if protocol == "imap":
            return _imap(talk, host, deadline)
        return _pop3(talk, host, deadline)
    except (OSError, DialogueError, ssl.SSLError, UnicodeError, ValueError) as exc:
        return MailPolicy(
            protocol=protocol,
            implicit_tls=service in IMPLICIT_TLS,
            error=clean(f"{type(exc).__name__}: {exc}"),
        )
    finally:
        sock.close()


def _smtp(talk: _Conversation, service: str, host: str, deadline: float) -> MailPolicy:
    code, _ = talk.smtp_reply()
    if code != 220:
        raise DialogueError(f"greeting {code}, not 220")
    talk.send(f"EHLO {EHLO_NAME}")
    code, lines = talk.smtp_reply()
    if code != 250:
        raise DialogueError(f"EHLO answered {code}")
    keywords, starttls, mechs = parse_ehlo(lines)
    mail_before: bool | None = None
    mail_reply = ""
    if service == "submission":
        talk.send(f"MAIL FROM:<{PROBE_SENDER}>")
        code, reply = talk.smtp_reply()
        mail_before, mail_reply = smtp_mail_refused(code), clean(" ".join(reply))
        talk.send("RSET")
        talk.smtp_reply()
    leaf = spki = ""
    if starttls:
        talk.send("STARTTLS")
        code, _ = talk.smtp_reply()
        if code == 220:
            leaf, spki = _handshake(talk.sock, host, deadline)
    else:
        talk.send("QUIT")
    return MailPolicy(
        protocol="smtp",
        capabilities=keywords,
        starttls_offered=starttls,
        auth_before_tls=mechs,
        mail_before_tls=mail_before,
        mail_reply=mail_reply,
        tls_leaf_sha256=leaf,
        tls_spki_sha256=spki,
    )


def _imap(talk: _Conversation, host: str, deadline: float) -> MailPolicy:
    greeting = talk.line()
    if not greeting.upper().startswith("* OK"):
        raise DialogueError(f"greeting is not '* OK': {clean(greeting)!r}")
    talk.send("t1 CAPABILITY")
    lines = talk.tagged("t1")
    cap_lines = [line for line in lines if line.upper().startswith("* CAPABILITY")]
    if not cap_lines:
        raise DialogueError("no CAPABILITY line in the answer")
    caps, starttls, mechs, login_disabled = parse_imap_capability(cap_lines[0])
    leaf = spki = ""
    if starttls:
        talk.send("t2 STARTTLS")
        answer = talk.tagged("t2")[-1]
        if answer.upper().startswith("T2 OK"):
            leaf, spki = _handshake(talk.sock, host, deadline)
    else:
        talk.send("t3 LOGOUT")
    # LOGIN (the command) counts as a clear-text login unless LOGINDISABLED says otherwise.
    logins = mechs if login_disabled else ("LOGIN", *mechs)
    return MailPolicy(
        protocol="imap",
        capabilities=caps,
        starttls_offered=starttls,
        auth_before_tls=logins,
        login_disabled=login_disabled,
        tls_leaf_sha256=leaf,
        tls_spki_sha256=spki,
    )


def _pop3(talk: _Conversation, host: str, deadline: float) -> MailPolicy:
    greeting = talk.line()
    if not greeting.startswith("+OK"):
        raise DialogueError(f"greeting is not '+OK': {clean(greeting)!r}")
    talk.send("CAPA")
    caps, stls, logins = parse_pop3_capa(talk.pop3_multiline())
    reply = ""
    if "USER" in logins:
        # Courier lists USER in CAPA even when it requires TLS first, so the list alone would
        # accuse a careful server. A made-up user name (never a password) asks the server:
        # "+OK" means it would take the password in clear text, "-ERR" that it would not.
        talk.send(f"USER {PROBE_USER}")
        answer = talk.line()
        reply = clean(answer)
        if answer.startswith("-ERR"):
            logins = tuple(m for m in logins if m != "USER")
    leaf = spki = ""
    if stls:
        talk.send("STLS")
        if talk.line().startswith("+OK"):
            leaf, spki = _handshake(talk.sock, host, deadline)
    else:
        talk.send("QUIT")
    return MailPolicy(
        protocol="pop3",
        capabilities=caps,
        starttls_offered=stls,
        auth_before_tls=logins,
        mail_reply=reply,
        tls_leaf_sha256=leaf,
        tls_spki_sha256=spki,
    )
