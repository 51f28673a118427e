"""The dev stack's supervisor: restarts with capped, resetting backoff; never during a stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from cli.devstack.supervisor import Backoff, Child, Supervisor


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 10.0), (20, 10.0)],
)
def test_backoff_doubles_from_its_first_delay_up_to_its_cap(failures: int, delay: float) -> None:
    assert Backoff(initial=0.5, factor=2, cap=10).delay(failures) == delay


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "60"])


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[tuple[Supervisor, Clock]]:
    clock = Clock()
    running = Supervisor(
        tmp_path / "pids.json", Backoff(initial=0.5, cap=4, stable_seconds=30), clock=clock
    )
    yield running, clock
    running.stop()


def _crash(child: Child) -> None:
    assert child.process is not None
    child.process.kill()
    child.process.wait()


def test_a_dead_child_is_started_again_once_its_delay_is_over(
    supervisor: tuple[Supervisor, Clock],
) -> None:
    running, clock = supervisor
    child = Child("worker", _sleeper)
    first = running.start(child)
    _crash(child)
    with capture_logs() as logs:
        running.check()
        clock.now += 0.4
        running.check()
        assert child.process is first  # still waiting out its 0.5 s
        clock.now += 0.2
        running.check()
    assert child.process is not first
    assert child.process.poll() is None
    restarting = next(e for e in logs if e["event"] == "child.restarting")
    assert restarting["child"] == "worker"
    assert restarting["exit_code"] == -signal.SIGKILL
    assert restarting["signal"] == "SIGKILL"
    assert restarting["delay_seconds"] == 0.5
    started = next(e for e in logs if e["event"] == "child.started")
    assert started["pid"] == child.process.pid


def test_a_child_that_keeps_dying_waits_longer_each_time_until_it_runs_stably(
    supervisor: tuple[Supervisor, Clock],
) -> None:
    running, clock = supervisor
    child = Child("api", _sleeper)
    running.start(child)
    delays = []
    for ran in (1, 1, 1, 1, 1, 31):
        clock.now += ran
        _crash(child)
        running.check()
        assert child.restart_at is not None
        delays.append(child.restart_at - clock.now)
        clock.now = child.restart_at
        running.check()
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 0.5]


def test_nothing_is_restarted_once_a_stop_is_asked(
    supervisor: tuple[Supervisor, Clock], tmp_path: Path
) -> None:
    running, clock = supervisor
    launches: list[subprocess.Popen[bytes]] = []

    def launch() -> subprocess.Popen[bytes]:
        launches.append(_sleeper())
        return launches[-1]

    child = Child("temporal", launch)
    running.start(child)
    _crash(child)
    running.check()  # a restart is now due in 0.5 s
    running.request_stop()
    clock.now += 60
    running.check()
    running.stop()
    assert len(launches) == 1
    assert not (tmp_path / "pids.json").exists()


def test_stop_stops_the_last_started_child_first_and_kills_one_that_ignores_it(
    supervisor: tuple[Supervisor, Clock], tmp_path: Path
) -> None:
    running, _ = supervisor
    order = tmp_path / "order"

    def stubborn(name: str, ignore: bool) -> Child:
        script = (
            "import signal, sys, time\n"
            f"def stop(*_):\n    open({str(order)!r}, 'a').write({name!r} + '\\n'); sys.exit(0)\n"
            f"signal.signal(signal.SIGTERM, signal.SIG_IGN if {ignore} else stop)\n"
            "print('ready', flush=True)\ntime.sleep(60)\n"
        )

        def launch() -> subprocess.Popen[bytes]:
            return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)

        return Child(name, launch, stop_timeout=0.5)

    children = [stubborn("postgres", False), stubborn("worker", False), stubborn("api", True)]
    for child in children:
        process = running.start(child)
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"  # its handler is in place
    running.stop()
    assert order.read_text().split() == ["worker", "postgres"]
    codes = [c.process.returncode for c in children if c.process is not None]
    assert codes == [0, 0, -signal.SIGKILL]
