"""Publishing the way the blogger does: `make rsync_upload` and `make ssh_upload` to a real sshd.

One module-scoped run does what a blogger does in order, against a copy of the repository (so
the real output/ and data/ are never touched) and a throwaway OpenSSH server on 127.0.0.1 with
its own host key pinned in a temp known_hosts (``StrictHostKeyChecking=yes``, no first-use
trust):

1. ``make rsync_upload``  — build with publish.conf.py, rsync to the server;
2. edit one post, ``make rsync_upload`` again — only the changed files may travel;
3. ``make clean``;
4. ``make ssh_upload`` (scp) into a fresh folder on the server.

The tests then check what each step left behind. Missing sshd or rsync is a failure with the
package to install, never a skip (.ci/run installs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from publishkit import (
    Sshd,
    copy_repo,
    make,
    missing_tools,
    rsync_sent_bytes,
    rsync_transferred,
    sshd,
    tree_bytes,
)

# Runs in one xdist worker (with --dist loadgroup): the steps share one sshd and one copy.
pytestmark = pytest.mark.xdist_group("publish")

EDITED_POST = Path("content/posts/2026-11-26-mail-server-tls.md")
EDITED_PAGE = "mail-server-tls-postfix-courier.html"


@dataclass
class Run:
    """What every step of the publish left behind, for the tests to compare."""

    data_before: dict[str, bytes]
    output1: dict[str, bytes] = field(default_factory=dict)
    remote1: dict[str, bytes] = field(default_factory=dict)
    rsync1_stdout: str = ""
    output2: dict[str, bytes] = field(default_factory=dict)
    remote2: dict[str, bytes] = field(default_factory=dict)
    rsync2_stdout: str = ""
    rsync2_transferred: set[str] = field(default_factory=set)
    data_after_uploads: dict[str, bytes] = field(default_factory=dict)
    output_after_clean: bool = True
    data_after_clean: dict[str, bytes] = field(default_factory=dict)
    output3: dict[str, bytes] = field(default_factory=dict)
    remote_scp: dict[str, bytes] = field(default_factory=dict)
    data_after_scp: dict[str, bytes] = field(default_factory=dict)


def _ok(proc: object, what: str, server: Sshd) -> str:
    rc, out, err = proc.returncode, proc.stdout, proc.stderr  # type: ignore[attr-defined]
    assert rc == 0, (
        f"{what} exited {rc}\n--- stdout\n{out[-3000:]}\n--- stderr\n{err[-3000:]}"
        f"\n--- sshd log\n{server.log.read_text()[-2000:]}"
    )
    return str(out)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    missing = missing_tools()
    if missing:
        pytest.fail(
            "the publish tests need "
            + ", ".join(missing)
            + " — install them with apt-get (.ci/run does this)"
        )
    tmp = tmp_path_factory.mktemp("publish")
    repo = copy_repo(tmp / "repo")
    output, data = repo / "output", repo / "data"
    remote = tmp / "server" / "www" / "tlsreport"
    remote.parent.mkdir(parents=True)
    result = Run(data_before=tree_bytes(data))
    with sshd(tmp / "sshd") as server:
        common = {
            "SSH_HOST": "127.0.0.1",
            "SSH_PORT": str(server.port),
            "SSH_USER": server.user,
            "SSH_OPTS": server.ssh_opts,
        }

        proc = make(repo, "rsync_upload", SSH_TARGET_DIR=str(remote), **common)
        result.rsync1_stdout = _ok(proc, "make rsync_upload (first)", server)
        result.output1, result.remote1 = tree_bytes(output), tree_bytes(remote)

        post = repo / EDITED_POST
        post.write_text(
            post.read_text(encoding="utf-8") + "\n\nUpdate: one sentence added after publishing.\n",
            encoding="utf-8",
        )
        proc = make(repo, "rsync_upload", SSH_TARGET_DIR=str(remote), **common)
        result.rsync2_stdout = _ok(proc, "make rsync_upload (second)", server)
        result.output2, result.remote2 = tree_bytes(output), tree_bytes(remote)
        result.rsync2_transferred = rsync_transferred(result.rsync2_stdout, output)
        result.data_after_uploads = tree_bytes(data)

        _ok(make(repo, "clean"), "make clean", server)
        result.output_after_clean = output.exists()
        result.data_after_clean = tree_bytes(data)

        scp_dir = tmp / "server" / "www" / "by-scp"
        scp_dir.mkdir()
        proc = make(repo, "ssh_upload", SSH_TARGET_DIR=str(scp_dir), **common)
        _ok(proc, "make ssh_upload", server)
        result.output3, result.remote_scp = tree_bytes(output), tree_bytes(scp_dir)
        result.data_after_scp = tree_bytes(data)
    yield result


def test_rsync_upload_makes_the_server_tree_equal_to_output(run: Run) -> None:
    assert len(run.output1) > 50 and "index.html" in run.output1
    assert sorted(run.remote1) == sorted(run.output1)
    assert run.remote1 == run.output1


def test_the_published_site_carries_the_production_site_url(run: Run) -> None:
    """`make publish` (what the uploads run first) builds with publish.conf.py."""
    feed = run.output1["feeds/all.atom.xml"].decode()
    assert "https://tlsreport.example" in feed


def test_second_rsync_upload_sends_only_the_files_that_changed(run: Run) -> None:
    changed = {p for p, data in run.output2.items() if run.output1.get(p) != data}
    assert EDITED_PAGE in changed
    # A target page and every chart are untouched by a post's text: they must not travel.
    assert "tlsreport/belgian-banks/ing.html" not in changed
    assert run.rsync2_transferred == changed, (
        f"sent but unchanged: {sorted(run.rsync2_transferred - changed)}; "
        f"changed but not sent: {sorted(changed - run.rsync2_transferred)}"
    )
    assert len(changed) < len(run.output2) / 3, sorted(changed)
    assert rsync_sent_bytes(run.rsync2_stdout) < rsync_sent_bytes(run.rsync1_stdout) / 2
    assert run.remote2 == run.output2


def test_first_rsync_upload_names_every_file_it_sends(run: Run) -> None:
    """The parser the second-upload test relies on, checked on a run where all files travel."""
    assert rsync_transferred(run.rsync1_stdout, Path("/nonexistent")) == set()
    names = {line.strip() for line in run.rsync1_stdout.replace("\r", "\n").splitlines()}
    assert set(run.output1) <= names


def test_make_clean_removes_output_and_nothing_else(run: Run) -> None:
    assert run.output_after_clean is False
    assert run.data_after_clean == run.data_before


def test_uploads_never_touch_recorded_history(run: Run) -> None:
    assert run.data_before, "the copy has no recorded history to protect"
    assert run.data_after_uploads == run.data_before
    assert run.data_after_scp == run.data_before
    assert not any(p.startswith("data/") or "history/" in p for p in run.remote1)


def test_ssh_upload_copies_output_byte_for_byte(run: Run) -> None:
    assert len(run.output3) > 50
    assert run.remote_scp == run.output3
