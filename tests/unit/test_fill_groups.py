"""pelican_glue.fill's group check: a list's groups are read once per build, not per directive.

A big list (1,000 targets x 100 snapshots) with twenty ``group=`` directives read every result
of every snapshot twenty times; the answers (the group exists, or the message with the groups
and the fix) stay the same. Plain stand-ins for the build's state; nothing asserts on time.
"""

from __future__ import annotations

from pathlib import Path

from tlsreport.directive import parse_directive
from tlsreport.facts import Snapshot, TargetRef, TargetResult
from tlsreport.pelican_glue import fill


class CountingState:
    """The one BuildState method the check uses, counting its calls."""

    def __init__(self, snapshots: list[Snapshot]) -> None:
        self.snapshots = snapshots
        self.reads = 0

    def all_snapshots(self, slug: str) -> list[Snapshot]:
        self.reads += 1
        return self.snapshots


class Info:
    def __init__(self, slug: str, paths: list[Path]) -> None:
        self.slug = slug
        self.snapshots = [type("SnapshotInfo", (), {"path": p})() for p in paths]


def snapshot(taken: str, *groups: tuple[str, ...]) -> Snapshot:
    return Snapshot(
        list_slug="banks",
        title="Banks",
        taken=taken,
        results=tuple(
            TargetResult(target=TargetRef(name=f"T{i}", host=f"t{i}.example", group=g))
            for i, g in enumerate(groups)
        ),
    )


def test_groups_are_read_once_per_build_and_list() -> None:
    snaps = [
        snapshot("2026-11-01T10:00:00Z", ("retail",), ()),
        snapshot("2026-11-08T10:00:00Z", ("retail", "online"), ("weekly",)),
    ]
    state = CountingState(snaps)
    info = Info("banks", [Path("a.json"), Path("b.json")])
    d = parse_directive("[tlsreport grades list=banks group=wekly]")
    for _ in range(20):
        assert fill._unknown_group(state, info, "online", d) is None  # type: ignore[arg-type]
    message = fill._unknown_group(state, info, "wekly", d)  # type: ignore[arg-type]
    assert message == (
        "option 'group': list 'banks' has no group 'wekly' (groups: online, retail, weekly); "
        "write: [tlsreport grades list=banks group=weekly]"
    )
    assert state.reads == 1
    # A new snapshot (another build, or a scan during this one) is read again.
    info.snapshots.append(type("SnapshotInfo", (), {"path": Path("c.json")})())
    state.snapshots = [*snaps, snapshot("2026-11-15T10:00:00Z", ("new",))]
    assert fill._unknown_group(state, info, "new", d) is None  # type: ignore[arg-type]
    assert state.reads == 2
    # Another build's state reads for itself.
    other = CountingState([snaps[0]])
    assert fill._unknown_group(other, info, "online", d) is not None  # type: ignore[arg-type]
    assert other.reads == 1


def test_a_list_without_groups_says_so() -> None:
    state = CountingState([snapshot("2026-11-01T10:00:00Z", (), ())])
    d = parse_directive("[tlsreport grades list=banks group=retail]")
    message = fill._unknown_group(state, Info("banks", [Path("a.json")]), "retail", d)  # type: ignore[arg-type]
    assert message == (
        "option 'group': list 'banks' has no group 'retail' "
        "(groups: none (the list's targets have no group))"
    )
