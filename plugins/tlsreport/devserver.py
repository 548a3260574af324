"""``python -m tlsreport.devserver [pelican options]``: what ``make devserver`` runs.

Pelican's own ``pelican -lr`` rebuilds when the content, the theme or the settings change,
but a blogger's loop is "scan, look at the post": a new snapshot in the history folder or an
edited target list must rebuild too, and Pelican offers no setting to watch more folders. And
``-lr`` runs its web server in a second process that outlives it when it is stopped by a
signal other than Ctrl-C, keeping the port. So this is Pelican's autoreload loop, the same
options and the same build (``pelican.get_instance``), watching also
``TLSREPORT_HISTORY_DIR`` and ``TLSREPORT_TARGETS_DIR``, and stopping its server child however
it is stopped (Ctrl-C, SIGTERM, or its own death: the child asks the kernel for SIGTERM when
its parent dies).

It imports no other tlsreport module: the plugin is loaded by Pelican as configured.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("pelican")

STOP_TIMEOUT = 5.0
_PR_SET_PDEATHSIG = 1


def watched_paths(settings: dict[str, Any], settings_file: str | None) -> list[Path]:
    """Everything whose change should rebuild: Pelican's own list, history and target lists.

    Pure apart from checking which paths exist (watching a missing folder is an error).
    """
    content = settings.get("PATH") or ""
    candidates = [settings_file, settings.get("THEME"), content]
    candidates += [os.path.join(content, p) for p in settings.get("STATIC_PATHS", [])]
    candidates += [
        settings.get("TLSREPORT_HISTORY_DIR", "data/history"),
        settings.get("TLSREPORT_TARGETS_DIR", "data/targets"),
    ]
    out: list[Path] = []
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate).resolve()
        if path.exists() and path not in out:
            out.append(path)
    return out


def _serve(bind: str, port: int, output: str) -> None:
    """The child: Pelican's web server, told to stop when its parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    from pelican import listen

    listen(bind, port, output)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a supervisor) stops the loop the way Ctrl-C does."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(child: multiprocessing.process.BaseProcess) -> None:
    """Stop the server child and wait for it (TERM, then KILL): the port is free after."""
    if child.is_alive():
        child.terminate()
        child.join(STOP_TIMEOUT)
    if child.is_alive():
        child.kill()
        child.join(STOP_TIMEOUT)


def _build(instance: Any, settings: dict[str, Any]) -> None:
    """One build; a failed build is reported and the loop waits for the fix."""
    try:
        instance.run()
    except Exception as exc:  # the next change may fix it: keep serving
        debug = bool(settings.get("DEBUG")) or log.isEnabledFor(logging.DEBUG)
        log.error("build failed: %s: %s", type(exc).__name__, exc, exc_info=debug)


def main(argv: list[str] | None = None) -> int:
    import pelican
    import watchfiles
    from pelican.log import init as init_logging
    from pelican.utils import FileChangeFilter

    args = pelican.parse_arguments(argv)
    init_logging(
        level=args.verbosity,
        fatal=args.fatal,
        name="pelican",
        handler=pelican.LOG_HANDLERS[args.log_handler],
        logs_dedup_min_level=getattr(logging, args.logs_dedup_min_level),
    )
    instance, settings = pelican.get_instance(args)
    settings_file = os.path.abspath(args.settings) if args.settings else None
    child = multiprocessing.get_context("fork").Process(
        target=_serve,
        name="tlsreport-devserver-http",
        args=(
            settings.get("BIND") or "127.0.0.1",
            settings.get("PORT") or 8000,
            settings["OUTPUT_PATH"],
        ),
    )
    child.start()
    try:
        with _sigterm_as_interrupt():
            while True:
                _build(instance, settings)
                paths = watched_paths(settings, settings_file)
                print(
                    "tlsreport devserver: watching "
                    + ", ".join(map(str, paths))
                    + " (Ctrl-C stops the server too)",
                    file=sys.stderr,
                    flush=True,
                )
                changes = next(
                    watchfiles.watch(
                        *paths,
                        rust_timeout=1000,
                        watch_filter=FileChangeFilter(
                            ignore_file_patterns=set(settings.get("IGNORE_FILES", []))
                        ),
                    )
                )
                changed = sorted({path for _, path in changes})
                print(
                    "-> Modified: " + ", ".join(changed) + ". re-generating...",
                    file=sys.stderr,
                    flush=True,
                )
                if settings_file in changed:
                    instance, settings = pelican.get_instance(args)
    except KeyboardInterrupt:
        print("tlsreport devserver: stopped", file=sys.stderr, flush=True)
    finally:
        _stop(child)
    return 0


if __name__ == "__main__":
    sys.exit(main())
