"""Python ``ssl`` server contexts, one recipe per profile served by the system OpenSSL 3.

Every recipe starts from ``modern`` and changes one thing, so the scan of a profile differs
from modern by that thing only. Where OpenSSL forces a second change it is named here and in
the profile's ``weakness`` (TLS 1.0 has no AEAD suites; RSA key exchange does not exist in
TLS 1.3). ``@SECLEVEL`` is lowered only where OpenSSL refuses the weakness otherwise.
"""

from __future__ import annotations

import ssl
from pathlib import Path

MODERN_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
# OpenSSL has no named constant for SSL_OP_ALLOW_CLIENT_RENEGOTIATION.
OP_ALLOW_CLIENT_RENEGOTIATION = 0x100


def server_context(profile: str, chain: Path, key: Path, dh_dir: Path) -> ssl.SSLContext:
    """The server context for ``profile`` (a pyssl or mail profile)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ciphers = MODERN_CIPHERS
    dh_file: Path | None = None
    if profile == "tls10-only":
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
        # TLS 1.0 needs SHA-1 signatures, refused above level 0; it has no AEAD suites.
        ciphers = "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0"
    elif profile == "sha1-chain":
        # OpenSSL refuses to even load a SHA-1-signed certificate above level 0.
        ciphers = MODERN_CIPHERS + ":@SECLEVEL=0"
    elif profile == "weak-dh":
        ciphers = MODERN_CIPHERS + ":DHE+AESGCM:DHE+CHACHA20:@SECLEVEL=1"
        dh_file = dh_dir / "dh1024.pem"
    elif profile == "no-fs":
        # Every TLS 1.3 suite is forward secret, so no-FS means no TLS 1.3 either.
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ciphers = "AES128-GCM-SHA256:AES256-GCM-SHA384"
    elif profile in ("client-reneg", "one-at-a-time"):
        # one-at-a-time: like the single-threaded ``s_server -www`` whose grade flickered
        ctx.options |= OP_ALLOW_CLIENT_RENEGOTIATION
    elif profile == "anon":
        # Anonymous suites exist only at level 0; a 2048-bit group keeps weak-dh out of it.
        ciphers = MODERN_CIPHERS + ":ADH-AES128-GCM-SHA256:ADH-AES256-GCM-SHA384:@SECLEVEL=0"
        dh_file = dh_dir / "ffdhe2048.pem"
    # The security level set with the ciphers decides which DH groups and certificates load.
    ctx.set_ciphers(ciphers)
    if dh_file is not None:
        ctx.load_dh_params(str(dh_file))
    ctx.load_cert_chain(str(chain), str(key))
    return ctx
