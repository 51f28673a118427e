"""A simulated BPO day on `docketflow dev`'s stack, compressed in time (issue 16, item 5).

    python -m bench.bpo_day            # ~3,700 engagements, an 8-hour day in 10 minutes
    python -m bench.bpo_day --engagements 200 --minutes 2    # a quick look

Starts `docketflow dev --no-demo` on a temporary home (PostgreSQL, Temporal, API, worker, each a
supervised process), seeds it through the API (an admin by the CLI, then a manager, firms with two
partners each, clerks with skills), publishes every built-in template compressed in time
(bench/bpo_day_templates.py), then opens the planned engagements at random times over the day
and lets the simulated floor (bench/bpo_day_floor.py) work them to their end. The day ends when
every engagement is finished or `--drain-minutes` after the last arrival. Prints the figures and
writes bench/results/bpo_day.json and bench/results/bpo_day.png (throughput and queue depth).

HazenTech-scale: 1.2 M emails and 158 K case files a year across 10 teams is about 3,700
engagements a working day; the mix below leans on e-mail triage and data entry for that reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg
import typer
import uvloop
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench.bpo_day_floor import Floor, Pace
from bench.bpo_day_http import REQUESTS, ApiConnection
from bench.bpo_day_report import CpuByProcess, Sample, chart, figures, sample
from bench.bpo_day_templates import WORKING_DAY, Route, compressed
from bench.sample_motion import write as write_motion
from cli.devstack.ports import free_port
from domain.schema_examples import example

RESULTS = Path(__file__).parent / "results"
PASSWORD = "bpo-day-bench-password"  # a throwaway stack's logins, removed with it

# Share of the day's engagements by service line (e-mail and data entry dominate the volume).
MIX = {
    "email-triage": 40,
    "data-entry-coding": 12,
    "draft-qc-efile": 9,
    "court-deadlines": 8,
    "client-intake": 6,
    "billing-collections": 6,
    "legal-research": 5,
    "contract-review": 4,
    "document-review": 3,
    "medical-records-demand": 4,
    "exhibit-compilation": 3,
}

app = typer.Typer(add_completion=False, help=__doc__)


class DevProcess:
    """`docketflow dev --no-demo` as a subprocess on its own home, stopped with SIGTERM."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.output = home / "dev-output.log"
        with self.output.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "dev", "--home", str(home), "--port", str(port),
                 "--no-demo"],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, "DOCKETFLOW_LOG_JSON": "false"},
            )  # fmt: skip

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docketflow dev exited:\n{self.output.read_text()[-3000:]}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"the dev stack was not ready in {timeout:.0f}s")

    def children(self) -> dict[str, int]:
        return dict(json.loads((self.home / "pids.json").read_text())["children"])

    def database_url(self) -> str:
        stack = json.loads((self.home / "stack.json").read_text())
        return str(stack["database_url"]).replace("postgresql+psycopg://", "postgresql://")

    def cli(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "cli.main", *args, "--home", str(self.home)],
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------------------- seeding


async def _login(base: str, username: str) -> ApiConnection:
    api = ApiConnection(base)
    await api.form_login(username, PASSWORD)
    return api


async def _seed(
    stack: DevProcess, firms: int, clerks: int, scale: float
) -> tuple[dict[str, Any], list[str], dict[str, list[str]], list[str]]:
    """(definitions by built-in key, firm ids, partners by firm, clerk usernames)."""
    stack.cli("users", "add", "bpo-admin", "--role", "admin", "--password", PASSWORD)
    admin = await _login(stack.base, "bpo-admin")
    definitions: dict[str, Any] = {}
    for key in MIX:
        definition = (await admin.ok("GET", f"/templates/{key}"))["definition"]
        scaled = compressed(definition, scale)
        await admin.ok("POST", "/templates", {"definition": scaled})
        definitions[key] = scaled
    skills = sorted(
        {
            step["skill"]
            for d in definitions.values()
            for step in Route(d).steps.values()
            if step.get("skill")
        }
    )
    users: list[dict[str, Any]] = [
        {"username": "floor-manager", "role": "manager", "skills": skills}
    ]
    firm_ids: list[str] = []
    partners: dict[str, list[str]] = {}
    for number in range(1, firms + 1):
        firm = await admin.ok(
            "POST",
            "/firms",
            {"name": f"Firm {number:02d} LLP", "timezone": "America/New_York"},
        )
        firm_ids.append(str(firm["id"]))
        partners[str(firm["id"])] = [f"partner-{number:02d}-{p}" for p in (1, 2)]
        users += [
            {"username": name, "role": "partner", "firm_id": firm["id"]}
            for name in partners[str(firm["id"])]
        ]
    # Each clerk holds a third of the skills (six of 18), so every skill has a team of clerks.
    names = [f"clerk-{i:03d}" for i in range(1, clerks + 1)]
    for i, name in enumerate(names):
        held = sorted({skills[(i + 3 * k) % len(skills)] for k in range(max(1, len(skills) // 3))})
        users.append({"username": name, "role": "clerk", "skills": held})
    for user in users:
        await admin.ok("POST", "/users", {**user, "password": PASSWORD})
    admin.close()
    return definitions, firm_ids, partners, names


def _plan(
    definitions: dict[str, Any], firm_ids: list[str], count: int, day_seconds: float
) -> list[tuple[float, str, str, dict[str, Any]]]:
    keys = random.choices(list(MIX), weights=list(MIX.values()), k=count)
    offsets = sorted(random.uniform(0, day_seconds) for _ in range(count))
    return [
        (
            offset,
            key,
            random.choice(firm_ids),
            example(definitions[key]["input_schema"], array_items=random.randint(1, 3)),
        )
        for offset, key in zip(offsets, keys, strict=True)
    ]


def _sample_pdf() -> bytes:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as out:
        write_motion(out.name, "The declarant has no identifiers to redact.")
        return Path(out.name).read_bytes()


# ---------------------------------------------------------------------------- the day


async def _day(
    stack: DevProcess, options: dict[str, Any], progress: Progress
) -> tuple[dict[str, Any], list[Sample], Floor, CpuByProcess]:
    scale = WORKING_DAY.total_seconds() / (options["minutes"] * 60)
    definitions, firm_ids, partners, clerk_names = await _seed(
        stack, options["firms"], options["clerks"], scale
    )
    pace = Pace(scale=scale, p_send_back=options["send_back"])
    floor = Floor({k: Route(d) for k, d in definitions.items()}, pace, _sample_pdf())
    day_seconds = options["minutes"] * 60
    plan = _plan(definitions, firm_ids, options["engagements"], day_seconds)

    clerks = [await _login(stack.base, n) for n in clerk_names]
    partner_apis = [await _login(stack.base, n) for names in partners.values() for n in names]
    manager = await _login(stack.base, "floor-manager")
    openers = [await _login(stack.base, "floor-manager") for _ in range(6)]
    world = await _login(stack.base, "floor-manager")

    url = stack.database_url()
    sampler = await psycopg.AsyncConnection.connect(url, autocommit=True)
    cpu = CpuByProcess(stack.children(), stack.process.pid)
    samples: list[Sample] = []
    bar = progress.add_task("engagements finished", total=len(plan))

    REQUESTS.clear()  # the day's requests, not the seeding's
    began_wall, began = time.time(), time.monotonic()
    cpu.start()
    people = [
        *(asyncio.create_task(floor.person(c, pace.clerk_median, None)) for c in clerks),
        *(asyncio.create_task(floor.person(p, pace.partner_median, None)) for p in partner_apis),
        asyncio.create_task(floor.person(manager, pace.clerk_median, ["escalations"])),
        asyncio.create_task(floor.outside_world(world)),
    ]
    arrivals = asyncio.create_task(floor.arrivals(openers, plan, began))
    drain_until: float | None = None
    while True:
        await asyncio.sleep(options["sample_seconds"])
        now = time.monotonic()
        samples.append(await sample(sampler, now - began))
        last = samples[-1]
        progress.update(
            bar,
            completed=last.engagements_done,
            description=f"finished (open {last.open}, claimed {last.claimed}, "
            f"waiting {last.waiting})",
        )
        if arrivals.done() and drain_until is None:
            drain_until = now + options["drain_minutes"] * 60
        if arrivals.done() and last.engagements_done >= floor.log.created:
            break
        if drain_until is not None and now > drain_until:
            break
    ended = time.monotonic()
    cpu.stop()
    floor.stop.set()
    await asyncio.gather(*people, arrivals, return_exceptions=True)
    for api in (*clerks, *partner_apis, manager, *openers, world):
        api.close()
    await sampler.close()

    figs = await figures(url, floor.log.completions, floor.template_of, began_wall, scale)
    done = figs["engagements"]["completed"] or 0
    figs["day"] = {
        "wall_minutes": round((ended - began) / 60, 2),
        "scale": round(scale, 2),
        "arrivals_over_minutes": options["minutes"],
        "all_finished": samples[-1].engagements_done >= floor.log.created,
    }
    figs["cpu_seconds"] = cpu.used
    figs["cpu_ms_per_completed_engagement"] = {
        name: round(1000 * used / done, 1) if done else None for name, used in cpu.used.items()
    }
    figs["cpu_share_of_2_cores"] = {
        name: round(used / ((ended - began) * (os.cpu_count() or 1)), 3)
        for name, used in cpu.used.items()
    }
    figs["pids"] = {"start": cpu.parts, "end": stack.children()}
    figs["floor"] = {
        "claims": floor.log.claims,
        "send_backs": floor.log.send_backs,
        "events_posted": floor.log.events_posted,
        "events_after_the_wait_timed_out": floor.log.events_refused,
        "api_requests": dict(REQUESTS.most_common()),
        "api_requests_per_completed_engagement": round(sum(REQUESTS.values()) / done, 1)
        if done
        else None,
        "errors": dict(floor.log.errors),
        "first_errors": floor.log.first_errors,
    }
    return figs, samples, floor, cpu


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _print(figs: dict[str, Any]) -> None:
    e, lat, sla = figs["engagements"], figs["step_latency_s"], figs["sla"]
    print(
        f"\nengagements: {e['completed']}/{e['created']} completed in "
        f"{figs['day']['wall_minutes']} min ({e['completed_per_minute']} per min); "
        f"statuses {e['by_status']}"
    )
    print(
        f"step latency (completion -> next task claimable): p50 {lat['p50']} s, "
        f"p90 {lat['p90']} s, p99 {lat['p99']} s over {lat['count']} steps"
    )
    print(
        f"completion answered in p50 {figs['completion_response_s']['p50']} s, "
        f"p99 {figs['completion_response_s']['p99']} s"
    )
    print(
        f"SLA: lateness p99 {sla['lateness_p99_s']} s ({sla['lateness_p99_simulated_minutes']} "
        f"simulated min); {sla['completed_after_due']} of {sla['tasks_with_a_due_time_completed']}"
        f" completed after due, {sla['open_past_due_at_end']} open past due at the end"
    )
    print("CPU ms per completed engagement:", figs["cpu_ms_per_completed_engagement"])
    print("CPU share of the machine:", figs["cpu_share_of_2_cores"])
    print("floor:", {k: v for k, v in figs["floor"].items() if k != "first_errors"})


@app.command()
def main(
    engagements: Annotated[int, typer.Option(help="engagements opened over the day")] = 3700,
    minutes: Annotated[
        float, typer.Option(help="wall minutes the 8-hour day's arrivals span")
    ] = 10,
    drain_minutes: Annotated[
        float, typer.Option(help="after the last arrival, stop at most this much later")
    ] = 5,
    clerks: Annotated[int, typer.Option(help="simulated clerks")] = 60,
    firms: Annotated[int, typer.Option(help="firms (two partners each)")] = 10,
    send_back: Annotated[
        float, typer.Option(help="chance a first visit sends the work back, where it can")
    ] = 0.06,
    sample_seconds: Annotated[float, typer.Option(help="queue-depth sampling period")] = 2.0,
    seed: Annotated[int, typer.Option(help="random seed (plan, think times, outcomes)")] = 16,
    out: Annotated[Path, typer.Option(help="results folder")] = RESULTS,
    name: Annotated[str, typer.Option(help="file name of the JSON and PNG, without suffix")] = (
        "bpo_day"
    ),
    keep_home: Annotated[
        bool, typer.Option(help="keep the stack's home (its logs) after a successful day")
    ] = False,
) -> None:
    """Run the day and write OUT/NAME.json and OUT/NAME.png."""
    random.seed(seed)
    options = {k: v for k, v in locals().items() if k not in ("out", "name", "keep_home")}
    home = Path(tempfile.mkdtemp(prefix="docketflow-bpo-day-", dir="/tmp"))
    home.chmod(0o755)  # the postgres system user (when run as root) reaches the cluster in it
    stack = DevProcess(home, free_port())
    load_before, uptime_before = os.getloadavg(), _uptime()
    try:
        stack.wait_ready()
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            ) as progress,
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            figs, samples, _, _ = runner.run(_day(stack, options, progress))
    except BaseException:
        print(f"the day failed; the stack's logs are kept in {home}", file=sys.stderr)
        stack.stop()
        raise
    stack.stop()
    if keep_home:
        print(f"the stack's home (logs in {home / 'logs'}) is kept: {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)
    figs["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
        "uptime_before": uptime_before,
        "uptime_after": _uptime(),
    }
    targets = {
        "day_within_10_minutes": figs["day"]["all_finished"] and figs["day"]["wall_minutes"] <= 10,
        "step_latency_p99<=1s": (figs["step_latency_s"]["p99"] or 1e9) <= 1.0,
    }
    _print(figs)
    print("targets:", targets)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "command": "python -m bench.bpo_day " + " ".join(sys.argv[1:]),
        "at": stamp,
        "config": options,
        "targets": targets,
        **figs,
        "samples": [asdict(s) for s in samples],
    }
    (out / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    chart(
        samples,
        out / f"{name}.png",
        f"Simulated BPO day: {figs['engagements']['completed']}/{options['engagements']} "
        f"engagements, {options['clerks']} clerks, 8 h in {minutes:g} min",
    )
    print(f"wrote {out / name}.json and {out / name}.png")


if __name__ == "__main__":
    app()
