"""Scanning on a dask cluster: a real ``LocalCluster`` of worker processes on 127.0.0.1.

The workers run the real scanner (sslyze) against the real lab; the tests compare with a
local scan of the same targets, kill a worker process while its shard is half done, and make
one shard kill every worker that runs it. Nothing is mocked: faults are real process deaths.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tlsreport import facts
from tlsreport.dask_scan import (
    DaskProgress,
    DaskUnavailable,
    ShardJob,
    ShardRecord,
    _raws_by_target,
    connect,
    scan_list_dask,
    scan_shard,
    shards,
)
from tlsreport.scan import ScanProgress
from tlsreport.targets import Target, TargetList, load_target_list

ROOT = Path(__file__).resolve().parents[2]


# --- pure ---------------------------------------------------------------------------------


def test_shards_cover_every_index_once_in_order() -> None:
    assert shards(7, 3) == [(0, 1, 2), (3, 4, 5), (6,)]
    assert shards(3, 5) == [(0, 1, 2)]
    assert shards(0, 4) == []
    for count, size in ((1, 1), (10, 3), (300, 50), (301, 50)):
        flat = [i for shard in shards(count, size) for i in shard]
        assert flat == list(range(count))
        assert all(1 <= len(s) <= size for s in shards(count, size))
    with pytest.raises(ValueError, match="at least 1"):
        shards(5, 0)


def test_raw_entries_are_matched_to_targets_not_zipped() -> None:
    targets = [Target(name=n, host=f"{n}.example", port=443) for n in ("a", "b", "c")]
    raw = {
        "server_scan_results": [
            {"server_location": {"hostname": "c.example", "port": 443}, "n": 3},
            {"server_location": {"hostname": "a.example", "port": 443}, "n": 1},
        ]
    }
    got = _raws_by_target(raw, targets)
    assert sorted(got) == [0, 2]  # b (unreachable: no raw entry) has none
    assert got[0]["n"] == 1 and got[2]["n"] == 3


@pytest.mark.parametrize("address", ["foo", "tcp://[::1", "tcp://127.0.0.1:notaport"])
def test_a_bad_scheduler_address_is_a_clear_error(address: str) -> None:
    with pytest.raises(DaskUnavailable, match=r"not a scheduler address.*tcp://HOST:PORT"):
        connect(address, timeout=30)  # a parse error is immediate; never a wait


# --- a real cluster ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Any:
    """Two single-threaded worker processes and a scheduler, all on 127.0.0.1."""
    import distributed  # requirements-dev.txt pins it: a missing extra fails, never skips

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        ) as started,
        distributed.Client(started) as client,
    ):
        client.wait_for_workers(2, timeout=120)
        yield started, client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _comparable(result: facts.TargetResult) -> tuple[Any, ...]:
    """What must not depend on where a target was scanned (not its duration)."""
    return (result.target, result.state, result.reason, result.facts)


def _lab_list(lab: Any, tmp_path: Path) -> TargetList:
    return load_target_list(
        lab.write_targets_toml(tmp_path / "lab.toml", title="TLS lab", slug="lab")
    )


@pytest.mark.lab
def test_cluster_scan_gives_the_facts_of_a_local_scan(
    lab: Any, lab_snapshot: Any, cluster: Any, tmp_path: Path
) -> None:
    _, client = cluster
    target_list = _lab_list(lab, tmp_path)
    seen: list[ScanProgress] = []
    log: list[ShardRecord] = []
    snapshot, raw = scan_list_dask(
        target_list,
        client,
        network_timeout=5.0,
        target_timeout=90.0,
        overall_timeout=300.0,
        concurrency=4,
        shard_size=4,
        progress=seen.append,
        shard_log=log,
    )
    local, local_raw = lab_snapshot
    assert [r.target for r in snapshot.results] == [t.ref() for t in target_list.targets]
    assert [_comparable(r) for r in snapshot.results] == [_comparable(r) for r in local.results]
    # sslyze's raw JSON comes back too, one entry per target that reached sslyze
    assert len(raw["server_scan_results"]) == len(local_raw["server_scan_results"])
    assert snapshot.versions["sslyze"] == local.versions["sslyze"]
    # the progress display saw every target exactly once, counting up to the total
    assert [p.done for p in seen] == list(range(1, len(target_list.targets) + 1))
    assert seen[-1].failures == sum(r.state != facts.STATE_OK for r in snapshot.results)
    # both worker processes took shards: it really was spread over the cluster
    assert len(log) == len(shards(len(target_list.targets), 4))
    assert {r.outcome for r in log} == {"scanned"}
    assert len({r.pid for r in log}) == 2


def _slow_shards_list(lab: Any, count: int) -> TargetList:
    """``count`` shards of two: a modern server (fast) and the silent one (one net timeout)."""
    modern, silent = lab.target("modern"), lab.target("silent")
    targets = []
    for n in range(count):
        targets.append(
            Target(
                name=f"modern {n}",
                host=f"m{n}.{modern.host}",
                port=modern.port,
                address="127.0.0.1",
            )
        )
        targets.append(
            Target(
                name=f"silent {n}",
                host=f"s{n}.{silent.host}",
                port=silent.port,
                address="127.0.0.1",
            )
        )
    return TargetList(
        path=Path("slow.toml"),
        title="slow",
        slug="slow",
        scan=True,
        ca_file=lab.ca_file,
        targets=tuple(targets),
    )


@pytest.mark.lab
def test_a_worker_killed_mid_shard_loses_no_target(lab: Any, cluster: Any) -> None:
    _, client = cluster
    target_list = _slow_shards_list(lab, 4)
    killed: list[tuple[int, int]] = []  # (pid, index of the finished target that told us)

    def kill_first_worker(p: ScanProgress) -> None:
        # The first finished target says which worker process is inside a shard whose other
        # target (the silent server) is still being scanned: kill that process there.
        if not killed and isinstance(p, DaskProgress) and p.pid:
            os.kill(p.pid, signal.SIGKILL)
            index = [t.ref() for t in target_list.targets].index(p.last.target)
            killed.append((p.pid, index))

    log: list[ShardRecord] = []
    snapshot, _ = scan_list_dask(
        target_list,
        client,
        network_timeout=5.0,
        target_timeout=60.0,
        overall_timeout=240.0,
        concurrency=2,
        shard_size=2,
        progress=kill_first_worker,
        shard_log=log,
    )
    assert killed, "no progress event came from a worker"
    pid, index = killed[0]
    # every target is in the snapshot, in the list's order, with what a local scan finds
    assert [r.target for r in snapshot.results] == [t.ref() for t in target_list.targets]
    states = [r.state for r in snapshot.results]
    assert states == ["ok", "timeout"] * 4, [(r.target.name, r.reason) for r in snapshot.results]
    # the killed worker's shard was run again, by another (or the restarted) worker process
    (record,) = [r for r in log if index in r.indices]
    assert record.outcome == "scanned" and record.pid != pid
    client.wait_for_workers(2, timeout=120)  # the nanny restarts it; the next test needs two


def _crash_on_first_shard(job: ShardJob) -> dict[str, Any]:
    """The task run on workers: shard 0 kills its worker process, every other one scans."""
    if job.number == 0:
        os._exit(17)
    return scan_shard(job)


def test_a_shard_that_kills_every_worker_is_recorded_not_dropped(cluster: Any) -> None:
    _, client = cluster
    # Refused ports: fast, real connection attempts, no lab needed.
    targets = tuple(
        Target(name=f"closed {n}", host=f"closed{n}.test", port=_free_port(), address="127.0.0.1")
        for n in range(6)
    )
    target_list = TargetList(
        path=Path("closed.toml"),
        title="closed",
        slug="closed",
        scan=True,
        ca_file=None,
        targets=targets,
    )
    before = client.run_on_scheduler(_set_allowed_failures, 0)
    try:
        log: list[ShardRecord] = []
        snapshot, _ = scan_list_dask(
            target_list,
            client,
            network_timeout=2.0,
            target_timeout=30.0,
            overall_timeout=120.0,
            concurrency=3,
            shard_size=3,
            shard_log=log,
            run_shard=_crash_on_first_shard,
        )
    finally:
        client.run_on_scheduler(_set_allowed_failures, before)
    assert [r.target for r in snapshot.results] == [t.ref() for t in targets]
    assert [r.state for r in snapshot.results] == ["error"] * 3 + ["refused"] * 3
    assert all("died" in (r.reason or "") for r in snapshot.results[:3])
    assert sorted((r.number, r.outcome) for r in log) == [(0, "killed"), (1, "scanned")]
    client.wait_for_workers(2, timeout=120)


def _set_allowed_failures(value: int, dask_scheduler: Any = None) -> int:
    """Run on the scheduler: how many worker deaths a task may cause before KilledWorker."""
    before = int(dask_scheduler.allowed_failures)
    dask_scheduler.allowed_failures = value
    return before


@pytest.mark.lab
def test_cli_scan_with_dask_writes_one_snapshot(lab: Any, cluster: Any, tmp_path: Path) -> None:
    started, _ = cluster
    path = lab.write_targets_toml(tmp_path / "lab.toml", title="TLS lab", slug="lab")
    out = tmp_path / "history"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tlsreport",
            "scan",
            str(path),
            "--out",
            str(out),
            "--dask",
            started.scheduler_address,
            "--shard-size",
            "6",
            "--timeout",
            "5",
            "--target-timeout",
            "90",
            "--overall-timeout",
            "300",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
    )
    assert proc.returncode == 0, proc.stderr
    (written,) = sorted(out.rglob("*.json"))[:1] or [None]
    assert written is not None and "snapshot:" in proc.stdout
    from tlsreport.history import History

    snapshot = History(out).load(proc.stdout.split("snapshot:")[-1].strip())
    assert len(snapshot.results) == len(lab.targets)


def test_cli_dask_without_a_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    targets = tmp_path / "one.toml"
    targets.write_text(
        'title = "One"\nscan = true\n\n[[target]]\nhost = "one.test"\naddress = "127.0.0.1"\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tlsreport",
            "scan",
            str(targets),
            "--out",
            str(tmp_path / "h"),
            "--dask",
            f"tcp://127.0.0.1:{_free_port()}",
            "--dask-connect-timeout",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
    )
    assert proc.returncode == 2, proc.stderr
    assert "cannot reach the scheduler" in proc.stderr
    assert not (tmp_path / "h").exists()


@pytest.mark.lab
def test_cli_dask_scan_stopped_by_sigterm_writes_nothing(
    lab: Any, cluster: Any, tmp_path: Path
) -> None:
    """SIGTERM mid-run (shards out on the cluster) ends like Ctrl-C: exit 130, no snapshot,
    and the cluster still scans afterwards."""
    started, client = cluster
    silent = lab.target("silent")
    lines = ['title = "Silent"', 'slug = "silent"', "scan = true"]
    for n in range(4):
        lines += [
            "",
            "[[target]]",
            f'host = "s{n}.{silent.host}"',
            f"port = {silent.port}",
            'address = "127.0.0.1"',
        ]
    path = tmp_path / "silent.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "history"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tlsreport",
            "scan",
            str(path),
            "--out",
            str(out),
            "--dask",
            started.scheduler_address,
            "--shard-size",
            "1",
            "--timeout",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
    )
    try:
        assert proc.stderr is not None
        assert "scanning 4 targets" in proc.stderr.readline()
        # wait (bounded) until the run's shards run on the workers: each holds a worker for
        # 20 s on the silent server
        for _ in range(600):
            if any(
                str(key).startswith("tlsreport-shard-")
                for keys in client.processing().values()
                for key in keys
            ):
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted; no snapshot written" in err
    assert not out.exists() or not any(out.rglob("*.json"))
    # the cluster still scans: a fresh run over a refused port comes back at once
    refused = TargetList(
        path=Path("r.toml"),
        title="r",
        slug="r",
        scan=True,
        ca_file=None,
        targets=(
            Target(name="closed", host="closed.test", port=_free_port(), address="127.0.0.1"),
        ),
    )
    snapshot, _ = scan_list_dask(
        refused, client, network_timeout=2.0, target_timeout=30.0, overall_timeout=120.0
    )
    assert [r.state for r in snapshot.results] == ["refused"]
