"""Every TLSREPORT_* setting with its default, and the checks that reject unusable values.

Checked once when Pelican starts, so a typo fails the build at once and names the setting.
"""

from __future__ import annotations

import os
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEFAULTS: dict[str, Any] = {
    "TLSREPORT_TARGETS_DIR": "data/targets",
    "TLSREPORT_HISTORY_DIR": "data/history",
    "TLSREPORT_SCAN": "auto",
    "TLSREPORT_MAX_AGE": 24 * 3600,
    "TLSREPORT_ERRORS": "fail",
    "TLSREPORT_OUTPUT_DIR": "tlsreport",
    # Issue 14: a certificate is a warning this many days before it ends, an alert at the second.
    "TLSREPORT_EXPIRY_WARN_DAYS": 30,
    "TLSREPORT_EXPIRY_ALERT_DAYS": 7,
    # The plugin's own small stylesheet ({TLSREPORT_OUTPUT_DIR}/tlsreport.css), linked once per
    # page before its first fragment: a stock theme knows nothing of .tls-grade badges. Off
    # for a theme that styles the tlsreport classes itself.
    "TLSREPORT_STYLESHEET": True,
    # Issue 17: keep what a build derives from each snapshot file (parsed, graded, counted) in
    # CACHE_PATH/tlsreport-history, keyed by the file's bytes and the plugin's code. Off: every
    # build reads and grades all history again (the same site, slower).
    "TLSREPORT_BUILD_CACHE": True,
}
SCAN_VALUES = ("auto", "never", "always")
ERROR_VALUES = ("fail", "warn")


class SettingsError(ValueError):
    """A TLSREPORT_* setting with a value the plugin cannot use; names the setting."""


def apply_defaults(settings: dict[str, Any]) -> None:
    """Fill in missing TLSREPORT_* settings and reject values the plugin cannot use.

    Checked once when Pelican starts so a typo fails the build at once, naming the setting,
    instead of surfacing as an odd scan schedule hours later.
    """
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    scan = settings["TLSREPORT_SCAN"]
    if scan not in SCAN_VALUES:
        raise SettingsError(
            f"TLSREPORT_SCAN: {scan!r} is not one of {', '.join(map(repr, SCAN_VALUES))}"
        )
    errors = settings["TLSREPORT_ERRORS"]
    if errors not in ERROR_VALUES:
        raise SettingsError(
            f"TLSREPORT_ERRORS: {errors!r} is not one of {', '.join(map(repr, ERROR_VALUES))}"
        )
    max_age = settings["TLSREPORT_MAX_AGE"]
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age <= 0:
        raise SettingsError(
            f"TLSREPORT_MAX_AGE: expected a number of seconds above 0, got {max_age!r}"
        )
    for key in ("TLSREPORT_STYLESHEET", "TLSREPORT_BUILD_CACHE"):
        if not isinstance(settings[key], bool):
            raise SettingsError(f"{key}: expected True or False, got {settings[key]!r}")
    out = settings["TLSREPORT_OUTPUT_DIR"]
    parts = Path(str(out)).parts
    if not isinstance(out, str) or not out or Path(out).is_absolute() or ".." in parts:
        raise SettingsError(
            f"TLSREPORT_OUTPUT_DIR: expected a relative folder inside the output, got {out!r}"
        )
    warn, alert = settings["TLSREPORT_EXPIRY_WARN_DAYS"], settings["TLSREPORT_EXPIRY_ALERT_DAYS"]
    if (
        not all(isinstance(v, int) and not isinstance(v, bool) for v in (warn, alert))
        or not 0 <= alert <= warn
    ):
        raise SettingsError(
            f"TLSREPORT_EXPIRY_WARN_DAYS / TLSREPORT_EXPIRY_ALERT_DAYS: expected whole days "
            f"with 0 <= alert <= warn, got {warn!r} / {alert!r}"
        )
    for key in ("TLSREPORT_TARGETS_DIR", "TLSREPORT_HISTORY_DIR"):
        if not isinstance(settings[key], (str, os.PathLike)) or not str(settings[key]):
            raise SettingsError(f"{key}: expected a folder path, got {settings[key]!r}")


def timezone(settings: dict[str, Any]) -> tzinfo:
    name = settings.get("TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError
        raise SettingsError(f"TIMEZONE: unknown time zone {name!r}") from exc


ACTIVE = "TLSREPORT_ACTIVE"


def is_active(settings: dict[str, Any]) -> bool:
    """Whether this build loaded the plugin.

    Signal receivers are process-wide: once any Pelican in a process has loaded tlsreport,
    they fire for every later Pelican too (tests, tools that build several sites). Each
    handler therefore acts only for a build whose PLUGINS include tlsreport.
    """
    return bool(settings.get(ACTIVE))
