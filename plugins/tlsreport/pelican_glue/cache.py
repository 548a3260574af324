"""The build cache: what a build derived from each snapshot file, kept for the next build.

Why: a site with years of history spent most of every build parsing the same snapshot files
and grading the same results again (at 1,000 targets x 100 snapshots, two thirds of a warm
build). History never changes once written, so what a build derives from one snapshot file —
the parsed snapshot, the grade of each result under each rule set asked for, the grade counts
a chart plots — depends on two things only: the file's bytes (and its name, which is checked
against its time) and the code that derived it. Both make the key; anything else makes a
miss, and a miss is the plain path (read, check, grade). History stays the only source of
truth: delete ``CACHE_PATH`` and the next build writes the same site (tested).

Layout: ``CACHE_PATH/tlsreport-history/<code>/<key>.pickle``, one file per snapshot holding
the snapshot, its grades and its counts together (pickle keeps the objects they share
shared). ``<code>`` fingerprints every module of the plugin, so an upgrade or an edit of any
rule, of the facts schema or of the grader starts a new folder; older folders are removed.
Entries are written atomically (temporary file, ``os.replace``); a damaged or unreadable
entry is a miss, never an error. Pickle is fine here: the cache is the site owner's own
folder, written by this code, like Pelican's own content cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import tlsreport

from ..facts import Snapshot, TargetResult, part_key
from ..grade import Grade
from ..history import History, SnapshotInfo

log = logging.getLogger(__name__)

FOLDER = "tlsreport-history"
_FORMAT = 1  # this file's own entry layout


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of every Python module of the plugin: what derived data depends on.

    Coarse on purpose: any edit of the package (a rule, the schema, a word of the vocabulary
    a chart counts by) starts a fresh cache rather than risk an answer an older code gave.
    Hashing the sources costs milliseconds; the package version alone would miss edits made
    between releases (an editable install).
    """
    root = Path(tlsreport.__file__).resolve().parent
    digest = hashlib.sha256(f"format {_FORMAT}".encode())
    for path in sorted(root.rglob("*.py")):
        if "lab" in path.relative_to(root).parts:
            continue  # the test servers derive nothing a build shows
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


# (result index in the snapshot, rule set id, day the result was taken) -> its grade
GradeKey = tuple[int, str, date | None]


@dataclass
class Entry:
    """What the build knows about one snapshot file."""

    key: str
    snapshot: Snapshot
    grades: dict[GradeKey, Grade | None] = field(default_factory=dict)
    counts: dict[str | None, dict[str, int]] = field(default_factory=dict)
    dirty: bool = False  # holds something the cache file does not


class SnapshotCache:
    """Snapshots parsed once and graded once across builds; None folder: no cache at all."""

    def __init__(self, cache_path: Path | None, history: History) -> None:
        self.history = history
        self.folder = cache_path / FOLDER / code_fingerprint() if cache_path else None
        self.entries: dict[Path, Entry] = {}
        self.hits = 0
        self.misses = 0

    def load(self, info: SnapshotInfo) -> Entry:
        """The entry of a snapshot file: from the cache when its bytes are known, else parsed.

        Raises ``SnapshotError`` like ``History.load`` for a file that cannot be read or
        parsed (a broken file is never cached, so it fails the same way every build).
        """
        raw = self.history.read_bytes(info.path)
        key = hashlib.sha256(info.path.name.encode() + b"\0" + raw).hexdigest()
        entry = self._read(key)
        if entry is None:
            self.misses += 1
            with _no_gc():  # as for unpickling: a snapshot is a million new objects
                snapshot = self.history.parse(info.path, raw)  # equal parts shared (facts)
            entry = Entry(key, snapshot, dirty=True)
        else:
            self.hits += 1
        self.entries[info.path] = entry
        return entry

    def _file(self, key: str) -> Path | None:
        return self.folder / f"{key}.pickle" if self.folder is not None else None

    def _read(self, key: str) -> Entry | None:
        path = self._file(key)
        if path is None:
            return None
        try:
            with path.open("rb") as handle, _no_gc():
                entry = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged entry, whatever the damage, is a miss
            log.debug("tlsreport: cache entry %s unreadable (%s); reading the snapshot", path, exc)
            return None
        if not isinstance(entry, Entry) or entry.key != key:
            return None
        entry.dirty = False
        return entry

    def save(self, *, prune: bool = False) -> int:
        """Write the entries that gained something this build; return how many were written.

        ``prune``: this build read every snapshot of the site, so an entry it did not use
        belongs to a file that was edited or removed; it is deleted, and the cache stays the
        size of the history.
        """
        if self.folder is None:
            return 0
        written = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._drop_other_code_versions()
            if prune:
                used = {f"{e.key}.pickle" for e in self.entries.values()}
                for old in self.folder.glob("*.pickle"):
                    if old.name not in used:
                        old.unlink(missing_ok=True)
        except OSError:
            return 0  # a read-only cache only costs time
        for entry in self.entries.values():
            if not entry.dirty:
                continue
            path = self._file(entry.key)
            assert path is not None
            grades = share_equal_parts(tuple(entry.grades.values()))
            entry.grades = dict(zip(entry.grades, grades, strict=True))
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                with tmp.open("wb") as handle:
                    pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                continue
            entry.dirty = False
            written += 1
        return written

    def _drop_other_code_versions(self) -> None:
        """Entries made by other code can never be read again: remove them."""
        assert self.folder is not None
        for other in self.folder.parent.iterdir():
            if other != self.folder and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)


T = TypeVar("T")


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector held off while an entry is unpickled.

    Unpickling creates tens of thousands of objects at once, none of them garbage; each batch
    of new objects starts a collection that walks the build's whole heap (every snapshot read so
    far), which made loading an entry take twice as long inside a build as on its own (a warm
    build of 1,000 targets x 100 snapshots: 10.4 s -> 8.5 s CPU).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_LEAVES = frozenset({str, int, bool, float, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}


def share_equal_parts(root: T) -> T:
    """``root`` with equal immutable parts made one object; results and snapshots kept.

    Why: the grader makes a fresh ``Grade`` for every result, though the 1,000 targets of a
    snapshot have a handful of distinct grades. Made one before an entry is written, its
    grades unpickle in about a millisecond instead of about fifty. (A snapshot's own parts are
    shared as it is parsed: ``facts.from_json(share=True)``, keyed the same way.) Values are
    equal and immutable, so nothing that reads them can tell; ``TargetResult`` and
    ``Snapshot`` objects stay distinct, because the grade memo knows results by identity.
    Bottom-up, keyed on the identities of the already-shared children, so no value is hashed
    twice.
    """
    table: dict[Any, Any] = {}
    seen: dict[int, tuple[Any, Any]] = {}
    keep = {id(root)}

    def visit(obj: Any) -> Any:
        kind = type(obj)
        if kind in _LEAVES:
            return obj
        oid = id(obj)
        hit = seen.get(oid)
        if hit is not None and hit[0] is obj:
            return hit[1]
        out: Any
        if kind is tuple:
            parts: list[Any] = ["tuple"]
            items: list[Any] = []
            same = True
            for x in obj:
                if type(x) in _LEAVES:
                    parts.append(part_key(x))
                    items.append(x)
                else:
                    shared = visit(x)
                    same = same and shared is x
                    parts.append(id(shared))
                    items.append(shared)
            key = tuple(parts)
            out = table.get(key)
            if out is None:
                out = table[key] = obj if same else tuple(items)
        elif kind is dict:
            for k, v in obj.items():
                if type(v) not in _LEAVES:
                    shared = visit(v)
                    if shared is not v:
                        obj[k] = shared
            out = obj  # dicts are mutable: never shared
        else:
            names = _FIELDS.get(kind)
            if names is None:
                names = _FIELDS[kind] = (
                    tuple(f.name for f in fields(obj)) if is_dataclass(obj) else ()
                )
            if not names:
                out = obj
            else:
                state = obj.__dict__
                ids: list[Any] = []
                for name in names:
                    value = state[name]
                    if type(value) in _LEAVES:
                        ids.append(part_key(value))
                        continue
                    shared = visit(value)
                    if shared is not value:
                        state[name] = shared  # an equal value: the frozen object is unchanged
                    ids.append(id(shared))
                if kind in (TargetResult, Snapshot) or oid in keep:
                    out = obj
                else:
                    out = table.setdefault((kind, *ids), obj)
        # The original is kept alive with its answer: a replaced tuple freed here could give
        # its id to a new object, which must not find this answer.
        seen[oid] = (obj, out)
        return out

    return cast(T, visit(root))
