"""`docketflow dev` as a real subprocess on a fresh home, for tests that kill its children."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli.devstack.ports import free_port
from cli.devstack.stack import DEMO_MARKER
from cli.devstack.supervisor import PIDS_FILE


@dataclass
class DevStack:
    """A running `docketflow dev`: its home, API port, process and the file it logs to."""

    home: Path
    port: int
    process: subprocess.Popen[bytes]
    output: Path
    demo: bool = True

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def pids(self) -> dict[str, int]:
        """The pid of every child, as the supervisor last recorded it."""
        path = self.home / PIDS_FILE
        return dict(json.loads(path.read_text())["children"]) if path.exists() else {}

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                ready = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)
                # Seeding runs before the supervisor watches its children (its approval waits
                # on the worker): ready means seeded too, so a test's kill is supervised.
                if ready.status_code == 200 and (not self.demo or self.seeded):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the dev stack did not become ready:\n{self.log()}")

    @property
    def seeded(self) -> bool:
        return (self.home / DEMO_MARKER).exists()

    def wait_restarted(self, child: str, old_pid: int, timeout: float = 60) -> int:
        """The new pid of `child`, once the supervisor has started it again and it is alive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pids().get(child)
            if pid is not None and pid != old_pid and is_alive(pid):
                return pid
            time.sleep(0.2)
        raise AssertionError(f"{child} was not restarted within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 90) -> float:
        """SIGTERM, as a service manager would; returns the seconds the stack took to stop."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        return time.monotonic() - started


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that died but was not reaped yet still answers kill(0): look at its state.
    with suppress(OSError):
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return status != "Z"
    return True


@contextmanager
def dev_stack(*extra: str) -> Iterator[DevStack]:
    """`docketflow dev` on a fresh home under /tmp (the postgres user can reach it), stopped and
    killed at the end whatever happened, so no test leaves a stack behind. Assert inside the
    block: the home is removed when the block ends without an error."""
    home = Path("/tmp") / f"docketflow-dev-test-{uuid.uuid4().hex[:8]}"
    home.mkdir(parents=True)
    port = free_port()
    output = home / "dev-output.log"
    command = [sys.executable, "-m", "cli.main", "dev", "--home", str(home), "--port", str(port)]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*command, *extra],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "DOCKETFLOW_LOG_JSON": "false"},
        )
    stack = DevStack(
        home=home, port=port, process=process, output=output, demo="--no-demo" not in extra
    )
    try:
        yield stack
    finally:
        if process.poll() is None:
            with suppress(subprocess.TimeoutExpired):
                stack.stop()
        for pid in stack.pids().values():  # a stack that died uncleanly: leave nothing running
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    # Only a passing test's home goes (~50 MB each); a failing one keeps its logs to read.
    shutil.rmtree(home, ignore_errors=True)
