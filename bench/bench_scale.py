"""Bench: a big site — 1,000 targets, 100 snapshots of synthetic facts, 20 posts — built in full.

    .venv/bin/python bench/bench_scale.py [--targets 1000] [--snapshots 100] [--posts 20]
                                          [--runs 1] [--baseline REV] [--incremental]
                                          [--cache-off] [--profile] [--regen]

Generates (once, kept in bench/out/scale-T-S/ unless --regen) a target list of ``--targets``
https targets and ``--snapshots`` weekly snapshots of synthetic facts written through the real
``tlsreport.history.History.write``: every target starts as one of a few server kinds (a clean
A+ server, no HSTS, RC4, no TLS 1.2, a SHA-1 chain, unreachable) and some fix or break their
server at a random week, so the posts have changes to list. Then ``--posts`` posts spread over
the snapshots, each with a grade table, a change list and a history chart of the list.

Measures ``--runs`` full builds with the real ``pelican`` command (fresh output and cache each):
wall time, CPU time and the peak memory of the build's whole process tree (the sum of every
process's RSS, sampled: ``bench/measure.py``; the build draws charts in worker processes, so
the largest single process is not the build's memory); goals <= 60 s and <= 2 GiB.
``--baseline REV`` also builds the same data with commit REV's plugin (a temporary git
worktree), alternating with this checkout, so before/after is one run. It also
times loading every snapshot (``History.load_all``) on its own, to compare with the build:
loading history must cost what the posts use, not every snapshot ever written.
``--incremental`` runs, for each code tree, four builds on a copy of the site (history
hard-linked, content copied; the bench data is never changed) with one output folder and one
CACHE_PATH: the full build (fresh output and cache), a warm rebuild with nothing changed, a
rebuild after one new snapshot (a day after the newest, a few targets switching server kind,
written through ``History.write``) and one after one edited post; each line gives the rebuild's
share of the full build (goal <= 0.20, issue 17) and how many output files it wrote and changed.
``--cache-off`` adds this checkout with ``TLSREPORT_BUILD_CACHE = False`` as one more tree
(``no-cache``): what the history cache costs a cold build and saves the rebuilds.
``--profile`` builds once more in this process, then profiles a warm rebuild (cProfile) and
prints the top functions; ``--runs 0 --profile`` only profiles.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
from tlsreport.facts import (  # noqa: E402
    Certificate,
    CertificateFacts,
    CipherSuite,
    Facts,
    Hsts,
    Renegotiation,
    Snapshot,
    TargetRef,
    TargetResult,
    TrustResult,
)
from tlsreport.history import History  # noqa: E402

PELICAN = ROOT / ".venv" / "bin" / "pelican"
SLUG = "scale"
FIRST = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)  # a Monday; one snapshot a week from here


def _suite(
    name: str, kex: str, *, bits: int = 128, aead: bool = True, rc4: bool = False, cbc: bool = False
) -> CipherSuite:
    fs = kex in ("ECDHE", "TLS13")
    return CipherSuite(
        name=name,
        bits=bits,
        kex=kex,
        kex_bits=253 if fs else None,
        curve="X25519" if fs else None,
        forward_secrecy=fs,
        aead=aead,
        rc4=rc4,
        cbc=cbc,
    )


TLS13 = (
    _suite("TLS_AES_128_GCM_SHA256", "TLS13"),
    _suite("TLS_AES_256_GCM_SHA384", "TLS13", bits=256),
)
TLS12 = (
    _suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE"),
    _suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE", bits=256),
)
OLD = (_suite("TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", aead=False, cbc=True),)
RC4 = _suite("TLS_RSA_WITH_RC4_128_SHA", "RSA", aead=False, rc4=True)


def _chain(host: str, sig: str) -> tuple[Certificate, ...]:
    return (
        Certificate(
            subject=f"CN={host}",
            issuer="CN=Bench CA",
            sans=(host,),
            signature_hash=sig,
            key_type="RSA",
            key_bits=2048,
            rsa_exponent=65537,
            not_before="2024-12-01T00:00:00Z",
            not_after="2027-12-01T00:00:00Z",
        ),
        Certificate(
            subject="CN=Bench CA",
            issuer="CN=Bench Root",
            signature_hash=sig,
            key_type="RSA",
            key_bits=2048,
            rsa_exponent=65537,
        ),
    )


def server(kind: str, host: str) -> Facts:
    """Synthetic facts for one server kind (the kinds a real list of sites has)."""
    protos: dict[str, tuple[CipherSuite, ...]] = {
        "SSLv2": (),
        "SSLv3": (),
        "TLSv1.0": (),
        "TLSv1.1": (),
        "TLSv1.2": TLS12,
        "TLSv1.3": TLS13,
    }
    sig = "sha256"
    hsts = Hsts(present=True, max_age=31536000)
    if kind == "no-hsts":
        hsts = Hsts(present=False)
    elif kind == "rc4":
        protos |= {"TLSv1.2": (*TLS12, RC4), "TLSv1.3": ()}
    elif kind == "no-tls12":
        protos |= {"TLSv1.0": OLD, "TLSv1.1": OLD, "TLSv1.2": (), "TLSv1.3": ()}
    elif kind == "sha1":
        sig = "sha1"
    cert = CertificateFacts(
        chain=_chain(host, sig),
        trust=(TrustResult("Mozilla", True),),
        hostname=host,
        hostname_matches=True,
        chain_in_order=True,
        ocsp_stapled=False,
    )
    return Facts(
        protocols=protos,
        certificate=cert,
        renegotiation=Renegotiation(secure=True, client_initiated=False),
        compression=False,
        fallback_scsv=True,
        heartbleed=False,
        ccs_injection=False,
        robot="NOT_VULNERABLE_RSA_NOT_SUPPORTED",
        extended_master_secret=True,
        curves=("X25519", "prime256v1"),
        hsts=hsts,
        ip="192.0.2.1",
        highest_version="TLSv1.3" if protos["TLSv1.3"] else "TLSv1.2",
    )


KINDS = ("modern", "no-hsts", "rc4", "no-tls12", "sha1", "unreachable")


def plan(targets: int, snapshots: int, seed: int = 7) -> list[tuple[str, str, int]]:
    """Per target: (kind before, kind after, week of the change or -1 when it never changes)."""
    rng = random.Random(seed)
    out = []
    for _ in range(targets):
        before = rng.choices(KINDS, weights=(40, 20, 10, 10, 10, 10))[0]
        if rng.random() < 0.3:
            after = rng.choice([k for k in KINDS if k != before])
            out.append((before, after, rng.randrange(1, snapshots)))
        else:
            out.append((before, before, -1))
    return out


def refs(targets: int) -> list[TargetRef]:
    return [
        TargetRef(
            name=f"Site {i:04d}",
            host=f"site{i:04d}.bench.example",
            group=("even",) if i % 2 == 0 else ("odd",),
        )
        for i in range(targets)
    ]


def target_result(ref: TargetRef, kind: str, cache: dict[str, Facts]) -> TargetResult:
    """One target's result for a server kind (its host name in the certificate)."""
    if kind == "unreachable":
        return TargetResult(
            target=ref, state="timeout", reason="connection timed out", duration=5.0
        )
    base = cache.setdefault(kind, server(kind, "x"))
    facts = replace(
        base,
        certificate=replace(
            base.certificate,
            hostname=ref.host,  # type: ignore[arg-type]
            chain=(
                replace(
                    base.certificate.chain[0],
                    subject=f"CN={ref.host}",  # type: ignore[union-attr]
                    sans=(ref.host,),
                ),
                *base.certificate.chain[1:],
            ),
        ),
    )  # type: ignore[union-attr]
    return TargetResult(target=ref, facts=facts, duration=1.0)


def write_snapshot(args: tuple[Path, int, int, int]) -> None:
    """Write snapshot number ``week`` (run in a worker process: generation is only set-up)."""
    history_dir, targets, snapshots, week = args
    taken = FIRST + timedelta(weeks=week)
    cache: dict[str, Facts] = {}
    results = []
    for ref, (before, after, change) in zip(refs(targets), plan(targets, snapshots), strict=True):
        kind = after if 0 <= change <= week else before
        results.append(target_result(ref, kind, cache))
    snap = Snapshot(
        list_slug=SLUG,
        title="Scale bench: 1,000 sites",
        kind="scan",
        taken=taken.strftime("%Y-%m-%dT%H:%M:%SZ"),
        results=tuple(results),
        versions={"tlsreport": "bench", "sslyze": "6.3.1", "schema": "1"},
    )
    History(history_dir).write(snap)


def generate(site: Path, targets: int, snapshots: int, posts: int) -> None:
    """History, target list and posts for the big site (the part not measured)."""
    history = site / "history"
    history.mkdir(parents=True)
    (site / "targets").mkdir()
    lines = ['title = "Scale bench: 1,000 sites"', f'slug = "{SLUG}"', "scan = false"]
    for ref in refs(targets):
        lines += [
            "",
            "[[target]]",
            f'name = "{ref.name}"',
            f'host = "{ref.host}"',
            f'group = ["{ref.group[0]}"]',
        ]
    (site / "targets" / f"{SLUG}.toml").write_text("\n".join(lines) + "\n")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(write_snapshot, [(history, targets, snapshots, w) for w in range(snapshots)]))
    posts_dir = site / "content" / "posts"
    posts_dir.mkdir(parents=True)
    for p in range(posts):
        week = min(snapshots - 1, (p + 1) * snapshots // posts - 1)
        day = (FIRST + timedelta(weeks=week, hours=6)).strftime("%Y-%m-%d %H:%M")
        (posts_dir / f"report-{p + 1:02d}.md").write_text(
            f"Title: Scale report {p + 1}\nDate: {day}\nCategory: Bench\n"
            f"Series: Scale\n\nWeek {week + 1} of the big list.\n\n"
            f"[tlsreport changes list={SLUG}]\n\n"
            f"[tlsreport grades list={SLUG} group=even]\n\n"
            f"[tlsreport chart list={SLUG} kind=history]\n"
        )


# Builds named here run with extra settings (``--cache-off``: this checkout without its
# history cache, to price what the cache costs a cold build and saves a warm one).
EXTRA_SETTINGS: dict[str, dict[str, object]] = {"no-cache": {"TLSREPORT_BUILD_CACHE": False}}


def build_cmd(
    site: Path, out: Path, cache: Path, tree: Path = ROOT, extra: dict[str, object] | None = None
) -> list[str]:
    overrides = {
        "TLSREPORT_SCAN": "never",
        "CACHE_PATH": str(cache),
        "TLSREPORT_HISTORY_DIR": str(site / "history"),
        "TLSREPORT_TARGETS_DIR": str(site / "targets"),
        "TLSREPORT_ERRORS": "fail",
        **(extra or {}),
    }
    return [
        str(PELICAN),
        str(site / "content"),
        "-o",
        str(out),
        "-s",
        str(tree / "pelican.conf.py"),
        "-q",
        "-e",
        *(f"{k}={json.dumps(v)}" for k, v in overrides.items()),
    ]


GOAL = 0.20  # issue 17: a rebuild after one small change costs <= 20 % of the full build
STEPS = ("full build", "warm, no change", "one new snapshot", "one edited post")


@dataclass(frozen=True)
class Touched:
    """What a build did to the output folder, from its state before and after."""

    written: int  # files new or with a new modification time (what the build wrote)
    changed: int  # files new or with other bytes (what a reader sees change)
    removed: int
    total: int

    def text(self) -> str:
        return (
            f"output: {self.written} of {self.total} files written, {self.changed} with new "
            f"bytes, {self.removed} removed"
        )


def output_state(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every output file's modification time and a hash of its bytes, by relative path."""
    state = {}
    for path in out.rglob("*"):
        if path.is_file():
            digest = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
            state[path.relative_to(out).as_posix()] = (path.stat().st_mtime_ns, digest)
    return state


def touched(before: dict[str, tuple[int, bytes]], after: dict[str, tuple[int, bytes]]) -> Touched:
    return Touched(
        written=sum(1 for k, (mtime, _) in after.items() if before.get(k, (None,))[0] != mtime),
        changed=sum(1 for k, (_, digest) in after.items() if before.get(k, (0, None))[1] != digest),
        removed=sum(1 for k in before if k not in after),
        total=len(after),
    )


def copy_site(site: Path, dest: Path) -> Path:
    """A copy of the site the steps may change: history hard-linked (``cp -al``: History.write
    adds a new file, never rewrites one, so the bench data is not touched), content, target
    list and post lock file copied."""
    dest.mkdir(parents=True)
    subprocess.run(["cp", "-al", str(site / "history"), str(dest / "history")], check=True)
    shutil.copytree(site / "content", dest / "content")
    shutil.copytree(site / "targets", dest / "targets")
    lock = site / "tlsreport-lock.json"  # the lock file sits beside the history folder
    if lock.exists():
        shutil.copy2(lock, dest / lock.name)
    return dest


def add_snapshot(site: Path, original: Path, snapshots: int, changed: int = 3) -> str:
    """One more snapshot a day after the newest: a copy of it where ``changed`` targets (spread
    over the list) switched to the next server kind, written through ``History.write``."""
    history = History(site / "history")
    newest = history.latest(SLUG)
    assert newest is not None
    results = list(newest.results)
    kinds = plan(len(results), snapshots)  # each target's kind in the newest snapshot
    cache: dict[str, Facts] = {}
    switched = []
    for n in range(changed):
        i = n * len(results) // changed
        old = results[i]
        before, after, week = kinds[i]
        kind = after if 0 <= week <= snapshots - 1 else before
        new = KINDS[(KINDS.index(kind) + 1) % len(KINDS)]
        results[i] = target_result(old.target, new, cache)
        switched.append(f"{old.target.name} {kind} -> {new}")
    # A day after the newest (a rescan during the week; a week later would be in the future).
    taken = (newest.taken_at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = history.write(replace(newest, taken=taken, results=tuple(results)))
    if (original / "history" / SLUG / path.name).exists() or path.stat().st_nlink != 1:
        raise SystemExit(f"the new snapshot {path} reached the bench data in {original}")
    return f"{path.name}: {', '.join(switched)}"


def edit_post(site: Path) -> str:
    """Append a sentence to one post (the middle one) of the copied content."""
    posts = sorted((site / "content" / "posts").glob("*.md"))
    post = posts[len(posts) // 2]
    with post.open("a") as f:
        f.write("\nOne more sentence, added by the bench to measure an edited post.\n")
    return post.name


def build(cmd: list[str], tree: Path, log: Path, timeout: float, what: str) -> Measured:
    """One measured build; a failed build stops the bench with its log's end."""
    m = run_measured(cmd, env=plugin_env(tree), timeout=timeout, log=log)
    if m.returncode == -9:
        raise SystemExit(f"{what}: NOT FINISHED after {timeout:.0f} s (killed): {m.line()}")
    if m.returncode != 0:
        raise SystemExit(
            f"{what} failed ({m.returncode}):\n{log.read_text(errors='replace')[-3000:]}"
        )
    return m


def incremental(
    site: Path, tmp: Path, name: str, tree: Path, run: int, snapshots: int, timeout: float
) -> list[Measured]:
    """The four steps on a copy of the site, all with one output folder and one CACHE_PATH."""
    work = copy_site(site, tmp / f"{name}-site-{run}")
    out, cache = tmp / f"{name}-out-{run}", tmp / f"{name}-cache-{run}"
    # the same command (same output, cache) each step
    cmd = build_cmd(work, out, cache, tree, EXTRA_SETTINGS.get(name))
    changes = {
        "one new snapshot": lambda: add_snapshot(work, site, snapshots),
        "one edited post": lambda: edit_post(work),
    }
    measured: list[Measured] = []
    before: dict[str, tuple[int, bytes]] = {}
    for step in STEPS:
        what = changes[step]() if step in changes else ""
        m = build(cmd, tree, tmp / f"{name}-{run}-{step.replace(' ', '-')}.log", timeout, step)
        after = output_state(out)
        cached = sum(1 for p in cache.rglob("*") if p.is_file())
        ratio = (
            f"{m.wall / measured[0].wall:.2f} of the full build (goal <= {GOAL:.2f}), cpu "
            f"{m.cpu / measured[0].cpu:.2f}"
            if measured
            else "fresh output and cache"
        )
        measured.append(m)
        print(
            f"run {run + 1} {name:9} {step:17}: {m.line()}; {ratio}; "
            f"{touched(before, after).text()}; {cached} files in CACHE_PATH"
            + (f"; changed: {what}" if what else "")
            + f"; {load_note()}",
            flush=True,
        )
        before = after
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--regen", action="store_true", help="regenerate the site data")
    parser.add_argument("--profile", action="store_true", help="cProfile one more build")
    parser.add_argument("--timeout", type=float, default=1800, help="give up on a build")
    parser.add_argument("--runs", type=int, default=1, help="full builds per code version")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        default=None,
        help="also build commit REV's plugin (temporary git worktree)",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="after each full build: a warm rebuild, one new snapshot, one edited post",
    )
    parser.add_argument(
        "--cache-off",
        action="store_true",
        help="also build this checkout with TLSREPORT_BUILD_CACHE = False (tree 'no-cache')",
    )
    args = parser.parse_args()
    site = ROOT / "bench" / "out" / f"scale-{args.targets}-{args.snapshots}-{args.posts}"
    if args.regen and site.exists():
        shutil.rmtree(site)
    if not (site / "content").is_dir():
        started = time.perf_counter()
        if site.exists():
            shutil.rmtree(site)
        generate(site, args.targets, args.snapshots, args.posts)
        print(f"generated {site} in {time.perf_counter() - started:.1f} s")
    size = sum(p.stat().st_size for p in (site / "history").rglob("*.json"))
    print(
        f"site: {args.targets} targets, {args.snapshots} snapshots "
        f"({size / 2**20:.0f} MiB of JSON), {args.posts} posts"
    )

    started, cpu = time.perf_counter(), time.process_time()
    loaded, errors = History(site / "history").load_all(SLUG)
    load_all, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"History.load_all of every snapshot (this process): wall {load_all:.2f} s, "
        f"cpu {cpu:.2f} s ({len(loaded)} snapshots, {len(errors)} errors); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    del loaded

    with (
        tempfile.TemporaryDirectory(prefix="tlsreport-bench-scale-") as tmp_name,
        ExitStack() as stack,
    ):
        tmp = Path(tmp_name)
        trees = {"tlsreport": ROOT}
        if args.cache_off:
            trees["no-cache"] = ROOT
        if args.baseline:
            trees["baseline"] = stack.enter_context(baseline_worktree(args.baseline))
        print(
            f"code: tlsreport = {describe()}"
            + (f", baseline = {describe(args.baseline)}" if args.baseline else "")
        )
        names = list(trees)
        measured: dict[str, list[Measured]] = {name: [] for name in names}
        steps: dict[str, list[list[Measured]]] = {name: [] for name in names}
        for i in range(args.runs):
            order = names if i % 2 == 0 else names[::-1]  # alternate which goes first
            for name in order:
                if args.incremental:
                    ms = incremental(site, tmp, name, trees[name], i, args.snapshots, args.timeout)
                    measured[name].append(ms[0])
                    steps[name].append(ms)
                    continue
                out = tmp / f"{name}-out-{i}"
                cmd = build_cmd(
                    site, out, tmp / f"{name}-cache-{i}", trees[name], EXTRA_SETTINGS.get(name)
                )
                log = tmp / f"{name}-{i}.log"
                m = run_measured(cmd, env=plugin_env(trees[name]), timeout=args.timeout, log=log)
                if m.returncode == -9:
                    print(
                        f"run {i + 1} {name}: NOT FINISHED after {args.timeout:.0f} s "
                        f"(killed): {m.line()}"
                    )
                    return 1
                if m.returncode != 0:
                    raise SystemExit(
                        f"build failed ({m.returncode}):\n{log.read_text(errors='replace')[-3000:]}"
                    )
                files = sum(1 for p in out.rglob("*") if p.is_file())
                measured[name].append(m)
                print(
                    f"run {i + 1} {name:9} full build: {m.line()}, {files} files written; "
                    f"{load_note()}",
                    flush=True,
                )
                shutil.rmtree(out, ignore_errors=True)
        for name in names if args.runs else ():
            ms = measured[name]
            print(
                f"{name}: full build median wall {statistics.median(m.wall for m in ms):.1f} s,"
                f" cpu {statistics.median(m.cpu for m in ms):.1f} s, peak memory of the "
                f"process tree {max(m.peak_tree for m in ms) / 2**30:.2f} GiB PSS "
                f"({max(m.peak_tree_rss for m in ms) / 2**30:.2f} GiB summing RSS) over "
                f"{len(ms)} run(s) (goals <= 60 s, <= 2 GiB)"
            )
        for name in names if args.incremental and args.runs else ():
            full = statistics.median(ms[0].wall for ms in steps[name])
            full_cpu = statistics.median(ms[0].cpu for ms in steps[name])
            parts = []
            for k, step in enumerate(STEPS[1:], start=1):
                wall = statistics.median(ms[k].wall for ms in steps[name])
                cpu = statistics.median(ms[k].cpu for ms in steps[name])
                parts.append(
                    f"{step} {wall:.1f} s = {wall / full:.2f} (cpu {cpu:.1f} s = "
                    f"{cpu / full_cpu:.2f})"
                )
            print(
                f"{name}: incremental, median over {len(steps[name])} run(s): full build "
                f"{full:.1f} s (cpu {full_cpu:.1f} s); "
                + "; ".join(parts)
                + f" of the full build (goal <= {GOAL:.2f})"
            )
        if "baseline" in measured and args.runs:
            new, old = measured["tlsreport"], measured["baseline"]
            wall = statistics.median(m.wall for m in new) / statistics.median(m.wall for m in old)
            cpu = statistics.median(m.cpu for m in new) / statistics.median(m.cpu for m in old)
            print(f"tlsreport / baseline: wall {wall:.2f}x, cpu {cpu:.2f}x")
        if args.profile:
            profile(site, tmp)
    return 0


def profile(site: Path, tmp: Path, top: int = 30) -> None:
    import cProfile
    import logging
    import pstats

    from pelican import Pelican
    from pelican.settings import read_settings

    logging.getLogger("pelican").setLevel(logging.ERROR)
    overrides = {
        "PATH": str(site / "content"),
        "OUTPUT_PATH": str(tmp / "prof-out"),
        "CACHE_PATH": str(tmp / "prof-cache"),
        "TLSREPORT_SCAN": "never",
        "TLSREPORT_HISTORY_DIR": str(site / "history"),
        "TLSREPORT_TARGETS_DIR": str(site / "targets"),
    }
    # A full build first (not profiled), then a rebuild with nothing changed: what every
    # rebuild pays whatever changed, once history comes from the build cache.
    Pelican(read_settings(str(ROOT / "pelican.conf.py"), override=dict(overrides))).run()
    print("--- profile of a warm rebuild (nothing changed; cProfile, this process)")
    prof = cProfile.Profile()
    settings = read_settings(str(ROOT / "pelican.conf.py"), override=dict(overrides))
    prof.runcall(lambda: Pelican(settings).run())
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    sys.exit(main())
