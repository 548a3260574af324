"""The mail part of a scan: policy before TLS and the list's mail domain, added to facts.

Kept apart from ``scan.run`` (which only calls ``add_mail_facts``) so the sslyze side and the
mail side can change independently; both write into the same ``Facts``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..facts import Facts
from ..maildns import check_mail_domain
from ..mailpolicy import PROTOCOL_OF, probe_mail_policy
from ..targets import Target


def add_mail_facts(
    found: Facts,
    target: Target,
    ip: str,
    *,
    mail_domain: str | None = None,
    dns_server: str | None = None,
    ca_file: Path | None = None,
    timeout: float = 5.0,
) -> Facts:
    """``found`` with ``mail`` (mail targets) and ``mail_domain`` (the list's smtp targets).

    https targets come back unchanged. The domain check runs on smtp (MX) targets only: the
    TLSA records it compares are those of ``_25._tcp.<host>``.
    """
    if target.service not in PROTOCOL_OF:
        return found
    policy = probe_mail_policy(
        target.service, target.host, ip, target.port, timeout=max(timeout, 5.0)
    )
    domain = None
    if mail_domain and target.service == "smtp":
        domain = check_mail_domain(
            mail_domain,
            mx_host=target.host,
            leaf_sha256=policy.tls_leaf_sha256,
            spki_sha256=policy.tls_spki_sha256,
            nameserver=dns_server,
            ca_file=ca_file,
            timeout=timeout,
        )
    return dataclasses.replace(found, mail=policy, mail_domain=domain)
