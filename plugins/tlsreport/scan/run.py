"""Running: one target (``scan_target``) and one target list (``scan_list``), bounded in time.

Shape of a run, and why:

1. Every target gets its own worker, at most ``concurrency`` at a time. sslyze's ``Scanner``
   yields nothing until *every* connectivity test of its batch has finished, and a server that
   accepts TCP but never answers keeps its test busy for ~11 x the network timeout (lab notes,
   pitfall 2). One ``Scanner`` per target means a slow target only ever delays itself, and
   each target has a known start time for its bound.
2. Each worker first runs the cheap probe (``probe.probe_target``), so silent, closed,
   unresolvable and non-TLS servers are recorded in about one network timeout.
3. Reachable targets get the full sslyze scan through its public API (``Scanner``), with every
   scan command the grader needs. Results are mapped by request (one request per Scanner),
   then normalised (``normalise.facts_from_sslyze_json``).
4. The coordinator (the caller's thread) enforces the per-target and overall bounds: a target
   past its bound is recorded as ``timeout`` and abandoned (its threads are daemons, sslyze's
   too, so they can never hold the process open).

sslyze is imported inside the functions that scan: its import (nassl, cryptography, pydantic)
takes seconds, and importing this package (for the normaliser, or the CLI's other commands)
must not pay it.
"""

from __future__ import annotations

import dataclasses
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import facts
from ..targets import Target, TargetList
from ..version import __version__
from .chain import RECORD_KEY as CHAIN_RECORD
from .chain import ChainFetcher, needs_completion
from .chain import complete as complete_chain
from .mail import add_mail_facts
from .normalise import (
    HTTP_HEADERS,
    SCAN_COMMANDS,
    facts_from_sslyze_json,
    incomplete_commands,
    sslyze_result_to_json,
    state_from_connectivity_error,
)
from .probe import STARTTLS_SERVICES, fetch_hsts, probe_target


@dataclass(frozen=True)
class ScanProgress:
    """What a progress display needs after each finished target."""

    done: int
    total: int
    failures: int  # targets whose state is not "ok"
    last: facts.TargetResult


# --- one target ------------------------------------------------------------------------------


def _scan_request(
    target: Target, ip: str, ca_file: Any, network_timeout: float, only: set[str] | None = None
) -> Any:
    """sslyze's request for one target, at the address the probe resolved (no second DNS);
    ``only``: just these commands (a retry)."""
    from sslyze import (  # lazy: see the module docstring
        CertificateInfoExtraArgument,
        ProtocolWithOpportunisticTlsEnum,
        ScanCommand,
        ScanCommandsExtraArguments,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
    )

    starttls = STARTTLS_SERVICES.get(target.service)
    config = ServerNetworkConfiguration(
        tls_server_name_indication=target.host,
        tls_opportunistic_encryption=ProtocolWithOpportunisticTlsEnum(starttls)
        if starttls
        else None,
        network_timeout=max(1, round(network_timeout)),  # sslyze takes whole seconds
    )
    commands = {ScanCommand(c) for c in SCAN_COMMANDS}
    if target.service == "https" and target.path == "/":
        commands.add(ScanCommand(HTTP_HEADERS))  # other paths: probe.fetch_hsts
    if only is not None:
        commands = {c for c in commands if c.value in only}
    # sslyze refuses an extra argument for a command not asked for (a retry of suites only).
    extra = (
        ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_file)
        )
        if ca_file and ScanCommand.CERTIFICATE_INFO in commands
        else ScanCommandsExtraArguments()
    )
    return ServerScanRequest(
        server_location=ServerNetworkLocation(
            hostname=target.host, port=target.port, ip_address=ip
        ),
        network_configuration=config,
        scan_commands=commands,
        scan_commands_extra_arguments=extra,
    )


def _run_sslyze(request: Any) -> dict:
    """One sslyze request, its result as sslyze's JSON."""
    from sslyze import Scanner  # lazy: see the module docstring

    scanner = Scanner(per_server_concurrent_connections_limit=5, concurrent_server_scans_limit=1)
    scanner.queue_scans([request])
    by_request = {r.uuid: r for r in scanner.get_results()}
    return sslyze_result_to_json(by_request[request.uuid])  # pitfall 1: by request, not order


def retry_incomplete(raw: dict, rerun: Callable[[set[str]], dict]) -> dict:
    """Run the commands of ``raw`` whose answer was incomplete once more and keep the retry's
    answers for them; the rest of ``raw`` stays. Still incomplete after the retry, they are
    recorded "not tested" by the normaliser (never "not offered").

    Why once: a busy machine or a slow server explains one bad attempt; a second one that goes
    the same way is the server's behaviour, and a scan must end. ``raw["tlsreport_retried"]``
    names what was retried, for whoever reads the kept raw file.
    """
    again = incomplete_commands(raw)
    if not again:
        return raw
    second = rerun(set(again))
    merged = dict(raw)
    scan = dict(raw.get("scan_result") or {})
    for command, attempt in (second.get("scan_result") or {}).items():
        if command in again and attempt and attempt.get("status") != "NOT_SCHEDULED":
            scan[command] = attempt
    merged["scan_result"] = scan
    merged["tlsreport_retried"] = sorted(again)
    return merged


ENDPOINTS_KEY = "tlsreport_endpoints"  # a multi-address target's raw: one entry per address


def addresses_of(target: Target) -> list[str] | None:
    """Every address the target is scanned at: the pinned ones, else all that the system
    resolver gives for its host (A and AAAA), IPv4 first; None when the name does not resolve
    (the probe then records the DNS failure)."""
    if target.addresses:
        return list(target.addresses)
    if target.address is not None:
        return [target.address]
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    found = list(dict.fromkeys(str(i[4][0]) for i in infos))
    return sorted(found, key=lambda a: ":" in a)  # stable: IPv4 first, as before endpoints


def scan_target(
    target: Target,
    *,
    ca_file: Any = None,
    network_timeout: float = 5.0,
    at: datetime | None = None,
    answering: Callable[[], None] | None = None,
    aia: ChainFetcher | None = None,
    mail_domain: str | None = None,
    dns_server: str | None = None,
) -> tuple[facts.TargetResult, dict | None]:
    """Probe then fully scan one target at each of its addresses; never raises for anything
    the server does.

    One address: the result as always. Several (a load balancer, a CDN, IPv4 and IPv6): each
    is an endpoint scanned on its own, concurrently, with the host as SNI; the result lists
    them (``TargetResult.endpoints``), its own state and facts are the first reachable one's,
    and the raw is ``{ENDPOINTS_KEY: [raw, ...]}``. ``answering`` is called once the probe
    saw a server answer in TLS: from then on the caller may give it the time a slow but
    healthy server needs. ``aia`` fetches missing intermediates (``scan.chain``), shared by a
    run so each URL is fetched once. ``mail_domain``/``dns_server`` (a mail list's settings)
    go to the mail part of the scan (``scan.mail``).
    """
    addresses = addresses_of(target)
    if addresses is None or len(addresses) == 1:
        # One address: pinned for the probe (no second DNS lookup); unresolvable: the probe
        # resolves once more and records the DNS failure with its reason.
        at_address = (
            target
            if addresses is None
            else dataclasses.replace(target, address=addresses[0], addresses=())
        )
        return _scan_endpoint(
            target,
            at_address,
            ca_file=ca_file,
            network_timeout=network_timeout,
            at=at,
            answering=answering,
            aia=aia,
            mail_domain=mail_domain,
            dns_server=dns_server,
        )
    started = time.monotonic()
    outcomes: list[tuple[facts.TargetResult, dict | None] | None] = [None] * len(addresses)
    shared = aia or ChainFetcher()

    def one(i: int) -> None:
        try:
            outcomes[i] = _scan_endpoint(
                target,
                dataclasses.replace(target, address=addresses[i], addresses=()),
                ca_file=ca_file,
                network_timeout=network_timeout,
                at=at,
                answering=answering,
                aia=shared,
                mail_domain=mail_domain,
                dns_server=dns_server,
            )
        except Exception as exc:  # never lose the other endpoints to one surprise
            outcomes[i] = (
                facts.TargetResult(
                    target=target.ref(), state="error", reason=f"{type(exc).__name__}: {exc}"
                ),
                None,
            )

    threads = [
        threading.Thread(target=one, args=(i,), daemon=True, name=f"tlsreport-endpoint-{i}")
        for i in range(len(addresses))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()  # each endpoint is bounded by its own network timeouts; the run bounds all
    done = [o for o in outcomes if o is not None]  # every thread has set its own by now
    endpoints = tuple(
        facts.Endpoint(
            address=a, state=r.state, reason=r.reason, facts=r.facts, duration=r.duration
        )
        for a, (r, _raw) in zip(addresses, done, strict=True)
    )
    first = next((e for e in endpoints if e.state == facts.STATE_OK), endpoints[0])
    reason = first.reason
    if first.state != facts.STATE_OK:
        reason = f"all {len(endpoints)} addresses: {first.reason}"
    result = facts.TargetResult(
        target=target.ref(),
        state=first.state,
        reason=reason,
        facts=first.facts,
        duration=round(time.monotonic() - started, 3),
        endpoints=endpoints,
    )
    return result, {ENDPOINTS_KEY: [raw for _r, raw in done if raw]}


def _scan_endpoint(
    target: Target,
    at_address: Target,
    *,
    ca_file: Any,
    network_timeout: float,
    at: datetime | None,
    answering: Callable[[], None] | None,
    aia: ChainFetcher | None,
    mail_domain: str | None = None,
    dns_server: str | None = None,
) -> tuple[facts.TargetResult, dict | None]:
    """Probe then fully scan ``at_address`` (the target, pinned to one address); the result
    names ``target`` as the list wrote it."""
    started = time.monotonic()

    def done(
        state: str, reason: str | None, found: facts.Facts | None = None
    ) -> facts.TargetResult:
        return facts.TargetResult(
            target=target.ref(),
            state=state,
            reason=reason,
            facts=found,
            duration=round(time.monotonic() - started, 3),
        )

    probe = probe_target(at_address, network_timeout)
    if probe.state != facts.STATE_OK or probe.ip is None:
        return done(probe.state, probe.reason), None
    if answering is not None:
        answering()
    ip = probe.ip
    try:
        raw = _run_sslyze(_scan_request(target, ip, ca_file, network_timeout))
        if raw.get("connectivity_status") == "COMPLETED":
            # The retry waits twice as long per connection: a slow server gets its time.
            raw = retry_incomplete(
                raw,
                lambda only: _run_sslyze(
                    _scan_request(target, ip, ca_file, 2 * network_timeout, only)
                ),
            )
            if needs_completion(raw):
                raw = {
                    **raw,
                    CHAIN_RECORD: complete_chain(
                        raw, aia or ChainFetcher(), at or datetime.now(UTC)
                    ),
                }
    except Exception as exc:  # a bug or surprise in sslyze must not end the whole run
        return done(
            "error", f"{facts.UNREACHABLE_STATES['error']}: {type(exc).__name__}: {exc}"
        ), None
    if raw.get("connectivity_status") != "COMPLETED":
        state, reason = state_from_connectivity_error(raw.get("connectivity_error_trace"))
        return done(state, reason), raw
    found = facts_from_sslyze_json(raw, at=at)
    if target.service == "https" and target.path != "/":
        hsts, http_error = fetch_hsts(target, probe.ip, network_timeout)
        found = dataclasses.replace(found, hsts=hsts, http_error=http_error)
    # Mail targets: the policy before TLS, and the list's mail domain on its MX (issue 14).
    found = add_mail_facts(
        found,
        target,
        ip,
        mail_domain=mail_domain,
        dns_server=dns_server,
        ca_file=ca_file,
        timeout=network_timeout,
    )
    return done(facts.STATE_OK, None, found), raw


# --- one list --------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


def sslyze_version() -> str:
    """The sslyze that scanned, for the snapshot's ``versions`` and the raw file."""
    from sslyze.__version__ import __version__ as version  # lazy: see the module docstring

    return str(version)


def _bound(
    start: float, seconds: float, which: str, run_deadline: float, overall_timeout: float
) -> tuple[float, str]:
    """(deadline, its name in a timeout reason): the target's own bound or the run's."""
    own = start + seconds
    if own <= run_deadline:
        return own, f"the {which} bound of {seconds:g} s"
    return run_deadline, f"the run's overall bound of {overall_timeout:g} s"


def scan_list(
    target_list: TargetList,
    *,
    network_timeout: float = 5.0,
    target_timeout: float = 60.0,
    overall_timeout: float = 600.0,
    concurrency: int = 10,
    progress: Callable[[ScanProgress], None] | None = None,
    now: Callable[[], datetime] = _utcnow,
    answering_timeout: float = 600.0,
) -> tuple[facts.Snapshot, dict]:
    """Scan every target of a list; returns the snapshot and sslyze's raw JSON for it.

    Unreachable targets are results (with a state and reason), never exceptions. Results keep
    the list's order whatever order they finish in.

    Bounds: ``target_timeout`` until the probe has seen the server answer in TLS; from then
    on the target has ``answering_timeout`` from its start (never less than
    ``target_timeout``). The bound protects against silent servers, not slow ones: a single-
    threaded server on a busy machine answers every test, late (SSL Labs itself takes minutes
    per host). ``overall_timeout`` still ends the run.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    # Load sslyze before any bound starts: its first import (seconds on a busy machine, under
    # the import lock in every worker at once) is not time any target spent.
    import sslyze  # noqa: F401

    started_at = now().astimezone(UTC).replace(microsecond=0)
    taken = started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    targets = target_list.targets
    aia = ChainFetcher(enabled=target_list.aia_fetch)
    results: list[facts.TargetResult | None] = [None] * len(targets)
    raws: list[dict | None] = [None] * len(targets)
    # (index, result, raw); a None result means "the target answered the probe".
    finished: queue.Queue[tuple[int, facts.TargetResult | None, dict | None]] = queue.Queue()

    def work(index: int) -> None:
        target = targets[index]
        try:
            outcome = scan_target(
                target,
                ca_file=target_list.ca_file,
                network_timeout=network_timeout,
                at=started_at,
                aia=aia,
                answering=lambda: finished.put((index, None, None)),
                mail_domain=target_list.mail_domain,
                dns_server=target_list.dns_server,
            )
        except Exception as exc:
            outcome = (
                facts.TargetResult(
                    target=target.ref(), state="error", reason=f"{type(exc).__name__}: {exc}"
                ),
                None,
            )
        finished.put((index, *outcome))

    run_deadline = time.monotonic() + overall_timeout
    pending = list(range(len(targets)))
    running: dict[int, tuple[float, str]] = {}  # index -> (deadline, which bound)
    began: dict[int, float] = {}
    done_count = failures = 0

    def record(index: int, result: facts.TargetResult, raw: dict | None) -> None:
        nonlocal done_count, failures
        results[index] = result
        raws[index] = raw
        done_count += 1
        failures += result.state != facts.STATE_OK
        if progress is not None:
            progress(ScanProgress(done_count, len(targets), failures, result))

    while pending or running:
        while pending and len(running) < concurrency and time.monotonic() < run_deadline:
            index = pending.pop(0)
            began[index] = time.monotonic()
            running[index] = _bound(
                began[index], target_timeout, "per-target", run_deadline, overall_timeout
            )
            threading.Thread(
                target=work, args=(index,), daemon=True, name=f"tlsreport-scan-{index}"
            ).start()
        if not running:
            break  # overall bound reached before the rest could start
        wait = max(0.0, min(d for d, _ in running.values()) - time.monotonic())
        try:
            index, result, raw = finished.get(timeout=wait)
        except queue.Empty:
            current = time.monotonic()
            for index in [i for i, (d, _) in running.items() if d <= current]:
                _, bound = running.pop(index)
                record(
                    index,
                    facts.TargetResult(
                        target=targets[index].ref(),
                        state="timeout",
                        reason=f"{facts.UNREACHABLE_STATES['timeout']}: scan not finished "
                        f"within {bound}",
                    ),
                    None,
                )
            continue
        if result is None:  # it answered: from now on a slow server gets its time
            if index in running:
                running[index] = _bound(
                    began[index],
                    max(answering_timeout, target_timeout),
                    "answering target's",
                    run_deadline,
                    overall_timeout,
                )
            continue
        if index in running:  # a late result of an abandoned target is ignored
            del running[index]
            record(index, result, raw)
    for index in pending:
        record(
            index,
            facts.TargetResult(
                target=targets[index].ref(),
                state="timeout",
                reason=f"{facts.UNREACHABLE_STATES['timeout']}: not started, the run's overall "
                f"bound of {overall_timeout:g} s was reached",
            ),
            None,
        )

    completed_at = now().astimezone(UTC)
    snapshot = facts.Snapshot(
        list_slug=target_list.slug,
        title=target_list.title,
        taken=taken,
        kind="scan",
        results=tuple(r for r in results if r is not None),
        versions={
            "tlsreport": __version__,
            "sslyze": sslyze_version(),
            "schema": str(facts.SCHEMA_VERSION),
        },
    )
    raw_doc = {
        "sslyze_version": sslyze_version(),
        "date_scans_started": taken,
        "date_scans_completed": completed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "server_scan_results": [
            e for r in raws if r is not None for e in r.get(ENDPOINTS_KEY, [r])
        ],
        "invalid_server_strings": [],
    }
    return snapshot, raw_doc
