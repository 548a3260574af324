"""pelican_glue.fill's group check: a list's groups are read once per build, not per directive.

A big list (1,000 targets x 100 snapshots) with twenty ``group=`` directives read every result
of every snapshot twenty times; the answers (the group exists, or the message with the groups
and the fix) stay the same. The build's real state over real history; nothing asserts on time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tlsreport.directive import parse_directive
from tlsreport.facts import Snapshot, TargetRef, TargetResult
from tlsreport.history import History
from tlsreport.pelican_glue import fill
from tlsreport.pelican_glue.build import BuildState
from tlsreport.pelican_glue.settings import DEFAULTS


class CountingState(BuildState):
    """The build's real state over a history folder, counting how often it reads a list."""

    def __init__(self, history: Path) -> None:
        settings: dict[str, Any] = {
            **DEFAULTS,
            "TLSREPORT_HISTORY_DIR": str(history),
            "TLSREPORT_TARGETS_DIR": str(history / "no-lists"),
        }
        super().__init__(settings, {})
        self.reads = 0

    def all_snapshots(self, slug: str) -> list[Snapshot]:
        self.reads += 1
        return super().all_snapshots(slug)


def write_history(root: Path, snapshots: list[Snapshot]) -> None:
    for snap in snapshots:
        History(root).write(snap)


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


def test_groups_are_read_once_per_build_and_list(tmp_path: Path) -> None:
    write_history(
        tmp_path,
        [
            snapshot("2026-11-01T10:00:00Z", ("retail",), ()),
            snapshot("2026-11-08T10:00:00Z", ("retail", "online"), ("weekly",)),
        ],
    )
    state = CountingState(tmp_path)
    info = state.lists()["banks"]
    d = parse_directive("[tlsreport grades list=banks group=wekly]")
    for _ in range(20):
        assert fill._unknown_group(state, info, "online", d) is None
    message = fill._unknown_group(state, info, "wekly", d)
    assert message == (
        "option 'group': list 'banks' has no group 'wekly' (groups: online, retail, weekly); "
        "write: [tlsreport grades list=banks group=weekly]"
    )
    assert state.reads == 1
    # The next build (a scan in between) reads the list again.
    write_history(tmp_path, [snapshot("2026-11-15T10:00:00Z", ("new",))])
    later = CountingState(tmp_path)
    assert fill._unknown_group(later, later.lists()["banks"], "new", d) is None
    assert later.reads == 1


def test_a_list_without_groups_says_so(tmp_path: Path) -> None:
    write_history(tmp_path, [snapshot("2026-11-01T10:00:00Z", (), ())])
    state = CountingState(tmp_path)
    d = parse_directive("[tlsreport grades list=banks group=retail]")
    message = fill._unknown_group(state, state.lists()["banks"], "retail", d)
    assert message == (
        "option 'group': list 'banks' has no group 'retail' "
        "(groups: none (the list's targets have no group))"
    )
