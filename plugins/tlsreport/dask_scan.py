"""Scanning one target list on a dask.distributed cluster: shards out, facts back, one snapshot.

Why this shape:

- **The same bounded scan everywhere.** A worker runs ``scan.scan_list`` (the one public
  entry point of the scanner; after the scanner's split it stays the function that scans a
  list with per-target and overall bounds) on its shard, so a target scanned on a cluster
  gets exactly the probe, the sslyze commands, the normalisation and the bounds of a local
  scan. Nothing about sslyze is reimplemented here.
- **The client owns history.** Workers never touch the disk of history: they send back each
  result in its JSON form (``facts.to_json``, plain dicts: no pickled classes cross the wire
  on the way back) with sslyze's raw JSON, and the client writes the one snapshot atomically
  (``History.write``), as a local scan does.
- **No target is lost.** A shard whose worker dies is rescheduled by the scheduler onto
  another worker (dask's own lineage: the task is simply run again; a scan is idempotent).
  A shard that kills ``allowed-failures`` workers in a row (dask's ``KilledWorker``), that
  raises, or that has not come back when the run's bound is over, has each of its targets
  recorded as ``error``/``timeout`` with the reason: every target of the list is in the
  snapshot, in the list's order.
- **One clock for the run.** The client decides the snapshot's time and the run's deadline
  and passes both to every shard (the deadline as epoch seconds: a shard started late gets
  only what is left), so facts that depend on the date (an expired certificate) are the same
  whichever worker scanned them.
- **Live progress.** Each worker publishes one event per finished target on a topic of its
  own run (``Worker.log_event``); the client turns them into the same ``ScanProgress`` the
  local progress bar reads. Progress is only display: the snapshot is built from the
  shards' return values.

dask is an optional dependency (``pip install "dask[distributed]"``): this module imports it
inside functions, so importing tlsreport never needs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import facts
from .scan import ScanProgress, scan_list
from .targets import Target, TargetList
from .version import __version__

DEFAULT_SHARD_SIZE = 50
# After the run's own bound, how long the client still waits for shards in flight (results
# on the wire, a worker finishing its last target's bound) before it records them as lost.
RETURN_GRACE = 30.0
POLL_INTERVAL = 0.1


class DaskUnavailable(RuntimeError):
    """dask.distributed is not installed, or the scheduler cannot be reached."""


@dataclass(frozen=True)
class DaskProgress(ScanProgress):
    """``ScanProgress`` plus where the target was scanned (worker address and process id)."""

    worker: str = ""
    pid: int = 0


@dataclass(frozen=True)
class ShardJob:
    """What one task carries to a worker: plain, picklable data only."""

    run: str  # the run's id: the progress topic
    number: int
    indices: tuple[int, ...]  # positions of the shard's targets in the list
    targets: tuple[Target, ...]
    title: str
    slug: str
    ca_pem: bytes | None  # the list's CA file travels as bytes: workers do not share our disk
    started_at: datetime  # the snapshot's time, decided by the client
    deadline: float  # epoch seconds: end of the run's overall bound
    network_timeout: float
    target_timeout: float
    concurrency: int


@dataclass(frozen=True)
class ShardRecord:
    """How one shard ended: who answered it (empty when lost) and its targets' positions."""

    number: int
    indices: tuple[int, ...]
    outcome: str  # "scanned" | "killed" | "failed" | "cancelled" | "unreadable" | "late"
    worker: str = ""
    pid: int = 0


def shards(count: int, size: int) -> list[tuple[int, ...]]:
    """Indices 0..count-1 cut into consecutive shards of at most ``size`` (list order kept)."""
    if size < 1:
        raise ValueError("shard size must be at least 1")
    return [tuple(range(start, min(count, start + size))) for start in range(0, count, size)]


def progress_topic(run: str) -> str:
    return f"tlsreport-scan-{run}"


def scan_shard(job: ShardJob) -> dict[str, Any]:
    """Run on a worker: the bounded local scan of one shard; results as JSON, in shard order.

    Returns ``{"results": [(index, result_json, raw_or_None), ...], "sslyze": version,
    "tlsreport": version, "worker": address, "pid": pid}``.
    """
    _quiet_warnings()
    worker = _current_worker()
    address = getattr(worker, "address", "") or ""
    pid = os.getpid()
    topic = progress_topic(job.run)

    def progress(p: ScanProgress) -> None:
        if worker is None:
            return
        index = _index_of(job, p.last)
        with contextlib.suppress(Exception):  # display only: never fail a shard for it
            # as JSON text: the event path's msgpack would turn lists into tuples
            worker.log_event(
                topic,
                {
                    "index": index,
                    "result": json.dumps(facts.to_json(p.last)),
                    "worker": address,
                    "pid": pid,
                },
            )

    left = job.deadline - time.time()
    with tempfile.TemporaryDirectory(prefix="tlsreport-shard-") as tmp:
        ca_file: Path | None = None
        if job.ca_pem is not None:
            ca_file = Path(tmp) / "ca.pem"
            ca_file.write_bytes(job.ca_pem)
        shard_list = TargetList(
            path=Path(f"{job.slug}.toml"),
            title=job.title,
            slug=job.slug,
            scan=True,
            ca_file=ca_file,
            targets=job.targets,
        )
        snapshot, raw = scan_list(
            shard_list,
            network_timeout=job.network_timeout,
            target_timeout=job.target_timeout,
            overall_timeout=max(left, 0.001),
            concurrency=job.concurrency,
            progress=progress,
            now=lambda: job.started_at,
        )
    raws = _raws_by_target(raw, job.targets)
    return {
        "results": [
            (index, facts.to_json(result), raws.get(i))
            for i, (index, result) in enumerate(zip(job.indices, snapshot.results, strict=True))
        ],
        "sslyze": snapshot.versions.get("sslyze", ""),
        "tlsreport": __version__,
        "worker": address,
        "pid": pid,
    }


def _index_of(job: ShardJob, result: facts.TargetResult) -> int:
    key = result.target.key
    for index, target in zip(job.indices, job.targets, strict=True):
        if target.key == key:
            return index
    return -1


def _raws_by_target(raw: dict, targets: Sequence[Target]) -> dict[int, dict]:
    """sslyze's raw entries of a shard, by position in the shard (matched on hostname and port).

    ``scan_list`` keeps raw entries in list order but skips targets without one (unreachable
    ones), so entries are matched to targets rather than zipped.
    """
    entries = list(raw.get("server_scan_results") or ())
    out: dict[int, dict] = {}
    for position, target in enumerate(targets):
        for n, entry in enumerate(entries):
            location = entry.get("server_location") or {}
            if location.get("hostname") == target.host and location.get("port") == target.port:
                out[position] = entries.pop(n)
                break
    return out


def _quiet_warnings() -> None:
    """sslyze's trust stores warn on every scan (lab notes, pitfall 7): not on every worker."""
    import warnings

    with contextlib.suppress(ImportError):
        from cryptography.utils import CryptographyDeprecationWarning

        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)


def _current_worker() -> Any:
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def connect(address: str, *, timeout: float = 30.0) -> Any:
    """A ``distributed.Client`` for ``address`` (``tcp://host:8786``), with a clear error."""
    try:
        from distributed import Client
    except ImportError:
        raise DaskUnavailable(
            "--dask needs dask.distributed: pip install 'dask[distributed]' (the "
            "pelican-tlsreport[dask] extra); see README, 'Scanning on a dask cluster'"
        ) from None
    from distributed.comm.addressing import parse_address, parse_host_port

    try:  # checked before a Client exists: a bad address is an argument error, not a wait
        parse_host_port(parse_address(address)[1])
    except ValueError as exc:
        raise DaskUnavailable(
            f"--dask {address}: not a scheduler address ({exc}); write it "
            "as tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786"
        ) from None
    try:
        return Client(address, timeout=timeout)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailable(f"--dask {address}: cannot reach the scheduler ({exc})") from None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def scan_list_dask(
    target_list: TargetList,
    client: Any,
    *,
    network_timeout: float = 5.0,
    target_timeout: float = 60.0,
    overall_timeout: float = 600.0,
    concurrency: int = 10,
    shard_size: int = DEFAULT_SHARD_SIZE,
    retries: int = 1,
    progress: Callable[[ScanProgress], None] | None = None,
    shard_log: list[ShardRecord] | None = None,
    now: Callable[[], datetime] = _utcnow,
    run_shard: Callable[[ShardJob], dict[str, Any]] = scan_shard,
) -> tuple[facts.Snapshot, dict]:
    """Scan a list on the cluster behind ``client``; returns what ``scan.scan_list`` returns.

    ``concurrency`` is per shard (each worker thread scans one shard at a time, that many
    targets at once). ``retries``: how often a shard that *raised* is run again (a shard
    whose worker *died* is rescheduled by the scheduler itself, up to its
    ``distributed.scheduler.allowed-failures``). ``run_shard`` is the task run on workers
    (tests pass one that crashes its worker); it must be importable on the workers.
    ``shard_log``, when given, gets one ``ShardRecord`` per shard (benches and tests read
    which worker process answered which shard).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    started_at = now().astimezone(UTC).replace(microsecond=0)
    taken = started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    targets = target_list.targets
    ca_pem = Path(target_list.ca_file).read_bytes() if target_list.ca_file else None
    run = uuid.uuid4().hex
    deadline = time.time() + overall_timeout
    jobs = [
        ShardJob(
            run=run,
            number=n,
            indices=indices,
            targets=tuple(targets[i] for i in indices),
            title=target_list.title,
            slug=target_list.slug,
            ca_pem=ca_pem,
            started_at=started_at,
            deadline=deadline,
            network_timeout=network_timeout,
            target_timeout=target_timeout,
            concurrency=concurrency,
        )
        for n, indices in enumerate(shards(len(targets), shard_size))
    ]

    results: list[facts.TargetResult | None] = [None] * len(targets)
    raws: list[dict | None] = [None] * len(targets)
    shown: set[int] = set()
    failures = 0
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    topic = progress_topic(run)

    def show(index: int, result: facts.TargetResult, worker: str = "", pid: int = 0) -> None:
        nonlocal failures
        if index in shown or not 0 <= index < len(targets):
            return
        shown.add(index)
        failures += result.state != facts.STATE_OK
        if progress is not None:
            progress(DaskProgress(len(shown), len(targets), failures, result, worker, pid))

    def on_event(event: Any) -> None:
        _, message = event  # (timestamp, msg)
        if isinstance(message, dict):
            events.put(message)

    def drain() -> None:
        while True:
            try:
                message = events.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(facts.SchemaError, KeyError, TypeError, ValueError):
                show(
                    int(message["index"]),
                    facts.from_json(facts.TargetResult, json.loads(message["result"]), "progress"),
                    str(message.get("worker", "")),
                    int(message.get("pid", 0)),
                )

    log: list[ShardRecord] = shard_log if shard_log is not None else []

    def lost(job: ShardJob, state: str, reason: str, outcome: str) -> None:
        log.append(ShardRecord(job.number, job.indices, outcome))
        for index in job.indices:
            results[index] = facts.TargetResult(
                target=targets[index].ref(), state=state, reason=reason
            )

    versions: set[str] = set()
    client.subscribe_topic(topic, on_event)
    pending: dict[Any, ShardJob] = {}
    try:
        for job in jobs:
            future = client.submit(
                run_shard,
                job,
                key=f"tlsreport-shard-{run}-{job.number}",
                retries=retries,
                pure=False,
            )
            pending[future] = job
        hard_deadline = time.monotonic() + overall_timeout + RETURN_GRACE
        while pending:
            drain()
            finished = [f for f in pending if f.done()]
            if not finished:
                if time.monotonic() > hard_deadline:
                    break
                time.sleep(POLL_INTERVAL)
                continue
            for future in finished:
                job = pending.pop(future)
                _collect(future, job, results, raws, versions, lost, log)
        for future, job in pending.items():
            future.cancel()
            lost(
                job,
                "timeout",
                f"{facts.UNREACHABLE_STATES['timeout']}: shard {job.number} "
                f"did not come back from the cluster within the run's overall "
                f"bound of {overall_timeout:g} s",
                "late",
            )
        drain()
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(topic)
    for index, result in enumerate(results):
        if result is not None:
            show(index, result)  # targets whose event never arrived still count

    completed_at = now().astimezone(UTC)
    final = tuple(r for r in results if r is not None)
    assert len(final) == len(targets)  # every slot is filled above: collected or lost
    snapshot = facts.Snapshot(
        list_slug=target_list.slug,
        title=target_list.title,
        taken=taken,
        kind="scan",
        results=final,
        versions={
            "tlsreport": __version__,
            "sslyze": ", ".join(sorted(versions)) or "unknown",
            "schema": str(facts.SCHEMA_VERSION),
        },
    )
    raw_doc = {
        "sslyze_version": snapshot.versions["sslyze"],
        "date_scans_started": taken,
        "date_scans_completed": completed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "server_scan_results": [r for r in raws if r is not None],
        "invalid_server_strings": [],
    }
    return snapshot, raw_doc


def _collect(
    future: Any,
    job: ShardJob,
    results: list[facts.TargetResult | None],
    raws: list[dict | None],
    versions: set[str],
    lost: Callable[[ShardJob, str, str, str], None],
    log: list[ShardRecord],
) -> None:
    """One finished shard into the run's slots; a failed or malformed one as lost targets."""
    from distributed import KilledWorker

    error = facts.UNREACHABLE_STATES["error"]
    if future.status == "cancelled":
        lost(job, "error", f"{error}: shard {job.number} was cancelled by the cluster", "cancelled")
        return
    exc = future.exception() if future.status == "error" else None
    if isinstance(exc, KilledWorker):
        lost(
            job,
            "error",
            f"{error}: every worker that ran shard {job.number} died ({type(exc).__name__})",
            "killed",
        )
        return
    if exc is not None:
        lost(
            job,
            "error",
            f"{error}: shard {job.number} failed on the cluster: {type(exc).__name__}: {exc}",
            "failed",
        )
        return
    try:
        answer = future.result()
        got = {}
        for index, result_json, raw in answer["results"]:
            got[int(index)] = (
                facts.from_json(facts.TargetResult, result_json, f"shard {job.number}"),
                raw,
            )
        if answer.get("sslyze"):
            versions.add(str(answer["sslyze"]))
    except Exception as exc:  # a worker of another tlsreport version, say
        lost(
            job,
            "error",
            f"{error}: shard {job.number} sent back an unreadable answer: "
            f"{type(exc).__name__}: {exc}",
            "unreadable",
        )
        return
    log.append(
        ShardRecord(
            job.number,
            job.indices,
            "scanned",
            str(answer.get("worker", "")),
            int(answer.get("pid", 0)),
        )
    )
    for index in job.indices:
        if index not in got:
            results[index] = facts.TargetResult(
                target=job.targets[job.indices.index(index)].ref(),
                state="error",
                reason=f"{error}: shard {job.number} came back without this target",
            )
            continue
        results[index], raws[index] = got[index]


def scan_on_cluster(
    address: str, target_list: TargetList, *, connect_timeout: float = 30.0, **options: Any
) -> tuple[facts.Snapshot, dict]:
    """``tlsreport scan LIST --dask ADDRESS``: connect, scan the list, disconnect."""
    client = connect(address, timeout=connect_timeout)
    try:
        return scan_list_dask(target_list, client, **options)
    finally:
        client.close()
