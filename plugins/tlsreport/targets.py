"""Target lists: the blogger's TOML files of sites and mail servers to scan.

One file is one list (``data/targets/<slug>.toml``). This module only parses and validates;
it never opens a connection. Every error names the file, the line (when the TOML text lets us
find it) and the field, because the person fixing it is looking at the file in an editor.

tomllib does not report line numbers for keys, so after parsing we re-read the text with a
small line scanner (``_locate``) that finds where each top-level key and each ``[[target]]``
key was written. It is only used to point at lines in error messages, never to read values.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import facts

# Default port per service. The keys are the only services a list may name.
SERVICES: dict[str, int] = {
    "https": 443,
    "smtp": 25,
    "submission": 587,
    "smtps": 465,
    "imap": 143,
    "imaps": 993,
    "pop3": 110,
    "pop3s": 995,
}

_LIST_KEYS = {
    "title",
    "slug",
    "scan",
    "ca_file",
    "aia_fetch",
    "target",
    "mail_domain",
    "dns_server",
}
_TARGET_KEYS = {"name", "host", "port", "service", "path", "address", "group", "added", "note"}
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_HOST_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class TargetListError(ValueError):
    """A target list that cannot be used; says where (file, line, field) and what to do."""

    def __init__(
        self, file: Path | str, line: int | None, field: str, message: str, hint: str = ""
    ) -> None:
        self.file = Path(file)
        self.line = line
        self.field = field
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        text = f"{where}: {self.field}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass(frozen=True)
class Target:
    """One endpoint of a list: a TLS server the reports talk about under ``name``."""

    name: str
    host: str  # SNI and certificate name; also what is resolved when no address is given
    port: int
    service: str = "https"
    path: str = "/"  # the page the report is about; HSTS is read there (https only)
    address: str | None = None  # connect here instead of resolving host
    # ``address = ["…", "…"]``: every pinned address (the first is also ``address``); each is
    # scanned as an endpoint of its own, with ``host`` as SNI.
    addresses: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    added: date | None = None
    note: str = ""
    line: int | None = None  # where the [[target]] table starts in its file

    def ref(self) -> facts.TargetRef:
        """The copy stored in snapshots, so history survives later edits to the list."""
        return facts.TargetRef(
            name=self.name,
            host=self.host,
            port=self.port,
            service=self.service,
            path=self.path,
            address=self.address,
            group=self.group,
            note=self.note,
            addresses=self.addresses,
        )

    @property
    def key(self) -> str:
        return self.ref().key


@dataclass(frozen=True)
class TargetList:
    path: Path
    title: str
    slug: str
    scan: bool  # False: an archive list; history only, never scanned
    ca_file: Path | None  # extra trust anchor, resolved relative to the list's file
    targets: tuple[Target, ...]
    # Complete incomplete chains through the leaf's AIA caIssuers URL (HTTP), as SSL Labs does;
    # false: never fetch (the grade is then T, "issuer not found", for such a chain).
    aia_fetch: bool = True
    # Mail lists: the domain whose MTA-STS, TLS-RPT and DANE records are read (tlsreport.
    # maildns), and the DNS server to ask ("IP" or "IP:port"; None: the system's resolver).
    mail_domain: str | None = None
    dns_server: str | None = None


@dataclass
class _Lines:
    """Where keys were written: top-level key -> line, and per [[target]] its lines."""

    top: dict[str, int]
    targets: list[tuple[int, dict[str, int]]]  # (header line, key -> line)


_KEY_LINE_RE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_TABLE_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


def _locate(text: str) -> _Lines:
    top: dict[str, int] = {}
    targets: list[tuple[int, dict[str, int]]] = []
    current: dict[str, int] | None = top
    for number, raw in enumerate(text.splitlines(), start=1):
        table = _TABLE_RE.match(raw)
        if table:
            if table.group(1) == "[[" and table.group(2).strip("\"'") == "target":
                targets.append((number, {}))
                current = targets[-1][1]
            else:
                current = None  # some other table: its keys are reported by table name
                top.setdefault(table.group(2).strip("\"'"), number)
            continue
        key = _KEY_LINE_RE.match(raw)
        if key and current is not None:
            current.setdefault(key.group(1).strip("\"'"), number)
    return _Lines(top, targets)


def load_target_list(path: Path) -> TargetList:
    """Parse and validate one list; raise TargetListError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetListError(
            path, None, "file", "does not exist", "check the path of the target list"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetListError(
            path, None, "file", f"cannot be read ({exc})", "save it as UTF-8 text"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise TargetListError(
            path,
            int(found.group(1)) if found else None,
            "toml",
            f"syntax error: {exc}",
            "fix the TOML syntax (strings need quotes, one key per line)",
        ) from None
    return _build_list(path, data, _locate(text))


def _build_list(path: Path, data: dict[str, Any], lines: _Lines) -> TargetList:
    def fail(field: str, message: str, hint: str, line: int | None = None) -> TargetListError:
        return TargetListError(
            path, line if line is not None else lines.top.get(field), field, message, hint
        )

    for key in data:
        if key not in _LIST_KEYS:
            raise fail(
                key,
                "unknown key",
                f"allowed at the top: {', '.join(sorted(_LIST_KEYS - {'target'}))} "
                "and [[target]] tables",
            )

    slug = data.get("slug", path.stem)
    if not isinstance(slug, str) or not _SLUG_RE.match(slug):
        raise fail(
            "slug",
            f"{slug!r} is not a valid slug",
            "use lower-case letters, digits, '-', '.' or '_' (it names a directory)",
        )
    title = data.get("title", slug)
    if not isinstance(title, str) or not title.strip():
        raise fail("title", "must be a non-empty string", 'write e.g. title = "Belgian banks"')
    scan = data.get("scan", False)
    if not isinstance(scan, bool):
        raise fail(
            "scan",
            f"must be true or false, got {scan!r}",
            "true to scan the list, false for an archive list",
        )

    aia_fetch = data.get("aia_fetch", True)
    if not isinstance(aia_fetch, bool):
        raise fail(
            "aia_fetch",
            f"must be true or false, got {aia_fetch!r}",
            "false to never fetch missing intermediates through AIA",
        )

    ca_file: Path | None = None
    if "ca_file" in data:
        raw_ca = data["ca_file"]
        if not isinstance(raw_ca, str) or not raw_ca:
            raise fail(
                "ca_file",
                "must be a file name string",
                "give the path of a PEM file, relative to this list",
            )
        ca_file = (path.parent / raw_ca).resolve()
        if not ca_file.is_file():
            raise fail(
                "ca_file",
                f"{ca_file} does not exist",
                "give the path of a PEM file, relative to this list",
            )
        try:
            pem = ca_file.read_bytes()
        except OSError as exc:
            raise fail(
                "ca_file", f"{ca_file} cannot be read ({exc})", "check the file's permissions"
            ) from None
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise fail(
                "ca_file",
                f"{ca_file} holds no PEM certificate",
                "give a file with -----BEGIN CERTIFICATE----- blocks",
            )

    mail_domain = data.get("mail_domain")
    if mail_domain is not None and (
        not isinstance(mail_domain, str)
        or not _HOST_RE.match(mail_domain)
        or mail_domain.startswith(("-", "."))
    ):
        raise fail(
            "mail_domain",
            f"{mail_domain!r} is not a domain name",
            'write e.g. mail_domain = "example.org"',
        )
    dns_server = data.get("dns_server")
    if dns_server is not None:
        try:
            if not isinstance(dns_server, str):
                raise DnsServerError(f"{dns_server!r} is not a string")
            parse_dns_server(dns_server)
        except DnsServerError as exc:
            raise fail(
                "dns_server",
                str(exc),
                'write e.g. dns_server = "127.0.0.1:5353", or leave it out for the '
                "system's resolver",
            ) from None

    raw_targets = data.get("target", [])
    if not isinstance(raw_targets, list):
        raise fail("target", "must be an array of tables", "write each target as [[target]]")
    targets: list[Target] = []
    seen_keys: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for index, raw in enumerate(raw_targets):
        header, key_lines = lines.targets[index] if index < len(lines.targets) else (None, {})
        target = _build_target(path, index, raw, header, key_lines)
        where = f"target[{index + 1}]"
        if target.key in seen_keys:
            raise TargetListError(
                path,
                header,
                f"{where}.host",
                f"duplicate target {target.key} (also target[{seen_keys[target.key]}])",
                "list each host, port and service once",
            )
        if target.name in seen_names:
            raise TargetListError(
                path,
                key_lines.get("name", header),
                f"{where}.name",
                f"duplicate name {target.name!r} (also target[{seen_names[target.name]}])",
                "give each target its own name",
            )
        seen_keys[target.key] = index + 1
        seen_names[target.name] = index + 1
        targets.append(target)
    return TargetList(
        path=path,
        title=title.strip(),
        slug=slug,
        scan=scan,
        ca_file=ca_file,
        targets=tuple(targets),
        aia_fetch=aia_fetch,
        mail_domain=mail_domain.lower() if mail_domain else None,
        dns_server=dns_server,
    )


def _build_target(
    path: Path, index: int, raw: Any, header: int | None, key_lines: dict[str, int]
) -> Target:
    where = f"target[{index + 1}]"

    def fail(field: str, message: str, hint: str) -> TargetListError:
        return TargetListError(
            path, key_lines.get(field, header), f"{where}.{field}", message, hint
        )

    if not isinstance(raw, dict):
        raise TargetListError(path, header, where, "must be a table", "write it as [[target]]")
    for key in raw:
        if key not in _TARGET_KEYS:
            raise fail(key, "unknown key", f"allowed: {', '.join(sorted(_TARGET_KEYS))}")

    host = raw.get("host")
    if host is None:
        raise TargetListError(
            path, header, f"{where}.host", "missing", 'every target needs host = "www.example.com"'
        )
    if not isinstance(host, str) or not _HOST_RE.match(host) or host.startswith(("-", ".")):
        raise fail("host", f"{host!r} is not a host name", _host_hint(host))

    service = raw.get("service", "https")
    if service not in SERVICES:
        raise fail("service", f"unknown service {service!r}", f"use one of: {', '.join(SERVICES)}")

    port = raw.get("port", SERVICES[service])
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise fail(
            "port",
            f"{port!r} is not a port number",
            "use a whole number from 1 to 65535, or leave it out for the service default",
        )

    name = raw.get("name", host)
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "must be a non-empty string", 'write e.g. name = "ING"')

    target_path = raw.get("path", "/")
    if not isinstance(target_path, str) or not target_path.startswith("/"):
        raise fail("path", f"{target_path!r} must start with '/'", 'write e.g. path = "/login"')
    if target_path != "/" and service != "https":
        raise fail(
            "path",
            f"only https targets have a path (service is {service})",
            "remove path from this target",
        )

    address = raw.get("address")
    addresses: tuple[str, ...] = ()
    if isinstance(address, list):
        if not address:
            raise fail(
                "address",
                "an empty list pins no address",
                'write e.g. address = ["192.0.2.1", "192.0.2.2"], or leave it out',
            )
        pinned: list[str] = []
        for item in address:
            try:
                text = str(ipaddress.ip_address(item))
            except (ValueError, TypeError):
                raise fail(
                    "address",
                    f"{item!r} is not an IP address",
                    'write e.g. address = ["192.0.2.1", "192.0.2.2"]',
                ) from None
            if text in pinned:
                raise fail("address", f"{text} is listed twice", "list each address once")
            pinned.append(text)
        address = pinned[0]
        addresses = tuple(pinned) if len(pinned) > 1 else ()
    elif address is not None:
        try:
            address = str(ipaddress.ip_address(address))
        except (ValueError, TypeError):
            raise fail(
                "address",
                f"{address!r} is not an IP address",
                'write e.g. address = "127.0.0.1", or leave it out to resolve host',
            ) from None

    group_raw = raw.get("group", [])
    if isinstance(group_raw, str):
        group: tuple[str, ...] = (group_raw,)
    elif isinstance(group_raw, list) and all(isinstance(g, str) for g in group_raw):
        group = tuple(group_raw)
    else:
        raise fail(
            "group",
            f"{group_raw!r} must be a string or a list of strings",
            'write e.g. group = "bank" or group = ["bank", "insurer"]',
        )

    added = raw.get("added")
    if added is not None and (isinstance(added, datetime) or not isinstance(added, date)):
        raise fail("added", f"{added!r} is not a date", "write a bare date: added = 2015-02-18")

    note = raw.get("note", "")
    if not isinstance(note, str):
        raise fail("note", "must be a string", 'write e.g. note = "login page moved"')

    return Target(
        name=name.strip(),
        host=host.lower(),
        port=port,
        service=service,
        path=target_path,
        address=address,
        group=group,
        added=added,
        note=note,
        line=header,
        addresses=addresses,
    )


class DnsServerError(ValueError):
    """A ``dns_server`` setting that is not "IP" or "IP:port"."""


def parse_dns_server(text: str) -> tuple[str, int]:
    """ "127.0.0.1:5353" / "::1" / "[::1]:5353" / "192.0.2.1" -> (address, port).

    An address, never a name: the resolver that would look the name up is the one being set.
    """
    text = text.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise DnsServerError(f"{text!r}: expected [address]:port")
            port = _dns_port(rest[1:], text)
    elif text.count(":") == 1:
        host, raw = text.split(":")
        port = _dns_port(raw, text)
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        raise DnsServerError(f'{text!r}: not an IP address (write e.g. "127.0.0.1:5353")') from None


def _dns_port(raw: str, text: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise DnsServerError(f"{text!r}: port must be a number from 1 to 65535")
    return int(raw)


def _host_hint(host: object) -> str:
    """What to write instead of a bad host: the usual mistakes get their own advice.

    International names are refused rather than converted: the list then says exactly which
    name is resolved and sent as SNI, and the Unicode spelling can go in ``name``.
    """
    if not isinstance(host, str):
        return 'write e.g. host = "www.example.com"'
    if "://" in host or "/" in host:
        bare = host.split("://", 1)[-1].split("/", 1)[0]
        return (
            f'write the host name alone: host = "{bare}" (no scheme, no path; the page '
            'goes in path = "/login")'
        )
    if not host.isascii():
        try:
            ascii_name = host.encode("idna").decode("ascii")
        except UnicodeError:
            return "write the name in its ASCII (punycode) form"
        return (
            f'write the name in its ASCII (punycode) form: host = "{ascii_name}", and the '
            f'Unicode spelling in name = "{host}"'
        )
    return 'write e.g. host = "www.example.com"'


def load_target_lists(directory: Path) -> list[TargetList]:
    """Every ``*.toml`` list in ``directory``, sorted by slug; two lists may not share one."""
    lists = [load_target_list(p) for p in sorted(Path(directory).glob("*.toml"))]
    by_slug: dict[str, TargetList] = {}
    for target_list in lists:
        other = by_slug.get(target_list.slug)
        if other is not None:
            raise TargetListError(
                target_list.path,
                None,
                "slug",
                f"{target_list.slug!r} is also the slug of {other.path}",
                "give each list its own slug",
            )
        by_slug[target_list.slug] = target_list
    return sorted(lists, key=lambda t: t.slug)
