"""Figures of a simulated day, read back from the stack's own tables, and its chart.

Step latency joins each completion (the time it was sent, on this machine's clock) with the task
rows PostgreSQL stamped (`created_at`): the next task of the same engagement and fan-out item
created after the completion was sent, which is when claim-next can hand it out (an event
posted to a wait counts as that wait's completion). Automated steps
in between (the FRCP 5.2 scan, e-filing, checks) are inside that latency. The last task of a
fan-out item is not counted (its next task waits for the other items), nor the last of an
engagement.
"""

from __future__ import annotations

import bisect
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.bpo_day_floor import Completion
from bench.proc_cpu import cpu_seconds, process_tree


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)


@dataclass
class Sample:
    at: float  # seconds since the day began
    open: int
    claimed: int
    waiting: int
    engagements_done: int
    engagements_completed: int


SAMPLE_SQL = """
    SELECT
        (SELECT count(*) FILTER (WHERE status = 'open') FROM tasks),
        (SELECT count(*) FILTER (WHERE status = 'claimed') FROM tasks),
        (SELECT count(*) FILTER (WHERE status = 'waiting') FROM tasks),
        (SELECT count(*) FILTER (WHERE status IN ('completed', 'failed', 'cancelled'))
           FROM engagements),
        (SELECT count(*) FILTER (WHERE status = 'completed') FROM engagements)
"""


async def sample(connection: psycopg.AsyncConnection[Any], at: float) -> Sample:
    row = await (await connection.execute(SAMPLE_SQL)).fetchone()
    assert row is not None
    return Sample(at, *(int(v) for v in row))


# ---------------------------------------------------------------------------- CPU by process


class CpuByProcess:
    """CPU used during the day by each part of the stack (its whole process tree: PostgreSQL's
    backends, uvicorn's workers), the dev supervisor itself, and this driver (the simulated
    floor). A part restarted mid-run would lose its CPU so far: the pids are named in the JSON."""

    def __init__(self, parts: dict[str, int], supervisor: int) -> None:
        self.parts, self.supervisor = parts, supervisor
        self.before: dict[int, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> None:
        self.before, _ = cpu_seconds()

    def stop(self) -> None:
        after, parent = cpu_seconds()
        groups = {name: process_tree(pid, parent) for name, pid in self.parts.items()}
        groups["supervisor"] = {self.supervisor}
        groups["driver"] = {os.getpid()}
        self.used = {
            name: round(sum(after.get(p, 0.0) - self.before.get(p, 0.0) for p in pids), 2)
            for name, pids in groups.items()
        }


# ---------------------------------------------------------------------------- figures


async def figures(
    url: str,
    completions: list[Completion],
    template_of: dict[str, str],
    day_began: float,
    scale: float,
) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(url) as connection:
        tasks = await (
            await connection.execute(
                "SELECT id::text, engagement_id::text, item, kind, status, created_at,"
                " completed_at, due_at, sla_state FROM tasks"
            )
        ).fetchall()
        engagements = await (
            await connection.execute(
                "SELECT template_key, status, created_at, closed_at FROM engagements"
            )
        ).fetchall()
    epoch = datetime.fromtimestamp

    # Task creation times per (engagement, item), sorted, for the step-latency join.
    created: dict[tuple[str, int], list[float]] = defaultdict(list)
    by_engagement: dict[str, list[float]] = defaultdict(list)
    for _id, engagement, item, _kind, _status, created_at, *_ in tasks:
        created[(engagement, item)].append(created_at.timestamp())
        by_engagement[engagement].append(created_at.timestamp())
    for times in (*created.values(), *by_engagement.values()):
        times.sort()

    latencies: list[float] = []
    slowest: list[tuple[float, str]] = []
    answered_after_next = 0
    for c in completions:
        # A step of the engagement itself (item 0) is followed by the next of any item: the next
        # step may be a fan-out, whose items' first tasks come first (nothing else of the
        # engagement runs meanwhile). A fan-out item's step is followed by its own item's next.
        if c.item == 0:
            times = by_engagement.get(c.engagement_id, [])
        else:
            times = created.get((c.engagement_id, c.item), [])
        at = bisect.bisect_right(times, c.sent_at)
        if at >= len(times):
            continue  # the last task of the engagement, or of the item (the join waits)
        nxt = times[at]
        if nxt < c.answered_at:
            answered_after_next += 1
        latencies.append(nxt - c.sent_at)
        slowest.append((nxt - c.sent_at, f"{template_of.get(c.engagement_id)}/{c.step_id}"))

    response = [c.answered_at - c.sent_at for c in completions]
    done_tasks = [t for t in tasks if t[6] is not None]
    late = [
        (completed_at - due_at).total_seconds()
        for *_, completed_at, due_at, _state in done_tasks
        if due_at is not None
    ]
    breached_done = sum(1 for v in late if v > 0)
    now = max((t[6] for t in done_tasks), default=None)
    open_overdue = sum(
        1
        for *_, completed_at, due_at, _ in tasks
        if completed_at is None and due_at is not None and now is not None and due_at < now
    )
    finished = [e for e in engagements if e[1] == "completed" and e[3] is not None]
    by_template: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, status, *_ in engagements:
        by_template[key.removeprefix("day-")][status] += 1
    span_minutes = None
    if finished:
        first = min(e[2] for e in engagements).timestamp()
        last = max(e[3] for e in finished).timestamp()
        span_minutes = (last - first) / 60
    lateness_p99 = percentile(late, 0.99)
    return {
        "engagements": {
            "created": len(engagements),
            "completed": len(finished),
            "by_status": dict(sorted(_count(e[1] for e in engagements).items())),
            "by_template": {k: dict(v) for k, v in sorted(by_template.items())},
            "first_created_to_last_completed_minutes": round(span_minutes, 2)
            if span_minutes
            else None,
            "completed_per_minute": round(len(finished) / span_minutes, 1)
            if span_minutes
            else None,
        },
        "tasks": {
            "rows": len(tasks),
            "completed_by_the_floor": len(completions),
            "by_kind": dict(sorted(_count(t[3] for t in tasks).items())),
        },
        "step_latency_s": {
            "what": "completion sent -> next task of the engagement (and item) created",
            "count": len(latencies),
            "p50": percentile(latencies, 0.50),
            "p90": percentile(latencies, 0.90),
            "p99": percentile(latencies, 0.99),
            "max": round(max(latencies), 3) if latencies else None,
            "next_created_before_the_completion_was_answered": answered_after_next,
            "slowest": [
                {"s": round(v, 2), "after": where} for v, where in sorted(slowest)[-10:][::-1]
            ],
        },
        "completion_response_s": {
            "p50": percentile(response, 0.50),
            "p99": percentile(response, 0.99),
        },
        "sla": {
            "tasks_with_a_due_time_completed": len(late),
            "lateness_p99_s": lateness_p99,
            "lateness_p99_simulated_minutes": round(lateness_p99 * scale / 60, 1)
            if lateness_p99 is not None
            else None,
            "completed_after_due": breached_done,
            "open_past_due_at_end": open_overdue,
            "sla_state_breached_rows": sum(1 for t in tasks if t[8] == "breached"),
        },
        "day_began": epoch(day_began).isoformat(),
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for v in values:
        counts[v] += 1
    return dict(counts)


# ---------------------------------------------------------------------------- the chart


def chart(samples: list[Sample], out: Path, title: str, window_s: float = 30.0) -> None:
    """Throughput (engagements finished per minute, over a sliding window) and queue depth."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the PNG only
    import matplotlib.pyplot as plt

    times = [s.at / 60 for s in samples]
    rate: list[float] = []
    for i, s in enumerate(samples):
        j = i
        while j > 0 and s.at - samples[j - 1].at <= window_s:
            j -= 1
        span = s.at - samples[j].at
        rate.append((s.engagements_done - samples[j].engagements_done) * 60 / span if span else 0.0)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    top.plot(times, rate, color="tab:green")
    top.set_ylabel(f"engagements finished / min\n({window_s:.0f} s window)")
    top.set_title(title)
    top.grid(alpha=0.3)
    for name, color in (("open", "tab:blue"), ("claimed", "tab:orange"), ("waiting", "tab:gray")):
        bottom.plot(times, [getattr(s, name) for s in samples], label=f"tasks {name}", color=color)
    bottom.set_ylabel("queue depth (tasks)")
    bottom.set_xlabel("minutes since the day began")
    bottom.legend(loc="upper left")
    bottom.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    plt.close(figure)
