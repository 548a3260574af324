"""Mail policy against real Postfix and Courier, and mail-domain DNS against a real DNS server.

Everything here runs on loopback: the mail lab (Postfix on 127.0.0.2/4, Courier on
127.0.0.3/5, client 127.0.0.1), a dnslib DNS server on 127.0.0.1, and an HTTPS server for the
MTA-STS policy on its own 127.0.0.x address at port 443 (as senders fetch it). The mail lab
is started once for this module; it is slow (two Postfix instances) so the quick lab
fixture does not start it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tlsreport import facts
from tlsreport.grading import grade_result
from tlsreport.history import History
from tlsreport.lab.mail import MAIL_DOMAIN, MAIL_HOST, MailLab
from tlsreport.lab.maildomain import dns_server as dns_server_of
from tlsreport.lab.maildomain import lab_zone, policy_server
from tlsreport.maildns import check_mail_domain, domain_findings
from tlsreport.mailgrade import MAIL_TOP_NOTE
from tlsreport.mailpolicy import certificate_hashes, policy_findings, probe_mail_policy

pytestmark = pytest.mark.lab


def _policy_address() -> str:
    """One 127.0.0.x per xdist worker: each worker's policy server binds port 443."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(worker[2:]) if worker[2:].isdigit() else 0
    return f"127.0.0.{16 + number}"


@pytest.fixture(scope="module")
def mail_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailLab]:
    with MailLab(tmp_path_factory.mktemp("mail-lab")) as lab:
        yield lab


@pytest.fixture(scope="module")
def served(mail_lab: MailLab) -> tuple[str, str]:
    """(certificate SHA-256, SPKI SHA-256) of the lab's leaf, from its own file."""
    assert mail_lab.certificate is not None
    return certificate_hashes(mail_lab.certificate.leaf_der)


@pytest.fixture(scope="module")
def dns_server(mail_lab: MailLab, served: tuple[str, str]) -> Iterator[str]:
    """A real DNS server (dnslib) on 127.0.0.1 with two zones: lab.test whose TLSA matches
    the lab's certificate (and whose MTA-STS policy is served over HTTPS), and bad.test whose
    TLSA does not match."""
    assert mail_lab.certificate is not None
    address = _policy_address()
    zone = lab_zone(address, served[1]) + (
        "bad.test. 300 IN MX 10 mail.bad.test.\n"
        f"_25._tcp.mail.bad.test. 300 IN TLSA 3 1 1 {'00' * 32}\n"
    )
    with policy_server(address, mail_lab.certificate), dns_server_of(zone) as where:
        yield where


def _probe(lab: MailLab, profile: str, service: str) -> facts.MailPolicy:
    t = lab.target(profile, service)
    return probe_mail_policy(service, t.host, t.address, t.port, timeout=15)


# --- policy before TLS -------------------------------------------------------------------------


def test_careful_postfix(mail_lab: MailLab, served: tuple[str, str]) -> None:
    mx = _probe(mail_lab, "careful", "smtp")
    assert (mx.starttls_offered, mx.auth_before_tls, mx.error) == (True, (), None)
    assert (mx.tls_leaf_sha256, mx.tls_spki_sha256) == served
    submission = _probe(mail_lab, "careful", "submission")
    assert submission.starttls_offered and submission.auth_before_tls == ()
    assert submission.mail_before_tls is False  # TLS required: detected
    assert submission.mail_reply.startswith("530")
    assert [f.id for f in policy_findings(submission, "submission")] == [
        "starttls",
        "no-auth-before-tls",
        "submission-tls-required",
    ]
    smtps = _probe(mail_lab, "careful", "smtps")
    assert smtps.implicit_tls and smtps.tls_spki_sha256 == served[1]


def test_careful_courier(mail_lab: MailLab) -> None:
    imap = _probe(mail_lab, "careful", "imap")
    assert (imap.starttls_offered, imap.login_disabled, imap.auth_before_tls) == (True, True, ())
    pop3 = _probe(mail_lab, "careful", "pop3")
    # Courier lists USER in CAPA, but refuses it before STLS: the USER probe tells.
    assert "USER" in pop3.capabilities
    assert pop3.auth_before_tls == ()
    assert "TLS required" in pop3.mail_reply
    for service in ("imaps", "pop3s"):
        assert [
            f.level for f in policy_findings(_probe(mail_lab, "careful", service), service)
        ] == ["good"]


def test_sloppy_servers(mail_lab: MailLab) -> None:
    submission = _probe(mail_lab, "sloppy", "submission")
    assert {"PLAIN", "LOGIN"} <= set(submission.auth_before_tls or ())
    assert submission.mail_before_tls is True and submission.mail_reply.startswith("250")
    ids = [f.id for f in policy_findings(submission, "submission")]
    assert ids[:2] == ["auth-before-tls", "submission-tls-optional"]
    imap = _probe(mail_lab, "sloppy", "imap")
    assert imap.login_disabled is False
    assert set(imap.auth_before_tls or ()) == {"LOGIN", "PLAIN"}
    pop3 = _probe(mail_lab, "sloppy", "pop3")
    assert {"USER", "PLAIN"} <= set(pop3.auth_before_tls or ())
    assert pop3.mail_reply.startswith("+OK")
    for policy, service in ((imap, "imap"), (pop3, "pop3")):
        assert policy_findings(policy, service)[0].id == "auth-before-tls"


# --- the mail domain's DNS ----------------------------------------------------------------------


def test_mta_sts_tlsrpt_and_matching_tlsa(
    mail_lab: MailLab, served: tuple[str, str], dns_server: str
) -> None:
    found = check_mail_domain(
        MAIL_DOMAIN,
        mx_host=MAIL_HOST,
        leaf_sha256=served[0],
        spki_sha256=served[1],
        nameserver=dns_server,
        ca_file=mail_lab.ca_file,
        timeout=5,
    )
    assert found.errors == {} and found.mta_sts_error is None
    assert found.mx == (MAIL_HOST,)
    assert (found.mta_sts_mode, found.mta_sts_mx, found.mta_sts_max_age) == (
        "enforce",
        (MAIL_HOST,),
        604800,
    )
    assert found.tls_rpt is not None and found.tls_rpt.startswith("v=TLSRPTv1")
    assert found.tlsa_name == f"_25._tcp.{MAIL_HOST}" and found.tlsa_match is True
    assert found.dnssec_validated is False
    ids = [f.id for f in domain_findings(found)]
    assert set(ids) == {"mta-sts", "tls-rpt", "dane-match"}


def test_mismatching_tlsa_and_no_policy(served: tuple[str, str], dns_server: str) -> None:
    found = check_mail_domain(
        "bad.test",
        mx_host="mail.bad.test",
        leaf_sha256=served[0],
        spki_sha256=served[1],
        nameserver=dns_server,
        timeout=5,
    )
    assert found.tlsa_match is False and found.mta_sts_txt is None and found.tls_rpt is None
    ids = [f.id for f in domain_findings(found)]
    assert ids[0] == "dane-mismatch"
    assert {"no-mta-sts", "no-tls-rpt"} <= set(ids)


def test_mta_sts_policy_needs_a_trusted_certificate(
    served: tuple[str, str], dns_server: str
) -> None:
    # Without the lab's CA the policy server's certificate is not trusted: the policy is
    # unusable (RFC 8461 §3.3), and the report says why instead of claiming "enforce".
    found = check_mail_domain(
        MAIL_DOMAIN, mx_host=MAIL_HOST, nameserver=dns_server, ca_file=None, timeout=5
    )
    assert found.mta_sts_txt is not None and found.mta_sts_mode is None
    assert "CERTIFICATE_VERIFY_FAILED" in (found.mta_sts_error or "")
    assert domain_findings(found)[0].id == "mta-sts-broken"
    assert found.tlsa_match is None  # no certificate hashes given: not compared


# --- the whole scan ------------------------------------------------------------------------------


def test_scan_of_the_mail_lab(mail_lab: MailLab, dns_server: str, tmp_path: Path) -> None:
    from tlsreport.scan import scan_list
    from tlsreport.targets import load_target_list

    path = mail_lab.write_targets_toml(
        tmp_path / "mail.toml",
        title="Mail lab",
        slug="mail",
        extra=f'mail_domain = "{MAIL_DOMAIN}"\ndns_server = "{dns_server}"',
    )
    target_list = load_target_list(path)
    assert (target_list.mail_domain, target_list.dns_server) == (MAIL_DOMAIN, dns_server)
    snapshot, _ = scan_list(
        target_list,
        network_timeout=5.0,
        target_timeout=120.0,
        overall_timeout=300.0,
        now=lambda: datetime(2026, 12, 5, 9, 0, tzinfo=UTC),
    )
    by_name = {r.target.name: r for r in snapshot.results}
    assert all(r.state == facts.STATE_OK for r in snapshot.results), [
        (r.target.name, r.reason) for r in snapshot.results if r.state != facts.STATE_OK
    ]
    for result in snapshot.results:
        assert result.facts is not None and result.facts.mail is not None
        assert result.facts.mail.error is None, result.target.name
    mx = by_name["Mail careful smtp"].facts
    assert mx is not None and mx.mail_domain is not None and mx.mail_domain.tlsa_match is True
    assert by_name["Mail careful submission"].facts.mail.mail_before_tls is False
    assert by_name["Mail sloppy submission"].facts.mail.mail_before_tls is True

    on = date(2026, 12, 5)
    for name in ("Mail careful smtp", "Mail careful submission", "Mail careful imaps"):
        grade = grade_result(by_name[name], on)
        assert grade is not None and grade.letter == "A", (name, grade)
        assert "HSTS" not in grade.not_tested and MAIL_TOP_NOTE in grade.note
    sloppy = grade_result(by_name["Mail sloppy submission"], on)
    assert sloppy is not None and sloppy.letter == "F"  # anonymous suites: from the ciphers
    assert "HSTS" not in sloppy.not_tested and MAIL_TOP_NOTE not in sloppy.note

    # Schema 2 survives history: written, read back, equal.
    history = History(tmp_path / "history")
    history.write(snapshot)
    assert history.latest("mail") == snapshot
    assert snapshot.schema == 2


def test_stop_leaves_nothing_running(tmp_path: Path) -> None:
    lab = MailLab(tmp_path, ["sloppy"])
    lab.start()
    try:
        pids = lab.pids()
        state = lab.state
        assert len(pids) == 3  # two couriertcpd, one Postfix master
        assert state is not None and state.is_dir()
    finally:
        lab.stop()
    assert all(
        not Path(f"/proc/{pid}").exists()
        or Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
        for pid in pids
    )
    assert not state.exists()
