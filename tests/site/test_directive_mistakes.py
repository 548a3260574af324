"""Mistakes are caught: every directive error of a build in one block, each with its fix.

Real builds (in-process, and the real ``pelican`` command to see how it exits and what it
prints): wrong values, lines that only start like a directive, a list with no snapshot yet.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sitekit import PELICAN, build, post, recorded, run_pelican, snapshot, soup, write_history
from tlsreport.pelican_glue.fill import DirectiveBuildError

HISTORY = [
    snapshot(
        "2015-03-05T08:00:00Z",
        [recorded("ING", "A", group=("bank",)), recorded("Proximus", "B", group=("telecom",))],
    )
]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_history(tmp_path / "history", HISTORY)
    (tmp_path / "targets").mkdir()
    (tmp_path / "targets" / "new-lab.toml").write_text(
        'title = "New lab"\nslug = "new-lab"\nscan = true\n\n'
        '[[target]]\nname = "weak"\nhost = "127.0.0.1"\nport = 4433\n',
        encoding="utf-8",
    )
    return tmp_path


MISTAKES = """\
Intro.

[tlsreport grades list=banks group=bnk]

[Tlsreport grades list=banks]

[tlsreport grades list = banks

[tlsreport grades list=new-lab]
"""


def test_all_errors_come_in_one_block_without_a_traceback(site: Path) -> None:
    post(site, "bad", MISTAKES, Date="2015-03-05")
    post(site, "also-bad", "[tlsreport chart list=banks kind=pie]\n", Date="2015-03-05")
    proc = run_pelican(site)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Traceback" not in out
    assert "5 tlsreport directive errors" in out
    for expected in [
        "posts/bad.md:6: option 'group': list 'banks' has no group 'bnk' (groups: bank, "
        "telecom); write: [tlsreport grades list=banks group=bank]",
        "posts/bad.md:8: a directive starts with '[tlsreport' in lower case",
        "posts/bad.md:10: the directive is not closed with ']'; write: "
        "[tlsreport grades list=banks]",
        "posts/bad.md:12: list 'new-lab' has no snapshot yet; scan it first: "
        "python -m tlsreport scan targets/new-lab.toml",
        "posts/also-bad.md:4: option 'kind': unknown chart kind 'pie' (known: history, "
        "timeline, distribution)",
    ]:
        assert expected in out
    assert not (site / "output" / "bad.html").exists()


def test_the_traceback_is_there_when_asked_for(site: Path) -> None:
    post(site, "bad", "[tlsreport grades list=banks group=bnk]\n", Date="2015-03-05")
    run_pelican(site)  # writes pelicanconf.py
    proc = subprocess.run(
        [str(PELICAN), "-D", "-s", str(site / "pelicanconf.py")],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "400", "TERM": "dumb"},
    )
    assert proc.returncode != 0
    assert "Traceback" in proc.stdout + proc.stderr


def test_a_line_that_only_starts_like_a_directive_is_never_published_as_text(site: Path) -> None:
    post(site, "bad", MISTAKES, Date="2015-03-05")
    out = build(site, TLSREPORT_ERRORS="warn")
    page = soup(out / "bad.html")
    for p in page.select("p"):
        assert (
            "[tlsreport" not in p.get_text().lower()
            or p.find_parent(class_="tlsreport-error") is not None
        ), p
    assert len(page.select(".tlsreport-error")) == 4


def test_in_process_builds_raise_one_error_listing_all(site: Path) -> None:
    post(site, "bad", MISTAKES, Date="2015-03-05")
    with pytest.raises(DirectiveBuildError) as exc:
        build(site)
    assert len(exc.value.errors) == 4
    assert all("; write: " in e or "scan it first" in e for e in exc.value.errors)
