"""The lab's own certificate authority: a root, an intermediate, and one leaf per profile.

Every Lab instance makes its own PKI so that tests never depend on files that expire. Keys
are generated once per start (root, intermediate, one leaf key shared by every leaf): RSA key
generation is the slow part, and sharing a leaf key changes nothing a scanner can see.

Leaves are built by hand rather than with trustme because cryptography's strict verifier
(which sslyze uses for the "Supplied CA file" store) rejects a critical SAN next to a
non-empty subject. cryptography refuses to sign with SHA-1, so the sha1-chain profile's
intermediate and leaf are signed by the ``openssl`` command line tool instead.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from .profiles import HOSTILE_ATTRIBUTE, HOSTILE_SCRIPT, WRONG_NAME

KEY_BITS = 2048
LEAF_DAYS = 365
LONG_CHAIN = 100  # certificates the long-chain profile sends, leaf included


class PkiError(RuntimeError):
    """Certificates could not be made (the message names the file or the command)."""


@dataclass(frozen=True)
class ServerCredentials:
    """What a server process loads: its chain (leaf first) and the leaf's private key."""

    chain_file: Path
    key_file: Path


LAB_ORGANIZATION = "tlsreport lab"


def _name(common_name: str, organization: str = LAB_ORGANIZATION) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    # Traditional (PKCS#1) PEM: both OpenSSL and tlslite-ng's parser read it.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def ca_certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    now: dt.datetime,
    path_length: int | None,
    organization: str = LAB_ORGANIZATION,
) -> x509.Certificate:
    """A CA certificate valid ten years around ``now``: a root when ``issuer`` is None.

    Also the mail lab's root (lab/mail.py), under its own organization name.
    """
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject, organization))
        .issuer_name(issuer.subject if issuer else _name(subject, organization))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_cert(
    host: str,
    key: rsa.RSAPrivateKey,
    issuer_name: x509.Name,
    issuer_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    self_signed: bool = False,
    aia_url: str | None = None,
) -> x509.Certificate:
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(_name(host) if self_signed else issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                public if self_signed else issuer_key.public_key()
            ),
            critical=False,
        )
    )
    if aia_url is not None:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(aia_url),
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(key if self_signed else issuer_key, hashes.SHA256())


def _openssl_sha1_sign(
    csr_key: rsa.RSAPrivateKey,
    subject: str,
    issuer_pem: Path,
    issuer_key: Path,
    extensions: str,
    out: Path,
    days: int,
) -> None:
    """Sign a certificate for ``csr_key`` with SHA-1 using the openssl CLI (I/O edge)."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(subject))
        .sign(csr_key, hashes.SHA256())
    )
    csr_file = out.with_suffix(".csr")
    ext_file = out.with_suffix(".ext")
    csr_file.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    ext_file.write_text("[v3]\n" + extensions)
    command = [
        "openssl",
        "x509",
        "-req",
        "-sha1",
        "-in",
        str(csr_file),
        "-CA",
        str(issuer_pem),
        "-CAkey",
        str(issuer_key),
        "-set_serial",
        str(x509.random_serial_number()),
        "-days",
        str(days),
        "-extfile",
        str(ext_file),
        "-extensions",
        "v3",
        "-out",
        str(out),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except FileNotFoundError as exc:
        raise PkiError(
            "the `openssl` command line tool is needed for the sha1-chain "
            "certificates (Debian: apt-get install openssl)"
        ) from exc
    if done.returncode != 0:
        raise PkiError(f"{out}: openssl x509 -req -sha1 failed: {done.stderr.strip()}")


def _hostile_chain(host: str, leaf_key: rsa.RSAPrivateKey, now: dt.datetime) -> bytes:
    """Leaf + CA whose subject, issuer and SAN names are markup (the hostile-names profile).

    cryptography writes any text into CN/O and dNSName (it checks neither), so no openssl
    detour is needed. The CA is its own root and is not in the lab's trust store: the point is
    what the names do to a report, not the grade.
    """
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, HOSTILE_ATTRIBUTE),
            x509.NameAttribute(NameOID.COMMON_NAME, "<script>alert('issuer')</script>"),
        ]
    )
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, HOSTILE_ATTRIBUTE),
            x509.NameAttribute(NameOID.COMMON_NAME, HOSTILE_SCRIPT),
        ]
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(host),
                    x509.DNSName(f"{HOSTILE_SCRIPT}.lab.test"),
                    x509.DNSName(HOSTILE_ATTRIBUTE),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return _cert_pem(leaf) + _cert_pem(ca)


def _long_chain(host: str, leaf_key: rsa.RSAPrivateKey, now: dt.datetime) -> bytes:
    """Leaf + 99 CAs, each issued by the next (the long-chain profile), leaf first.

    One EC key signs every link: 99 RSA keys would take seconds, and the scanner cannot tell.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    names = [_name(f"tlsreport Lab Chain CA {i}") for i in range(1, LONG_CHAIN)]
    certs: list[x509.Certificate] = []
    for i, name in enumerate(names):
        issuer = names[i + 1] if i + 1 < len(names) else name
        certs.append(
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
    leaf = _leaf_cert(
        host,
        leaf_key,
        names[0],
        key,
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=LEAF_DAYS),
    )
    return b"".join(_cert_pem(c) for c in (leaf, *certs))


@dataclass(frozen=True)
class LabPki:
    """The files one lab start produced."""

    ca_file: Path
    credentials: dict[str, ServerCredentials]  # certificate kind or profile -> files


INTERMEDIATE_DER = "intermediate.der"  # what the lab's AIA server serves


def make_pki(
    directory: Path,
    leaves: dict[str, tuple[str, str]],
    now: dt.datetime,
    *,
    aia_url: str | None = None,
) -> LabPki:
    """Write the root, intermediate and one chain per entry of ``leaves``.

    ``leaves`` maps a profile name to (host name, certificate kind); the kinds are those of
    ``Profile.certificate``. ``now`` is passed in so callers decide what "valid now" means.
    """
    directory.mkdir(parents=True, exist_ok=True)
    root_key, inter_key, leaf_key = _new_key(), _new_key(), _new_key()
    root = ca_certificate("tlsreport Lab Root CA", root_key, None, root_key, now, path_length=1)
    inter = ca_certificate(
        "tlsreport Lab Intermediate CA", inter_key, root, root_key, now, path_length=0
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(_cert_pem(root))
    root_key_file = directory / "root.key"
    root_key_file.write_bytes(_key_pem(root_key))
    inter_key_file = directory / "intermediate.key"
    inter_key_file.write_bytes(_key_pem(inter_key))
    leaf_key_file = directory / "leaf.key"
    leaf_key_file.write_bytes(_key_pem(leaf_key))
    inter_pem = _cert_pem(inter)
    (directory / INTERMEDIATE_DER).write_bytes(inter.public_bytes(serialization.Encoding.DER))

    valid_from = now - dt.timedelta(days=1)
    valid_to = now + dt.timedelta(days=LEAF_DAYS)
    sha1_inter: Path | None = None
    credentials: dict[str, ServerCredentials] = {}
    for profile, (host, kind) in leaves.items():
        chain_file = directory / f"{profile}.chain.pem"
        if kind == "chain":
            leaf = _leaf_cert(host, leaf_key, inter.subject, inter_key, valid_from, valid_to)
            chain_file.write_bytes(_cert_pem(leaf) + inter_pem)
        elif kind == "expired":
            leaf = _leaf_cert(
                host,
                leaf_key,
                inter.subject,
                inter_key,
                now - dt.timedelta(days=400),
                now - dt.timedelta(days=30),
            )
            chain_file.write_bytes(_cert_pem(leaf) + inter_pem)
        elif kind == "wrong-name":
            leaf = _leaf_cert(WRONG_NAME, leaf_key, inter.subject, inter_key, valid_from, valid_to)
            chain_file.write_bytes(_cert_pem(leaf) + inter_pem)
        elif kind == "self-signed":
            leaf = _leaf_cert(
                host, leaf_key, _name(host), leaf_key, valid_from, valid_to, self_signed=True
            )
            chain_file.write_bytes(_cert_pem(leaf))
        elif kind == "sha1-chain":
            if sha1_inter is None:
                sha1_inter = directory / "intermediate-sha1.pem"
                _openssl_sha1_sign(
                    inter_key,
                    "tlsreport Lab SHA-1 Intermediate CA",
                    ca_file,
                    root_key_file,
                    "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                    "keyUsage=critical,digitalSignature,keyCertSign,cRLSign\n"
                    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
                    sha1_inter,
                    days=3650,
                )
            leaf_file = directory / f"{profile}.leaf.pem"
            _openssl_sha1_sign(
                leaf_key,
                host,
                sha1_inter,
                inter_key_file,
                f"subjectAltName=DNS:{host}\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
                leaf_file,
                days=LEAF_DAYS,
            )
            chain_file.write_bytes(leaf_file.read_bytes() + sha1_inter.read_bytes())
        elif kind == "incomplete-chain":
            # The leaf only, its AIA naming where the intermediate is (the lab's AIA server).
            if aia_url is None:
                raise PkiError(f"{profile}: an incomplete chain needs the AIA server's URL")
            leaf = _leaf_cert(
                host, leaf_key, inter.subject, inter_key, valid_from, valid_to, aia_url=aia_url
            )
            chain_file.write_bytes(_cert_pem(leaf))
        elif kind == "hostile-names":
            chain_file.write_bytes(_hostile_chain(host, leaf_key, now))
        elif kind == "long-chain":
            chain_file.write_bytes(_long_chain(host, leaf_key, now))
        else:
            raise PkiError(f"{profile}: unknown certificate kind {kind!r}")
        credentials[profile] = ServerCredentials(chain_file, leaf_key_file)
    return LabPki(ca_file, credentials)


def write_dh_params(directory: Path) -> None:
    """Write the two finite-field groups the lab uses as PKCS#3 PEM (what OpenSSL loads).

    dh1024.pem is RFC 2409's second Oakley group (weak-dh); ffdhe2048.pem is RFC 7919's
    ffdhe2048 (anon, so that its DH size is not a second weakness). The numbers come from
    tlslite-ng's table of the published groups rather than being typed in again here.
    """
    import warnings

    from cryptography.hazmat.primitives.asymmetric import dh

    with warnings.catch_warnings():  # tlslite's package import touches asyncore
        warnings.simplefilter("ignore", DeprecationWarning)
        from tlslite.mathtls import FFDHE2048, RFC2409_GROUP2

    for name, (generator, prime) in (("dh1024.pem", RFC2409_GROUP2), ("ffdhe2048.pem", FFDHE2048)):
        params = dh.DHParameterNumbers(prime, generator).parameters()
        (directory / name).write_bytes(
            params.parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)
        )
