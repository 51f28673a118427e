from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from domain.enums import Role
from tests.harness import Stack, running_stack


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    """The API and a worker, with a manager, three clerks and a firm with its partner."""
    async with running_stack(settings) as running:
        await running.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        await running.add_user("dana", Role.CLERK, ["drafting", "qc"])
        await running.add_user("quinn", Role.CLERK, ["qc"])
        firm_id = await running.create_firm("maria")
        await running.add_user("paula", Role.PARTNER, firm=firm_id)
        running.user_ids["firm"] = firm_id
        yield running
