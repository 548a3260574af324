"""The lock file: which snapshot each published post was first built with.

Why: a post dated by its day shows "the newest snapshot of that day", and a second scan the
same day would silently change a post already published (and make the next post's change list
say "no changes"). Like a package lock, the first build records its choice in a file committed
next to the history, and every later build — cache or no cache, on any machine — shows the
same snapshot. A post's entry is re-chosen only when the moment it asks for changes (a new
``Modified:``, another ``Date:``), when its snapshot file is gone, or when the blogger deletes
the entry. Posts that pin a snapshot (``Tlsreport_snapshot: <time>``) need no entry.

Pure choices plus one atomic file write; no Pelican here.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_NAME = "tlsreport-lock.json"
LOCK_VERSION = 1
_TIME = "%Y-%m-%dT%H:%M:%SZ"
ABOUT = (
    "Written by tlsreport's build: the snapshot each published post was first built with, so "
    "a later scan never changes a published post. Commit it with data/history. Delete a "
    "post's entry (or the file) to let the post take the newest snapshot of its date again."
)


class LockError(ValueError):
    """A lock file that cannot be read; the message names the file and the field."""


def lock_path_for(history_dir: Path | str) -> Path:
    """The lock file beside the history folder (``data/history`` → ``data/tlsreport-lock.json``).

    Beside it rather than inside: the devserver watches the history folder for new scans, and
    a build writing into a watched folder would rebuild once more for nothing.
    """
    return Path(history_dir).resolve().parent / LOCK_NAME


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime(_TIME)


def _parse(text: object, where: str) -> datetime:
    if not isinstance(text, str):
        raise LockError(f"{where}: expected a time like 2026-12-05T08:23:58Z, got {text!r}")
    try:
        return datetime.strptime(text, _TIME).replace(tzinfo=UTC)
    except ValueError:
        raise LockError(
            f"{where}: expected a time like 2026-12-05T08:23:58Z, got {text!r}"
        ) from None


@dataclass(frozen=True)
class Locked:
    """One choice: for the moment ``as_of`` (seconds, UTC) the post showed ``snapshot``."""

    as_of: str
    snapshot: datetime


class PostLock:
    """The lock file's entries, the choices of this build, and saving them."""

    def __init__(self, path: Path, entries: dict[str, dict[str, Locked]] | None = None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Locked]] = entries or {}
        self.used: dict[str, dict[str, Locked]] = {}
        self.seen: set[str] = set()
        self.changed_posts: list[str] = []
        # (post, key, locked, newest): kept although a newer snapshot fits its moment.
        self.held_back: list[tuple[str, str, datetime, datetime]] = []

    @classmethod
    def load(cls, path: Path) -> PostLock:
        """Read the file (none yet: empty); LockError naming file and field when unreadable."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise LockError(f"{path}: cannot read the lock file: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LockError(
                f"{path}:{exc.lineno}: not JSON ({exc.msg}); fix it, or delete the file to let "
                "every post be locked again by the next build"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("posts"), dict):
            raise LockError(f"{path}: field 'posts': expected an object of posts")
        entries: dict[str, dict[str, Locked]] = {}
        for post, choices in data["posts"].items():
            if not isinstance(choices, dict):
                raise LockError(f"{path}: posts.{post}: expected an object of lists")
            entries[post] = {}
            for key, value in choices.items():
                where = f"{path}: posts.{post}.{key}"
                if not isinstance(value, dict):
                    raise LockError(f'{where}: expected {{"as_of": …, "snapshot": …}}')
                as_of = _stamp(_parse(value.get("as_of"), where + ".as_of"))
                entries[post][key] = Locked(
                    as_of, _parse(value.get("snapshot"), where + ".snapshot")
                )
        return cls(path, entries)

    def choose(
        self, post: str, key: str, as_of: datetime, available: Sequence[datetime]
    ) -> datetime | None:
        """The snapshot ``post`` shows for ``key`` (a list, maybe with its as_of) at ``as_of``.

        The locked one when the lock has it for the same moment and the file still exists;
        else the newest snapshot at or before ``as_of``, recorded for saving.
        """
        self.seen.add(post)
        done = self.used.get(post, {}).get(key)
        basis = _stamp(as_of)
        if done is not None and done.as_of == basis:
            return done.snapshot
        old = self.entries.get(post, {}).get(key)
        earlier = [t for t in available if t <= as_of]
        if old is not None and old.as_of == basis and old.snapshot in available:
            chosen: datetime | None = old.snapshot
            if earlier and max(earlier) > old.snapshot:
                self.held_back.append((post, key, old.snapshot, max(earlier)))
        else:
            chosen = max(earlier) if earlier else None
        if chosen is not None:
            self.used.setdefault(post, {})[key] = Locked(basis, chosen)
            if old is None or old != self.used[post][key]:
                self.changed_posts.append(post)
        return chosen

    def mark_seen(self, post: str) -> None:
        """A post this build processed: its entry becomes exactly what this build used."""
        self.seen.add(post)

    def merged(self, keep: Callable[[str], bool]) -> dict[str, dict[str, Locked]]:
        """What the file should hold: this build's choices, plus entries of posts this build
        did not see whose source still exists (``keep``)."""
        out = {p: dict(c) for p, c in self.entries.items() if p not in self.seen and keep(p)}
        for post, choices in self.used.items():
            if choices:
                out[post] = dict(choices)
        return dict(sorted(out.items()))

    def save(self, keep: Callable[[str], bool]) -> bool:
        """Write the file atomically when it changes; True when written."""
        merged = self.merged(keep)
        if merged == dict(sorted(self.entries.items())) and (self.path.exists() or not merged):
            return False
        write_atomically(self.path, to_text(merged))
        self.entries = merged
        return True


def to_text(entries: dict[str, dict[str, Locked]]) -> str:
    """The file's text: sorted, one choice per line group, stable so diffs stay small."""
    data: dict[str, Any] = {
        "about": ABOUT,
        "version": LOCK_VERSION,
        "posts": {
            post: {
                key: {"as_of": c.as_of, "snapshot": _stamp(c.snapshot)}
                for key, c in sorted(choices.items())
            }
            for post, choices in sorted(entries.items())
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, fsync, rename: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
