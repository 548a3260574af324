"""Mail grades read right: HSTS does not apply to mail, so A is a mail server's best grade.

SSL Labs grades web servers; its A+ needs HSTS, an HTTP header no mail protocol has. Graded
as they are, every mail target would list "HSTS not tested" and "A+ not confirmed", implying
a check that was missed. ``for_mail`` rewrites that part of a grade for mail services: the
letter is untouched (the grader already stops at A without HSTS), "HSTS" leaves the
not-tested list, and the note says why A is the top. No published rule grades mail policy,
so the findings of ``tlsreport.mailpolicy`` never change the letter.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .grade import Grade

# Kept here rather than imported from mailpolicy: the grader stays pure and imports nothing
# that opens sockets (tests/unit/test_mail_units.py checks the two lists agree).
MAIL_SERVICES: tuple[str, ...] = ("smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s")
HSTS = "HSTS"  # the grader's name for the HSTS test in not_tested and notes
_UNCONFIRMED = "A+ not confirmed: "
_NOT_TESTED = " not tested"
# The target page's line for a mail target (its findings list), in the reader's words.
WHY_NOT_A_PLUS = (
    "A is a mail server's best grade: A+ needs HSTS, an HTTP header that no mail protocol has"
)
MAIL_TOP_NOTE = (
    "A is the best grade for a mail server: A+ needs HSTS, which applies to web "
    "sites only (HSTS not applicable to mail)"
)


def is_mail(service: str) -> bool:
    return service in MAIL_SERVICES


def for_mail(grade: Grade, service: str) -> Grade:
    """The grade as a mail target's page should read it (unchanged for https)."""
    if not is_mail(service):
        return grade
    note = grade.note
    extra = ""
    if note.startswith(_UNCONFIRMED) and note.endswith(_NOT_TESTED):
        left = [n for n in note[len(_UNCONFIRMED) : -len(_NOT_TESTED)].split(", ") if n != HSTS]
        note = f"{_UNCONFIRMED}{', '.join(left)}{_NOT_TESTED}" if left else ""
    if grade.grade_if_trusted == "A":
        extra = MAIL_TOP_NOTE
    note = "; ".join(n for n in (note, extra) if n)
    return dataclasses.replace(
        grade, not_tested=tuple(n for n in grade.not_tested if n != HSTS), note=note
    )
