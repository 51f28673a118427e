"""The simulated BPO floor: clerks, partners, a manager and the outside world, all over HTTP.

Everyone works the way people do through the API: clerks `claim-next` (their skills decide what
they get), think for a time drawn from a log-normal distribution, then complete with an output
valid for the step's schema; a first visit of a step that can send work back (QC rejection,
changes requested) does so with a small probability; reworks come back already assigned to the
drafter, who finds them among their claimed tasks. Partners take their firm's approvals the same
way; the manager works the escalations queue; the outside world answers each wait (records
arrive, the client signs, the invoice is paid) after a drawn delay, with the event that moves
the engagement forward. Times are simulated seconds divided by the run's `scale`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.bpo_day_http import ApiConnection, ApiError
from bench.bpo_day_templates import KEY_PREFIX, Route
from domain.schema_examples import DOCUMENT, example, with_document

TERMINAL = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class Pace:
    """Medians (simulated seconds) and spread of the log-normal think times and event delays."""

    scale: float
    clerk_median: float = 180.0
    partner_median: float = 300.0
    event_median: float = 2700.0
    sigma: float = 0.7
    p_send_back: float = 0.06
    idle_poll: float = 1.0  # wall seconds between claim-next polls of an idle person (doubles)
    idle_poll_max: float = 4.0

    def draw(self, median: float) -> float:
        """Wall seconds for one draw around a simulated median."""
        return random.lognormvariate(math.log(median), self.sigma) / self.scale


@dataclass
class Completion:
    """One completed task (or posted event), for the step-latency join against the task table."""

    task_id: str
    engagement_id: str
    item: int
    step_id: str
    sent_at: float  # wall clock (epoch seconds) when the completion was sent
    answered_at: float
    status: int


@dataclass
class FloorLog:
    completions: list[Completion] = field(default_factory=list)
    claims: int = 0
    send_backs: int = 0
    events_posted: int = 0
    events_refused: int = 0
    created: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.first_errors) < 20:
            self.first_errors.append(f"{kind}: {detail[:400]}")


class Floor:
    """Shared state of one simulated day: routes per template, what each engagement has done."""

    def __init__(self, routes: dict[str, Route], pace: Pace, pdf: bytes) -> None:
        self.routes = routes  # by built-in key
        self.pace = pace
        self.pdf = pdf
        self.template_of: dict[str, str] = {}  # engagement id -> built-in key
        self.visited: dict[str, list[str]] = {}  # engagement id -> step ids worked, in order
        self.log = FloorLog()
        self.stop = asyncio.Event()
        self.broken: set[str] = set()  # tasks whose completion was refused as invalid

    # ------------------------------------------------------------------ people

    async def person(self, api: ApiConnection, median: float, queues: list[str] | None) -> None:
        """A clerk, partner or manager: claim the next task they may work, think, complete."""
        idle = self.pace.idle_poll
        turn = 0
        while not self.stop.is_set():
            turn += 1
            try:
                status, task = await api.request(
                    "POST", "/tasks/claim-next", {"queues": queues} if queues else None
                )
                if status == 200:
                    self.log.claims += 1
                    await self._work(api, task, median)
                    idle = self.pace.idle_poll
                    # Reworks come back assigned: look at what I hold every 8th turn and idle.
                    if turn % 8 == 0:
                        await self._held(api, median)
                    continue
                if status not in (204, 409):
                    self.log.error("claim", f"HTTP {status}: {task}")
                if await self._held(api, median):
                    idle = self.pace.idle_poll
                    continue
            except (ApiError, ConnectionError, OSError) as error:
                self.log.error("person", repr(error))
            await self._sleep(idle * random.uniform(0.75, 1.25))
            idle = min(idle * 2, self.pace.idle_poll_max)

    async def _held(self, api: ApiConnection, median: float) -> bool:
        page = await api.ok("GET", "/tasks?assignee=me&status=claimed&limit=20")
        held = [t for t in page["items"] if t["id"] not in self.broken]
        for summary in held:
            if self.stop.is_set():
                break
            task = await api.ok("GET", f"/tasks/{summary['id']}")
            await self._work(api, task, median)
        return bool(held)

    async def _work(self, api: ApiConnection, task: dict[str, Any], median: float) -> None:
        await self._sleep(self.pace.draw(median))
        if self.stop.is_set():  # the day is over: leave the task held, as at the end of a shift
            return
        engagement = str(task["engagement_id"])
        key = self.template_of.get(engagement) or await self._template(api, engagement)
        visited = self.visited.setdefault(engagement, [])
        outcome = self.routes[key].choose(
            task["step_id"], task["allowed_outcomes"], visited, task["visit"], self.pace.p_send_back
        )
        if outcome in self.routes[key].send_backs(task["step_id"], task["allowed_outcomes"]):
            self.log.send_backs += 1
        output = example(task["output_schema"] or {"type": "object"})
        if DOCUMENT in str(output):
            uploaded = await api.upload(
                f"/engagements/{engagement}/documents",
                "draft.pdf",
                self.pdf,
                {"kind": "draft", "title": task["title"][:200], "task_id": str(task["id"])},
            )
            output = with_document(output, str(uploaded["id"]))
        body = {
            "outcome": outcome,
            "output": output,
            "note": "Checked against the checklist.",  # a reason, where the outcome needs one
            "generation": task["generation"],
        }
        sent = time.time()
        status, answer = await api.request("POST", f"/tasks/{task['id']}/complete", body)
        answered = time.time()
        if status in (200, 202):
            visited.append(task["step_id"])
            self.log.completions.append(
                Completion(
                    str(task["id"]),
                    engagement,
                    task["item"],
                    task["step_id"],
                    sent,
                    answered,
                    status,
                )
            )
        else:
            if status == 422:
                self.broken.add(str(task["id"]))
            self.log.error(f"complete {status}", f"{key}/{task['step_id']}: {answer}")

    async def _template(self, api: ApiConnection, engagement: str) -> str:
        """The built-in key of an engagement whose task came before its creation's answer."""
        detail = await api.ok("GET", f"/engagements/{engagement}")
        key = str(detail["template"]["key"]).removeprefix(KEY_PREFIX)
        self.template_of[engagement] = key
        return key

    # ------------------------------------------------------------------ the outside world

    async def outside_world(self, api: ApiConnection) -> None:
        """Answer every wait after a drawn delay (records arrive, a client signs, a payment)."""
        seen: set[str] = set()
        answering: set[asyncio.Task[None]] = set()
        while not self.stop.is_set():
            try:
                offset = 0
                while True:
                    page = await api.ok("GET", f"/tasks?status=waiting&limit=500&offset={offset}")
                    for task in page["items"]:
                        if task["id"] not in seen:
                            seen.add(task["id"])
                            job = asyncio.create_task(self._answer(api.base, api.token, task))
                            answering.add(job)
                            job.add_done_callback(answering.discard)
                    offset += 500
                    if offset >= page["total"]:
                        break
            except (ApiError, ConnectionError, OSError) as error:
                self.log.error("events", repr(error))
            await self._sleep(1.0)
        for job in list(answering):
            job.cancel()

    async def _answer(self, base: str, token: str, task: dict[str, Any]) -> None:
        await self._sleep(self.pace.draw(self.pace.event_median))
        if self.stop.is_set():
            return
        engagement = str(task["engagement_id"])
        key = self.template_of.get(engagement)
        if key is None:
            return
        visited = self.visited.setdefault(engagement, [])
        event = self.routes[key].main_event(task["step_id"], visited)
        body: dict[str, Any] = {"type": event, "payload": {"note": "received"}}
        if task.get("item"):
            body["item"] = task["item"]
        api = ApiConnection(base, token)
        try:
            sent = time.time()
            status, _answer = await api.request("POST", f"/engagements/{engagement}/events", body)
        finally:
            api.close()
        if status in (200, 202):
            self.log.events_posted += 1
            visited.append(task["step_id"])
            self.log.completions.append(
                Completion(
                    str(task["id"]), engagement, task["item"], task["step_id"], sent, time.time(),
                    status,
                )
            )  # fmt: skip
        else:
            # The wait had already timed out (its timeout outcome went on): the event is late.
            self.log.events_refused += 1

    # ------------------------------------------------------------------ arrivals

    async def arrivals(
        self,
        managers: list[ApiConnection],
        plan: list[tuple[float, str, str, dict[str, Any]]],
        started: float,
    ) -> None:
        """Open each planned engagement at its time: (offset s, built-in key, firm id, inputs)."""
        free: asyncio.Queue[ApiConnection] = asyncio.Queue()
        for manager in managers:
            free.put_nowait(manager)
        pending: set[asyncio.Task[None]] = set()
        for number, (offset, key, firm_id, inputs) in enumerate(plan, 1):
            await asyncio.sleep(max(0.0, started + offset - time.monotonic()))
            if self.stop.is_set():
                break
            api = await free.get()
            job = asyncio.create_task(self._open(api, free, number, key, firm_id, inputs))
            pending.add(job)
            job.add_done_callback(pending.discard)
        await asyncio.gather(*pending)

    async def _open(
        self,
        api: ApiConnection,
        free: asyncio.Queue[ApiConnection],
        number: int,
        key: str,
        firm_id: str,
        inputs: dict[str, Any],
    ) -> None:
        priority = random.choices(["low", "normal", "high", "urgent"], [10, 65, 20, 5])[0]
        body = {
            "firm_id": firm_id,
            "template": KEY_PREFIX + key,
            "title": f"{key} #{number}",
            "matter_ref": f"BPO-{number:05d}",
            "priority": priority,
            "inputs": inputs,
        }
        try:
            created = await api.ok("POST", "/engagements", body)
            self.template_of[str(created["id"])] = key
            self.log.created += 1
        except (ApiError, ConnectionError, OSError) as error:
            self.log.error("create", repr(error))
        finally:
            free.put_nowait(api)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=max(0.0, seconds))
