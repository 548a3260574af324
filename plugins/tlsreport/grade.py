"""What a grade is: the letter, its scores, caps and reasons, as every room shows it.

Value objects only. The grader (``grading``) makes them; diffs, renderers, charts and pages
read them. Keeping the type apart from the code that computes it is what lets a renderer
show a grade without being able to make one (see ARCHITECTURE.md).
"""

from __future__ import annotations

from dataclasses import dataclass

GRADES: tuple[str, ...] = ("A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M")  # display order
_RANK = {g: i for i, g in enumerate(GRADES)}


def grade_rank(letter: str) -> int:
    """Position of ``letter`` in GRADES (0 = A+, best): for sorting and "better/worse"."""
    try:
        return _RANK[letter]
    except KeyError:
        expected = ", ".join(GRADES)
        raise ValueError(f"unknown grade {letter!r} (expected one of {expected})") from None


@dataclass(frozen=True)
class Reason:
    id: str  # stable finding id, e.g. "rc4"
    label: str  # the blog's words, e.g. "RC4 (insecure)"
    severity: str  # effect under the rule set used: cap letter, "T", "M", "warning", "no-A+"


@dataclass(frozen=True)
class Cap:
    grade: str  # the cap letter ("B", "F", …) or "T"/"M"
    rule: str  # finding id
    reason: str  # blog label
    since: str  # ISO date the rule took effect


@dataclass(frozen=True)
class Scores:
    protocol: int
    key_exchange: int
    cipher: int
    total: int


@dataclass(frozen=True)
class Grade:
    letter: str  # one of GRADES
    grade_if_trusted: str  # what it would be if the certificate were trusted
    scores: Scores | None  # None for recorded grades
    caps: tuple[Cap, ...]
    warnings: tuple[Reason, ...]
    reasons: tuple[Reason, ...]  # ALL findings to show under the grade, worst first
    not_tested: tuple[str, ...]
    rules: str  # id of the rule set used
    determined: bool = True  # False: a recorded grade its recorded reasons cannot explain
    note: str = ""
    # A target with several addresses: each endpoint's own grade (this Grade is the worst's).
    endpoints: tuple[EndpointGrade, ...] = ()

    @property
    def endpoints_note(self) -> str:
        """When the endpoints differ, how: "1 of 2 addresses; the other A+". Else ""."""
        if len(self.endpoints) < 2:
            return ""
        same = [e for e in self.endpoints if e.letter == self.letter]
        others = [e for e in self.endpoints if e.letter != self.letter]
        if not others:
            return ""
        words = list(dict.fromkeys(e.letter or e.state for e in others))
        rest = "the other" if len(others) == 1 else "the others"
        return f"{len(same)} of {len(self.endpoints)} addresses; {rest} {', '.join(words)}"


@dataclass(frozen=True)
class EndpointGrade:
    """One address of a target: its own state and grade (None when it could not be scanned)."""

    address: str
    state: str
    reason: str | None
    grade: Grade | None

    @property
    def letter(self) -> str | None:
        return self.grade.letter if self.grade is not None else None
