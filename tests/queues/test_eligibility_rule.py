"""The claim query's SQL eligibility and the pure rule (domain.eligibility) agree, case by case.

claim-next must pick rows inside PostgreSQL, so the rule exists twice: once as SQL in
store/repositories/tasks.py and once as the function every other path calls. The space is small
enough to walk whole: every task shape against every kind of worker (288 cases), each one a real
claim against the real query.
"""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import update

from cli.bootstrap import add_user
from domain.eligibility import TaskFacts, WorkerFacts, refusal
from domain.enums import Role, TaskStatus
from store.db import make_engine, make_session_factory
from store.models import Task
from store.repositories import tasks
from tests.harness import PASSWORD
from tests.queues.conftest import Queues

SKILL_SETS = {"none": [], "drafting": ["drafting"], "both": ["drafting", "qc"]}


async def test_the_claim_query_offers_exactly_the_tasks_the_rule_allows(q: Queues) -> None:
    other_firm = uuid.UUID(await q.stack.create_firm("maria", name="Other & Co"))
    await q.sql("INSERT INTO queues (name) VALUES ('plain') ON CONFLICT DO NOTHING")
    await q.sql(
        "INSERT INTO queues (name, required_skill) VALUES ('qc-only', 'qc') ON CONFLICT DO NOTHING"
    )
    workers: list[tuple[WorkerFacts, tasks.Claimant]] = []
    for role, (set_name, skills), firm in itertools.product(
        (Role.CLERK, Role.MANAGER, Role.PARTNER), SKILL_SETS.items(), (q.firm_id, other_firm)
    ):
        if role != Role.PARTNER and firm != q.firm_id:
            continue  # staff belong to no firm: one of each is enough
        partner = role == Role.PARTNER
        name = f"{role.value}-{set_name}-{'own' if firm == q.firm_id else 'other'}"
        user_id = await add_user(
            q.settings, name, role, PASSWORD, str(firm) if partner else None, skills
        )
        workers.append(
            (
                WorkerFacts(
                    user_id=str(user_id),
                    role=role,
                    skills=skills,
                    firm_id=str(firm) if partner else None,
                ),
                tasks.Claimant(
                    user_id=user_id, skills=skills, approvals_for_firm=firm if partner else None
                ),
            )
        )

    engine = make_engine(q.settings.database_url, pool_size=1)
    sessions = make_session_factory(engine)
    cases = 0
    disagreements: list[str] = []
    for kind, skill, queue, excluded, (worker, claimant) in itertools.product(
        ("human", "approval"), (None, "drafting"), ("plain", "qc-only"), (False, True), workers
    ):
        facts = TaskFacts(
            kind=kind,
            firm_id=str(q.firm_id),
            skill=skill,
            excluded_user_ids=[worker.user_id] if excluded else [],
            queue_skill="qc" if queue == "qc-only" else None,
        )
        task_id = uuid.uuid4()
        async with sessions.begin() as session:
            await tasks.insert_task(
                session,
                {
                    "id": task_id,
                    "engagement_id": q.engagement_id,
                    "firm_id": q.firm_id,
                    "step_id": f"s-{task_id.hex[:8]}",
                    "visit": 1,
                    "kind": kind,
                    "title": "case",
                    "queue": queue,
                    "skill": skill,
                    "priority": 2,
                    "status": TaskStatus.OPEN,
                    "excluded_user_ids": [uuid.UUID(worker.user_id)] if excluded else [],
                    "outcomes": ["done"],
                },
            )
        async with sessions.begin() as session:
            claimed = await tasks.claim_next(session, claimant, [queue])
            # Leave nothing open or held for the next case.
            await session.execute(
                update(Task).where(Task.id == task_id).values(status=TaskStatus.CANCELLED)
            )
        allowed = refusal(facts, worker) is None
        cases += 1
        if (claimed is not None) != allowed:
            taken = "took" if claimed else "refused"
            disagreements.append(f"SQL {taken}, rule allows={allowed}: {facts} {worker}")
    await engine.dispose()
    assert cases == 2 * 2 * 2 * 2 * len(workers)
    assert disagreements == []
