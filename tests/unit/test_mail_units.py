"""Pure parts of the mail checks: parsers, findings, DANE matching, mail grades. No sockets."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from tlsreport.facts import Facts, MailDomain, MailPolicy, TlsaRecord
from tlsreport.maildns import (
    DnsServerError,
    domain_findings,
    mx_matches,
    parse_dns_server,
    parse_sts_policy,
    sts_record,
    tlsa_matches,
    tlsrpt_record,
)
from tlsreport.mailgrade import MAIL_TOP_NOTE, for_mail
from tlsreport.mailpolicy import (
    DialogueError,
    clean,
    parse_ehlo,
    parse_imap_capability,
    parse_pop3_capa,
    policy_findings,
    policy_summary,
    smtp_mail_refused,
)


def test_ehlo_auth_and_starttls():
    lines = [
        "250-mail.example.org",
        "250-PIPELINING",
        "250-STARTTLS",
        "250-AUTH PLAIN LOGIN",
        "250 AUTH=CRAM-MD5",
    ]
    keywords, starttls, mechs = parse_ehlo(lines)
    assert starttls
    assert mechs == ("PLAIN", "LOGIN", "CRAM-MD5")
    assert "mail.example.org" not in keywords


def test_ehlo_without_starttls_or_auth():
    assert parse_ehlo(["250-mx", "250 8BITMIME"]) == (("8BITMIME",), False, ())


def test_imap_capability_from_greeting_and_line():
    _caps, starttls, mechs, disabled = parse_imap_capability(
        "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready"
    )
    assert (starttls, mechs, disabled) == (True, (), True)
    _caps, starttls, mechs, disabled = parse_imap_capability("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
    assert (starttls, mechs, disabled) == (False, ("PLAIN",), False)


def test_imap_capability_rejects_other_lines():
    with pytest.raises(DialogueError, match="not a CAPABILITY line"):
        parse_imap_capability("* OK hello")


def test_pop3_capa():
    _caps, stls, logins = parse_pop3_capa(["STLS", "USER", "SASL PLAIN LOGIN", "TOP"])
    assert stls and logins == ("USER", "PLAIN", "LOGIN")


def test_mail_reply_codes():
    assert smtp_mail_refused(250) is True
    assert smtp_mail_refused(530) is False
    assert smtp_mail_refused(553) is None  # refused, but not said to be for want of TLS


def test_clean_keeps_printable_ascii_only_and_bounds_length():
    assert clean("a\x1b[31mb<script>\x00") == "a?[31mb<script>?"
    assert len(clean("x" * 1000)) == 200


def _ids(found):
    return [f.id for f in found]


def test_findings_careful_submission():
    policy = MailPolicy(
        protocol="smtp",
        starttls_offered=True,
        auth_before_tls=(),
        mail_before_tls=False,
        mail_reply="530 5.7.0 Must issue a STARTTLS",
    )
    found = policy_findings(policy, "submission")
    assert _ids(found) == ["starttls", "no-auth-before-tls", "submission-tls-required"]
    assert {f.level for f in found} == {"good"}
    assert policy_summary(policy, "submission") == "TLS required"


def test_findings_sloppy_submission_worst_first():
    policy = MailPolicy(
        protocol="smtp", starttls_offered=True, auth_before_tls=("PLAIN",), mail_before_tls=True
    )
    found = policy_findings(policy, "submission")
    assert _ids(found)[:2] == ["auth-before-tls", "submission-tls-optional"]
    assert "PLAIN" in found[0].text
    assert policy_summary(policy, "submission") == "login before TLS"


def test_findings_mx_without_starttls():
    found = policy_findings(
        MailPolicy(protocol="smtp", starttls_offered=False, auth_before_tls=()), "smtp"
    )
    assert _ids(found) == ["no-starttls"]


def test_findings_implicit_tls_and_unread():
    assert _ids(policy_findings(MailPolicy(protocol="imap", implicit_tls=True), "imaps")) == [
        "implicit-tls"
    ]
    unread = policy_findings(MailPolicy(protocol="pop3", error="timeout"), "pop3")
    assert unread[0].level == "warning" and "timeout" in unread[0].text
    assert policy_findings(None, "smtp") == ()


def test_sts_and_tlsrpt_records():
    assert sts_record(["v=spf1 -all", "v=STSv1; id=1"]) == "v=STSv1; id=1"
    assert sts_record(["v=STSv1; id=1", "v=STSv1; id=2"]) is None  # two: invalid (RFC 8461)
    assert tlsrpt_record(["v=TLSRPTv1; rua=mailto:r@example.org"]).startswith("v=TLSRPTv1")


def test_sts_policy_parsing():
    text = (
        "version: STSv1\nmode: enforce\nmx: mail.example.org\nmx: *.example.net\nmax_age: 86400\n"
    )
    assert parse_sts_policy(text) == ("enforce", ("mail.example.org", "*.example.net"), 86400)
    with pytest.raises(ValueError, match="mode"):
        parse_sts_policy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n")
    with pytest.raises(ValueError, match="version"):
        parse_sts_policy("mode: enforce\n")
    with pytest.raises(ValueError, match="line 2"):
        parse_sts_policy("version: STSv1\nnonsense\n")


def test_mx_patterns():
    assert mx_matches("*.example.org", "mx1.example.org")
    assert not mx_matches("*.example.org", "a.b.example.org")
    assert not mx_matches("*.example.org", "example.org")
    assert mx_matches("MAIL.example.org.", "mail.example.org")


def test_tlsa_matching():
    spki = "ab" * 32
    leaf = "cd" * 32
    assert tlsa_matches((TlsaRecord(3, 1, 1, spki),), leaf, spki) is True
    assert tlsa_matches((TlsaRecord(3, 0, 1, leaf.upper()),), leaf, spki) is True
    assert tlsa_matches((TlsaRecord(3, 1, 1, "00" * 32),), leaf, spki) is False
    assert tlsa_matches((TlsaRecord(2, 0, 1, leaf),), leaf, spki) is None  # DANE-TA: not ours
    assert tlsa_matches((), leaf, spki) is None
    assert tlsa_matches((TlsaRecord(3, 1, 1, spki),), "", "") is None


def test_dns_server_setting():
    assert parse_dns_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_dns_server("::1") == ("::1", 53)
    assert parse_dns_server("[::1]:5300") == ("::1", 5300)
    with pytest.raises(DnsServerError, match="not an IP address"):
        parse_dns_server("ns.example.org")
    with pytest.raises(DnsServerError, match="port"):
        parse_dns_server("127.0.0.1:99999")


def test_domain_findings_say_dnssec_was_not_validated():
    found = MailDomain(
        domain="example.org",
        mx=("mx.example.org",),
        mta_sts_txt="v=STSv1; id=1",
        mta_sts_mode="enforce",
        mta_sts_mx=("*.example.net",),
        mta_sts_max_age=86400,
        tlsa_name="_25._tcp.mx.example.org",
        tlsa=(TlsaRecord(3, 1, 1, "00"),),
        tlsa_match=False,
    )
    ids = _ids(domain_findings(found))
    assert ids[:2] == ["mta-sts-mx", "dane-mismatch"]  # bad ones first
    dane = next(f for f in domain_findings(found) if f.id == "dane-mismatch")
    assert "DNSSEC not validated" in dane.text
    assert "no-tls-rpt" in ids


def test_mail_grade_knows_the_mail_services():
    from tlsreport.mailgrade import MAIL_SERVICES
    from tlsreport.mailpolicy import PROTOCOL_OF
    from tlsreport.targets import SERVICES

    assert set(MAIL_SERVICES) == set(PROTOCOL_OF) == set(SERVICES) - {"https"}


def test_mail_grade_drops_hsts_and_says_a_is_the_top():
    from tlsreport.grading import grade_facts
    from tlsreport.scan import suite_facts

    suite = suite_facts(
        {
            "cipher_suite": {
                "name": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "openssl_name": "ECDHE-RSA-AES128-GCM-SHA256",
                "key_size": 128,
                "is_anonymous": False,
            },
            "ephemeral_key": {"type_name": "ECDH", "size": 256, "curve_name": "prime256v1"},
        }
    )
    facts = Facts(
        protocols={
            p: ((suite,) if p == "TLSv1.2" else ())
            for p in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
        },
        fallback_scsv=True,
    )
    web = grade_facts(facts, date(2026, 12, 1))
    mail = for_mail(web, "submission")
    assert "HSTS" in web.not_tested and "HSTS" not in mail.not_tested
    assert mail.letter == web.letter
    assert MAIL_TOP_NOTE not in mail.note  # not an A: nothing to explain
    assert for_mail(web, "https") is web
    # An A held back from A+ by HSTS and another untested check keeps the other one.
    top = dataclasses.replace(
        web,
        letter="A",
        grade_if_trusted="A",
        note="A+ not confirmed: HSTS, TLS_FALLBACK_SCSV not tested",
    )
    read = for_mail(top, "imap")
    assert read.letter == "A"
    assert read.note == f"A+ not confirmed: TLS_FALLBACK_SCSV not tested; {MAIL_TOP_NOTE}"
    only_hsts = for_mail(
        dataclasses.replace(top, note="A+ not confirmed: HSTS not tested"), "pop3s"
    )
    assert only_hsts.note == MAIL_TOP_NOTE
