"""The post directive ``[tlsreport VIEW key=value key="quoted value" ...]``: parse and locate.

Pure functions only. The Markdown extension (pelican_glue.py) merely recognises a paragraph
that *looks* like a directive and leaves a placeholder; everything that can be wrong with it
(unknown view, unknown option, bad date) is decided here, later, when the post's file is known,
so the error can say ``content/posts/x.md:12: unknown option 'lst'`` instead of vanishing inside
Pelican's reader (which logs reader exceptions and carries on).

Markdown does not tell a block processor which source line a paragraph came from, so
``directive_lines`` scans the source text the way Markdown would see it (skipping fenced and
indented code) and returns the directives in order; the glue pairs the n-th placeholder of a
given text with the n-th such occurrence.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

PREFIX = "[tlsreport"

YES = ("yes", "true", "1", "on")
NO = ("no", "false", "0", "off")

# view -> option -> kind of value. "list" is required for every view but traffic.
VIEWS: dict[str, dict[str, str]] = {
    "grades": {"list": "slug", "compact": "bool", "group": "text", "as_of": "date"},
    "changes": {"list": "slug", "since": "since", "group": "text", "as_of": "date"},
    "chart": {
        "list": "slug",
        "kind": "kind",
        "target": "text",
        "group": "text",
        "as_of": "date",
    },
    "target": {"list": "slug", "target": "text", "as_of": "date"},
    # A traffic report (data/traffic/NAME.json), not a list: see traffic_view.py.
    "traffic": {"data": "name", "view": "traffic_view"},
    # Issue 14: mail policy beside the grade, and certificates ending soon (tlsreport.mailview).
    "mail": {"list": "slug", "target": "text", "group": "text", "as_of": "date"},
    "expiring": {"list": "slug", "within": "days", "group": "text", "as_of": "date"},
}
TRAFFIC_VIEWS = ("daily", "hourly", "referrers", "systems", "pages", "networks")
CHART_KINDS = ("history", "timeline", "distribution")
DEFAULT_CHART_KIND = "distribution"

_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
_TOKEN = re.compile(
    r"""\s*(?P<key>[A-Za-z_][A-Za-z0-9_-]*)
        (?:=(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s"\]]*)))?""",
    re.X,
)


class DirectiveError(ValueError):
    """A directive that cannot be rendered; ``str()`` is the message without the location.

    ``fix``, when known, is the directive as it should be written; ``str()`` ends with
    ``; write: <fix>`` so every error tells the blogger what to type instead.
    """

    def __init__(self, message: str, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message}; write: {fix}" if fix else message)


@dataclass(frozen=True)
class Directive:
    """One parsed directive: what to show (view) and how (options, typed and defaulted)."""

    view: str
    options: dict[str, object] = field(default_factory=dict)
    text: str = ""  # the directive as written (normalised whitespace)

    @property
    def list_slug(self) -> str:
        return str(self.options["list"])


def looks_like_directive(block: str) -> bool:
    """True when a Markdown paragraph is exactly one ``[tlsreport ...]`` and nothing else.

    Deliberately loose: a paragraph that starts with ``[tlsreport`` and ends with ``]`` is
    taken, so that a mistyped directive becomes a located error rather than silent text.
    """
    stripped = block.strip()
    if not stripped.startswith(PREFIX) or not stripped.endswith("]"):
        return False
    rest = stripped[len(PREFIX) :]
    return rest == "]" or rest[0].isspace()


def starts_like_directive(block: str) -> bool:
    """True when a paragraph *starts* like a directive, in any letter case, closed or not.

    Such a paragraph is never published as text: if it is not exactly one directive
    (``[Tlsreport …]``, no closing ``]``, words after the ``]``), parsing says why.
    """
    stripped = block.strip()
    if not stripped.lower().startswith(PREFIX):
        return False
    rest = stripped[len(PREFIX) :]
    if not (rest == "" or rest[0].isspace() or rest[0] == "]"):
        return False
    card = re.match(INLINE_PATTERN, stripped)
    # A target card opening a sentence is inline text with a card in it, not a mistake.
    return not (card and card.end() < len(stripped))


def with_option(text: str, key: str, value: str) -> str:
    """``text`` (one directive) with option ``key`` set to ``value`` (for "write: …" hints)."""
    shown = f'"{value}"' if re.search(r'[\s"\]]', value) else value
    pattern = re.compile(rf'(\s{re.escape(key)}=)(?:"(?:[^"\\]|\\.)*"|[^\s\]]*)')
    if pattern.search(text):
        return pattern.sub(lambda m: m.group(1) + shown, text, count=1)
    return text[:-1].rstrip() + f" {key}={shown}]"


def _repaired(norm: str) -> str:
    """A best guess at what a directive that does not parse meant: lower-case prefix, no
    spaces around ``=``, a closing ``]``, nothing after it."""
    text = PREFIX + norm[len(PREFIX) :]
    text = re.sub(r"\s*=\s*", "=", text)
    if "]" not in text:
        text = text.rstrip() + "]"
    elif not text.endswith("]") and text.count('"') % 2 == 0:
        text = text[: text.index("]") + 1]
    return text


def _fix_for(norm: str) -> str | None:
    """The repaired text when it parses (or its own fix), else None."""
    return _fix_and_next(norm)[0]


def _fix_and_next(norm: str) -> tuple[str | None, str]:
    """(the repaired text or its own fix, the next problem of the repaired text or "")."""
    guess = _repaired(norm)
    if guess == norm:
        return None, ""
    try:
        return parse_directive(guess).text, ""
    except DirectiveError as exc:
        return exc.fix, f" (then: {exc.message})" if exc.fix is None else ""


def _shape_error(message: str, norm: str) -> DirectiveError:
    """An error about the directive's shape, with the fix and what the fix would still lack,
    so one build reports both mistakes of ``[Tlsreport chart kind=pie``."""
    fix, then = _fix_and_next(norm)
    return DirectiveError(message + then, fix)


def normalise(text: str) -> str:
    """One spelling per directive: whitespace runs (line breaks too) become one space."""
    return " ".join(text.split())


def parse_directive(text: str) -> Directive:
    """Parse and validate one directive; raise DirectiveError saying what is wrong."""
    norm = normalise(text)
    if starts_like_directive(norm) and not norm.startswith(PREFIX):
        raise _shape_error(
            f"a directive starts with '{PREFIX}' in lower case, not {norm[: len(PREFIX)]!r}", norm
        )
    if starts_like_directive(norm) and "]" not in norm:
        raise _shape_error("the directive is not closed with ']'", norm)
    if starts_like_directive(norm) and not norm.endswith("]"):
        raise _shape_error(
            "a directive must be alone in its paragraph (nothing after its ']'; leave a "
            "blank line before and after it)",
            norm,
        )
    if not looks_like_directive(norm):
        raise DirectiveError(f"not a directive: {norm!r}")
    body = norm[len(PREFIX) : -1]
    pos = 0
    words: list[tuple[str, str | None]] = []
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise _unreadable(norm, body[pos:])
        if m.group("quoted") is not None:
            value: str | None = re.sub(r"\\(.)", r"\1", m.group("quoted"))
        else:
            value = m.group("bare")
        words.append((m.group("key"), value))
        pos = m.end()
        if pos < len(body) and not body[pos].isspace():
            raise _unreadable(norm, body[pos:])
    if not words or words[0][1] is not None:
        raise DirectiveError(f"the directive needs a view first: one of {', '.join(VIEWS)}")
    view = words[0][0]
    if view not in VIEWS:
        close = difflib.get_close_matches(view, list(VIEWS), n=1)
        raise DirectiveError(
            f"unknown view {view!r} (known views: {', '.join(VIEWS)})",
            PREFIX + " " + close[0] + norm[len(PREFIX) + 1 + len(view) :] if close else None,
        )
    allowed = VIEWS[view]
    options: dict[str, object] = {}
    for key, raw in words[1:]:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            raise DirectiveError(
                f"unknown option {key!r} for view {view!r} (known: {', '.join(allowed)})",
                re.sub(rf"(\s){re.escape(key)}(?==|\s|\])", rf"\g<1>{close[0]}", norm, count=1)
                if close
                else None,
            )
        if raw is None:
            raise DirectiveError(f"option {key!r} needs a value ({key}=...)")
        if key in options:
            raise DirectiveError(f"option {key!r} given twice")
        options[key] = _convert(key, allowed[key], raw)
    if view == "traffic":
        if "data" not in options:
            raise DirectiveError("view 'traffic' needs data=NAME (a report in data/traffic)")
        options.setdefault("view", TRAFFIC_VIEWS[0])
    elif "list" not in options:
        raise DirectiveError(f"view {view!r} needs list=SLUG")
    if view == "grades":
        options.setdefault("compact", False)
    if view == "changes":
        options.setdefault("since", "previous")
    if view == "chart":
        options.setdefault("kind", DEFAULT_CHART_KIND)
        if options["kind"] == "timeline" and "target" not in options:
            raise DirectiveError("chart kind=timeline needs target=NAME")
        if options["kind"] != "timeline" and "target" in options:
            raise DirectiveError("option 'target' only goes with chart kind=timeline")
    if view == "target" and "target" not in options:
        raise DirectiveError("view 'target' needs target=NAME")
    return Directive(view=view, options=options, text=norm)


def _unreadable(norm: str, rest: str) -> DirectiveError:
    """The part of a directive that cannot be read, with the rule it breaks and a fix."""
    rest = rest.strip()
    if rest.startswith("=") or re.search(r"\s=|=\s", norm):
        why = "no spaces around '=' (write key=value)"
    elif rest.count('"') % 2:
        why = "a quote is not closed"
    else:
        why = 'options are written key=value, quoted when the value has spaces (key="a b")'
    return DirectiveError(f"cannot read the directive from {rest!r}: {why}", _fix_for(norm))


def _convert(key: str, kind: str, raw: str) -> object:
    if kind == "slug":
        if not _SLUG.match(raw):
            raise DirectiveError(f"option {key!r}: {raw!r} is not a list slug")
        return raw
    if kind == "name":
        if not _SLUG.match(raw):
            raise DirectiveError(
                f"option {key!r}: {raw!r} is not a report name "
                "(lower-case letters, digits, '.', '_', '-')"
            )
        return raw
    if kind == "traffic_view":
        if raw not in TRAFFIC_VIEWS:
            raise DirectiveError(
                f"option {key!r}: unknown traffic view {raw!r} (known: {', '.join(TRAFFIC_VIEWS)})"
            )
        return raw
    if kind == "bool":
        if raw.lower() in YES:
            return True
        if raw.lower() in NO:
            return False
        raise DirectiveError(f"option {key!r}: expected yes or no, got {raw!r}")
    if kind == "date":
        return _date(key, raw)
    if kind == "since":
        return "previous" if raw == "previous" else _date(key, raw, extra="previous or ")
    if kind == "days":
        if not raw.isdigit() or int(raw) > 3650:
            raise DirectiveError(f"option {key!r}: expected a number of days (0-3650), got {raw!r}")
        return int(raw)
    if kind == "kind":
        if raw not in CHART_KINDS:
            raise DirectiveError(
                f"option {key!r}: unknown chart kind {raw!r} (known: {', '.join(CHART_KINDS)})"
            )
        return raw
    if not raw:
        raise DirectiveError(f"option {key!r} must not be empty")
    return raw


def _date(key: str, raw: str, extra: str = "") -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DirectiveError(f"option {key!r}: expected {extra}YYYY-MM-DD, got {raw!r}") from None


# --- where directives are in a Markdown source ------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")


_OCCURRENCE = re.compile(r'\[tlsreport(?:\s(?:[^\]"]|"(?:[^"\\]|\\.)*")*)?\]')
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.S)

# An inline directive: only the target card makes sense inside a sentence.
INLINE_PATTERN = r'\[tlsreport\s+target\s(?:[^\]"\n]|"(?:[^"\\\n]|\\.)*")*\]'


def directive_lines(source: str) -> list[tuple[int, str]]:
    """(1-based line, normalised text) of every directive outside code, in source order.

    Mirrors what Markdown sees closely enough for locating errors: fenced blocks (``` or
    ~~~), indented code (4 spaces or a tab after a blank line) and inline code spans are
    skipped; a directive may span lines within its paragraph. A metadata header is harmless:
    its lines hold no ``[tlsreport``.
    """
    lines = source.splitlines()
    paragraphs: list[tuple[int, list[str]]] = []  # (first line index, lines)
    fence: str | None = None
    prev_blank = True
    in_indented_code = False
    current: list[str] | None = None
    for i, line in enumerate(lines):
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) <= set(fence[0]):
                fence = None
                prev_blank = True
            continue
        m = _FENCE.match(line)
        if m:
            fence = m.group("fence")
            current = None
            continue
        if line.strip() == "":
            prev_blank = True
            current = None
            continue
        indented = line.startswith("    ") or line.startswith("\t")
        if indented and (prev_blank or in_indented_code) and current is None:
            in_indented_code = True
            prev_blank = False
            continue
        in_indented_code = False
        prev_blank = False
        if current is None:
            current = [line]
            paragraphs.append((i, current))
        else:
            current.append(line)
    found: list[tuple[int, str]] = []
    for first, para in paragraphs:
        text = "\n".join(para)
        if starts_like_directive(text) and not looks_like_directive(text):
            # The whole paragraph became one placeholder (a directive that does not parse).
            found.append((first + 1, normalise(text)))
            continue
        text = _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
        for m in _OCCURRENCE.finditer(text):
            found.append((first + 1 + text.count("\n", 0, m.start()), normalise(m.group(0))))
    return found
