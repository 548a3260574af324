"""Imports: SSL Labs API results and testssl.sh JSON files become history.

Bloggers and auditors already hold years of results from the SSL Labs API and from
``testssl.sh --jsonfile``. Importing them turns each assessment into a snapshot of kind
``imported`` (at the time the source recorded, not the import's) whose results carry facts
mapped from the source's own findings, so tlsreport grades them under the rules of their own
date like any scan, and keeps the source's own grade beside ours (``Imported.source_grade``).

- ``ssllabs``: the API's ``analyze?...&all=done`` host objects (v2 and v3 shapes), as saved by
  ``ssllabs-scan`` (a list of hosts) or by hand (one host);
- ``testssl``: ``--jsonfile`` (flat) and ``--jsonfile-pretty`` output;
- ``common``: what both share (reading JSON, matching a target, suites from IANA names,
  building and writing the snapshots).

Nothing here touches the network. Bad input raises ``ImportInputError`` naming the file (and
the JSON path where it matters) before anything is written.
"""

from __future__ import annotations

from .common import ImportedResult, ImportInputError, build_snapshots, write_snapshots
from .compare import difference
from .ssllabs import results_from_ssllabs
from .testssl import results_from_testssl

__all__ = [
    "ImportInputError",
    "ImportedResult",
    "build_snapshots",
    "difference",
    "results_from_ssllabs",
    "results_from_testssl",
    "write_snapshots",
]
