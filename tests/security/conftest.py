"""A running stack with one user of every role, two firms, and an engagement with an open task."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from domain.enums import Role
from tests.harness import Stack, running_stack

ROLE_USERS = {Role.ADMIN: "ada", Role.MANAGER: "maria", Role.CLERK: "carlos", Role.PARTNER: "paula"}


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    """Firm A (partner paula) with a running engagement and its draft task; firm B (partner
    pete) with nothing. `user_ids` also holds firm_a, firm_b, engagement and task."""
    async with running_stack(settings) as running:
        await running.add_user("ada", Role.ADMIN)
        await running.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        firm_a = await running.create_firm("maria", "Hale & Morrow LLP")
        firm_b = await running.create_firm("maria", "Birch Ostrowski PC")
        await running.add_user("paula", Role.PARTNER, firm=firm_a)
        await running.add_user("pete", Role.PARTNER, firm=firm_b)
        engagement = await running.create_engagement("maria", firm_a)
        task = await running.wait_for_task(engagement, "draft", "maria")
        running.user_ids.update(
            firm_a=firm_a, firm_b=firm_b, engagement=engagement, task=str(task["id"])
        )
        yield running
