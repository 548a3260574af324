"""Incomplete chains: complete a chain the server sent without its intermediate, as SSL Labs
does, through the leaf's AIA caIssuers URL.

Why: sslyze does not fetch AIA intermediates, so a server that sends its leaf only looks
untrusted (T), while SSL Labs completes the chain and caps the grade at B from 8 Dec 2014
("This server's certificate chain is incomplete. Grade capped to B."). Missing intermediates
are among the most common real misconfigurations.

Shape: ``needs_completion`` (pure) says whether a server entry of sslyze's JSON is such a
case; ``ChainFetcher`` downloads each caIssuers URL once per run (HTTP only, bounded in time
and size; DER, PEM or PKCS#7); ``complete`` validates leaf + sent + fetched certificates
against the same trust stores sslyze used and returns a plain record that ``scan.run`` keeps
in the raw JSON (``tlsreport_chain``). The normaliser reads that record, so re-normalising a
kept raw file, and grading, never go to the network.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID

from ..version import __version__
from .normalise import CHAIN_RECORD

AIA_TIMEOUT = 5.0  # seconds for one caIssuers download (connect + read)
AIA_MAX_BYTES = 64 * 1024  # an intermediate is ~2 kB; a bundle of a few stays far below
RECORD_KEY = CHAIN_RECORD  # where the record sits in a server's raw sslyze JSON


def _load(pem: str) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        return None


def ca_issuers_urls(cert: x509.Certificate) -> list[str]:
    """The leaf's AIA caIssuers URLs, http only (RFC 5280 §4.2.2.1: they are served by HTTP)."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    urls = []
    for desc in aia:
        if desc.access_method == AuthorityInformationAccessOID.CA_ISSUERS and isinstance(
            desc.access_location, x509.UniformResourceIdentifier
        ):
            url = desc.access_location.value
            if url.lower().startswith("http://"):
                urls.append(url)
    return urls


def parse_certificates(body: bytes) -> list[x509.Certificate]:
    """DER, PEM (one or more) or PKCS#7 (DER or PEM) → certificates; ValueError if none."""
    for load in (
        lambda b: [x509.load_der_x509_certificate(b)],
        x509.load_pem_x509_certificates,
        pkcs7.load_der_pkcs7_certificates,
        pkcs7.load_pem_pkcs7_certificates,
    ):
        try:
            certs = list(load(body))
        except ValueError:
            continue
        if certs:
            return certs
    raise ValueError("not a certificate (DER, PEM or PKCS#7)")


class ChainFetcher:
    """Downloads caIssuers URLs, each once per run (many targets share one intermediate).

    Thread-safe: the run's workers share one fetcher. ``enabled=False`` (the target list's
    ``aia_fetch = false``) fetches nothing and says so.
    """

    def __init__(
        self, *, enabled: bool = True, timeout: float = AIA_TIMEOUT, max_bytes: int = AIA_MAX_BYTES
    ) -> None:
        self.enabled = enabled
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._cache: dict[str, tuple[tuple[str, ...], str | None]] = {}
        self._lock = threading.Lock()
        self.fetches = 0  # downloads really made (for tests: once per URL)

    def fetch(self, url: str) -> tuple[tuple[str, ...], str | None]:
        """(PEM certificates, None) or ((), why not)."""
        if not self.enabled:
            return (), "AIA fetching is turned off for this list (aia_fetch = false)"
        with self._lock:
            if url not in self._cache:
                self.fetches += 1
                self._cache[url] = self._download(url)
            return self._cache[url]

    def _download(self, url: str) -> tuple[tuple[str, ...], str | None]:
        request = urllib.request.Request(url, headers={"User-Agent": f"tlsreport/{__version__}"})
        # No proxies: a scan reaches the server's own URL or nothing.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                body = response.read(self.max_bytes + 1)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            return (), f"{url}: {type(exc).__name__}: {exc}"
        if len(body) > self.max_bytes:
            return (), f"{url}: larger than {self.max_bytes} bytes"
        try:
            certs = parse_certificates(body)
        except ValueError as exc:
            return (), f"{url}: {exc}"
        return tuple(c.public_bytes(Encoding.PEM).decode("ascii") for c in certs), None


def _deployment(server: dict[str, Any]) -> dict[str, Any] | None:
    attempt = (server.get("scan_result") or {}).get("certificate_info") or {}
    if attempt.get("status") != "COMPLETED":
        return None
    deps = (attempt.get("result") or {}).get("certificate_deployments") or []
    return deps[0] if deps else None


def _store_certs(path: str) -> list[x509.Certificate]:
    """A trust store's anchors (sslyze's bundled stores hold a few old certificates with a
    non-positive serial: cryptography warns and loads them; the warning says nothing here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError):
        return []


def needs_completion(server: dict[str, Any]) -> bool:
    """The leaf's issuer is neither sent by the server nor a trust anchor of any store, and no
    store trusts the chain as sent: the chain is incomplete (or its issuer unknown)."""
    dep = _deployment(server)
    if dep is None:
        return False
    results = dep.get("path_validation_results") or []
    if not results or any(r.get("was_validation_successful") for r in results):
        return False
    sent = [
        c
        for c in (_load(p.get("as_pem") or "") for p in dep.get("received_certificate_chain") or ())
        if c
    ]
    if not sent:
        return False
    leaf = sent[0]
    if leaf.issuer == leaf.subject:
        return False  # self-signed: nothing to fetch
    if any(c.subject == leaf.issuer for c in sent[1:]):
        return False
    for r in results:
        if any(c.subject == leaf.issuer for c in _store_certs(r["trust_store"]["path"])):
            return False
    return True


def _verify(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    store_path: str,
    hostname: str,
    at: datetime,
) -> str | None:
    """None when ``store_path``'s anchors validate the chain for ``hostname``, else why not."""
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    anchors = _store_certs(store_path)
    if not anchors:
        return f"trust store {store_path} could not be read"
    try:
        verifier = (
            PolicyBuilder()
            .store(Store(anchors))
            .time(at.replace(tzinfo=None))
            .build_server_verifier(x509.DNSName(hostname))
        )
        verifier.verify(leaf, intermediates)
    except (VerificationError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


def complete(server: dict[str, Any], fetcher: ChainFetcher, at: datetime) -> dict[str, Any]:
    """Fetch the missing issuer(s) and validate the completed chain; the record to keep.

    ``{"urls": [...], "fetched_pem": [...], "error": why nothing usable was fetched or None,
    "trust": [{"store", "trusted", "error"}, ...]}`` — plain JSON, kept in the raw file.
    """
    dep = _deployment(server) or {}
    sent = [
        c
        for c in (_load(p.get("as_pem") or "") for p in dep.get("received_certificate_chain") or ())
        if c
    ]
    record: dict[str, Any] = {"urls": [], "fetched_pem": [], "error": None, "trust": []}
    if not sent:
        record["error"] = "no certificate received"
        return record
    leaf = sent[0]
    urls = ca_issuers_urls(leaf)
    record["urls"] = urls
    if not urls:
        record["error"] = "the leaf certificate names no caIssuers URL (AIA)"
        return record
    errors: list[str] = []
    fetched: list[str] = []
    for url in urls:
        pems, error = fetcher.fetch(url)
        if error:
            errors.append(error)
        fetched.extend(p for p in pems if p not in fetched)
        if pems:
            break
    record["fetched_pem"] = fetched
    if not fetched:
        record["error"] = "; ".join(errors) or "nothing fetched"
        return record
    intermediates = [*sent[1:], *(c for c in map(_load, fetched) if c)]
    hostname = (
        (server.get("scan_result") or {}).get("certificate_info", {}).get("result") or {}
    ).get("hostname_used_for_server_name_indication") or ""
    for r in dep.get("path_validation_results") or ():
        store = r["trust_store"]
        why = _verify(leaf, intermediates, store["path"], hostname, at)
        record["trust"].append({"store": store["name"], "trusted": why is None, "error": why})
    return record
