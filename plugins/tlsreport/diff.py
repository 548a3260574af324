"""What changed for each target between two snapshots of a list, and why (pure).

A post's "changed since the last post" list is not a diff of two files: readers want to know
*when* each bank moved (the part 4 post dated every change), and whether the bank moved at
all or only the rules did (part 5: a 2015-02 B for "no TLS 1.2" is a C at the end of 2015 with
the very same server). So this module:

- grades every snapshot under the rules of its own date, walks the history between ``since``
  and ``until`` and dates each change by the first snapshot from which the target kept its
  final grade or state (a fluke that came and went before ``until`` is not a change);
- regrades the *old* result under the *new* snapshot's rules: if that alone yields the new
  grade, the rules changed, not the bank;
- says no more than the record: a reason is "new" only when the old side's reasons were
  measured (a scan) or written down with the finding graded on that day; otherwise it is
  "first recorded" (ABK's 2015-02-17 reasons were simply not noted before). A reason is "no
  longer" there only when the new side's reasons are known, and a recorded grade's reasons are
  named in the words the post used, not the grader's derived labels ("RC4 with modern
  browsers" was never published). An inferred grade carries its inference (``Recorded.inferred``).

No clock, disk or network here: callers pass snapshots in and get plain data back. A build
passes its ``grade.GradeMemo`` too, so results its charts and pages already graded are not
graded again here (grading is pure, so a memo changes the cost, never the answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from .facts import STATE_OK, Snapshot, TargetRef, TargetResult
from .grade import Grade, Reason
from .grading import GradeMemo, grade_result, rules_of
from .grading.labels import ids_for

# Change kinds.
CHANGED = "changed"  # graded before and after, grade or reasons differ
ADDED = "added"  # on the list now, not before
REMOVED = "removed"  # on the list before, not now
STATE = "state"  # became or stopped being unreachable / untestable

# Causes.
CAUSE_SERVER = "server"
CAUSE_RULES = "rules"
CAUSE_BOTH = "server+rules"
CAUSE_STATE = "state"


@dataclass(frozen=True)
class Change:
    """One target's change between two snapshots, dated by when it was first seen."""

    key: str
    name: str
    kind: str  # "changed" | "added" | "removed" | "state"
    old_grade: str | None
    new_grade: str | None
    gained: tuple[Reason, ...]  # reasons the target has now and did not have (by Reason.id)
    lost: tuple[Reason, ...]  # reasons it had and no longer has
    first_seen: str  # ISO date of the first snapshot after `since` showing the new state
    cause: str  # "server" | "rules" | "server+rules" | "state"
    old_state: str | None = None  # the target's state ("ok", "refused", ...) before; None if absent
    new_state: str | None = None  # … and after; None if absent
    target: TargetRef | None = None  # the target as last listed (for links to its page)
    # Reasons the new side shows that the old side's record cannot rule out: not "new", only
    # written down for the first time (the old reasons were not recorded, or not graded then).
    first_recorded: tuple[Reason, ...] = ()
    inferred: str = ""  # why the new side's grade is an inference, not a published grade
    # The addresses the host was scanned at, before and after, when they changed (a change of
    # its own, even with the same grade: a new load balancer or CDN is news). Else both ().
    old_addresses: tuple[str, ...] = ()
    new_addresses: tuple[str, ...] = ()
    # Where the snapshot that dates the change came from when it is not a scan of ours or a
    # recorded grade: "imported from SSL Labs, bank.json"; "" otherwise.
    source: str = ""

    @property
    def addresses_changed(self) -> bool:
        return self.old_addresses != self.new_addresses

    @property
    def rules_only(self) -> bool:
        """True when the same server would have kept its grade under the old rules."""
        return self.cause == CAUSE_RULES


def graded(
    snapshot: Snapshot, *, rules_on: date | None = None, memo: GradeMemo | None = None
) -> dict[str, tuple[TargetResult, Grade | None]]:
    """Grade every result of a snapshot, keyed by target key.

    The rules are those of the snapshot's own date unless ``rules_on`` says otherwise (that is
    how a change is tested for being caused by the rules alone). A recorded target whose grade
    was not recorded gets None, like an unreachable one: there is nothing to grade.
    """
    taken = snapshot.day
    on = rules_on or taken
    out: dict[str, tuple[TargetResult, Grade | None]] = {}
    for result in snapshot.results:
        out[result.target.key] = (result, _grade(result, on, taken, memo))
    return out


def changes_between(
    snapshots: Sequence[Snapshot],
    since: Snapshot | None,
    until: Snapshot,
    *,
    memo: GradeMemo | None = None,
) -> list[Change]:
    """The changes of each target from ``since`` to ``until``, sorted by date, then name.

    ``snapshots`` is the list's history (any order is accepted; snapshots outside
    (since, until] only serve to know a target's last recorded grade). ``since`` None means
    "from the beginning": every target of ``until`` is then new.

    A recorded target whose grade was not recorded (``recorded.grade`` None) carries its last
    known grade forward: it is neither a change nor a removal, and a target whose old grade is
    unknown is not reported as changed (there is no "before" to show).

    ``memo`` is the build's grade memo (shared with its charts and pages); without one, this
    call keeps its own.
    """
    memo = memo if memo is not None else GradeMemo()
    since_at = since.taken_at if since is not None else None
    until_at = until.taken_at
    ordered = sorted(
        {_identity(s): s for s in (*snapshots, until, *(x for x in (since,) if x))}.values(),
        key=lambda s: s.taken_at,
    )
    ordered = [s for s in ordered if s.taken_at <= until_at]
    window = [s for s in ordered if since_at is None or s.taken_at > since_at]
    if not window:
        return []
    before = [s for s in ordered if since_at is not None and s.taken_at <= since_at]

    # Per target: its graded view in every snapshot up to `until` (None where absent). Graded
    # lazily: snapshots before `since` are only read to find a grade that was not recorded.
    views = _LazyViews(ordered, memo)
    keys: dict[str, None] = {}  # an ordered set: targets on the list at `since` or after it
    for i in range(max(len(before) - 1, 0), len(views)):
        keys.update(dict.fromkeys(views[i]))

    rules_now = until.day
    changes: list[Change] = []
    for key in keys:
        old = _state_at(views, len(before) - 1, key) if before else None
        track = [_state_at(views, len(before) + i, key) for i in range(len(window))]
        new = track[-1]
        if old is None and new is not None:
            # Added: dated by its arrival. A target that arrived and then changed grade
            # before `until` gets both entries ("added, C" on 02-18, "C → B" on 03-02).
            arrived = len(track) - 1
            while arrived > 0 and track[arrived - 1] is not None:
                arrived -= 1
            on_arrival = track[arrived]
            day = window[arrived].day.isoformat()
            inferred = _inferred(on_arrival)
            if not isinstance(on_arrival, _View) or _same_state(on_arrival, new):
                on_arrival = new
            added = _change(key, _name(new), ADDED, None, on_arrival, CAUSE_STATE)
            changes.append(
                replace(
                    added, first_seen=day, inferred=inferred, source=_source(window[arrived], key)
                )
            )
            if on_arrival is new:
                continue
            old = on_arrival
        change = _compare(key, old, new, rules_now, memo)
        if change is None:
            continue
        # Date it: the earliest snapshot of the last unbroken run showing the final state.
        first = len(track) - 1
        while first > 0 and _same_state(track[first - 1], new):
            first -= 1
        changes.append(
            replace(
                change, first_seen=window[first].day.isoformat(), source=_source(window[first], key)
            )
        )
    changes.sort(key=lambda c: (c.first_seen, c.name.casefold(), c.key))
    return changes


# --- internals ------------------------------------------------------------------------------


def _source(snapshot: Snapshot, key: str) -> str:
    """ "imported from <tool>, <file>" when ``key``'s result in ``snapshot`` was imported."""
    result = snapshot.result_for(key)
    if result is None or result.imported is None:
        return ""
    imported = result.imported
    return f"imported from {imported.tool}" + (f", {imported.file}" if imported.file else "")


@dataclass(frozen=True)
class _View:
    """A target as one snapshot shows it: its result, its grade, and when."""

    result: TargetResult
    grade: Grade | None
    taken: date

    @property
    def state(self) -> str:
        return self.result.state

    @property
    def letter(self) -> str | None:
        return self.grade.letter if self.grade is not None else None


@dataclass(frozen=True)
class _Unknown:
    """The target is listed (``result``) but its grade was not recorded."""

    result: TargetResult


_State = _View | _Unknown | None  # None: the target is not on the list


class _LazyViews:
    """``views[i]``: snapshot i's targets graded under its own rules, computed on first use."""

    def __init__(self, snapshots: Sequence[Snapshot], memo: GradeMemo) -> None:
        self._snapshots = snapshots
        self._memo = memo
        self._cache: dict[int, dict[str, _View | _Unknown]] = {}

    def __getitem__(self, index: int) -> dict[str, _View | _Unknown]:
        if index not in self._cache:
            self._cache[index] = _views(self._snapshots[index], self._memo)
        return self._cache[index]

    def __len__(self) -> int:
        return len(self._snapshots)


def _views(snapshot: Snapshot, memo: GradeMemo) -> dict[str, _View | _Unknown]:
    out: dict[str, _View | _Unknown] = {}
    taken = snapshot.day
    for key, (result, grade) in graded(snapshot, memo=memo).items():
        out[key] = _Unknown(result) if _not_recorded(result) else _View(result, grade, taken)
    return out


def _not_recorded(result: TargetResult) -> bool:
    return (
        result.state == STATE_OK
        and result.facts is None
        and result.recorded is not None
        and result.recorded.grade is None
    )


def _state_at(views: _LazyViews, index: int, key: str) -> _State:
    """The target's state in snapshot ``index``; its last known grade when not recorded there.

    Walking back stops where the target was off the list: a grade from before a gap says
    nothing about the target that came back.
    """
    here = views[index].get(key)
    for j in range(index, -1, -1):
        s = views[j].get(key)
        if s is None:
            return here
        if isinstance(s, _View):
            return s
    return here


def _same_state(a: _State, b: _State) -> bool:
    """Whether two views show the same grade/state, the identity a change is dated by."""
    if not isinstance(a, _View) or not isinstance(b, _View):
        return type(a) is type(b)
    if a.state != b.state:
        return False
    if a.state != STATE_OK or a.letter != b.letter:
        return a.letter == b.letter
    return _ids(a.grade) == _ids(b.grade) and not _moved(a, b)


def _compare(key: str, old: _State, new: _State, rules_now: date, memo: GradeMemo) -> Change | None:
    if old is None and new is not None:
        return _change(key, _name(new), ADDED, None, new, CAUSE_STATE)
    if not isinstance(old, _View) or not isinstance(new, _View):
        # Not on the list at either end, or a grade that was not recorded at either end:
        # no "before" or no "after" to show, so no change (and never a removal).
        if isinstance(old, _View) and new is None:
            return _change(key, old.result.target.name, REMOVED, old, None, CAUSE_STATE)
        return None
    name = new.result.target.name
    old_graded = old.state == STATE_OK and old.grade is not None
    new_graded = new.state == STATE_OK and new.grade is not None
    if not (old_graded and new_graded):
        if old.state == new.state and old.letter == new.letter:
            return None
        return _change(key, name, STATE, old, new, CAUSE_STATE)
    if old.letter == new.letter and _ids(old.grade) == _ids(new.grade):
        if _moved(old, new):  # same grade, other addresses: the server changed
            return _change(key, name, CHANGED, old, new, CAUSE_SERVER)
        return None
    return _change(key, name, CHANGED, old, new, _cause(old, new, rules_now, memo))


def _cause(old: _View, new: _View, rules_now: date, memo: GradeMemo) -> str:
    """Did the server move the grade, the rules, or both?

    Regrade the old result under the new snapshot's rules: if that gives the new grade, the
    server did nothing; if it leaves the old grade, the server did everything; otherwise both
    moved it. When the letter stayed and only the reasons moved, the reasons decide the same way.
    """
    regraded = _grade(old.result, rules_now, old.taken, memo)
    if regraded is None:
        return CAUSE_SERVER
    if old.letter == new.letter:
        return CAUSE_RULES if _ids(regraded) == _ids(new.grade) else CAUSE_SERVER
    if regraded.letter == new.letter:
        return CAUSE_RULES
    if regraded.letter == old.letter:
        return CAUSE_SERVER
    return CAUSE_BOTH


def _change(key: str, name: str, kind: str, old: _State, new: _State, cause: str) -> Change:
    old_reasons = _shown(old)
    new_reasons = _shown(new)
    old_ids = {r.id for r in old_reasons}
    new_ids = {r.id for r in new_reasons}
    declared = _declared_new(new)
    gained: list[Reason] = []
    first: list[Reason] = []
    lost: tuple[Reason, ...] = ()
    if kind == CHANGED:
        for r in new_reasons:
            if r.id in old_ids:
                continue
            (gained if r.id in declared or _could_see(old, r) else first).append(r)
        if _reasons_known(new):
            lost = tuple(r for r in old_reasons if r.id not in new_ids)
    elif kind == ADDED:
        # Nothing before to compare with: only what the publication itself calls new.
        gained = [r for r in new_reasons if r.id in declared]
    both = kind == CHANGED
    moved = both and isinstance(old, _View) and isinstance(new, _View) and _moved(old, new)
    return Change(
        key=key,
        name=name,
        kind=kind,
        old_grade=old.letter if isinstance(old, _View) else None,
        new_grade=new.letter if isinstance(new, _View) else None,
        gained=tuple(gained),
        lost=lost,
        first_seen="",
        cause=cause,
        old_state=old.result.state if old is not None else None,
        new_state=new.result.state if new is not None else None,
        target=either.result.target if (either := new or old) is not None else None,
        first_recorded=tuple(first),
        old_addresses=addresses_of(old.result) if moved and old is not None else (),
        new_addresses=addresses_of(new.result) if moved and new is not None else (),
    )


def _recorded_reason(label: str) -> Reason:
    """A published label as a Reason: its words kept, its id the finding(s) it names."""
    ids = ids_for(label)
    rid = "+".join(sorted(ids)) if ids else f"label:{label.strip().casefold()}"
    return Reason(rid, label, "recorded")


def _as_published(state: _State) -> bool:
    """A recorded grade shown on its own day: its reasons are the published ones."""
    if not isinstance(state, _View) or state.grade is None:
        return False
    rec = state.result.recorded
    return state.result.facts is None and rec is not None and rec.grade == state.grade.letter


def _shown(state: _State) -> tuple[Reason, ...]:
    """The reasons a side shows: as published for a recorded grade, else the grader's."""
    if state is None:
        return ()
    rec = state.result.recorded
    if isinstance(state, _Unknown) or _as_published(state):
        return tuple(_recorded_reason(x) for x in rec.reasons) if rec is not None else ()
    return state.grade.reasons if isinstance(state, _View) and state.grade is not None else ()


def _reasons_known(state: _State) -> bool:
    """Whether a side's reasons were measured (a scan) or written down (a non-empty list).

    A recorded grade with no reasons is one whose reasons were not noted (part 4's A list):
    what it lacks cannot be read from it.
    """
    if not isinstance(state, _View):
        return False
    if state.result.facts is not None:
        return True
    rec = state.result.recorded
    return rec is not None and bool(rec.reasons)


def _could_see(old: _State, reason: Reason) -> bool:
    """Whether the old side would show ``reason`` had it been there: then it is new."""
    if not _reasons_known(old):
        return False
    assert isinstance(old, _View)
    if old.result.facts is not None or reason.id.startswith("label:"):
        return old.result.facts is not None
    # A recorded list names what counted on its day; a finding not graded then says nothing.
    ruleset = rules_of(old.taken)
    return all(ruleset.graded(finding) for finding in reason.id.split("+"))


def _declared_new(state: _State) -> frozenset[str]:
    """Ids of the reasons the publication itself calls new (``Recorded.new_reasons``)."""
    rec = state.result.recorded if state is not None else None
    if rec is None:
        return frozenset()
    return frozenset(_recorded_reason(x).id for x in rec.new_reasons)


def _inferred(state: _State) -> str:
    rec = state.result.recorded if state is not None else None
    return rec.inferred if rec is not None else ""


def addresses_of(result: TargetResult) -> tuple[str, ...]:
    """The addresses a result was scanned at (sorted); () when not known (recorded grades)."""
    if result.endpoints:
        return tuple(sorted(e.address for e in result.endpoints))
    if result.facts is not None and result.facts.ip:
        return (result.facts.ip,)
    return ()


def _moved(a: _View, b: _View) -> bool:
    """Both scans know their addresses and the sets differ."""
    old, new = addresses_of(a.result), addresses_of(b.result)
    return bool(old) and bool(new) and old != new


def _name(state: _View | _Unknown) -> str:
    return state.result.target.name


def _ids(grade: Grade | None) -> frozenset[str]:
    return frozenset(r.id for r in grade.reasons) if grade is not None else frozenset()


def _grade(result: TargetResult, on: date, taken: date, memo: GradeMemo | None) -> Grade | None:
    if result.state != STATE_OK or _not_recorded(result):
        return None
    return (
        memo.grade(result, on, taken=taken)
        if memo is not None
        else grade_result(result, on, taken=taken)
    )


def _identity(snapshot: Snapshot) -> tuple[str, str]:
    return (snapshot.list_slug, snapshot.taken)
