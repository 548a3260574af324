"""Certificates before they expire: days left, and when that deserves a warning. Pure.

A 90-day certificate renewed by a hook fails silently the day the hook breaks; the first sign
is a client refusing to connect. Reports therefore show days left (not only a date) and flag
a certificate at ``warn_days`` (a warning) and ``alert_days`` (an alert) before its end.

"Days left" counts whole days from the report's day (the snapshot's date for a post, today
for ``show``) to the certificate's ``not_after`` date, both in UTC: a certificate ending
later today has 0 days left and is still valid; one that ended yesterday "expired 1 day ago".
Nothing here reads a clock: the caller passes the day, so a post shows the same words for
ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .facts import Snapshot, TargetResult

WARN_DAYS = 30
ALERT_DAYS = 7
LEVELS = ("expired", "alert", "warning", "ok")  # worst first


@dataclass(frozen=True)
class Expiry:
    """A certificate's expiry as a report says it."""

    not_after: date
    days_left: int  # negative once expired
    level: str  # one of LEVELS (the words are vocabulary.days_left_text's)


def not_after_of(result: TargetResult) -> date | None:
    """The served leaf's expiry date (UTC), None when no certificate was read."""
    facts = result.facts
    if facts is None or facts.certificate is None or facts.certificate.leaf is None:
        return None
    raw = facts.certificate.leaf.not_after
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def level_for(days: int, *, warn_days: int = WARN_DAYS, alert_days: int = ALERT_DAYS) -> str:
    if alert_days < 0 or warn_days < alert_days:
        raise ValueError(f"expiry settings: need 0 <= alert ({alert_days}) <= warn ({warn_days})")
    if days < 0:
        return "expired"
    if days <= alert_days:
        return "alert"
    if days <= warn_days:
        return "warning"
    return "ok"


def expiry_of(
    result: TargetResult, on: date, *, warn_days: int = WARN_DAYS, alert_days: int = ALERT_DAYS
) -> Expiry | None:
    end = not_after_of(result)
    if end is None:
        return None
    days = (end - on).days
    return Expiry(end, days, level_for(days, warn_days=warn_days, alert_days=alert_days))


def expiring(
    snapshot: Snapshot, on: date, *, within: int = WARN_DAYS, alert_days: int = ALERT_DAYS
) -> list[tuple[TargetResult, Expiry]]:
    """Targets whose certificate ends within ``within`` days of ``on`` (or has ended), soonest
    first, then by name: the ``[tlsreport expiring]`` view and the feeds' expiry entries."""
    found = []
    for result in snapshot.results:
        exp = expiry_of(result, on, warn_days=max(within, alert_days), alert_days=alert_days)
        if exp is not None and exp.days_left <= within:
            found.append((result, exp))
    found.sort(key=lambda pair: (pair[1].days_left, pair[0].target.name.casefold()))
    return found
