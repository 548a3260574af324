"""Shared by the benches: run a command and measure it honestly; build an old commit beside.

- ``run_measured``: wall time, CPU time (user + sys of the command and every descendant it
  waited for: ``RUSAGE_CHILDREN`` before/after) and **peak memory of the whole process tree**,
  sampled every ``interval`` seconds with psutil over the command and all its live
  descendants. ``ru_maxrss`` (what the benches used before) is the largest *single* process,
  which under-counts a build that draws charts in a pool of worker processes. Two sums are
  kept because forked workers share pages with their parent: the sum of RSS counts a shared
  page once per process (an upper bound), the sum of PSS (proportional set size: a shared
  page divided among the processes that map it) is what the tree really holds. Sampling can
  miss a spike shorter than the interval.
- ``baseline_worktree``: ``git worktree add --detach`` of an old commit in a temporary
  folder (removed afterwards), so a before/after comparison is measured in one run,
  alternating, on the same machine load, rather than from two runs at different times.
  The old commit runs with this checkout's ``.venv`` (its pinned dependencies may differ:
  the bench prints both requirement hashes when they do) and ``PYTHONPATH`` pointing at its
  own ``plugins/``, so its plugin is the one Pelican imports.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds
    cpu: float  # seconds, user + sys, the command and its waited-for descendants
    peak_tree: int  # bytes: largest sum of PSS over the process tree at one sample
    peak_tree_rss: int  # bytes: largest sum of RSS (shared pages counted in every process)
    peak_single: int  # bytes: largest RSS of one process at one sample (for comparison)
    samples: int
    returncode: int

    def line(self) -> str:
        return (
            f"wall {self.wall:6.2f} s  cpu {self.cpu:6.2f} s  peak tree "
            f"{self.peak_tree / 2**30:.2f} GiB PSS, {self.peak_tree_rss / 2**30:.2f} GiB RSS "
            f"(largest process {self.peak_single / 2**30:.2f} GiB; {self.samples} samples)"
        )


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(sum of PSS, sum of RSS, largest RSS) over ``pid`` and its live descendants, bytes."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0, 0
    pss = rss = largest = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            full = proc.memory_full_info()  # Linux: smaps_rollup, cheap
            pss += full.pss
            rss += full.rss
            largest = max(largest, full.rss)
    return pss, rss, largest


def run_measured(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    log: Path | None = None,
    interval: float = 0.05,
    cwd: Path | None = None,
) -> Measured:
    """Run ``cmd`` to its end (killed past ``timeout``: returncode -9) and measure it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        peak = peak_rss = single = samples = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_rss, single, samples
            while not stop.is_set():
                pss, rss, largest = tree_memory(proc.pid)
                peak, peak_rss = max(peak, pss), max(peak_rss, rss)
                single = max(single, largest)
                samples += 1
                stop.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            stop.set()
            sampler.join()
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(
        wall=wall,
        cpu=cpu,
        peak_tree=peak,
        peak_tree_rss=peak_rss,
        peak_single=single,
        samples=samples,
        returncode=proc.returncode,
    )


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def describe(rev: str = "HEAD") -> str:
    """``abc1234`` plus ``+dirty`` when measuring HEAD with uncommitted changes."""
    short = git("rev-parse", "--short", rev)
    if rev == "HEAD" and git("status", "--porcelain", "--untracked-files=no"):
        short += "+dirty"
    return short


def _requirements_hash(tree: Path) -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "requirements-dev.txt"):
        with contextlib.suppress(FileNotFoundError):
            digest.update((tree / name).read_bytes())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def baseline_worktree(rev: str) -> Iterator[Path]:
    """A temporary detached worktree of ``rev``; removed (and pruned) on the way out."""
    git("rev-parse", "--verify", f"{rev}^{{commit}}")  # a clear error for a bad REV
    tmp = Path(tempfile.mkdtemp(prefix="tlsreport-baseline-"))
    tree = tmp / "tree"
    git("worktree", "add", "--detach", "--quiet", str(tree), rev)
    try:
        imported = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "-c",
                "import tlsreport; print(tlsreport.__file__)",
            ],
            env=plugin_env(tree),
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if not imported.startswith(str(tree)):
            raise SystemExit(f"baseline {rev}: its plugin is not the one imported ({imported})")
        if _requirements_hash(tree) != _requirements_hash(ROOT):
            print(
                f"note: {rev} pins other requirements than this checkout; it runs with "
                f"this checkout's .venv"
            )
        yield tree
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            git("worktree", "remove", "--force", str(tree))
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            git("worktree", "prune")


def plugin_env(tree: Path) -> dict[str, str]:
    """Environment that makes ``tree``'s plugin the ``tlsreport`` every process imports.

    PYTHONPATH comes before the .venv's ``tlsreport-plugins.pth`` entry, which points at this
    checkout's plugins.
    """
    return {**os.environ, "PYTHONPATH": str(tree / "plugins"), "PYTHONWARNINGS": "ignore"}


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"
