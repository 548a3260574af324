"""History: snapshots on disk, one JSON file per run over one list, kept in the site's repo.

Layout: ``<root>/<slug>/<YYYY-MM-DDTHHMMSSZ>.json`` (pretty JSON, sorted keys, so ``git diff``
reads well), with sslyze's raw JSON beside it as ``<same stem>.sslyze.json.gz`` so a snapshot
can be re-normalised later.

Why the write path looks the way it does: the history is the site's memory and is never
regenerated, so a crash must never leave a half-written or stray file in it. A file is first
written to an *unnamed* temporary inode (``O_TMPFILE``), fsynced, and only then given its name
with ``link()``; ``link()`` fails when the name exists, which is also what makes "never
overwrite" race-free. A process killed at any moment therefore leaves either nothing or the
complete file. (File systems without ``O_TMPFILE`` fall back to a dot-named temp file that is
linked and removed.) A per-list ``flock`` on ``<slug>/.lock`` serialises two runs writing the
same list.

Listing is cheap: the time comes from the file name; JSON is parsed only on ``load``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import json
import os
import re
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import facts

if TYPE_CHECKING:
    from .targets import TargetList

_STEM_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{6}Z)$")
_STEM_FORMAT = "%Y-%m-%dT%H%M%SZ"
RAW_SUFFIX = ".sslyze.json.gz"
KINDS = ("scan", "recorded", "imported")
# What a published grade can be (SSL Labs' letters); the grader's GRADES, kept here too so
# loading history does not import the grader.
RECORDED_GRADES = ("A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M")


class SnapshotError(ValueError):
    """A snapshot that cannot be read or written; names the file."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    slug: str
    taken: datetime  # UTC, from the file name

    @property
    def raw_path(self) -> Path:
        return self.path.with_name(self.path.stem + RAW_SUFFIX)


def snapshot_stem(taken: str) -> str:
    """File name stem for a snapshot taken at ``taken`` (ISO 8601 UTC)."""
    return facts.parse_taken(taken, strict=True).strftime(_STEM_FORMAT)


def _utc(when: datetime) -> datetime:
    """Naive datetimes are taken as UTC: every time in tlsreport is UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def pick_as_of(infos: Sequence[SnapshotInfo], when: datetime) -> SnapshotInfo | None:
    """The newest snapshot taken at or before ``when`` (pure; ``infos`` in any order)."""
    when = _utc(when)
    best: SnapshotInfo | None = None
    for info in infos:
        if info.taken <= when and (best is None or info.taken > best.taken):
            best = info
    return best


def snapshot_from_json(data: Any, path: Path | str) -> facts.Snapshot:
    """Check version and kind, then rebuild; every problem names the file and field."""
    if not isinstance(data, dict):
        raise SnapshotError(path, "not a snapshot (expected a JSON object)")
    schema = data.get("schema")
    if schema not in facts.READABLE_SCHEMAS:
        raise SnapshotError(
            path,
            f"schema: unknown version {schema!r} "
            f"(this tlsreport reads versions "
            f"{', '.join(map(str, facts.READABLE_SCHEMAS))}) — "
            "a newer tlsreport wrote it: upgrade tlsreport",
        )
    try:
        snapshot: facts.Snapshot = facts.from_json(facts.Snapshot, data, share=True)
    except facts.SchemaError as exc:
        raise SnapshotError(path, str(exc)) from None
    if snapshot.kind not in KINDS:
        raise SnapshotError(path, f"Snapshot.kind: {snapshot.kind!r} is not one of {KINDS}")
    try:
        facts.parse_taken(snapshot.taken, strict=True)
    except ValueError:
        raise SnapshotError(
            path, f"Snapshot.taken: {snapshot.taken!r} is not YYYY-MM-DDTHH:MM:SSZ"
        ) from None
    for i, result in enumerate(snapshot.results):
        where = f"Snapshot.results[{i}]"
        if result.state not in facts.STATES:
            raise SnapshotError(path, f"{where}.state: unknown state {result.state!r}")
        if snapshot.kind == "recorded" and result.facts is not None:
            raise SnapshotError(path, f"{where}.facts: a recorded snapshot has no facts")
        grade = result.recorded.grade if result.recorded is not None else None
        if result.imported is not None:
            if snapshot.kind != "imported":
                raise SnapshotError(
                    path, f"{where}.imported: only an imported snapshot names an import source"
                )
            source = result.imported.source_grade
            if source is not None and source not in RECORDED_GRADES:
                raise SnapshotError(
                    path,
                    f"{where}.imported.source_grade: {source!r} is not "
                    f"a grade (one of {', '.join(RECORDED_GRADES)}, or "
                    "null when the source gave none)",
                )
        if grade is not None and grade not in RECORDED_GRADES:
            raise SnapshotError(
                path,
                f"{where}.recorded.grade: {grade!r} is not a grade "
                f"(one of {', '.join(RECORDED_GRADES)}, or null when "
                "it was not recorded)",
            )
    return snapshot


def snapshot_to_text(snapshot: facts.Snapshot) -> str:
    return json.dumps(facts.to_json(snapshot), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class History:
    """The snapshots under one root directory (``data/history`` by default)."""

    def __init__(self, root: Path, *, lock_timeout: float = 30.0) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout

    # --- reading ---------------------------------------------------------------------

    def lists(self) -> list[str]:
        """Slugs that have at least one snapshot."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.infos(p.name))

    def infos(self, slug: str) -> list[SnapshotInfo]:
        """Every snapshot of a list, oldest first; no JSON is parsed."""
        directory = self.root / slug
        if not directory.is_dir():
            return []
        found = []
        for path in directory.iterdir():
            if path.suffix != ".json" or not _STEM_RE.match(path.stem):
                continue  # .lock, raw .gz, README, editor backups
            taken = datetime.strptime(path.stem, _STEM_FORMAT).replace(tzinfo=UTC)
            found.append(SnapshotInfo(path=path, slug=slug, taken=taken))
        return sorted(found, key=lambda i: i.taken)

    def load(self, info_or_path: SnapshotInfo | Path | str) -> facts.Snapshot:
        path = info_or_path.path if isinstance(info_or_path, SnapshotInfo) else Path(info_or_path)
        return self.parse(path, self.read_bytes(path))

    @staticmethod
    def read_bytes(path: Path) -> bytes:
        """A snapshot file's bytes (the build cache keys derived data on them)."""
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SnapshotError(path, f"cannot be read ({exc})") from None

    @staticmethod
    def parse(path: Path, raw: bytes) -> facts.Snapshot:
        """The snapshot in ``raw``, the bytes of the file at ``path`` (named in every error)."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SnapshotError(path, f"cannot be read ({exc})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SnapshotError(
                path,
                f"line {exc.lineno}: not valid JSON ({exc.msg}) — "
                "restore the file from git, or fix it by hand",
            ) from None
        snapshot = snapshot_from_json(data, path)
        # The file name is the snapshot's time everywhere history is listed (without parsing);
        # a copied or renamed file would show one scan twice, or at the wrong date.
        if _STEM_RE.match(path.stem) and snapshot_stem(snapshot.taken) != path.stem:
            raise SnapshotError(
                path,
                f"Snapshot.taken: {snapshot.taken!r} does not match the "
                f"file name; rename the file to "
                f"{snapshot_stem(snapshot.taken)}.json or fix 'taken'",
            )
        return snapshot

    def load_raw(self, info: SnapshotInfo) -> dict | None:
        """sslyze's raw JSON kept beside a snapshot, or None when there is none."""
        try:
            return json.loads(gzip.decompress(info.raw_path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, EOFError, zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SnapshotError(info.raw_path, f"cannot be read ({exc})") from None

    def load_all(self, slug: str) -> tuple[list[facts.Snapshot], list[SnapshotError]]:
        """Every readable snapshot, oldest first; broken files are reported, not fatal."""
        snapshots, errors = [], []
        for info in self.infos(slug):
            try:
                snapshots.append(self.load(info))
            except SnapshotError as exc:
                errors.append(exc)
        return snapshots, errors

    def as_of(self, slug: str, when: datetime) -> facts.Snapshot | None:
        info = pick_as_of(self.infos(slug), when)
        return self.load(info) if info else None

    def latest(self, slug: str) -> facts.Snapshot | None:
        infos = self.infos(slug)
        return self.load(infos[-1]) if infos else None

    # --- writing ---------------------------------------------------------------------

    def path_for(self, snapshot: facts.Snapshot) -> Path:
        try:
            stem = snapshot_stem(snapshot.taken)
        except ValueError:
            raise SnapshotError(
                self.root / snapshot.list_slug,
                f"Snapshot.taken: {snapshot.taken!r} is not YYYY-MM-DDTHH:MM:SSZ",
            ) from None
        return self.root / snapshot.list_slug / f"{stem}.json"

    def write(self, snapshot: facts.Snapshot, raw: dict | None = None) -> Path:
        """Store a snapshot (and sslyze's raw JSON); never overwrites, never leaves debris."""
        path = self.path_for(snapshot)
        if not re.match(r"^[a-z0-9][a-z0-9._-]*$", snapshot.list_slug):
            raise SnapshotError(path, f"Snapshot.list_slug: {snapshot.list_slug!r} is not a slug")
        text = snapshot_to_text(snapshot)
        # Check the text reads back before it becomes history.
        snapshot_from_json(json.loads(text), path)
        raw_bytes = None
        if raw is not None:
            raw_bytes = gzip.compress(json.dumps(raw, sort_keys=True).encode(), mtime=0)
        raw_path = path.with_name(path.stem + RAW_SUFFIX)
        written: list[Path] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock(path.parent):
                for existing in (path, raw_path):
                    if existing.exists():
                        raise SnapshotError(
                            existing,
                            "already exists; history is never "
                            "overwritten (wait a second and scan again)",
                        )
                _write_new_file(path, text.encode("utf-8"))
                written.append(path)
                if raw_bytes is not None:
                    _write_new_file(raw_path, raw_bytes)
        except OSError as exc:
            # Disk full, quota, read-only: take back what this call stored, so a snapshot is
            # either there with its raw file or not there at all.
            for done in written:
                with contextlib.suppress(OSError):
                    done.unlink()
            raise SnapshotError(
                path,
                f"could not be written ({exc.strerror or exc}); nothing "
                "was stored — free disk space (or fix the folder's "
                "permissions) and scan again",
            ) from None
        return path

    @contextlib.contextmanager
    def _lock(self, directory: Path) -> Iterator[None]:
        """Exclusive per-list lock; waits up to lock_timeout, then refuses."""
        lock_path = directory / ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SnapshotError(
                            lock_path,
                            "another tlsreport run is writing this "
                            "list; try again when it has finished",
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` atomically and durably; EEXIST if it exists."""
    directory = path.parent
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            raise
        _write_new_file_named_tmp(path, data)
        return
    try:
        _write_all(fd, data)
        os.fsync(fd)
        # linkat(AT_SYMLINK_FOLLOW) through /proc gives the unnamed inode its name. CPython
        # calls plain link() (which does not follow the magic link) unless a dir fd is given.
        proc_fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.link(str(fd), path, src_dir_fd=proc_fd, follow_symlinks=True)
        except FileExistsError:
            raise SnapshotError(path, "already exists; history is never overwritten") from None
        finally:
            os.close(proc_fd)
    finally:
        os.close(fd)
    _fsync_dir(directory)


def _write_new_file_named_tmp(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise SnapshotError(path, "already exists; history is never overwritten") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync_dir(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- build-time scanning decision ----------------------------------------------------------

SCAN_MODES = ("auto", "never", "always")


def needs_scan(
    history: History, target_list: TargetList, *, now: datetime, max_age: float, mode: str
) -> bool:
    """Should a build scan this list now?  (TLSREPORT_SCAN / TLSREPORT_MAX_AGE)

    ``max_age`` is in seconds. Archive lists (``scan = false``) and empty lists are never
    scanned whatever the mode, so a build can never contact hosts the blogger did not ask
    for. "auto" scans when the newest snapshot is missing or older than ``max_age``. Reads
    only file names (cheap enough to call on every build).
    """
    if mode not in SCAN_MODES:
        raise ValueError(f"TLSREPORT_SCAN: {mode!r} is not one of {', '.join(SCAN_MODES)}")
    if mode == "never" or not target_list.scan or not target_list.targets:
        return False
    if mode == "always":
        return True
    infos = history.infos(target_list.slug)
    if not infos:
        return True
    age = (_utc(now) - infos[-1].taken).total_seconds()
    if age < 0:
        # "auto" would otherwise never scan again until that date comes.
        raise SnapshotError(
            infos[-1].path,
            f"taken {facts.format_taken(infos[-1].taken)}, "
            f"after now ({facts.format_taken(now)}); rename or "
            "remove the file, or check the system clock",
        )
    return age > max_age
