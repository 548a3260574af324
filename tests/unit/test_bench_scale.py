"""bench/bench_scale.py --incremental: the steps change a copy of the site, never the bench data.

The bench data (hundreds of MiB, generated once) is shared by every checkout through a symlink;
its history is hard-linked into the copy, so a step that rewrote a file in place would change
it for everyone. A tiny generated site stands in for the big one; nothing asserts on time.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import bench_scale  # noqa: E402
from tlsreport.history import History  # noqa: E402


def state_of(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_steps_change_the_copy_only(tmp_path: Path) -> None:
    site = tmp_path / "data"
    bench_scale.generate(site, 6, 2, 2)
    before = state_of(site)
    work = bench_scale.copy_site(site, tmp_path / "copy")
    said = bench_scale.add_snapshot(work, site, snapshots=2)
    post = bench_scale.edit_post(work)
    assert state_of(site) == before  # the bench data: not one byte, not one mtime

    history = History(work / "history")
    old, new = history.load_all(bench_scale.SLUG)[0][-2:]
    assert (new.taken_at - old.taken_at).days == 1
    switched = [i for i, (a, b) in enumerate(zip(old.results, new.results, strict=True)) if a != b]
    assert switched == [0, 2, 4], said  # three targets, spread over the list, changed kind
    assert said.count("->") == 3
    assert (work / "content" / "posts" / post).read_text() != (
        site / "content" / "posts" / post
    ).read_text()


def test_touched_tells_written_from_changed() -> None:
    before = {"a.html": (1, b"x"), "b.html": (1, b"y"), "gone.html": (1, b"z")}
    after = {"a.html": (1, b"x"), "b.html": (2, b"y"), "c.html": (2, b"w")}
    t = bench_scale.touched(before, after)
    assert (t.written, t.changed, t.removed, t.total) == (2, 1, 1, 3)
