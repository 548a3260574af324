"""The facts a scan yields: the one schema every other room of tlsreport reads.

The scanner writes these, the grader and the reports read them, and history stores them as
plain JSON. Keeping the schema in one module (and versioned) is what lets a snapshot taken
years ago be loaded, regraded under new rules, and diffed against today's without rescanning.

Conventions:
- Protocol keys are ``PROTOCOLS`` ("SSLv2" … "TLSv1.3"). A protocol whose scan command did not
  complete is absent from ``Facts.protocols`` (and named in ``Facts.errors``): "not tested" is
  never confused with "not offered" (an empty list).
- ``None`` in a boolean field means "not tested / unknown", never "no".
- Dates and times are ISO 8601 strings in UTC (``2026-11-26T10:00:00Z``) so the JSON diffs well.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

# 2: endpoints (``TargetResult.endpoints``, ``TargetRef.addresses``), chains completed through
# AIA (``CertificateFacts.fetched``…), results imported from SSL Labs / testssl.sh
# (``TargetResult.imported``, snapshot kind "imported") and the optional mail fields
# (``Facts.mail``, ``Facts.mail_domain``). A version-1 file is a version-2 file without them,
# so it loads unchanged: each target is its own one endpoint.
SCHEMA_VERSION = 2
READABLE_SCHEMAS: tuple[int, ...] = (1, 2)

PROTOCOLS: tuple[str, ...] = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")

# Target states. "ok" means facts were gathered; every other state is a reason the target
# could not be scanned, which reports show as such and never as a grade.
STATE_OK = "ok"
UNREACHABLE_STATES: dict[str, str] = {
    "dns-failure": "host name could not be resolved",
    "refused": "connection refused",
    "timeout": "connection timed out",
    "no-tls": "server does not speak TLS",
    "handshake-failure": "TLS handshake failed",
    "starttls-refused": "server refused STARTTLS",
    "untestable": "target could not be tested",
    "error": "scan failed",
}
STATES: tuple[str, ...] = (STATE_OK, *UNREACHABLE_STATES)


class SchemaError(ValueError):
    """Data that does not fit the facts schema; the message names the field path."""


@dataclass(frozen=True)
class CipherSuite:
    """One cipher suite the server accepted for one protocol version."""

    name: str  # RFC/IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    openssl_name: str = ""
    bits: int = 0  # symmetric key size; 0 for NULL ciphers
    kex: str = ""  # "ECDHE" | "DHE" | "RSA" | "ECDH" | "DH" | "PSK" | "ANON" | "TLS13" | ...
    kex_bits: int | None = None  # ephemeral key size (DH modulus or EC bits), None if not seen
    curve: str | None = None  # ECDHE group name, e.g. "X25519", "prime256v1"
    forward_secrecy: bool = False
    aead: bool = False
    rc4: bool = False
    cbc: bool = False
    block_64: bool = False  # 3DES, DES, IDEA, RC2: SWEET32
    export: bool = False
    anonymous: bool = False
    null: bool = False
    # sslyze accepts a DHE suite whose group its own client refuses (< 1024 bits) and then
    # reports no key at all; we keep that fact instead of losing it (lab notes, pitfall 5).
    dh_key_unreadable: bool = False


@dataclass(frozen=True)
class Certificate:
    """One certificate as the server sent it (leaf first in a chain)."""

    subject: str
    issuer: str
    sans: tuple[str, ...] = ()
    signature_hash: str | None = None  # "sha256", "sha1", "md5", ... (lower case)
    key_type: str = ""  # "RSA" | "EC" | "DSA" | "Ed25519" | "Ed448"
    key_bits: int = 0
    rsa_exponent: int | None = None
    curve: str | None = None
    not_before: str = ""
    not_after: str = ""
    serial: str = ""
    fingerprint_sha256: str = ""


@dataclass(frozen=True)
class TrustResult:
    """Path validation against one trust store ("Mozilla", "Supplied CA file", ...)."""

    store: str
    trusted: bool
    error: str | None = None


@dataclass(frozen=True)
class CertificateFacts:
    chain: tuple[Certificate, ...] = ()  # as received, leaf first
    trust: tuple[TrustResult, ...] = ()
    hostname: str = ""  # the name checked (the SNI name)
    hostname_matches: bool | None = None
    # Our reading of the validation errors: None when trusted by at least one store, else one
    # of "expired", "not-yet-valid", "self-signed", "untrusted", "mismatch", "weak-signature",
    # "incomplete-chain" (completed through AIA and then trusted), "issuer-not-found" (an
    # incomplete chain whose issuer could not be fetched).
    problem: str | None = None
    chain_in_order: bool | None = None
    ocsp_stapled: bool | None = None
    ocsp_status: str | None = None  # "GOOD" | "REVOKED" | "UNKNOWN" when stapled
    # An incomplete chain completed as SSL Labs does: the certificates fetched through the
    # leaf's AIA caIssuers URL(s), kept so that regrading never goes to the network (schema 2).
    fetched: tuple[Certificate, ...] = ()
    fetched_from: tuple[str, ...] = ()  # the caIssuers URLs tried
    fetch_error: str | None = None  # why nothing usable was fetched

    @property
    def leaf(self) -> Certificate | None:
        return self.chain[0] if self.chain else None

    @property
    def trusted(self) -> bool:
        return any(t.trusted for t in self.trust)


@dataclass(frozen=True)
class Renegotiation:
    secure: bool | None = None  # RFC 5746 supported
    client_initiated: bool | None = None  # server honours client-initiated renegotiation


@dataclass(frozen=True)
class Hsts:
    """The Strict-Transport-Security header as read on the target's path."""

    present: bool = False
    max_age: int | None = None
    include_subdomains: bool = False
    preload: bool = False


@dataclass(frozen=True)
class MailPolicy:
    """What a mail server says before TLS (tlsreport.mailpolicy reads it; never a login).

    ``None`` is "not read" as everywhere in the schema. For implicit-TLS services (smtps,
    imaps, pop3s) nothing is said in clear text and ``implicit_tls`` is True.
    """

    protocol: str  # "smtp" | "imap" | "pop3"
    implicit_tls: bool = False
    capabilities: tuple[str, ...] = ()  # EHLO keywords / IMAP CAPABILITY / POP3 CAPA, pre-TLS
    starttls_offered: bool | None = None
    # Mechanisms (SMTP AUTH, IMAP AUTH=, POP3 SASL) plus "USER"/"LOGIN" commands offered in
    # clear text; () none offered; None not read.
    auth_before_tls: tuple[str, ...] | None = None
    login_disabled: bool | None = None  # IMAP LOGINDISABLED before TLS
    # Submission probe: MAIL FROM before STARTTLS accepted (True) or refused (False).
    mail_before_tls: bool | None = None
    # The server's answer to the probe command (MAIL FROM on submission, USER with a made-up
    # name on POP3), cleaned but not escaped: escape it to show it.
    mail_reply: str = ""
    tls_leaf_sha256: str = ""  # hex SHA-256 of the leaf served after STARTTLS (for DANE)
    tls_spki_sha256: str = ""  # hex SHA-256 of its SubjectPublicKeyInfo
    error: str | None = None  # why the dialogue could not be read


@dataclass(frozen=True)
class TlsaRecord:
    usage: int
    selector: int
    mtype: int
    data: str  # hex, lower case


@dataclass(frozen=True)
class MailDomain:
    """DNS-published mail policy for a list's ``mail_domain`` (tlsreport.maildns)."""

    domain: str
    nameserver: str = ""  # the resolver asked ("" = the system's)
    mx: tuple[str, ...] = ()
    mta_sts_txt: str | None = None  # the _mta-sts TXT record; None: none published
    mta_sts_mode: str | None = None  # "enforce" | "testing" | "none" from the policy file
    mta_sts_mx: tuple[str, ...] = ()
    mta_sts_max_age: int | None = None
    mta_sts_error: str | None = None  # why the policy could not be read or is invalid
    tls_rpt: str | None = None  # the _smtp._tls TXT record
    tlsa_name: str = ""  # e.g. _25._tcp.mx.example.org
    tlsa: tuple[TlsaRecord, ...] = ()
    tlsa_match: bool | None = None  # a record matches the certificate served; None: untested
    dnssec_validated: bool = False  # tlsreport never validates DNSSEC itself
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """Everything tlsreport knows about one endpoint from one scan."""

    protocols: dict[str, tuple[CipherSuite, ...]] = field(default_factory=dict)
    certificate: CertificateFacts | None = None
    renegotiation: Renegotiation | None = None
    compression: bool | None = None
    fallback_scsv: bool | None = None
    heartbleed: bool | None = None
    ccs_injection: bool | None = None
    robot: str | None = None  # sslyze's RobotScanResultEnum name
    extended_master_secret: bool | None = None
    curves: tuple[str, ...] | None = None
    hsts: Hsts | None = None  # None: not an https target or headers not read
    http_error: str | None = None  # why headers could not be read (≠ "no HSTS")
    ip: str | None = None
    highest_version: str | None = None
    # scan command name -> error text, for commands that did not complete
    errors: dict[str, str] = field(default_factory=dict)
    # Results of tests sslyze does not run (POODLE-TLS, Ticketbleed, the 2019 CBC oracles, ...),
    # keyed by the grader's finding id ("poodle-tls", "ticketbleed", "cbc-oracles-2019", ...):
    # True vulnerable, False tested and fine; absent = not tested. Filled from recorded reasons
    # (grade.facts_from_reasons), from an import (tlsreport.imports: SSL Labs, testssl.sh; also
    # "drown" as the source reported it, other hosts sharing the key included) or by a future
    # probe; the grader lists absent ones as not tested.
    other_tests: dict[str, bool] = field(default_factory=dict)
    mail: MailPolicy | None = None  # mail targets: the dialogue before TLS (schema 2)
    mail_domain: MailDomain | None = None  # the list's mail_domain, on its smtp target

    def offered(self, protocol: str) -> bool | None:
        """True/False when tested, None when the protocol's scan did not complete."""
        if protocol not in self.protocols:
            return None
        return bool(self.protocols[protocol])

    def all_suites(self) -> list[tuple[str, CipherSuite]]:
        return [(p, s) for p in PROTOCOLS for s in self.protocols.get(p, ())]


@dataclass(frozen=True)
class Recorded:
    """A grade as published by someone else (e.g. SSL Labs in 2015), with its reasons.

    Recorded history has no facts; the grader derives the facts the reasons imply.
    """

    grade: str | None  # None: the target was listed but its grade was not recorded
    reasons: tuple[str, ...] = ()  # the labels as published, e.g. "RC4 (insecure)"
    source: str = ""  # where it was published
    # Not published as such but inferred (e.g. a bank's grade on the day it was added, taken
    # from the next table that lists it): says from what. Empty: the grade is as published.
    # Kept apart from ``source`` so a change list can mark the inference, not just a page.
    inferred: str = ""
    # Reasons the publication itself calls new since its previous record ("Triodos lost
    # Forward Secrecy"), even where that previous record is not in this history. Without it a
    # reason first seen here is only "first recorded", never "new".
    new_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Imported:
    """Where an imported result came from, and the grade its source gave (schema 2).

    Imported results carry facts (mapped from the source's own findings) and are graded by
    tlsreport like a scan; the source's grade is kept beside ours, never instead of it, so a
    page can say where the two differ.
    """

    tool: str  # "SSL Labs" | "testssl.sh"
    tool_version: str = ""  # SSL Labs engineVersion, testssl.sh version; "" when not recorded
    rating_version: str | None = None  # SSL Labs criteriaVersion, testssl rating_spec
    source_grade: str | None = None  # None: the source gave no grade (testssl.sh 3.0)
    source_grade_trust_ignored: str | None = None  # SSL Labs gradeTrustIgnored
    assessed: str = ""  # the assessment time the source recorded (ISO 8601 UTC)
    file: str = ""  # the imported file's name
    endpoint: str = ""  # the IP address whose results these are
    note: str = ""  # e.g. which of several endpoints was kept, and why


@dataclass(frozen=True)
class TargetRef:
    """The target as it was scanned (a copy, so history survives edits to the list)."""

    name: str
    host: str
    port: int = 443
    service: str = "https"
    path: str = "/"
    address: str | None = None
    group: tuple[str, ...] = ()
    note: str = ""
    addresses: tuple[str, ...] = ()  # pinned addresses when more than one (schema 2)

    @functools.cached_property
    def key(self) -> str:
        """Stable identity of a target across snapshots.

        Cached (the object is frozen, so it cannot change): pages, charts and diffs of a long
        list ask every target's key for every snapshot.
        """
        return f"{self.host}:{self.port}/{self.service}"

    def is_named(self, name: str) -> bool:
        """Whether a directive's ``target=`` means this target: its name, key or host."""
        return name in (self.name, self.key, self.host)


@dataclass(frozen=True)
class Endpoint:
    """One address of a target, scanned on its own with the target's host as SNI."""

    address: str
    state: str = STATE_OK  # one of STATES
    reason: str | None = None
    facts: Facts | None = None
    duration: float | None = None


@dataclass(frozen=True)
class TargetResult:
    target: TargetRef
    state: str = STATE_OK  # one of STATES
    reason: str | None = None  # human text for a non-ok state
    facts: Facts | None = None
    recorded: Recorded | None = None
    duration: float | None = None  # seconds spent on this target
    # A host with several addresses: every one of them (schema 2). Then ``state``/``facts``
    # are those of the first reachable endpoint (what a one-address reader sees) and the grade
    # is the worst endpoint's. Empty: the target is its own one endpoint (schema 1, or one
    # address).
    endpoints: tuple[Endpoint, ...] = ()
    imported: Imported | None = None  # set in "imported" snapshots (schema 2)


@dataclass(frozen=True)
class Snapshot:
    """One run over one list: the unit history stores (one file each)."""

    list_slug: str
    title: str
    taken: str  # ISO 8601 UTC, e.g. "2026-11-26T10:00:00Z"
    kind: str = "scan"  # "scan" | "recorded" | "imported"
    results: tuple[TargetResult, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)  # tlsreport, sslyze, schema
    note: str = ""
    schema: int = SCHEMA_VERSION

    @functools.cached_property
    def taken_at(self) -> datetime:
        """When the snapshot was taken, aware UTC: parsed once, here, for every room."""
        try:
            return parse_taken(self.taken)
        except ValueError:
            raise ValueError(
                f"snapshot {self.list_slug!r}: field 'taken' is not an ISO date/time: "
                f"{self.taken!r}"
            ) from None

    @property
    def day(self) -> date:
        """The UTC calendar date the snapshot was taken: the day whose rules grade it."""
        return self.taken_at.date()

    def result_for(self, key: str) -> TargetResult | None:
        """The result for a target key (the first, should a key appear twice), or None."""
        return self._results_by_key.get(key)

    @functools.cached_property
    def _results_by_key(self) -> dict[str, TargetResult]:
        # Built once per snapshot: a linear search per lookup made pages for every target of
        # a 1,000-target list quadratic (100 million key comparisons over 100 snapshots).
        index: dict[str, TargetResult] = {}
        for r in self.results:
            index.setdefault(r.target.key, r)
        return index


TAKEN_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # a snapshot's ``taken``: ISO 8601 UTC, seconds


def parse_taken(text: str, *, strict: bool = False) -> datetime:
    """A snapshot's ``taken`` text → aware UTC datetime (ValueError when malformed).

    ``strict``: only the form tlsreport writes (``2026-11-26T10:00:00Z``), as history checks
    files; otherwise any ISO 8601 time (naive means UTC), as hand-made snapshots use.
    """
    try:
        return datetime.strptime(text, TAKEN_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        if strict:
            raise
    when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def format_taken(when: datetime) -> str:
    """Aware (or naive UTC) datetime → a snapshot's ``taken`` text."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime(TAKEN_FORMAT)


# --- JSON (de)serialisation -------------------------------------------------------------


def to_json(obj: Any) -> Any:
    """Plain JSON-able data (dicts, lists, str, int, bool, None) from any schema object."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    return obj


def from_json(cls: type, data: Any, where: str = "", *, share: bool = False) -> Any:
    """Rebuild a schema object of class ``cls`` from plain JSON data.

    Unknown keys and wrong types raise SchemaError naming the field path, so a hand-edited or
    damaged snapshot says exactly what is wrong instead of failing later in the grader.

    ``share``: equal parts become one object (a list's 1,000 targets repeat the same cipher
    suites, intermediates and protocol lists). Made while converting, sharing costs nothing
    extra: an equal part is found before it is built. The result is a third of the size in
    memory and pickles (the build cache) small and fast. ``TargetResult`` and ``Snapshot``
    objects are never shared (the grader's memo knows results by identity), nor dicts.
    """
    token = _SHARED.set({} if share else None)
    try:
        return _convert(cls, data, where or cls.__name__)
    finally:
        _SHARED.reset(token)


# The table of parts already built in this from_json(share=True) call, keyed by class and the
# identities (or, for strings, numbers and None, the values) of their already-shared parts.
_SHARED: contextvars.ContextVar[dict[tuple[Any, ...], Any] | None] = contextvars.ContextVar(
    "tlsreport_facts_shared", default=None
)
_TRUE, _FALSE = object(), object()


def part_key(value: Any) -> Any:
    """A part's share of its parent's key: by value for leaves, never equal across types
    (True, 1 and 1.0 are equal in Python), by identity for anything else (already shared)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is int or kind is float:
        return (kind, repr(value))
    return id(value)


def _convert(tp: Any, data: Any, where: str) -> Any:
    return _converter(tp)(data, where)


_Converter = typing.Callable[[Any, str], Any]


@functools.cache
def _converter(tp: Any) -> _Converter:
    """The function that checks and converts JSON data to ``tp``, built once per type.

    Why compiled: a 1,000-target snapshot holds over a million values. Working out what a
    type is (``typing.get_type_hints``, ``get_origin``, ``is_dataclass``) for every value was
    most of the time spent loading history, and the schema never changes at run time, so each
    type's checks are decided once here and the per-value work is only the checks themselves.
    Error messages are the same as they always were: the field path, then what is wrong.
    """
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        nullable = type(None) in args
        options = [_converter(a) for a in args if a is not type(None)]

        def union(data: Any, where: str) -> Any:
            if data is None:
                if nullable:
                    return None
                raise SchemaError(f"{where}: must not be null")
            errors = []
            for convert in options:
                try:
                    return convert(data, where)
                except SchemaError as exc:
                    errors.append(str(exc))
            raise SchemaError(errors[0] if errors else f"{where}: bad value")

        return union
    if tp is Any:
        return lambda data, where: data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)
    if origin is tuple:
        item = _converter(typing.get_args(tp)[0])

        def to_tuple(data: Any, where: str) -> Any:
            if not isinstance(data, list):
                raise SchemaError(f"{where}: expected a list, got {type(data).__name__}")
            out = tuple(item(v, f"{where}[{i}]") for i, v in enumerate(data))
            table = _SHARED.get()
            if table is None:
                return out
            return table.setdefault(("tuple", *map(part_key, out)), out)

        return to_tuple
    if origin is dict:
        value = _converter(typing.get_args(tp)[1])

        def to_dict(data: Any, where: str) -> Any:
            if not isinstance(data, dict):
                raise SchemaError(f"{where}: expected an object, got {type(data).__name__}")
            return {k: value(v, f"{where}.{k}") for k, v in data.items()}

        return to_dict
    if tp is bool:

        def to_bool(data: Any, where: str) -> Any:
            if not isinstance(data, bool):
                raise SchemaError(f"{where}: expected true/false, got {data!r}")
            return data

        return to_bool
    if tp is int:

        def to_int(data: Any, where: str) -> Any:
            if isinstance(data, bool) or not isinstance(data, int):
                raise SchemaError(f"{where}: expected an integer, got {data!r}")
            return data

        return to_int
    if tp is float:

        def to_float(data: Any, where: str) -> Any:
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise SchemaError(f"{where}: expected a number, got {data!r}")
            return float(data)

        return to_float
    if tp is str:

        def to_str(data: Any, where: str) -> Any:
            if not isinstance(data, str):
                raise SchemaError(f"{where}: expected a string, got {data!r}")
            return data

        return to_str

    def unsupported(data: Any, where: str) -> Any:
        raise SchemaError(f"{where}: unsupported type {tp!r}")

    return unsupported


def _dataclass_converter(tp: type) -> _Converter:
    hints = typing.get_type_hints(tp)
    fields = [
        (
            f.name,
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(tp)
    ]
    names = frozenset(name for name, _, _ in fields)
    compiled: list[tuple[str, _Converter, bool]] | None = None
    shareable = tp not in (TargetResult, Snapshot)  # known by identity (the grade memo)

    def to_object(data: Any, where: str) -> Any:
        nonlocal compiled
        if compiled is None:  # built on first use: schema classes refer to each other
            compiled = [(name, _converter(hint), required) for name, hint, required in fields]
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected an object, got {type(data).__name__}")
        if not names.issuperset(data):
            raise SchemaError(f"{where}: unknown field {sorted(set(data) - names)[0]!r}")
        kwargs = {}
        for name, convert, required in compiled:
            if name in data:
                kwargs[name] = convert(data[name], f"{where}.{name}")
            elif required:
                raise SchemaError(f"{where}: missing field {name!r}")
        table = _SHARED.get()
        if table is None or not shareable:
            return tp(**kwargs)
        key = (tp, *kwargs, *map(part_key, kwargs.values()))
        found = table.get(key)
        if found is None:
            found = table[key] = tp(**kwargs)
        return found

    return to_object
