"""Dashboards on a small known data set (see seeding.py), through the real API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from domain.enums import Role
from tests.dashboard.seeding import Seeder
from tests.harness import Stack, running_stack


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    """The API (no worker needed), a manager, a clerk, two firms each with a partner."""
    async with running_stack(settings, with_worker=False) as running:
        await running.add_user("maria", Role.MANAGER, ["drafting", "qc"])
        await running.add_user("carlos", Role.CLERK, ["drafting"])
        firm_a = await running.create_firm("maria", "Hale & Morrow LLP")
        firm_b = await running.create_firm("maria", "Birch Stone LLP")
        await running.add_user("paula", Role.PARTNER, firm=firm_a)
        await running.add_user("oscar", Role.PARTNER, firm=firm_b)
        running.user_ids["firm_a"], running.user_ids["firm_b"] = firm_a, firm_b
        yield running


@pytest.fixture
def seeder(settings: Settings) -> Seeder:
    return Seeder(settings)
