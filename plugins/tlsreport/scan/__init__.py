"""Scanning: run sslyze over a target list, bounded in time, and normalise what it finds.

One job per module:

- ``normalise``: sslyze's JSON for one server -> ``facts.Facts``, one small function per
  sslyze scan command in a table keyed by the command's name; pure (no clock, disk or
  network), so a kept raw file can be re-normalised at any time.
- ``certificates``: the ``certificate_info`` command's own rules (hostname match, the
  one-word certificate problem).
- ``chain``: complete a chain sent without its intermediate through the leaf's AIA
  caIssuers URL (as SSL Labs does), once per URL per run; its record is kept in the raw JSON.
- ``probe``: the cheap bounded reachability probe run before sslyze, and the HSTS fetch for
  paths sslyze cannot ask for.
- ``run``: one target (at each of its addresses: probe, then sslyze, one retry of what did
  not complete) and one list (workers, per-target and overall bounds, the snapshot and its
  raw JSON).

Importing the package does not import sslyze (seconds): only a scan does.

Public names, re-exported here for the CLI, the Pelican glue and the tests:
``scan_list``, ``scan_target``, ``ScanProgress``, ``sslyze_version`` (run);
``facts_from_sslyze_json``, ``suite_facts``, ``parse_hsts``, ``state_from_connectivity_error``,
``SCAN_COMMANDS``, ``PROTOCOL_COMMANDS`` (normalise); ``hostname_matches``,
``classify_certificate_problem`` (certificates); ``STARTTLS_SERVICES`` (probe). Anything else
is imported from its module.
"""

from .certificates import classify_certificate_problem, hostname_matches
from .normalise import (
    PROTOCOL_COMMANDS,
    SCAN_COMMANDS,
    facts_from_sslyze_json,
    parse_hsts,
    state_from_connectivity_error,
    suite_facts,
)
from .probe import STARTTLS_SERVICES
from .run import ScanProgress, scan_list, scan_target, sslyze_version

__all__ = [
    "PROTOCOL_COMMANDS",
    "SCAN_COMMANDS",
    "STARTTLS_SERVICES",
    "ScanProgress",
    "classify_certificate_problem",
    "facts_from_sslyze_json",
    "hostname_matches",
    "parse_hsts",
    "scan_list",
    "scan_target",
    "sslyze_version",
    "state_from_connectivity_error",
    "suite_facts",
]
