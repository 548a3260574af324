"""bench/measure.py: the benches' memory is the whole process tree's; baselines come and go.

Real processes (a parent with three children that each hold 64 MiB) and a real git
worktree; nothing asserts on time.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from measure import baseline_worktree, git, run_measured, tree_memory  # noqa: E402

MIB = 2**20
HOLD = 64 * MIB

# A parent that starts three children; each fills HOLD bytes (written, so resident), says
# "ready" by creating a file, and holds them until the release file exists.
FAMILY = textwrap.dedent(f"""
    import subprocess, sys, time
    from pathlib import Path
    where = Path(sys.argv[1])
    child = (
        "import sys, time; from pathlib import Path; "
        "held = b'x' * {HOLD}; "
        "Path(sys.argv[1]).touch(); "
        "release = Path(sys.argv[2]); "
        "[time.sleep(0.02) for _ in iter(lambda: release.exists(), True)]"
    )
    procs = [subprocess.Popen([sys.executable, "-c", child, str(where / f"ready-{{n}}"),
                               str(where / "release")]) for n in range(3)]
    for p in procs:
        p.wait()
""")


def _wait_for(paths: list[Path], proc: subprocess.Popen[bytes]) -> None:
    import time

    for _ in range(6000):  # bounded: at most ~10 min on a very busy machine
        if all(p.exists() for p in paths):
            return
        assert proc.poll() is None, "the process family ended early"
        time.sleep(0.1)
    raise AssertionError("children never became ready")


def test_tree_memory_sums_the_parent_and_every_descendant(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", FAMILY, str(tmp_path)])
    try:
        _wait_for([tmp_path / f"ready-{n}" for n in range(3)], proc)
        pss, rss, largest = tree_memory(proc.pid)
        # three children each holding 64 MiB: the sums see all of them, one process does not
        assert rss >= 3 * HOLD
        assert HOLD <= largest < 2 * HOLD
        # the children's buffers are their own (not shared): PSS counts them in full too,
        # and never more than RSS
        assert 3 * HOLD <= pss <= rss
    finally:
        (tmp_path / "release").touch()
        proc.wait(timeout=120)
    assert tree_memory(proc.pid) == (0, 0, 0)  # gone: nothing to count, no error


# A parent that fills HOLD bytes and then forks two children that only wait: the three share
# the same pages (copy-on-write), as a build's forked chart workers share its history.
SHARING = textwrap.dedent(f"""
    import os, sys, time
    from pathlib import Path
    where = Path(sys.argv[1])
    held = b'x' * {HOLD}
    pids = []
    for n in range(2):
        pid = os.fork()
        if pid == 0:
            (where / f"ready-{{n}}").touch()
            while not (where / "release").exists():
                time.sleep(0.02)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
""")


def test_shared_pages_count_once_in_pss_and_thrice_in_rss(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SHARING, str(tmp_path)])
    try:
        _wait_for([tmp_path / f"ready-{n}" for n in range(2)], proc)
        pss, rss, _ = tree_memory(proc.pid)
        assert rss >= 3 * HOLD  # each of the three maps the buffer
        assert HOLD <= pss < 2 * HOLD  # it exists once
    finally:
        (tmp_path / "release").touch()
        proc.wait(timeout=120)


def test_run_measured_reports_the_tree_peak_not_the_largest_process(tmp_path: Path) -> None:
    releaser = textwrap.dedent(f"""
        import subprocess, sys, time
        from pathlib import Path
        where = Path(sys.argv[1])
        family = subprocess.Popen([sys.executable, "-c", {FAMILY!r}, str(where)])
        while not all((where / f"ready-{{n}}").exists() for n in range(3)):
            time.sleep(0.05)
        time.sleep(2)  # hold the peak for many sampling intervals
        (where / "release").touch()
        sys.exit(family.wait())
    """)
    measured = run_measured([sys.executable, "-c", releaser, str(tmp_path)], timeout=600)
    assert measured.returncode == 0
    assert measured.peak_tree >= 3 * HOLD  # PSS sum
    assert measured.peak_tree_rss >= measured.peak_tree
    assert measured.peak_single < 2 * HOLD
    assert measured.samples > 0 and measured.cpu > 0


def test_run_measured_kills_a_command_past_its_timeout() -> None:
    measured = run_measured([sys.executable, "-c", "import time; time.sleep(600)"], timeout=0.5)
    assert measured.returncode == -9


def test_baseline_worktree_checks_out_rev_and_leaves_nothing_behind() -> None:
    head = git("rev-parse", "HEAD")
    with baseline_worktree("HEAD") as tree:
        assert (tree / "plugins" / "tlsreport" / "__init__.py").is_file()
        assert git("rev-parse", "HEAD", cwd=tree) == head
        assert str(tree) in git("worktree", "list")
    assert not tree.exists()
    assert str(tree) not in git("worktree", "list")


def test_baseline_worktree_refuses_an_unknown_rev() -> None:
    with pytest.raises(subprocess.CalledProcessError), baseline_worktree("no-such-rev-anywhere"):
        pass
