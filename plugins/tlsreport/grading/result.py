"""One target of a snapshot → its grade (scanned facts or recorded reasons), and the per-build
memo that grades each (result, rule set, day) once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ..facts import STATE_OK, TargetResult
from ..grade import EndpointGrade, Grade, grade_rank
from ..mailgrade import for_mail
from ..rules import rule_set_id, rules_of
from .recorded import facts_from_reasons
from .score import grade_facts


def grade_result(result: TargetResult, on: date, *, taken: date | None = None) -> Grade | None:
    """Grade one target of a snapshot under the rules in force on ``on``.

    None for a target that could not be scanned (unreachable is never a grade), and for a
    recorded target whose grade was not recorded — even if some reasons were: a letter made up
    from a partial list would be published as if someone had measured it.

    A recorded grade regraded under the rules of its own day (``taken``) keeps the recorded
    letter; ``determined`` says whether the reasons explain it and ``note`` says why not. Under
    another day's rules the letter is the one the recorded reasons give, ``determined`` says
    whether those reasons explained the recorded grade on its own day.
    """
    if result.endpoints:
        return _worst_endpoint(result, on)
    if result.state != STATE_OK:
        return None
    if result.facts is not None:  # a mail target reads HSTS as not applicable (issue 14)
        return for_mail(
            grade_facts(result.facts, on, hostname=result.target.host), result.target.service
        )
    rec = result.recorded
    if rec is None or rec.grade is None:
        return None
    grade_rank(rec.grade)  # a typo in hand-typed history fails loudly here
    facts, unknown = facts_from_reasons(rec.reasons, recorded_on=taken)
    derived = replace(grade_facts(facts, on), scores=None, note="")
    unknown_note = f"; labels not understood: {', '.join(unknown)}" if unknown else ""
    if taken is None:
        return replace(derived, note="regraded from the recorded reasons" + unknown_note)
    own = grade_facts(facts, taken) if rules_of(taken).id != derived.rules else derived
    explained = own.letter == rec.grade
    why = (
        ""
        if explained
        else (
            f"recorded {rec.grade}, but its recorded reasons alone give {own.letter}"
            " (the rest of the server was not recorded)"
        )
    )
    if rules_of(taken).id == derived.rules:
        trusted = derived.grade_if_trusted if rec.grade in ("T", "M") else rec.grade
        return replace(
            derived,
            letter=rec.grade,
            grade_if_trusted=trusted,
            determined=explained,
            note=why + unknown_note,
        )
    note = f"regraded from the reasons recorded on {taken.isoformat()}"
    if why:
        note += f"; {why}"
    return replace(derived, determined=explained, note=note + unknown_note)


def _worst_endpoint(result: TargetResult, on: date) -> Grade | None:
    """A target with several addresses: the worst reachable endpoint's grade, carrying every
    endpoint's own (SSL Labs grades each endpoint; a reader reaches any of them). An
    unreachable endpoint beside reachable ones keeps its own state; it is not the target's."""
    graded = tuple(
        EndpointGrade(
            e.address,
            e.state,
            e.reason,
            for_mail(grade_facts(e.facts, on, hostname=result.target.host), result.target.service)
            if e.state == STATE_OK and e.facts is not None
            else None,
        )
        for e in result.endpoints
    )
    reachable = [e.grade for e in graded if e.grade is not None]
    if not reachable:
        return None
    worst = max(reachable, key=lambda g: grade_rank(g.letter))
    return replace(worst, endpoints=graded)


class GradeMemo:
    """``grade_result`` remembered for one build, shared by everything that grades.

    A build grades the same result again and again: the history chart of every post, the
    target pages, the change lists (``diff``) and the post data all ask for the grade of each
    target-snapshot. Grading is pure, so one answer per question is enough; on a long list
    (1,000 targets x 100 snapshots) the repeats were half of the build's grading.

    The key is what the grade depends on: the result (by identity: results hold dicts, so
    they do not hash; the memo keeps a reference to each, so an id cannot be reused while its
    entry lives), the id of the rule set in force on ``on`` (two days under the same rules
    grade alike, see ``grade_facts``) and ``taken`` (a recorded grade's note and its
    regrading depend on its own day). Never shared between builds: a new build is new objects.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[int, str, date | None], tuple[TargetResult, Grade | None]] = {}
        self._rules: dict[date, str] = {}  # day -> rule-set id (a build has few days)
        self.calls = 0  # grade_result calls made (misses), for benches and tests

    def grade(self, result: TargetResult, on: date, *, taken: date | None = None) -> Grade | None:
        """``grade_result(result, on, taken=taken)``, computed once per key."""
        rules = self._rules.get(on)
        if rules is None:
            rules = self._rules[on] = rule_set_id(on)
        key = (id(result), rules, taken)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is result:
            return hit[1]
        self.calls += 1
        grade = grade_result(result, on, taken=taken)
        self._memo[key] = (result, grade)
        return grade

    def seed(
        self, result: TargetResult, rules: str, taken: date | None, grade: Grade | None
    ) -> None:
        """Remember an answer computed by an earlier build (the build cache keeps them).

        ``rules`` is a ``rule_set_id``: the key is the rule set, not the day, exactly as
        ``grade`` keys its own answers.
        """
        self._memo[(id(result), rules, taken)] = (result, grade)

    def answers(self) -> list[tuple[TargetResult, str, date | None, Grade | None]]:
        """Every answer held: (result, rule set id, taken, grade), for the build cache."""
        return [(r, key[1], key[2], g) for key, (r, g) in self._memo.items()]
