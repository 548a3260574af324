"""Where an imported source's own grade and ours differ, and why when we know (pure).

An import keeps SSL Labs' (or testssl.sh's) grade beside the one tlsreport computes from the
same findings. They can differ for reasons worth telling a reader: a rule the source applies
differently (SSL Labs judges RC4, 3DES, Forward Secrecy and AEAD by what its reference
browsers negotiate; we judge what the server accepts), a check the source makes that we have
no finding for (revocation by CRL/OCSP, HPKP, distrusted CAs), an A+ condition the import
does not carry, or rules of another date (the source's criteria version vs ours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..facts import TargetResult
from ..grade import Grade
from ..rules import rule_set_id

# Findings SSL Labs judges from its client simulation, not from the suites accepted.
_NEGOTIATED = {
    "no-fs": "Forward Secrecy",
    "no-aead": "AEAD suites",
    "rc4-modern": "RC4 with modern browsers",
    "3des": "3DES",
}


@dataclass(frozen=True)
class Difference:
    """The source's grade where it differs from ours, with the cause when it is known."""

    source: str  # "SSL Labs"
    source_grade: str
    our_grade: str
    cause: str  # "" when not known

    def text(self) -> str:
        said = f"{self.source} said {self.source_grade}"
        return f"{said} ({self.cause})" if self.cause else said


def difference(result: TargetResult, grade: Grade | None) -> Difference | None:
    """None when the result is not imported, the source gave no grade, the grades agree, or
    ``grade`` is under other rules than those of the assessment's day (the source graded
    with those; comparing it with a regrade under another day's rules would mislead)."""
    imported = result.imported
    if imported is None or imported.source_grade is None or grade is None:
        return None
    try:
        own_rules = rule_set_id(date.fromisoformat(imported.assessed[:10]))
    except ValueError:
        return None
    if grade.rules != own_rules:
        return None
    theirs, ours = imported.source_grade, grade.letter
    if theirs == ours:
        return None
    causes: list[str] = []
    negotiated = [
        label for rid, label in _NEGOTIATED.items() if any(c.rule == rid for c in grade.caps)
    ]
    if negotiated:
        causes.append(
            f"{', '.join(negotiated)}: {imported.tool} judges what its reference "
            "browsers negotiate, we judge what the server accepts"
        )
    if theirs == "A+" and ours == "A" and grade.note.startswith("A+ not confirmed"):
        causes.append(
            grade.note.replace("A+ not confirmed", "A+ not confirmed here") + " in the import"
        )
    if theirs in ("T", "F") and ours not in ("T", "M", "F"):
        causes.append(
            f"{imported.tool} checks what we have no finding for (revocation by "
            "CRL/OCSP, distrusted CAs, HPKP)"
        )
    if imported.rating_version and not causes:
        causes.append(
            f"{imported.tool} applied its criteria {imported.rating_version}; we "
            f"apply the rules of {grade.rules}"
        )
    return Difference(
        source=imported.tool, source_grade=theirs, our_grade=ours, cause="; ".join(causes)
    )


def said(result: TargetResult, grade: Grade | None) -> list[str]:
    """``["SSL Labs said B (why)"]`` where an imported result's own grade differs from ours,
    else ``[]``: what tables, cards and each post's data add after the reasons."""
    differs = difference(result, grade)
    return [differs.text()] if differs is not None else []
