"""Keeps the dev stack's processes running: a child that dies is started again, with backoff.

A small supervisor of our own rather than supervisord or circus: both are daemons with their own
configuration files and control protocol, while `docketflow dev` needs one loop that lives and
dies with the command, logs through structlog and never restarts anything once a stop is asked.

While supervising, SIGINT and SIGTERM only set a flag that the loop reads between two checks, so
a stop never lands in the middle of a restart (a process started but not yet recorded would
outlive the stack). Children run in process groups of their own: a terminal's Ctrl-C reaches the
supervisor alone, which stops them last-started first — the worker and the API finish their
in-flight work while Temporal and PostgreSQL still answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

# HOME/pids.json: {"supervisor": pid, "children": {name: pid}}, rewritten at every (re)start.
PIDS_FILE = "pids.json"


@dataclass(frozen=True)
class Backoff:
    """How long a dead child waits before its next start.

    The n-th consecutive failure waits `initial * factor**(n-1)` seconds, at most `cap`; a child
    that ran for `stable_seconds` counts as healthy again, so its next crash waits `initial`.
    `stable_seconds` exceeds `cap` so that a child crashing soon after every start keeps backing
    off instead of resetting each time.
    """

    initial: float = 0.5
    factor: float = 2.0
    cap: float = 10.0
    stable_seconds: float = 30.0

    def delay(self, failures: int) -> float:
        return float(min(self.cap, self.initial * self.factor ** max(failures - 1, 0)))


@dataclass
class Child:
    """One supervised process. `launch` starts it and returns at once, without waiting for it to
    be ready: whoever depends on it retries its connections, so a restart never blocks a stop."""

    name: str
    launch: Callable[[], subprocess.Popen[bytes]]
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float = 20.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    started_at: float = field(default=0.0, init=False)
    failures: int = field(default=0, init=False)
    restart_at: float | None = field(default=None, init=False)


class Supervisor:
    """Starts children, restarts the ones that die until a stop is asked, then stops them all."""

    def __init__(
        self,
        pid_file: Path,
        backoff: Backoff | None = None,
        poll_seconds: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children: list[Child] = []
        self.backoff = backoff or Backoff()
        self._pid_file = pid_file
        self._poll_seconds = poll_seconds
        self._clock = clock
        self._stopping = False

    @property
    def stopping(self) -> bool:
        return self._stopping

    def start(self, child: Child) -> subprocess.Popen[bytes]:
        """Start a child for the first time (a failure to launch is raised) and supervise it."""
        self.children.append(child)  # recorded first: a stop from here on stops it
        self._launch(child)
        assert child.process is not None
        return child.process

    def run(self) -> None:
        """Restart children as they die, until SIGINT or SIGTERM."""
        self._stop_on_signals()
        while not self._stopping:
            self.check()
            time.sleep(self._poll_seconds)

    def request_stop(self) -> None:
        """Ask `run` to return; nothing is restarted after this."""
        self._stopping = True

    def check(self) -> None:
        """One pass: note the children that died, start the ones whose delay is over."""
        for child in self.children:
            if self._stopping:
                return
            now = self._clock()
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._relaunch(child)
                continue
            code = child.process.poll() if child.process is not None else None
            if code is not None:
                self._schedule_restart(child, code, now)

    def stop(self) -> None:
        """Stop every child, last started first, each within its `stop_timeout`."""
        self._stopping = True
        self._stop_on_signals()  # a second Ctrl-C must not cut the stop short and orphan a child
        for child in reversed(self.children):
            child.restart_at = None
            _stop_process(child)
        self._pid_file.unlink(missing_ok=True)

    def _stop_on_signals(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.request_stop())

    def _schedule_restart(self, child: Child, code: int, now: float) -> None:
        if now - child.started_at >= self.backoff.stable_seconds:
            child.failures = 0
        child.failures += 1
        delay = self.backoff.delay(child.failures)
        child.restart_at = now + delay
        log.warning(
            "child.restarting",
            child=child.name,
            exit_code=code,
            signal=signal.Signals(-code).name if code < 0 else None,
            ran_seconds=round(now - child.started_at, 1),
            delay_seconds=delay,
            attempt=child.failures,
        )

    def _relaunch(self, child: Child) -> None:
        try:
            self._launch(child)
        except OSError as error:  # e.g. the binary vanished: try again later, as for a crash
            now = self._clock()
            child.started_at = now
            child.failures += 1
            delay = self.backoff.delay(child.failures)
            child.restart_at = now + delay
            log.error(
                "child.launch_failed", child=child.name, error=str(error), delay_seconds=delay
            )

    def _launch(self, child: Child) -> None:
        child.process = child.launch()
        child.started_at = self._clock()
        child.restart_at = None
        log.info("child.started", child=child.name, pid=child.process.pid, attempt=child.failures)
        self._write_pids()

    def _write_pids(self) -> None:
        pids = {c.name: c.process.pid for c in self.children if c.process is not None}
        temporary = self._pid_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"supervisor": os.getpid(), "children": pids}) + "\n")
        temporary.replace(self._pid_file)  # readers never see half a file


def _stop_process(child: Child) -> None:
    process = child.process
    if process is None or process.poll() is not None:
        return
    process.send_signal(child.stop_signal)
    try:
        process.wait(timeout=child.stop_timeout)
    except subprocess.TimeoutExpired:
        log.warning("child.killed", child=child.name, after_seconds=child.stop_timeout)
        process.kill()
        process.wait()
    log.info("child.stopped", child=child.name, exit_code=process.returncode)
