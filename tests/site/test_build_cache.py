"""The build cache (issue 17): what a build derived from history is kept, and never shows.

Each test builds a real site twice or three times with the real Pelican and compares the
output trees byte for byte: with and without the cache, cold and warm, after a damaged
cache, and after one snapshot of the history was edited. A warm build is also watched
while it runs: it must neither parse a snapshot file nor grade a result again.
"""

from __future__ import annotations

import gc
import pickle
from dataclasses import replace
from pathlib import Path

import pytest
import tlsreport.grading.result as grading_result
from gradekit import RC4, make_facts
from sitekit import build, post, recorded, snapshot, target, tree_bytes, write_history
from tlsreport.facts import Snapshot, TargetResult, to_json
from tlsreport.history import History, snapshot_to_text
from tlsreport.pelican_glue.cache import FOLDER, share_equal_parts

TARGETS = ("Argenta", "Belfius", "Crelan", "Deutsche Bank")


def _scan(taken: str, *, crelan_rc4: bool = False, belfius_hsts: bool = True) -> Snapshot:
    """A scanned snapshot of four banks; Crelan's and Belfius's servers vary."""
    results = []
    for name in TARGETS:
        facts = make_facts()
        if name == "Crelan" and crelan_rc4:
            facts = make_facts(add={"TLSv1.2": (RC4,)})
        if name == "Belfius" and not belfius_hsts:
            facts = replace(facts, hsts=None)
        results.append(TargetResult(target=target(name), facts=facts))
    return snapshot(taken, results, kind="scan")


def _site(root: Path) -> None:
    """A recorded start, three scans, two posts: part 1 shows the second snapshot, part 2
    the fourth; the fifth is only on the list's "latest" page."""
    write_history(
        root / "history",
        [
            snapshot("2015-02-15T12:00:00Z", [recorded(n, "B", "RC4 (insecure)") for n in TARGETS]),
            _scan("2026-10-01T08:00:00Z"),
            _scan("2026-10-08T08:00:00Z", belfius_hsts=False),
            _scan("2026-10-15T08:00:00Z", belfius_hsts=False),
            _scan("2026-10-22T08:00:00Z"),
        ],
    )
    body = """
    The banks this week.

    [tlsreport grades list=banks]

    [tlsreport changes list=banks]

    [tlsreport chart list=banks kind=history]
    """
    post(root, "part-1", body, Date="2026-10-02 10:00")
    post(root, "part-2", body, Date="2026-10-16 10:00")


def _build(root: Path, out: str, cache: str, *, on: bool = True) -> dict[str, bytes]:
    output = build(
        root,
        OUTPUT_PATH=str(root / out),
        CACHE_PATH=str(root / cache),
        TLSREPORT_BUILD_CACHE=on,
    )
    return tree_bytes(output)


def _entries(root: Path, cache: str) -> list[Path]:
    return sorted((root / cache / FOLDER).glob("*/*.pickle"))


def test_cache_on_and_off_build_the_same_site(tmp_path: Path) -> None:
    _site(tmp_path)
    off = _build(tmp_path, "out-off", "cache-off", on=False)
    cold = _build(tmp_path, "out-cold", "cache")
    warm = _build(tmp_path, "out-warm", "cache")
    assert not (tmp_path / "cache-off" / FOLDER).exists(), "cache off writes no entries"
    assert len(_entries(tmp_path, "cache")) == 5, "one entry per snapshot file"
    assert off.keys() == cold.keys() == warm.keys()
    assert [k for k in off if off[k] != cold[k]] == []
    assert [k for k in off if off[k] != warm[k]] == []
    assert any(k.startswith("tlsreport/banks/") for k in off), "the site has target pages"
    # History is frozen out of the garbage collector's sight during a build, not after it
    # (the devserver runs many builds in one process).
    assert gc.get_freeze_count() == 0


def test_a_warm_build_neither_parses_nor_grades_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _site(tmp_path)
    cold = _build(tmp_path, "out-cold", "cache")
    written = {p: p.stat().st_mtime_ns for p in _entries(tmp_path, "cache")}
    calls = {"parse": 0, "grade": 0}
    parse, grade = History.parse, grading_result.grade_result

    def counting_parse(path: Path, raw: bytes) -> Snapshot:
        calls["parse"] += 1
        return parse(path, raw)

    def counting_grade(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["grade"] += 1
        return grade(*args, **kwargs)

    monkeypatch.setattr(History, "parse", staticmethod(counting_parse))
    monkeypatch.setattr(grading_result, "grade_result", counting_grade)
    warm = _build(tmp_path, "out-warm", "cache")
    assert calls == {"parse": 0, "grade": 0}
    assert warm == cold
    # Nothing new was derived, so nothing was written again.
    assert {p: p.stat().st_mtime_ns for p in _entries(tmp_path, "cache")} == written

    # The same counters see the work when there is no cache: they can fail.
    _build(tmp_path, "out-off", "cache-off", on=False)
    assert calls["parse"] == 5 and calls["grade"] > 0


def test_a_damaged_or_foreign_cache_entry_is_read_again_from_history(tmp_path: Path) -> None:
    _site(tmp_path)
    cold = _build(tmp_path, "out-cold", "cache")
    entries = _entries(tmp_path, "cache")
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(entries[1].read_bytes()[:100])  # cut short
    entries[2].write_bytes(pickle.dumps({"some": "other object"}))
    stale = entries[0].parent.parent / "0123456789abcdef0123"  # another code version
    stale.mkdir()
    (stale / "x.pickle").write_bytes(b"old")
    again = _build(tmp_path, "out-again", "cache")
    assert again == cold
    assert not stale.exists(), "entries of other code versions are removed"
    for path in entries[:3]:
        assert pickle.loads(path.read_bytes()).key == path.stem  # written anew


def _edit_snapshot(root: Path, stem: str, change: Snapshot) -> None:
    """Rewrite one history file in place (as a hand edit or `git checkout` would)."""
    path = root / "history" / "banks" / f"{stem}.json"
    old = path.read_bytes()
    path.write_text(snapshot_to_text(change), encoding="utf-8")
    assert path.read_bytes() != old


def test_an_edited_snapshot_changes_the_pages_that_show_it_and_nothing_else(
    tmp_path: Path,
) -> None:
    _site(tmp_path)
    before = _build(tmp_path, "out", "cache")
    # Crelan accepted RC4 in the fourth snapshot: the one part 2 shows.
    _edit_snapshot(
        tmp_path,
        "2026-10-15T080000Z",
        _scan("2026-10-15T08:00:00Z", crelan_rc4=True, belfius_hsts=False),
    )
    after = _build(tmp_path, "out", "cache")
    full = _build(tmp_path, "out-full", "cache-full", on=False)
    # Same bytes as a full build without any cache (old chart files stay in "out": Pelican
    # does not empty its output folder, so only files both builds wrote are compared).
    assert {k: v for k, v in after.items() if k in full} == full
    assert set(full) <= set(after)

    changed = sorted(k for k in before if k in full and before[k] != full[k])
    added = sorted(k for k in full if k not in before)
    shows_crelan_fourth = {
        "part-2.html",  # its table, its change list, its chart
        "tlsreport/banks/crelan.html",  # Crelan's history
        "tlsreport/banks/crelan.atom.xml",
        "tlsreport/banks/index.html",  # the list's history chart counts every snapshot
    }
    assert shows_crelan_fourth <= set(changed), changed
    for name in changed:
        quotes_part_2 = b"part-2.html" in full[name] and b"RC4" in full[name]
        assert (
            name in shows_crelan_fourth
            or name.startswith("tlsreport/data/part-2")  # part 2's data as JSON/CSV
            or name == "tlsreport/banks.atom.xml"  # the list's feed says what changed when
            or quotes_part_2  # an index, category or feed page with part 2's text in it
        ), f"{name} changed though it does not show the edited snapshot"
    for name in ("part-1.html", "tlsreport/banks/argenta.html", "tlsreport/banks/belfius.html"):
        assert before[name] == full[name], f"{name} must not change"
    assert all(k.endswith(".svg") for k in added), added  # redrawn charts, new names
    # The edited file's old entry is gone: the cache holds one entry per snapshot file.
    assert len(_entries(tmp_path, "cache")) == 5


def test_sharing_equal_parts_keeps_values_and_results_apart() -> None:
    one = TargetResult(target=target("Argenta"), facts=make_facts())
    two = TargetResult(target=target("Belfius"), facts=make_facts())
    same = TargetResult(target=target("Argenta"), facts=make_facts())
    snap = snapshot("2026-10-01T08:00:00Z", [one, two, same], kind="scan")
    shared = share_equal_parts(snap)
    assert shared is snap and shared.results[0] is one and shared.results[2] is same
    assert one == same and one is not same, "results stay distinct objects (memo keys)"
    assert one.facts is not None and two.facts is not None and same.facts is not None
    assert one.facts.certificate is same.facts.certificate, "equal parts are one object"
    assert one.facts.protocols["TLSv1.2"] is two.facts.protocols["TLSv1.2"]
    assert one.facts.protocols is not same.facts.protocols, "dicts are mutable: never shared"
    assert to_json(shared) == to_json(
        snapshot(
            "2026-10-01T08:00:00Z",
            [
                TargetResult(target=target(n), facts=make_facts())
                for n in ("Argenta", "Belfius", "Argenta")
            ],
            kind="scan",
        )
    )
    # True, 1 and 1.0 are equal in Python; parts holding them must not be merged.
    mixed = share_equal_parts(((True,), (1,), (1.0,), (-0.0,), (0.0,)))
    assert [type(t[0]) for t in mixed] == [bool, int, float, float, float]
    assert str(mixed[3][0]) == "-0.0"


def test_a_warm_build_compiles_no_template_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The theme's templates too keep their compiled form in CACHE_PATH (Pelican compiles
    every template on every build; that was a third of a warm example build)."""
    import jinja2

    _site(tmp_path)
    cold = _build(tmp_path, "out-cold", "cache")
    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    warm = _build(tmp_path, "out-warm", "cache")
    assert warm == cold
    assert compiled == [], f"compiled again: {compiled}"
