"""The lab: real TLS servers on 127.0.0.1, each showing one classic weakness.

Tests and ``make demo`` scan these servers with the real sslyze, so every claim the grader
makes is checked against a real handshake. Use::

    from tlsreport.lab import Lab, LabTarget, PROFILES
    with Lab(tmp_path, ["modern", "rc4"]) as lab:
        lab.target("rc4").port, lab.ca_file

Server processes import ``tlsreport.lab.serve`` and must start fast, so the heavier parts
(certificate generation with cryptography) are imported only when ``Lab`` is asked for.
Product modules never import this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .profiles import HOSTILE_PROFILES, INTERNET_PROFILES, PROFILES

if TYPE_CHECKING:
    from .runner import Lab, LabError, LabTarget

__all__ = ["HOSTILE_PROFILES", "INTERNET_PROFILES", "PROFILES", "Lab", "LabError", "LabTarget"]


def __getattr__(name: str) -> Any:
    if name in ("Lab", "LabError", "LabTarget"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
