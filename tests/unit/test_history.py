"""History: atomic never-overwriting writes, per-list lock, tolerant loading, "as of"."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tlsreport import facts
from tlsreport.history import (
    History,
    SnapshotError,
    SnapshotInfo,
    needs_scan,
    pick_as_of,
)
from tlsreport.targets import Target, TargetList

REPO = Path(__file__).resolve().parents[2]


def snap(taken: str, slug: str = "banks", grade: str = "A") -> facts.Snapshot:
    target = facts.TargetRef(name="ING", host="www.ing.be")
    result = facts.TargetResult(
        target=target,
        facts=facts.Facts(
            protocols={"TLSv1.2": (facts.CipherSuite(name="TLS_X", bits=128),), "TLSv1.3": ()},
            hsts=facts.Hsts(present=True, max_age=31536000 if grade == "A" else 0),
        ),
    )
    return facts.Snapshot(
        list_slug=slug, title="Banks", taken=taken, results=(result,), versions={"schema": "1"}
    )


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_write_then_load_round_trips_with_raw_beside(tmp_path: Path) -> None:
    history = History(tmp_path)
    s = snap("2026-11-26T10:00:00Z")
    path = history.write(s, raw={"server_scan_results": [1, 2]})
    assert path == tmp_path / "banks" / "2026-11-26T100000Z.json"
    assert history.load(path) == s
    text = path.read_text()
    assert text == json.dumps(facts.to_json(s), indent=2, sort_keys=True) + "\n"
    (info,) = history.infos("banks")
    assert info.taken == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert history.load_raw(info) == {"server_scan_results": [1, 2]}
    assert gzip.decompress(info.raw_path.read_bytes())  # really gzip
    # Only the snapshot, its raw JSON and the lock: no temp files left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == [
        ".lock",
        "2026-11-26T100000Z.json",
        "2026-11-26T100000Z.sslyze.json.gz",
    ]
    assert history.lists() == ["banks"]


def test_history_never_overwrites_a_snapshot_taken_at_the_same_second(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.write(snap("2026-11-26T10:00:00Z"))
    before = tree(tmp_path)
    with pytest.raises(SnapshotError) as info:
        history.write(snap("2026-11-26T10:00:00Z", grade="B"))
    assert info.value.path.name == "2026-11-26T100000Z.json"
    assert tree(tmp_path) == before


def test_corrupt_and_unknown_version_named_while_others_load(tmp_path: Path) -> None:
    history = History(tmp_path)
    good = history.write(snap("2026-01-01T00:00:00Z"))
    history.write(snap("2026-03-01T00:00:00Z"))
    corrupt = tmp_path / "banks" / "2026-02-01T000000Z.json"
    corrupt.write_text('{"list_slug": "banks",\n  "schema": 1,\n  oops')
    future = tmp_path / "banks" / "2026-02-02T000000Z.json"
    data = json.loads(good.read_text())
    data["schema"] = 99
    future.write_text(json.dumps(data))
    bad_field = tmp_path / "banks" / "2026-02-03T000000Z.json"
    data["schema"] = 1
    data["results"][0]["state"] = 3
    bad_field.write_text(json.dumps(data))

    snapshots, errors = history.load_all("banks")
    assert [s.taken for s in snapshots] == ["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"]
    assert [e.path for e in errors] == [corrupt, future, bad_field]
    assert "line 3" in errors[0].message
    assert "schema" in errors[1].message and "99" in errors[1].message
    assert "results[0].state" in errors[2].message
    assert str(errors[1]).startswith(str(future))


def test_recorded_snapshot_with_facts_is_refused(tmp_path: Path) -> None:
    history = History(tmp_path)
    path = history.write(snap("2026-01-01T00:00:00Z"))
    data = json.loads(path.read_text())
    data["kind"] = "recorded"
    path2 = tmp_path / "banks" / "2026-01-02T000000Z.json"
    path2.write_text(json.dumps(data))
    with pytest.raises(SnapshotError, match=r"results\[0\]\.facts"):
        history.load(path2)


def test_as_of_picks_newest_at_or_before(tmp_path: Path) -> None:
    history = History(tmp_path)
    for taken in ("2015-02-15T12:00:00Z", "2015-02-16T12:00:00Z", "2015-03-03T12:00:00Z"):
        history.write(snap(taken))
    assert history.as_of("banks", datetime(2015, 2, 10, tzinfo=UTC)) is None
    got = history.as_of("banks", datetime(2015, 2, 16, 12, tzinfo=UTC))
    assert got is not None and got.taken == "2015-02-16T12:00:00Z"
    got = history.as_of("banks", datetime(2015, 3, 1))  # naive = UTC
    assert got is not None and got.taken == "2015-02-16T12:00:00Z"
    latest = history.latest("banks")
    assert latest is not None and latest.taken == "2015-03-03T12:00:00Z"
    assert history.latest("nothing") is None and history.infos("nothing") == []


def test_pick_as_of_is_pure_and_order_free() -> None:
    def info(day: int) -> SnapshotInfo:
        return SnapshotInfo(Path(f"{day}.json"), "x", datetime(2020, 1, day, tzinfo=UTC))

    infos = [info(5), info(1), info(3)]
    picked = pick_as_of(infos, datetime(2020, 1, 4, tzinfo=UTC))
    assert picked == info(3)
    assert pick_as_of(infos, datetime(2020, 1, 5, tzinfo=UTC)) == info(5)
    assert pick_as_of([], datetime(2020, 1, 5, tzinfo=UTC)) is None


def test_second_writer_waits_for_the_lock_or_refuses(tmp_path: Path) -> None:
    holder = History(tmp_path)
    (tmp_path / "banks").mkdir()
    impatient = History(tmp_path, lock_timeout=0.2)
    patient = History(tmp_path, lock_timeout=30)
    results: list[object] = []
    with holder._lock(tmp_path / "banks"):
        with pytest.raises(SnapshotError, match="another tlsreport run"):
            impatient.write(snap("2026-01-01T00:00:00Z"))
        worker = threading.Thread(
            target=lambda: results.append(patient.write(snap("2026-01-02T00:00:00Z")))
        )
        worker.start()
        worker.join(0.3)
        assert worker.is_alive() and results == []  # waiting, not writing
    worker.join(10)
    assert results == [tmp_path / "banks" / "2026-01-02T000000Z.json"]
    assert [i.path.name for i in holder.infos("banks")] == ["2026-01-02T000000Z.json"]


def test_concurrent_writers_of_one_list_do_not_corrupt(tmp_path: Path) -> None:
    history = History(tmp_path)
    outcomes: list[object] = []

    def write(taken: str) -> None:
        try:
            outcomes.append(history.write(snap(taken)))
        except SnapshotError as exc:
            outcomes.append(exc)

    takens = [f"2026-01-01T00:00:0{i % 4}Z" for i in range(8)]  # four names, two writers each
    workers = [threading.Thread(target=write, args=(t,)) for t in takens]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert sum(isinstance(o, Path) for o in outcomes) == 4
    assert sum(isinstance(o, SnapshotError) for o in outcomes) == 4
    snapshots, errors = history.load_all("banks")
    assert len(snapshots) == 4 and errors == []


def test_example_recorded_history_loads() -> None:
    history = History(REPO / "data" / "history")
    snapshots, errors = history.load_all("belgian-banks")
    assert errors == []
    assert snapshots and all(s.kind == "recorded" for s in snapshots)


def test_needs_scan_modes(tmp_path: Path) -> None:
    history = History(tmp_path)
    target = Target(name="x", host="x.test", port=443)
    live = TargetList(
        path=tmp_path / "banks.toml",
        title="B",
        slug="banks",
        scan=True,
        ca_file=None,
        targets=(target,),
    )
    archive = TargetList(
        path=tmp_path / "old.toml",
        title="O",
        slug="banks",
        scan=False,
        ca_file=None,
        targets=(target,),
    )
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    day = 24 * 3600.0
    assert needs_scan(history, live, now=now, max_age=day, mode="auto") is True  # no history
    history.write(snap("2026-11-26T00:00:00Z"))
    assert needs_scan(history, live, now=now, max_age=day, mode="auto") is False
    assert needs_scan(history, live, now=now, max_age=3600, mode="auto") is True
    assert needs_scan(history, live, now=now, max_age=day, mode="always") is True
    assert needs_scan(history, live, now=now, max_age=0, mode="never") is False
    for mode in ("auto", "always"):
        assert needs_scan(history, archive, now=now, max_age=0, mode=mode) is False
    with pytest.raises(ValueError, match="TLSREPORT_SCAN"):
        needs_scan(history, live, now=now, max_age=day, mode="sometimes")


def test_readme_recorded_history_example_loads(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Recorded history", 1)[1]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "belgian-banks" / "2015-03-03T120000Z.json"
    path.parent.mkdir()
    path.write_text(example)
    snapshot = History(tmp_path).load(path)
    assert snapshot.kind == "recorded"
    ing, europabank = snapshot.results
    assert ing.recorded is not None and ing.recorded.grade == "A-" and ing.facts is None
    assert europabank.state == "untestable" and europabank.recorded is None


def test_a_loaded_snapshot_shares_equal_parts_but_not_results(tmp_path: Path) -> None:
    """Equal parts of a snapshot are one object once loaded (memory, the build cache's size
    and speed); results stay distinct objects (the grader's memo knows them by identity)."""
    from gradekit import make_facts
    from sitekit import target

    results = [
        facts.TargetResult(target=target(name), facts=make_facts(), duration=1.0)
        for name in ("Argenta", "Belfius", "Argenta")
    ]
    written = facts.Snapshot(
        list_slug="banks",
        title="Banks",
        kind="scan",
        taken="2026-10-01T08:00:00Z",
        results=tuple(results),
    )
    path = History(tmp_path).write(written)
    loaded = History(tmp_path).load(path)
    assert loaded == written  # the same values
    one, two, same = loaded.results
    assert one == same and one is not same
    assert one.facts is not None and two.facts is not None and same.facts is not None
    assert one.facts.certificate is two.facts.certificate
    assert one.facts.protocols["TLSv1.2"] is two.facts.protocols["TLSv1.2"]
    assert one.target is same.target  # equal refs are one object; the results are not
    # Without share=True (other callers of from_json), nothing is shared.
    plain = facts.from_json(facts.Snapshot, facts.to_json(written))
    assert plain.results[0].facts.certificate is not plain.results[1].facts.certificate
