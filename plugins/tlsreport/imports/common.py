"""What the SSL Labs and testssl.sh importers share: reading, matching, suites, snapshots.

Why a module of its own: both importers end the same way (one ``TargetResult`` per assessed
target, with facts and an ``Imported`` record) and must fail the same way (a message naming
the file, and the JSON path where it matters, before anything is written). Keeping that here
keeps each importer a plain mapping from its source's fields to the facts.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import facts, vocabulary
from ..history import History, snapshot_stem
from ..targets import Target, TargetList

KIND = "imported"
# Results of a list's targets that an import does not cover: listed, grade not recorded, so
# change lists carry their last known grade forward instead of calling them removed.
NOT_IN_IMPORT = vocabulary.NOT_IN_IMPORT  # the other targets of a list, in an import


class ImportInputError(ValueError):
    """A file that cannot be imported; names the file and, where it matters, the JSON path."""

    def __init__(self, file: Path | str, message: str, where: str = "") -> None:
        self.file = Path(file)
        self.where = where
        self.message = message
        super().__init__(f"{self.file}: {where + ': ' if where else ''}{message}")


@dataclass(frozen=True)
class ImportedResult:
    """One assessed target: when the source assessed it, and what it found."""

    taken: str  # ISO 8601 UTC, the source's assessment time
    result: facts.TargetResult
    file: Path


def read_json(path: Path) -> Any:
    """The file's JSON; a missing, unreadable or truncated file is an ImportInputError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportInputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportInputError(path, f"cannot be read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportInputError(
            path,
            f"line {exc.lineno} column {exc.colno}: not valid JSON "
            f"({exc.msg}) — a truncated or damaged file: save it "
            "again from its source",
        ) from None


def taken_from_epoch(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_taken(text: str, file: Path, where: str) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` or an ImportInputError naming ``where``."""
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise ImportInputError(
            file, f"{text!r} is not a time (YYYY-MM-DDTHH:MM:SSZ)", where
        ) from None
    return text


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def match_target(
    target_list: TargetList, host: str, port: int, file: Path, where: str = ""
) -> Target:
    """The list's target for ``host:port`` (host name, or an IP given as its ``address``).

    An assessment of a server the list does not know is refused, with the ``[[target]]`` to
    add: importing it anyway would put a server in the history that no post can name.
    """
    wanted = host.lower().rstrip(".")
    found = [
        t
        for t in target_list.targets
        if t.port == port
        and (t.host.lower().rstrip(".") == wanted or (_is_ip(wanted) and t.address == wanted))
    ]
    if not found:
        key = "address" if _is_ip(wanted) else "host"
        raise ImportInputError(
            file,
            f"{host}:{port} is not a target of {target_list.path} — add it to the list "
            f'([[target]] {key} = "{wanted}", port = {port}) or import the file into '
            "the list it belongs to",
            where,
        )
    if len(found) > 1:
        names = ", ".join(f"{t.name!r} ({t.service})" for t in found)
        raise ImportInputError(
            file,
            f"{host}:{port} matches several targets of "
            f"{target_list.path}: {names}; cannot tell which",
            where,
        )
    return found[0]


# --- cipher suites by IANA name ----------------------------------------------------------


def _kex_of(name: str, anonymous: bool) -> str:
    if name.startswith("SSL_CK_"):
        return "RSA"
    if "_WITH_" not in name:
        return "TLS13"
    if anonymous:
        return "ANON"
    head = name.split("_WITH_", 1)[0].split("_", 1)[1]
    first = head.split("_", 1)[0]
    return first if first in ("ECDHE", "DHE", "RSA", "ECDH", "DH", "PSK", "SRP", "KRB5") else head


def suite_from_iana(
    name: str, *, bits: int, kex_bits: int | None = None, curve: str | None = None
) -> facts.CipherSuite:
    """A suite's facts from its IANA name (what both sources give) and its key sizes.

    The flags are read from the name the way the scanner reads sslyze's suites, so the same
    suite graded from an import or a scan counts alike.
    """
    anonymous = "_anon_" in name
    kex = _kex_of(name, anonymous)
    return facts.CipherSuite(
        name=name,
        bits=bits,
        kex=kex,
        kex_bits=kex_bits if kex in ("ECDHE", "DHE", "TLS13", "ANON") else None,
        curve=curve,
        forward_secrecy=kex in ("ECDHE", "DHE", "TLS13") and not anonymous,
        aead=kex == "TLS13" or any(m in name for m in ("_GCM", "_CCM", "CHACHA20_POLY1305")),
        rc4="_RC4_" in name,
        cbc="_CBC" in name,
        block_64=any(m in name for m in ("3DES", "_DES", "IDEA", "RC2")),
        export="EXPORT" in name,
        anonymous=anonymous,
        null="_NULL_" in name or name.endswith("_NULL") or bits == 0,
    )


# --- certificates from PEM (both sources can carry the leaf's PEM) -----------------------


def certificate_from_pem(pem: str) -> facts.Certificate | None:
    """The exact facts of one PEM certificate (None when it does not parse).

    SSL Labs' ``raw`` and testssl.sh's ``cert`` carry the PEM; reading it gives what neither
    summary field says (the RSA exponent, every SAN), exactly as a scan would.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    text = pem.strip()
    if "\n" not in text:  # testssl.sh puts the PEM on one line, spaces for newlines
        body = (
            text.replace("-----BEGIN CERTIFICATE-----", "")
            .replace("-----END CERTIFICATE-----", "")
            .split()
        )
        text = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body) + "\n-----END CERTIFICATE-----\n"
    try:
        cert = x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        return None
    key = cert.public_key()
    key_type, bits, exponent, curve = "", 0, None, None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, bits, exponent = "RSA", key.key_size, key.public_numbers().e
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, bits, curve = "EC", key.key_size, key.curve.name
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, bits = "DSA", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, bits = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, bits = "Ed448", 456
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = tuple(str(v) for v in san.get_values_for_type(x509.DNSName)) + tuple(
            str(v) for v in san.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        sans = ()
    algorithm = cert.signature_hash_algorithm
    return facts.Certificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        sans=sans,
        signature_hash=algorithm.name.lower() if algorithm else None,
        key_type=key_type,
        key_bits=bits,
        rsa_exponent=exponent,
        curve=curve,
        not_before=cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        not_after=cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        serial=str(cert.serial_number),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def signature_hash(sig_alg: str | None) -> str | None:
    """ "SHA256withRSA" (SSL Labs), "SHA256 with RSA" (testssl.sh) -> "sha256"."""
    if not sig_alg:
        return None
    text = sig_alg.lower().replace("-", "")
    for name in ("sha512", "sha384", "sha256", "sha224", "sha1", "md5", "md2"):
        if name in text:
            return name
    return None


def highest_version(protocols: dict[str, tuple[facts.CipherSuite, ...]]) -> str | None:
    offered = [p for p in facts.PROTOCOLS if protocols.get(p)]
    return offered[-1] if offered else None


# --- snapshots ---------------------------------------------------------------------------


def build_snapshots(
    target_list: TargetList,
    imported: Sequence[ImportedResult],
    *,
    tool: str,
    taken: str | None = None,
) -> list[facts.Snapshot]:
    """One ``imported`` snapshot per assessment time, oldest first.

    Every target of the list is in each snapshot: the ones assessed at that time with their
    facts, the others as "not in this import" (grade not recorded), so a change list carries
    their last known grade forward rather than calling them removed. ``taken`` puts every
    result into one snapshot at that time instead (a batch of files assessed minutes apart
    is one run of the list); each result keeps its source's time in ``Imported.assessed``.
    """
    by_time: dict[str, dict[str, ImportedResult]] = {}
    for item in imported:
        slot = by_time.setdefault(taken or item.taken, {})
        key = item.result.target.key
        if key in slot:
            raise ImportInputError(
                item.file,
                f"{item.result.target.name!r} was assessed at "
                f"{taken or item.taken} in {slot[key].file} "
                "too; import one of them",
            )
        slot[key] = item
    snapshots = []
    for taken in sorted(by_time):
        slot = by_time[taken]
        results = []
        for target in target_list.targets:
            found = slot.get(target.key)
            if found is not None:
                results.append(found.result)
            else:
                results.append(
                    facts.TargetResult(
                        target=target.ref(),
                        state=facts.STATE_OK,
                        recorded=facts.Recorded(grade=None, source=NOT_IN_IMPORT),
                    )
                )
        files = sorted({item.file.name for item in slot.values()})
        versions = {"schema": str(facts.SCHEMA_VERSION), "source": tool}
        first = next(iter(slot.values())).result.imported
        if first is not None:
            versions["source_version"] = first.tool_version
            if first.rating_version:
                versions["source_rating"] = first.rating_version
        snapshots.append(
            facts.Snapshot(
                list_slug=target_list.slug,
                title=target_list.title,
                taken=taken,
                kind=KIND,
                results=tuple(results),
                versions=versions,
                note=f"imported from {tool}: {', '.join(files)}",
            )
        )
    return snapshots


def write_snapshots(history_root: Path, snapshots: Iterable[facts.Snapshot]) -> list[Path]:
    """Write every snapshot, refusing first (nothing written) when one's file exists."""
    history = History(history_root)
    snapshots = list(snapshots)
    for snapshot in snapshots:
        path = history.path_for(snapshot)
        if path.exists():
            raise ImportInputError(
                path,
                f"a snapshot taken at {snapshot.taken} already "
                f"exists ({snapshot_stem(snapshot.taken)}.json): this "
                "assessment was imported before; nothing was written",
            )
    # A write that still fails (disk full, a run writing the list) raises SnapshotError.
    return [history.write(snapshot) for snapshot in snapshots]
