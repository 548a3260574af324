"""What a server's cipher suites say, for the grader and the page alike.

Why one module: a "TLS 1.0 only" server showed Forward secrecy "yes" in its table beside the
reason "no Forward Secrecy", because the column counted every suite while the grader looked
only at the suites modern browsers negotiate. Both now call :func:`has_forward_secrecy` and
:func:`forward_secrecy_summary` reads :data:`MODERN_STRONG` the way the finding does, so the
column can no longer contradict the reason. Pure; no grading, so renderers may import it.
"""

from __future__ import annotations

from .facts import CipherSuite, Facts

# Where a strong suite must be for modern browsers to get it (the "no-fs"/"no-aead" findings).
MODERN_STRONG: tuple[str, ...] = ("TLSv1.2", "TLSv1.3")


def has_forward_secrecy(s: CipherSuite) -> bool:
    """An ephemeral key exchange (ECDHE, DHE, every TLS 1.3 suite) that is not anonymous."""
    return (s.forward_secrecy or s.kex in ("ECDHE", "DHE", "TLS13")) and not s.anonymous


def modern_forward_secrecy(facts: Facts) -> bool | None:
    """True when a suite with forward secrecy is offered on TLS 1.2 or 1.3; False when none
    is; None when neither protocol was tested and none was seen (never counted as "no")."""
    seen_untested = False
    for p in MODERN_STRONG:
        if p not in facts.protocols:
            seen_untested = True
        elif any(has_forward_secrecy(s) for s in facts.protocols[p]):
            return True
    return None if seen_untested else False


def forward_secrecy_summary(facts: Facts | None) -> str:
    """The table's Forward secrecy column: ``no`` exactly when the "no Forward Secrecy"
    reason holds, else ``yes`` (every suite) or ``partly``; ``not tested`` or a dash."""
    if facts is None:
        return "—"
    modern = modern_forward_secrecy(facts)
    if modern is None:
        return "not tested"
    if not modern:
        return "no"
    suites = [s for _, s in facts.all_suites()]
    return "yes" if all(has_forward_secrecy(s) for s in suites) else "partly"


def weaknesses(s: CipherSuite) -> list[str]:
    """Why a suite is weak, in the reader's words (empty: a strong suite)."""
    out = []
    if s.null:
        out.append("no encryption")
    if s.anonymous:
        out.append("anonymous")
    if s.export:
        out.append("export")
    if s.rc4:
        out.append("RC4")
    if s.block_64:
        out.append("64-bit block (SWEET32)")
    if 0 < s.bits < 112:
        out.append(f"{s.bits}-bit")
    if not has_forward_secrecy(s) and not s.anonymous:
        out.append("no forward secrecy")
    if s.kex == "DHE" and (s.dh_key_unreadable or (s.kex_bits is not None and s.kex_bits < 2048)):
        out.append(f"DH {s.kex_bits}-bit" if s.kex_bits else "DH key unreadable")
    return out
