"""Bad input, case by case: each is refused with file, line, field and what to do, and the
recorded history is left exactly as it was (hashed before and after).

The cases go through the same doors a blogger uses: ``python -m tlsreport scan`` (its
``main``, in-process so the catalogue stays fast) for target lists, ``History``/``show`` for
snapshots, and a real Pelican build for posts and settings. A check that an error *happens*
is not enough; each case also pins the words that tell the reader where and what to fix.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sitekit import build, post, recorded, snapshot, soup, write_history
from tlsreport.cli import main
from tlsreport.facts import Recorded, Snapshot, TargetRef, TargetResult, to_json
from tlsreport.history import History, SnapshotError, needs_scan
from tlsreport.pelican_glue.fill import DirectiveBuildError
from tlsreport.pelican_glue.settings import SettingsError
from tlsreport.targets import load_target_list


def tree_hash(root: Path) -> str:
    """One hash over every path and byte under ``root``: any change, any new file, shows."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
        digest.update(b"\1")
    return digest.hexdigest()


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A history holding two snapshots (one with its raw file) of the list being edited."""
    root = tmp_path / "history"
    store = History(root)
    store.write(
        Snapshot(
            list_slug="banks",
            title="Banks",
            taken="2015-02-15T12:00:00Z",
            kind="recorded",
            results=(
                TargetResult(
                    TargetRef("ING", "www.ing.be"), recorded=Recorded("F", ("SSL3 (insecure)",))
                ),
            ),
        )
    )
    store.write(
        Snapshot(list_slug="banks", title="Banks", taken="2015-03-03T12:00:00Z"),
        raw={"server_scan_results": []},
    )
    return root


# --- target lists ----------------------------------------------------------------------------

# Every target here connects to 127.0.0.1 only, so even if a protection went away and a list
# were scanned, no outside host would be contacted.
LOOP = 'address = "127.0.0.1"\n'
T = "[[target]]\n" + LOOP + 'host = "bank.lab.test"\n'  # a good target (lines 1-3)

# id -> (list text, line or None, field, words of the message, words of the advice)
TARGET_LIST_CASES: dict[str, tuple[str, int | None, str, str, str]] = {
    "toml-syntax": (
        'title = "Banks"\n[[target]]\nhost = bank.lab.test\n',
        3,
        "toml",
        "syntax error",
        "strings need quotes",
    ),
    "unknown-top-key": (
        'title = "Banks"\nscna = true\n' + T,
        2,
        "scna",
        "unknown key",
        "allowed at the top",
    ),
    "unknown-target-key": (
        T + "prot = 443\n",
        4,
        "target[1].prot",
        "unknown key",
        "allowed: added, address",
    ),
    "missing-host": (
        'title = "Banks"\n\n[[target]]\n' + LOOP + 'name = "ING"\n',
        3,
        "target[1].host",
        "missing",
        "every target needs host = ",
    ),
    "port-0": (T + "port = 0\n", 4, "target[1].port", "0 is not a port number", "from 1 to 65535"),
    "port-70000": (
        T + "port = 70000\n",
        4,
        "target[1].port",
        "70000 is not a port number",
        "from 1 to 65535",
    ),
    "port-abc": (
        T + 'port = "abc"\n',
        4,
        "target[1].port",
        "'abc' is not a port number",
        "from 1 to 65535",
    ),
    "unknown-service": (
        T + 'service = "ftp"\n',
        4,
        "target[1].service",
        "unknown service 'ftp'",
        "use one of: https, smtp",
    ),
    "duplicate-target": (
        T + "\n[[target]]\n" + LOOP + 'name = "ING again"\nhost = "BANK.LAB.TEST"\n',
        5,
        "target[2].host",
        "duplicate target bank.lab.test:443/https (also target[1])",
        "list each host, port and service once",
    ),
    "host-with-scheme": (
        "[[target]]\n" + LOOP + 'host = "https://www.ing.be"\n',
        3,
        "target[1].host",
        "is not a host name",
        'host = "www.ing.be" (no scheme, no path',
    ),
    "host-with-path": (
        "[[target]]\n" + LOOP + 'host = "www.ing.be/login"\n',
        3,
        "target[1].host",
        "is not a host name",
        'the page goes in path = "/login"',
    ),
    # Decision: an international name is refused, with the punycode form to write instead.
    "idn-host": (
        "[[target]]\n" + LOOP + 'name = "Bücher"\nhost = "bücher.example"\n',
        4,
        "target[1].host",
        "'bücher.example' is not a host name",
        'host = "xn--bcher-kva.example"',
    ),
    "empty-list": (
        'title = "Banks"\nscan = true\n',
        None,
        "target",
        "no targets to scan",
        "add a [[target]] table",
    ),
    "ca-file-missing": (
        'ca_file = "nope.pem"\n' + T,
        1,
        "ca_file",
        "nope.pem does not exist",
        "give the path of a PEM file, relative to this list",
    ),
    "ca-file-not-pem": (
        'ca_file = "notes.txt"\n' + T,
        1,
        "ca_file",
        "notes.txt holds no PEM certificate",
        "-----BEGIN CERTIFICATE-----",
    ),
    "slug-dot-dot": (
        'slug = "../../etc"\n' + T,
        1,
        "slug",
        "'../../etc' is not a valid slug",
        "it names a directory",
    ),
}


@pytest.mark.parametrize("case", sorted(TARGET_LIST_CASES))
def test_bad_target_list_is_refused_naming_file_line_field(
    case: str, tmp_path: Path, history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, line, field, message, advice = TARGET_LIST_CASES[case]
    lists = tmp_path / "targets"
    lists.mkdir()
    (lists / "notes.txt").write_text("not a certificate\n")
    path = lists / "banks.toml"
    path.write_text(text, encoding="utf-8")
    before = tree_hash(history)
    assert main(["scan", str(path), "--out", str(history), "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    where = f"{path}:{line}" if line else f"{path}"
    assert f"{where}: {field}: " in err
    assert message in err and advice in err and " — " in err
    assert tree_hash(history) == before


def test_a_5000_target_list_loads_and_a_duplicate_at_its_end_is_located(tmp_path: Path) -> None:
    """Big lists are fine (no limit); the line finder still points at the right place."""
    body = "".join(f'[[target]]\nhost = "t{i}.example"\n\n' for i in range(5000))
    path = tmp_path / "big.toml"
    path.write_text('title = "Big"\n\n' + body)
    assert len(load_target_list(path).targets) == 5000
    path.write_text(
        'title = "Big"\n\n' + body + '[[target]]\nname = "again"\nhost = "t42.example"\n'
    )
    with pytest.raises(
        ValueError,
        match=rf"big\.toml:{3 + 5000 * 3}: target\[5001\]\.host: "
        r"duplicate target t42\.example:443/https "
        r"\(also target\[43\]\)",
    ):
        load_target_list(path)


# --- snapshots -------------------------------------------------------------------------------


def _good(taken: str = "2015-03-10T12:00:00Z", grade: str = "A") -> dict:
    return to_json(
        Snapshot(
            list_slug="banks",
            title="Banks",
            taken=taken,
            kind="recorded",
            results=(TargetResult(TargetRef("ING", "www.ing.be"), recorded=Recorded(grade)),),
        )
    )


def _truncated(d: Path) -> Path:
    text = json.dumps(_good(), indent=2)
    # Cut just inside the first result (a fixed place, whatever fields a result grows).
    cut = text.index("{", text.index('"results"')) + 1
    (p := d / "2015-03-10T120000Z.json").write_text(text[:cut])
    return p


def _unknown_schema(d: Path) -> Path:
    (p := d / "2015-03-10T120000Z.json").write_text(json.dumps({**_good(), "schema": 3}))
    return p


def _same_time(d: Path) -> Path:
    """A copy of an existing snapshot under another name: two snapshots of one moment."""
    p = d / "2015-03-10T120000Z.json"
    shutil.copyfile(d / "2015-03-03T120000Z.json", p)
    return p


def _not_a_grade(d: Path) -> Path:
    (p := d / "2015-03-10T120000Z.json").write_text(json.dumps(_good(grade="A++")))
    return p


# id -> (make the bad file, words of the message)
SNAPSHOT_CASES = {
    "truncated-json": (
        _truncated,
        "not valid JSON (Expecting property name enclosed in double "
        "quotes) — restore the file from git, or fix it by hand",
    ),
    "unknown-schema-version": (
        _unknown_schema,
        "schema: unknown version 3 (this tlsreport "
        "reads versions 1, 2) — a newer tlsreport "
        "wrote it: upgrade tlsreport",
    ),
    "two-snapshots-same-time": (
        _same_time,
        "Snapshot.taken: '2015-03-03T12:00:00Z' does not "
        "match the file name; rename the file to "
        "2015-03-03T120000Z.json",
    ),
    "recorded-grade-not-a-grade": (
        _not_a_grade,
        "Snapshot.results[0].recorded.grade: 'A++' is not a grade",
    ),
}


@pytest.mark.parametrize("case", sorted(SNAPSHOT_CASES))
def test_bad_snapshot_is_named_and_the_others_still_load(
    case: str, history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, message = SNAPSHOT_CASES[case]
    bad = make(history / "banks")
    before = tree_hash(history)
    snapshots, errors = History(history).load_all("banks")
    assert [s.taken for s in snapshots] == ["2015-02-15T12:00:00Z", "2015-03-03T12:00:00Z"]
    assert [e.path for e in errors] == [bad]
    assert str(errors[0]).startswith(f"{bad}: ") and message in str(errors[0])
    assert main(["show", str(bad)]) == 2
    assert f"{bad}: " in capsys.readouterr().err
    assert tree_hash(history) == before


@pytest.mark.parametrize(
    "garbage",
    [b"not gzip at all", b"\x1f\x8b\x08\x00" + b"junk" * 8],
    ids=["not-gzip", "gzip-header-then-junk"],
)
def test_garbage_raw_file_is_named_and_its_snapshot_still_loads(
    history: Path, garbage: bytes
) -> None:
    store = History(history)
    info = store.infos("banks")[-1]
    assert store.load_raw(info) == {"server_scan_results": []}
    info.raw_path.write_bytes(garbage)
    before = tree_hash(history)
    with pytest.raises(SnapshotError) as exc:
        store.load_raw(info)
    assert exc.value.path == info.raw_path and "cannot be read" in str(exc.value)
    assert store.load(info).taken == "2015-03-03T12:00:00Z"
    assert tree_hash(history) == before


def test_snapshot_dated_in_the_future_stops_scheduling_with_its_name(
    history: Path, tmp_path: Path
) -> None:
    """Otherwise "auto" would wait until 2999 for its next scan, silently."""
    future = _good(taken="2999-01-01T00:00:00Z")
    path = history / "banks" / "2999-01-01T000000Z.json"
    path.write_text(json.dumps(future))
    target_list = tmp_path / "banks.toml"
    target_list.write_text("scan = true\n" + T)
    before = tree_hash(history)
    with pytest.raises(SnapshotError) as exc:
        needs_scan(
            History(history),
            load_target_list(target_list),
            now=datetime(2026, 11, 26, tzinfo=UTC),
            max_age=86400,
            mode="auto",
        )
    assert exc.value.path == path
    assert "after now (2026-11-26T00:00:00Z)" in str(exc.value)
    assert "rename or remove the file, or check the system clock" in str(exc.value)
    assert tree_hash(history) == before


# --- posts -------------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_history(
        tmp_path / "history",
        [
            snapshot("2015-02-15T12:00:00Z", [recorded("ING", "F", "SSL3 (insecure)")]),
            snapshot("2015-03-03T12:00:00Z", [recorded("ING", "A-"), recorded("KBC", "B")]),
        ],
    )
    return tmp_path


# id -> (post body, line, words of the message)
POST_CASES = {
    "unknown-list": ("Text.\n\n[tlsreport grades list=bankz]\n", 6, "unknown list 'bankz'"),
    "unknown-view": (
        "[tlsreport tables list=banks]\n",
        4,
        "unknown view 'tables' (known views: grades, changes, chart, target, "
        "traffic, mail, expiring)",
    ),
    "unknown-option": (
        "[tlsreport grades list=banks colour=red]\n",
        4,
        "unknown option 'colour' for view 'grades' (known: list, compact",
    ),
    "bad-option-value": ("[tlsreport grades list=banks as_of=yesterday]\n", 4, "as_of"),
    "date-before-any-snapshot": (
        "[tlsreport grades list=banks]\n",
        4,
        "no snapshot of 'banks' on or before 2014-12-31",
    ),
}


@pytest.mark.parametrize("case", sorted(POST_CASES))
def test_bad_directive_stops_the_build_naming_file_and_line(case: str, site: Path) -> None:
    body, line, message = POST_CASES[case]
    post(site, "bad", body, Date="2014-12-31" if case.startswith("date") else "2015-03-03")
    before = tree_hash(site / "history")
    with pytest.raises(DirectiveBuildError) as exc:
        build(site)
    assert f"content/posts/bad.md:{line}: " in str(exc.value)
    assert message in str(exc.value)
    assert tree_hash(site / "history") == before


def test_directive_inside_code_stays_text(site: Path) -> None:
    post(
        site,
        "code",
        """
        ```
        [tlsreport grades list=bankz]
        ```

            [tlsreport nonsense here]

        Inline `[tlsreport grades list=banks]` too.
        """,
        Date="2015-03-03",
    )
    before = tree_hash(site / "history")
    page = soup(build(site) / "code.html")
    code = " ".join(c.get_text() for c in page.select(".post-content code"))
    assert "[tlsreport grades list=bankz]" in code and "[tlsreport nonsense here]" in code
    assert "[tlsreport grades list=banks]" in code
    assert page.select(".tlsreport-grades, .tlsreport-error") == []
    assert tree_hash(site / "history") == before


# --- settings ---------------------------------------------------------------------------------

SETTINGS_CASES = {
    "max-age-text": (
        "TLSREPORT_MAX_AGE",
        "1 day",
        "TLSREPORT_MAX_AGE: expected a number of seconds above 0, got '1 day'",
    ),
    "max-age-negative": (
        "TLSREPORT_MAX_AGE",
        -3600,
        "TLSREPORT_MAX_AGE: expected a number of seconds above 0, got -3600",
    ),
    "scan-unknown": ("TLSREPORT_SCAN", "weekly", "TLSREPORT_SCAN: 'weekly' is not one of"),
    "stylesheet-text": (
        "TLSREPORT_STYLESHEET",
        "no",
        "TLSREPORT_STYLESHEET: expected True or False, got 'no'",
    ),
}


@pytest.mark.parametrize("case", sorted(SETTINGS_CASES))
def test_bad_setting_is_named_and_nothing_is_scanned(case: str, site: Path) -> None:
    key, value, message = SETTINGS_CASES[case]
    # A list that would be scanned if the build went on: it must not even be tried.
    (site / "targets").mkdir()
    (site / "targets" / "banks.toml").write_text("scan = true\n" + T + "port = 9\n")
    post(site, "ok", "[tlsreport grades list=banks]\n", Date="2015-03-03")
    before = tree_hash(site / "history")
    with pytest.raises(SettingsError) as exc:
        build(site, **{"TLSREPORT_SCAN": "always", key: value})
    assert message in str(exc.value)
    assert tree_hash(site / "history") == before
