"""Bench: the example site with tlsreport vs the same posts as plain Pelican, cold and warm.

    .venv/bin/python bench/bench_build.py [--runs 3] [--baseline REV] [--profile]

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

``--baseline REV`` adds a third site: commit REV checked out in a temporary git worktree
(its own content/, pelican.conf.py and plugin; this checkout's .venv), built in the same
rotation, so before/after ratios come from one run at one machine load.
Every build also reports the peak memory of its whole process tree (``bench/measure.py``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from measure import (  # noqa: E402
    Measured,
    baseline_worktree,
    describe,
    load_note,
    plugin_env,
    run_measured,
)
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


def build(
    content: Path, out: Path, cache: Path, *, plugin: bool, tree: Path = ROOT, log: Path
) -> Measured:
    """One ``pelican`` build of ``tree``'s settings and plugin; measured (bench/measure.py)."""
    overrides = {"TLSREPORT_SCAN": "never", "CACHE_PATH": str(cache)}
    if not plugin:
        overrides["PLUGINS"] = []
    cmd = [
        str(PELICAN),
        str(content),
        "-o",
        str(out),
        "-s",
        str(tree / "pelican.conf.py"),
        "-q",
        "-e",
        *(f"{k}={json.dumps(v)}" for k, v in overrides.items()),
    ]
    measured = run_measured(cmd, env=plugin_env(tree), log=log)
    if measured.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({measured.returncode}):\n"
            f"{log.read_text(errors='replace')[-3000:]}"
        )
    return measured


def profile_build(content: Path, tmp: Path, top: int = 25) -> None:
    """A cold tlsreport build, then a warm one (same cache), in this process under cProfile:
    where the time goes in each."""
    import cProfile
    import logging
    import pstats

    from pelican import Pelican
    from pelican.settings import read_settings

    logging.getLogger("pelican").setLevel(logging.ERROR)
    settings = read_settings(
        str(ROOT / "pelican.conf.py"),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(tmp / "prof-out"),
            "CACHE_PATH": str(tmp / "prof-cache"),
            "TLSREPORT_SCAN": "never",
        },
    )
    for phase in ("cold", "warm"):
        print(f"--- profile of a {phase} tlsreport build (cProfile, this process)")
        prof = cProfile.Profile()
        prof.runcall(lambda: Pelican(settings).run())
        pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="cold+warm pairs per site")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        default=None,
        help="also build commit REV (a temporary git worktree) in the same run",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one cold and one warm build"
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="tlsreport-bench-build-") as tmp_name,
        ExitStack() as stack,
    ):
        tmp = Path(tmp_name)
        plain_content = tmp / "plain-content"
        removed = strip_directives(ROOT / "content", plain_content)
        # name -> (content, plugin on, tree whose settings and plugin are used)
        sites: dict[str, tuple[Path, bool, Path]] = {
            "tlsreport": (ROOT / "content", True, ROOT),
            "plain": (plain_content, False, ROOT),
        }
        if args.baseline:
            tree = stack.enter_context(baseline_worktree(args.baseline))
            sites["baseline"] = (tree / "content", True, tree)
        print(
            f"code: tlsreport = {describe()}"
            + (f", baseline = {describe(args.baseline)}" if args.baseline else "")
            + f"; {load_note()}"
        )
        print(f"content: {ROOT / 'content'} ({removed} directives removed for plain)")
        names = list(sites)
        results: dict[tuple[str, str], list[Measured]] = {}
        for i in range(args.runs):
            order = names[i % len(names) :] + names[: i % len(names)]  # rotate: no fixed first
            for name in order:
                content, plugin, tree = sites[name]
                out, cache = tmp / f"{name}-out-{i}", tmp / f"{name}-cache-{i}"
                for phase in ("cold", "warm"):
                    m = build(
                        content,
                        out,
                        cache,
                        plugin=plugin,
                        tree=tree,
                        log=tmp / f"{name}-{phase}-{i}.log",
                    )
                    results.setdefault((name, phase), []).append(m)
                    print(f"run {i + 1} {name:9} {phase}: {m.line()}", flush=True)
        files = {
            name: sum(1 for p in (tmp / f"{name}-out-0").rglob("*") if p.is_file())
            for name in sites
        }
        print("output files: " + ", ".join(f"{n} {c}" for n, c in files.items()))
        for phase, goal in (("cold", 2.5), ("warm", 1.1)):  # issue 17's goals
            med = {
                name: (
                    statistics.median(m.wall for m in results[(name, phase)]),
                    statistics.median(m.cpu for m in results[(name, phase)]),
                    max(m.peak_tree for m in results[(name, phase)]),
                )
                for name in sites
            }
            for name in [n for n in sites if n != "plain"]:
                (tw, tc, tm), (pw, pc, _) = med[name], med["plain"]
                print(
                    f"{phase}: median wall {name} {tw:.2f} s, plain {pw:.2f} s, ratio "
                    f"{tw / pw:.2f}x; cpu {tc:.2f} s vs {pc:.2f} s, ratio {tc / pc:.2f}x "
                    f"(goal <= {goal}x); peak tree {tm / 2**20:.0f} MiB"
                )
            if "baseline" in med:
                (nw, nc, _), (bw, bc, _) = med["tlsreport"], med["baseline"]
                print(f"{phase}: tlsreport / baseline: wall {nw / bw:.2f}x, cpu {nc / bc:.2f}x")
        print(f"end: {load_note()}")
        if args.profile:
            profile_build(ROOT / "content", tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
