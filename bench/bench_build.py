"""Bench: the example site with tlsreport vs the same posts as plain Pelican, cold and warm.

    .venv/bin/python bench/bench_build.py [--runs 3] [--profile]

Two sites, built by the real ``pelican`` command (a fresh process, as ``make html`` does) with
the repository's pelican.conf.py and scanning off:

- tlsreport: content/ as it is, with the plugin;
- plain:     a copy of content/ with every ``[tlsreport ...]`` directive paragraph removed
             (found with ``tlsreport.directive.directive_lines``, so code blocks are left as they
             are) and ``PLUGINS = []``.

Cold = a fresh output folder and a fresh Pelican cache folder; warm = the same build again
into the output (and cache) the cold build left. Runs alternate (tlsreport, plain, plain,
tlsreport, ...); prints wall time and CPU time (user + sys of the pelican process: less noisy
on a shared machine) per build, the medians and the ratios tlsreport / plain
(goals: <= 1.5x cold, <= 1.1x warm). ``--profile`` also runs one cold tlsreport build under
cProfile and prints the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from tlsreport.directive import directive_lines  # noqa: E402

PELICAN = ROOT / ".venv" / "bin" / "pelican"


def strip_directives(src: Path, dst: Path) -> int:
    """Copy ``src`` to ``dst`` with every directive paragraph removed; return how many."""
    shutil.copytree(src, dst)
    removed = 0
    for md in sorted(dst.rglob("*.md")):
        text = md.read_text(encoding="utf-8")
        found = directive_lines(text)
        if not found:
            continue
        lines = text.splitlines(keepends=True)
        drop: set[int] = set()
        for first, _directive in found:
            i = first - 1  # the directive's paragraph: from its first line to the next blank
            while i < len(lines) and lines[i].strip():
                drop.add(i)
                i += 1
        md.write_text("".join(x for i, x in enumerate(lines) if i not in drop), encoding="utf-8")
        removed += len(found)
    return removed


def build(content: Path, out: Path, cache: Path, *, plugin: bool) -> tuple[float, float]:
    """One ``pelican`` build; return (wall seconds, CPU seconds of the child)."""
    overrides = {"TLSREPORT_SCAN": "never", "CACHE_PATH": str(cache)}
    if not plugin:
        overrides["PLUGINS"] = []
    cmd = [str(PELICAN), str(content), "-o", str(out), "-s", str(ROOT / "pelican.conf.py"),
           "-q", "-e", *(f"{k}={json.dumps(v)}" for k, v in overrides.items())]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def profile_build(content: Path, tmp: Path, top: int = 25) -> None:
    """One cold tlsreport build in this process under cProfile: where the time goes."""
    import cProfile
    import logging
    import pstats

    from pelican import Pelican
    from pelican.settings import read_settings

    logging.getLogger("pelican").setLevel(logging.ERROR)
    settings = read_settings(str(ROOT / "pelican.conf.py"), override={
        "PATH": str(content), "OUTPUT_PATH": str(tmp / "prof-out"),
        "CACHE_PATH": str(tmp / "prof-cache"), "TLSREPORT_SCAN": "never"})
    prof = cProfile.Profile()
    prof.runcall(lambda: Pelican(settings).run())
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cold+warm pairs per site")
    parser.add_argument("--profile", action="store_true", help="cProfile one cold build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tlsreport-bench-build-") as tmp_name:
        tmp = Path(tmp_name)
        plain_content = tmp / "plain-content"
        removed = strip_directives(ROOT / "content", plain_content)
        sites = {"tlsreport": (ROOT / "content", True), "plain": (plain_content, False)}
        print(f"content: {ROOT / 'content'} ({removed} directives removed for plain)")
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for i in range(args.runs):
            order = ("tlsreport", "plain") if i % 2 == 0 else ("plain", "tlsreport")
            for name in order:
                content, plugin = sites[name]
                out, cache = tmp / f"{name}-out-{i}", tmp / f"{name}-cache-{i}"
                for phase in ("cold", "warm"):
                    wall, cpu = build(content, out, cache, plugin=plugin)
                    results.setdefault((name, phase), []).append((wall, cpu))
                    print(f"run {i + 1} {name:9} {phase}: wall {wall:6.2f} s  cpu {cpu:6.2f} s",
                          flush=True)
        files = {name: sum(1 for p in (tmp / f"{name}-out-0").rglob("*") if p.is_file())
                 for name in sites}
        print(f"output files: tlsreport {files['tlsreport']}, plain {files['plain']}")
        for phase, goal in (("cold", 1.5), ("warm", 1.1)):
            med = {name: (statistics.median(w for w, _ in results[(name, phase)]),
                          statistics.median(c for _, c in results[(name, phase)]))
                   for name in sites}
            (tw, tc), (pw, pc) = med["tlsreport"], med["plain"]
            print(f"{phase}: median wall tlsreport {tw:.2f} s, plain {pw:.2f} s, ratio "
                  f"{tw / pw:.2f}x; cpu {tc:.2f} s vs {pc:.2f} s, ratio {tc / pc:.2f}x "
                  f"(goal <= {goal}x)")
        if args.profile:
            profile_build(ROOT / "content", tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
