"""A completion is applied only under the claim it was made with, however late it arrives.

The API's Update can time out (no worker answered) and still be applied later, when a worker
comes back. By then the clerk may have released the task and a colleague claimed it: the late
completion must be refused, never written in the first clerk's name over the colleague's claim.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import Settings
from domain.enums import Role
from tests.harness import running_stack, running_worker


async def test_a_completion_that_timed_out_never_lands_on_a_colleagues_claim(
    settings: Settings,
) -> None:
    quick = settings.model_copy(update={"update_timeout_seconds": 2})
    async with running_stack(quick, with_worker=False) as stack:
        await stack.add_user("maria", Role.MANAGER)
        await stack.add_user("carlos", Role.CLERK, ["drafting"])
        await stack.add_user("dana", Role.CLERK, ["drafting"])
        firm_id = await stack.create_firm("maria")
        async with running_worker(quick):
            engagement_id = await stack.create_engagement("maria", firm_id)
            draft = await stack.wait_for_task(engagement_id, "draft", "carlos")

        # No worker now: carlos's completion reaches Temporal but nobody confirms it.
        held = (await stack.call("POST", f"/tasks/{draft['id']}/claim", "carlos", 200)).json()
        drafted = await stack.draft_output(engagement_id, "carlos")
        pending = await stack.call(
            "POST",
            f"/tasks/{draft['id']}/complete",
            "carlos",
            json={"outcome": "done", "output": drafted, "generation": held["generation"]},
        )
        assert pending.status_code == 202, pending.text
        body = pending.json()
        assert body["status"] == "pending"
        assert "nothing was changed" not in body["detail"]
        assert pending.headers["Location"] == f"/api/v1/tasks/{draft['id']}"

        await stack.call("POST", f"/tasks/{draft['id']}/release", "carlos", 200)
        colleague = (await stack.call("POST", f"/tasks/{draft['id']}/claim", "dana", 200)).json()
        assert colleague["generation"] > held["generation"]

        async with running_worker(quick):
            # carlos's Update is delivered first and refused; dana's own completion goes through.
            done = await stack.call(
                "POST",
                f"/tasks/{draft['id']}/complete",
                "dana",
                200,
                json={"outcome": "done", "output": drafted},
            )
            assert done.json()["completed_by"] == stack.user_ids["dana"]
            assert done.json()["assignee_id"] == stack.user_ids["dana"]
            await stack.wait_for_task(engagement_id, "qc", "maria")

    engine = create_async_engine(settings.database_url)
    async with engine.connect() as connection:
        completed = (
            await connection.execute(
                text(
                    "SELECT actor_id FROM audit_log "
                    "WHERE action = 'task.completed' AND object_id = :t"
                ),
                {"t": draft["id"]},
            )
        ).all()
    await engine.dispose()
    assert [str(row.actor_id) for row in completed] == [stack.user_ids["dana"]]
