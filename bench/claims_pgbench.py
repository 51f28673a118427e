"""The claims benchmark's ceiling: pgbench running the repository path's own statements.

pgbench is PostgreSQL's C load generator; its client costs next to nothing, so what it reaches on a
clone of the seed is what PostgreSQL itself does on this machine for the claim cycle. The script is
built from the very SQL the `repo` phase sends, not a copy of it:

1. `tasks.claim_next`'s locking claim (`_PG_CLAIM_LOCKING`), every queue, no audit entry;
2. `tasks.complete_held`'s fenced completion (`_COMPLETE_HELD`);
3. the next task's insert (`bench.claims._NEXT_TASK`),

each its own autocommit statement, prepared (`-M prepared`, as psycopg's `prepare=True`), so the
same three round trips and three durable commits per cycle. Differences, all on the cheap side of
the server: the two NULL parameters (`queues`, `approvals_for_firm`) are written as NULL literals
(pgbench variables cannot be NULL), the next task's step id is `'n' || :c_id` computed by the server
instead of by the client, and the queue name `'q' || lpad(…)` likewise. A claim that found nothing
or a completion whose fence refused it would abort the pgbench client (`\\gset` wants one row): the
aborted clients are counted, and must be 0, as double claims and fence failures are elsewhere.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from store.repositories import tasks

PGBENCH = Path("/usr/lib/postgresql/15/bin/pgbench")


def _variables(statement: str) -> str:
    """psycopg's `%(name)s` parameters as pgbench's `:name` variables."""
    return re.sub(r"%\((\w+)\)s", r":\1", statement)


def script(next_task: str, queues: int) -> str:
    """The pgbench script: the clerk's id once per client, then claim, complete, insert next."""
    claim = (
        _variables(tasks._PG_CLAIM_LOCKING)
        .replace(":queues", "NULL")
        .replace(":approvals_for_firm", "NULL")
    )
    complete = (
        _variables(tasks._COMPLETE_HELD)
        .replace(":id", ":c_id")
        .replace(":generation", ":c_generation")
    )
    insert = (
        _variables(next_task)
        .replace(":engagement", ":c_engagement_id")
        .replace(":step", "'n' || :c_id")
        .replace(":visit", ":c_generation")
        .replace(":queue", "'q' || lpad(CAST(:queue_no AS text), 2, '0')")
    )
    return "\n".join(
        [
            # pgbench clients number 0..n-1; each one is one seeded clerk, as in the other phases,
            # looked up in its first cycle only (a client's variables persist across cycles).
            r"\if :looked_up = 0",
            "SELECT id AS user_id FROM users WHERE role = 'clerk' ORDER BY username "
            r"OFFSET :client_id LIMIT 1 \gset",
            r"\set looked_up 1",
            r"\endif",
            rf"\set queue_no random(0, {queues - 1})",
            r"\set priority random(0, 3)",
            r"\set hours random(1, 71)",
            claim.strip() + r" \gset c_",
            complete.strip() + r" \gset d_",
            insert.strip() + ";",
            "",
        ]
    )


@dataclass
class PgbenchResult:
    cycles: int
    cycles_per_s: float
    latency_avg_ms: float
    # Average latency of each statement of the script (pgbench -r), by its first words.
    statement_ms: dict[str, float] = field(default_factory=dict)
    aborted_clients: int = 0
    output: str = ""


def run(
    url: str, next_task: str, *, clients: int, threads: int, seconds: float, queues: int, firm: str
) -> PgbenchResult:
    """Run pgbench for `seconds` with `clients` connections on `url` (a libpq URL)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="claims-") as file:
        file.write(script(next_task, queues))
        file.flush()
        done = subprocess.run(
            [
                str(PGBENCH),
                "--no-vacuum",
                "--protocol=prepared",
                "--report-per-command",
                f"--client={clients}",
                f"--jobs={threads}",
                f"--time={round(seconds)}",
                "--define=skills={drafting,qc}",
                f"--define=firm={firm}",
                "--define=looked_up=0",
                f"--file={file.name}",
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    output = done.stdout + done.stderr
    processed = re.search(r"number of transactions actually processed: (\d+)", output)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    if processed is None or tps is None:
        raise RuntimeError(f"pgbench failed (exit {done.returncode}):\n{output[-2000:]}")
    statements: dict[str, float] = {}
    for line in output.split("statement latencies", 1)[-1].splitlines()[1:]:
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and re.fullmatch(r"[\d.]+", parts[0]) and parts[2][0] != "\\":
            statements[" ".join(parts[2].split()[:4])] = float(parts[0])
    return PgbenchResult(
        cycles=int(processed.group(1)),
        cycles_per_s=round(float(tps.group(1)), 1),
        latency_avg_ms=float(latency.group(1)) if latency else float("nan"),
        statement_ms=statements,
        aborted_clients=len(re.findall(r"client \d+ (?:script \d+ )?aborted", output)),
        output=output[-3000:],
    )
